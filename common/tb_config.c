/* tb_config.c — GKeyFile → tb_config, with a table of known keys so that a typo in the
 * file is an error rather than a silently ignored setting.
 *
 * Rooms can be configured one by one in [room:NAME] sections. Their keys are collected
 * while the file and the command line are read and applied at the end, on top of the
 * final [rooms] defaults, so that the order of sections and overrides does not matter. */
#include "common/tb_config.h"
#include "common/tb_error.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

typedef enum { KEY_STR, KEY_INT, KEY_BOOL, KEY_ADDRS } key_type;

typedef struct key_def {
    const char *section;
    const char *key;
    key_type type;
    size_t offset; /* into tb_config */
    const char *def;
    int min, max; /* KEY_INT */
} key_def;

#define OFF(f) offsetof(tb_config, f)
static const key_def keys[] = {
    {"server", "listen", KEY_STR, OFF(server.listen), "127.0.0.1", 0, 0},
    {"server", "port", KEY_INT, OFF(server.port), "8080", 1, 65535},
    {"server", "web_root", KEY_STR, OFF(server.web_root), "web", 0, 0},
    {"server", "var_dir", KEY_STR, OFF(server.var_dir), "var", 0, 0},
    {"server", "public_url", KEY_STR, OFF(server.public_url), "", 0, 0},
    {"server", "log_level", KEY_STR, OFF(server.log_level), "info", 0, 0},
    {"server", "max_message_bytes", KEY_INT, OFF(server.max_message_bytes), "65536", 1024,
     16 * 1024 * 1024},
    {"server", "idle_timeout", KEY_INT, OFF(server.idle_timeout_s), "25", 5, 3600},
    {"limits", "connections", KEY_INT, OFF(limits.connections), "2000", 1, 1000000},
    {"limits", "connections_per_address", KEY_INT, OFF(limits.connections_per_address), "100", 1,
     1000000},
    {"limits", "join_timeout", KEY_INT, OFF(limits.join_timeout_s), "10", 1, 3600},
    {"limits", "messages_per_second", KEY_INT, OFF(limits.messages_per_second), "50", 1, 100000},
    {"limits", "toggles_per_second", KEY_INT, OFF(limits.toggles_per_second), "5", 1, 100000},
    {"limits", "send_queue_bytes", KEY_INT, OFF(limits.send_queue_bytes), "4194304", 65536,
     1 << 30},
    {"limits", "send_timeout", KEY_INT, OFF(limits.send_timeout_s), "15", 1, 3600},
    {"limits", "rooms", KEY_INT, OFF(limits.rooms), "1000", 1, 1000000},
    {"limits", "tracks_per_participant", KEY_INT, OFF(limits.tracks_per_participant), "4", 1, 64},
    {"relay", "ice_addresses", KEY_ADDRS, OFF(relay.ice_addresses), "127.0.0.1", 0, 0},
    {"relay", "port_min", KEY_INT, OFF(relay.port_min), "0", 0, 65535},
    {"relay", "port_max", KEY_INT, OFF(relay.port_max), "0", 0, 65535},
    {"relay", "workers", KEY_INT, OFF(relay.workers), "0", 0, 256},
    {"relay", "prefer_gcm", KEY_BOOL, OFF(relay.prefer_gcm), "true", 0, 0},
    {"relay", "ice_lite", KEY_BOOL, OFF(relay.ice_lite), "false", 0, 0},
    {"relay", "rtx_buffer_packets", KEY_INT, OFF(relay.rtx_buffer_packets), "512", 16, 32768},
    {"relay", "pli_throttle_ms", KEY_INT, OFF(relay.pli_throttle_ms), "500", 0, 10000},
    {"relay", "spread_busy_percent", KEY_INT, OFF(relay.spread_busy_percent), "60", 0, 100},
    {"relay", "connect_timeout", KEY_INT, OFF(relay.connect_timeout_s), "20", 1, 3600},
    {"relay", "max_remote_candidates", KEY_INT, OFF(relay.max_remote_candidates), "32", 1, 1000},
    {"relay", "remote_candidates", KEY_STR, OFF(relay.remote_candidates), "auto", 0, 0},
    {"relay", "ice_tcp", KEY_BOOL, OFF(relay.ice_tcp), "true", 0, 0},
    {"relay", "public_addresses", KEY_STR, OFF(relay.public_addresses), "", 0, 0},
    {"relay", "stun_server", KEY_STR, OFF(relay.stun_server), "", 0, 0},
    {"turn", "urls", KEY_STR, OFF(turn.urls), "", 0, 0},
    {"turn", "secret", KEY_STR, OFF(turn.secret), "", 0, 0},
    {"turn", "ttl", KEY_INT, OFF(turn.ttl_s), "86400", 60, 30 * 86400},
    {"turn", "realm", KEY_STR, OFF(turn.realm), "telebridge", 0, 0},
    {"server", "tls_cert", KEY_STR, OFF(server.tls_cert), "", 0, 0},
    {"server", "tls_key", KEY_STR, OFF(server.tls_key), "", 0, 0},
    {"server", "self_signed", KEY_BOOL, OFF(server.self_signed), "false", 0, 0},
    {"rooms", "allow_anonymous", KEY_BOOL, OFF(rooms.defaults.allow_anonymous), "false", 0, 0},
    {"rooms", "max_participants", KEY_INT, OFF(rooms.defaults.max_participants), "50", 1, 10000},
    {"rooms", "kind", KEY_STR, OFF(rooms.defaults.kind), "roundtable", 0, 0},
    {"rooms", "anonymous_role", KEY_STR, OFF(rooms.defaults.anonymous_role), "participant", 0, 0},
    {"rooms", "waiting_room", KEY_STR, OFF(rooms.defaults.waiting_room), "auto", 0, 0},
    {"rooms", "floor_seconds", KEY_INT, OFF(rooms.defaults.floor_seconds), "120", 5, 36000},
    {"rooms", "chat", KEY_BOOL, OFF(rooms.defaults.chat), "true", 0, 0},
    {"rooms", "title", KEY_STR, OFF(rooms.defaults.title), "", 0, 0},
    {"rooms", "default_room", KEY_STR, OFF(rooms.default_room), "welcome", 0, 0},
    {"rooms", "empty_timeout", KEY_INT, OFF(rooms.empty_timeout_s), "30", 0, 86400},
    {"rooms", "ban_keep", KEY_INT, OFF(rooms.ban_keep_s), "86400", 0, 366 * 86400},
    {"auth", "secret", KEY_STR, OFF(auth.secret), "", 0, 0},
    {"auth", "token_ttl", KEY_INT, OFF(auth.token_ttl_s), "86400", 60, 366 * 86400},
    {"rooms", "recording", KEY_STR, OFF(rooms.defaults.recording), "moderators", 0, 0},
    {"recording", "dir", KEY_STR, OFF(recording.dir), "recordings", 0, 0},
    {"recording", "recorder", KEY_STR, OFF(recording.recorder), "", 0, 0},
    {"recording", "min_free_mb", KEY_INT, OFF(recording.min_free_mb), "500", 0, 1 << 20},
    {"recording", "compose_after", KEY_BOOL, OFF(recording.compose_after), "true", 0, 0},
    {"recording", "layout", KEY_STR, OFF(recording.layout), "speaker", 0, 0},
    {"recording", "width", KEY_INT, OFF(recording.width), "1280", 160, 3840},
    {"recording", "height", KEY_INT, OFF(recording.height), "720", 90, 2160},
    {"recording", "framerate", KEY_INT, OFF(recording.framerate), "25", 1, 60},
    {"recording", "video_encoder", KEY_STR, OFF(recording.video_encoder), "x264", 0, 0},
    {"recording", "video_kbps", KEY_INT, OFF(recording.video_kbps), "2500", 100, 50000},
    {"recording", "audio_encoder", KEY_STR, OFF(recording.audio_encoder), "avenc_aac", 0, 0},
    {"recording", "studio_password", KEY_STR, OFF(recording.studio_password), "", 0, 0},
    {"recording", "change_interval_ms", KEY_INT, OFF(recording.change_interval_ms), "2000", 0,
     60000},
    {"recording", "resume_window_s", KEY_INT, OFF(recording.resume_window_s), "600", 0, 86400},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

/* The keys a [room:NAME] section may set: the [rooms] keys that make sense per room,
 * with offsets into tb_config_room. */
#define ROFF(f) offsetof(tb_config_room, f)
static const key_def room_keys[] = {
    {"room", "allow_anonymous", KEY_BOOL, ROFF(allow_anonymous), NULL, 0, 0},
    {"room", "max_participants", KEY_INT, ROFF(max_participants), NULL, 1, 10000},
    {"room", "kind", KEY_STR, ROFF(kind), NULL, 0, 0},
    {"room", "anonymous_role", KEY_STR, ROFF(anonymous_role), NULL, 0, 0},
    {"room", "waiting_room", KEY_STR, ROFF(waiting_room), NULL, 0, 0},
    {"room", "floor_seconds", KEY_INT, ROFF(floor_seconds), NULL, 5, 36000},
    {"room", "chat", KEY_BOOL, ROFF(chat), NULL, 0, 0},
    {"room", "title", KEY_STR, ROFF(title), NULL, 0, 0},
    {"room", "recording", KEY_STR, ROFF(recording), NULL, 0, 0},
};
#define ROOM_PREFIX "room:"

const char *const tb_config_role_names[] = {"moderator", "speaker", "participant",
                                            "viewer",    "site",    NULL};
const char *const tb_config_kind_names[] = {"consultation", "roundtable", "hearing",
                                            "telebridge",   "conference", NULL};

/* A key of a [room:NAME] section, kept until the [rooms] defaults are final. */
typedef struct room_entry {
    char *room;
    const key_def *key;
    char *value;
    char *where;
} room_entry;

static void room_entry_free(gpointer data)
{
    room_entry *e = data;
    g_free(e->room);
    g_free(e->value);
    g_free(e->where);
    g_free(e);
}

static const key_def *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

static const key_def *find_room_key(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(room_keys); i++)
        if (strcmp(room_keys[i].key, key) == 0)
            return &room_keys[i];
    return NULL;
}

