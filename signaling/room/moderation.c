/* moderation.c — what moderators do to others: mute (enforced at the relay, whose
 * forwarding of that media stops), ask to unmute, remove and ban, lock the room,
 * change its settings, bring a viewer on stage and back, end the meeting for all.
 *
 * Each request checks the `moderate` permission itself (permissions can change during
 * a meeting), answers its sender, tells the others, and writes the action to the
 * session's audit log in the catalog. */
#define TB_LOG_CAT "sig/moderation"
#include "signaling/room/requests.h"

#include <string.h>

static bool parse_media(tb_sig_request *r, tb_sig_media *out)
{
    const char *kind = tb_sig_str_field(r, "kind", 16);
    if (!kind)
        return false;
    if (!strcmp(kind, "audio"))
        *out = TB_SIG_MEDIA_AUDIO;
    else if (!strcmp(kind, "video"))
        *out = TB_SIG_MEDIA_VIDEO;
    else if (!strcmp(kind, "screen"))
        *out = TB_SIG_MEDIA_SCREEN;
    else {
        tb_sig_fail(r, "bad_request", "field 'kind': audio, video or screen");
        return false;
    }
    return true;
}

static const char *media_name(tb_sig_media m)
{
    return m == TB_SIG_MEDIA_AUDIO ? "audio" : m == TB_SIG_MEDIA_VIDEO ? "video" : "screen";
}

/* The admitted participant a moderator acts on; NULL when an error was sent. */
static tb_sig_participant *mod_target(tb_sig_request *r, const char *what)
{
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, what))
        return NULL;
    tb_sig_participant *t = tb_sig_target(r);
    if (t && !t->admitted) {
        tb_sig_fail(r, "wrong_state",
                    "'%s' is in the waiting room: admit or deny "
                    "them",
                    t->name);
        return NULL;
    }
    return t;
}

static void send_unmute_request(tb_sig_participant *t, tb_sig_participant *by, tb_sig_media m)
{
    if (t->conn)
        tb_sig_send(t->conn, json_pack("{s:s, s:s, s:s, s:s}", "type", "unmute_request", "kind",
                                       media_name(m), "by", by->id, "by_name", by->name));
}

void tb_sig_mod_mute(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    tb_sig_participant *t = mod_target(r, "muting others");
    tb_sig_media m;
    bool muted;
    if (!t || !parse_media(r, &m) || !tb_sig_opt_bool(r, "muted", true, &muted))
        return;
    bool changed = t->mod_muted[m] != muted;
    t->mod_muted[m] = muted;
    tb_sig_participant_apply_mutes(t);
    tb_sig_audit(t->room, me, muted ? "mute" : "unmute", t,
                 json_pack("{s:s}", "kind", media_name(m)));
    tb_sig_ok(r, NULL);
    if (changed)
        tb_sig_participant_changed(t);
    /* Lifting a mute does not switch anyone's microphone on: it asks them to. */
    if (!muted)
        send_unmute_request(t, me, m);
}

void tb_sig_mod_ask_unmute(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    tb_sig_participant *t = mod_target(r, "asking to unmute");
    tb_sig_media m;
    if (!t || !parse_media(r, &m))
        return;
    tb_sig_audit(t->room, me, "ask_unmute", t, json_pack("{s:s}", "kind", media_name(m)));
    tb_sig_ok(r, NULL);
    send_unmute_request(t, me, m);
}

