/* session.c — request handlers of protocol v1 for one participant's WebSocket. Each
 * validates its fields, acts on the room and the relay, and answers exactly once. */
#define TB_LOG_CAT "sig/session"
#include "signaling/internal.h"
#include "common/tb_error.h"

#include <string.h>

static json_int_t rid(tb_sig_request *r) { return json_integer_value(r->id); }

/* A required string field of at most max bytes; NULL (error sent) otherwise. */
static const char *str_field(tb_sig_request *r, const char *key, size_t max)
{
    json_t *v = json_object_get(r->msg, key);
    if (!json_is_string(v)) {
        tb_sig_error(r->conn, r->id, "bad_request", "field '%s' must be a string", key);
        return NULL;
    }
    if (json_string_length(v) > max) {
        tb_sig_error(r->conn, r->id, "bad_request", "field '%s' is longer than %zu bytes", key, max);
        return NULL;
    }
    return json_string_value(v);
}

static bool valid_room(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

static bool valid_name(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL))
        return false;
    glong n = g_utf8_strlen(s, -1);
    if (n < 1 || n > 64)
        return false;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (g_unichar_iscntrl(g_utf8_get_char(p)))
            return false;
    return true;
}

void tb_sig_session_join(tb_sig_request *r)
{
    tb_sig_conn *c = r->conn;
    const tb_config *cfg = c->srv->cfg;
    if (c->participant) {
        tb_sig_error(c, r->id, "already_joined", "this connection has joined already");
        return;
    }
    const char *room_name = str_field(r, "room", 64);
    const char *name = room_name ? str_field(r, "name", 256) : NULL;
    if (!name)
        return;
    if (!valid_room(room_name)) {
        tb_sig_error(c, r->id, "bad_request", "field 'room': 1-64 characters of A-Z a-z 0-9 _ -");
        return;
    }
    g_autofree char *clean = g_strstrip(g_strdup(name));
    if (!valid_name(clean)) {
        tb_sig_error(c, r->id, "bad_request",
                     "field 'name': 1-64 characters, no control characters");
        return;
    }
    json_t *a = json_object_get(r->msg, "audio"), *v = json_object_get(r->msg, "video");
    if ((a && !json_is_boolean(a)) || (v && !json_is_boolean(v))) {
        tb_sig_error(c, r->id, "bad_request", "fields 'audio' and 'video' must be booleans");
        return;
    }
    if (!cfg->rooms.allow_anonymous) {
        tb_sig_error(c, r->id, "forbidden", "anonymous joining is switched off on this server");
        return;
    }
    tb_sig_room *room = tb_sig_room_get(c->srv, room_name, false);
    if (room && (int)room->participants->len >= cfg->rooms.max_participants) {
        tb_sig_error(c, r->id, "room_full", "the room has %d participants already",
                     cfg->rooms.max_participants);
        return;
    }
    room = tb_sig_room_get(c->srv, room_name, true);
    json_t *others = json_array();
    for (guint i = 0; i < room->participants->len; i++)
        json_array_append_new(others, tb_sig_participant_json(g_ptr_array_index(room->participants, i)));
    tb_sig_participant *p = tb_sig_room_add(room, c, clean);
    c->participant = p;
    p->audio = !a || json_is_true(a);
    p->video = !v || json_is_true(v);
    TB_LOG_INFO("[%s/%s] joined as '%s' from %s", room->name, p->id, p->name, c->peer);
    tb_sig_reply(c, rid(r),
                 json_pack("{s:s, s:s, s:o, s:[]}", "participant_id", p->id, "room", room->name,
                           "participants", others, "ice_servers"));
    json_t *ev = json_pack("{s:s, s:o}", "type", "participant_joined", "participant",
                           tb_sig_participant_json(p));
    tb_sig_room_broadcast(room, p, ev);
    tb_sig_room_update_subscription(p);
}

void tb_sig_session_publish(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *sdp = str_field(r, "sdp", 64 * 1024);
    if (!sdp)
        return;
    char err[256] = "";
    GPtrArray *added = NULL, *removed = NULL;
    char *answer = tb_relay_pc_publish_offer(tb_sig_participant_pub(p), sdp, &added, &removed,
                                             err, sizeof err);
    if (!answer) {
        tb_sig_error(r->conn, r->id, "bad_sdp", "%s", err);
        return;
    }
    tb_sig_reply(r->conn, rid(r), json_pack("{s:s}", "sdp", answer));
    g_free(answer);
    for (guint i = 0; i < removed->len; i++)
        tb_sig_room_broadcast(p->room, p,
                              json_pack("{s:s, s:s, s:s}", "type", "track_removed", "participant_id",
                                        p->id, "track_id",
                                        tb_relay_track_id(g_ptr_array_index(removed, i))));
    for (guint i = 0; i < added->len; i++)
        tb_sig_room_broadcast(p->room, p,
                              json_pack("{s:s, s:s, s:o}", "type", "track_added", "participant_id",
                                        p->id, "track",
                                        tb_sig_track_json(g_ptr_array_index(added, i))));
    if (added->len || removed->len)
        tb_sig_room_update_all(p->room, p);
    g_ptr_array_unref(added);
    g_ptr_array_unref(removed);
}

