/* room.h — rooms and their participants on the control plane (room/): the hub that
 * holds a server's rooms, who is in each room (admitted or waiting), with which role and
 * permissions, what each publishes, the room's procedure state (floor, hands, chat,
 * consent, bans, lock) and how clients hear of it (roster, snapshot, broadcasts).
 *
 * Ownership and threads: everything here runs on the main thread ([main] on every
 * field: the thread running the default GMainContext, where lws and GLib sources run);
 * nothing is locked. The hub owns its rooms, a room owns its participants, a participant
 * owns its two relay connections (tb_relay_pc, which live on media workers and are
 * reached only through relay/tb_relay.h). A participant points at its connection
 * without owning it (the server does); the connection points back (conn.h).
 *
 * Modules above room/ (recording/, later live streams and webhooks) never patch room
 * code: they observe rooms (tb_sig_room_observer) and add request types
 * (tb_sig_hub_add_requests, requests.h). Includes: access/, conn.h, relay/, recorder's
 * catalog, common/ — nothing above. */
#ifndef TB_SIG_ROOM_H
#define TB_SIG_ROOM_H

#include "signaling/access/access.h"
#include "signaling/conn.h"
#include "common/tb_config.h"
#include "common/tb_log.h"
#include "common/tb_rate.h"
#include "recorder/tb_rec_catalog.h"
#include "relay/tb_relay.h"

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>

typedef struct tb_sig_hub tb_sig_hub;
typedef struct tb_sig_room tb_sig_room;
typedef struct tb_sig_participant tb_sig_participant;
typedef struct tb_sig_handler tb_sig_handler; /* requests.h */

/* ---- the hub: a server's rooms and what they share ---- */

/* Hooks for modules that follow rooms (recording/). Every hook may be NULL; each is
 * called on the main thread at the moment named, with the observer's `user`. */
typedef struct tb_sig_room_observer {
    /* p was admitted into its room and is in the register. */
    void (*admitted)(void *user, tb_sig_participant *p);
    /* p leaves its room; its tracks are still published. */
    void (*leaving)(void *user, tb_sig_participant *p);
    /* p's published tracks changed: arrays of tb_relay_track* (borrowed; either NULL). */
    void (*tracks_changed)(void *user, tb_sig_participant *p, GPtrArray *added, GPtrArray *removed);
    /* Someone's recording consent changed, or consent was asked for again. */
    void (*consent_changed)(void *user, tb_sig_room *room);
    /* The room closes: drop what you hold for it. */
    void (*room_closing)(void *user, tb_sig_room *room);
    /* The room's state is being written for clients: add members to `state` (borrowed). */
    void (*room_state)(void *user, tb_sig_room *room, json_t *state);
} tb_sig_room_observer;

struct tb_sig_hub {
    const tb_config *cfg;    /* [main] not owned */
    tb_relay *relay;         /* [main] not owned */
    tb_rec_catalog *catalog; /* [main] not owned: the server's */
    GBytes *token_key;       /* [main] not owned: the server's HS256 key of join tokens */
    GHashTable *rooms;       /* [main] name → tb_sig_room* (owned) */
    GArray *observers;       /* [main] struct hub_observer (room.c), in registration order */
    GArray *requests;        /* [main] struct hub_requests (protocol.c): added tables, or NULL */
    guint expiry_timer;      /* [main] ends sessions whose token expired (expiry.c) */
};

/* A hub for `cfg`'s rooms; every argument must outlive it (transfer none). */
tb_sig_hub *tb_sig_hub_create(const tb_config *cfg, tb_relay *relay, tb_rec_catalog *catalog,
                              GBytes *token_key);
/* Closes every room (everyone leaves) and frees the hub. */
void tb_sig_hub_destroy(tb_sig_hub *hub);
/* Adds an observer (copied; `user` not owned). */
void tb_sig_hub_observe(tb_sig_hub *hub, const tb_sig_room_observer *obs, void *user);
/* Closes every room now, without an event (server shutdown). */
void tb_sig_hub_close_rooms(tb_sig_hub *hub);

