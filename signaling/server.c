/* server.c — libwebsockets on the GLib main loop: static files from web/ and the
 * signaling WebSocket at /ws, on one port; https/wss when a certificate is configured
 * (or made with --self-signed), HTTP/1.1 only (ALPN), so that WebSockets are plain
 * RFC 6455 upgrades rather than RFC 8441 streams.
 *
 * lws runs through its glib event-loop plugin (PLATFORM.md), so lws callbacks, GLib
 * sources and relay events all run on the main thread and share state without locks.
 * One protocol callback with a switch calling one function per case; write only when
 * writeable, one lws_write each time; messages reassembled with a size cap. */
#define TB_LOG_CAT "sig/server"
#include "signaling/internal.h"
#include "signaling/http_media.h"
#include "signaling/recording.h"
#include "common/tb_error.h"
#include "common/tb_time.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define IDLE_CHECK_S 5

static tb_sig_conn *conn_new(tb_sig_server *srv, struct lws *wsi)
{
    tb_sig_conn *c = g_new0(tb_sig_conn, 1);
    c->srv = srv;
    c->wsi = wsi;
    c->rx = g_byte_array_new();
    g_queue_init(&c->out);
    c->last_rx_us = tb_time_mono_us();
    /* The numeric address only: lws_get_peer_addresses() also resolves the name, a
     * blocking reverse DNS lookup on the signaling thread for every connection. */
    if (!lws_get_peer_simple(wsi, c->peer, sizeof c->peer))
        g_strlcpy(c->peer, "?", sizeof c->peer);
    srv->conns = g_list_prepend(srv->conns, c);
    return c;
}

static void conn_free(tb_sig_conn *c)
{
    c->srv->conns = g_list_remove(c->srv->conns, c);
    g_byte_array_unref(c->rx);
    g_queue_clear_full(&c->out, g_free);
    g_free(c);
}

void tb_sig_conn_send(tb_sig_conn *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    tb_sig_conn_send_message_text(c, g_strdup(text));
    free(text);
}

void tb_sig_conn_send_message_text(tb_sig_conn *c, char *text)
{
    if (c->participant)
        tb_sig_roster_catch_up(c->participant);
    tb_sig_conn_send_text(c, text);
}

void tb_sig_conn_send_text(tb_sig_conn *c, char *text)
{
    if (!c->wsi || c->closing) {
        g_free(text);
        return;
    }
    /* A client that stops reading must not grow our memory without bound. */
    if (g_queue_get_length(&c->out) > 1024) {
        g_free(text);
        TB_LOG_WARN("%s: send queue full, closing", c->peer);
        tb_sig_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
        return;
    }
    g_queue_push_tail(&c->out, text);
    lws_callback_on_writable(c->wsi);
}

void tb_sig_conn_close(tb_sig_conn *c, int status)
{
    if (!c->wsi || c->closing)
        return;
    c->closing = true;
    c->close_status = status;
    lws_callback_on_writable(c->wsi);
}

static int on_writeable(tb_sig_conn *c)
{
    char *text = g_queue_pop_head(&c->out);
    if (!text) {
        if (c->closing) {
            lws_close_reason(c->wsi, (enum lws_close_status)c->close_status, NULL, 0);
            return -1;
        }
        return 0;
    }
    size_t len = strlen(text);
    unsigned char *buf = g_malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, text, len);
    int n = lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    g_free(buf);
    g_free(text);
    if (n < (int)len)
        return -1;
    if (!g_queue_is_empty(&c->out) || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static int on_receive(tb_sig_conn *c, const void *in, size_t len)
{
    size_t cap = (size_t)c->srv->cfg->server.max_message_bytes;
    c->last_rx_us = tb_time_mono_us();
    if (c->closing)
        return 0;
    if (lws_frame_is_binary(c->wsi)) {
        tb_sig_error(c, NULL, "bad_json", "binary messages are not accepted");
        return 0;
    }
    if (c->rx->len + len > cap) {
        TB_LOG_WARN("%s: message over %zu bytes, closing", c->peer, cap);
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)"message too large", 17);
        return -1;
    }
    g_byte_array_append(c->rx, in, (guint)len);
    if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi) != 0)
        return 0;
    g_byte_array_append(c->rx, (const guint8 *)"", 1); /* NUL for the JSON parser */
    tb_sig_protocol_handle(c, (const char *)c->rx->data, c->rx->len - 1);
    g_byte_array_set_size(c->rx, 0);
    return 0;
}

