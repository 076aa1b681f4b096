/* expiry.c — a join token's expiry holds for the whole session, not only at join: a
 * participant whose token expires is warned EXPIRY_WARN_S seconds before
 * (`session_expiring`) and then removed (`expired`, close 4005), as the token would no
 * longer let it in. A client that wants to stay rejoins with a fresh link. Checked every
 * EXPIRY_CHECK_S seconds on the main thread. */
#define TB_LOG_CAT "sig/room"
#include "signaling/room/room.h"

#include <string.h>

#define EXPIRY_CHECK_S 2
#define EXPIRY_WARN_S  300

static void check_room(tb_sig_room *room, int64_t now_s)
{
    GPtrArray *lists[2] = {room->participants, room->waiting};
    GPtrArray *gone = g_ptr_array_new();
    for (int l = 0; l < 2; l++)
        for (guint i = 0; i < lists[l]->len; i++) {
            tb_sig_participant *p = g_ptr_array_index(lists[l], i);
            if (!p->expires_s)
                continue;
            if (now_s >= p->expires_s) {
                g_ptr_array_add(gone, p);
            } else if (!p->expiry_warned && p->expires_s - now_s <= EXPIRY_WARN_S && p->conn) {
                p->expiry_warned = true;
                tb_sig_send(p->conn, json_pack("{s:s, s:I}", "type", "session_expiring", "seconds",
                                               (json_int_t)(p->expires_s - now_s)));
            }
        }
    /* Removing the last one may close (and free) the room: it is not touched after. */
    for (guint i = 0; i < gone->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(gone, i);
        TB_LOG_INFO("[%s/%s] its token expired: removed", room->name, p->id);
        tb_sig_room_kick(p, json_pack("{s:s}", "type", "expired"), TB_SIG_CLOSE_EXPIRED);
    }
    g_ptr_array_unref(gone);
}

static gboolean check(gpointer data)
{
    tb_sig_hub *hub = data;
    int64_t now_s = g_get_real_time() / G_USEC_PER_SEC;
    GList *rooms = g_hash_table_get_values(hub->rooms);
    for (GList *l = rooms; l; l = l->next)
        check_room(l->data, now_s);
    g_list_free(rooms);
    return G_SOURCE_CONTINUE;
}

guint tb_sig__expiry_start(tb_sig_hub *hub)
{
    return g_timeout_add_seconds(EXPIRY_CHECK_S, check, hub);
}
