/* protocol.c — signaling protocol v1 (docs/protocol.md): JSON text in, typed dispatch,
 * replies and errors out. Validation of the envelope lives here; each handler checks its
 * own fields. Every request gets exactly one reply or error. */
#define TB_LOG_CAT "sig/protocol"
#include "signaling/internal.h"
#include "signaling/recording.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct handler {
    const char *type;
    void (*fn)(tb_sig_request *r);
    bool needs_join; /* a joined session, admitted from the waiting room if the room has one */
} handler;

static void ping(tb_sig_request *r)
{
    tb_sig_reply(r->conn, json_integer_value(r->id), NULL);
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
    /* recording (recording.c checks the room's `recording` setting and permissions) */
    {"recording_start", tb_sig_recording_start_request, true},
    {"recording_stop", tb_sig_recording_stop_request, true},
};

void tb_sig_reply(tb_sig_conn *c, json_int_t id, json_t *data)
{
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("reply"));
    json_object_set_new(m, "id", json_integer(id));
    json_object_set_new(m, "data", data ? data : json_object());
    tb_sig_conn_send(c, m);
}

void tb_sig_reply_text(tb_sig_conn *c, json_int_t id, char *data)
{
    if (!data) {
        json_t *j = json_integer(id);
        tb_sig_error(c, j, "internal", "the reply could not be made");
        json_decref(j);
        return;
    }
    tb_sig_conn_send_message_text(
        c, g_strdup_printf("{\"type\":\"reply\",\"id\":%" JSON_INTEGER_FORMAT ",\"data\":%s}", id,
                           data));
    g_free(data);
}

void tb_sig_error(tb_sig_conn *c, const json_t *id, const char *code, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("error"));
    json_object_set_new(m, "id", id && json_is_integer(id) ? json_copy((json_t *)id) : json_null());
    json_object_set_new(m, "code", json_string(code));
    /* The reason may quote client input: make sure it is valid UTF-8 for jansson. */
    json_t *r = json_string(reason);
    json_object_set_new(m, "reason", r ? r : json_string("(reason not representable)"));
    tb_sig_conn_send(c, m);
}

void tb_sig_protocol_handle(tb_sig_conn *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg || !json_is_object(msg)) {
        tb_sig_error(c, NULL, "bad_json", "%s",
                     msg ? "a message must be a JSON object" : jerr.text);
        json_decref(msg);
        return;
    }
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *id = json_object_get(msg, "id");
    if (!type) {
        tb_sig_error(c, id, "bad_request", "field 'type' must be a string");
        json_decref(msg);
        return;
    }
    const handler *h = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(handlers) && !h; i++)
        if (!strcmp(handlers[i].type, type))
            h = &handlers[i];
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
        tb_sig_request r = {c, msg, id};
        h->fn(&r);
    }
    json_decref(msg);
}
