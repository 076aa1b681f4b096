/* origin.c — is a request meant for this server? The Host and Origin headers checked
 * against the addresses the server answers on.
 *
 * Host defeats DNS rebinding: a page at evil.example whose name later resolves to
 * 127.0.0.1 reaches the server with "Host: evil.example", never with one of ours. The
 * host of server.public_url is ours; so is the listen address with the bound port, and
 * for a loopback listen address localhost, 127.0.0.1 and [::1]. A server listening on
 * every interface (0.0.0.0, ::) without a public_url cannot know its names: it takes any
 * IP literal with its port (rebinding needs a name) and localhost, and names only
 * through public_url.
 *
 * Origin defeats cross-site requests: a browser always names the page's origin on a
 * cross-site POST or WebSocket, and it must be one of ours: public_url's origin, or the
 * server's scheme with an allowed host. Pure functions of the config: any thread. */
#include "signaling/access/access.h"

#include <gio/gio.h>
#include <string.h>

/* Splits "name", "name:port", "[v6]" or "[v6]:port" into a lowercased host (brackets
 * dropped) and a port (0 = none). False when it does not parse. */
static bool split_host(const char *in, char *host, size_t cap, int *port)
{
    *port = 0;
    const char *end;
    if (*in == '[') {
        const char *close = strchr(in, ']');
        if (!close || (size_t)(close - in - 1) >= cap)
            return false;
        memcpy(host, in + 1, (size_t)(close - in - 1));
        host[close - in - 1] = '\0';
        end = close + 1;
    } else {
        const char *colon = strchr(in, ':');
        if (colon && strchr(colon + 1, ':'))
            return false; /* a bare IPv6 address is no Host */
        size_t n = colon ? (size_t)(colon - in) : strlen(in);
        if (n >= cap)
            return false;
        memcpy(host, in, n);
        host[n] = '\0';
        end = in + n;
    }
    if (*end == ':') {
        char *stop = NULL;
        long p = strtol(end + 1, &stop, 10);
        if (stop == end + 1 || *stop || p <= 0 || p > 65535)
            return false;
        *port = (int)p;
    } else if (*end) {
        return false;
    }
    if (!*host)
        return false;
    for (char *c = host; *c; c++)
        *c = g_ascii_tolower(*c);
    return true;
}

static bool is_ip(const char *s)
{
    GInetAddress *a = g_inet_address_new_from_string(s);
    if (a)
        g_object_unref(a);
    return a != NULL;
}

static bool is_loopback(const char *s)
{
    return !strcmp(s, "127.0.0.1") || !strcmp(s, "::1") || !strcmp(s, "localhost");
}

static bool is_wildcard(const char *s)
{
    return !strcmp(s, "0.0.0.0") || !strcmp(s, "::") || !*s;
}

/* public_url's scheme, host and port (the scheme's default when it names none). */
static bool public_parts(const tb_config *cfg, char *scheme, size_t scap, char *host, size_t hcap,
                         int *port)
{
    if (!*cfg->server.public_url)
        return false;
    GUri *u = g_uri_parse(cfg->server.public_url, G_URI_FLAGS_NONE, NULL);
    if (!u)
        return false;
    bool ok = g_uri_get_host(u) && g_uri_get_scheme(u);
    if (ok) {
        g_strlcpy(scheme, g_uri_get_scheme(u), scap);
        g_strlcpy(host, g_uri_get_host(u), hcap);
        for (char *c = host; *c; c++)
            *c = g_ascii_tolower(*c);
        *port = g_uri_get_port(u) > 0 ? g_uri_get_port(u) : !strcmp(scheme, "https") ? 443 : 80;
    }
    g_uri_unref(u);
    return ok;
}

/* `host`/`port` (port 0 = the scheme's default) against the server's own names. */
static bool host_ok(const tb_config *cfg, int bound_port, const char *scheme, const char *host,
                    int port)
{
    int dflt = !strcmp(scheme, "https") ? 443 : 80;
    char ps[16], ph[256];
    int pp;
    /* A Host names no scheme: behind a TLS proxy "meet.example.org" is public_url's. */
    if (public_parts(cfg, ps, sizeof ps, ph, sizeof ph, &pp) && !strcmp(ph, host) &&
        (!port || port == pp))
        return true;
    if ((port ? port : dflt) != bound_port)
        return false;
    const char *listen = cfg->server.listen;
    if (!g_ascii_strcasecmp(listen, host))
        return true;
    if (is_loopback(listen) || is_wildcard(listen))
        if (is_loopback(host))
            return true;
    return is_wildcard(listen) && is_ip(host);
}

bool tb_sig_host_allowed(const tb_config *cfg, int port, bool tls, const char *host)
{
    char h[256];
    int p;
    if (!host || !split_host(host, h, sizeof h, &p))
        return false;
    return host_ok(cfg, port, tls ? "https" : "http", h, p);
}

bool tb_sig_origin_allowed(const tb_config *cfg, int port, bool tls, const char *origin)
{
    if (!origin)
        return false;
    const char *sep = strstr(origin, "://");
    if (!sep || sep - origin > 8)
        return false;
    char scheme[16];
    memcpy(scheme, origin, (size_t)(sep - origin));
    scheme[sep - origin] = '\0';
    for (char *c = scheme; *c; c++)
        *c = g_ascii_tolower(*c);
    char h[256];
    int p;
    if (!split_host(sep + 3, h, sizeof h, &p))
        return false; /* "null", a path or a user part: not ours */
    char ps[16], ph[256];
    int pp;
    int dflt = !strcmp(scheme, "https") ? 443 : 80;
    if (public_parts(cfg, ps, sizeof ps, ph, sizeof ph, &pp) && !strcmp(ps, scheme) &&
        !strcmp(ph, h) && (p ? p : dflt) == pp)
        return true;
    /* Otherwise the page came from this server itself, with its own scheme. */
    return !strcmp(scheme, tls ? "https" : "http") && host_ok(cfg, port, scheme, h, p);
}
