/* token.c — HS256 JSON Web Tokens for joining rooms (access.h).
 *
 * Verification is ordered so that nothing unauthenticated is trusted: split into three
 * base64url parts; decode the header and refuse any alg but "HS256" (RFC 8725 section
 * 3.1: "none" and algorithm confusion are the classic JWT attacks); compare the HMAC
 * in constant time (CRYPTO_memcmp); only then parse the payload's claims. */
#include "signaling/access/access.h"
#include "common/tb_error.h"

#include <glib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define SIG_LEN 32 /* SHA-256 */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

uint8_t *tb_sig_b64url_decode(const char *s, size_t len, size_t *out_len)
{
    if (len % 4 == 1)
        return NULL;
    uint8_t *out = g_malloc(len / 4 * 3 + 3);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(s[i]);
        if (v < 0) {
            g_free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* Leftover bits must be zero, or two encodings would decode alike. */
    if (bits && (acc & ((1u << bits) - 1))) {
        g_free(out);
        return NULL;
    }
    *out_len = n;
    return out;
}

char *tb_sig_b64url_encode(const uint8_t *data, size_t len)
{
    GString *s = g_string_sized_new(len * 4 / 3 + 4);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            g_string_append_c(s, b64url_alphabet[(acc >> bits) & 63]);
        }
    }
    if (bits)
        g_string_append_c(s, b64url_alphabet[(acc << (6 - bits)) & 63]);
    return g_string_free(s, FALSE);
}

const char *tb_sig_token_result_code(tb_sig_token_result r)
{
    switch (r) {
    case TB_SIG_TOKEN_OK:
        return "ok";
    case TB_SIG_TOKEN_MALFORMED:
        return "token_malformed";
    case TB_SIG_TOKEN_ALG:
        return "token_alg";
    case TB_SIG_TOKEN_SIGNATURE:
        return "token_signature";
    case TB_SIG_TOKEN_EXPIRED:
        return "token_expired";
    case TB_SIG_TOKEN_NOT_YET_VALID:
        return "token_not_yet_valid";
    }
    return "token_malformed";
}

void tb_sig_claims_clear(tb_sig_claims *c)
{
    g_free(c->room);
    g_free(c->identity);
    g_free(c->name);
    memset(c, 0, sizeof *c);
}

static void hmac256(const uint8_t *key, size_t keylen, const char *data, size_t len,
                    uint8_t out[SIG_LEN])
{
    unsigned int n = SIG_LEN;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, len, out, &n);
}

/* A JSON object from one base64url part, or NULL. */
static json_t *decode_json_part(const char *s, size_t len)
{
    size_t n = 0;
    g_autofree uint8_t *raw = tb_sig_b64url_decode(s, len, &n);
    if (!raw)
        return NULL;
    json_t *j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

bool tb_sig_valid_room(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

static bool valid_text(const char *s, glong max_chars)
{
    if (!g_utf8_validate(s, -1, NULL))
        return false;
    glong n = g_utf8_strlen(s, -1);
    if (n < 1 || n > max_chars)
        return false;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (g_unichar_iscntrl(g_utf8_get_char(p)))
            return false;
    return true;
}

/* Times past this (the year 33658) are no dates: refusing them keeps `exp + leeway` and
 * the like far from overflowing. */
#define MAX_NUMERIC_DATE 1000000000000LL

/* An optional integer time claim (NumericDate, RFC 7519 section 2). */
static bool time_claim(json_t *payload, const char *key, bool required, int64_t *out)
{
    json_t *v = json_object_get(payload, key);
    if (!v)
        return !required;
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) < MAX_NUMERIC_DATE) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) > 0 && json_real_value(v) < MAX_NUMERIC_DATE) {
        *out = (int64_t)json_real_value(v);
        return true;
    }
    return false;
}

static tb_sig_token_result malformed(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return TB_SIG_TOKEN_MALFORMED;
}

static tb_sig_token_result parse_claims(json_t *p, tb_sig_claims *c, char *err, size_t errlen)
{
    const char *room = json_string_value(json_object_get(p, "room"));
    const char *sub = json_string_value(json_object_get(p, "sub"));
    const char *role = json_string_value(json_object_get(p, "role"));
    json_t *name = json_object_get(p, "name");
    if (!room || !tb_sig_valid_room(room))
        return malformed(err, errlen, "claim 'room' must name a room (A-Z a-z 0-9 _ -)");
    if (!sub || strlen(sub) > 256 || !valid_text(sub, 128))
        return malformed(err, errlen, "claim 'sub' (identity) must be 1-128 characters");
    if (!role || tb_sig_role_parse(role, &c->role))
        return malformed(err, errlen,
                         "claim 'role' must be moderator, speaker, participant, "
                         "viewer or site");
    if (name && (!json_is_string(name) || strlen(json_string_value(name)) > 512 ||
                 !valid_text(json_string_value(name), 64)))
        return malformed(err, errlen, "claim 'name' must be 1-64 characters");
    if (!time_claim(p, "exp", true, &c->exp))
        return malformed(err, errlen, "claim 'exp' (expiry, seconds) is required");
    if (!time_claim(p, "nbf", false, &c->nbf) || !time_claim(p, "iat", false, &c->iat))
        return malformed(err, errlen, "claims 'nbf' and 'iat' must be numbers");
    c->perms = tb_sig_role_perms(c->role);
    json_t *perms = json_object_get(p, "perms");
    if (perms && !json_is_object(perms))
        return malformed(err, errlen, "claim 'perms' must be an object of booleans");
    const char *key;
    json_t *v;
    json_object_foreach(perms, key, v)
    {
        unsigned bit;
        if (tb_sig_perm_parse(key, &bit) || !json_is_boolean(v)) {
            snprintf(err, errlen,
                     "claim 'perms': '%.32s' is not a permission with a boolean "
                     "(publish, screen, chat, hand, moderate, record)",
                     key);
            return TB_SIG_TOKEN_MALFORMED;
        }
        c->perms = json_is_true(v) ? (c->perms | bit) : (c->perms & ~bit);
    }
    c->room = g_strdup(room);
    c->identity = g_strdup(sub);
    c->name = name ? g_strdup(json_string_value(name)) : NULL;
    return TB_SIG_TOKEN_OK;
}