static bool valid_room_name(const char *room)
{
    size_t len = strlen(room);
    bool ok = len > 0 && len <= 64;
    for (size_t i = 0; ok && i < len; i++)
        ok = g_ascii_isalnum(room[i]) || room[i] == '-' || room[i] == '_';
    return ok;
}

/* Queues `section`.`key` = value when section is a [room:NAME]; returns TB_EDECLINED
 * when it is not one, TB_EINVAL (err set) for a bad room name or key. */
static int queue_room_key(GPtrArray *pending, const char *section, const char *key,
                          const char *value, const char *where, char *err, size_t errlen)
{
    if (strncmp(section, ROOM_PREFIX, strlen(ROOM_PREFIX)) != 0)
        return TB_EDECLINED;
    const char *room = section + strlen(ROOM_PREFIX);
    if (!valid_room_name(room)) {
        snprintf(err, errlen, "%s: [%s]: a room name is 1-64 characters of A-Z a-z 0-9 _ -", where,
                 section);
        return TB_EINVAL;
    }
    const key_def *k = find_room_key(key);
    if (!k) {
        snprintf(err, errlen, "%s: unknown key [%s] %s", where, section, key);
        return TB_EINVAL;
    }
    room_entry *e = g_new0(room_entry, 1);
    e->room = g_strdup(room);
    e->key = k;
    e->value = g_strdup(value);
    e->where = g_strdup(where);
    g_ptr_array_add(pending, e);
    return TB_OK;
}

