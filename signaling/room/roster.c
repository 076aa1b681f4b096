/* roster.c — telling a room who joined, in batches.
 *
 * Announcing each arrival to everyone at once costs O(n²) messages when n people join
 * together, as they do when a hearing opens: 50 joiners meant 2,450 WebSocket messages,
 * each serialised and written on the main thread while the joins themselves waited, and
 * parsed by every browser. Arrivals are therefore queued (serialised once) and announced
 * when the main loop has nothing more urgent to do: one `participant_joined`, or one
 * `participants_joined` listing all of them, per recipient.
 *
 * Order still holds: before anything else is queued for a participant (an update about a
 * newcomer, an offer carrying its tracks, its chat), tb_sig_roster_catch_up() first gives
 * that participant the arrivals it has not heard of. Each participant remembers the
 * sequence number of the last arrival it knows; its own join snapshot covered everyone
 * before itself. */
#include "signaling/room/room.h"

#include <stdlib.h>

typedef struct {
    int64_t seq;
    char *text; /* the participant's JSON, serialised once */
} arrival;

static void arrival_free(gpointer data)
{
    arrival *a = data;
    g_free(a->text);
    g_free(a);
}

/* The message for arrivals [from, len): one text, made of the serialised participants. */
static char *message_from(GPtrArray *pending, guint from)
{
    GString *s = g_string_new(NULL);
    if (pending->len - from == 1) {
        const arrival *a = g_ptr_array_index(pending, from);
        g_string_append_printf(s, "{\"type\":\"participant_joined\",\"participant\":%s}", a->text);
        return g_string_free(s, FALSE);
    }
    g_string_append(s, "{\"type\":\"participants_joined\",\"participants\":[");
    for (guint i = from; i < pending->len; i++) {
        const arrival *a = g_ptr_array_index(pending, i);
        if (i > from)
            g_string_append_c(s, ',');
        g_string_append(s, a->text);
    }
    g_string_append(s, "]}");
    return g_string_free(s, FALSE);
}

/* Index of the first arrival p has not heard of; pending->len when none. */
static guint first_unknown(const tb_sig_room *room, const tb_sig_participant *p)
{
    guint i = 0;
    while (i < room->pending_joins->len &&
           ((const arrival *)g_ptr_array_index(room->pending_joins, i))->seq <= p->roster_seq)
        i++;
    return i;
}

void tb_sig_send_text(tb_sig_conn *c, char *text)
{
    if (c->participant)
        tb_sig_roster_catch_up(c->participant);
    tb_sig_conn_send_text(c, text);
}

void tb_sig_send(tb_sig_conn *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    tb_sig_send_text(c, g_strdup(text));
    free(text);
}

void tb_sig_roster_catch_up(tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    if (!room || !p->admitted || p->roster_seq == 0 || p->roster_seq >= room->join_seq)
        return;
    guint from = first_unknown(room, p);
    p->roster_seq = room->join_seq;
    if (from < room->pending_joins->len && p->conn)
        tb_sig_conn_send_text(p->conn, message_from(room->pending_joins, from));
}

static gboolean flush(gpointer data)
{
    tb_sig_room *room = data;
    room->roster_idle = 0;
    /* Most recipients were there before the whole batch: one text serves them all. */
    char *all = NULL;
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        if (p->roster_seq == 0 || p->roster_seq >= room->join_seq)
            continue;
        guint from = first_unknown(room, p);
        p->roster_seq = room->join_seq;
        if (from >= room->pending_joins->len || !p->conn)
            continue;
        if (from > 0) {
            tb_sig_conn_send_text(p->conn, message_from(room->pending_joins, from));
            continue;
        }
        if (!all)
            all = message_from(room->pending_joins, 0);
        tb_sig_conn_send_text(p->conn, g_strdup(all));
    }
    g_free(all);
    g_ptr_array_set_size(room->pending_joins, 0);
    return G_SOURCE_REMOVE;
}

void tb_sig_roster_joined(tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    if (!room->pending_joins)
        room->pending_joins = g_ptr_array_new_with_free_func(arrival_free);
    const char *text = tb_sig_participant_text(p);
    arrival *a = g_new0(arrival, 1);
    a->seq = ++room->join_seq;
    a->text = g_strdup(text);
    p->roster_seq = a->seq; /* its snapshot, sent just before, had everyone else */
    if (!a->text) {
        arrival_free(a);
        return;
    }
    g_ptr_array_add(room->pending_joins, a);
    /* Idle priority: the announcement waits for the burst of joins to be handled. */
    if (!room->roster_idle)
        room->roster_idle = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, flush, room, NULL);
}

void tb_sig_roster_room_closing(tb_sig_room *room)
{
    if (room->roster_idle)
        g_source_remove(room->roster_idle);
    room->roster_idle = 0;
    if (room->pending_joins)
        g_ptr_array_unref(room->pending_joins);
    room->pending_joins = NULL;
}
