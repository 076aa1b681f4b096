/* access.h — who may do what: roles, permissions and room kinds (perm.c), join tokens
 * (token.c), and the decision who may join a room and with which grant (auth.c).
 *
 * Ownership and threads: nothing here holds state but the staff sessions (staff.c, main
 * thread only). Every other function is a pure function of its arguments (bytes, a key,
 * a config, the time passed in), callable from any thread, except
 * tb_sig_auth_load_key(), which reads (and on first use creates) the key file.
 * The token scan takes untrusted bytes and is fuzzed (tests/fuzz). Strings a
 * function returns are transfer full (g_free) unless it says otherwise.
 *
 * Below everything else in signaling/: it includes only common/. */
#ifndef TB_SIG_ACCESS_H
#define TB_SIG_ACCESS_H

#include "common/tb_config.h"

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- perm.c: roles, permissions and room kinds (the server asks them on every
 * request, not only at join) ---- */

typedef enum {
    TB_SIG_ROLE_MODERATOR = 0, /* staff: moderate, admit, give the floor, record */
    TB_SIG_ROLE_SPEAKER,       /* officials, lawyers, NGO leaders: publish, present */
    TB_SIG_ROLE_PARTICIPANT,   /* publish only while holding the floor; hand; chat */
    TB_SIG_ROLE_VIEWER,        /* receive only; hand (to be brought on stage); chat */
    TB_SIG_ROLE_SITE,          /* a hall's fixed endpoint in a telebridge: publish */
    TB_SIG_N_ROLES
} tb_sig_role;

/* Permissions, a bit set. A token's "perms" object turns single ones on or off. */
enum {
    TB_SIG_PERM_PUBLISH = 1u << 0,  /* "publish": microphone and camera at any time */
    TB_SIG_PERM_SCREEN = 1u << 1,   /* "screen": share a screen (a second video track) */
    TB_SIG_PERM_CHAT = 1u << 2,     /* "chat": write in the room's chat */
    TB_SIG_PERM_HAND = 1u << 3,     /* "hand": raise a hand */
    TB_SIG_PERM_MODERATE = 1u << 4, /* "moderate": every moderator action, skip the lobby */
    TB_SIG_PERM_RECORD = 1u << 5,   /* "record": start and stop recording */
};
#define TB_SIG_PERM_ALL 0x3fu

typedef enum {
    TB_SIG_KIND_CONSULTATION = 0, /* private; waiting room; recording only with consent */
    TB_SIG_KIND_ROUNDTABLE,       /* speakers speak, the moderator mutes and removes */
    TB_SIG_KIND_HEARING,          /* hands, timed floor, register and speaking log */
    TB_SIG_KIND_TELEBRIDGE,       /* hall endpoints (role site), hall-screen layout */
    TB_SIG_KIND_CONFERENCE,       /* speakers on stage, viewers in the audience */
    TB_SIG_N_KINDS
} tb_sig_kind;

int tb_sig_role_parse(const char *s, tb_sig_role *out); /* 0 or TB_EINVAL */
const char *tb_sig_role_name(tb_sig_role r);
/* The permissions a role has by default. */
unsigned tb_sig_role_perms(tb_sig_role r);

int tb_sig_perm_parse(const char *s, unsigned *bit); /* 0 or TB_EINVAL */
/* Name of the permission bit at index i (0..5), or NULL past the last one. */
const char *tb_sig_perm_name_at(int i);

int tb_sig_kind_parse(const char *s, tb_sig_kind *out); /* 0 or TB_EINVAL */
const char *tb_sig_kind_name(tb_sig_kind k);
/* Every kind's name in enum order, NULL-terminated (static). The names are the config's
 * (tb_config_kind_names): one list for the config, the server and, through the join
 * reply, the web client. */
const char *const *tb_sig_kind_names(void);

/* May someone with `perms` publish microphone/camera now? `floor`: holds the floor. */
static inline bool tb_sig_may_publish(unsigned perms, bool floor)
{
    return (perms & TB_SIG_PERM_PUBLISH) || floor;
}

/* ---- token.c: join tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (JWS
 * "HS256", RFC 7515 / RFC 7518 section 3.2), as LiveKit's access tokens are.
 *
 * A token names one room, the holder's identity and role, optionally a display name
 * and permission changes, and an expiry:
 *
 *   header  {"alg": "HS256", "typ": "JWT"}
 *   payload {"iss": "telebridge", "sub": "<identity>", "room": "<room>",
 *            "role": "speaker", "name": "Анна Петрова", "iat": 1700000000,
 *            "exp": 1700086400, "nbf": 1700000000, "perms": {"screen": false}}
 *
 * Pure functions on bytes and a key: no I/O, no clock (the caller passes `now`), so
 * they can be unit-tested and fuzzed. */

