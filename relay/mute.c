/* mute.c — moderation: a moderator stops (mutes) or resumes forwarding a track.
 *
 * tb_relay_track_set_muted() is called on the main thread and posted to the room's home
 * worker, which owns the track's forwarding state; there it sets tb_relay__track_fwd.muted.
 * The drop itself happens where packets arrive (forward.c): a muted track's packets still
 * count in its receive statistics, but reach no subscriber, no recording tap and no
 * active-speaker detection, whatever the publisher sends. Unmuting video makes every
 * subscriber wait for a keyframe and asks the publisher for one, so decoders resume at a
 * keyframe rather than mid-GOP. */
#define TB_LOG_CAT "relay/mute"
#include "relay/internal.h"

/* [home worker] Applies one mute change; o->a is the new state (1 = muted). */
static gboolean mute_run(gpointer data)
{
    tb_relay__track_op *o = data;
    tb_relay_track *t = o->track;
    bool muted = o->a != 0;
    if (g_atomic_int_get(&t->fwd.removed) || t->fwd.muted == muted)
        return G_SOURCE_REMOVE;
    t->fwd.muted = muted;
    if (!muted && t->kind == TB_RELAY_KIND_VIDEO) {
        /* Subscribers' decoders resume at a keyframe, not mid-GOP. */
        tb_relay__forward_sinks_need_keyframe(t);
        tb_relay__forward_request_keyframe(t);
    }
    return G_SOURCE_REMOVE;
}

void tb_relay_track_set_muted(tb_relay_room *room, tb_relay_track *track, bool muted)
{
    tb_relay__track_post(room, track, mute_run, muted ? 1 : 0, 0);
}
