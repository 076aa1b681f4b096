/* room.c — rooms and their participants on the control plane: who is in (admitted or
 * in the waiting room), with which role and permissions, what each publishes, and
 * keeping every participant's subscribe connection in step with the tracks of the
 * others.
 *
 * A room is created by its first joiner with the settings of its [room:NAME] section
 * (or the [rooms] defaults). When the last one leaves it lingers for
 * rooms.empty_timeout seconds, keeping what moderators set (bans, lock, kind), so a
 * meeting whose people all drop for a moment resumes as it was; then it closes and its
 * catalog session ends. Permissions are enforced here at the relay: a track its owner
 * may not send now (no publish right, floor over, muted by a moderator) is muted in the
 * relay's forwarding, whatever the client does. */
#define TB_LOG_CAT "sig/room"
#include "signaling/room/requests.h"

#include <string.h>

/* An observer as added (tb_sig_hub_observe). */
struct hub_observer {
    tb_sig_room_observer obs;
    void *user;
};

/* Calls hook `fn` of every observer that has one, with the arguments that follow. */
#define NOTIFY(hub, fn, ...)                                                                       \
    for (guint oi_ = 0; oi_ < (hub)->observers->len; oi_++) {                                      \
        const struct hub_observer *o_ =                                                            \
            &g_array_index((hub)->observers, struct hub_observer, oi_);                            \
        if (o_->obs.fn)                                                                            \
            o_->obs.fn(o_->user, __VA_ARGS__);                                                     \
    }

/* ---- the hub ---- */

tb_sig_hub *tb_sig_hub_create(const tb_config *cfg, tb_relay *relay, tb_rec_catalog *catalog,
                              GBytes *token_key)
{
    tb_sig_hub *hub = g_new0(tb_sig_hub, 1);
    hub->cfg = cfg;
    hub->relay = relay;
    hub->catalog = catalog;
    hub->token_key = token_key;
    hub->rooms = g_hash_table_new(g_str_hash, g_str_equal);
    /* Holds a stop left open (no room closed them) lapse from now. */
    tb_rec_catalog_holds_release(
        catalog, NULL, tb_rec_catalog_now_us() + (int64_t)cfg->rooms.ban_keep_s * G_USEC_PER_SEC);
    hub->observers = g_array_new(FALSE, TRUE, sizeof(struct hub_observer));
    hub->expiry_timer = tb_sig__expiry_start(hub);
    return hub;
}

void tb_sig_hub_observe(tb_sig_hub *hub, const tb_sig_room_observer *obs, void *user)
{
    struct hub_observer o = {*obs, user};
    g_array_append_val(hub->observers, o);
}

void tb_sig_hub_destroy(tb_sig_hub *hub)
{
    if (!hub)
        return;
    tb_sig_hub_close_rooms(hub);
    g_source_remove(hub->expiry_timer);
    g_hash_table_unref(hub->rooms);
    g_array_unref(hub->observers);
    if (hub->requests)
        g_array_unref(hub->requests);
    g_free(hub);
}

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
        tb_sig_send(p->conn, m);
}

/* A publish connection that failed (its peer vanished: ICE consent lost, RFC 7675, or
 * never connected in time) carries nothing any more: its tracks go, so that the others'
 * tiles do not freeze on a last frame. Not from inside the relay's event. */
static gboolean unpublish_failed(gpointer data)
{
    tb_sig_participant *p = data;
    p->pub_failed_idle = 0;
    if (p->pub && tb_relay_pc_get_state(p->pub) == TB_RELAY_PC_FAILED) {
        TB_LOG_INFO("[%s/%s] its publish connection failed: its tracks are withdrawn",
                    p->room->name, p->id);
        tb_sig_participant_unpublish(p);
    }
    return G_SOURCE_REMOVE;
}

