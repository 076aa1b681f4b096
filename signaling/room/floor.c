/* floor.c — raised hands, the floor and the speaking log: what a public hearing needs.
 *
 * A participant (who may not publish by role) raises a hand; a moderator gives it the
 * floor for a time (the room's floor_seconds unless they say otherwise; 0 = until taken
 * back). While it holds the floor it may publish; when the time is up the server takes
 * the floor back by itself and mutes its tracks at the relay, so its media stops being
 * forwarded even if its client keeps sending. One participant holds the floor at a
 * time. Everyone gets the floor with its remaining time and draws the countdown.
 *
 * The speaking log in the catalog records, for the official record: raised hands
 * (kind "hand"), floors given (kind "floor": by whom, for how long, how it ended) and
 * who actually spoke when, from the relay's active speaker (kind "voice"). */
#define TB_LOG_CAT "sig/floor"
#include "signaling/room/requests.h"

#include <string.h>

static int64_t log_begin(tb_sig_room *room, tb_sig_participant *p, const char *kind,
                         tb_sig_participant *by, int seconds)
{
    int64_t id = 0;
    tb_rec_catalog_speaking_begin(room->hub->catalog, room->session_id, p->id, p->name, kind,
                                  by ? by->name : NULL, seconds, &id);
    return id;
}

static void log_end(tb_sig_room *room, int64_t *id, const char *reason)
{
    if (*id)
        tb_rec_catalog_speaking_end(room->hub->catalog, *id, reason);
    *id = 0;
}

static void lower_hand(tb_sig_participant *p, const char *reason)
{
    if (!p->hand)
        return;
    p->hand = false;
    log_end(p->room, &p->hand_log_id, reason);
}

void tb_sig_floor_hand(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    json_t *v = json_object_get(r->msg, "raised");
    if (v && !json_is_boolean(v)) {
        tb_sig_fail(r, "bad_request", "field 'raised' must be a boolean");
        return;
    }
    bool raised = !v || json_is_true(v);
    if (raised && !tb_sig_require(r, TB_SIG_PERM_HAND, "raising a hand"))
        return;
    tb_sig_ok(r, NULL);
    if (raised == p->hand)
        return;
    if (raised) {
        p->hand = true;
        p->hand_seq = ++p->room->hand_seq;
        p->hand_log_id = log_begin(p->room, p, "hand", NULL, 0);
    } else {
        lower_hand(p, "lowered");
    }
    tb_sig_participant_changed(p);
}

void tb_sig_floor_hand_lower(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "lowering someone's hand"))
        return;
    tb_sig_participant *t = tb_sig_target(r);
    if (!t)
        return;
    tb_sig_ok(r, NULL);
    if (!t->hand)
        return;
    lower_hand(t, "lowered by a moderator");
    tb_sig_audit(t->room, me, "hand_lower", t, NULL);
    tb_sig_participant_changed(t);
}

static gboolean floor_expired(gpointer data)
{
    tb_sig_room *room = data;
    room->floor_timer = 0;
    tb_sig_floor_end(room, "expired", NULL);
    return G_SOURCE_REMOVE;
}

void tb_sig_floor_give(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "giving the floor"))
        return;
    tb_sig_participant *t = tb_sig_target(r);
    if (!t)
        return;
    if (!t->admitted) {
        tb_sig_fail(r, "wrong_state", "'%s' is in the waiting room", t->name);
        return;
    }
    tb_sig_room *room = t->room;
    json_t *sv = json_object_get(r->msg, "seconds");
    if (sv &&
        (!json_is_integer(sv) || json_integer_value(sv) < 0 || json_integer_value(sv) > 36000)) {
        tb_sig_fail(r, "bad_request", "field 'seconds': 0 (no limit) to 36000");
        return;
    }
    int seconds = sv ? (int)json_integer_value(sv) : room->floor_seconds;
    if (room->floor_holder && room->floor_holder != t)
        tb_sig_floor_end(room, "replaced", me);
    if (room->floor_timer)
        g_source_remove(room->floor_timer);
    room->floor_timer = 0;
    log_end(room, &room->floor_log_id, "extended");
    room->floor_holder = t;
    room->floor_given_s = seconds;
    room->floor_until_us = seconds ? g_get_monotonic_time() + (int64_t)seconds * G_USEC_PER_SEC : 0;
    if (seconds)
        room->floor_timer = g_timeout_add((guint)seconds * 1000, floor_expired, room);
    t->floor = true;
    lower_hand(t, "given the floor");
    room->floor_log_id = log_begin(room, t, "floor", me, seconds);
    tb_sig_participant_apply_mutes(t);
    tb_sig_audit(room, me, "floor_give", t, json_pack("{s:i}", "seconds", seconds));
    tb_sig_ok(r, NULL);
    tb_sig_participant_changed(t);
    tb_sig_room_state_changed(room);
}

void tb_sig_floor_take(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "taking the floor back"))
        return;
    if (!me->room->floor_holder) {
        tb_sig_fail(r, "wrong_state", "nobody holds the floor");
        return;
    }
    tb_sig_ok(r, NULL);
    tb_sig_floor_end(me->room, "taken", me);
}

void tb_sig_floor_end(tb_sig_room *room, const char *reason, tb_sig_participant *by)
{
    tb_sig_participant *h = room->floor_holder;
    if (!h)
        return;
    if (room->floor_timer)
        g_source_remove(room->floor_timer);
    room->floor_timer = 0;
    room->floor_holder = NULL;
    room->floor_until_us = 0;
    h->floor = false;
    log_end(room, &room->floor_log_id, reason);
    /* The relay stops forwarding now, whatever the client does next. */
    tb_sig_participant_apply_mutes(h);
    tb_sig_audit(room, by, "floor_end", h, json_pack("{s:s}", "reason", reason));
    if (strcmp(reason, "left") != 0)
        tb_sig_participant_changed(h);
    tb_sig_room_state_changed(room);
}

void tb_sig_floor_participant_left(tb_sig_participant *p)
{
    if (p->room->floor_holder == p)
        tb_sig_floor_end(p->room, "left", NULL);
    lower_hand(p, "left");
}

void tb_sig_floor_on_speaker(tb_sig_room *room, const char *participant_id)
{
    if (!strcmp(room->speaker, participant_id))
        return;
    log_end(room, &room->voice_log_id, "silent");
    g_strlcpy(room->speaker, participant_id, sizeof room->speaker);
    tb_sig_participant *p = *participant_id ? tb_sig_room_find(room, participant_id) : NULL;
    if (p && p->admitted)
        room->voice_log_id = log_begin(room, p, "voice", NULL, 0);
    tb_sig_room_broadcast(room, NULL,
                          json_pack("{s:s, s:o}", "type", "speaker", "participant_id",
                                    p ? json_string(p->id) : json_null()));
}

void tb_sig_floor_room_closing(tb_sig_room *room)
{
    log_end(room, &room->voice_log_id, "closed");
    log_end(room, &room->floor_log_id, "closed");
}
