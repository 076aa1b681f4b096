/* Catalog: schema creation, migrations applied once, sessions, attendance, audit, chat,
 * and stale sessions marked interrupted at start-up. */
#include "recorder/tb_rec_catalog.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>

static int count(tb_rec_catalog *cat, const char *sql)
{
    sqlite3_stmt *st;
    g_assert_cmpint(sqlite3_prepare_v2(tb_rec_catalog_db(cat), sql, -1, &st, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_catalog(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbcat-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sub", "telebridge.db", NULL);
    char err[256] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    char sid[32], sid2[32];
    g_assert_cmpint(tb_rec_catalog_session_begin(cat, "hall", sid, sizeof sid), ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_session_begin(cat, "hall", sid2, sizeof sid2), ==, TB_OK);
    g_assert_cmpstr(sid, !=, sid2);
    g_assert_cmpint(tb_rec_catalog_attend_join(cat, sid, "p1", NULL, "Анна", "moderator"), ==,
                    TB_OK);
    g_assert_cmpint(
        tb_rec_catalog_attend_join(cat, sid, "p2", "id2", "Иван'); DROP TABLE chat;--", "speaker"),
        ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_attend_leave(cat, sid, "p2"), ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_audit(cat, sid, "p1", "Анна", "mute", "p2", "audio"), ==, TB_OK);
    int64_t mid = 0;
    g_assert_cmpint(tb_rec_catalog_chat_add(cat, sid, "p2", "Иван", "привет", &mid), ==, TB_OK);
    g_assert_cmpint(mid, >, 0);
    g_assert_cmpint(tb_rec_catalog_chat_delete(cat, sid, mid, "p1"), ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_chat_delete(cat, sid, mid, "p1"), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_rec_catalog_chat_delete(cat, sid2, mid, "p1"), ==, TB_ENOTFOUND);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance WHERE left_us IS NULL"), ==, 1);
    g_assert_cmpint(tb_rec_catalog_session_end(cat, sid), ==, TB_OK);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance WHERE left_us IS NULL"), ==, 0);
    /* A migration runs once. */
    g_assert_cmpint(tb_rec_catalog_migrate(cat, "t-v1", "CREATE TABLE t(x)"), ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_migrate(cat, "t-v1", "CREATE TABLE t(x)"), ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_migrate(cat, "bad-v1", "NOT SQL"), ==, TB_EIO);
    tb_rec_catalog_close(cat);

    /* Reopened as after a crash: sid2 never ended and is marked interrupted. */
    cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    g_assert_cmpint(tb_rec_catalog_sessions_close_stale(cat), ==, 1);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM sessions WHERE state = 'interrupted'"), ==, 1);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM chat"), ==, 1);
    tb_rec_catalog_close(cat);
    g_assert_null(tb_rec_catalog_open("/proc/nope/telebridge.db", err, sizeof err));
}

/* The same statements serve call after call (they are prepared once): every row gets its
 * own values, a failing call leaves the next one working, and close still closes the
 * database (SQLite removes the -wal file only when no statement is left open). */
static void test_catalog_repeated(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbcat-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "telebridge.db", NULL);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    char err[256] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    char sid[32];
    g_assert_cmpint(tb_rec_catalog_session_begin(cat, "hall", sid, sizeof sid), ==, TB_OK);
    for (int i = 0; i < 200; i++) {
        char id[16], name[32];
        g_snprintf(id, sizeof id, "p%d", i);
        g_snprintf(name, sizeof name, "Участник %d", i);
        g_assert_cmpint(
            tb_rec_catalog_attend_join(cat, sid, id, i % 2 ? id : NULL, name, "speaker"), ==,
            TB_OK);
        if (i % 4 == 0)
            g_assert_cmpint(tb_rec_catalog_attend_leave(cat, sid, id), ==, TB_OK);
    }
    /* A constraint failure (no such session) on one call... */
    g_assert_cmpint(tb_rec_catalog_attend_join(cat, NULL, "px", NULL, "x", "speaker"), ==, TB_EIO);
    /* ...and the next call through the same statement works. */
    g_assert_cmpint(tb_rec_catalog_attend_join(cat, sid, "p200", NULL, "Последний", "viewer"), ==,
                    TB_OK);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance"), ==, 201);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance WHERE left_us IS NULL"), ==, 151);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance WHERE participant_id = 'p57' AND "
                               "name = 'Участник 57' AND identity = 'p57'"),
                    ==, 1);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance WHERE participant_id = 'p58' AND "
                               "identity IS NULL AND left_us IS NULL"),
                    ==, 1);
    g_assert_cmpint(count(cat, "SELECT count(*) FROM attendance WHERE participant_id = 'p200' AND "
                               "name = 'Последний' AND role = 'viewer'"),
                    ==, 1);
    g_assert_true(g_file_test(wal, G_FILE_TEST_EXISTS));
    tb_rec_catalog_close(cat);
    g_assert_false(g_file_test(wal, G_FILE_TEST_EXISTS));
}

/* Names, attendance and chat are personal data: the file is the server user's only, even
 * under a permissive umask, and an older catalog made readable by others is tightened. */
static void test_catalog_mode(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbcat-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "telebridge.db", NULL);
    char err[256] = "";
    mode_t old = umask(0);
    tb_rec_catalog *cat = tb_rec_catalog_open(path, err, sizeof err);
    umask(old);
    g_assert_nonnull(cat);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    tb_rec_catalog_close(cat);
    g_assert_cmpint(g_chmod(path, 0644), ==, 0);
    cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    tb_rec_catalog_close(cat);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/catalog/all", test_catalog);
    g_test_add_func("/catalog/mode", test_catalog_mode);
    g_test_add_func("/catalog/repeated", test_catalog_repeated);
    return g_test_run();
}