static void on_state(void *user, tb_relay_pc *pc, tb_relay_pc_state state)
{
    tb_sig_participant *p = user;
    const char *which = tb_relay_pc_get_role(pc) == TB_RELAY_PC_PUBLISH ? "pub" : "sub";
    TB_LOG_INFO("[%s/%s] %s connection %s", p->room->name, p->id, which,
                tb_relay_pc_state_name(state));
    if (p->conn)
        tb_sig_send(p->conn, json_pack("{s:s, s:s, s:s}", "type", "connection_state", "pc", which,
                                       "state", tb_relay_pc_state_name(state)));
    if (state == TB_RELAY_PC_FAILED && pc == p->pub && !p->pub_failed_idle)
        p->pub_failed_idle = g_idle_add(unpublish_failed, p);
}

void tb_sig_participant_unpublish(tb_sig_participant *p)
{
    if (!p->pub)
        return;
    GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
    for (guint i = 0; i < ts->len; i++)
        tb_sig_room_broadcast(p->room, p,
                              json_pack("{s:s, s:s, s:s}", "type", "track_removed",
                                        "participant_id", p->id, "track_id",
                                        tb_relay_track_id(g_ptr_array_index(ts, i))));
    bool had = ts->len > 0;
    tb_sig_room_tracks_changed(p, NULL, ts);
    g_ptr_array_unref(ts);
    tb_relay_pc_close(p->pub);
    p->pub = NULL;
    if (had)
        tb_sig_room_update_all(p->room, p);
}

static const tb_relay_pc_events pc_events = {on_candidate, on_state};

static void on_active_speaker(void *user, tb_relay_room *rr, const char *owner)
{
    tb_sig_floor_on_speaker(user, owner);
}

static const tb_relay_room_events room_events = {on_active_speaker};

/* ---- rooms ---- */

tb_sig_room *tb_sig_room_get(tb_sig_hub *hub, const char *name, bool create)
{
    tb_sig_room *room = g_hash_table_lookup(hub->rooms, name);
    if (room || !create)
        return room;
    room = g_new0(tb_sig_room, 1);
    room->name = g_strdup(name);
    room->hub = hub;
    room->cfg = tb_config_room_get(hub->cfg, name);
    if (tb_sig_kind_parse(room->cfg->kind, &room->kind))
        room->kind = TB_SIG_KIND_ROUNDTABLE; /* the config checked it already */
    room->waiting_room =
        !strcmp(room->cfg->waiting_room, "true") ||
        (!strcmp(room->cfg->waiting_room, "auto") && room->kind == TB_SIG_KIND_CONSULTATION);
    room->chat_enabled = room->cfg->chat;
    room->floor_seconds = room->cfg->floor_seconds;
    room->title = g_strdup(*room->cfg->title ? room->cfg->title : name);
    room->bans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    room->relay_room = tb_relay_room_create(hub->relay, name);
    tb_relay_room_set_events(room->relay_room, &room_events, room);
    room->participants = g_ptr_array_new();
    room->waiting = g_ptr_array_new();
    g_queue_init(&room->chat);
    tb_rec_catalog_session_begin(hub->catalog, name, room->session_id, sizeof room->session_id);
    tb_sig__holds_room_opened(room);
    g_hash_table_insert(hub->rooms, room->name, room);
    TB_LOG_INFO("[%s] room opened (%s%s)", name, tb_sig_kind_name(room->kind),
                room->waiting_room ? ", waiting room" : "");
    return room;
}

static void room_free(tb_sig_room *room)
{
    g_hash_table_remove(room->hub->rooms, room->name);
    TB_LOG_INFO("[%s] room closed", room->name);
    if (room->linger_timer)
        g_source_remove(room->linger_timer);
    if (room->floor_timer)
        g_source_remove(room->floor_timer);
    tb_sig_floor_room_closing(room);
    NOTIFY(room->hub, room_closing, room);
    tb_sig_roster_room_closing(room);
    tb_rec_catalog_session_end(room->hub->catalog, room->session_id);
    tb_sig__holds_room_closed(room);
    if (room->updates_idle) /* after the hooks above, which may have changed someone */
        g_source_remove(room->updates_idle);
    tb_relay_room_destroy(room->relay_room);
    g_ptr_array_unref(room->participants);
    g_ptr_array_unref(room->waiting);
    g_queue_clear_full(&room->chat, (GDestroyNotify)json_decref);
    g_hash_table_unref(room->bans);
    g_free(room->title);
    g_free(room->name);
    g_free(room);
}

