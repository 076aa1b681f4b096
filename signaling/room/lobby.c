/* lobby.c — the waiting room. In a room with one (consultations by default), whoever
 * joins without the `moderate` permission waits, receiving nothing and seeing nobody,
 * until a moderator admits or denies them. Unlike Jitsi's lobby it cannot be bypassed
 * by arriving before the moderator: the server holds joiners whether or not a
 * moderator is present, and only a moderator's `admit` lets anyone in. */
#define TB_LOG_CAT "sig/lobby"
#include "signaling/room/requests.h"

#include <string.h>

json_t *tb_sig_lobby_json(tb_sig_room *room)
{
    json_t *a = json_array();
    for (guint i = 0; i < room->waiting->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->waiting, i);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:b}", "id", p->id, "name",
                                           p->name, "role", tb_sig_role_name(p->role), "since",
                                           (json_int_t)(p->since_us / 1000), "anonymous",
                                           p->identity == NULL));
    }
    return a;
}

void tb_sig_lobby_notify(tb_sig_room *room)
{
    tb_sig_room_broadcast_moderators(
        room, json_pack("{s:s, s:o}", "type", "lobby", "waiting", tb_sig_lobby_json(room)));
}

void tb_sig_lobby_admit_participant(tb_sig_participant *p, tb_sig_participant *by)
{
    tb_sig_room *room = p->room;
    g_ptr_array_remove(room->waiting, p);
    p->admitted = true;
    p->since_us = tb_rec_catalog_now_us();
    g_ptr_array_add(room->participants, p);
    TB_LOG_INFO("[%s/%s] admitted by %s", room->name, p->id, by ? by->id : "server");
    tb_sig_audit(room, by, "admit", p, NULL);
    if (p->conn) {
        char *ev = tb_sig_room_snapshot_text(p, "admitted");
        if (ev)
            tb_sig_send_text(p->conn, ev);
    }
    tb_sig_room_enter(p);
    tb_sig_room_update_subscription(p);
    tb_sig_lobby_notify(room);
}

/* The waiting participant named by the request; NULL when an error was sent. */
static tb_sig_participant *waiting_target(tb_sig_request *r)
{
    tb_sig_participant *t = tb_sig_target(r);
    if (t && t->admitted) {
        tb_sig_fail(r, "wrong_state", "'%s' is not in the waiting room", t->name);
        return NULL;
    }
    return t;
}

void tb_sig_lobby_admit(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "admitting from the waiting room"))
        return;
    json_t *all = json_object_get(r->msg, "all");
    if (all && !json_is_boolean(all)) {
        tb_sig_fail(r, "bad_request", "field 'all' must be a boolean");
        return;
    }
    tb_sig_room *room = me->room;
    if (json_is_true(all)) {
        tb_sig_ok(r, NULL);
        while (room->waiting->len)
            tb_sig_lobby_admit_participant(g_ptr_array_index(room->waiting, 0), me);
        return;
    }
    tb_sig_participant *t = waiting_target(r);
    if (!t)
        return;
    tb_sig_ok(r, NULL);
    tb_sig_lobby_admit_participant(t, me);
}

void tb_sig_lobby_deny(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "denying entry"))
        return;
    tb_sig_participant *t = waiting_target(r);
    if (!t)
        return;
    tb_sig_audit(me->room, me, "deny", t, NULL);
    tb_sig_ok(r, NULL);
    tb_sig_room_kick(t, json_pack("{s:s, s:s}", "type", "denied", "by_name", me->name),
                     TB_SIG_CLOSE_DENIED);
}
