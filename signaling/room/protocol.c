/* protocol.c — signaling protocol v1 (docs/protocol.md): JSON text in, typed dispatch
 * to one handler per request type. Validation of the envelope lives here; each handler
 * checks its own fields. Every request gets exactly one reply or error.
 *
 * The room's own request types are in the table below; modules above room/ add theirs
 * with tb_sig_hub_add_requests (recording/ adds recording_start and recording_stop).
 *
 * Rate limits, per connection ([limits]): every request spends a token of one bucket
 * (messages_per_second, bursts of twice that), and the toggles that everyone in the room
 * hears of (media, hand, consent) one of a second (toggles_per_second): one client sent
 * 54,416 `media` toggles in 10 s, and every participant got each. A request over its
 * rate is answered `rate_limited`; a client that goes on sending while refused is
 * disconnected. */
#define TB_LOG_CAT "sig/protocol"
#include "signaling/room/requests.h"
#include "common/tb_time.h"

#include <string.h>

enum { RATE_ALL = 0, RATE_TOGGLES = 1 };

/* Requests refused in a row, in multiples of the burst, before the connection goes. */
#define REFUSED_BURSTS 4

/* The requests whose effect is broadcast to the whole room (and that a client can
 * repeat at no cost): the toggles. */
static bool is_toggle(const char *type)
{
    return !strcmp(type, "media") || !strcmp(type, "hand") || !strcmp(type, "consent");
}

typedef tb_sig_handler handler;

/* A table added by another module. */
struct hub_requests {
    const handler *table;
    size_t n;
    void *user;
};

static void ping(tb_sig_request *r)
{
    tb_sig_ok(r, NULL);
}

static const handler handlers[] = {
    {"join", tb_sig_session_join, false},
    {"publish", tb_sig_session_publish, true},
    {"answer", tb_sig_session_answer, true},
    {"candidate", tb_sig_session_candidate, true},
    {"media", tb_sig_session_media, true},
    {"keyframe", tb_sig_session_keyframe, true},
    {"ping", ping, false},
    {"leave", tb_sig_session_leave, false},
    {"unpublish", tb_sig_session_unpublish, true},
    {"hand", tb_sig_floor_hand, true},
    {"chat", tb_sig_chat_send, true},
    {"consent", tb_sig_consent_set, true},
    /* moderators (each handler checks the `moderate` permission) */
    {"mute", tb_sig_mod_mute, true},
    {"ask_unmute", tb_sig_mod_ask_unmute, true},
    {"remove", tb_sig_mod_remove, true},
    {"revoke", tb_sig_mod_revoke, true},
    {"lock", tb_sig_mod_lock, true},
    {"room_set", tb_sig_mod_room_set, true},
    {"stage", tb_sig_mod_stage, true},
    {"end", tb_sig_mod_end, true},
    {"admit", tb_sig_lobby_admit, true},
    {"deny", tb_sig_lobby_deny, true},
    {"floor_give", tb_sig_floor_give, true},
    {"floor_take", tb_sig_floor_take, true},
    {"hand_lower", tb_sig_floor_hand_lower, true},
    {"chat_delete", tb_sig_chat_delete, true},
    {"consent_request", tb_sig_consent_request, true},
    {"export", tb_sig_export_request, true},
};

void tb_sig_hub_add_requests(tb_sig_hub *hub, const tb_sig_handler *table, size_t n, void *user)
{
    struct hub_requests t = {table, n, user};
    if (!hub->requests)
        hub->requests = g_array_new(FALSE, TRUE, sizeof t);
    g_array_append_val(hub->requests, t);
}

/* The handler of `type`, and the user pointer of its table. */
static const handler *find(tb_sig_hub *hub, const char *type, void **user)
{
    *user = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++)
        if (!strcmp(handlers[i].type, type))
            return &handlers[i];
    for (guint t = 0; hub->requests && t < hub->requests->len; t++) {
        const struct hub_requests *hr = &g_array_index(hub->requests, struct hub_requests, t);
        for (size_t i = 0; i < hr->n; i++)
            if (!strcmp(hr->table[i].type, type)) {
                *user = hr->user;
                return &hr->table[i];
            }
    }
    return NULL;
}

/* Spends the request's tokens; false (and answered) when it is over its rate. */
static bool within_rate(tb_sig_hub *hub, tb_sig_conn *c, const char *type, json_t *id)
{
    const tb_config_limits *lim = &hub->cfg->limits;
    int64_t now = tb_time_mono_us();
    double all = lim->messages_per_second, toggles = lim->toggles_per_second;
    bool ok = tb_rate_take(&c->rate[RATE_ALL], all, 2 * all, now);
    if (ok && is_toggle(type))
        ok = tb_rate_take(&c->rate[RATE_TOGGLES], toggles, 2 * toggles, now);
    if (ok) {
        c->refused = 0;
        return true;
    }
    if (++c->refused > REFUSED_BURSTS * 2 * (unsigned)lim->messages_per_second) {
        TB_LOG_WARN("%s: still flooding after %u refused requests: disconnecting", c->peer,
                    c->refused);
        tb_sig_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
        return false;
    }
    if (c->refused == 1)
        TB_LOG_INFO("%s: requests over their rate ('%.32s')", c->peer, type);
    tb_sig_error(c, id, "rate_limited", "too many '%.32s' requests: slow down", type);
    return false;
}

void tb_sig_protocol_handle(tb_sig_hub *hub, tb_sig_conn *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg || !json_is_object(msg)) {
        if (within_rate(hub, c, "(not JSON)", NULL))
            tb_sig_error(c, NULL, "bad_json", "%s",
                         msg ? "a message must be a JSON object" : jerr.text);
        json_decref(msg);
        return;
    }
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *id = json_object_get(msg, "id");
    if (!within_rate(hub, c, type ? type : "(no type)", id)) {
        json_decref(msg);
        return;
    }
    if (!type) {
        tb_sig_error(c, id, "bad_request", "field 'type' must be a string");
        json_decref(msg);
        return;
    }
    void *user = NULL;
    const handler *h = find(hub, type, &user);
    if (!h) {
        tb_sig_error(c, id, "unknown_type", "unknown message type '%.64s'", type);
    } else if (!json_is_integer(id) || json_integer_value(id) < 0) {
        tb_sig_error(c, NULL, "bad_request", "field 'id' must be a non-negative integer");
    } else if (h->needs_join && !c->participant) {
        tb_sig_error(c, id, "not_joined", "'%s' needs a joined session: send 'join' first", type);
    } else if (h->needs_join && !c->participant->admitted) {
        tb_sig_error(c, id, "waiting",
                     "'%s' is not possible in the waiting room: a moderator "
                     "will admit you",
                     type);
    } else {
        tb_sig_request r = {hub, c, msg, id, user};
        h->fn(&r);
    }
    json_decref(msg);
}
