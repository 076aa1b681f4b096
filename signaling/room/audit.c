/* audit.c — the moderators' audit log: every action a moderator takes (and what the
 * server does by itself, such as a floor running out) goes to the log and to the
 * session's audit table in the catalog, with the target's name, role and identity, so
 * that the official record says who did what to whom and when. */
#define TB_LOG_CAT "sig/audit"
#include "signaling/room/room.h"

#include <stdlib.h>

void tb_sig_audit(tb_sig_room *room, tb_sig_participant *actor, const char *action,
                  tb_sig_participant *target, json_t *detail)
{
    if (!detail)
        detail = json_object();
    if (target) {
        json_object_set_new(detail, "target_name", json_string(target->name));
        json_object_set_new(detail, "target_role", json_string(tb_sig_role_name(target->role)));
        if (target->identity)
            json_object_set_new(detail, "target_identity", json_string(target->identity));
    }
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    TB_LOG_INFO("[%s] %s by %s%s%s: %s", room->name, action, actor ? actor->id : "server",
                target ? " on " : "", target ? target->id : "", text ? text : "");
    tb_rec_catalog_audit(room->hub->catalog, room->session_id, actor ? actor->id : NULL,
                         actor ? actor->name : "server", action, target ? target->id : NULL, text);
    free(text);
}