/* Longest token accepted, in bytes. */
#define TB_SIG_TOKEN_MAX 4096
/* Clock skew tolerated on exp and nbf, in seconds. */
#define TB_SIG_TOKEN_LEEWAY_S 30

/* The outcome of a verification; each refusal has its own protocol error code. */
typedef enum {
    TB_SIG_TOKEN_OK = 0,
    TB_SIG_TOKEN_MALFORMED,     /* "token_malformed": not a JWT, bad JSON, missing claims */
    TB_SIG_TOKEN_ALG,           /* "token_alg": alg is not HS256 ("none" included) */
    TB_SIG_TOKEN_SIGNATURE,     /* "token_signature": wrong signature (forged, other key) */
    TB_SIG_TOKEN_EXPIRED,       /* "token_expired": exp is past */
    TB_SIG_TOKEN_NOT_YET_VALID, /* "token_not_yet_valid": nbf is ahead */
} tb_sig_token_result;

/* The claims of a verified token. Strings owned by the struct (tb_sig_claims_clear). */
typedef struct tb_sig_claims {
    char *room;     /* "room", required */
    char *identity; /* "sub", required: stable across joins (bans, replacing) */
    char *name;     /* "name", optional display name; NULL if absent */
    tb_sig_role role;
    unsigned perms; /* the role's permissions with "perms" applied */
    int64_t exp;    /* seconds since the epoch, required */
    int64_t nbf;    /* 0 = absent */
    int64_t iat;    /* 0 = absent */
} tb_sig_claims;

/* Checks `token` against `key` at time `now_s` (seconds since the epoch). The header is
 * checked first (alg), then the signature in constant time, and only then is the
 * payload parsed: nothing unauthenticated reaches the claims. On TB_SIG_TOKEN_OK *out
 * is filled (clear it); otherwise *out is zeroed and err says why. */
tb_sig_token_result tb_sig_token_verify(const char *token, const uint8_t *key, size_t keylen,
                                        int64_t now_s, tb_sig_claims *out, char *err,
                                        size_t errlen);

/* A signed token for `c` (role and perms as given; perms that differ from the role's
 * defaults are written as a "perms" object). Transfer full (g_free). */
char *tb_sig_token_mint(const uint8_t *key, size_t keylen, const tb_sig_claims *c);

/* The protocol error code of a result ("token_expired", …); "ok" for TB_SIG_TOKEN_OK. */
const char *tb_sig_token_result_code(tb_sig_token_result r);

void tb_sig_claims_clear(tb_sig_claims *c);

/* base64url without padding (RFC 4648 section 5), strict: any other character, padding
 * or a length of 1 mod 4 is refused. Returns the decoded bytes (transfer full) or NULL. */
uint8_t *tb_sig_b64url_decode(const char *s, size_t len, size_t *out_len);
char *tb_sig_b64url_encode(const uint8_t *data, size_t len);

/* ---- auth.c: the token key, who may join, and join links ---- */

/* What a join grants: identity, name, role and permissions. Strings owned by the grant
 * (tb_sig_grant_clear). */
typedef struct tb_sig_grant {
    char *identity; /* token "sub"; NULL when anonymous */
    char *name;     /* token "name"; NULL when absent */
    tb_sig_role role;
    unsigned perms;
    int64_t exp; /* the token's expiry, seconds since the epoch; 0 = none (anonymous) */
} tb_sig_grant;

/* Loads the HS256 key: [auth] secret, else var_dir/token.secret, created on first use
 * (32 random bytes, hex, mode 0600). Transfer full. NULL with err filled on failure. */
GBytes *tb_sig_auth_load_key(const tb_config *cfg, char *err, size_t errlen);
/* Decides whether `token` (NULL: none) may join `room`, with `key` at time `now_s`.
 * Returns NULL and fills *grant, or the error code to send with a reason in err. */
const char *tb_sig_auth_join(const tb_config *cfg, GBytes *key, int64_t now_s, const char *room,
                             const char *token, tb_sig_grant *grant, char *err, size_t errlen);
void tb_sig_grant_clear(tb_sig_grant *g);

