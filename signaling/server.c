/* server.c — the assembly of the control plane, and libwebsockets on the GLib main
 * loop: static files from web/, the signaling WebSocket at /ws and the recordings' HTTP
 * (recording/http_media.c), on one port; https/wss when a certificate is configured
 * (or made with --self-signed), HTTP/1.1 only (ALPN), so that WebSockets are plain
 * RFC 6455 upgrades rather than RFC 8441 streams.
 *
 * The server owns the catalog, the token key, the hub of rooms (room/), the recorder
 * (recording/) and the connections (conn.c), and wires them together: a complete
 * message from a connection goes to the protocol, a closed connection's participant
 * leaves its room.
 *
 * lws runs through its glib event-loop plugin (docs/platform.md), so lws callbacks,
 * GLib sources and relay events all run on the main thread and share state without
 * locks. One protocol callback with a switch calling one function per case. */
#define TB_LOG_CAT "sig/server"
#include "signaling/tb_sig.h"
#include "signaling/admission.h"
#include "signaling/recording/recording.h"
#include "signaling/tls.h"
#include "common/tb_error.h"
#include "common/tb_time.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define CHECK_S 1 /* how often connections are checked for deadlines */
/* At shutdown: the close clients get (RFC 6455 section 7.4.1: 1001, "a server going
 * down"; 1012 would say "restart" but strict clients refuse it), and
 * how long recordings get to close their files (the process must be gone within 5 s). */
#define SHUTDOWN_CLOSE         LWS_CLOSE_STATUS_GOINGAWAY
#define SHUTDOWN_RECORDINGS_US (3 * G_USEC_PER_SEC)
#define SHUTDOWN_FLUSH_US      (500 * 1000)
/* lws log lines passed on per second; the rest are counted and summed up. */
#define LWS_LOG_PER_S 10

struct tb_sig_server {
    const tb_config *cfg;        /* not owned */
    tb_relay *relay;             /* not owned */
    struct lws_context *lws;     /* owned */
    tb_rec_catalog *catalog;     /* owned: var_dir/telebridge.db */
    GBytes *token_key;           /* owned: the HS256 key of join tokens (access/auth.c) */
    char *tls_cert, *tls_key;    /* owned: PEM paths when serving https/wss, else NULL */
    tb_sig_hub *hub;             /* owned: the rooms */
    tb_sig_recorder *recorder;   /* owned: recorder processes, compositions */
    tb_sig_staff *staff;         /* owned: staff sessions (/studio) */
    tb_sig_staff_http gate;      /* the staff gate of HTTP requests */
    tb_sig_http_media media;     /* the recordings' HTTP protocol's user */
    GList *conns;                /* tb_sig_conn* open WebSocket connections, owned */
    tb_sig_admission *admission; /* owned: connection caps, descriptor budget */
    guint idle_timer;
    int port;
    char *web_root_abs;
    struct lws_http_mount mount;
    struct lws_protocol_vhost_options mime_opts[4];
    struct lws_protocols protocols[4]; /* lws keeps pointing at them */
};

/* A new WebSocket: counted against the caps, or told why not and closed. */
static tb_sig_conn *conn_open(tb_sig_server *srv, struct lws *wsi)
{
    tb_sig_conn_limits lim = {(size_t)srv->cfg->server.max_message_bytes,
                              (size_t)srv->cfg->limits.send_queue_bytes};
    tb_sig_conn *c = tb_sig_conn_create(wsi, &lim);
    srv->conns = g_list_prepend(srv->conns, c);
    const char *refused = tb_sig_admission_enter(srv->admission, c->peer);
    c->counted = refused == NULL;
    if (refused) {
        TB_LOG_WARN("%s: WebSocket refused (%s; %d open)", c->peer, refused,
                    tb_sig_admission_count(srv->admission));
        tb_sig_error(c, NULL, refused, "%s",
                     !strcmp(refused, "too_many_connections")
                         ? "the server has as many connections as it takes: try again later"
                         : "too many connections from your address");
        tb_sig_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
    }
    return c;
}

