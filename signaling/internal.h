/* internal.h — structures shared by the files of signaling/. No other module includes
 * it. Main thread only, like all of signaling/. */
#ifndef TB_SIG_INTERNAL_H
#define TB_SIG_INTERNAL_H

#include "signaling/tb_sig.h"
#include "signaling/perm.h"
#include "common/tb_log.h"
#include "recorder/tb_rec_catalog.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>

typedef struct tb_sig_conn tb_sig_conn;
typedef struct tb_sig_room tb_sig_room;
typedef struct tb_sig_participant tb_sig_participant;

struct tb_sig_server {
    const tb_config *cfg;     /* not owned */
    tb_relay *relay;          /* not owned */
    struct lws_context *lws;  /* owned */
    tb_rec_catalog *catalog;  /* owned: var_dir/telebridge.db */
    GBytes *token_key;        /* owned: the HS256 key of join tokens (auth.c) */
    char *tls_cert, *tls_key; /* owned: PEM paths when serving https/wss, else NULL */
    GHashTable *rooms;        /* name → tb_sig_room* (owned) */
    GList *conns;             /* tb_sig_conn* open WebSocket connections */
    guint idle_timer;
    int port;
    char *web_root_abs;
    struct lws_http_mount mount;
    struct lws_protocol_vhost_options mime_opts[4];
    struct tb_sig_recorder *recorder; /* owned: recorder processes, compositions (recording.c) */
};

/* One WebSocket connection (server.c). */
struct tb_sig_conn {
    tb_sig_server *srv;
    struct lws *wsi;                 /* NULL once lws closed it */
    GByteArray *rx;                  /* message being reassembled, capped */
    GQueue out;                      /* char* JSON texts waiting for writeable */
    tb_sig_participant *participant; /* NULL until joined */
    int64_t last_rx_us;
    bool closing; /* close after the queue drains */
    int close_status;
    char peer[64]; /* address for logs */
};

/* Queues a message (transfer full of `msg`) and asks lws for a writeable callback. A
 * participant hears of the room's latest arrivals first (tb_sig_roster_catch_up). */
void tb_sig_conn_send(tb_sig_conn *c, json_t *msg);
/* Queues an already serialised message (transfer full, g_malloc'd), as it is. */
void tb_sig_conn_send_text(tb_sig_conn *c, char *text);
/* The same, after the room's latest arrivals, like tb_sig_conn_send. */
void tb_sig_conn_send_message_text(tb_sig_conn *c, char *text);
/* Queues a close with `status` after what is already queued. */
void tb_sig_conn_close(tb_sig_conn *c, int status);

/* WebSocket close codes that end a participation for good: the client must not
 * reconnect by itself (docs/protocol.md, "Close codes"). */
#define TB_SIG_CLOSE_REMOVED  4001 /* removed by a moderator */
#define TB_SIG_CLOSE_REPLACED 4002 /* the same identity joined from elsewhere */
#define TB_SIG_CLOSE_DENIED   4003 /* refused entry from the waiting room */
#define TB_SIG_CLOSE_ENDED    4004 /* a moderator ended the meeting for all */