static tb_sig_token_result check_header(json_t *h, char *err, size_t errlen)
{
    json_t *alg = json_object_get(h, "alg");
    if (!json_is_string(alg))
        return malformed(err, errlen, "header without 'alg'");
    if (strcmp(json_string_value(alg), "HS256") != 0) {
        snprintf(err, errlen, "algorithm '%.16s' is not accepted: only HS256",
                 json_string_value(alg));
        return TB_SIG_TOKEN_ALG;
    }
    json_t *typ = json_object_get(h, "typ");
    if (typ && (!json_is_string(typ) || g_ascii_strcasecmp(json_string_value(typ), "JWT")))
        return malformed(err, errlen, "header 'typ' must be JWT");
    /* RFC 7515 section 4.1.11: extensions we do not understand must be refused. */
    if (json_object_get(h, "crit"))
        return malformed(err, errlen, "header 'crit' is not supported");
    return TB_SIG_TOKEN_OK;
}

tb_sig_token_result tb_sig_token_verify(const char *token, const uint8_t *key, size_t keylen,
                                        int64_t now_s, tb_sig_claims *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len = token ? strnlen(token, TB_SIG_TOKEN_MAX + 1) : 0;
    if (len == 0 || len > TB_SIG_TOKEN_MAX)
        return malformed(err, errlen, "a token is 1-4096 characters");
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return malformed(err, errlen, "a token has three dot-separated parts");
    json_t *header = decode_json_part(token, (size_t)(d1 - token));
    if (!header)
        return malformed(err, errlen, "the token header is not base64url JSON");
    tb_sig_token_result r = check_header(header, err, errlen);
    json_decref(header);
    if (r != TB_SIG_TOKEN_OK)
        return r;

    size_t sig_len = 0;
    g_autofree uint8_t *sig =
        tb_sig_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &sig_len);
    uint8_t want[SIG_LEN];
    hmac256(key, keylen, token, (size_t)(d2 - token), want);
    if (!sig || sig_len != SIG_LEN || CRYPTO_memcmp(sig, want, SIG_LEN) != 0) {
        snprintf(err, errlen,
                 "the token's signature does not match (forged, or signed with "
                 "another key)");
        return TB_SIG_TOKEN_SIGNATURE;
    }

    json_t *payload = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!payload)
        return malformed(err, errlen, "the token payload is not base64url JSON");
    r = parse_claims(payload, out, err, errlen);
    json_decref(payload);
    if (r == TB_SIG_TOKEN_OK && now_s >= out->exp + TB_SIG_TOKEN_LEEWAY_S) {
        snprintf(err, errlen, "the token expired %lld s ago", (long long)(now_s - out->exp));
        r = TB_SIG_TOKEN_EXPIRED;
    } else if (r == TB_SIG_TOKEN_OK && out->nbf && now_s + TB_SIG_TOKEN_LEEWAY_S < out->nbf) {
        snprintf(err, errlen, "the token is valid only in %lld s", (long long)(out->nbf - now_s));
        r = TB_SIG_TOKEN_NOT_YET_VALID;
    }
    if (r != TB_SIG_TOKEN_OK)
        tb_sig_claims_clear(out);
    return r;
}

char *tb_sig_token_mint(const uint8_t *key, size_t keylen, const tb_sig_claims *c)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    json_t *p =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "iss", "telebridge", "sub", c->identity, "room",
                  c->room, "role", tb_sig_role_name(c->role), "exp", (json_int_t)c->exp);
    if (!p)
        return NULL;
    if (c->name)
        json_object_set_new(p, "name", json_string(c->name));
    if (c->iat)
        json_object_set_new(p, "iat", json_integer(c->iat));
    if (c->nbf)
        json_object_set_new(p, "nbf", json_integer(c->nbf));
    unsigned base = tb_sig_role_perms(c->role);
    if (c->perms != base) {
        json_t *perms = json_object();
        for (int i = 0; tb_sig_perm_name_at(i); i++) {
            unsigned bit = 1u << i;
            if ((c->perms ^ base) & bit)
                json_object_set_new(perms, tb_sig_perm_name_at(i), json_boolean(c->perms & bit));
        }
        json_object_set_new(p, "perms", perms);
    }
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    if (!payload)
        return NULL;
    g_autofree char *h64 = tb_sig_b64url_encode((const uint8_t *)header, strlen(header));
    g_autofree char *p64 = tb_sig_b64url_encode((const uint8_t *)payload, strlen(payload));
    free(payload);
    g_autofree char *signing = g_strconcat(h64, ".", p64, NULL);
    uint8_t sig[SIG_LEN];
    hmac256(key, keylen, signing, strlen(signing), sig);
    g_autofree char *s64 = tb_sig_b64url_encode(sig, SIG_LEN);
    return g_strconcat(signing, ".", s64, NULL);
}