static void conn_free(tb_sig_server *srv, tb_sig_conn *c)
{
    srv->conns = g_list_remove(srv->conns, c);
    if (c->counted)
        tb_sig_admission_leave(srv->admission, c->peer);
    tb_sig_conn_destroy(c);
}

static int on_receive(tb_sig_server *srv, tb_sig_conn *c, const void *in, size_t len)
{
    switch (tb_sig_conn_receive(c, in, len)) {
    case TB_SIG_RX_MESSAGE:
        tb_sig_protocol_handle(srv->hub, c, (const char *)c->rx->data, c->rx->len - 1);
        tb_sig_conn_rx_done(c);
        return 0;
    case TB_SIG_RX_BINARY:
        tb_sig_error(c, NULL, "bad_json", "binary messages are not accepted");
        return 0;
    case TB_SIG_RX_TOO_LARGE:
        return -1;
    case TB_SIG_RX_MORE:
    case TB_SIG_RX_IGNORED:
        break;
    }
    return 0;
}

/* Upgrades are accepted on any path by lws; only /ws is ours. A browser names the page
 * that opens a WebSocket in Origin: a page of another site may not (cross-site
 * WebSocket hijacking). Clients that are not browsers send no Origin. */
static int filter_connection(tb_sig_server *srv, struct lws *wsi)
{
    char uri[64] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0)
        return -1;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (n <= 0)
        return 0;
    char origin[256] = "";
    if (n >= (int)sizeof origin || lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0 ||
        !tb_sig_origin_allowed(srv->cfg, srv->port, srv->tls_cert != NULL, origin)) {
        char peer[64] = "?";
        lws_get_peer_simple(wsi, peer, sizeof peer);
        TB_LOG_WARN("%s: WebSocket from the foreign origin '%.80s' refused", peer, origin);
        return -1;
    }
    return 0;
}

/* A TCP connection was accepted (any protocol): refused at once near the descriptor
 * limit. */
