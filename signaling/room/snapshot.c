/* snapshot.c — what a participant is told about the people in its room, from each
 * participant's JSON kept serialised.
 *
 * A join is answered with everyone present (tb_sig_room_snapshot_text). Building every
 * participant's JSON anew for it cost ~12 µs per participant (a jansson object per field,
 * then serialised): 2.4 ms per join in a room of 200, on the main thread, while the other
 * joiners of a burst waited their turn. Each participant's serialised JSON is therefore
 * kept together with the fields it was made from, and reused while they compare equal;
 * the snapshot is spliced from those texts. Comparing the fields, rather than clearing the
 * text wherever one changes, means no change can leave a stale text behind. */
#include "signaling/room/room.h"

#include <stdlib.h>
#include <string.h>

/* Everything tb_sig_participant_json() reads, except what never changes (id, name). */
static void current_key(const tb_sig_participant *p, tb_sig_participant_key *k, GString *tracks)
{
    memset(k, 0, sizeof *k); /* padding too: keys are compared with memcmp */
    k->role = p->role;
    k->base_role = p->base_role;
    k->perms = p->perms;
    k->hand_seq = p->hand ? p->hand_seq : 0;
    k->consent = p->consent;
    k->audio = p->audio;
    k->video = p->video;
    k->hand = p->hand;
    k->floor = p->floor;
    memcpy(k->mod_muted, p->mod_muted, sizeof k->mod_muted);
    g_string_truncate(tracks, 0);
    if (p->pub) {
        GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
        for (guint i = 0; i < ts->len; i++) {
            tb_relay_track *t = g_ptr_array_index(ts, i);
            g_string_append_printf(tracks, "%s|%s|%s|%d;", tb_relay_track_id(t),
                                   tb_relay_track_label(t), tb_relay_track_codec(t),
                                   (int)tb_relay_track_kind(t));
        }
        g_ptr_array_unref(ts);
    }
}

const char *tb_sig_participant_text(tb_sig_participant *p)
{
    tb_sig_participant_key k;
    GString *tracks = g_string_new(NULL);
    current_key(p, &k, tracks);
    if (p->json_text && !memcmp(&k, &p->json_key, sizeof k) && p->json_tracks &&
        !strcmp(tracks->str, p->json_tracks)) {
        g_string_free(tracks, TRUE);
        return p->json_text;
    }
    json_t *j = tb_sig_participant_json(p);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    g_free(p->json_text);
    g_free(p->json_tracks);
    p->json_text = text ? g_strdup(text) : NULL;
    free(text);
    p->json_tracks = g_string_free(tracks, FALSE);
    p->json_key = k;
    return p->json_text;
}

void tb_sig_participant_text_clear(tb_sig_participant *p)
{
    g_clear_pointer(&p->json_text, g_free);
    g_clear_pointer(&p->json_tracks, g_free);
}

char *tb_sig_room_snapshot_text(tb_sig_participant *p, const char *type)
{
    tb_sig_room *room = p->room;
    /* TURN credentials, fresh on every join and rejoin, for the token's identity. */
    json_t *ice = tb_sig_turn_ice_servers(&room->hub->cfg->turn, p->identity ? p->identity : p->id,
                                          g_get_real_time() / G_USEC_PER_SEC);
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:o, s:o}", "participant_id", p->id, "room",
                  room->name, "name", p->name, "role", tb_sig_role_name(p->role), "perms",
                  tb_sig_perms_json(p->perms), "waiting", false, "ice_servers", ice, "room_state",
                  tb_sig_room_state_json(room), "chat", tb_sig_chat_history(room));
    if (!d)
        return NULL;
    if (type)
        json_object_set_new(d, "type", json_string(type));
    if (p->perms & TB_SIG_PERM_MODERATE)
        json_object_set_new(d, "lobby", tb_sig_lobby_json(room));
    /* The kinds a moderator may switch the room to: the client keeps no list of its own. */
    json_t *kinds = json_array();
    for (const char *const *k = tb_sig_kind_names(); *k; k++)
        json_array_append_new(kinds, json_string(*k));
    json_object_set_new(d, "kinds", kinds);
    char *head = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    const char *self = tb_sig_participant_text(p);
    if (!head || !self) {
        free(head);
        return NULL;
    }
    /* `head` is a non-empty object: drop its closing brace and go on with more members. */
    GString *s = g_string_new(head);
    free(head);
    g_string_truncate(s, s->len - 1);
    g_string_append(s, ",\"self\":");
    g_string_append(s, self);
    g_string_append(s, ",\"participants\":[");
    bool first = true;
    for (guint i = 0; i < room->participants->len; i++) {
        tb_sig_participant *o = g_ptr_array_index(room->participants, i);
        const char *t = o != p ? tb_sig_participant_text(o) : NULL;
        if (!t)
            continue;
        if (!first)
            g_string_append_c(s, ',');
        g_string_append(s, t);
        first = false;
    }
    g_string_append(s, "]}");
    return g_string_free(s, FALSE);
}
