/* Configuration parsing: defaults, the shipped file, overrides, and every kind of bad
 * key or value stopping start-up with the key named. */
#include "common/tb_config.h"
#include "common/tb_error.h"

#include <glib.h>
#include <string.h>

static void test_defaults(void)
{
    tb_config c;
    char err[256] = "";
    g_assert_cmpint(tb_config_load_data(&c, "", NULL, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(c.server.listen, ==, "127.0.0.1");
    g_assert_cmpint(c.server.port, ==, 8080);
    g_assert_cmpint(c.relay.n_ice_addresses, ==, 1);
    g_assert_cmpstr(c.relay.ice_addresses[0], ==, "127.0.0.1");
    g_assert_false(c.rooms.defaults.allow_anonymous);
    g_assert_cmpstr(c.rooms.defaults.kind, ==, "roundtable");
    g_assert_cmpstr(c.rooms.defaults.anonymous_role, ==, "participant");
    g_assert_true(c.relay.prefer_gcm);
    g_assert_false(c.relay.ice_lite);
    g_assert_cmpint(c.relay.rtx_buffer_packets, ==, 512);
    tb_config_clear(&c);
}

/* The file we ship must load and say exactly the defaults. */
static void test_shipped_file(void)
{
    tb_config c, d;
    char err[256] = "";
    g_autofree char *path = g_build_filename(TB_SOURCE_DIR, "configs", "telebridge.ini", NULL);
    g_assert_cmpint(tb_config_load(&c, path, NULL, err, sizeof err), ==, TB_OK);
    g_assert_cmpint(tb_config_load_data(&d, "", NULL, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(c.server.listen, ==, d.server.listen);
    g_assert_cmpint(c.server.port, ==, d.server.port);
    g_assert_cmpint(c.server.max_message_bytes, ==, d.server.max_message_bytes);
    g_assert_cmpint(c.relay.workers, ==, d.relay.workers);
    g_assert_cmpint(c.rooms.defaults.max_participants, ==, d.rooms.defaults.max_participants);
    g_assert_cmpint(c.rooms.defaults.allow_anonymous, ==, d.rooms.defaults.allow_anonymous);
    g_assert_cmpstr(c.rooms.defaults.kind, ==, d.rooms.defaults.kind);
    g_assert_cmpint(c.rooms.defaults.floor_seconds, ==, d.rooms.defaults.floor_seconds);
    g_assert_cmpint(c.auth.token_ttl_s, ==, d.auth.token_ttl_s);
    g_assert_cmpstr(c.auth.secret, ==, "");
    /* The demo room of the printed join link takes anonymous speakers. */
    const tb_config_room *w = tb_config_room_get(&c, c.rooms.default_room);
    g_assert_cmpstr(w->name, ==, "welcome");
    g_assert_true(w->allow_anonymous);
    g_assert_cmpstr(w->anonymous_role, ==, "speaker");
    g_assert_null(tb_config_room_get(&c, "other")->name);
    g_assert_cmpstr(c.rooms.default_room, ==, d.rooms.default_room);
    g_assert_cmpstr(c.server.public_url, ==, "");
    tb_config_clear(&c);
    tb_config_clear(&d);
}

static void test_values_and_overrides(void)
{
    tb_config c;
    char err[256] = "";
    const char *ini = "[server]\nport = 9000\n[relay]\nice_addresses = 127.0.0.1, ::1\n"
                      "prefer_gcm = no\n[rooms]\nallow_anonymous=false\n";
    const char *ov[] = {"server.port=9100", "relay.workers=3", "relay.ice_lite=true", NULL};
    g_assert_cmpint(tb_config_load_data(&c, ini, ov, err, sizeof err), ==, TB_OK);
    g_assert_cmpint(c.server.port, ==, 9100); /* the command line wins */
    g_assert_cmpint(c.relay.workers, ==, 3);
    g_assert_cmpint(c.relay.n_ice_addresses, ==, 2);
    g_assert_cmpstr(c.relay.ice_addresses[1], ==, "::1");
    g_assert_false(c.relay.prefer_gcm);
    g_assert_true(c.relay.ice_lite);
    g_assert_false(c.rooms.defaults.allow_anonymous);
    tb_config_clear(&c);
}

typedef struct bad_case {
    const char *ini;
    const char *override;
    const char *must_mention;
} bad_case;

static void test_bad(void)
{
    static const bad_case cases[] = {
        {"[server]\nprot = 80\n", NULL, "prot"}, /* typo in a key */
        {"[sever]\nport = 80\n", NULL, "sever"}, /* typo in a section */
        {"[server]\nport = 0\n", NULL, "port"},  /* out of range */
        {"[server]\nport = 70000\n", NULL, "port"},
        {"[server]\nport = eighty\n", NULL, "port"}, /* not a number */
        {"[server]\nport = 80x\n", NULL, "port"},
        {"[relay]\nprefer_gcm = maybe\n", NULL, "prefer_gcm"},           /* not a boolean */
        {"[relay]\nice_addresses = localhost\n", NULL, "ice_addresses"}, /* not an IP */
        {"[relay]\nice_addresses = ,\n", NULL, "ice_addresses"},
        {"[relay]\nrtx_buffer_packets = 500\n", NULL, "rtx_buffer_packets"},
        {"[relay]\nport_min = 5000\n", NULL, "port_min"},
        {"[server]\nlog_level = loud\n", NULL, "log_level"},
        {"[rooms]\ndefault_room = a b\n", NULL, "default_room"},
        {"this is not ini\n", NULL, "config"},
        {"", "server.port", "server.port"}, /* override without = */
        {"", "port=1", "port=1"},           /* override without section */
        {"", "server.nope=1", "nope"},
        {"", "server.port=-1", "port"},
        {"[rooms]\nkind = party\n", NULL, "kind"},
        {"[rooms]\nanonymous_role = king\n", NULL, "anonymous_role"},
        {"[room:a b]\nkind = hearing\n", NULL, "room:a b"},
        {"[room:x]\nport = 1\n", NULL, "port"}, /* not a room key */
        {"[room:x]\nkind = party\n", NULL, "kind"},
        {"[room:x]\nwaiting_room = maybe\n", NULL, "waiting_room"},
        {"", "room:x.floor_seconds=1", "floor_seconds"},
        {"[server]\ntls_cert = a.pem\n", NULL, "tls_key"},
        {"[turn]\nurls = stun:x\nsecret = 0123456789abcdef\n", NULL, "urls"},
        {"[turn]\nurls = turn:x:3478\n", NULL, "secret"}, /* no secret */
        {"[turn]\nurls = turn:x\nsecret = short\n", NULL, "secret"},
        {"[turn]\nttl = 5\n", NULL, "ttl"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        tb_config c;
        char err[256] = "";
        const char *ov[] = {cases[i].override, NULL};
        int rc = tb_config_load_data(&c, cases[i].ini, ov, err, sizeof err);
        if (rc != TB_EINVAL || !strstr(err, cases[i].must_mention))
            g_error("case %zu: rc %d, err '%s' (wanted mention of '%s')", i, rc, err,
                    cases[i].must_mention);
        tb_config_clear(&c);
    }
}

/* [room:NAME] sections start from the final [rooms] defaults, whatever the order. */
static void test_rooms(void)
{
    tb_config c;
    char err[256] = "";
    const char *ini = "[room:hall]\nkind = hearing\nfloor_seconds = 60\n"
                      "[rooms]\nchat = false\nanonymous_role = viewer\n";
    const char *ov[] = {"room:hall.allow_anonymous=true", "room:consult-1.kind=consultation",
                        "rooms.max_participants=7", NULL};
    g_assert_cmpint(tb_config_load_data(&c, ini, ov, err, sizeof err), ==, TB_OK);
    const tb_config_room *h = tb_config_room_get(&c, "hall");
    g_assert_cmpstr(h->kind, ==, "hearing");
    g_assert_cmpint(h->floor_seconds, ==, 60);
    g_assert_false(h->chat);
    g_assert_true(h->allow_anonymous);
    g_assert_cmpstr(h->anonymous_role, ==, "viewer");
    g_assert_cmpint(h->max_participants, ==, 7);
    const tb_config_room *k = tb_config_room_get(&c, "consult-1");
    g_assert_cmpstr(k->kind, ==, "consultation");
    g_assert_false(k->allow_anonymous);
    g_assert_cmpstr(tb_config_room_get(&c, "elsewhere")->kind, ==, "roundtable");
    tb_config_clear(&c);
}

static void test_missing_file(void)
{
    tb_config c;
    char err[256] = "";
    g_assert_cmpint(tb_config_load(&c, "/nonexistent/telebridge.ini", NULL, err, sizeof err), ==,
                    TB_EINVAL);
    g_assert_nonnull(strstr(err, "/nonexistent/telebridge.ini"));
    tb_config_clear(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/defaults", test_defaults);
    g_test_add_func("/config/shipped-file", test_shipped_file);
    g_test_add_func("/config/values-and-overrides", test_values_and_overrides);
    g_test_add_func("/config/bad", test_bad);
    g_test_add_func("/config/rooms", test_rooms);
    g_test_add_func("/config/missing-file", test_missing_file);
    return g_test_run();
}
