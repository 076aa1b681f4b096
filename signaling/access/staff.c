/* staff.c — staff sign-in for the pages and APIs only staff may use (/studio).
 *
 * Being on this machine is never a credential: behind a reverse proxy every request
 * comes from 127.0.0.1, and any web page the staff's browser opens can send requests to
 * 127.0.0.1. Staff sign in with [recording] studio_password or with a moderator's join
 * token (the `moderate` and `record` permissions; `telebridge token --studio` prints a
 * studio link carrying one). A sign-in makes a session: a random id the browser keeps
 * in an HttpOnly, SameSite=Strict cookie (so no script reads it and no other site's
 * request carries it), and a random CSRF token the page sends in a header with every
 * state-changing request (a cross-site form cannot set headers). Failed sign-ins are
 * throttled per address: a token bucket of SIGNIN_BURST, refilled one per
 * SIGNIN_REFILL_S seconds.
 *
 * Holds state, unlike the rest of access/: main thread only. */
#define TB_LOG_CAT "sig/staff"
#include "signaling/access/access.h"
#include "common/tb_error.h"
#include "common/tb_log.h"
#include "common/tb_rate.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define SIGNIN_BURST       5
#define SIGNIN_REFILL_S    30
#define MAX_SESSIONS       256  /* the oldest goes when a new one would pass this */
#define MAX_THROTTLED      4096 /* addresses remembered; full buckets are forgotten */
#define SESSION_IDLE_S     (4 * 3600)
#define SESSION_LIFETIME_S (12 * 3600)

struct tb_sig_staff_session {
    char id[TB_SIG_STAFF_SECRET_LEN + 1];   /* the cookie's value */
    char csrf[TB_SIG_STAFF_SECRET_LEN + 1]; /* the header's value */
    char who[128];                          /* for the log: "password" or the token's name */
    int64_t created_us, used_us;            /* monotonic */
};

typedef tb_rate bucket;

struct tb_sig_staff {
    const tb_config *cfg; /* not owned */
    GBytes *key;          /* not owned: the join tokens' key */
    GHashTable *sessions; /* id → tb_sig_staff_session* (owned) */
    GHashTable *failures; /* address → bucket* (owned) */
};

tb_sig_staff *tb_sig_staff_create(const tb_config *cfg, GBytes *token_key)
{
    tb_sig_staff *s = g_new0(tb_sig_staff, 1);
    s->cfg = cfg;
    s->key = token_key;
    s->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    s->failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return s;
}

void tb_sig_staff_destroy(tb_sig_staff *s)
{
    if (!s)
        return;
    g_hash_table_unref(s->sessions);
    g_hash_table_unref(s->failures);
    g_free(s);
}

static bool random_hex(char out[TB_SIG_STAFF_SECRET_LEN + 1])
{
    uint8_t raw[TB_SIG_STAFF_SECRET_LEN / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return false;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return true;
}

/* Constant-time: neither check may leak how much of a secret matched. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return CRYPTO_memcmp(a, b, la) == 0;
}

#define REFILL_PER_S (1.0 / SIGNIN_REFILL_S)

/* The address's bucket after refilling it; NULL when the table is full of others. */
static bucket *bucket_of(tb_sig_staff *s, const char *addr, int64_t now_us)
{
    bucket *b = g_hash_table_lookup(s->failures, addr);
    if (!b) {
        if (g_hash_table_size(s->failures) >= MAX_THROTTLED) {
            /* Forget the addresses whose bucket has refilled; if none, throttle everyone. */
            GHashTableIter it;
            gpointer k, v;
            g_hash_table_iter_init(&it, s->failures);
            while (g_hash_table_iter_next(&it, &k, &v)) {
                tb_rate_refill(v, REFILL_PER_S, SIGNIN_BURST, now_us);
                if (((bucket *)v)->tokens >= SIGNIN_BURST)
                    g_hash_table_iter_remove(&it);
            }
            if (g_hash_table_size(s->failures) >= MAX_THROTTLED)
                return NULL;
        }
        b = g_new0(bucket, 1);
        g_hash_table_insert(s->failures, g_strdup(addr), b);
    }
    tb_rate_refill(b, REFILL_PER_S, SIGNIN_BURST, now_us);
    return b;
}

int tb_sig_staff_throttled(tb_sig_staff *s, const char *addr, int64_t now_us)
{
    bucket *b = bucket_of(s, addr, now_us);
    if (!b)
        return SIGNIN_REFILL_S;
    double wait = tb_rate_wait_s(b, REFILL_PER_S);
    return wait > 0 ? (int)wait + 1 : 0;
}

void tb_sig_staff_failed(tb_sig_staff *s, const char *addr, int64_t now_us)
{
    bucket *b = bucket_of(s, addr, now_us);
    if (b)
        (void)tb_rate_take(b, REFILL_PER_S, SIGNIN_BURST, now_us);
}

bool tb_sig_staff_password_ok(tb_sig_staff *s, const char *password)
{
    const char *want = s->cfg->recording.studio_password;
    return *want && password && same_secret(password, want);
}

bool tb_sig_staff_token_ok(tb_sig_staff *s, const char *token, char *who, size_t wholen, char *err,
                           size_t errlen)
{
    if (!token || !s->key) {
        snprintf(err, errlen, "no token");
        return false;
    }
    tb_sig_claims c;
    gsize n = 0;
    const uint8_t *k = g_bytes_get_data(s->key, &n);
    tb_sig_token_result r =
        tb_sig_token_verify(token, k, n, g_get_real_time() / G_USEC_PER_SEC, &c, err, errlen);
    if (r != TB_SIG_TOKEN_OK)
        return false;
    unsigned need = TB_SIG_PERM_MODERATE | TB_SIG_PERM_RECORD;
    bool ok = (c.perms & need) == need;
    if (!ok)
        snprintf(err, errlen, "the token's role (%s) is not staff: a moderator's token is needed",
                 tb_sig_role_name(c.role));
    else
        snprintf(who, wholen, "%s", c.name ? c.name : c.identity);
    tb_sig_claims_clear(&c);
    return ok;
}

static void drop_oldest(tb_sig_staff *s)
{
    GHashTableIter it;
    gpointer k, v;
    const tb_sig_staff_session *oldest = NULL;
    g_hash_table_iter_init(&it, s->sessions);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!oldest || ((tb_sig_staff_session *)v)->used_us < oldest->used_us)
            oldest = v;
    if (oldest)
        g_hash_table_remove(s->sessions, oldest->id);
}

