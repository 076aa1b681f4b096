/* Which remote candidate addresses the relay checks (relay/addrscope.c): the scope of an
 * address, and the policy of relay.remote_candidates for relays on loopback (the tests'
 * setting), on a private network and on a public address. */
#include "relay/internal.h"

#include <glib.h>

static void test_scopes(void)
{
    static const struct {
        const char *ip;
        unsigned scope;
    } cases[] = {
        {"127.0.0.1", TB_RELAY__SCOPE_LOOPBACK},
        {"127.8.9.10", TB_RELAY__SCOPE_LOOPBACK},
        {"::1", TB_RELAY__SCOPE_LOOPBACK},
        {"::ffff:127.0.0.1", TB_RELAY__SCOPE_LOOPBACK},
        {"10.0.0.1", TB_RELAY__SCOPE_PRIVATE},
        {"172.16.0.1", TB_RELAY__SCOPE_PRIVATE},
        {"172.31.255.254", TB_RELAY__SCOPE_PRIVATE},
        {"192.168.1.1", TB_RELAY__SCOPE_PRIVATE},
        {"169.254.169.254", TB_RELAY__SCOPE_PRIVATE}, /* a cloud's metadata service */
        {"100.64.0.1", TB_RELAY__SCOPE_PRIVATE},      /* RFC 6598 shared space */
        {"fd00::1", TB_RELAY__SCOPE_PRIVATE},
        {"fc12:3456::1", TB_RELAY__SCOPE_PRIVATE},
        {"fe80::1", TB_RELAY__SCOPE_PRIVATE},
        {"::ffff:10.1.2.3", TB_RELAY__SCOPE_PRIVATE},
        {"172.32.0.1", TB_RELAY__SCOPE_PUBLIC},
        {"172.15.0.1", TB_RELAY__SCOPE_PUBLIC},
        {"100.128.0.1", TB_RELAY__SCOPE_PUBLIC},
        {"8.8.8.8", TB_RELAY__SCOPE_PUBLIC},
        {"192.0.2.7", TB_RELAY__SCOPE_PUBLIC},
        {"2001:db8::1", TB_RELAY__SCOPE_PUBLIC},
        {"2a00:1450::1", TB_RELAY__SCOPE_PUBLIC},
        {"0.0.0.0", TB_RELAY__SCOPE_NONE},
        {"0.1.2.3", TB_RELAY__SCOPE_NONE},
        {"::", TB_RELAY__SCOPE_NONE},
        {"224.0.0.251", TB_RELAY__SCOPE_NONE},
        {"239.255.255.250", TB_RELAY__SCOPE_NONE},
        {"255.255.255.255", TB_RELAY__SCOPE_NONE},
        {"240.0.0.1", TB_RELAY__SCOPE_NONE},
        {"ff02::1", TB_RELAY__SCOPE_NONE},
        {"host.local", TB_RELAY__SCOPE_NONE},
        {"", TB_RELAY__SCOPE_NONE},
        {"1.2.3", TB_RELAY__SCOPE_NONE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        if (tb_relay__addr_scope(cases[i].ip) != cases[i].scope)
            g_error("%s: scope %u, expected %u", cases[i].ip, tb_relay__addr_scope(cases[i].ip),
                    cases[i].scope);
    g_assert_cmpuint(tb_relay__addr_scope(NULL), ==, TB_RELAY__SCOPE_NONE);
}

static unsigned own(const char *list)
{
    g_auto(GStrv) v = g_strsplit(list, ",", -1);
    return tb_relay__addr_scopes(v, (int)g_strv_length(v));
}

static void test_policy(void)
{
    /* The default relay.ice_addresses: loopback peers only (the system tests). */
    unsigned lo = own("127.0.0.1");
    g_assert_cmpuint(lo, ==, TB_RELAY__SCOPE_LOOPBACK);
    g_assert_true(tb_relay__candidate_addr_ok(lo, "127.0.0.1", false));
    g_assert_true(tb_relay__candidate_addr_ok(lo, "::1", false));
    g_assert_false(tb_relay__candidate_addr_ok(lo, "192.168.1.20", false));
    g_assert_false(tb_relay__candidate_addr_ok(lo, "8.8.8.8", false));

    /* A public relay: the Internet, but neither its loopback nor a private network. */
    unsigned pub = own("203.0.113.5");
    g_assert_true(tb_relay__candidate_addr_ok(pub, "198.51.100.9", false));
    g_assert_true(tb_relay__candidate_addr_ok(pub, "2a00:1450::1", false));
    g_assert_false(tb_relay__candidate_addr_ok(pub, "127.0.0.1", false));
    g_assert_false(tb_relay__candidate_addr_ok(pub, "10.0.0.8", false));
    g_assert_false(tb_relay__candidate_addr_ok(pub, "169.254.169.254", false));
    g_assert_false(tb_relay__candidate_addr_ok(pub, "fd00::1", false));

    /* A relay in an office network with a public address as well. */
    unsigned both = own("10.1.0.2,203.0.113.5");
    g_assert_true(tb_relay__candidate_addr_ok(both, "192.168.7.7", false));
    g_assert_true(tb_relay__candidate_addr_ok(both, "fe80::1", false));
    g_assert_true(tb_relay__candidate_addr_ok(both, "8.8.8.8", false));
    g_assert_false(tb_relay__candidate_addr_ok(both, "127.0.0.1", false));

    /* relay.remote_candidates = any takes every address that can be a peer... */
    g_assert_true(tb_relay__candidate_addr_ok(pub, "127.0.0.1", true));
    g_assert_true(tb_relay__candidate_addr_ok(lo, "10.0.0.8", true));
    /* ...but never one that cannot. */
    g_assert_false(tb_relay__candidate_addr_ok(pub, "0.0.0.0", true));
    g_assert_false(tb_relay__candidate_addr_ok(pub, "224.0.0.1", true));
    g_assert_false(tb_relay__candidate_addr_ok(pub, "255.255.255.255", true));

    /* An mDNS name is taken and never resolved; other names are not addresses. */
    g_assert_true(tb_relay__candidate_addr_ok(lo, "1f4a-77.local", false));
    g_assert_false(tb_relay__candidate_addr_ok(lo, "intranet.example", false));
    g_assert_false(tb_relay__candidate_addr_ok(lo, "localhost", true));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/addrscope/scopes", test_scopes);
    g_test_add_func("/addrscope/policy", test_policy);
    return g_test_run();
}
