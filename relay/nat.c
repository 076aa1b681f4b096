/* nat.c — the relay behind a 1:1 NAT (relay.public_addresses, relay.stun_server).
 *
 * A relay on a cloud VM or behind a building's router binds its private address, but a
 * client outside can only reach the public one the NAT maps to it. Its host candidates
 * then carry the public address with the private port (the NAT keeps ports, as a 1:1
 * mapping does); the relay still binds, sends from and checks on the private one. The
 * same thing as Janus's nat_1_1_mapping and LiveKit's node_ip.
 *
 * The mapping is `PRIVATE=PUBLIC` pairs, or one PUBLIC address for every ICE address;
 * with relay.stun_server and no mapping, the public address is learned with one STUN
 * binding request at start (RFC 8489; libnice's blocking STUN usage, a few seconds at
 * most). Parsed on the main thread at start, read-only afterwards: any thread. */
#define TB_LOG_CAT "relay/nat"
#include "relay/internal.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stun/usages/bind.h>
#include <string.h>

static bool is_ip(const char *s)
{
    return s && *s && g_hostname_is_ip_address(s) && !strchr(s, '/');
}

static int add_pair(tb_relay__nat *nat, const char *priv, const char *pub, char *err, size_t errlen)
{
    if (nat->n >= TB_CONFIG_MAX_ADDRS) {
        snprintf(err, errlen, "relay.public_addresses: at most %d mappings", TB_CONFIG_MAX_ADDRS);
        return TB_EINVAL;
    }
    if ((priv && !is_ip(priv)) || !is_ip(pub)) {
        snprintf(err, errlen,
                 "relay.public_addresses: '%.64s%s%.64s' is not PRIVATE=PUBLIC (IP addresses)",
                 priv ? priv : "", priv ? "=" : "", pub);
        return TB_EINVAL;
    }
    nat->priv[nat->n] = priv ? g_strdup(priv) : NULL;
    nat->pub[nat->n] = g_strdup(pub);
    nat->n++;
    return TB_OK;
}

/* One binding request to the STUN server "host:port" (port 3478 when left out). */
static char *stun_learn(const char *server, char *err, size_t errlen)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GSocketConnectable) sc = g_network_address_parse(server, 3478, &e);
    g_autoptr(GSocketAddressEnumerator) en = sc ? g_socket_connectable_enumerate(sc) : NULL;
    g_autoptr(GSocketAddress) sa = en ? g_socket_address_enumerator_next(en, NULL, &e) : NULL;
    if (!sa) {
        snprintf(err, errlen, "relay.stun_server '%.100s': %s", server,
                 e ? e->message : "no address");
        return NULL;
    }
    struct sockaddr_storage srv, mapped;
    socklen_t mlen = sizeof mapped;
    if (!g_socket_address_to_native(sa, &srv, sizeof srv, NULL)) {
        snprintf(err, errlen, "relay.stun_server '%.100s': unusable address", server);
        return NULL;
    }
    StunUsageBindReturn rc = stun_usage_bind_run(
        (struct sockaddr *)&srv, (socklen_t)g_socket_address_get_native_size(sa), &mapped, &mlen);
    if (rc != STUN_USAGE_BIND_RETURN_SUCCESS) {
        snprintf(err, errlen, "relay.stun_server '%.100s' did not answer a binding request",
                 server);
        return NULL;
    }
    g_autoptr(GSocketAddress) m = g_socket_address_new_from_native(&mapped, mlen);
    if (!m || !G_IS_INET_SOCKET_ADDRESS(m)) {
        snprintf(err, errlen, "relay.stun_server '%.100s': no mapped address", server);
        return NULL;
    }
    return g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(m)));
}

int tb_relay__nat_init(tb_relay__nat *nat, const tb_config_relay *cfg, char *err, size_t errlen)
{
    memset(nat, 0, sizeof *nat);
    const char *spec = cfg->public_addresses ? cfg->public_addresses : "";
    g_auto(GStrv) parts = g_strsplit_set(spec, ", ", -1);
    for (int i = 0; parts[i]; i++) {
        if (!*parts[i])
            continue;
        char *eq = strchr(parts[i], '=');
        int rc;
        if (eq) {
            *eq = '\0';
            rc = add_pair(nat, parts[i], eq + 1, err, errlen);
        } else {
            rc = add_pair(nat, NULL, parts[i], err, errlen);
        }
        if (rc != TB_OK) {
            tb_relay__nat_clear(nat);
            return rc;
        }
    }
    if (nat->n == 0 && cfg->stun_server && *cfg->stun_server) {
        char *pub = stun_learn(cfg->stun_server, err, errlen);
        if (!pub)
            return TB_EIO;
        TB_LOG_INFO("public address %s (learned from %s)", pub, cfg->stun_server);
        nat->pub[nat->n++] = pub;
    }
    for (int i = 0; i < nat->n; i++)
        TB_LOG_INFO("candidates of %s carry %s", nat->priv[i] ? nat->priv[i] : "every address",
                    nat->pub[i]);
    return TB_OK;
}

void tb_relay__nat_clear(tb_relay__nat *nat)
{
    for (int i = 0; i < nat->n; i++) {
        g_free(nat->priv[i]);
        g_free(nat->pub[i]);
    }
    memset(nat, 0, sizeof *nat);
}

const char *tb_relay__nat_public(const tb_relay__nat *nat, const char *private_ip)
{
    for (int i = 0; i < nat->n; i++)
        if (!nat->priv[i] || (private_ip && !strcmp(nat->priv[i], private_ip)))
            return nat->pub[i];
    return NULL;
}