static gboolean linger_done(gpointer data)
{
    tb_sig_room *room = data;
    room->linger_timer = 0;
    room_free(room);
    return G_SOURCE_REMOVE;
}

/* The room is empty: close it now or after rooms.empty_timeout. */
static void maybe_close(tb_sig_room *room)
{
    if (room->participants->len || room->waiting->len)
        return;
    int linger = room->hub->cfg->rooms.empty_timeout_s;
    if (room->ending || linger <= 0) {
        room_free(room);
        return;
    }
    if (!room->linger_timer)
        room->linger_timer = g_timeout_add_seconds((guint)linger, linger_done, room);
}

tb_sig_participant *tb_sig_room_add(tb_sig_room *room, tb_sig_conn *conn, const char *name,
                                    tb_sig_grant *g, bool admitted)
{
    tb_sig_participant *p = g_new0(tb_sig_participant, 1);
    g_snprintf(p->id, sizeof p->id, "p%08x", g_random_int());
    p->name = g_strdup(name);
    p->identity = g_steal_pointer(&g->identity);
    p->room = room;
    p->conn = conn;
    p->audio = p->video = true;
    p->role = p->base_role = g->role;
    p->perms = p->base_perms = g->perms;
    p->expires_s = g->exp;
    p->admitted = admitted;
    p->since_us = tb_rec_catalog_now_us();
    p->consent = -1;
    g_ptr_array_add(admitted ? room->participants : room->waiting, p);
    if (room->linger_timer) {
        g_source_remove(room->linger_timer);
        room->linger_timer = 0;
    }
    return p;
}

void tb_sig_room_enter(tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    tb_rec_catalog_attend_join(room->hub->catalog, room->session_id, p->id, p->identity, p->name,
                               tb_sig_role_name(p->role));
    tb_sig_roster_joined(p);
    NOTIFY(room->hub, admitted, p);
}

static void send_to_all(tb_sig_room *room, tb_sig_participant *except, json_t *msg)
{
    /* Serialised once for everyone. */
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if (p != except && p->conn) {
            tb_sig_roster_catch_up(p);
            tb_sig_conn_send_text(p->conn, g_strdup(text));
        }
    }
    free(text);
}

/* ---- participant_updated, coalesced ----
 * A participant's changes are announced once per main-loop turn, however many came
 * (one client toggled its microphone 54,416 times in 10 s, and every participant got
 * each). The announcement carries the state at that moment; any other broadcast to the
 * room first sends what is pending, so everyone still sees events in their order. */

static void flush_updates(tb_sig_room *room)
{
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if (!p->update_pending)
            continue;
        p->update_pending = false;
        send_to_all(room, NULL,
                    json_pack("{s:s, s:s, s:b, s:b, s:o}", "type", "participant_updated",
                              "participant_id", p->id, "audio", p->audio, "video", p->video,
                              "participant", tb_sig_participant_json(p)));
    }
}

static gboolean updates_due(gpointer data)
{
    tb_sig_room *room = data;
    room->updates_idle = 0;
    flush_updates(room);
    return G_SOURCE_REMOVE;
}

void tb_sig_participant_changed(tb_sig_participant *p)
{
    if (!p->admitted)
        return;
    tb_sig_room *room = p->room;
    p->update_pending = true;
    if (!room->updates_idle)
        room->updates_idle = g_idle_add_full(G_PRIORITY_DEFAULT, updates_due, room, NULL);
}

void tb_sig_room_broadcast(tb_sig_room *room, tb_sig_participant *except, json_t *msg)
{
    if (room->updates_idle) {
        g_source_remove(room->updates_idle);
        room->updates_idle = 0;
        flush_updates(room);
    }
    send_to_all(room, except, msg);
}

void tb_sig_room_broadcast_moderators(tb_sig_room *room, json_t *msg)
{
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if ((p->perms & TB_SIG_PERM_MODERATE) && p->conn)
            tb_sig_send(p->conn, json_deep_copy(msg));
    }
    json_decref(msg);
}