void tb_sig_session_answer(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *sdp = str_field(r, "sdp", 64 * 1024);
    if (!sdp)
        return;
    json_t *rev = json_object_get(r->msg, "revision");
    if (!json_is_integer(rev)) {
        tb_sig_error(r->conn, r->id, "bad_request", "field 'revision' must be an integer");
        return;
    }
    if (!p->sub) {
        tb_sig_error(r->conn, r->id, "wrong_state", "no offer is outstanding");
        return;
    }
    char err[256] = "";
    int rc = tb_relay_pc_subscribe_answer(p->sub, (int)json_integer_value(rev), sdp, err, sizeof err);
    if (rc == TB_ESTATE) {
        tb_sig_error(r->conn, r->id, "wrong_state", "%s", err);
        return;
    }
    if (rc) {
        tb_sig_error(r->conn, r->id, "bad_sdp", "%s", err);
        return;
    }
    tb_sig_reply(r->conn, rid(r), NULL);
    /* Changes that came while the offer was out go in the next one. */
    tb_sig_room_update_subscription(p);
}

void tb_sig_session_candidate(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *which = str_field(r, "pc", 8);
    if (!which)
        return;
    json_t *cv = json_object_get(r->msg, "candidate");
    if (!json_is_null(cv) && cv && !json_is_string(cv)) {
        tb_sig_error(r->conn, r->id, "bad_request", "field 'candidate' must be a string or null");
        return;
    }
    tb_relay_pc *pc = !strcmp(which, "pub") ? p->pub : !strcmp(which, "sub") ? p->sub : NULL;
    if (!pc) {
        tb_sig_error(r->conn, r->id, "bad_candidate",
                     "no '%s' connection: 'pc' must name one that exists (pub after publish, "
                     "sub after an offer)", which);
        return;
    }
    json_t *mid = json_object_get(r->msg, "sdpMid");
    if (mid && !json_is_null(mid) && !json_is_string(mid)) {
        tb_sig_error(r->conn, r->id, "bad_request", "field 'sdpMid' must be a string or null");
        return;
    }
    char err[256] = "";
    if (tb_relay_pc_add_remote_candidate(pc, json_string_value(cv), json_string_value(mid), err,
                                         sizeof err)) {
        tb_sig_error(r->conn, r->id, "bad_candidate", "%s", err);
        return;
    }
    tb_sig_reply(r->conn, rid(r), NULL);
}

void tb_sig_session_media(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    json_t *a = json_object_get(r->msg, "audio"), *v = json_object_get(r->msg, "video");
    if ((a && !json_is_boolean(a)) || (v && !json_is_boolean(v))) {
        tb_sig_error(r->conn, r->id, "bad_request", "fields 'audio' and 'video' must be booleans");
        return;
    }
    if (a)
        p->audio = json_is_true(a);
    if (v)
        p->video = json_is_true(v);
    tb_sig_reply(r->conn, rid(r), NULL);
    tb_sig_room_broadcast(p->room, p,
                          json_pack("{s:s, s:s, s:b, s:b}", "type", "participant_updated",
                                    "participant_id", p->id, "audio", p->audio, "video", p->video));
}

void tb_sig_session_keyframe(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *tid = str_field(r, "track_id", 64);
    if (!tid)
        return;
    for (guint i = 0; i < p->room->participants->len; i++) {
        tb_sig_participant *o = g_ptr_array_index(p->room->participants, i);
        if (!o->pub)
            continue;
        GPtrArray *ts = tb_relay_pc_published_tracks(o->pub);
        for (guint j = 0; j < ts->len; j++) {
            tb_relay_track *t = g_ptr_array_index(ts, j);
            if (!strcmp(tb_relay_track_id(t), tid)) {
                tb_relay_track_request_keyframe(p->room->relay_room, t);
                g_ptr_array_unref(ts);
                tb_sig_reply(r->conn, rid(r), NULL);
                return;
            }
        }
        g_ptr_array_unref(ts);
    }
    tb_sig_error(r->conn, r->id, "bad_request", "no track '%s' in this room", tid);
}

void tb_sig_session_leave(tb_sig_request *r)
{
    tb_sig_conn *c = r->conn;
    if (c->participant)
        tb_sig_room_remove(c->participant);
    tb_sig_reply(c, rid(r), NULL);
    tb_sig_conn_close(c, LWS_CLOSE_STATUS_NORMAL);
}

void tb_sig_session_conn_closed(tb_sig_conn *c)
{
    tb_sig_participant *p = c->participant;
    if (!p)
        return;
    p->conn = NULL;
    c->participant = NULL;
    tb_sig_room_remove(p);
}
