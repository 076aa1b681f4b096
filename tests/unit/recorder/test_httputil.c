/* Serving recordings: Range header parsing (RFC 9110 §14.1.2) and the path checks that
 * keep requests inside the recordings folder (.., encoded variants, symlinks). */
#include "recorder/tb_rec.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static void test_range(void)
{
    static const struct {
        const char *v;
        int64_t size;
        int rc;
        int64_t first, last;
    } cases[] = {
        {"bytes=0-99", 1000, 1, 0, 99},
        {"bytes=100-", 1000, 1, 100, 999},
        {"bytes=-100", 1000, 1, 900, 999},
        {"bytes=-5000", 1000, 1, 0, 999},
        {"bytes=0-", 1000, 1, 0, 999},
        {"bytes=990-5000", 1000, 1, 990, 999},
        {"BYTES=1-2", 1000, 1, 1, 2},
        {"bytes= 5-6", 1000, 1, 5, 6},
        {"bytes=999-999", 1000, 1, 999, 999},
        {"bytes=1000-", 1000, -1, 0, 0},
        {"bytes=5000-6000", 1000, -1, 0, 0},
        {"bytes=-0", 1000, -1, 0, 0},
        {"bytes=0-0", 0, -1, 0, 0},
        /* ignored: the whole file */
        {NULL, 1000, 0, 0, 0},
        {"", 1000, 0, 0, 0},
        {"items=0-1", 1000, 0, 0, 0},
        {"bytes=5-1", 1000, 0, 0, 0},
        {"bytes=a-b", 1000, 0, 0, 0},
        {"bytes=-", 1000, 0, 0, 0},
        {"bytes=0-1,5-6", 1000, 0, 0, 0},
        {"bytes=0-1x", 1000, 0, 0, 0},
        {"bytes=99999999999999999999-", 1000, 0, 0, 0},
        {"bytes=--5", 1000, 0, 0, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int64_t a = -7, b = -7;
        int rc = tb_rec_http_range(cases[i].v, cases[i].size, &a, &b);
        if (rc != cases[i].rc)
            g_error("'%s': %d, expected %d", cases[i].v ? cases[i].v : "(null)", rc, cases[i].rc);
        if (rc == 1) {
            g_assert_cmpint(a, ==, cases[i].first);
            g_assert_cmpint(b, ==, cases[i].last);
        }
    }
}

static void test_names(void)
{
    const char *good[] = {"composition.mp4", "0-t1b2c.webm", "manifest.json", "1-tab_c-2.mkv"};
    const char *bad[] = {"",     "..",     ".",    ".hidden",        "../x",  "a/b",
                         "a\\b", "%2e%2e", "a..b", "with space.mp4", "é.mp4", NULL};
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(tb_rec_media_name_valid(good[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(tb_rec_media_name_valid(bad[i]));
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    g_assert_false(tb_rec_media_name_valid(longname));
    g_assert_cmpstr(tb_rec_media_type("composition.mp4"), ==, "video/mp4");
    g_assert_cmpstr(tb_rec_media_type("0-t.WEBM"), ==, "video/webm");
    g_assert_cmpstr(tb_rec_media_type("x"), ==, "application/octet-stream");
}

static void test_open(void)
{
    g_autofree char *root = g_dir_make_tmp("tbmedia-XXXXXX", NULL);
    g_autofree char *outside = g_dir_make_tmp("tbsecret-XXXXXX", NULL);
    g_autofree char *secret = g_build_filename(outside, "secret.json", NULL);
    g_assert_true(g_file_set_contents(secret, "{\"secret\": 1}", -1, NULL));
    const char *sid = "s0123456789abcdef";
    g_autofree char *sdir = g_build_filename(root, sid, NULL);
    g_assert_cmpint(g_mkdir(sdir, 0750), ==, 0);
    g_autofree char *file = g_build_filename(sdir, "composition.mp4", NULL);
    g_assert_true(g_file_set_contents(file, "0123456789", -1, NULL));
    /* Planted links: a file link and a session-folder link, both pointing outside. */
    g_autofree char *flink = g_build_filename(sdir, "evil.json", NULL);
    g_assert_cmpint(symlink(secret, flink), ==, 0);
    g_autofree char *dlink = g_build_filename(root, "sfedcba9876543210", NULL);
    g_assert_cmpint(symlink(outside, dlink), ==, 0);
    g_autofree char *sub = g_build_filename(sdir, "folder", NULL);
    g_assert_cmpint(g_mkdir(sub, 0750), ==, 0);

    int64_t size = 0;
    int fd = tb_rec_media_open(root, sid, "composition.mp4", &size);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(size, ==, 10);
    close(fd);
    g_assert_cmpint(tb_rec_media_open(root, sid, "evil.json", NULL), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_media_open(root, "sfedcba9876543210", "secret.json", NULL), ==,
                    TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_media_open(root, sid, "folder", NULL), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_media_open(root, sid, "missing.mp4", NULL), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_media_open(root, "..", "etc", NULL), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_media_open(root, sid, "../s0123456789abcdef/composition.mp4", NULL), ==,
                    TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_media_open("/nonexistent", sid, "composition.mp4", NULL), ==,
                    TB_ENOTFOUND);
    g_unlink(file);
    g_unlink(flink);
    g_rmdir(sub);
    g_rmdir(sdir);
    g_unlink(dlink);
    g_rmdir(root);
    g_unlink(secret);
    g_rmdir(outside);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/http/range", test_range);
    g_test_add_func("/http/names", test_names);
    g_test_add_func("/http/open", test_open);
    return g_test_run();
}
