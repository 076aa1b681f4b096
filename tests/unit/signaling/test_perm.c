/* Roles, permissions and room kinds (signaling/access/perm.c): each role's defaults as
 * docs/architecture.md describes them, name tables both ways and who may publish when.
 * (What makes a screen share is the relay's parse's to say now: those cases are in
 * tests/unit/relay/test_sdp.c.) */
#include "signaling/access/access.h"
#include "common/tb_error.h"

#include <glib.h>
#include <string.h>

static void test_role_defaults(void)
{
    unsigned mod = tb_sig_role_perms(TB_SIG_ROLE_MODERATOR);
    unsigned spk = tb_sig_role_perms(TB_SIG_ROLE_SPEAKER);
    unsigned par = tb_sig_role_perms(TB_SIG_ROLE_PARTICIPANT);
    unsigned vie = tb_sig_role_perms(TB_SIG_ROLE_VIEWER);
    unsigned sit = tb_sig_role_perms(TB_SIG_ROLE_SITE);
    g_assert_true(mod & TB_SIG_PERM_MODERATE);
    g_assert_true(mod & TB_SIG_PERM_RECORD);
    g_assert_true(mod & TB_SIG_PERM_PUBLISH);
    for (unsigned p = 0, i = 0; i < 4; i++) {
        p = (unsigned[]){spk, par, vie, sit}[i];
        g_assert_false(p & TB_SIG_PERM_MODERATE);
        g_assert_false(p & TB_SIG_PERM_RECORD);
    }
    g_assert_true(spk & TB_SIG_PERM_PUBLISH);
    g_assert_true(spk & TB_SIG_PERM_SCREEN);
    g_assert_false(par & TB_SIG_PERM_PUBLISH); /* only with the floor */
    g_assert_true(par & TB_SIG_PERM_HAND);
    g_assert_true(par & TB_SIG_PERM_CHAT);
    g_assert_false(vie & TB_SIG_PERM_PUBLISH);
    g_assert_false(vie & TB_SIG_PERM_SCREEN);
    g_assert_true(sit & TB_SIG_PERM_PUBLISH);
    g_assert_false(sit & TB_SIG_PERM_CHAT);
    g_assert_false(sit & TB_SIG_PERM_HAND);
}

static void test_may_publish(void)
{
    g_assert_true(tb_sig_may_publish(tb_sig_role_perms(TB_SIG_ROLE_SPEAKER), false));
    g_assert_false(tb_sig_may_publish(tb_sig_role_perms(TB_SIG_ROLE_PARTICIPANT), false));
    g_assert_true(tb_sig_may_publish(tb_sig_role_perms(TB_SIG_ROLE_PARTICIPANT), true));
    g_assert_false(tb_sig_may_publish(tb_sig_role_perms(TB_SIG_ROLE_VIEWER), false));
    g_assert_true(tb_sig_may_publish(tb_sig_role_perms(TB_SIG_ROLE_VIEWER), true));
}

static void test_names(void)
{
    for (int i = 0; i < TB_SIG_N_ROLES; i++) {
        tb_sig_role r;
        g_assert_cmpint(tb_sig_role_parse(tb_sig_role_name((tb_sig_role)i), &r), ==, TB_OK);
        g_assert_cmpint(r, ==, i);
    }
    for (int i = 0; i < TB_SIG_N_KINDS; i++) {
        tb_sig_kind k;
        g_assert_cmpint(tb_sig_kind_parse(tb_sig_kind_name((tb_sig_kind)i), &k), ==, TB_OK);
        g_assert_cmpint(k, ==, i);
    }
    unsigned bit;
    for (int i = 0; tb_sig_perm_name_at(i); i++) {
        g_assert_cmpint(tb_sig_perm_parse(tb_sig_perm_name_at(i), &bit), ==, TB_OK);
        g_assert_cmpuint(bit, ==, 1u << i);
    }
    tb_sig_role r;
    tb_sig_kind k;
    g_assert_cmpint(tb_sig_role_parse("Moderator", &r), ==, TB_EINVAL);
    g_assert_cmpint(tb_sig_role_parse(NULL, &r), ==, TB_EINVAL);
    g_assert_cmpint(tb_sig_kind_parse("party", &k), ==, TB_EINVAL);
    g_assert_cmpint(tb_sig_perm_parse("fly", &bit), ==, TB_EINVAL);
    g_assert_cmpstr(tb_sig_role_name((tb_sig_role)99), ==, "?");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/perm/role-defaults", test_role_defaults);
    g_test_add_func("/perm/may-publish", test_may_publish);
    g_test_add_func("/perm/names", test_names);
    return g_test_run();
}