static bool is_power_of_two(int v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

static void clear_addrs(tb_config *cfg)
{
    for (int i = 0; i < cfg->relay.n_ice_addresses; i++)
        g_free(cfg->relay.ice_addresses[i]);
    cfg->relay.n_ice_addresses = 0;
}

/* Stores one value; returns 0 or TB_EINVAL with err set. */
static int set_value(tb_config *cfg, void *base, const key_def *k, const char *value,
                     const char *where, char *err, size_t errlen)
{
    void *field = (char *)base + k->offset;
    switch (k->type) {
    case KEY_STR:
        g_free(*(char **)field);
        *(char **)field = g_strstrip(g_strdup(value));
        return TB_OK;
    case KEY_INT: {
        char *end = NULL;
        gint64 v = g_ascii_strtoll(value, &end, 10);
        while (end && g_ascii_isspace(*end))
            end++;
        if (!end || end == value || *end || v < k->min || v > k->max) {
            snprintf(err, errlen, "%s: [%s] %s = '%s': expected an integer in %d..%d", where,
                     k->section, k->key, value, k->min, k->max);
            return TB_EINVAL;
        }
        *(int *)field = (int)v;
        return TB_OK;
    }
    case KEY_BOOL: {
        g_autofree char *raw = g_strstrip(g_strdup(value));
        g_autofree char *v = g_ascii_strdown(raw, -1);
        if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
            *(bool *)field = true;
        else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
            *(bool *)field = false;
        else {
            snprintf(err, errlen, "%s: [%s] %s = '%s': expected true or false", where, k->section,
                     k->key, value);
            return TB_EINVAL;
        }
        return TB_OK;
    }
    case KEY_ADDRS: {
        g_auto(GStrv) parts = g_strsplit_set(value, ", ", -1);
        clear_addrs(cfg);
        for (int i = 0; parts[i]; i++) {
            if (!*parts[i])
                continue;
            GInetAddress *a = g_inet_address_new_from_string(parts[i]);
            if (!a || cfg->relay.n_ice_addresses >= TB_CONFIG_MAX_ADDRS) {
                if (a)
                    g_object_unref(a);
                snprintf(err, errlen, "%s: [%s] %s: '%s' is not an IP address (or more than %d)",
                         where, k->section, k->key, parts[i], TB_CONFIG_MAX_ADDRS);
                return TB_EINVAL;
            }
            g_object_unref(a);
            cfg->relay.ice_addresses[cfg->relay.n_ice_addresses++] = g_strdup(parts[i]);
        }
        if (cfg->relay.n_ice_addresses == 0) {
            snprintf(err, errlen, "%s: [%s] %s: at least one address is needed", where, k->section,
                     k->key);
            return TB_EINVAL;
        }
        return TB_OK;
    }
    }
    return TB_EINVAL;
}

/* m-lines beyond that: those the client rejected (never reused) and those freed while an
 * offer was outstanding, which wait for the next answer before they are recycled. */
#define MLINE_MARGIN 16

/* Settings the relay gets from other sections. A subscribe connection has an m-line for
 * every track of the others in its room (JSEP recycling keeps it near that,
 * docs/architecture.md), so its limit follows from the largest room the config allows. */
static void derive_relay(tb_config *cfg)
{
    int most = cfg->rooms.defaults.max_participants;
    for (int j = 0; j < cfg->rooms.n_defs; j++)
        most = MAX(most, cfg->rooms.defs[j].max_participants);
    cfg->relay.max_mlines = most * cfg->limits.tracks_per_participant + MLINE_MARGIN;
}

void tb_config_init_defaults(tb_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char err[64];
    for (size_t i = 0; i < N_KEYS; i++)
        (void)set_value(cfg, cfg, &keys[i], keys[i].def, "defaults", err, sizeof err);
    derive_relay(cfg);
}

static int apply_keyfile(tb_config *cfg, GKeyFile *kf, const char *where, GPtrArray *pending,
                         char *err, size_t errlen)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (int g = 0; groups[g]; g++) {
        g_auto(GStrv) names = g_key_file_get_keys(kf, groups[g], NULL, NULL);
        if (!names)
            continue;
        for (int n = 0; names[n]; n++) {
            g_autofree char *v = g_key_file_get_value(kf, groups[g], names[n], NULL);
            int rc = queue_room_key(pending, groups[g], names[n], v ? v : "", where, err, errlen);
            if (rc == TB_OK)
                continue;
            if (rc != TB_EDECLINED)
                return rc;
            const key_def *k = find_key(groups[g], names[n]);
            if (!k) {
                snprintf(err, errlen, "%s: unknown key [%s] %s", where, groups[g], names[n]);
                return TB_EINVAL;
            }
            rc = set_value(cfg, cfg, k, v ? v : "", where, err, errlen);
            if (rc)
                return rc;
        }
    }
    return TB_OK;
}

