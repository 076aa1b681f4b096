/* tb_config.c — GKeyFile → tb_config, with a table of known keys so that a typo in the
 * file is an error rather than a silently ignored setting. */
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
    {"server", "idle_timeout", KEY_INT, OFF(server.idle_timeout_s), "30", 5, 3600},
    {"relay", "ice_addresses", KEY_ADDRS, OFF(relay.ice_addresses), "127.0.0.1", 0, 0},
    {"relay", "port_min", KEY_INT, OFF(relay.port_min), "0", 0, 65535},
    {"relay", "port_max", KEY_INT, OFF(relay.port_max), "0", 0, 65535},
    {"relay", "workers", KEY_INT, OFF(relay.workers), "0", 0, 256},
    {"relay", "prefer_gcm", KEY_BOOL, OFF(relay.prefer_gcm), "true", 0, 0},
    {"relay", "rtx_buffer_packets", KEY_INT, OFF(relay.rtx_buffer_packets), "512", 16, 32768},
    {"relay", "pli_throttle_ms", KEY_INT, OFF(relay.pli_throttle_ms), "500", 0, 10000},
    {"rooms", "allow_anonymous", KEY_BOOL, OFF(rooms.allow_anonymous), "true", 0, 0},
    {"rooms", "max_participants", KEY_INT, OFF(rooms.max_participants), "50", 1, 10000},
    {"rooms", "default_room", KEY_STR, OFF(rooms.default_room), "welcome", 0, 0},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static const key_def *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

static bool is_power_of_two(int v) { return v > 0 && (v & (v - 1)) == 0; }

static void clear_addrs(tb_config *cfg)
{
    for (int i = 0; i < cfg->relay.n_ice_addresses; i++)
        g_free(cfg->relay.ice_addresses[i]);
    cfg->relay.n_ice_addresses = 0;
}

/* Stores one value; returns 0 or TB_EINVAL with err set. */
static int set_value(tb_config *cfg, const key_def *k, const char *value, const char *where,
                     char *err, size_t errlen)
{
    void *field = (char *)cfg + k->offset;
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
            snprintf(err, errlen, "%s: [%s] %s = '%s': expected true or false", where,
                     k->section, k->key, value);
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
            snprintf(err, errlen, "%s: [%s] %s: at least one address is needed", where,
                     k->section, k->key);
            return TB_EINVAL;
        }
        return TB_OK;
    }
    }
    return TB_EINVAL;
}

void tb_config_init_defaults(tb_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char err[64];
    for (size_t i = 0; i < N_KEYS; i++)
        (void)set_value(cfg, &keys[i], keys[i].def, "defaults", err, sizeof err);
}

static int apply_keyfile(tb_config *cfg, GKeyFile *kf, const char *where, char *err, size_t errlen)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (int g = 0; groups[g]; g++) {
        g_auto(GStrv) names = g_key_file_get_keys(kf, groups[g], NULL, NULL);
        if (!names)
            continue;
        for (int n = 0; names[n]; n++) {
            const key_def *k = find_key(groups[g], names[n]);
            if (!k) {
                snprintf(err, errlen, "%s: unknown key [%s] %s", where, groups[g], names[n]);
                return TB_EINVAL;
            }
            g_autofree char *v = g_key_file_get_value(kf, groups[g], names[n], NULL);
            int rc = set_value(cfg, k, v ? v : "", where, err, errlen);
            if (rc)
                return rc;
        }
    }
    return TB_OK;
}

static int apply_overrides(tb_config *cfg, const char *const *ov, char *err, size_t errlen)
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
        const key_def *k = find_key(section, key);
        if (!k) {
            snprintf(err, errlen, "command line: unknown key [%s] %s", section, key);
            return TB_EINVAL;
        }
        int rc = set_value(cfg, k, eq + 1, "command line", err, errlen);
        if (rc)
            return rc;
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
    const char *room = cfg->rooms.default_room;
    size_t len = strlen(room);
    ok = len > 0 && len <= 64;
    for (size_t i = 0; ok && i < len; i++)
        ok = g_ascii_isalnum(room[i]) || room[i] == '-' || room[i] == '_';
    if (!ok) {
        snprintf(err, errlen, "[rooms] default_room: 1-64 characters of A-Z a-z 0-9 _ -");
        return TB_EINVAL;
    }
    return TB_OK;
}

static int load(tb_config *cfg, const char *path, const char *data,
                const char *const *overrides, char *err, size_t errlen)
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
    int rc = apply_keyfile(cfg, kf, where, err, errlen);
    if (!rc)
        rc = apply_overrides(cfg, overrides, err, errlen);
    if (!rc)
        rc = check(cfg, err, errlen);
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
    g_free(cfg->path);
    cfg->path = NULL;
}
