/* doctor.c — `telebridge doctor`: what a client's connection check sees, from the
 * server's side. Each check prints ok, warn or FAIL with a hint; the exit status is 1
 * when one failed. Checks: the signaling port can be bound (or a server answers there),
 * each relay address binds UDP (and TCP for ICE-TCP), a public address reaches the relay
 * from the host itself, every [turn] URL answers a real Allocate with a credential
 * signed by the configured secret (UDP, TCP or TLS, as the URL says), and the TLS
 * certificate's names and expiry. Only the addresses the configuration names are
 * contacted; every wait is bounded (a few seconds per check). */
#include "signaling/cli/cli.h"
#include "signaling/access/access.h"
#include "common/tb_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <stun/stunagent.h>
#include <stun/usages/turn.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 2000

typedef struct {
    int failed, warned;
} tally;

static void report(tally *t, const char *level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void report(tally *t, const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("  %-5s %s\n", level, msg);
    if (!strcmp(level, "FAIL"))
        t->failed++;
    else if (!strcmp(level, "warn"))
        t->warned++;
}

static bool wait_fd(int fd, short events, int ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, ms) == 1;
}

/* A socket of type to host:port (connected; for TCP within WAIT_MS), or -1. */
static int dial(const char *host, const char *port, int type, char *why, size_t whylen)
{
    struct addrinfo hints = {.ai_socktype = type}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        snprintf(why, whylen, "%s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
        snprintf(why, whylen, "connect: %s", g_strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0 && type == SOCK_STREAM) {
        int err = 0;
        socklen_t l = sizeof err;
        if (!wait_fd(fd, POLLOUT, WAIT_MS) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) ||
            err) {
            snprintf(why, whylen, "TCP connect: %s", err ? g_strerror(err) : "no answer");
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* ---- a STUN/TURN exchange over UDP, TCP or TLS ---- */

typedef struct {
    int fd;
    bool stream;
    SSL *ssl;
} chan;

static bool chan_send(chan *c, const uint8_t *b, size_t n)
{
    if (c->ssl)
        return SSL_write(c->ssl, b, (int)n) == (int)n;
    return send(c->fd, b, n, MSG_NOSIGNAL) == (ssize_t)n;
}

static ssize_t chan_read(chan *c, uint8_t *b, size_t n)
{
    for (;;) {
        if (c->ssl) {
            int r = SSL_read(c->ssl, b, (int)n);
            if (r > 0)
                return r;
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return -1;
            if (SSL_pending(c->ssl))
                continue;
        } else {
            ssize_t r = recv(c->fd, b, n, 0);
            if (r >= 0)
                return r;
            if (errno != EAGAIN && errno != EINTR)
                return -1;
        }
        if (!wait_fd(c->fd, POLLIN, WAIT_MS))
            return -1;
    }
}

/* One STUN message: a datagram, or over a stream the 20-byte header and its length. */
static ssize_t chan_recv_msg(chan *c, uint8_t *b, size_t cap)
{
    if (!c->stream) {
        if (!wait_fd(c->fd, POLLIN, WAIT_MS))
            return -1;
        return recv(c->fd, b, cap, 0);
    }
    size_t have = 0, want = 20;
    while (have < want) {
        ssize_t r = chan_read(c, b + have, want - have);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        if (have == 20 && want == 20) {
            want = 20 + (((size_t)b[2] << 8) | b[3]);
            if (want > cap)
                return -1;
        }
    }
    return (ssize_t)have;
}

/* Allocate with the long-term credential: the first request gets 401 with realm and
 * nonce, the second carries them (RFC 5766 §6). Returns true when a relayed address came
 * back; says in out what happened. */
static bool allocate(chan *c, const char *user, const char *pass, char *out, size_t outlen)
{
    StunAgent agent;
    stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS | STUN_AGENT_USAGE_ADD_SOFTWARE);
    StunMessage req, resp;
    uint8_t buf[1500], rbuf[1500];
    bool have_prev = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t n = stun_usage_turn_create(&agent, &req, buf, sizeof buf, have_prev ? &resp : NULL,
                                          STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, 600,
                                          (uint8_t *)user, strlen(user), (uint8_t *)pass,
                                          strlen(pass), STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
        ssize_t r = -1;
        for (int tries = 0; tries < (c->stream ? 1 : 3) && r < 0; tries++) {
            if (!chan_send(c, buf, n)) {
                snprintf(out, outlen, "cannot send: %s", g_strerror(errno));
                return false;
            }
            r = chan_recv_msg(c, rbuf, sizeof rbuf);
        }
        if (r <= 0) {
            snprintf(out, outlen, "no answer to Allocate");
            return false;
        }
        StunValidationStatus v = stun_agent_validate(&agent, &resp, rbuf, (size_t)r, NULL, NULL);
        if (v != STUN_VALIDATION_SUCCESS && v != STUN_VALIDATION_UNAUTHORIZED) {
            snprintf(out, outlen, "the answer is not a valid TURN response (%d)", (int)v);
            return false;
        }
        struct sockaddr_storage relayed, srflx, alt;
        socklen_t rl = sizeof relayed, sl = sizeof srflx, al = sizeof alt;
        uint32_t bw, life;
        StunUsageTurnReturn t =
            stun_usage_turn_process(&resp, &relayed, &rl, &srflx, &sl, &alt, &al, &bw, &life,
                                    STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
        if (t == STUN_USAGE_TURN_RETURN_RELAY_SUCCESS ||
            t == STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS) {
            char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
            getnameinfo((struct sockaddr *)&relayed, rl, host, sizeof host, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV);
            snprintf(out, outlen, "Allocate accepted, relayed address %s:%s", host, serv);
            /* Released at once (Refresh with lifetime 0, RFC 5766 §7), not left to lapse. */
            n = stun_usage_turn_create_refresh(&agent, &req, buf, sizeof buf, &resp, 0,
                                               (uint8_t *)user, strlen(user), (uint8_t *)pass,
                                               strlen(pass), STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
            if (n && chan_send(c, buf, n))
                (void)chan_recv_msg(c, rbuf, sizeof rbuf);
            return true;
        }
        int code = -1;
        stun_message_find_error(&resp, &code);
        if (code == 401 && !have_prev) {
            have_prev = true; /* the realm and nonce come with it: ask again */
            continue;
        }
        snprintf(out, outlen, "Allocate refused (error %d%s)", code,
                 code == 401 ? ": the secret differs from coturn's static-auth-secret" : "");
        return false;
    }
    snprintf(out, outlen, "Allocate refused");
    return false;
}

/* "turn:host:port?transport=tcp" → host, port, transport. */
static bool parse_turn_url(const char *url, char **host, char **port, bool *tls, bool *tcp)
{
    *tls = g_str_has_prefix(url, "turns:");
    const char *hp = url + (*tls ? 6 : 5);
    const char *q = strchr(hp, '?');
    g_autofree char *hostport = q ? g_strndup(hp, (gsize)(q - hp)) : g_strdup(hp);
    *tcp = *tls || (q && strstr(q, "transport=tcp"));
    const char *colon = strrchr(hostport, ':'), *bracket = strrchr(hostport, ']');
    if (colon && (!bracket || colon > bracket)) {
        *host = g_strndup(hostport, (gsize)(colon - hostport));
        *port = g_strdup(colon + 1);
    } else {
        *host = g_strdup(hostport);
        *port = g_strdup(*tls ? "5349" : "3478");
    }
    if (**host == '[') {
        char *h = g_strndup(*host + 1, strlen(*host) - 2);
        g_free(*host);
        *host = h;
    }
    return **host != '\0';
}

static void check_turn(tally *t, const tb_config *cfg)
{
    if (!*cfg->turn.urls) {
        report(t, "warn",
               "no [turn] urls: clients behind firewalls that pass only HTTPS cannot "
               "reach the relay");
        return;
    }
    g_autofree char *user = g_strdup_printf("%" G_GINT64_FORMAT ":telebridge-doctor",
                                            g_get_real_time() / G_USEC_PER_SEC + 300);
    g_autofree char *pass = tb_sig_turn_password(cfg->turn.secret, user);
    g_auto(GStrv) urls = g_strsplit_set(cfg->turn.urls, ", ", -1);
    for (int i = 0; urls[i]; i++) {
        if (!*urls[i])
            continue;
        g_autofree char *host = NULL, *port = NULL;
        bool tls, tcp;
        char why[300] = "";
        if (!parse_turn_url(urls[i], &host, &port, &tls, &tcp)) {
            report(t, "FAIL", "TURN %s: not a URL", urls[i]);
            continue;
        }
        chan c = {.fd = dial(host, port, tcp ? SOCK_STREAM : SOCK_DGRAM, why, sizeof why),
                  .stream = tcp};
        if (c.fd < 0) {
            report(t, "FAIL", "TURN %s: %s", urls[i], why);
            continue;
        }
        SSL_CTX *ctx = NULL;
        if (tls) {
            ctx = SSL_CTX_new(TLS_client_method());
            SSL_CTX_set_default_verify_paths(ctx);
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* reported below, not fatal */
            c.ssl = SSL_new(ctx);
            SSL_set_fd(c.ssl, c.fd);
            SSL_set_tlsext_host_name(c.ssl, host);
            SSL_set1_host(c.ssl, host);
            int r;
            while ((r = SSL_connect(c.ssl)) != 1) {
                int e = SSL_get_error(c.ssl, r);
                if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
                    !wait_fd(c.fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, WAIT_MS))
                    break;
            }
            if (r != 1) {
                report(t, "FAIL", "TURN %s: TLS handshake failed", urls[i]);
                goto next;
            }
            long vr = SSL_get_verify_result(c.ssl);
            if (vr != X509_V_OK)
                report(t, "warn", "TURN %s: browsers will refuse its certificate (%s)", urls[i],
                       X509_verify_cert_error_string(vr));
        }
        bool ok = allocate(&c, user, pass, why, sizeof why);
        report(t, ok ? "ok" : "FAIL", "TURN %s: %s", urls[i], why);
    next:
        if (c.ssl)
            SSL_free(c.ssl);
        if (ctx)
            SSL_CTX_free(ctx);
        close(c.fd);
    }
}

/* ---- local ports and addresses ---- */

static int bind_to(const char *ip, int port, int type)
{
    struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_PASSIVE},
                    *res = NULL;
    char p[8];
    snprintf(p, sizeof p, "%d", port);
    if (getaddrinfo(ip, p, &hints, &res))
        return -2;
    int fd = socket(res->ai_family, type | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd >= 0 && bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    freeaddrinfo(res);
    return fd;
}

static void check_listen(tally *t, const tb_config *cfg)
{
    int fd = bind_to(cfg->server.listen, cfg->server.port, SOCK_STREAM);
    if (fd >= 0) {
        report(t, "ok", "signaling %s:%d can be bound (no server runs there now)",
               cfg->server.listen, cfg->server.port);
        close(fd);
        return;
    }
    if (errno == EADDRINUSE) {
        char why[200], port[8];
        snprintf(port, sizeof port, "%d", cfg->server.port);
        int c = dial(cfg->server.listen, port, SOCK_STREAM, why, sizeof why);
        report(t, c >= 0 ? "ok" : "FAIL", "signaling %s:%d: in use%s", cfg->server.listen,
               cfg->server.port, c >= 0 ? ", and something answers there (the daemon?)" : "");
        if (c >= 0)
            close(c);
        return;
    }
    report(t, "FAIL",
           "signaling %s:%d cannot be bound: %s (server.listen must be an address "
           "of this host; ports below 1024 need CAP_NET_BIND_SERVICE)",
           cfg->server.listen, cfg->server.port, g_strerror(errno));
}

static void check_relay(tally *t, const tb_config *cfg)
{
    const tb_config_relay *r = &cfg->relay;
    for (int i = 0; i < r->n_ice_addresses; i++) {
        const char *ip = r->ice_addresses[i];
        int u = bind_to(ip, r->port_min, SOCK_DGRAM);
        int tc = r->ice_tcp ? bind_to(ip, r->port_min, SOCK_STREAM) : -1;
        if (u < 0)
            report(t, "FAIL", "relay %s: UDP cannot be bound (%s): not an address of this host?",
                   ip, g_strerror(errno));
        else if (r->ice_tcp && tc < 0)
            report(t, "FAIL", "relay %s: TCP (ICE-TCP) cannot be bound: %s", ip, g_strerror(errno));
        else
            report(t, "ok", "relay %s: UDP%s bind", ip, r->ice_tcp ? " and TCP" : "");
        /* From the host itself to the public address: a NAT that forwards it (and loops
         * back) delivers the datagram to the private socket. */
        if (u >= 0 && *r->public_addresses) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(u, (struct sockaddr *)&ss, &sl);
            int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            g_auto(GStrv) maps = g_strsplit_set(r->public_addresses, ", ", -1);
            for (int m = 0; maps[m]; m++) {
                char *eq = strchr(maps[m], '=');
                if (!*maps[m] || (eq && strncmp(maps[m], ip, (size_t)(eq - maps[m]))))
                    continue;
                const char *pub = eq ? eq + 1 : maps[m];
                char why[200], ps[8];
                snprintf(ps, sizeof ps, "%d", port);
                int s = dial(pub, ps, SOCK_DGRAM, why, sizeof why);
                bool got = false;
                if (s >= 0 && send(s, "tb-doctor", 9, 0) == 9) {
                    char b[16];
                    got = wait_fd(u, POLLIN, WAIT_MS) && recv(u, b, sizeof b, 0) == 9;
                }
                report(t, got ? "ok" : "warn",
                       got ? "public address %s reaches the relay's %s (UDP port %d)"
                           : "public address %s did not reach %s from this host (UDP port %d): "
                             "many NATs do not loop back; check from outside",
                       pub, ip, port);
                if (s >= 0)
                    close(s);
            }
        }
        if (u >= 0)
            close(u);
        if (tc >= 0)
            close(tc);
    }
}

static void check_certificate(tally *t, const tb_config *cfg)
{
    if (!*cfg->server.tls_cert) {
        report(t, cfg->server.self_signed ? "warn" : "warn",
               "no TLS certificate (server.tls_cert): browsers allow camera and microphone only "
               "on https pages (or localhost)");
        return;
    }
    FILE *f = fopen(cfg->server.tls_cert, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!x) {
        report(t, "FAIL", "TLS certificate %s cannot be read", cfg->server.tls_cert);
        return;
    }
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x));
    g_autofree char *host = NULL;
    if (*cfg->server.public_url) {
        g_autoptr(GUri) u = g_uri_parse(cfg->server.public_url, G_URI_FLAGS_NONE, NULL);
        host = u && g_uri_get_host(u) ? g_strdup(g_uri_get_host(u)) : NULL;
    }
    bool name_ok =
        !host || X509_check_host(x, host, 0, 0, NULL) == 1 || X509_check_ip_asc(x, host, 0) == 1;
    if (days < 0 || (days == 0 && secs < 0))
        report(t, "FAIL", "TLS certificate expired %d days ago", -days);
    else if (!name_ok)
        report(t, "FAIL", "TLS certificate is not for %s (public_url)", host);
    else
        report(t, days < 14 ? "warn" : "ok", "TLS certificate%s%s valid for %d more days",
               host ? " for " : "", host ? host : "", days);
    X509_free(x);
}

int tb_sig_cli_doctor(const char *default_config, int argc, char **argv)
{
    tb_sig_cli_opts co = {default_config, NULL, NULL};
    GOptionContext *oc = g_option_context_new("- check what clients need from this server");
    g_option_context_set_summary(oc, "Checks the signaling port, the relay's addresses and public "
                                     "address, every TURN server (a real Allocate with the "
                                     "configured secret) and the TLS certificate.");
    tb_sig_cli_add_common(oc, &co);
    tb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = 2;
    if (!tb_sig_cli_parse(oc, "doctor", argc, argv))
        goto out;
    rc = 1;
    if (tb_sig_cli_load_config("doctor", &co, &cfg))
        goto out;
    printf("telebridge doctor: %s\n", co.config ? co.config : co.default_config);
    tally t = {0};
    check_listen(&t, &cfg);
    check_relay(&t, &cfg);
    check_turn(&t, &cfg);
    check_certificate(&t, &cfg);
    printf("%d failed, %d warning(s)\n", t.failed, t.warned);
    rc = t.failed ? 1 : 0;
out:
    tb_config_clear(&cfg);
    tb_sig_cli_clear_common(&co);
    return rc;
}