/* Upgrades are accepted on any path by lws; only /ws is ours. */
static int filter_connection(struct lws *wsi)
{
    char uri[64] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
        return -1;
    return strcmp(uri, "/ws") == 0 ? 0 : -1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    tb_sig_server *srv = lws_context_user(lws_get_context(wsi));
    tb_sig_conn **pc = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_connection(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        *pc = conn_new(srv, wsi);
        TB_LOG_DEBUG("%s: WebSocket open", (*pc)->peer);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return *pc ? on_receive(*pc, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return *pc ? on_writeable(*pc) : 0;
    case LWS_CALLBACK_CLOSED:
        if (*pc) {
            (*pc)->wsi = NULL;
            tb_sig_session_conn_closed(*pc);
            conn_free(*pc);
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

static const struct lws_protocols protocols[] = {
    {"http", callback, sizeof(tb_sig_conn *), 0, 0, NULL, 0},
    {"telebridge-v1", callback, sizeof(tb_sig_conn *), 0, 0, NULL, 0},
    TB_SIG_HTTP_MEDIA_PROTOCOL, /* recordings: /studio, /archive (http_media.c) */
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static gboolean idle_check(gpointer data)
{
    tb_sig_server *srv = data;
    int64_t limit = (int64_t)srv->cfg->server.idle_timeout_s * G_USEC_PER_SEC;
    int64_t now = tb_time_mono_us();
    for (GList *l = srv->conns; l; l = l->next) {
        tb_sig_conn *c = l->data;
        if (now - c->last_rx_us > limit) {
            TB_LOG_INFO("%s: silent for %d s, closing", c->peer, srv->cfg->server.idle_timeout_s);
            tb_sig_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY);
        }
    }
    return G_SOURCE_CONTINUE;
}

static void log_emit(int level, const char *line)
{
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
    srv->rooms = g_hash_table_new(g_str_hash, g_str_equal);
    srv->web_root_abs = g_canonicalize_filename(cfg->server.web_root, NULL);
    if (!g_file_test(srv->web_root_abs, G_FILE_TEST_IS_DIR)) {
        snprintf(err, errlen, "[server] web_root: '%s' is not a folder", srv->web_root_abs);
        g_hash_table_unref(srv->rooms);
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
        g_hash_table_unref(srv->rooms);
        g_free(srv->web_root_abs);
        g_free(srv);
        return NULL;
    }
    srv->token_key = tb_sig_auth_load_key(cfg, err, errlen);
    if (!srv->token_key) {
        tb_rec_catalog_close(srv->catalog);
        g_hash_table_unref(srv->rooms);
        g_free(srv->web_root_abs);
        g_free(srv);
        return NULL;
    }
    int stale = tb_rec_catalog_sessions_close_stale(srv->catalog);
    if (stale > 0)
        TB_LOG_WARN("%d session(s) were still open from a previous run: marked interrupted", stale);
    tb_sig_recording_server_init(srv);
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
    info.protocols = protocols;
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
    srv->idle_timer = g_timeout_add_seconds(IDLE_CHECK_S, idle_check, srv);
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
    /* Participants leave first, so rooms and relay connections close in order; then
     * lws closes the sockets and calls CLOSED for each connection. */
    for (GList *l = srv->conns; l; l = l->next)
        tb_sig_session_conn_closed(l->data);
    tb_sig_room_destroy_all(srv);
    if (srv->lws)
        lws_context_destroy(srv->lws);
    while (srv->conns)
        conn_free(srv->conns->data);
    g_hash_table_unref(srv->rooms);
    tb_sig_recording_server_shutdown(srv);
    tb_rec_catalog_close(srv->catalog);
    if (srv->token_key)
        g_bytes_unref(srv->token_key);
    g_free(srv->tls_cert);
    g_free(srv->tls_key);
    g_free(srv->web_root_abs);
    g_free(srv);
}
