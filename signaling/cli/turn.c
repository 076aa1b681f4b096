/* turn.c — `telebridge turn-config`: the turnserver.conf lines of a coturn that matches
 * this server's [turn] section, so that the two never disagree about the secret, the
 * realm or the ports. The relay's own addresses (its public ones behind a 1:1 NAT) are
 * the only private peers coturn may relay to: every other private, loopback and link-local range is
 * denied, so nobody with a credential can use the TURN server to reach the host's or the office's
 * internal network (an "open relay" into it). */
#include "signaling/cli/cli.h"
#include "common/tb_config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

/* Ranges a relayed allocation must never reach (coturn's denied-peer-ip format). */
static const char *const denied[] = {
    "0.0.0.0-0.255.255.255",
    "10.0.0.0-10.255.255.255",
    "100.64.0.0-100.127.255.255",
    "127.0.0.0-127.255.255.255",
    "169.254.0.0-169.254.255.255",
    "172.16.0.0-172.31.255.255",
    "192.0.0.0-192.0.0.255",
    "192.0.2.0-192.0.2.255",
    "192.88.99.0-192.88.99.255",
    "192.168.0.0-192.168.255.255",
    "198.18.0.0-198.19.255.255",
    "198.51.100.0-198.51.100.255",
    "203.0.113.0-203.0.113.255",
    "224.0.0.0-255.255.255.255",
    "::1",
    "::ffff:0.0.0.0-::ffff:255.255.255.255",
    "64:ff9b::-64:ff9b::ffff:ffff",
    "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

/* The port of a turn:/turns: URL (RFC 7065), or the scheme's default. */
static int url_port(const char *url, bool *tls)
{
    *tls = g_str_has_prefix(url, "turns:");
    const char *hp = strchr(url, ':') + 1;
    size_t n = strcspn(hp, "?");
    g_autofree char *hostport = g_strndup(hp, n);
    const char *colon = strrchr(hostport, ':');
    const char *bracket = strrchr(hostport, ']');
    int port = *tls ? 5349 : 3478;
    if (colon && (!bracket || colon > bracket)) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end == '\0' && p > 0 && p < 65536)
            port = (int)p;
    }
    return port;
}

static void print_config(const tb_config *cfg)
{
    const tb_config_turn *t = &cfg->turn;
    printf("# coturn for Telebridge (turnserver.conf), from `telebridge turn-config`.\n"
           "# Time-limited credentials (the REST form): the join reply carries them, signed\n"
           "# with the shared secret below, which never leaves the two servers.\n");
    printf("realm=%s\n", t->realm);
    printf("use-auth-secret\n");
    printf("static-auth-secret=%s\n", t->secret);
    int plain = 0, tls = 0;
    g_auto(GStrv) urls = g_strsplit_set(t->urls, ", ", -1);
    for (int i = 0; urls[i]; i++) {
        if (!*urls[i])
            continue;
        bool is_tls;
        int port = url_port(urls[i], &is_tls);
        if (is_tls && !tls)
            tls = port;
        else if (!is_tls && !plain)
            plain = port;
    }
    printf("listening-port=%d\n", plain ? plain : 3478);
    if (tls) {
        printf("tls-listening-port=%d\n", tls);
        printf("cert=%s\n",
               *cfg->server.tls_cert ? cfg->server.tls_cert : "/etc/telebridge/tls/fullchain.pem");
        printf("pkey=%s\n",
               *cfg->server.tls_key ? cfg->server.tls_key : "/etc/telebridge/tls/privkey.pem");
        printf("no-tlsv1\nno-tlsv1_1\n");
    } else {
        printf("no-tls\nno-dtls\n");
    }
    printf("fingerprint\nno-cli\nno-multicast-peers\nno-software-attribute\n"
           "stale-nonce=600\nuser-quota=12\ntotal-quota=1200\n");
    printf("# Never a relay into private, loopback or reserved networks...\n");
    for (size_t i = 0; i < G_N_ELEMENTS(denied); i++)
        printf("denied-peer-ip=%s\n", denied[i]);
    /* Behind a 1:1 NAT clients (and so coturn) reach the relay at its public addresses:
     * those are allowed, and the private ones, which nobody needs then, stay denied. */
    g_auto(GStrv) maps = g_strsplit_set(cfg->relay.public_addresses, ", ", -1);
    int n_public = 0;
    for (int i = 0; maps[i]; i++)
        n_public += *maps[i] != '\0';
    printf("# ...but to the media relay itself (its %s addresses).\n", n_public ? "public" : "ICE");
    for (int i = 0; n_public && maps[i]; i++) {
        const char *eq = strchr(maps[i], '=');
        if (*maps[i])
            printf("allowed-peer-ip=%s\n", eq ? eq + 1 : maps[i]);
    }
    for (int i = 0; !n_public && i < cfg->relay.n_ice_addresses; i++)
        printf("allowed-peer-ip=%s\n", cfg->relay.ice_addresses[i]);
}

int tb_sig_cli_turn_config(const char *default_config, int argc, char **argv)
{
    tb_sig_cli_opts co = {default_config, NULL, NULL};
    GOptionContext *oc = g_option_context_new("- print the matching coturn configuration");
    g_option_context_set_summary(oc, "Prints turnserver.conf lines for the [turn] section: realm, "
                                     "the shared secret, ports, the peers coturn may relay to.");
    tb_sig_cli_add_common(oc, &co);
    tb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = 2;
    if (!tb_sig_cli_parse(oc, "turn-config", argc, argv))
        goto out;
    rc = 1;
    if (tb_sig_cli_load_config("turn-config", &co, &cfg))
        goto out;
    if (!*cfg.turn.urls || !*cfg.turn.secret) {
        fprintf(stderr, "telebridge turn-config: set [turn] urls and secret first (for example\n"
                        "  urls = turn:turn.example.org:3478?transport=udp, "
                        "turns:turn.example.org:443?transport=tcp\n"
                        "  secret = the output of: openssl rand -hex 32)\n");
        goto out;
    }
    print_config(&cfg);
    rc = 0;
out:
    tb_config_clear(&cfg);
    tb_sig_cli_clear_common(&co);
    return rc;
}
