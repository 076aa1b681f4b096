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
    int idle_timeout_s;    /* 25 */
    char *tls_cert;        /* "": PEM certificate (chain) for https/wss */
    char *tls_key;         /* "": its PEM private key */
    bool self_signed;      /* false: make a development certificate in var_dir/tls */
} tb_config_server;

typedef struct tb_config_relay {
    char *ice_addresses[TB_CONFIG_MAX_ADDRS]; /* "127.0.0.1" */
    int n_ice_addresses;
    int port_min; /* 0 = any */
    int port_max;
    int workers; /* 0 = one per core */
    bool prefer_gcm;
    bool ice_lite; /* true: answer connectivity checks, never start them (RFC 8445 §2.5) */
    int rtx_buffer_packets;    /* 512, power of two */
    int pli_throttle_ms;       /* 500 */
    int spread_busy_percent;   /* 60: subscribers leave a home worker this busy; 100 = never */
    int connect_timeout_s;     /* 20: a connection not connected (ICE + DTLS) by then fails */
    int max_remote_candidates; /* 32: remote candidates per connection, trickled or in SDP */
    char *remote_candidates;   /* "auto": only addresses in the scopes of ice_addresses; "any" */
    bool ice_tcp;              /* true: passive ICE-TCP candidates (RFC 6544) beside UDP */
    char *public_addresses;    /* "": 1:1 NAT, "PRIVATE=PUBLIC,..." or one PUBLIC (nat.c) */
    char *stun_server;         /* "": host:port to learn the public address from at start */
    /* Not a key: derived from the rooms' max_participants when the config is loaded (the
     * m-lines a subscribe connection may have, tb_config.c: derive_relay). */
    int max_mlines;
} tb_config_relay;

/* The settings of one room: the [rooms] defaults, overridden per room by a
 * [room:NAME] section. Strings are owned by the tb_config. */
typedef struct tb_config_room {
    char *name; /* NULL for the defaults */
    char *kind; /* "roundtable": consultation, roundtable, hearing, telebridge, conference */
    bool allow_anonymous; /* false: joining without a token */
    char *anonymous_role; /* "participant": the role of anonymous joiners */
    char *waiting_room;   /* "auto": on for consultations only; "true", "false" */
    int floor_seconds;    /* 120: default time a moderator gives the floor for */
    bool chat;            /* true */
    int max_participants; /* 50, waiting room included */
    char *title;          /* "": shown instead of the room's name */
    char *recording;      /* "moderators": disabled, moderators (the `record` permission),
                             allowed (anyone in the room), auto (from the first joiner) */
} tb_config_room;

#define TB_CONFIG_MAX_ROOMS 256

typedef struct tb_config_rooms {
    tb_config_room defaults; /* the [rooms] keys */
    char *default_room;      /* "welcome": room of the join link printed at start */
    int empty_timeout_s;     /* 30: an empty room keeps its state (bans, lock) this long */
    int ban_keep_s;          /* 86400: bans and the lock outlive a closed room this long */
    tb_config_room *defs;    /* the [room:NAME] sections, resolved */
    int n_defs;
} tb_config_rooms;

typedef struct tb_config_auth {
    char *secret;    /* "": HS256 key; empty = generated into var_dir/token.secret */
    int token_ttl_s; /* 86400: lifetime of tokens minted by `telebridge token` */
} tb_config_auth;

/* Recording and publication ([recording]; signaling/recording.c, telebridge-recorder). */
typedef struct tb_config_recording {
    char *dir;              /* "recordings": session folders, relative to var_dir */
    char *recorder;         /* "": the telebridge-recorder next to the telebridge binary */
    int min_free_mb;        /* 500: stop recording below this much free disk space */
    bool compose_after;     /* true: compose when a recorded session ends */
    char *layout;           /* "speaker" or "grid" */
    int width, height;      /* 1280 x 720 */
    int framerate;          /* 25 */
    char *video_encoder;    /* "x264" or "openh264" */
    int video_kbps;         /* 2500 */
    char *audio_encoder;    /* "avenc_aac" or "voaacenc" */
    char *studio_password;  /* "": /studio only from this machine; else HTTP basic auth */
    int change_interval_ms; /* 2000: shortest time between two recording_start/stop of one
                               participant (0 = no limit) */
    int resume_window_s;    /* 600: a room recorded again this soon after a server stop
                               ended its recording continues it as a new segment (0 = never) */
} tb_config_recording;

/* What one client may use ([limits]): each limit, when hit, is answered with its own error
 * code (docs/protocol.md, "Limits"). */
/* [turn]: a TURN server (coturn) whose time-limited credentials join replies carry. */
typedef struct tb_config_turn {
    char *urls;   /* "": comma-separated turn:/turns: URLs; none = no TURN */
    char *secret; /* coturn's static-auth-secret (use-auth-secret) */
    int ttl_s;    /* 86400: how long a credential is valid */
    char *realm;  /* "telebridge": for `telebridge turn-config` */
} tb_config_turn;

typedef struct tb_config_limits {
    int connections;             /* 2000: WebSockets open at once, in total */
    int connections_per_address; /* 100: ... from one client address */
    int join_timeout_s;          /* 10: a connection that has not joined by then is closed */
    int messages_per_second;     /* 50: a connection's requests, all types (burst: twice) */
    int toggles_per_second;      /* 5: media, hand, consent: changes everyone hears of */
    int send_queue_bytes;        /* 4 MiB: queued for a client that does not read */
    int send_timeout_s;          /* 15: a non-empty send queue without progress that long */
    int rooms;                   /* 1000: rooms open at once */
    int tracks_per_participant;  /* 4: tracks one publish offer may send */
} tb_config_limits;

typedef struct tb_config {
    char *path; /* file it came from, or NULL for defaults only */
    tb_config_limits limits;
    tb_config_turn turn;
    tb_config_server server;
    tb_config_relay relay;
    tb_config_rooms rooms;
    tb_config_auth auth;
    tb_config_recording recording;
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

/* The settings of room `name`: its [room:NAME] section, else the [rooms] defaults
 * (transfer none: valid as long as cfg). */
const tb_config_room *tb_config_room_get(const tb_config *cfg, const char *name);

/* Role and room-kind names the config accepts (NULL-terminated). */
extern const char *const tb_config_role_names[];
extern const char *const tb_config_kind_names[];

#endif