static int apply_overrides(tb_config *cfg, const char *const *ov, GPtrArray *pending, char *err,
                           size_t errlen)
{
    for (int i = 0; ov && ov[i]; i++) {
        const char *eq = strchr(ov[i], '=');
        const char *dot = strchr(ov[i], '.');
        if (!eq || !dot || dot > eq) {
            snprintf(err, errlen, "command line: '%s': expected section.key=value", ov[i]);
            return TB_EINVAL;
        }
        g_autofree char *section = g_strndup(ov[i], (gsize)(dot - ov[i]));
        g_autofree char *key = g_strndup(dot + 1, (gsize)(eq - dot - 1));
        int rc = queue_room_key(pending, section, key, eq + 1, "command line", err, errlen);
        if (rc == TB_OK)
            continue;
        if (rc != TB_EDECLINED)
            return rc;
        const key_def *k = find_key(section, key);
        if (!k) {
            snprintf(err, errlen, "command line: unknown key [%s] %s", section, key);
            return TB_EINVAL;
        }
        rc = set_value(cfg, cfg, k, eq + 1, "command line", err, errlen);
        if (rc)
            return rc;
    }
    return TB_OK;
}

static bool in_list(const char *v, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return true;
    return false;
}

static int check_room(const tb_config_room *r, const char *section, char *err, size_t errlen)
{
    static const char *const waiting[] = {"auto", "true", "false", NULL};
    if (!in_list(r->kind, tb_config_kind_names)) {
        snprintf(err, errlen,
                 "%s kind: '%s' is not one of consultation, roundtable, hearing, "
                 "telebridge, conference",
                 section, r->kind);
        return TB_EINVAL;
    }
    if (!in_list(r->anonymous_role, tb_config_role_names)) {
        snprintf(err, errlen,
                 "%s anonymous_role: '%s' is not one of moderator, speaker, "
                 "participant, viewer, site",
                 section, r->anonymous_role);
        return TB_EINVAL;
    }
    if (!in_list(r->waiting_room, waiting)) {
        snprintf(err, errlen, "%s waiting_room: '%s' is not one of auto, true, false", section,
                 r->waiting_room);
        return TB_EINVAL;
    }
    if (g_utf8_strlen(r->title, -1) > 120 || !g_utf8_validate(r->title, -1, NULL)) {
        snprintf(err, errlen, "%s title: at most 120 characters of UTF-8", section);
        return TB_EINVAL;
    }
    static const char *const recording[] = {"disabled", "moderators", "allowed", "auto", NULL};
    if (!in_list(r->recording, recording)) {
        snprintf(err, errlen,
                 "%s recording: '%s' is not one of disabled, moderators, allowed, auto", section,
                 r->recording);
        return TB_EINVAL;
    }
    return TB_OK;
}

