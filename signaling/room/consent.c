/* consent.c — consent to recording. A consultation may be recorded only when every
 * participant agreed: a moderator asks (`consent_request`), each client asks its user
 * and answers (`consent`), every answer goes to the audit log, and
 * tb_sig_room_consent_ok() tells the recording code whether it may start. Outside
 * consultations consent is not needed, though a moderator may still ask for it. */
#define TB_LOG_CAT "sig/consent"
#include "signaling/room/requests.h"

#include <stdio.h>

void tb_sig_consent_set(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    json_t *v = json_object_get(r->msg, "recording");
    if (!json_is_boolean(v)) {
        tb_sig_fail(r, "bad_request", "field 'recording' must be a boolean");
        return;
    }
    int consent = json_is_true(v) ? 1 : 0;
    if (consent == p->consent) { /* said again: nothing to record or tell */
        tb_sig_ok(r, NULL);
        return;
    }
    p->consent = consent;
    tb_sig_audit(p->room, p, p->consent ? "consent_given" : "consent_refused", p, NULL);
    tb_sig_ok(r, NULL);
    tb_sig_participant_changed(p);
    tb_sig_room_consent_changed(p->room);
}

void tb_sig_consent_request(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "asking for recording consent"))
        return;
    tb_sig_room *room = me->room;
    room->consent_requested = true;
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        p->consent = -1;
    }
    tb_sig_audit(room, me, "consent_request", NULL, NULL);
    tb_sig_ok(r, NULL);
    /* Everyone's consent is asked for again: a consultation's recording stops until
     * they all have given it. */
    tb_sig_room_consent_changed(room);
    tb_sig_room_broadcast(room, NULL,
                          json_pack("{s:s, s:s}", "type", "consent_request", "by_name", me->name));
    tb_sig_room_state_changed(room);
}

bool tb_sig_room_consent_ok(tb_sig_room *room, char *why, size_t whylen)
{
    if (room->kind != TB_SIG_KIND_CONSULTATION)
        return true;
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if (p->consent != 1) {
            snprintf(why, whylen, "'%s' has %s recording", p->name,
                     p->consent == 0 ? "refused" : "not yet agreed to");
            return false;
        }
    }
    return true;
}