const tb_sig_staff_session *tb_sig_staff_session_new(tb_sig_staff *s, const char *who,
                                                     int64_t now_us)
{
    tb_sig_staff_session *ss = g_new0(tb_sig_staff_session, 1);
    if (!random_hex(ss->id) || !random_hex(ss->csrf)) {
        g_free(ss);
        return NULL;
    }
    g_strlcpy(ss->who, who, sizeof ss->who);
    ss->created_us = ss->used_us = now_us;
    while (g_hash_table_size(s->sessions) >= MAX_SESSIONS)
        drop_oldest(s);
    g_hash_table_insert(s->sessions, ss->id, ss);
    TB_LOG_INFO("staff signed in (%s)", ss->who);
    return ss;
}

/* The value of cookie `name` in a Cookie header ("a=1; b=2"), copied into out. */
static bool cookie_value(const char *header, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl >= cap)
                return false;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

const tb_sig_staff_session *tb_sig_staff_session_find(tb_sig_staff *s, const char *cookie_header,
                                                      int64_t now_us)
{
    char id[TB_SIG_STAFF_SECRET_LEN + 8];
    if (!cookie_header || !cookie_value(cookie_header, TB_SIG_STAFF_COOKIE, id, sizeof id))
        return NULL;
    tb_sig_staff_session *ss = g_hash_table_lookup(s->sessions, id);
    if (!ss)
        return NULL;
    if (now_us - ss->used_us > (int64_t)SESSION_IDLE_S * G_USEC_PER_SEC ||
        now_us - ss->created_us > (int64_t)SESSION_LIFETIME_S * G_USEC_PER_SEC) {
        g_hash_table_remove(s->sessions, id);
        return NULL;
    }
    ss->used_us = now_us;
    return ss;
}

bool tb_sig_staff_csrf_ok(const tb_sig_staff_session *ss, const char *header)
{
    return ss && header && same_secret(header, ss->csrf);
}

const char *tb_sig_staff_session_id(const tb_sig_staff_session *ss)
{
    return ss->id;
}

const char *tb_sig_staff_session_csrf(const tb_sig_staff_session *ss)
{
    return ss->csrf;
}

const char *tb_sig_staff_session_who(const tb_sig_staff_session *ss)
{
    return ss->who;
}

int64_t tb_sig_staff_session_expires_s(const tb_sig_staff_session *ss, int64_t now_us)
{
    int64_t left = ss->created_us + (int64_t)SESSION_LIFETIME_S * G_USEC_PER_SEC - now_us;
    return MAX(0, left / G_USEC_PER_SEC);
}

void tb_sig_staff_session_end(tb_sig_staff *s, const tb_sig_staff_session *ss)
{
    if (ss)
        g_hash_table_remove(s->sessions, ss->id);
}
