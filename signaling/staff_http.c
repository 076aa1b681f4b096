/* staff_http.c — the staff gate of HTTP requests (staff_http.h).
 *
 * A request to a staff route goes on only when all of these hold:
 *   - its Host is one of the server's names (DNS rebinding: 421 otherwise);
 *   - it carries a live staff session cookie, or — read-only requests over TLS only — the
 *     studio password as HTTP Basic credentials (for scripts; never over plain HTTP,
 *     and never for a change, since browsers resend cached Basic credentials with any
 *     site's request); being on this machine counts for nothing;
 *   - when it changes something: the session's CSRF token in X-CSRF-Token and an Origin
 *     that is the server's own (a cross-site form can set neither).
 * Sign-in attempts are throttled per address (access/staff.c). */
#define TB_LOG_CAT "sig/staff"
#include "signaling/staff_http.h"
#include "common/tb_log.h"

#include <stdio.h>
#include <string.h>

#define CSRF_HEADER "x-csrf-token:"

/* A header's value (transfer full), or NULL when absent or over 4 KiB. */
static char *header(struct lws *wsi, enum lws_token_indexes t)
{
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0 || n > 4096)
        return NULL;
    char *v = g_malloc((size_t)n + 1);
    if (lws_hdr_copy(wsi, v, n + 1, t) < 0) {
        g_free(v);
        return NULL;
    }
    return v;
}

static char *custom_header(struct lws *wsi, const char *name)
{
    int nl = (int)strlen(name);
    int n = lws_hdr_custom_length(wsi, name, nl);
    if (n <= 0 || n > 4096)
        return NULL;
    char *v = g_malloc((size_t)n + 1);
    if (lws_hdr_custom_copy(wsi, v, n + 1, name, nl) < 0) {
        g_free(v);
        return NULL;
    }
    return v;
}

static void answer(tb_sig_staff_answer *a, unsigned status, const char *code, const char *reason)
{
    memset(a, 0, sizeof *a);
    a->status = status;
    a->body = json_pack("{s:s, s:s}", "error", code, "reason", reason);
}

static bool host_ok(const tb_sig_staff_http *g, struct lws *wsi, tb_sig_staff_answer *a)
{
    g_autofree char *host = header(wsi, WSI_TOKEN_HOST);
    if (tb_sig_host_allowed(g->cfg, g->port, g->tls, host))
        return true;
    TB_LOG_WARN("staff request for a foreign host '%.64s' refused", host ? host : "");
    answer(a, 421, "wrong_host",
           "this server does not answer to that host name (set server.public_url)");
    return false;
}

/* An Origin that must be present and ours (`required`), or ours when present. */
static bool origin_ok(const tb_sig_staff_http *g, struct lws *wsi, bool required,
                      tb_sig_staff_answer *a)
{
    g_autofree char *origin = header(wsi, WSI_TOKEN_ORIGIN);
    if ((!origin && !required) || tb_sig_origin_allowed(g->cfg, g->port, g->tls, origin))
        return true;
    TB_LOG_WARN("staff request from origin '%.64s' refused", origin ? origin : "(none)");
    answer(a, 403, "cross_origin", "the request does not come from this server's pages");
    return false;
}

static bool basic_ok(const tb_sig_staff_http *g, struct lws *wsi)
{
    g_autofree char *auth = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (!auth || g_ascii_strncasecmp(auth, "Basic ", 6))
        return false;
    gsize n = 0;
    g_autofree guchar *raw = g_base64_decode(auth + 6, &n);
    g_autofree char *cred = g_strndup((const char *)raw, n);
    const char *colon = strchr(cred, ':');
    return colon && tb_sig_staff_password_ok(g->staff, colon + 1);
}

bool tb_sig_staff_http_allow(const tb_sig_staff_http *g, struct lws *wsi, bool state_changing,
                             const tb_sig_staff_session **session, tb_sig_staff_answer *a)
{
    *session = NULL;
    if (!host_ok(g, wsi, a))
        return false;
    g_autofree char *cookie = header(wsi, WSI_TOKEN_HTTP_COOKIE);
    const tb_sig_staff_session *ss =
        tb_sig_staff_session_find(g->staff, cookie, g_get_monotonic_time());
    if (!ss) {
        if (!state_changing && g->tls && basic_ok(g, wsi))
            return true;
        answer(a, 401, "unauthorized", "sign in to the studio first");
        return false;
    }
    if (state_changing) {
        g_autofree char *csrf = custom_header(wsi, CSRF_HEADER);
        if (!tb_sig_staff_csrf_ok(ss, csrf)) {
            TB_LOG_WARN("staff request without its CSRF token refused");
            answer(a, 403, "csrf", "the request lacks this session's X-CSRF-Token");
            return false;
        }
        if (!origin_ok(g, wsi, true, a))
            return false;
    }
    *session = ss;
    return true;
}