static int check_recording(const tb_config_recording *r, char *err, size_t errlen)
{
    static const char *const layouts[] = {"speaker", "grid", NULL};
    static const char *const vencs[] = {"x264", "openh264", NULL};
    static const char *const aencs[] = {"avenc_aac", "voaacenc", NULL};
    if (!*r->dir) {
        snprintf(err, errlen, "[recording] dir: must not be empty");
        return TB_EINVAL;
    }
    if (!in_list(r->layout, layouts)) {
        snprintf(err, errlen, "[recording] layout: '%s' is not one of speaker, grid", r->layout);
        return TB_EINVAL;
    }
    if (!in_list(r->video_encoder, vencs)) {
        snprintf(err, errlen, "[recording] video_encoder: '%s' is not one of x264, openh264",
                 r->video_encoder);
        return TB_EINVAL;
    }
    if (!in_list(r->audio_encoder, aencs)) {
        snprintf(err, errlen, "[recording] audio_encoder: '%s' is not one of avenc_aac, voaacenc",
                 r->audio_encoder);
        return TB_EINVAL;
    }
    if ((r->width | r->height) & 1) {
        snprintf(err, errlen, "[recording] width/height: must be even (H.264 4:2:0)");
        return TB_EINVAL;
    }
    return TB_OK;
}

