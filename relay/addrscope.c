/* addrscope.c — which remote candidate addresses the relay may send connectivity checks to.
 *
 * A candidate is an address the client asks us to send STUN to (RFC 8445 §7.2). Taken as
 * given, a client could make the relay probe hosts on the relay's own networks — its
 * loopback services, the private network it sits in — and read the outcome from whether
 * the connection comes up. So by default (relay.remote_candidates = auto) an address is
 * checked only when it is in the scope of one of the relay's own ICE addresses: loopback
 * when the relay has a loopback address, private ones (RFC 1918, RFC 6598 shared space,
 * IPv6 unique local RFC 4193, link-local) when it has such an address, public ones when
 * it has a public one. Addresses that can never be a peer (unspecified, multicast,
 * broadcast, reserved) are refused whatever the setting. Pure functions, any thread. */
#include "relay/internal.h"

#include <gio/gio.h>
#include <string.h>

static unsigned scope_v4(const uint8_t *b)
{
    if (b[0] == 127)
        return TB_RELAY__SCOPE_LOOPBACK;
    if (b[0] == 0 || b[0] >= 224) /* this network; multicast; reserved and broadcast */
        return TB_RELAY__SCOPE_NONE;
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
        (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xc0) == 64))
        return TB_RELAY__SCOPE_PRIVATE;
    return TB_RELAY__SCOPE_PUBLIC;
}

static unsigned scope_v6(const uint8_t *b)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t zero[15] = {0};
    if (!memcmp(b, mapped, sizeof mapped)) /* ::ffff:a.b.c.d is the IPv4 address */
        return scope_v4(b + 12);
    if (!memcmp(b, zero, sizeof zero))
        return b[15] == 1 ? TB_RELAY__SCOPE_LOOPBACK : TB_RELAY__SCOPE_NONE; /* ::1, :: */
    if (b[0] == 0xff)
        return TB_RELAY__SCOPE_NONE; /* multicast */
    if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
        return TB_RELAY__SCOPE_PRIVATE; /* fc00::/7 unique local, fe80::/10 link-local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return TB_RELAY__SCOPE_PRIVATE; /* fec0::/10, the old site-local */
    return TB_RELAY__SCOPE_PUBLIC;
}

unsigned tb_relay__addr_scope(const char *ip)
{
    GInetAddress *a = ip ? g_inet_address_new_from_string(ip) : NULL;
    if (!a)
        return TB_RELAY__SCOPE_NONE;
    const uint8_t *b = g_inet_address_to_bytes(a);
    unsigned s = g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4 ? scope_v4(b) : scope_v6(b);
    g_object_unref(a);
    return s;
}

unsigned tb_relay__addr_scopes(char *const *ips, int n)
{
    unsigned s = 0;
    for (int i = 0; i < n; i++)
        s |= tb_relay__addr_scope(ips[i]);
    return s;
}

bool tb_relay__candidate_addr_ok(unsigned own, const char *addr, bool any)
{
    /* An mDNS name (RFC 8839 §5.1 allows a hostname) is never resolved by the relay, so
     * nothing is ever sent to it: it is ignored later, like a TCP candidate. */
    if (!g_hostname_is_ip_address(addr))
        return g_str_has_suffix(addr, ".local");
    unsigned s = tb_relay__addr_scope(addr);
    return s != TB_RELAY__SCOPE_NONE && (any || (s & own));
}
