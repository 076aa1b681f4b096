/* The daemon's composition queue (signaling/recording/compositions.c): with a recorder
 * program that cannot be started, every queued composition is dropped with an error and
 * the queue keeps working (this walked a freed list link before: run under ASan); and
 * the one command line that both the daemon and `telebridge recordings compose` run. */
#include "signaling/recording/recording.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct fixture {
    char *dir;
    tb_config cfg;
    tb_rec_catalog *cat;
    tb_sig_hub *hub;
    tb_sig_recorder *rec;
} fixture;

static void setup(fixture *f, const char *recorder)
{
    f->dir = g_dir_make_tmp("tbcompose-XXXXXX", NULL);
    g_autofree char *var = g_strdup_printf("server.var_dir=%s", f->dir);
    g_autofree char *bin = g_strdup_printf("recording.recorder=%s", recorder);
    const char *ovs[] = {var, bin, "recording.compose_after=true", NULL};
    char err[256] = "";
    g_assert_cmpint(tb_config_load_data(&f->cfg, "", ovs, err, sizeof err), ==, TB_OK);
    g_autofree char *db = g_build_filename(f->dir, "telebridge.db", NULL);
    f->cat = tb_rec_catalog_open(db, err, sizeof err);
    g_assert_nonnull(f->cat);
    f->hub = tb_sig_hub_create(&f->cfg, NULL, f->cat, NULL);
    f->rec = tb_sig_recorder_create(f->hub);
}

static void teardown(fixture *f)
{
    tb_sig_hub_close_rooms(f->hub);
    tb_sig_recorder_destroy(f->rec);
    tb_sig_hub_destroy(f->hub);
    tb_rec_catalog_close(f->cat);
    tb_config_clear(&f->cfg);
    g_autofree char *db = g_build_filename(f->dir, "telebridge.db", NULL);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        g_autofree char *p = g_strconcat(db, suffixes[i], NULL);
        g_unlink(p);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
}

static void test_broken_recorder_path(void)
{
    fixture f;
    setup(&f, "/nonexistent/telebridge-recorder");
    /* Two in a row: the second is queued while the queue walks past the first. */
    tb_sig_recorder_compose(f.rec, "20260101-000000-aaaa");
    tb_sig_recorder_compose(f.rec, "20260101-000000-bbbb");
    g_assert_false(tb_sig_recorder_busy(f.rec, "20260101-000000-aaaa"));
    g_assert_false(tb_sig_recorder_busy(f.rec, "20260101-000000-bbbb"));
    /* And the queue still takes work afterwards. */
    tb_sig_recorder_compose(f.rec, "20260101-000000-cccc");
    g_assert_false(tb_sig_recorder_busy(f.rec, "20260101-000000-cccc"));
    teardown(&f);
}

static void test_one_command_line(void)
{
    fixture f;
    setup(&f, "/opt/tb/telebridge-recorder");
    const char *ovs[] = {"recording.layout=grid", NULL};
    GPtrArray *argv = tb_sig_compose_argv(&f.cfg, ovs, "20260101-000000-aaaa");
    g_autofree char *line = g_strjoinv(" ", (char **)argv->pdata);
    g_assert_true(g_str_has_prefix(line, "/opt/tb/telebridge-recorder compose "));
    g_assert_nonnull(strstr(line, " -o recording.layout=grid "));
    g_autofree char *var = g_strdup_printf(" -o server.var_dir=%s ", f.dir);
    g_assert_nonnull(strstr(line, var));
    g_autofree char *dir = g_strdup_printf(" --dir %s/recordings/20260101-000000-aaaa ", f.dir);
    g_assert_nonnull(strstr(line, dir));
    g_assert_nonnull(strstr(line, " --video-encoder "));
    g_assert_nonnull(strstr(line, " --audio-encoder "));
    g_assert_true(g_str_has_suffix(line, " 20260101-000000-aaaa"));
    g_assert_null(g_ptr_array_index(argv, argv->len - 1));
    g_ptr_array_unref(argv);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/compositions/broken-recorder-path", test_broken_recorder_path);
    g_test_add_func("/compositions/one-command-line", test_one_command_line);
    return g_test_run();
}
