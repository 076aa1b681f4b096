/* room.c — rooms and their participants on the control plane: who is in, what each
 * publishes, and keeping every participant's subscribe connection in step with the
 * tracks of the others. A room exists while someone is in it. */
#define TB_LOG_CAT "sig/room"
#include "signaling/internal.h"

#include <string.h>

/* ---- relay events for a participant's connections ---- */

static void on_candidate(void *user, tb_relay_pc *pc, const char *candidate, const char *mid)
{
    tb_sig_participant *p = user;
    if (!p->conn)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "candidate", "pc",
                          tb_relay_pc_get_role(pc) == TB_RELAY_PC_PUBLISH ? "pub" : "sub",
                          "candidate", candidate, "sdpMid", mid, "sdpMLineIndex", 0);
    if (m)
        tb_sig_conn_send(p->conn, m);
}

static void on_state(void *user, tb_relay_pc *pc, tb_relay_pc_state state)
{
    tb_sig_participant *p = user;
    const char *which = tb_relay_pc_get_role(pc) == TB_RELAY_PC_PUBLISH ? "pub" : "sub";
    TB_LOG_INFO("[%s/%s] %s connection %s", p->room->name, p->id, which,
                tb_relay_pc_state_name(state));
    if (p->conn)
        tb_sig_conn_send(p->conn, json_pack("{s:s, s:s, s:s}", "type", "connection_state", "pc",
                                            which, "state", tb_relay_pc_state_name(state)));
}

static const tb_relay_pc_events pc_events = {on_candidate, on_state};

/* ---- rooms ---- */

tb_sig_room *tb_sig_room_get(tb_sig_server *srv, const char *name, bool create)
{
    tb_sig_room *room = g_hash_table_lookup(srv->rooms, name);
    if (room || !create)
        return room;
    room = g_new0(tb_sig_room, 1);
    room->name = g_strdup(name);
    room->srv = srv;
    room->relay_room = tb_relay_room_create(srv->relay, name);
    room->participants = g_ptr_array_new();
    tb_rec_catalog_session_begin(srv->catalog, name, room->session_id, sizeof room->session_id);
    g_hash_table_insert(srv->rooms, room->name, room);
    TB_LOG_INFO("[%s] room opened", name);
    return room;
}

static void room_free(tb_sig_room *room)
{
    g_hash_table_remove(room->srv->rooms, room->name);
    TB_LOG_INFO("[%s] room closed", room->name);
    tb_rec_catalog_session_end(room->srv->catalog, room->session_id);
    tb_relay_room_destroy(room->relay_room);
    g_ptr_array_unref(room->participants);
    g_free(room->name);
    g_free(room);
}

tb_sig_participant *tb_sig_room_add(tb_sig_room *room, tb_sig_conn *conn, const char *name)
{
    tb_sig_participant *p = g_new0(tb_sig_participant, 1);
    g_snprintf(p->id, sizeof p->id, "p%08x", g_random_int());
    p->name = g_strdup(name);
    p->room = room;
    p->conn = conn;
    p->audio = p->video = true;
    g_ptr_array_add(room->participants, p);
    tb_rec_catalog_attend_join(room->srv->catalog, room->session_id, p->id, NULL, p->name, NULL);
    return p;
}

void tb_sig_room_broadcast(tb_sig_room *room, tb_sig_participant *except, json_t *msg)
{
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if (p != except && p->conn)
            tb_sig_conn_send(p->conn, json_deep_copy(msg));
    }
    json_decref(msg);
}

json_t *tb_sig_track_json(tb_relay_track *t)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", tb_relay_track_id(t), "kind",
                     tb_relay_track_kind(t) == TB_RELAY_KIND_AUDIO ? "audio" : "video", "label",
                     tb_relay_track_label(t), "codec", tb_relay_track_codec(t));
}

