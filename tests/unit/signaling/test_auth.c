/* Who may join (signaling/access/auth.c): the token key made once into var_dir with mode 0600
 * and read back the same, a configured secret used as is (too short refused); a join
 * without a token refused unless the room allows anonymous joiners (who get its
 * anonymous_role); a valid token's grant; tokens for another room, expired, forged and
 * with alg "none" refused, each with its own code. */
#include "signaling/access/access.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static char *mint(GBytes *key, const char *room, tb_sig_role role, const char *name, int64_t exp)
{
    tb_sig_claims c = {
        .room = (char *)room, .identity = "id-7", .name = (char *)name, .role = role, .exp = exp};
    c.perms = tb_sig_role_perms(role);
    gsize n = 0;
    const uint8_t *k = g_bytes_get_data(key, &n);
    return tb_sig_token_mint(k, n, &c);
}

static void test_key_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbauth-XXXXXX", NULL);
    g_autofree char *var = g_build_filename(dir, "var", NULL);
    g_autofree char *ov = g_strdup_printf("server.var_dir=%s", var);
    const char *ovs[] = {ov, NULL};
    tb_config cfg;
    char err[256] = "";
    g_assert_cmpint(tb_config_load_data(&cfg, "", ovs, err, sizeof err), ==, TB_OK);
    GBytes *k1 = tb_sig_auth_load_key(&cfg, err, sizeof err);
    g_assert_nonnull(k1);
    g_assert_cmpuint(g_bytes_get_size(k1), ==, 64);
    g_autofree char *path = g_build_filename(var, "token.secret", NULL);
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    GBytes *k2 = tb_sig_auth_load_key(&cfg, err, sizeof err);
    g_assert_true(g_bytes_equal(k1, k2)); /* made once, then read back */
    g_bytes_unref(k1);
    g_bytes_unref(k2);
    /* A key others can read is refused (it only warned before). */
    g_assert_cmpint(chmod(path, 0644), ==, 0);
    g_assert_null(tb_sig_auth_load_key(&cfg, err, sizeof err));
    g_assert_nonnull(strstr(err, "chmod 600"));
    g_assert_cmpint(chmod(path, 0600), ==, 0);
    tb_config_clear(&cfg);

    const char *short_ov[] = {"auth.secret=short", NULL};
    g_assert_cmpint(tb_config_load_data(&cfg, "", short_ov, err, sizeof err), ==, TB_OK);
    g_assert_null(tb_sig_auth_load_key(&cfg, err, sizeof err));
    g_assert_nonnull(strstr(err, "secret"));
    tb_config_clear(&cfg);
    g_unlink(path);
    g_rmdir(var);
    g_rmdir(dir);
}

static void test_join(void)
{
    tb_config cfg;
    char err[256] = "";
    const char *ovs[] = {"auth.secret=unit-test-secret-0123456789",
                         "room:open.allow_anonymous=true", "room:open.anonymous_role=viewer", NULL};
    g_assert_cmpint(tb_config_load_data(&cfg, "", ovs, err, sizeof err), ==, TB_OK);
    GBytes *key = tb_sig_auth_load_key(&cfg, err, sizeof err);
    g_assert_nonnull(key);
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    tb_sig_grant g;

    g_assert_cmpstr(tb_sig_auth_join(&cfg, key, now, "closed", NULL, &g, err, sizeof err), ==,
                    "token_required");
    g_assert_null(tb_sig_auth_join(&cfg, key, now, "open", NULL, &g, err, sizeof err));
    g_assert_cmpint(g.role, ==, TB_SIG_ROLE_VIEWER);
    g_assert_null(g.identity);
    g_assert_false(g.perms & TB_SIG_PERM_PUBLISH);
    tb_sig_grant_clear(&g);

    g_autofree char *ok = mint(key, "closed", TB_SIG_ROLE_SPEAKER, "Анна", now + 60);
    g_assert_null(tb_sig_auth_join(&cfg, key, now, "closed", ok, &g, err, sizeof err));
    g_assert_cmpstr(g.identity, ==, "id-7");
    g_assert_cmpstr(g.name, ==, "Анна");
    g_assert_cmpint(g.role, ==, TB_SIG_ROLE_SPEAKER);
    g_assert_true(g.perms & TB_SIG_PERM_PUBLISH);
    tb_sig_grant_clear(&g);

    g_assert_cmpstr(tb_sig_auth_join(&cfg, key, now, "other", ok, &g, err, sizeof err), ==,
                    "token_room");
    g_assert_nonnull(strstr(err, "closed"));
    g_autofree char *old = mint(key, "closed", TB_SIG_ROLE_SPEAKER, NULL, now - 3600);
    g_assert_cmpstr(tb_sig_auth_join(&cfg, key, now, "closed", old, &g, err, sizeof err), ==,
                    "token_expired");
    GBytes *other = g_bytes_new_static("another-secret-0123456789", 25);
    g_autofree char *forged = mint(other, "closed", TB_SIG_ROLE_MODERATOR, NULL, now + 60);
    g_bytes_unref(other);
    g_assert_cmpstr(tb_sig_auth_join(&cfg, key, now, "closed", forged, &g, err, sizeof err), ==,
                    "token_signature");
    /* alg none: our payload with a header saying none and no signature. */
    g_auto(GStrv) parts = g_strsplit(ok, ".", -1);
    const char *none_hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    g_autofree char *h = tb_sig_b64url_encode((const uint8_t *)none_hdr, strlen(none_hdr));
    g_autofree char *none = g_strconcat(h, ".", parts[1], ".", NULL);
    g_assert_cmpstr(tb_sig_auth_join(&cfg, key, now, "closed", none, &g, err, sizeof err), ==,
                    "token_alg");
    g_assert_cmpstr(tb_sig_auth_join(&cfg, key, now, "closed", "garbage", &g, err, sizeof err), ==,
                    "token_malformed");
    g_bytes_unref(key);
    tb_config_clear(&cfg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/auth/key-file", test_key_file);
    g_test_add_func("/auth/join", test_join);
    return g_test_run();
}