tb_sig_participant *tb_sig_room_find(tb_sig_room *room, const char *id)
{
    GPtrArray *lists[2] = {room->participants, room->waiting};
    for (int l = 0; l < 2; l++)
        for (guint i = 0; i < lists[l]->len; i++) {
            tb_sig_participant *p = g_ptr_array_index(lists[l], i);
            if (!strcmp(p->id, id))
                return p;
        }
    return NULL;
}

json_t *tb_sig_track_json(tb_relay_track *t)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", tb_relay_track_id(t), "kind",
                     tb_relay_track_kind(t) == TB_RELAY_KIND_AUDIO ? "audio" : "video", "label",
                     tb_relay_track_label(t), "codec", tb_relay_track_codec(t));
}

json_t *tb_sig_perms_json(unsigned perms)
{
    json_t *a = json_array();
    for (int i = 0; tb_sig_perm_name_at(i); i++)
        if (perms & (1u << i))
            json_array_append_new(a, json_string(tb_sig_perm_name_at(i)));
    return a;
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
    json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:b, s:b, s:{s:b, s:b, s:b}, s:o}", "id",
                          p->id, "name", p->name, "role", tb_sig_role_name(p->role), "audio",
                          p->audio, "video", p->video, "tracks", tracks, "hand", p->hand, "floor",
                          p->floor, "muted", "audio", p->mod_muted[TB_SIG_MEDIA_AUDIO], "video",
                          p->mod_muted[TB_SIG_MEDIA_VIDEO], "screen",
                          p->mod_muted[TB_SIG_MEDIA_SCREEN], "perms", tb_sig_perms_json(p->perms));
    if (p->hand)
        json_object_set_new(j, "hand_seq", json_integer(p->hand_seq));
    /* Brought on stage by a moderator (a viewer or participant speaking for now). */
    json_object_set_new(j, "on_stage", json_boolean(p->role != p->base_role));
    json_object_set_new(j, "consent", p->consent < 0 ? json_null() : json_boolean(p->consent));
    return j;
}

json_t *tb_sig_room_state_json(tb_sig_room *room)
{
    json_t *floor = json_null();
    tb_sig_participant *h = room->floor_holder;
    if (h) {
        /* No time limit: remaining_ms is null (0 would read as "expired"). */
        json_t *left = json_null();
        if (room->floor_until_us)
            left = json_integer(MAX(0, (room->floor_until_us - g_get_monotonic_time()) / 1000));
        floor = json_pack("{s:s, s:s, s:i, s:o}", "participant_id", h->id, "name", h->name,
                          "seconds", room->floor_given_s, "remaining_ms", left);
    }
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:b, s:o, s:o}", "name", room->name, "title",
                  room->title, "kind", tb_sig_kind_name(room->kind), "locked", room->locked,
                  "waiting_room", room->waiting_room, "chat", room->chat_enabled, "floor_seconds",
                  room->floor_seconds, "consent_requested", room->consent_requested, "speaker",
                  *room->speaker ? json_string(room->speaker) : json_null(), "floor", floor);
    NOTIFY(room->hub, room_state, room, j);
    return j;
}

void tb_sig_room_state_changed(tb_sig_room *room)
{
    tb_sig_room_broadcast(
        room, NULL,
        json_pack("{s:s, s:o}", "type", "room_updated", "room", tb_sig_room_state_json(room)));
}

bool tb_sig_participant_may_publish(const tb_sig_participant *p)
{
    return p->admitted && tb_sig_may_publish(p->perms, p->floor);
}

void tb_sig_participant_apply_mutes(tb_sig_participant *p)
{
    if (!p->pub)
        return;
    bool may = tb_sig_participant_may_publish(p);
    GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
    for (guint i = 0; i < ts->len; i++) {
        tb_relay_track *t = g_ptr_array_index(ts, i);
        tb_sig_media m = tb_relay_track_kind(t) == TB_RELAY_KIND_AUDIO ? TB_SIG_MEDIA_AUDIO
                         : !strcmp(tb_relay_track_label(t), "screen")  ? TB_SIG_MEDIA_SCREEN
                                                                       : TB_SIG_MEDIA_VIDEO;
        bool muted = !may || p->mod_muted[m] ||
                     (m == TB_SIG_MEDIA_SCREEN && !(p->perms & TB_SIG_PERM_SCREEN));
        tb_relay_track_set_muted(p->room->relay_room, t, muted);
    }
    g_ptr_array_unref(ts);
}

