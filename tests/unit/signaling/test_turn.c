/* TURN credentials (signaling/access/turn.c): coturn's REST form, checked against an
 * HMAC computed independently (Python's hmac module), an expiry of now + ttl, and no
 * secret in what a client gets. */
#include "signaling/access/access.h"

#include <glib.h>
#include <jansson.h>
#include <string.h>

#define SECRET "0123456789abcdef-secret"

static void test_password_vector(void)
{
    g_autofree char *pw = tb_sig_turn_password(SECRET, "1700086400:alice@district");
    g_assert_cmpstr(pw, ==, "CF9dcg3N7cgrzMurUaUdRyjGw4I=");
}

static void test_ice_servers(void)
{
    tb_config_turn t = {.urls = "turn:10.0.0.1:3478?transport=udp, turns:turn.example.org:443",
                        .secret = SECRET,
                        .ttl_s = 86400,
                        .realm = "telebridge"};
    json_t *s = tb_sig_turn_ice_servers(&t, "alice@district", 1700000000);
    g_assert_cmpuint(json_array_size(s), ==, 1);
    json_t *e = json_array_get(s, 0);
    json_t *urls = json_object_get(e, "urls");
    g_assert_cmpuint(json_array_size(urls), ==, 2);
    g_assert_cmpstr(json_string_value(json_array_get(urls, 0)), ==,
                    "turn:10.0.0.1:3478?transport=udp");
    g_assert_cmpstr(json_string_value(json_array_get(urls, 1)), ==, "turns:turn.example.org:443");
    g_assert_cmpstr(json_string_value(json_object_get(e, "username")), ==,
                    "1700086400:alice@district");
    g_assert_cmpstr(json_string_value(json_object_get(e, "credential")), ==,
                    "CF9dcg3N7cgrzMurUaUdRyjGw4I=");
    char *text = json_dumps(s, 0);
    g_assert_null(strstr(text, SECRET));
    free(text);
    json_decref(s);
    /* Another identity or time: another credential. */
    s = tb_sig_turn_ice_servers(&t, "bob", 1700000000);
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(s, 0), "credential")), !=,
                    "CF9dcg3N7cgrzMurUaUdRyjGw4I=");
    json_decref(s);
}

static void test_no_turn(void)
{
    tb_config_turn none = {.urls = "", .secret = SECRET, .ttl_s = 60, .realm = "x"};
    json_t *s = tb_sig_turn_ice_servers(&none, "alice", 1);
    g_assert_true(json_is_array(s));
    g_assert_cmpuint(json_array_size(s), ==, 0);
    json_decref(s);
    tb_config_turn nosecret = {.urls = "turn:a", .secret = "", .ttl_s = 60, .realm = "x"};
    s = tb_sig_turn_ice_servers(&nosecret, "alice", 1);
    g_assert_cmpuint(json_array_size(s), ==, 0);
    json_decref(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/turn/password_vector", test_password_vector);
    g_test_add_func("/turn/ice_servers", test_ice_servers);
    g_test_add_func("/turn/no_turn", test_no_turn);
    return g_test_run();
}
