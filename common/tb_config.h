/* tb_config.h — the daemon's configuration, parsed once from an INI file (GKeyFile) plus
 * command-line overrides into a typed struct with defaults and range checks.
 *
 * Every key of configs/telebridge.ini is described there with its default. A key can be
 * overridden on the command line as `-o section.key=value` (or the subcommand's named
 * options). An unknown section or key, or a value out of range, stops start-up with the
 * file and key named. Main thread only; the parsed struct is read-only afterwards and
 * may be read from any thread. */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define TB_CONFIG_MAX_ADDRS 8

typedef struct tb_config_server {
    char *listen;          /* "127.0.0.1" */
    int port;              /* 8080 */
    char *web_root;        /* "web" */
    char *var_dir;         /* "var" */
    char *public_url;      /* "" = http://listen:port */
    char *log_level;       /* "info" */
    int max_message_bytes; /* 65536 */
    int idle_timeout_s;    /* 30 */
} tb_config_server;

typedef struct tb_config_relay {
    char *ice_addresses[TB_CONFIG_MAX_ADDRS]; /* "127.0.0.1" */
    int n_ice_addresses;
    int port_min; /* 0 = any */
    int port_max;
    int workers;  /* 0 = one per core */
    bool prefer_gcm;
    int rtx_buffer_packets; /* 512, power of two */
    int pli_throttle_ms;    /* 500 */
} tb_config_relay;

typedef struct tb_config_rooms {
    bool allow_anonymous;  /* true */
    int max_participants;  /* 50 */
    char *default_room;    /* "welcome": room of the join link printed at start */
} tb_config_rooms;

typedef struct tb_config {
    char *path; /* file it came from, or NULL for defaults only */
    tb_config_server server;
    tb_config_relay relay;
    tb_config_rooms rooms;
} tb_config;

/* Fills *cfg with the defaults. */
void tb_config_init_defaults(tb_config *cfg);

/* Loads `path` (NULL: defaults only), then applies `overrides` ("section.key=value",
 * NULL-terminated, may be NULL). Returns 0, or a negative code with a message naming the
 * file/option and key in err. On error *cfg holds defaults and must still be cleared. */
int tb_config_load(tb_config *cfg, const char *path, const char *const *overrides, char *err,
                   size_t errlen);

/* Parses INI text (for tests). Same rules as tb_config_load. */
int tb_config_load_data(tb_config *cfg, const char *data, const char *const *overrides, char *err,
                        size_t errlen);

void tb_config_clear(tb_config *cfg);

#endif
