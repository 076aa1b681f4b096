/* session.c — request handlers of protocol v1 for one participant's WebSocket. Each
 * validates its fields, acts on the room and the relay, and answers exactly once. */
#define TB_LOG_CAT "sig/session"
#include "signaling/room/requests.h"
#include "common/tb_error.h"

#include <string.h>

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

/* The display name: the token's, else the request's `name`. NULL when an error was sent. */
static char *join_name(tb_sig_request *r, const tb_sig_grant *g)
{
    json_t *v = json_object_get(r->msg, "name");
    if (v && !json_is_string(v) && !json_is_null(v)) {
        tb_sig_fail(r, "bad_request", "field 'name' must be a string");
        return NULL;
    }
    if (!g->name && !json_is_string(v)) {
        tb_sig_fail(r, "bad_request", "field 'name' must be a string");
        return NULL;
    }
    if (!g->name && json_string_length(v) > 256) {
        tb_sig_fail(r, "bad_request", "field 'name' is longer than 256 bytes");
        return NULL;
    }
    char *clean = g_strstrip(g_strdup(g->name ? g->name : json_string_value(v)));
    if (!valid_name(clean)) {
        tb_sig_fail(r, "bad_request", "field 'name': 1-64 characters, no control characters");
        g_free(clean);
        return NULL;
    }
    return clean;
}

/* The browser's client_key (optional; 16-128 characters of A-Z a-z 0-9 _ -): its
 * SHA-256 in hex into out, "" without one. False when an error was sent. */
static bool join_client_key(tb_sig_request *r, char out[65])
{
    json_t *v = json_object_get(r->msg, "client_key");
    if (!v || json_is_null(v))
        return true;
    const char *k = json_string_value(v);
    size_t n = k ? strlen(k) : 0;
    bool ok = n >= 16 && n <= 128;
    for (size_t i = 0; ok && i < n; i++)
        ok = g_ascii_isalnum(k[i]) || k[i] == '-' || k[i] == '_';
    if (!ok) {
        tb_sig_fail(r, "bad_request", "field 'client_key': 16-128 characters of A-Z a-z 0-9 _ -");
        return false;
    }
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, k, (gssize)n);
    g_strlcpy(out, hash, 65);
    return true;
}

/* Refusals that depend on the room as it is: bans, lock, capacity. An earlier
 * connection of the same identity is replaced (its client gets `replaced`). Returns
 * false when an error was sent. */
static bool room_admits(tb_sig_request *r, const char *room_name, const tb_sig_grant *g,
                        const char *name, const char *client_key)
{
    tb_sig_hub *hub = r->hub;
    g_auto(GStrv) keys = tb_sig_ban_keys(g->identity, name, client_key);
    bool banned, locked;
    tb_sig_room_holds(hub, room_name, keys, &banned, &locked);
    if (banned) {
        tb_sig_fail(r, "banned",
                    "you were removed from this meeting and may not "
                    "rejoin it");
        return false;
    }
    bool moderator = g->perms & TB_SIG_PERM_MODERATE;
    if (locked && !moderator) {
        tb_sig_fail(r, "room_locked", "the meeting is locked: nobody new may join");
        return false;
    }
    tb_sig_room *room = tb_sig_room_get(hub, room_name, false);
    if (!room)
        return true;
    GPtrArray *lists[2] = {room->participants, room->waiting};
    tb_sig_participant *old = NULL;
    for (int l = 0; l < 2 && g->identity && !old; l++)
        for (guint i = 0; i < lists[l]->len && !old; i++) {
            tb_sig_participant *p = g_ptr_array_index(lists[l], i);
            if (p->identity && !strcmp(p->identity, g->identity))
                old = p;
        }
    if (old) {
        TB_LOG_INFO("[%s/%s] replaced by a new connection of '%s'", room->name, old->id,
                    old->identity);
        tb_sig_room_kick(old, json_pack("{s:s}", "type", "replaced"), TB_SIG_CLOSE_REPLACED);
        room = tb_sig_room_get(hub, room_name, false); /* an empty room may have closed */
        if (!room)
            return true;
    }
    int max = room->cfg->max_participants;
    if ((int)(room->participants->len + room->waiting->len) >= max) {
        tb_sig_fail(r, "room_full", "the room has %d participants already", max);
        return false;
    }
    return true;
}