static void room_copy(tb_config_room *dst, const tb_config_room *src, const char *name)
{
    *dst = *src;
    dst->name = g_strdup(name);
    dst->kind = g_strdup(src->kind);
    dst->anonymous_role = g_strdup(src->anonymous_role);
    dst->waiting_room = g_strdup(src->waiting_room);
    dst->title = g_strdup(src->title);
    dst->recording = g_strdup(src->recording);
}

static void room_clear(tb_config_room *r)
{
    g_free(r->name);
    g_free(r->kind);
    g_free(r->anonymous_role);
    g_free(r->waiting_room);
    g_free(r->title);
    g_free(r->recording);
    memset(r, 0, sizeof *r);
}

/* Builds the [room:NAME] settings: the final defaults, then each room's own keys. */
static int resolve_rooms(tb_config *cfg, GPtrArray *pending, char *err, size_t errlen)
{
    for (guint i = 0; i < pending->len; i++) {
        room_entry *e = g_ptr_array_index(pending, i);
        tb_config_room *r = NULL;
        for (int j = 0; j < cfg->rooms.n_defs && !r; j++)
            if (strcmp(cfg->rooms.defs[j].name, e->room) == 0)
                r = &cfg->rooms.defs[j];
        if (!r) {
            if (cfg->rooms.n_defs >= TB_CONFIG_MAX_ROOMS) {
                snprintf(err, errlen, "%s: [room:%s]: more than %d room sections", e->where,
                         e->room, TB_CONFIG_MAX_ROOMS);
                return TB_EINVAL;
            }
            if (!cfg->rooms.defs)
                cfg->rooms.defs = g_new0(tb_config_room, TB_CONFIG_MAX_ROOMS);
            r = &cfg->rooms.defs[cfg->rooms.n_defs++];
            room_copy(r, &cfg->rooms.defaults, e->room);
        }
        key_def k = *e->key;
        g_autofree char *section = g_strconcat(ROOM_PREFIX, e->room, NULL);
        k.section = section;
        int rc = set_value(cfg, r, &k, e->value, e->where, err, errlen);
        if (rc)
            return rc;
    }
    for (int j = 0; j < cfg->rooms.n_defs; j++) {
        g_autofree char *section = g_strdup_printf("[room:%s]", cfg->rooms.defs[j].name);
        int rc = check_room(&cfg->rooms.defs[j], section, err, errlen);
        if (rc)
            return rc;
    }
    return TB_OK;
}

const tb_config_room *tb_config_room_get(const tb_config *cfg, const char *name)
{
    for (int j = 0; name && j < cfg->rooms.n_defs; j++)
        if (strcmp(cfg->rooms.defs[j].name, name) == 0)
            return &cfg->rooms.defs[j];
    return &cfg->rooms.defaults;
}

/* Each URL a turn: or turns: one (RFC 7065), and a secret to sign credentials with. */
static int check_turn(const tb_config_turn *t, char *err, size_t errlen)
{
    g_auto(GStrv) urls = g_strsplit_set(t->urls, ", ", -1);
    int n = 0;
    for (int i = 0; urls[i]; i++) {
        if (!*urls[i])
            continue;
        n++;
        if ((!g_str_has_prefix(urls[i], "turn:") && !g_str_has_prefix(urls[i], "turns:")) ||
            strlen(urls[i]) > 256 || strpbrk(urls[i], "\"<>")) {
            snprintf(err, errlen, "[turn] urls: '%.64s' is not a turn: or turns: URL", urls[i]);
            return TB_EINVAL;
        }
    }
    if (n > 8) {
        snprintf(err, errlen, "[turn] urls: at most 8");
        return TB_EINVAL;
    }
    if (n && strlen(t->secret) < 16) {
        snprintf(err, errlen,
                 "[turn] secret: at least 16 characters (coturn's static-auth-secret)");
        return TB_EINVAL;
    }
    return TB_OK;
}