void tb_sig_mod_remove(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "removing others"))
        return;
    tb_sig_participant *t = tb_sig_target(r);
    bool ban;
    if (!t || !tb_sig_opt_bool(r, "ban", false, &ban))
        return;
    json_t *reason = json_object_get(r->msg, "reason");
    if (reason && (!json_is_string(reason) || g_utf8_strlen(json_string_value(reason), -1) > 200)) {
        tb_sig_fail(r, "bad_request",
                    "field 'reason': a string of at most 200 "
                    "characters");
        return;
    }
    if (t == me) {
        tb_sig_fail(r, "bad_request", "to remove yourself, send 'leave'");
        return;
    }
    tb_sig_room *room = t->room;
    if (ban)
        tb_sig_room_ban(t);
    json_t *detail = json_pack("{s:b}", "ban", ban);
    if (reason)
        json_object_set(detail, "reason", reason);
    tb_sig_audit(room, me, ban ? "ban" : "remove", t, detail);
    tb_sig_ok(r, NULL);
    json_t *ev = json_pack("{s:s, s:b, s:s}", "type", "removed", "ban", ban, "by_name", me->name);
    if (reason)
        json_object_set(ev, "reason", reason);
    tb_sig_room_kick(t, ev, TB_SIG_CLOSE_REMOVED);
}

void tb_sig_mod_revoke(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "revoking an identity"))
        return;
    const char *identity = tb_sig_str_field(r, "identity", 256);
    if (!identity)
        return;
    if (!*identity || (me->identity && !strcmp(identity, me->identity))) {
        tb_sig_fail(r, "bad_request", "field 'identity': someone else's identity");
        return;
    }
    tb_sig_room *room = me->room;
    g_autofree char *key = g_strconcat("id:", identity, NULL);
    g_hash_table_add(room->bans, g_strdup(key));
    tb_rec_catalog_hold_set(room->hub->catalog, room->name, "ban", key, room->session_id);
    tb_sig_audit(room, me, "revoke", NULL, json_pack("{s:s}", "identity", identity));
    /* Every live session of that identity ends now; its tokens no longer let it in. */
    GPtrArray *gone = g_ptr_array_new();
    GPtrArray *lists[2] = {room->participants, room->waiting};
    for (int l = 0; l < 2; l++)
        for (guint i = 0; i < lists[l]->len; i++) {
            tb_sig_participant *p = g_ptr_array_index(lists[l], i);
            if (p->identity && !strcmp(p->identity, identity))
                g_ptr_array_add(gone, p);
        }
    tb_sig_ok(r, json_pack("{s:i}", "removed", (int)gone->len));
    for (guint i = 0; i < gone->len; i++)
        tb_sig_room_kick(g_ptr_array_index(gone, i),
                         json_pack("{s:s, s:b, s:b, s:s}", "type", "removed", "ban", true,
                                   "revoked", true, "by_name", me->name),
                         TB_SIG_CLOSE_REMOVED);
    g_ptr_array_unref(gone);
}

void tb_sig_mod_lock(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    bool locked;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "locking the room") ||
        !tb_sig_opt_bool(r, "locked", true, &locked))
        return;
    tb_sig_room_set_locked(me->room, locked);
    tb_sig_audit(me->room, me, locked ? "lock" : "unlock", NULL, NULL);
    tb_sig_ok(r, NULL);
    tb_sig_room_state_changed(me->room);
}

/* Validates every field of room_set before changing anything. */
typedef struct room_changes {
    int kind;          /* -1 = unchanged */
    int waiting_room;  /* -1 = unchanged */
    int chat;          /* -1 = unchanged */
    int floor_seconds; /* 0 = unchanged */
    const char *title; /* NULL = unchanged */
} room_changes;

