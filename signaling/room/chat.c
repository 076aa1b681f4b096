/* chat.c — the room's text chat. Messages are stored with the session in the catalog
 * (kept for the record, deleted ones included, with who deleted them) and the last
 * CHAT_HISTORY are held in memory for people who join later. Moderators delete
 * messages; each sender is rate-limited by a token bucket. */
#define TB_LOG_CAT "sig/chat"
#include "signaling/room/requests.h"
#include "common/tb_error.h"
#include "common/tb_time.h"

#include <string.h>

#define CHAT_HISTORY    100
#define CHAT_MAX_CHARS  2000
#define CHAT_BURST      10.0 /* messages at once */
#define CHAT_PER_SECOND 1.0

/* 1..CHAT_MAX_CHARS characters; newlines and tabs allowed, other controls not. */
static bool valid_text(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL))
        return false;
    glong n = g_utf8_strlen(s, -1);
    if (n < 1 || n > CHAT_MAX_CHARS)
        return false;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) && c != '\n' && c != '\t')
            return false;
    }
    return true;
}

void tb_sig_chat_send(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    tb_sig_room *room = p->room;
    if (!tb_sig_require(r, TB_SIG_PERM_CHAT, "writing in the chat"))
        return;
    if (!room->chat_enabled && !(p->perms & TB_SIG_PERM_MODERATE)) {
        tb_sig_fail(r, "forbidden", "the chat is switched off in this meeting");
        return;
    }
    const char *raw = tb_sig_str_field(r, "text", CHAT_MAX_CHARS * 4);
    if (!raw)
        return;
    g_autofree char *text = g_strstrip(g_strdup(raw));
    if (!valid_text(text)) {
        tb_sig_fail(r, "bad_request",
                    "field 'text': 1-%d characters, no control "
                    "characters but newlines",
                    CHAT_MAX_CHARS);
        return;
    }
    if (!tb_rate_take(&p->chat_rate, CHAT_PER_SECOND, CHAT_BURST, tb_time_mono_us())) {
        tb_sig_fail(r, "rate_limited", "too many messages: wait a moment");
        return;
    }
    static int64_t unstored = 0; /* ids for messages the catalog failed to store */
    int64_t id = 0;
    if (tb_rec_catalog_chat_add(room->hub->catalog, room->session_id, p->id, p->name, text, &id))
        id = --unstored;
    json_t *msg =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)id, "participant_id", p->id,
                  "name", p->name, "role", tb_sig_role_name(p->role), "text", text, "at",
                  (json_int_t)(g_get_real_time() / 1000));
    g_queue_push_tail(&room->chat, json_incref(msg));
    while (g_queue_get_length(&room->chat) > CHAT_HISTORY)
        json_decref(g_queue_pop_head(&room->chat));
    tb_sig_ok(r, json_pack("{s:I}", "message_id", (json_int_t)id));
    tb_sig_room_broadcast(room, NULL, json_pack("{s:s, s:o}", "type", "chat", "message", msg));
}

void tb_sig_chat_delete(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    tb_sig_room *room = me->room;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "deleting chat messages"))
        return;
    json_t *idv = json_object_get(r->msg, "message_id");
    if (!json_is_integer(idv)) {
        tb_sig_fail(r, "bad_request", "field 'message_id' must be an integer");
        return;
    }
    int64_t id = (int64_t)json_integer_value(idv);
    json_t *found = NULL;
    for (GList *l = room->chat.head; l && !found; l = l->next)
        if (json_integer_value(json_object_get(l->data, "id")) == id)
            found = l->data;
    int rc = id > 0 ? tb_rec_catalog_chat_delete(room->hub->catalog, room->session_id, id, me->id)
                    : TB_ENOTFOUND;
    if (!found && rc != TB_OK) {
        tb_sig_fail(r, "not_found", "no message %lld in this meeting", (long long)id);
        return;
    }
    json_t *detail = json_pack("{s:I}", "message_id", (json_int_t)id);
    if (found) {
        json_object_set(detail, "text", json_object_get(found, "text"));
        json_object_set(detail, "sender_name", json_object_get(found, "name"));
        g_queue_remove(&room->chat, found);
        json_decref(found);
    }
    tb_sig_audit(room, me, "chat_delete", NULL, detail);
    tb_sig_ok(r, NULL);
    tb_sig_room_broadcast(room, NULL,
                          json_pack("{s:s, s:I, s:s}", "type", "chat_deleted", "message_id",
                                    (json_int_t)id, "by_name", me->name));
}

json_t *tb_sig_chat_history(tb_sig_room *room)
{
    json_t *a = json_array();
    for (GList *l = room->chat.head; l; l = l->next)
        json_array_append(a, l->data);
    return a;
}