void tb_sig_session_join(tb_sig_request *r)
{
    tb_sig_conn *c = r->conn;
    if (c->participant) {
        tb_sig_fail(r, "already_joined", "this connection has joined already");
        return;
    }
    const char *room_name = tb_sig_str_field(r, "room", 64);
    if (!room_name)
        return;
    if (!tb_sig_valid_room(room_name)) {
        tb_sig_fail(r, "bad_request", "field 'room': 1-64 characters of A-Z a-z 0-9 _ -");
        return;
    }
    json_t *tok = json_object_get(r->msg, "token");
    if (tok && !json_is_string(tok) && !json_is_null(tok)) {
        tb_sig_fail(r, "bad_request", "field 'token' must be a string");
        return;
    }
    json_t *a = json_object_get(r->msg, "audio"), *v = json_object_get(r->msg, "video");
    if ((a && !json_is_boolean(a)) || (v && !json_is_boolean(v))) {
        tb_sig_fail(r, "bad_request", "fields 'audio' and 'video' must be booleans");
        return;
    }
    const char *token = json_string_value(tok);
    tb_sig_grant g = {0};
    char err[256] = "";
    const char *code =
        tb_sig_auth_join(r->hub->cfg, r->hub->token_key, g_get_real_time() / G_USEC_PER_SEC,
                         room_name, token && *token ? token : NULL, &g, err, sizeof err);
    if (code) {
        TB_LOG_INFO("[%s] join refused (%s) from %s: %s", room_name, code, c->peer, err);
        tb_sig_fail(r, code, "%s", err);
        return;
    }
    char client_key[65] = "";
    if (!join_client_key(r, client_key)) {
        tb_sig_grant_clear(&g);
        return;
    }
    g_autofree char *name = join_name(r, &g);
    if (!name || !room_admits(r, room_name, &g, name, client_key)) {
        tb_sig_grant_clear(&g);
        return;
    }
    if (!tb_sig_room_get(r->hub, room_name, false) &&
        (int)g_hash_table_size(r->hub->rooms) >= r->hub->cfg->limits.rooms) {
        tb_sig_fail(r, "room_limit", "the server has as many meetings open as it takes");
        tb_sig_grant_clear(&g);
        return;
    }
    tb_sig_room *room = tb_sig_room_get(r->hub, room_name, true);
    bool admitted = !room->waiting_room || (g.perms & TB_SIG_PERM_MODERATE);
    tb_sig_participant *p = tb_sig_room_add(room, c, name, &g, admitted);
    tb_sig_grant_clear(&g);
    g_strlcpy(p->client_key, client_key, sizeof p->client_key);
    c->participant = p;
    p->audio = !a || json_is_true(a);
    p->video = !v || json_is_true(v);
    TB_LOG_INFO("[%s/%s] %s as '%s' (%s%s) from %s", room->name, p->id,
                admitted ? "joined" : "waits", p->name, tb_sig_role_name(p->role),
                p->identity ? "" : ", anonymous", c->peer);
    if (!admitted) {
        tb_sig_ok(r, json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:{s:s, s:s, s:s}}",
                               "participant_id", p->id, "room", room->name, "name", p->name, "role",
                               tb_sig_role_name(p->role), "perms", tb_sig_perms_json(p->perms),
                               "waiting", true, "room_state", "name", room->name, "title",
                               room->title, "kind", tb_sig_kind_name(room->kind)));
        tb_sig_lobby_notify(room);
        return;
    }
    tb_sig_reply_text(c, json_integer_value(r->id), tb_sig_room_snapshot_text(p, NULL));
    tb_sig_room_enter(p);
    tb_sig_room_update_subscription(p);
}

/* Why p may not publish now, for the `forbidden` reason. */
static const char *publish_refusal(const tb_sig_participant *p)
{
    if (p->role == TB_SIG_ROLE_PARTICIPANT)
        return "a participant may publish only while holding the floor: raise your hand";
    if (p->role == TB_SIG_ROLE_VIEWER)
        return "a viewer only receives: raise your hand to be brought on stage";
    return "you may not publish in this meeting";
}