static bool parse_room_changes(tb_sig_request *r, room_changes *ch)
{
    *ch = (room_changes){-1, -1, -1, 0, NULL};
    json_t *v;
    if ((v = json_object_get(r->msg, "kind"))) {
        tb_sig_kind k;
        if (!json_is_string(v) || tb_sig_kind_parse(json_string_value(v), &k)) {
            tb_sig_fail(r, "bad_request",
                        "field 'kind': consultation, roundtable, "
                        "hearing, telebridge or conference");
            return false;
        }
        ch->kind = (int)k;
    }
    const char *flags[] = {"waiting_room", "chat"};
    int *dst[] = {&ch->waiting_room, &ch->chat};
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(r->msg, flags[i]))) {
            if (!json_is_boolean(v)) {
                tb_sig_fail(r, "bad_request", "field '%s' must be a boolean", flags[i]);
                return false;
            }
            *dst[i] = json_is_true(v);
        }
    if ((v = json_object_get(r->msg, "floor_seconds"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 5 || json_integer_value(v) > 36000) {
            tb_sig_fail(r, "bad_request", "field 'floor_seconds': 5..36000");
            return false;
        }
        ch->floor_seconds = (int)json_integer_value(v);
    }
    if ((v = json_object_get(r->msg, "title"))) {
        const char *t = json_string_value(v);
        glong n = t && g_utf8_validate(t, -1, NULL) ? g_utf8_strlen(t, -1) : -1;
        if (n < 1 || n > 120) {
            tb_sig_fail(r, "bad_request", "field 'title': 1-120 characters");
            return false;
        }
        ch->title = t;
    }
    return true;
}

void tb_sig_mod_room_set(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    room_changes ch;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "changing the room's settings") ||
        !parse_room_changes(r, &ch))
        return;
    tb_sig_room *room = me->room;
    json_t *detail = json_object();
    if (ch.kind >= 0) {
        room->kind = (tb_sig_kind)ch.kind;
        json_object_set_new(detail, "kind", json_string(tb_sig_kind_name(room->kind)));
    }
    if (ch.waiting_room >= 0) {
        room->waiting_room = ch.waiting_room;
        json_object_set_new(detail, "waiting_room", json_boolean(ch.waiting_room));
    }
    if (ch.chat >= 0) {
        room->chat_enabled = ch.chat;
        json_object_set_new(detail, "chat", json_boolean(ch.chat));
    }
    if (ch.floor_seconds) {
        room->floor_seconds = ch.floor_seconds;
        json_object_set_new(detail, "floor_seconds", json_integer(ch.floor_seconds));
    }
    if (ch.title) {
        g_free(room->title);
        room->title = g_strdup(ch.title);
        json_object_set_new(detail, "title", json_string(ch.title));
    }
    tb_sig_audit(room, me, "room_set", NULL, detail);
    tb_sig_ok(r, NULL);
    /* A room made a consultation mid-meeting may go on being recorded only with
     * everyone's consent. */
    if (ch.kind >= 0)
        tb_sig_room_consent_changed(room);
    tb_sig_room_state_changed(room);
    /* Without a waiting room, whoever waits comes in. */
    while (!room->waiting_room && room->waiting->len)
        tb_sig_lobby_admit_participant(g_ptr_array_index(room->waiting, 0), me);
}

void tb_sig_mod_stage(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    tb_sig_participant *t = mod_target(r, "bringing someone on stage");
    bool on;
    if (!t || !tb_sig_opt_bool(r, "on", true, &on))
        return;
    if (on) {
        t->role = TB_SIG_ROLE_SPEAKER;
        t->perms = tb_sig_role_perms(TB_SIG_ROLE_SPEAKER) |
                   (t->base_perms & (TB_SIG_PERM_MODERATE | TB_SIG_PERM_RECORD));
        t->hand = false;
    } else {
        t->role = t->base_role;
        t->perms = t->base_perms;
    }
    tb_sig_participant_apply_mutes(t);
    tb_sig_audit(t->room, me, on ? "stage_on" : "stage_off", t, NULL);
    tb_sig_ok(r, NULL);
    tb_sig_participant_changed(t);
}

void tb_sig_mod_end(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "ending the meeting"))
        return;
    tb_sig_room *room = me->room;
    tb_sig_audit(room, me, "end", NULL, NULL);
    tb_sig_ok(r, NULL);
    tb_sig_room_close(room, json_pack("{s:s, s:s}", "type", "ended", "by_name", me->name),
                      TB_SIG_CLOSE_ENDED);
}