/* ---- participants and rooms ---- */

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
    char id[16];           /* [main] "p" + 8 hex digits, unique in the room */
    char *name;            /* [main] owned */
    char *identity;        /* [main] owned: the token's "sub"; NULL when anonymous */
    char client_key[65];   /* [main] SHA-256 (hex) of the browser's client_key; "" = none */
    tb_sig_room *room;     /* [main] not owned */
    tb_sig_conn *conn;     /* [main] not owned; NULL after the connection closed */
    tb_relay_pc *pub;      /* [main] owned, NULL until the first publish */
    tb_relay_pc *sub;      /* [main] owned, NULL until there is something to receive */
    bool audio, video;     /* [main] the participant's own microphone/camera state */
    tb_sig_role role;      /* [main] current role (the stage changes it) */
    tb_sig_role base_role; /* [main] the role it joined with */
    unsigned perms;        /* [main] current permissions, checked on every request */
    unsigned base_perms;   /* [main] the permissions it joined with */
    bool admitted;         /* [main] false while in the waiting room */
    int64_t since_us;      /* [main] joined (or entered the waiting room), wall clock */
    int64_t expires_s;     /* [main] its token's exp (epoch seconds); 0 = none (expiry.c) */
    bool expiry_warned;    /* [main] told that its session ends soon */
    bool hand;             /* [main] hand raised */
    uint32_t hand_seq;     /* [main] order of raised hands */
    int64_t hand_log_id;   /* [main] speaking-log row of the raised hand, 0 = none */
    bool floor;            /* [main] holds the room's floor */
    bool mod_muted[TB_SIG_N_MEDIA]; /* [main] muted by a moderator: not forwarded by the relay */
    int consent;           /* [main] recording consent: -1 not given yet, 0 refused, 1 given */
    tb_rate chat_rate;     /* [main] chat rate limit (chat.c) */
    bool update_pending;   /* [main] a participant_updated about it is due (room.c) */
    guint pub_failed_idle; /* [main] withdraws the tracks of a failed publish connection */
    int64_t roster_seq;    /* [main] the last arrival it was told of (roster.c); 0 = not entered */
    char *json_text;       /* [main] owned: its JSON, serialised (snapshot.c); NULL = not made */
    char *json_tracks;     /* [main] owned: the tracks that JSON listed */
    tb_sig_participant_key json_key; /* [main] the other fields that JSON was made from */
};

struct tb_sig_room {
    char *name;                /* [main] owned */
    char session_id[32];       /* [main] the catalog's session for this meeting */
    tb_sig_hub *hub;           /* [main] not owned */
    tb_relay_room *relay_room; /* [main] owned */
    GPtrArray *participants;   /* [main] tb_sig_participant* owned: admitted ones */
    GPtrArray *waiting;        /* [main] tb_sig_participant* owned: in the waiting room */
    const tb_config_room *cfg; /* [main] not owned: the room's configured settings */
    char *title;               /* [main] owned */
    tb_sig_kind kind;          /* [main] */
    bool waiting_room;         /* [main] joiners without `moderate` wait to be admitted */
    bool locked;               /* [main] nobody but moderators may join */
    bool chat_enabled;         /* [main] */
    int floor_seconds;         /* [main] default time of the floor */
    bool ending;               /* [main] `end`: no linger, no new joins */
    GHashTable *bans;          /* [main] "id:<identity>" or "name:<name>" → NULL, owned keys */
    tb_sig_participant *floor_holder; /* [main] not owned; NULL = nobody */
    int64_t floor_until_us;           /* [main] monotonic; 0 = no time limit */
    int floor_given_s;                /* [main] the time the floor was given for; 0 = none */
    guint floor_timer;                /* [main] ends the floor when its time is up */
    int64_t floor_log_id;             /* [main] speaking-log row of the floor, 0 = none */
    uint32_t hand_seq;                /* [main] the last hand_seq given */
    char speaker[16];                 /* [main] the relay's active speaker, "" = nobody */
    int64_t voice_log_id;             /* [main] speaking-log row of the active speaker, 0 = none */
    GQueue chat;                      /* [main] json_t* recent messages, owned (chat.c) */
    bool consent_requested;           /* [main] a moderator asked everyone for recording consent */
    guint linger_timer;               /* [main] the room is empty and closes when this fires */
    /* [main] owned by recording/ (its per-room state, made and freed there through the
     * observer hooks); NULL until the room is first recorded. */
    struct tb_sig_recording *recording;
    GPtrArray *pending_joins; /* [main] arrivals not yet announced to all (roster.c) */
    int64_t join_seq;         /* [main] sequence number of the last arrival */
    guint roster_idle;        /* [main] announces pending_joins when the loop is idle */
    guint updates_idle;       /* [main] sends the due participant_updated events */
};