/* A room name: 1-64 characters of [A-Za-z0-9_-]. */
bool tb_sig_valid_room(const char *s);
/* The base of join links: server.public_url (trailing slashes dropped), else
 * http(s)://listen:port. Transfer full. */
char *tb_sig_base_url(const tb_config *cfg, int port, bool tls);
/* "BASE/?room=ROOM#token=TOKEN" (token may be NULL; transfer full). The token travels in
 * the fragment, which browsers send to no server. */
char *tb_sig_join_link(const char *base, const char *room, const char *token);
/* "BASE/studio/#token=TOKEN": signs staff in to /studio (a moderator's token). */
char *tb_sig_studio_link(const char *base, const char *token);

/* ---- turn.c: TURN credentials (coturn's use-auth-secret REST form) ---- */

/* base64(HMAC-SHA1(secret, username)): the password coturn expects for username. */
char *tb_sig_turn_password(const char *secret, const char *username);
/* The join reply's ice_servers: one entry with [turn] urls and a credential for identity
 * valid until now_s + ttl; an empty array without urls or secret. (transfer full) */
json_t *tb_sig_turn_ice_servers(const tb_config_turn *t, const char *identity, int64_t now_s);

/* ---- origin.c: is a request meant for this server? (Host and Origin headers) ---- */

/* Is `host` (a Host header) one of this server's names: public_url's host, or the
 * listen address with the bound `port` (for a loopback or wildcard listen address also
 * localhost, 127.0.0.1 and [::1]; for a wildcard one any IP literal)? */
bool tb_sig_host_allowed(const tb_config *cfg, int port, bool tls, const char *host);
/* Is `origin` (an Origin header) public_url's origin, or the server's own scheme with an
 * allowed host? "null" and anything unparsable are not. */
bool tb_sig_origin_allowed(const tb_config *cfg, int port, bool tls, const char *origin);

/* ---- staff.c: staff sign-in (sessions, CSRF tokens, throttled guesses) ----
 * Unlike the rest of access/ it holds state: main thread only. */

typedef struct tb_sig_staff tb_sig_staff;
typedef struct tb_sig_staff_session tb_sig_staff_session;

/* The name of the session cookie, and the length of its value and of a CSRF token. */
#define TB_SIG_STAFF_COOKIE     "tb_staff"
#define TB_SIG_STAFF_SECRET_LEN 64

/* `cfg` and `token_key` (may be NULL: no token sign-in) must outlive it; transfer full. */
tb_sig_staff *tb_sig_staff_create(const tb_config *cfg, GBytes *token_key);
void tb_sig_staff_destroy(tb_sig_staff *s);
/* Seconds `addr` must wait before its next sign-in attempt; 0 = it may try now. */
int tb_sig_staff_throttled(tb_sig_staff *s, const char *addr, int64_t now_us);
/* A failed attempt from `addr` (spends one of its tokens). */
void tb_sig_staff_failed(tb_sig_staff *s, const char *addr, int64_t now_us);
/* Is it [recording] studio_password (never, when none is set)? Constant time. */
bool tb_sig_staff_password_ok(tb_sig_staff *s, const char *password);
/* Is it a valid join token with the `moderate` and `record` permissions? Fills `who`
 * (its name or identity), else err. */
bool tb_sig_staff_token_ok(tb_sig_staff *s, const char *token, char *who, size_t wholen, char *err,
                           size_t errlen);
/* A new session for `who` (transfer none: the store owns it); NULL without randomness. */
const tb_sig_staff_session *tb_sig_staff_session_new(tb_sig_staff *s, const char *who,
                                                     int64_t now_us);
/* The live session a Cookie header names (its use renews it), or NULL. Transfer none:
 * valid until the next call that changes the store. */
const tb_sig_staff_session *tb_sig_staff_session_find(tb_sig_staff *s, const char *cookie_header,
                                                      int64_t now_us);
/* Does the header value equal the session's CSRF token? Constant time. */
bool tb_sig_staff_csrf_ok(const tb_sig_staff_session *ss, const char *header);
const char *tb_sig_staff_session_id(const tb_sig_staff_session *ss);
const char *tb_sig_staff_session_csrf(const tb_sig_staff_session *ss);
/* Who signed in: "password", or the token's name or identity. */
const char *tb_sig_staff_session_who(const tb_sig_staff_session *ss);
/* Seconds until the session ends at the latest. */
int64_t tb_sig_staff_session_expires_s(const tb_sig_staff_session *ss, int64_t now_us);
void tb_sig_staff_session_end(tb_sig_staff *s, const tb_sig_staff_session *ss);

#endif