/* The session's data for the page: its CSRF token and when it ends. */
static json_t *session_json(const tb_sig_staff_session *ss)
{
    return json_pack("{s:s, s:I, s:s}", "csrf", tb_sig_staff_session_csrf(ss), "expires_s",
                     (json_int_t)tb_sig_staff_session_expires_s(ss, g_get_monotonic_time()), "who",
                     tb_sig_staff_session_who(ss));
}

static void set_cookie(const tb_sig_staff_http *g, tb_sig_staff_answer *a, const char *value,
                       int64_t max_age)
{
    snprintf(a->set_cookie, sizeof a->set_cookie,
             "%s=%s; Path=/studio; Max-Age=%lld; HttpOnly; SameSite=Strict%s", TB_SIG_STAFF_COOKIE,
             value, (long long)max_age, g->tls ? "; Secure" : "");
}

void tb_sig_staff_http_sign_in(const tb_sig_staff_http *g, struct lws *wsi, const char *body,
                               size_t len, tb_sig_staff_answer *a)
{
    if (!host_ok(g, wsi, a) || !origin_ok(g, wsi, false, a))
        return;
    char addr[64] = "?";
    lws_get_peer_simple(wsi, addr, sizeof addr);
    int64_t now = g_get_monotonic_time();
    int wait = tb_sig_staff_throttled(g->staff, addr, now);
    if (wait > 0) {
        answer(a, 429, "rate_limited", "too many failed sign-ins: wait and try again");
        snprintf(a->retry_after, sizeof a->retry_after, "%d", wait);
        return;
    }
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    const char *password = json_string_value(json_object_get(j, "password"));
    const char *token = json_string_value(json_object_get(j, "token"));
    char who[128] = "password", err[256] = "";
    bool ok = false;
    if (!json_is_object(j) || (!password && !token)) {
        answer(a, 400, "bad_request", "expected {\"password\": …} or {\"token\": …}");
        json_decref(j);
        return;
    }
    if (password)
        ok = tb_sig_staff_password_ok(g->staff, password);
    else
        ok = tb_sig_staff_token_ok(g->staff, token, who, sizeof who, err, sizeof err);
    json_decref(j);
    if (!ok) {
        tb_sig_staff_failed(g->staff, addr, now);
        TB_LOG_WARN("%s: staff sign-in refused (%s)", addr, password ? "wrong password" : err);
        answer(a, 401, "unauthorized",
               password ? (*g->cfg->recording.studio_password ? "wrong password"
                                                              : "no studio password is set: "
                                                                "sign in with a studio link")
                        : "this link does not open the studio");
        return;
    }
    const tb_sig_staff_session *ss = tb_sig_staff_session_new(g->staff, who, now);
    if (!ss) {
        answer(a, 500, "internal", "no session could be made");
        return;
    }
    memset(a, 0, sizeof *a);
    a->status = 200;
    a->body = session_json(ss);
    set_cookie(g, a, tb_sig_staff_session_id(ss), tb_sig_staff_session_expires_s(ss, now));
}

void tb_sig_staff_http_session(const tb_sig_staff_http *g, struct lws *wsi, tb_sig_staff_answer *a)
{
    if (!host_ok(g, wsi, a))
        return;
    g_autofree char *cookie = header(wsi, WSI_TOKEN_HTTP_COOKIE);
    const tb_sig_staff_session *ss =
        tb_sig_staff_session_find(g->staff, cookie, g_get_monotonic_time());
    if (!ss) {
        answer(a, 401, "unauthorized", "not signed in");
        return;
    }
    memset(a, 0, sizeof *a);
    a->status = 200;
    a->body = session_json(ss);
}

void tb_sig_staff_http_sign_out(const tb_sig_staff_http *g, struct lws *wsi, tb_sig_staff_answer *a)
{
    const tb_sig_staff_session *ss;
    if (!tb_sig_staff_http_allow(g, wsi, true, &ss, a))
        return;
    tb_sig_staff_session_end(g->staff, ss);
    memset(a, 0, sizeof *a);
    a->status = 200;
    a->body = json_object();
    set_cookie(g, a, "", 0);
}