tb_sig_room *tb_sig_room_get(tb_sig_hub *hub, const char *name, bool create);
/* A new participant with its grant (identity moved out of g), in the room (admitted)
 * or in its waiting room. */
tb_sig_participant *tb_sig_room_add(tb_sig_room *room, tb_sig_conn *conn, const char *name,
                                    tb_sig_grant *g, bool admitted);
/* Records p in the register and tells the others that it joined. */
void tb_sig_room_enter(tb_sig_participant *p);
/* Removes and frees p (closing its connections); an empty room lingers, then closes. */
void tb_sig_room_remove(tb_sig_participant *p);
/* Sends `event` (transfer full; may be NULL) to p, closes its connection with `status`
 * and removes it. */
void tb_sig_room_kick(tb_sig_participant *p, json_t *event, int status);
/* Closes the room now: everyone gets `event` (transfer full) and close `status`. */
void tb_sig_room_close(tb_sig_room *room, json_t *event, int status);
/* Admitted participant `id`, or one in the waiting room; NULL if none. */
tb_sig_participant *tb_sig_room_find(tb_sig_room *room, const char *id);

/* ---- holds.c: bans and the lock, kept in the catalog beyond the room's life ---- */

/* The keys a joiner is banned by: "id:<identity>", or "name:<name>" when anonymous, and
 * "browser:<client key hash>" when it has one. NULL-terminated, transfer full. */
char **tb_sig_ban_keys(const char *identity, const char *name, const char *client_key);
/* Is one of `keys` banned from room `name`, and is the room locked? From the open room,
 * else from the catalog (holds outlive a room by rooms.ban_keep). */
void tb_sig_room_holds(tb_sig_hub *hub, const char *name, char **keys, bool *banned, bool *locked);
/* Bans p (every key it has) from its room. */
void tb_sig_room_ban(tb_sig_participant *p);
void tb_sig_room_set_locked(tb_sig_room *room, bool locked);
/* A room opens: its holds come back from the catalog. A room closes: they lapse
 * rooms.ban_keep from now. */
void tb_sig__holds_room_opened(tb_sig_room *room);
/* expiry.c: starts the check of token expiries; the timer's id (the hub removes it). */
guint tb_sig__expiry_start(tb_sig_hub *hub);
void tb_sig__holds_room_closed(tb_sig_room *room);

/* Sends msg (transfer full) to everyone admitted in the room but `except`. */
void tb_sig_room_broadcast(tb_sig_room *room, tb_sig_participant *except, json_t *msg);
/* Sends msg (transfer full) to the admitted participants with the `moderate` permission. */
void tb_sig_room_broadcast_moderators(tb_sig_room *room, json_t *msg);
/* The room's state as clients see it (room_updated); transfer full. */
json_t *tb_sig_room_state_json(tb_sig_room *room);
/* Sends room_updated to everyone. */
void tb_sig_room_state_changed(tb_sig_room *room);

/* Sends participant_updated about p to everyone (p included), coalesced: once per
 * main-loop turn, before any other broadcast to the room. */
void tb_sig_participant_changed(tb_sig_participant *p);
/* May p publish microphone and camera now (role, floor, admitted)? */
bool tb_sig_participant_may_publish(const tb_sig_participant *p);
/* Mutes at the relay every track of p that it may not send now, unmutes the others. */
void tb_sig_participant_apply_mutes(tb_sig_participant *p);
/* Closes p's publish connection: its tracks go away for the others (track_removed). */
void tb_sig_participant_unpublish(tb_sig_participant *p);
/* The participant's publish connection, created on first use (transfer none). */
tb_relay_pc *tb_sig_participant_pub(tb_sig_participant *p);
/* Recomputes what p receives and sends a subscribe offer when one is due. */
void tb_sig_room_update_subscription(tb_sig_participant *p);
void tb_sig_room_update_all(tb_sig_room *room, tb_sig_participant *except);
/* p's published tracks changed (the others were told): the observers hear of it.
 * Arrays of tb_relay_track*, borrowed; either may be NULL. */
