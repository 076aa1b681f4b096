/* holds.c — bans and the lock, which outlive the room's participants.
 *
 * A troll removed with a ban used to come back as soon as the room had emptied (bans
 * lived in the room's memory) or by typing another name (anonymous bans were by name
 * only). Now every ban and the lock are written to the catalog (recorder's holds table)
 * for as long as the room is open and rooms.ban_keep seconds after it closes, surviving
 * a restart; an anonymous joiner is also banned by its browser's key (the client keeps a
 * random client_key in localStorage and sends it with `join`; we keep only its SHA-256),
 * so a new name does not get it back in. Clearing the browser's storage does, as does a
 * new identity for a token holder: bans are a moderator's tool, not an identity system. */
#define TB_LOG_CAT "sig/room"
#include "signaling/room/room.h"

#include <string.h>

#define KIND_BAN  "ban"
#define KIND_LOCK "lock"

char **tb_sig_ban_keys(const char *identity, const char *name, const char *client_key)
{
    GPtrArray *k = g_ptr_array_new();
    if (identity)
        g_ptr_array_add(k, g_strconcat("id:", identity, NULL));
    else if (name)
        g_ptr_array_add(k, g_strconcat("name:", name, NULL));
    if (client_key && *client_key)
        g_ptr_array_add(k, g_strconcat("browser:", client_key, NULL));
    g_ptr_array_add(k, NULL);
    return (char **)g_ptr_array_free(k, FALSE);
}

typedef struct found {
    char **keys;
    bool banned, locked;
} found;

static void on_hold(void *user, const char *kind, const char *key)
{
    found *f = user;
    if (!strcmp(kind, KIND_LOCK))
        f->locked = true;
    for (char **k = f->keys; !strcmp(kind, KIND_BAN) && *k; k++)
        f->banned |= !strcmp(*k, key);
}

void tb_sig_room_holds(tb_sig_hub *hub, const char *name, char **keys, bool *banned, bool *locked)
{
    tb_sig_room *room = tb_sig_room_get(hub, name, false);
    if (room) {
        *banned = false;
        for (char **k = keys; *k; k++)
            *banned |= g_hash_table_contains(room->bans, *k);
        *locked = room->locked;
        return;
    }
    found f = {keys, false, false};
    tb_rec_catalog_holds_load(hub->catalog, name, tb_rec_catalog_now_us(), on_hold, &f);
    *banned = f.banned;
    *locked = f.locked;
}

void tb_sig_room_ban(tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    g_auto(GStrv) keys = tb_sig_ban_keys(p->identity, p->name, p->client_key);
    for (char **k = keys; *k; k++) {
        g_hash_table_add(room->bans, g_strdup(*k));
        tb_rec_catalog_hold_set(room->hub->catalog, room->name, KIND_BAN, *k, room->session_id);
    }
}

void tb_sig_room_set_locked(tb_sig_room *room, bool locked)
{
    room->locked = locked;
    if (locked)
        tb_rec_catalog_hold_set(room->hub->catalog, room->name, KIND_LOCK, "", room->session_id);
    else
        tb_rec_catalog_hold_clear(room->hub->catalog, room->name, KIND_LOCK, "");
}

typedef struct reopened {
    tb_sig_room *room;
    GPtrArray *kinds, *keys; /* owned strings */
} reopened;

static void collect(void *user, const char *kind, const char *key)
{
    reopened *r = user;
    g_ptr_array_add(r->kinds, g_strdup(kind));
    g_ptr_array_add(r->keys, g_strdup(key));
}

void tb_sig__holds_room_opened(tb_sig_room *room)
{
    /* Collected first, then written: rewriting rows while the query walks them would
     * meet each again (a REPLACE is a new row). */
    reopened r = {room, g_ptr_array_new_with_free_func(g_free),
                  g_ptr_array_new_with_free_func(g_free)};
    tb_rec_catalog_holds_load(room->hub->catalog, room->name, tb_rec_catalog_now_us(), collect, &r);
    for (guint i = 0; i < r.kinds->len; i++) {
        const char *kind = g_ptr_array_index(r.kinds, i), *key = g_ptr_array_index(r.keys, i);
        if (!strcmp(kind, KIND_LOCK))
            room->locked = true;
        else if (!strcmp(kind, KIND_BAN))
            g_hash_table_add(room->bans, g_strdup(key));
        /* Open-ended again while this session runs. */
        tb_rec_catalog_hold_set(room->hub->catalog, room->name, kind, key, room->session_id);
    }
    g_ptr_array_unref(r.kinds);
    g_ptr_array_unref(r.keys);
    if (room->locked || g_hash_table_size(room->bans))
        TB_LOG_INFO("[%s] %u ban(s)%s kept from an earlier session", room->name,
                    g_hash_table_size(room->bans), room->locked ? " and the lock" : "");
}

void tb_sig__holds_room_closed(tb_sig_room *room)
{
    int64_t keep = (int64_t)room->hub->cfg->rooms.ban_keep_s * G_USEC_PER_SEC;
    tb_rec_catalog_holds_release(room->hub->catalog, room->name, tb_rec_catalog_now_us() + keep);
}