json_t *tb_sig_participant_json(tb_sig_participant *p)
{
    json_t *tracks = json_array();
    if (p->pub) {
        GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
        for (guint i = 0; i < ts->len; i++)
            json_array_append_new(tracks, tb_sig_track_json(g_ptr_array_index(ts, i)));
        g_ptr_array_unref(ts);
    }
    return json_pack("{s:s, s:s, s:b, s:b, s:o}", "id", p->id, "name", p->name, "audio", p->audio,
                     "video", p->video, "tracks", tracks);
}

void tb_sig_room_update_subscription(tb_sig_participant *p)
{
    GPtrArray *want = g_ptr_array_new();
    GPtrArray *owned = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < p->room->participants->len; i++) {
        tb_sig_participant *o = g_ptr_array_index(p->room->participants, i);
        if (o == p || !o->pub)
            continue;
        GPtrArray *ts = tb_relay_pc_published_tracks(o->pub);
        for (guint j = 0; j < ts->len; j++)
            g_ptr_array_add(want, g_ptr_array_index(ts, j));
        g_ptr_array_add(owned, ts);
    }
    if (!p->sub && want->len > 0)
        p->sub = tb_relay_pc_create(p->room->relay_room, TB_RELAY_PC_SUBSCRIBE, p->id, &pc_events, p);
    if (p->sub && tb_relay_pc_subscribe_set(p->sub, want) && p->conn) {
        int revision = 0;
        char *sdp = tb_relay_pc_subscribe_offer(p->sub, &revision);
        if (sdp) {
            tb_sig_conn_send(p->conn, json_pack("{s:s, s:i, s:s}", "type", "offer", "revision",
                                                revision, "sdp", sdp));
            g_free(sdp);
        }
    }
    g_ptr_array_unref(owned);
    g_ptr_array_unref(want);
}

void tb_sig_room_update_all(tb_sig_room *room, tb_sig_participant *except)
{
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if (p != except)
            tb_sig_room_update_subscription(p);
    }
}

tb_relay_pc *tb_sig_participant_pub(tb_sig_participant *p)
{
    if (!p->pub)
        p->pub = tb_relay_pc_create(p->room->relay_room, TB_RELAY_PC_PUBLISH, p->id, &pc_events, p);
    return p->pub;
}

void tb_sig_room_remove(tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    g_ptr_array_remove(room->participants, p);
    bool had_tracks = false;
    if (p->pub) {
        GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
        for (guint i = 0; i < ts->len; i++) {
            tb_relay_track *t = g_ptr_array_index(ts, i);
            tb_sig_room_broadcast(room, NULL,
                                  json_pack("{s:s, s:s, s:s}", "type", "track_removed",
                                            "participant_id", p->id, "track_id",
                                            tb_relay_track_id(t)));
            had_tracks = true;
        }
        g_ptr_array_unref(ts);
        tb_relay_pc_close(p->pub);
        p->pub = NULL;
    }
    tb_relay_pc_close(p->sub);
    p->sub = NULL;
    TB_LOG_INFO("[%s/%s] left", room->name, p->id);
    tb_rec_catalog_attend_leave(room->srv->catalog, room->session_id, p->id);
    tb_sig_room_broadcast(room, NULL,
                          json_pack("{s:s, s:s}", "type", "participant_left", "participant_id", p->id));
    if (had_tracks)
        tb_sig_room_update_all(room, NULL);
    if (p->conn)
        p->conn->participant = NULL;
    g_free(p->name);
    g_free(p);
    if (room->participants->len == 0)
        room_free(room);
}

void tb_sig_room_destroy_all(tb_sig_server *srv)
{
    GList *rooms = g_hash_table_get_values(srv->rooms);
    for (GList *l = rooms; l; l = l->next) {
        tb_sig_room *room = l->data;
        while (room->participants->len > 1)
            tb_sig_room_remove(g_ptr_array_index(room->participants, 0));
        if (room->participants->len == 1)
            tb_sig_room_remove(g_ptr_array_index(room->participants, 0)); /* frees the room */
    }
    g_list_free(rooms);
}