void tb_sig_room_tracks_changed(tb_sig_participant *p, GPtrArray *added, GPtrArray *removed);
/* Someone's recording consent changed: the observers hear of it (consent.c). */
void tb_sig_room_consent_changed(tb_sig_room *room);

/* JSON of participants, tracks and permissions (transfer full). */
json_t *tb_sig_participant_json(tb_sig_participant *p);
json_t *tb_sig_track_json(tb_relay_track *t);
json_t *tb_sig_perms_json(unsigned perms);

/* ---- sending to a connection that may carry a participant ---- */

/* Queues msg (transfer full) on c. A participant first hears of the room's latest
 * arrivals (tb_sig_roster_catch_up), so that nothing refers to someone it does not
 * know yet. */
void tb_sig_send(tb_sig_conn *c, json_t *msg);
/* The same with an already serialised message (transfer full, g_malloc'd). */
void tb_sig_send_text(tb_sig_conn *c, char *text);

/* ---- roster.c: arrivals announced in batches ---- */

/* Queues p's arrival for the others; p has just been sent its snapshot. */
void tb_sig_roster_joined(tb_sig_participant *p);
/* Sends p the arrivals it has not heard of yet (before anything else is sent to it). */
void tb_sig_roster_catch_up(tb_sig_participant *p);
void tb_sig_roster_room_closing(tb_sig_room *room);

/* ---- snapshot.c: what a newcomer is sent ---- */

/* Everything a newly admitted participant needs, serialised (the join reply's data;
 * with `type`, an event of that type). Transfer full (g_free); NULL on failure. */
char *tb_sig_room_snapshot_text(tb_sig_participant *p, const char *type);
/* The participant's JSON, serialised; owned by p and remade when a field changed. */
const char *tb_sig_participant_text(tb_sig_participant *p);
void tb_sig_participant_text_clear(tb_sig_participant *p);

/* ---- audit.c: the moderators' audit log ---- */

/* Writes an action to the session's audit log (who, what, to whom, when): `actor` NULL
 * = the server itself (a floor that ran out), `target` may be NULL, `detail` (transfer
 * full, may be NULL) gets the target's name and role added. */
void tb_sig_audit(tb_sig_room *room, tb_sig_participant *actor, const char *action,
                  tb_sig_participant *target, json_t *detail);

/* ---- procedure state that room.c and the request handlers share ---- */

/* lobby.c: the waiting room. Sends the lobby list to every moderator in the room. */
void tb_sig_lobby_notify(tb_sig_room *room);
json_t *tb_sig_lobby_json(tb_sig_room *room);
/* Moves p from the waiting room into the room (the full join follows). */
void tb_sig_lobby_admit_participant(tb_sig_participant *p, tb_sig_participant *by);

/* floor.c. Ends the floor if someone holds it (reason: "expired", "taken", "left",
 * "replaced"). */
void tb_sig_floor_end(tb_sig_room *room, const char *reason, tb_sig_participant *by);
/* The relay's active-speaker event (room events). */
void tb_sig_floor_on_speaker(tb_sig_room *room, const char *participant_id);
/* Closes the voice row of the speaking log (room closing). */
void tb_sig_floor_room_closing(tb_sig_room *room);
/* p leaves: its floor ends, its hand's row in the speaking log closes. */
void tb_sig_floor_participant_left(tb_sig_participant *p);

/* chat.c: the recent messages a newcomer gets (transfer full). */
json_t *tb_sig_chat_history(tb_sig_room *room);

/* consent.c: may the room be recorded now? Outside consultations always; in a
 * consultation only when every admitted participant said yes (why says who did not). */
bool tb_sig_room_consent_ok(tb_sig_room *room, char *why, size_t whylen);

/* export.c: writes `what` ("register", "speaking", "audit", "chat") of session_id as
 * "csv" or "json" (transfer full); NULL with err filled on failure. Any thread that owns
 * `cat` (the CLI uses it too). */
char *tb_sig_export(tb_rec_catalog *cat, const char *session_id, const char *what,
                    const char *format, char *err, size_t errlen);

#endif
