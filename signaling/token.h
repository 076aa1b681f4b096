/* token.h — join tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (JWS
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
 * they can be unit-tested and fuzzed. Any thread. */
#ifndef TB_SIG_TOKEN_H
#define TB_SIG_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signaling/perm.h"

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

#endif