/* protocol.c: one complete text message from a connection. */
void tb_sig_protocol_handle(tb_sig_conn *c, const char *text, size_t len);
/* Replies. `data` is transfer full (NULL = {}). */
void tb_sig_reply(tb_sig_conn *c, json_int_t id, json_t *data);
/* A reply whose data is already serialised (transfer full, g_free'd; NULL = failure). */
void tb_sig_reply_text(tb_sig_conn *c, json_int_t id, char *data);
void tb_sig_error(tb_sig_conn *c, const json_t *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A request as handlers see it. */
typedef struct tb_sig_request {
    tb_sig_conn *conn;
    json_t *msg; /* borrowed */
    json_t *id;  /* borrowed, an integer */
} tb_sig_request;

/* session.c: request handlers; each answers the request exactly once. */
void tb_sig_session_join(tb_sig_request *r);
void tb_sig_session_publish(tb_sig_request *r);
void tb_sig_session_unpublish(tb_sig_request *r);
void tb_sig_session_answer(tb_sig_request *r);
void tb_sig_session_candidate(tb_sig_request *r);
void tb_sig_session_media(tb_sig_request *r);
void tb_sig_session_keyframe(tb_sig_request *r);
void tb_sig_session_leave(tb_sig_request *r);
/* The connection is gone: the participant leaves its room. */
void tb_sig_session_conn_closed(tb_sig_conn *c);
/* Request helpers: an error is sent and false/NULL returned when the check fails. */
bool tb_sig_require(tb_sig_request *r, unsigned perm, const char *what);
const char *tb_sig_str_field(tb_sig_request *r, const char *key, size_t max);
/* 1-64 characters of [A-Za-z0-9_-]. */
bool tb_sig_valid_room(const char *s);
/* The participant named by the request's `participant_id` (admitted or waiting). */
tb_sig_participant *tb_sig_target(tb_sig_request *r);

/* auth.c: the token key and who may join. */
typedef struct tb_sig_grant {
    char *identity; /* token "sub"; NULL when anonymous */
    char *name;     /* token "name"; NULL when absent */
    tb_sig_role role;
    unsigned perms;
} tb_sig_grant;
/* Loads the HS256 key: [auth] secret, else var_dir/token.secret, created on first use
 * (32 random bytes, hex, mode 0600). Transfer full. NULL with err filled on failure. */
GBytes *tb_sig_auth_load_key(const tb_config *cfg, char *err, size_t errlen);
/* Decides whether `token` (NULL: none) may join `room`. Returns NULL and fills *grant,
 * or the error code to send with a reason in err. */
const char *tb_sig_auth_join(tb_sig_server *srv, const char *room, const char *token,
                             tb_sig_grant *grant, char *err, size_t errlen);
void tb_sig_grant_clear(tb_sig_grant *g);

/* moderation.c: moderator requests; each checks the `moderate` permission. */
void tb_sig_mod_mute(tb_sig_request *r);
void tb_sig_mod_ask_unmute(tb_sig_request *r);
void tb_sig_mod_remove(tb_sig_request *r);
void tb_sig_mod_lock(tb_sig_request *r);
void tb_sig_mod_room_set(tb_sig_request *r);
void tb_sig_mod_stage(tb_sig_request *r);
void tb_sig_mod_end(tb_sig_request *r);
/* Writes a moderator action to the session's audit log (who, what, to whom, when):
 * `actor` NULL = the server itself (a floor that ran out), `target` may be NULL,
 * `detail` (transfer full, may be NULL) gets the target's name and role added. */
void tb_sig_audit(tb_sig_room *room, tb_sig_participant *actor, const char *action,
                  tb_sig_participant *target, json_t *detail);

/* lobby.c: the waiting room. */
void tb_sig_lobby_admit(tb_sig_request *r);
void tb_sig_lobby_deny(tb_sig_request *r);
/* Sends the lobby list to every moderator in the room. */
void tb_sig_lobby_notify(tb_sig_room *room);
json_t *tb_sig_lobby_json(tb_sig_room *room);
/* Moves p from the waiting room into the room (the full join follows). */
void tb_sig_lobby_admit_participant(tb_sig_participant *p, tb_sig_participant *by);

/* floor.c: hands, the floor and the speaking log. */
void tb_sig_floor_hand(tb_sig_request *r);
void tb_sig_floor_hand_lower(tb_sig_request *r);
void tb_sig_floor_give(tb_sig_request *r);
void tb_sig_floor_take(tb_sig_request *r);
/* Ends p's floor if it holds it (reason: "expired", "taken", "left", "replaced"). */
void tb_sig_floor_end(tb_sig_room *room, const char *reason, tb_sig_participant *by);
/* The relay's active-speaker event (room events). */
void tb_sig_floor_on_speaker(tb_sig_room *room, const char *participant_id);
/* Closes the voice row of the speaking log (room closing). */
void tb_sig_floor_room_closing(tb_sig_room *room);
/* p leaves: its floor ends, its hand's row in the speaking log closes. */
void tb_sig_floor_participant_left(tb_sig_participant *p);

/* chat.c */
void tb_sig_chat_send(tb_sig_request *r);
void tb_sig_chat_delete(tb_sig_request *r);
json_t *tb_sig_chat_history(tb_sig_room *room);

/* consent.c: consent to recording (consultations). */
void tb_sig_consent_set(tb_sig_request *r);
void tb_sig_consent_request(tb_sig_request *r);
/* May the room be recorded now? Outside consultations always; in a consultation only
 * when every admitted participant said yes (why says who did not). For recording. */
bool tb_sig_room_consent_ok(tb_sig_room *room, char *why, size_t whylen);

/* export.c: the register (attendance), speaking log, audit log and chat of a session. */
void tb_sig_export_request(tb_sig_request *r);
/* Writes `what` ("register", "speaking", "audit", "chat") of session_id as "csv" or
 * "json" (transfer full); NULL with err filled on failure. */
char *tb_sig_export(tb_rec_catalog *cat, const char *session_id, const char *what,
                    const char *format, char *err, size_t errlen);

/* tls.c: a self-signed development certificate in var_dir/tls (made once, reused while
 * valid). Fills the paths (transfer full). */
int tb_sig_tls_self_signed(const tb_config *cfg, char **cert_path, char **key_path, char *err,
                           size_t errlen);

/* room.c */
/* Kinds of media a moderator mutes at the relay, by track label. */
typedef enum {
    TB_SIG_MEDIA_AUDIO = 0,
    TB_SIG_MEDIA_VIDEO,
    TB_SIG_MEDIA_SCREEN,
    TB_SIG_N_MEDIA
} tb_sig_media;

/* The fields a participant's JSON is made from (snapshot.c compares them). */
typedef struct tb_sig_participant_key {
    tb_sig_role role, base_role;
    unsigned perms;
    uint32_t hand_seq;
    int consent;
    bool audio, video, hand, floor;
    bool mod_muted[TB_SIG_N_MEDIA];
} tb_sig_participant_key;

struct tb_sig_participant {
    char id[16];
    char *name;
    char *identity;                 /* the token's "sub"; NULL when anonymous */
    tb_sig_room *room;              /* not owned */
    tb_sig_conn *conn;              /* not owned; NULL after the connection closed */
    tb_relay_pc *pub;               /* owned, NULL until the first publish */
    tb_relay_pc *sub;               /* owned, NULL until there is something to receive */
    bool audio, video;              /* the participant's own microphone/camera state */
    tb_sig_role role;               /* current role (the stage changes it) */
    tb_sig_role base_role;          /* the role it joined with */
    unsigned perms;                 /* current permissions, checked on every request */
    unsigned base_perms;            /* the permissions it joined with */
    bool admitted;                  /* false while in the waiting room */
    int64_t since_us;               /* joined (or entered the waiting room), wall clock */
    bool hand;                      /* hand raised */
    uint32_t hand_seq;              /* order of raised hands */
    int64_t hand_log_id;            /* speaking-log row of the raised hand, 0 = none */
    bool floor;                     /* holds the room's floor */
    bool mod_muted[TB_SIG_N_MEDIA]; /* muted by a moderator: forwarding stopped at the relay */
    int consent;                    /* recording consent: -1 not given yet, 0 refused, 1 given */
    double chat_tokens;             /* chat rate limit (token bucket) */
    int64_t chat_last_us;
    int64_t roster_seq; /* the last arrival it was told of (roster.c); 0 = not entered */
    char *json_text;    /* its JSON, serialised (snapshot.c); owned, NULL = not made yet */
    char *json_tracks;  /* ... the tracks it listed, and the other fields it was made from */
    tb_sig_participant_key json_key;
};

struct tb_sig_room {
    char *name;
    char session_id[32];       /* the catalog's session for this meeting */
    tb_sig_server *srv;        /* not owned */
    tb_relay_room *relay_room; /* owned */
    GPtrArray *participants;   /* tb_sig_participant* owned: admitted ones */
    GPtrArray *waiting;        /* tb_sig_participant* owned: in the waiting room */
    const tb_config_room *cfg; /* the room's configured settings (not owned) */
    char *title;
    tb_sig_kind kind;
    bool waiting_room; /* joiners without `moderate` wait to be admitted */
    bool locked;       /* nobody but moderators may join */
    bool chat_enabled;
    int floor_seconds;                /* default time of the floor */
    bool ending;                      /* `end`: no linger, no new joins */
    GHashTable *bans;                 /* "id:<identity>" or "name:<name>" → NULL, owned keys */
    tb_sig_participant *floor_holder; /* not owned; NULL = nobody */
    int64_t floor_until_us;           /* monotonic; 0 = no time limit */
    int floor_given_s;
    guint floor_timer;
    int64_t floor_log_id; /* speaking-log row of the floor, 0 = none */
    uint32_t hand_seq;
    char speaker[16];                   /* the relay's active speaker, "" = nobody */
    int64_t voice_log_id;               /* speaking-log row of the active speaker, 0 = none */
    GQueue chat;                        /* json_t* recent messages, owned (chat.c) */
    bool consent_requested;             /* a moderator asked everyone for recording consent */
    guint linger_timer;                 /* the room is empty and closes when this fires */
    struct tb_sig_recording *recording; /* owned (recording.c); NULL until first recorded */
    GPtrArray *pending_joins;           /* arrivals not yet announced to all (roster.c) */
    int64_t join_seq;                   /* sequence number of the last arrival */
    guint roster_idle;                  /* announces pending_joins when the loop is idle */
};

tb_sig_room *tb_sig_room_get(tb_sig_server *srv, const char *name, bool create);
/* A new participant with its grant (identity moved out of g), in the room (admitted)
 * or in its waiting room. */
tb_sig_participant *tb_sig_room_add(tb_sig_room *room, tb_sig_conn *conn, const char *name,
                                    tb_sig_grant *g, bool admitted);
/* Records p in the register and tells the others that it joined. */
void tb_sig_room_enter(tb_sig_participant *p);

/* ---- roster.c: arrivals announced in batches ---- */

/* Queues p's arrival for the others; p has just been sent its snapshot. */
void tb_sig_roster_joined(tb_sig_participant *p);
/* Sends p the arrivals it has not heard of yet (before anything else is sent to it). */
void tb_sig_roster_catch_up(tb_sig_participant *p);
void tb_sig_roster_room_closing(tb_sig_room *room);
/* Removes and frees p (closing its connections); an empty room lingers, then closes. */
void tb_sig_room_remove(tb_sig_participant *p);
/* Sends `event` (transfer full; may be NULL) to p, closes its connection with `status`
 * and removes it. */
void tb_sig_room_kick(tb_sig_participant *p, json_t *event, int status);
/* Closes the room now: everyone gets `event` (transfer full) and close `status`. */
void tb_sig_room_close(tb_sig_room *room, json_t *event, int status);
/* Sends msg (transfer full) to everyone admitted in the room but `except`. */
void tb_sig_room_broadcast(tb_sig_room *room, tb_sig_participant *except, json_t *msg);
/* Sends msg (transfer full) to the admitted participants with the `moderate` permission. */
void tb_sig_room_broadcast_moderators(tb_sig_room *room, json_t *msg);
/* The room's state as clients see it (room_updated). */
json_t *tb_sig_room_state_json(tb_sig_room *room);
/* Sends room_updated to everyone. */
void tb_sig_room_state_changed(tb_sig_room *room);
/* snapshot.c: everything a newly admitted participant needs, serialised (the join
 * reply's data; with `type`, an event of that type). Transfer full (g_free); NULL on
 * failure. */
char *tb_sig_room_snapshot_text(tb_sig_participant *p, const char *type);
/* The participant's JSON, serialised; owned by p and remade when a field changed. */
const char *tb_sig_participant_text(tb_sig_participant *p);
void tb_sig_participant_text_clear(tb_sig_participant *p);
/* Sends participant_updated about p to everyone (p included). */
void tb_sig_participant_changed(tb_sig_participant *p);
/* Admitted participant `id`, or one in the waiting room; NULL if none. */
tb_sig_participant *tb_sig_room_find(tb_sig_room *room, const char *id);
/* May p publish microphone and camera now (role, floor, admitted)? */
bool tb_sig_participant_may_publish(const tb_sig_participant *p);
/* Mutes at the relay every track of p that it may not send now, unmutes the others. */
void tb_sig_participant_apply_mutes(tb_sig_participant *p);
json_t *tb_sig_perms_json(unsigned perms);
/* Recomputes what p receives and sends a subscribe offer when one is due. */
void tb_sig_room_update_subscription(tb_sig_participant *p);
void tb_sig_room_update_all(tb_sig_room *room, tb_sig_participant *except);
/* The participant's publish connection, created on first use. */
tb_relay_pc *tb_sig_participant_pub(tb_sig_participant *p);
json_t *tb_sig_participant_json(tb_sig_participant *p);
json_t *tb_sig_track_json(tb_relay_track *t);
void tb_sig_room_destroy_all(tb_sig_server *srv);

#endif
