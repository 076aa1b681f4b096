/* speaker.c — the room's active speaker from RFC 6464 audio levels, on the media worker.
 *
 * Browsers put the level of each audio packet (0 = loudest, 127 = silence, in -dBov)
 * in a header extension, so the relay knows who talks without decoding anything. Every
 * interval we average each audio track's loudness; the loudest track above a speech
 * threshold becomes the speaker once it has been loudest for two intervals in a row
 * (so a cough does not flip the layout), and after a longer silence nobody is. Only
 * changes are posted to the main thread. */
#define TB_LOG_CAT "relay/speaker"
#include "relay/internal.h"
#include "common/tb_error.h"

#include <string.h>

#define INTERVAL_MS          300
#define MIN_LOUDNESS         (127 - 50) /* louder than -50 dBov on average */
#define RUNS_TO_SWITCH       2
#define SILENT_RUNS_TO_CLEAR 10 /* 3 s */

typedef struct speaker_event {
    tb_relay_room *room; /* ref */
    char *owner;
} speaker_event;

static void speaker_event_free(gpointer data)
{
    speaker_event *e = data;
    tb_relay__room_unref(e->room);
    g_free(e->owner);
    g_free(e);
}

static gboolean speaker_event_run(gpointer data)
{
    speaker_event *e = data;
    if (!e->room->destroyed && e->room->events.active_speaker)
        e->room->events.active_speaker(e->room->events_user, e->room, e->owner);
    return G_SOURCE_REMOVE;
}

static void set_speaker(tb_relay_room *room, tb_relay_track *t)
{
    if (room->speaker == t)
        return;
    if (room->speaker)
        tb_relay_track_unref(room->speaker);
    room->speaker = t ? tb_relay_track_ref(t) : NULL;
    speaker_event *e = g_new0(speaker_event, 1);
    e->room = tb_relay__room_ref(room);
    e->owner = g_strdup(t ? t->owner : "");
    tb_relay__main_post(room->relay, speaker_event_run, e, speaker_event_free);
}

static void set_candidate(tb_relay_room *room, tb_relay_track *t)
{
    if (room->candidate == t) {
        room->candidate_runs++;
        return;
    }
    if (room->candidate)
        tb_relay_track_unref(room->candidate);
    room->candidate = t ? tb_relay_track_ref(t) : NULL;
    room->candidate_runs = 1;
}

static gboolean speaker_tick(gpointer data)
{
    tb_relay_room *room = data;
    tb_relay_track *best = NULL;
    uint32_t best_avg = 0;
    for (guint i = 0; i < room->audio_tracks->len; i++) {
        tb_relay_track *t = g_ptr_array_index(room->audio_tracks, i);
        if (t->fwd.level_count && !t->fwd.muted) {
            uint32_t avg = t->fwd.level_sum / t->fwd.level_count;
            if (avg >= MIN_LOUDNESS && avg > best_avg) {
                best = t;
                best_avg = avg;
            }
        }
        t->fwd.level_sum = t->fwd.level_count = 0;
    }
    set_candidate(room, best);
    if (best && best != room->speaker && room->candidate_runs >= RUNS_TO_SWITCH)
        set_speaker(room, best);
    else if (!best && room->speaker && room->candidate_runs >= SILENT_RUNS_TO_CLEAR)
        set_speaker(room, NULL);
    return G_SOURCE_CONTINUE;
}

void tb_relay__speaker_on_packet(tb_relay_track *t, const uint8_t *buf,
                                 const tb_relay_rtp_header *h)
{
    const uint8_t *v;
    size_t n;
    if (tb_relay_rtp_ext_find(buf, h, (uint8_t)t->ext_audio_level, &v, &n) != TB_OK || n < 1)
        return;
    t->fwd.level_sum += 127u - (v[0] & 0x7f);
    t->fwd.level_count++;
}

void tb_relay__speaker_track_added(tb_relay_track *t)
{
    tb_relay_room *room = t->room;
    if (t->kind != TB_RELAY_KIND_AUDIO || !t->ext_audio_level)
        return;
    g_ptr_array_add(room->audio_tracks, tb_relay_track_ref(t));
    if (!room->speaker_timer) {
        GSource *s = g_timeout_source_new(INTERVAL_MS);
        g_source_set_callback(s, speaker_tick, room, NULL);
        room->speaker_timer = g_source_attach(s, room->worker->ctx);
        g_source_unref(s);
    }
}

void tb_relay__speaker_track_removed(tb_relay_track *t)
{
    tb_relay_room *room = t->room;
    if (room->candidate == t)
        set_candidate(room, NULL);
    if (room->speaker == t)
        set_speaker(room, NULL);
    g_ptr_array_remove_fast(room->audio_tracks, t);
}