void tb_sig_session_publish(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *sdp = tb_sig_str_field(r, "sdp", 64 * 1024);
    if (!sdp)
        return;
    if (!tb_sig_participant_may_publish(p)) {
        tb_sig_fail(r, "forbidden", "%s", publish_refusal(p));
        return;
    }
    /* A second video track is a screen, as the relay's own parse of the offer counts it. */
    int video = 0, tracks = tb_relay_sdp_senders(sdp, strlen(sdp), &video);
    int max_tracks = p->room->hub->cfg->limits.tracks_per_participant;
    if (tracks > max_tracks) {
        tb_sig_fail(r, "too_many_tracks", "the offer sends %d tracks; at most %d per participant",
                    tracks, max_tracks);
        return;
    }
    if (video > 1 && !tb_sig_require(r, TB_SIG_PERM_SCREEN, "sharing a screen"))
        return;
    char err[256] = "";
    GPtrArray *added = NULL, *removed = NULL;
    char *answer = tb_relay_pc_publish_offer(tb_sig_participant_pub(p), sdp, &added, &removed, err,
                                             sizeof err);
    if (!answer) {
        tb_sig_fail(r, "bad_sdp", "%s", err);
        return;
    }
    /* Before anyone subscribes: what p may not send now is never forwarded. */
    tb_sig_participant_apply_mutes(p);
    tb_sig_ok(r, json_pack("{s:s}", "sdp", answer));
    g_free(answer);
    for (guint i = 0; i < removed->len; i++)
        tb_sig_room_broadcast(p->room, p,
                              json_pack("{s:s, s:s, s:s}", "type", "track_removed",
                                        "participant_id", p->id, "track_id",
                                        tb_relay_track_id(g_ptr_array_index(removed, i))));
    for (guint i = 0; i < added->len; i++)
        tb_sig_room_broadcast(p->room, p,
                              json_pack("{s:s, s:s, s:o}", "type", "track_added", "participant_id",
                                        p->id, "track",
                                        tb_sig_track_json(g_ptr_array_index(added, i))));
    if (added->len || removed->len)
        tb_sig_room_update_all(p->room, p);
    tb_sig_room_tracks_changed(p, added, removed);
    g_ptr_array_unref(added);
    g_ptr_array_unref(removed);
}

void tb_sig_session_unpublish(tb_sig_request *r)
{
    tb_sig_participant_unpublish(r->conn->participant);
    tb_sig_ok(r, NULL);
}

void tb_sig_session_answer(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *sdp = tb_sig_str_field(r, "sdp", 64 * 1024);
    if (!sdp)
        return;
    json_t *rev = json_object_get(r->msg, "revision");
    if (!json_is_integer(rev)) {
        tb_sig_fail(r, "bad_request", "field 'revision' must be an integer");
        return;
    }
    if (!p->sub) {
        tb_sig_fail(r, "wrong_state", "no offer is outstanding");
        return;
    }
    char err[256] = "";
    int rc =
        tb_relay_pc_subscribe_answer(p->sub, (int)json_integer_value(rev), sdp, err, sizeof err);
    if (rc == TB_ESTATE) {
        tb_sig_fail(r, "wrong_state", "%s", err);
        return;
    }
    if (rc) {
        tb_sig_fail(r, "bad_sdp", "%s", err);
        return;
    }
    tb_sig_ok(r, NULL);
    /* Changes that came while the offer was out go in the next one. */
    tb_sig_room_update_subscription(p);
}

void tb_sig_session_candidate(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *which = tb_sig_str_field(r, "pc", 8);
    if (!which)
        return;
    json_t *cv = json_object_get(r->msg, "candidate");
    if (!json_is_null(cv) && cv && !json_is_string(cv)) {
        tb_sig_fail(r, "bad_request", "field 'candidate' must be a string or null");
        return;
    }
    tb_relay_pc *pc = !strcmp(which, "pub") ? p->pub : !strcmp(which, "sub") ? p->sub : NULL;
    if (!pc) {
        tb_sig_fail(r, "bad_candidate",
                    "no '%s' connection: 'pc' must name one that exists (pub after publish, "
                    "sub after an offer)",
                    which);
        return;
    }
    json_t *mid = json_object_get(r->msg, "sdpMid");
    if (mid && !json_is_null(mid) && !json_is_string(mid)) {
        tb_sig_fail(r, "bad_request", "field 'sdpMid' must be a string or null");
        return;
    }
    char err[256] = "";
    if (tb_relay_pc_add_remote_candidate(pc, json_string_value(cv), json_string_value(mid), err,
                                         sizeof err)) {
        tb_sig_fail(r, "bad_candidate", "%s", err);
        return;
    }
    tb_sig_ok(r, NULL);
}

void tb_sig_session_media(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    json_t *a = json_object_get(r->msg, "audio"), *v = json_object_get(r->msg, "video");
    if ((a && !json_is_boolean(a)) || (v && !json_is_boolean(v))) {
        tb_sig_fail(r, "bad_request", "fields 'audio' and 'video' must be booleans");
        return;
    }
    if (a)
        p->audio = json_is_true(a);
    if (v)
        p->video = json_is_true(v);
    tb_sig_ok(r, NULL);
    tb_sig_participant_changed(p);
}

void tb_sig_session_keyframe(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    const char *tid = tb_sig_str_field(r, "track_id", 64);
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
                tb_sig_ok(r, NULL);
                return;
            }
        }
        g_ptr_array_unref(ts);
    }
    tb_sig_fail(r, "bad_request", "no track '%s' in this room", tid);
}

void tb_sig_session_leave(tb_sig_request *r)
{
    tb_sig_conn *c = r->conn;
    if (c->participant)
        tb_sig_room_remove(c->participant);
    tb_sig_ok(r, NULL);
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