static int filter_network(tb_sig_server *srv, void *args)
{
    const struct lws_filter_network_conn_args *a = args;
    if (a && !tb_sig_admission_fd_ok(srv->admission, (int)a->accept_fd)) {
        static int64_t last_us;
        int64_t now = tb_time_mono_us();
        if (now - last_us > G_USEC_PER_SEC) {
            TB_LOG_WARN("near the descriptor limit: refusing new connections");
            last_us = now;
        }
        return 1;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    tb_sig_server *srv = lws_context_user(lws_get_context(wsi));
    tb_sig_conn **pc = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return filter_network(srv, user); /* user: the accept's arguments, not a conn */
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_connection(srv, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        *pc = conn_open(srv, wsi);
        TB_LOG_DEBUG("%s: WebSocket open", (*pc)->peer);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return *pc ? on_receive(srv, *pc, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return *pc ? tb_sig_conn_on_writeable(*pc) : 0;
    case LWS_CALLBACK_CLOSED:
        if (*pc) {
            (*pc)->wsi = NULL;
            tb_sig_session_conn_closed(*pc);
            conn_free(srv, *pc);
            *pc = NULL;
        }
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* lws's canned security headers (LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_
 * ENFORCE), plus media-src 'self' so that <video> plays recordings served from here
 * (/studio, /archive); lws's own documentation says to send adapted headers this way. */
static const struct lws_protocol_vhost_options security_headers[] = {
    {&security_headers[1], NULL, "content-security-policy:",
     "default-src 'none'; img-src 'self' data: ; media-src 'self'; script-src 'self'; "
     "font-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
     "base-uri 'none'; form-action 'self';"},
    {&security_headers[2], NULL, "x-content-type-options:", "nosniff"},
    {&security_headers[3], NULL, "x-xss-protection:", "1; mode=block"},
    {&security_headers[4], NULL, "x-frame-options:", "deny"},
    {NULL, NULL, "referrer-policy:", "no-referrer"},
};

/* The WebSocket on "http" (upgrades naming no subprotocol) and "telebridge-v1"; the
 * recordings' HTTP (/studio, /archive) on its own protocol, whose user is the recorder. */
static void fill_protocols(tb_sig_server *srv)
{
    struct lws_protocols *p = srv->protocols;
    p[0] = (struct lws_protocols){"http", callback, sizeof(tb_sig_conn *), 0, 0, NULL, 0};
    p[1] = (struct lws_protocols){"telebridge-v1", callback, sizeof(tb_sig_conn *), 0, 0, NULL, 0};
    p[2] = (struct lws_protocols){TB_SIG_HTTP_MEDIA_PROTOCOL_NAME,
                                  tb_sig_http_media_callback,
                                  TB_SIG_HTTP_MEDIA_PSS_SIZE,
                                  0,
                                  0,
                                  &srv->media,
                                  0};
    p[3] = (struct lws_protocols){NULL, NULL, 0, 0, 0, NULL, 0};
}

/* Every second: connections that never joined, went silent, or stopped reading. */
static gboolean idle_check(gpointer data)
{
    tb_sig_server *srv = data;
    const tb_config *cfg = srv->cfg;
    int64_t idle = (int64_t)cfg->server.idle_timeout_s * G_USEC_PER_SEC;
    int64_t join = (int64_t)cfg->limits.join_timeout_s * G_USEC_PER_SEC;
    int64_t send = (int64_t)cfg->limits.send_timeout_s * G_USEC_PER_SEC;
    int64_t now = tb_time_mono_us();
    for (GList *l = srv->conns; l; l = l->next) {
        tb_sig_conn *c = l->data;
        if (tb_sig_conn_stalled(c, now, send)) {
            tb_sig_conn_drop(c, c->closing ? "its close did not complete"
                                           : "it takes nothing of what is sent to it");
        } else if (c->closing || c->dropped) {
            continue;
        } else if (!c->participant && now - c->created_us > join) {
            TB_LOG_INFO("%s: no join within %d s, closing", c->peer, cfg->limits.join_timeout_s);
            tb_sig_error(c, NULL, "join_timeout", "no join within %d s",
                         cfg->limits.join_timeout_s);
            tb_sig_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
        } else if (now - c->last_rx_us > idle) {
            TB_LOG_INFO("%s: silent for %d s, closing", c->peer, cfg->server.idle_timeout_s);
            tb_sig_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY);
        }
    }
    return G_SOURCE_CONTINUE;
}

/* The admission of the server lws logs for (one server per process). */
static tb_sig_admission *log_admission;

/* lws's log lines into ours, at most LWS_LOG_PER_S a second (a failing accept() logs one
 * line per attempt); the rest are counted. A failed accept() for lack of descriptors
 * gives back the spare one (admission.h). */
static void log_emit(int level, const char *line)
{
    static tb_rate rate;
    static unsigned suppressed;
    if (log_admission && strstr(line, "accept") &&
        (strstr(line, "Too many open files") || strstr(line, "errno 24")))
        tb_sig_admission_out_of_fds(log_admission);
    int64_t now = tb_time_mono_us();
    if (!tb_rate_take(&rate, LWS_LOG_PER_S, LWS_LOG_PER_S, now)) {
        suppressed++;
        return;
    }
    if (suppressed) {
        tb_log_write(TB_LOG_LEVEL_WARN, "lws", "(%u similar lines not shown)", suppressed);
        suppressed = 0;
    }
    char buf[256];
    g_strlcpy(buf, line, sizeof buf);
    g_strchomp(buf);
    tb_log_write(level == LLL_ERR ? TB_LOG_LEVEL_ERR : TB_LOG_LEVEL_WARN, "lws", "%s", buf);
}

tb_sig_server *tb_sig_server_create(const tb_config *cfg, tb_relay *relay, GMainLoop *loop,
                                    char *err, size_t errlen)
{
    /* The glib plugin must stay loaded until the very end of lws_context_destroy. */
    dlopen("libwebsockets-evlib_glib.so", RTLD_NOW | RTLD_NODELETE);
    lws_set_log_level(LLL_ERR | LLL_WARN, log_emit);

    tb_sig_server *srv = g_new0(tb_sig_server, 1);
    srv->cfg = cfg;
    srv->relay = relay;
    srv->web_root_abs = g_canonicalize_filename(cfg->server.web_root, NULL);
    if (!g_file_test(srv->web_root_abs, G_FILE_TEST_IS_DIR)) {
        snprintf(err, errlen, "[server] web_root: '%s' is not a folder", srv->web_root_abs);
        g_free(srv->web_root_abs);
        g_free(srv);
        return NULL;
    }
    srv->mime_opts[0] =
        (struct lws_protocol_vhost_options){&srv->mime_opts[1], NULL, ".mjs", "text/javascript"};
    srv->mime_opts[1] = (struct lws_protocol_vhost_options){
        &srv->mime_opts[2], NULL, ".webmanifest", "application/manifest+json"};
    srv->mime_opts[2] = (struct lws_protocol_vhost_options){NULL, NULL, ".webm", "video/webm"};
    g_autofree char *db = g_build_filename(cfg->server.var_dir, "telebridge.db", NULL);
    srv->catalog = tb_rec_catalog_open(db, err, errlen);
    if (!srv->catalog) {
        g_free(srv->web_root_abs);
        g_free(srv);
        return NULL;
    }
    srv->token_key = tb_sig_auth_load_key(cfg, err, errlen);
    if (!srv->token_key) {
        tb_rec_catalog_close(srv->catalog);
        g_free(srv->web_root_abs);
        g_free(srv);
        return NULL;
    }
    int stale = tb_rec_catalog_sessions_close_stale(srv->catalog);
    if (stale > 0)
        TB_LOG_WARN("%d session(s) were still open from a previous run: marked interrupted", stale);
    srv->admission = tb_sig_admission_create(cfg);
    log_admission = srv->admission;
    srv->hub = tb_sig_hub_create(cfg, relay, srv->catalog, srv->token_key);
    srv->recorder = tb_sig_recorder_create(srv->hub);
    srv->staff = tb_sig_staff_create(cfg, srv->token_key);
    srv->gate = (tb_sig_staff_http){cfg, srv->staff, cfg->server.port, false};
    srv->media = (tb_sig_http_media){srv->recorder, &srv->gate};
    fill_protocols(srv);
    struct lws_http_mount *m = &srv->mount;
    m->mountpoint = "/";
    m->mountpoint_len = 1;
    m->origin = srv->web_root_abs;
    m->def = "index.html";
    m->origin_protocol = LWSMPRO_FILE;
    m->extra_mimetypes = srv->mime_opts;
    m->mount_next = tb_sig_http_media_mounts();

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {loop};
    info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.headers = security_headers;
    info.foreign_loops = loops;
    info.port = cfg->server.port;
    info.iface = cfg->server.listen;
    if (!strchr(cfg->server.listen, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6; /* else lws binds every interface */
    info.protocols = srv->protocols;
    info.mounts = m;
    info.user = srv;
    info.pcontext = &srv->lws;
    info.vhost_name = "telebridge";
    if (*cfg->server.tls_cert) {
        srv->tls_cert = g_strdup(cfg->server.tls_cert);
        srv->tls_key = g_strdup(cfg->server.tls_key);
    } else if (cfg->server.self_signed &&
               tb_sig_tls_self_signed(cfg, &srv->tls_cert, &srv->tls_key, err, errlen)) {
        tb_sig_server_destroy(srv);
        return NULL;
    }
    if (srv->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = srv->tls_cert;
        info.ssl_private_key_filepath = srv->tls_key;
        info.alpn = "http/1.1";
    }
    srv->lws = lws_create_context(&info);
    if (!srv->lws) {
        if (srv->tls_cert)
            snprintf(err, errlen,
                     "cannot listen on %s:%d with TLS (port in use? certificate %s "
                     "or key %s unreadable or not matching?)",
                     cfg->server.listen, cfg->server.port, srv->tls_cert, srv->tls_key);
        else
            snprintf(err, errlen,
                     "cannot listen on %s:%d (in use? libwebsockets-evlib-glib "
                     "missing?)",
                     cfg->server.listen, cfg->server.port);
        tb_sig_server_destroy(srv);
        return NULL;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(srv->lws, "telebridge");
    srv->port = vh ? lws_get_vhost_listen_port(vh) : cfg->server.port;
    srv->gate.port = srv->port; /* port 0 in tests: the Host and Origin checks need the real one */
    srv->gate.tls = srv->tls_cert != NULL;
    srv->idle_timer = g_timeout_add_seconds(CHECK_S, idle_check, srv);
    return srv;
}

int tb_sig_server_port(const tb_sig_server *srv)
{
    return srv->port;
}

bool tb_sig_server_tls(const tb_sig_server *srv)
{
    return srv->tls_cert != NULL;
}

void tb_sig_server_destroy(tb_sig_server *srv)
{
    if (!srv)
        return;
    if (srv->idle_timer)
        g_source_remove(srv->idle_timer);
    /* Clients hear that the server goes (server_shutdown, close 1001: they rejoin by
     * themselves), and recordings are finished while their rooms are still open; the
     * recorder runs the loop meanwhile, which also writes the closes out. */
    for (GList *l = srv->conns; l; l = l->next) {
        tb_sig_conn *c = l->data;
        tb_sig_conn_send_json(c, json_pack("{s:s}", "type", "server_shutdown"));
        tb_sig_conn_close(c, SHUTDOWN_CLOSE);
    }
    if (srv->recorder)
        tb_sig_recorder_shutdown(srv->recorder, tb_time_mono_us() + SHUTDOWN_RECORDINGS_US);
    /* A moment for the closes to go out (lws writes them from the loop). */
    int64_t until = tb_time_mono_us() + SHUTDOWN_FLUSH_US;
    while (srv->conns && tb_time_mono_us() < until)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(10000);
    /* Participants leave first, so rooms and relay connections close in order; then
     * lws closes the sockets and calls CLOSED for each connection. */
    for (GList *l = srv->conns; l; l = l->next)
        tb_sig_session_conn_closed(l->data);
    if (srv->hub)
        tb_sig_hub_close_rooms(srv->hub);
    if (srv->lws)
        lws_context_destroy(srv->lws);
    while (srv->conns)
        conn_free(srv, srv->conns->data);
    tb_sig_recorder_destroy(srv->recorder);
    tb_sig_hub_destroy(srv->hub);
    tb_sig_staff_destroy(srv->staff);
    if (log_admission == srv->admission)
        log_admission = NULL;
    tb_sig_admission_destroy(srv->admission);
    tb_rec_catalog_close(srv->catalog);
    if (srv->token_key)
        g_bytes_unref(srv->token_key);
    g_free(srv->tls_cert);
    g_free(srv->tls_key);
    g_free(srv->web_root_abs);
    g_free(srv);
}

char *tb_sig_server_base_url(tb_sig_server *srv)
{
    return tb_sig_base_url(srv->cfg, srv->port, tb_sig_server_tls(srv));
}

char *tb_sig_server_mint(tb_sig_server *srv, const char *room, const char *role_name,
                         const char *identity, const char *name, int ttl_s)
{
    tb_sig_claims c = {0};
    if (tb_sig_role_parse(role_name, &c.role))
        return NULL;
    c.room = (char *)room;
    c.identity = (char *)identity;
    c.name = (char *)name;
    c.perms = tb_sig_role_perms(c.role);
    c.iat = g_get_real_time() / G_USEC_PER_SEC;
    c.exp = c.iat + ttl_s;
    gsize n = 0;
    const uint8_t *key = g_bytes_get_data(srv->token_key, &n);
    return tb_sig_token_mint(key, n, &c);
}