void tb_sig_room_update_subscription(tb_sig_participant *p)
{
    if (!p->admitted)
        return;
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
        p->sub =
            tb_relay_pc_create(p->room->relay_room, TB_RELAY_PC_SUBSCRIBE, p->id, &pc_events, p);
    if (p->sub && tb_relay_pc_subscribe_set(p->sub, want) && p->conn) {
        int revision = 0;
        char *sdp = tb_relay_pc_subscribe_offer(p->sub, &revision);
        if (sdp) {
            tb_sig_send(p->conn, json_pack("{s:s, s:i, s:s}", "type", "offer", "revision", revision,
                                           "sdp", sdp));
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

static void participant_free(tb_sig_participant *p)
{
    if (p->pub_failed_idle)
        g_source_remove(p->pub_failed_idle);
    if (p->conn)
        p->conn->participant = NULL;
    tb_sig_participant_text_clear(p);
    g_free(p->name);
    g_free(p->identity);
    g_free(p);
}

void tb_sig_room_remove(tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    if (!p->admitted) {
        g_ptr_array_remove(room->waiting, p);
        TB_LOG_INFO("[%s/%s] left the waiting room", room->name, p->id);
        participant_free(p);
        tb_sig_lobby_notify(room);
        maybe_close(room);
        return;
    }
    tb_sig_floor_participant_left(p);
    NOTIFY(room->hub, leaving, p);
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
    tb_rec_catalog_attend_leave(room->hub->catalog, room->session_id, p->id);
    tb_sig_room_broadcast(
        room, NULL, json_pack("{s:s, s:s}", "type", "participant_left", "participant_id", p->id));
    if (had_tracks)
        tb_sig_room_update_all(room, NULL);
    participant_free(p);
    maybe_close(room);
}

void tb_sig_room_kick(tb_sig_participant *p, json_t *event, int status)
{
    if (p->conn && event)
        tb_sig_send(p->conn, event);
    else
        json_decref(event);
    if (p->conn && status)
        tb_sig_conn_close(p->conn, status);
    tb_sig_room_remove(p);
}

void tb_sig_room_close(tb_sig_room *room, json_t *event, int status)
{
    room->ending = true;
    guint n = room->participants->len + room->waiting->len;
    if (n == 0) {
        json_decref(event);
        room_free(room);
        return;
    }
    /* Everyone is told and their connections marked closing first, so that the
     * departures below do not send a flurry of participant_left to the leavers. */
    GPtrArray *lists[2] = {room->waiting, room->participants};
    for (int l = 0; l < 2; l++)
        for (guint i = 0; i < lists[l]->len; i++) {
            tb_sig_participant *p = g_ptr_array_index(lists[l], i);
            if (p->conn && event)
                tb_sig_send(p->conn, json_deep_copy(event));
            if (p->conn && status)
                tb_sig_conn_close(p->conn, status);
        }
    json_decref(event);
    /* The last removal frees the room: count down rather than test the lists. */
    while (n-- > 0) {
        GPtrArray *list = room->waiting->len ? room->waiting : room->participants;
        tb_sig_room_remove(g_ptr_array_index(list, list->len - 1));
    }
}

void tb_sig_room_tracks_changed(tb_sig_participant *p, GPtrArray *added, GPtrArray *removed)
{
    NOTIFY(p->room->hub, tracks_changed, p, added, removed);
}

void tb_sig_room_consent_changed(tb_sig_room *room)
{
    NOTIFY(room->hub, consent_changed, room);
}

void tb_sig_hub_close_rooms(tb_sig_hub *hub)
{
    GList *rooms = g_hash_table_get_values(hub->rooms);
    for (GList *l = rooms; l; l = l->next)
        tb_sig_room_close(l->data, NULL, 0);
    g_list_free(rooms);
}