static int check(tb_config *cfg, char *err, size_t errlen)
{
    tb_config_relay *r = &cfg->relay;
    if ((r->port_min == 0) != (r->port_max == 0) || r->port_min > r->port_max) {
        snprintf(err, errlen, "[relay] port_min/port_max: both 0, or port_min <= port_max");
        return TB_EINVAL;
    }
    if (!is_power_of_two(r->rtx_buffer_packets)) {
        snprintf(err, errlen, "[relay] rtx_buffer_packets: must be a power of two");
        return TB_EINVAL;
    }
    if (strcmp(r->remote_candidates, "auto") && strcmp(r->remote_candidates, "any")) {
        snprintf(err, errlen, "[relay] remote_candidates: '%s' is not one of auto, any",
                 r->remote_candidates);
        return TB_EINVAL;
    }
    if (!*cfg->server.listen) {
        snprintf(err, errlen, "[server] listen: must not be empty");
        return TB_EINVAL;
    }
    static const char *levels[] = {"error", "warn", "info", "debug"};
    bool ok = false;
    for (int i = 0; i < 4; i++)
        ok |= strcmp(cfg->server.log_level, levels[i]) == 0;
    if (!ok) {
        snprintf(err, errlen, "[server] log_level: '%s' is not one of error, warn, info, debug",
                 cfg->server.log_level);
        return TB_EINVAL;
    }
    if (!valid_room_name(cfg->rooms.default_room)) {
        snprintf(err, errlen, "[rooms] default_room: 1-64 characters of A-Z a-z 0-9 _ -");
        return TB_EINVAL;
    }
    if ((*cfg->server.tls_cert == '\0') != (*cfg->server.tls_key == '\0')) {
        snprintf(err, errlen, "[server] tls_cert/tls_key: give both or neither");
        return TB_EINVAL;
    }
    if (check_recording(&cfg->recording, err, errlen))
        return TB_EINVAL;
    if (check_turn(&cfg->turn, err, errlen))
        return TB_EINVAL;
    return check_room(&cfg->rooms.defaults, "[rooms]", err, errlen);
}

static int load(tb_config *cfg, const char *path, const char *data, const char *const *overrides,
                char *err, size_t errlen)
{
    tb_config_init_defaults(cfg);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *gerr = NULL;
    const char *where = path ? path : "config";
    gboolean ok = TRUE;
    if (path)
        ok = g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr);
    else if (data)
        ok = g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE, &gerr);
    if (!ok) {
        snprintf(err, errlen, "%s: %s", where, gerr->message);
        g_error_free(gerr);
        return TB_EINVAL;
    }
    if (path)
        cfg->path = g_strdup(path);
    g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(room_entry_free);
    int rc = apply_keyfile(cfg, kf, where, pending, err, errlen);
    if (!rc)
        rc = apply_overrides(cfg, overrides, pending, err, errlen);
    if (!rc)
        rc = check(cfg, err, errlen);
    if (!rc)
        rc = resolve_rooms(cfg, pending, err, errlen);
    if (!rc)
        derive_relay(cfg);
    return rc;
}

int tb_config_load(tb_config *cfg, const char *path, const char *const *overrides, char *err,
                   size_t errlen)
{
    return load(cfg, path, NULL, overrides, err, errlen);
}

int tb_config_load_data(tb_config *cfg, const char *data, const char *const *overrides, char *err,
                        size_t errlen)
{
    return load(cfg, NULL, data, overrides, err, errlen);
}

void tb_config_clear(tb_config *cfg)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].type == KEY_STR) {
            char **f = (char **)((char *)cfg + keys[i].offset);
            g_free(*f);
            *f = NULL;
        }
    clear_addrs(cfg);
    for (int j = 0; j < cfg->rooms.n_defs; j++)
        room_clear(&cfg->rooms.defs[j]);
    g_free(cfg->rooms.defs);
    cfg->rooms.defs = NULL;
    cfg->rooms.n_defs = 0;
    g_free(cfg->path);
    cfg->path = NULL;
}
