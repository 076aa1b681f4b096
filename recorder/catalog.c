/* catalog.c — SQLite catalog: schema, migrations, sessions, attendance, audit, chat.
 * Prepared statements with bound parameters only: no SQL is built from input. */
#define TB_LOG_CAT "rec/catalog"
#include "recorder/tb_rec_catalog.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <fcntl.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tb_rec_catalog {
    sqlite3 *db;
    /* run()'s statements, prepared once: SQL text -> sqlite3_stmt. Preparing again for
     * every join and leave was ~7 % of the signaling thread's time in a 50-join burst. */
    GHashTable *stmts;
};

static const char *schema_v1 =
    "CREATE TABLE sessions ("
    "  id TEXT PRIMARY KEY, room TEXT NOT NULL,"
    "  started_us INTEGER NOT NULL, ended_us INTEGER,"
    "  state TEXT NOT NULL DEFAULT 'live');"
    "CREATE INDEX sessions_room ON sessions(room, started_us);"
    "CREATE TABLE attendance ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id), participant_id TEXT NOT NULL,"
    "  identity TEXT, name TEXT NOT NULL, role TEXT,"
    "  joined_us INTEGER NOT NULL, left_us INTEGER);"
    "CREATE INDEX attendance_session ON attendance(session_id, joined_us);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, at_us INTEGER NOT NULL,"
    "  actor_id TEXT, actor_name TEXT, action TEXT NOT NULL, target_id TEXT, detail TEXT);"
    "CREATE INDEX audit_session ON audit(session_id, at_us);"
    "CREATE TABLE chat ("
    "  id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, at_us INTEGER NOT NULL,"
    "  sender_id TEXT, sender_name TEXT, text TEXT NOT NULL,"
    "  deleted_us INTEGER, deleted_by TEXT);"
    "CREATE INDEX chat_session ON chat(session_id, at_us);";

int64_t tb_rec_catalog_now_us(void)
{
    return g_get_real_time();
}

static int fail(tb_rec_catalog *cat, const char *what)
{
    TB_LOG_WARN("%s: %s", what, sqlite3_errmsg(cat->db));
    return TB_EIO;
}

int tb_rec_catalog_migrate(tb_rec_catalog *cat, const char *name, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int done = 0;
    if (sqlite3_prepare_v2(cat->db, "SELECT 1 FROM migrations WHERE name = ?", -1, &st, NULL))
        return fail(cat, "migrations");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    done = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (done)
        return TB_OK;
    char *msg = NULL;
    if (sqlite3_exec(cat->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(cat, "migration begin");
    if (sqlite3_exec(cat->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        TB_LOG_ERR("migration %s: %s", name, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
        return TB_EIO;
    }
    if (sqlite3_prepare_v2(cat->db, "INSERT INTO migrations(name, applied_us) VALUES (?, ?)", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, tb_rec_catalog_now_us());
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    return sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? TB_OK
                                                                          : fail(cat, "migration");
}

static void stmt_free(gpointer st)
{
    sqlite3_finalize(st);
}

tb_rec_catalog *tb_rec_catalog_open(const char *path, char *err, size_t errlen)
{
    tb_rec_catalog *cat = g_new0(tb_rec_catalog, 1);
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0750);
    /* The catalog holds names, attendance, chat and the audit log: readable by the
     * server's user only. SQLite gives its -wal and -shm files the database's mode. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && (st.st_mode & 077) && fchmod(fd, 0600) == 0)
            TB_LOG_WARN("catalog %s was readable by others: now 0600", path);
        close(fd);
    }
    if (sqlite3_open_v2(path, &cat->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
        snprintf(err, errlen, "catalog %s: %s", path, cat->db ? sqlite3_errmsg(cat->db) : "?");
        sqlite3_close(cat->db);
        g_free(cat);
        return NULL;
    }
    sqlite3_busy_timeout(cat->db, TB_REC_CATALOG_BUSY_MS);
    cat->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_free);
    sqlite3_exec(cat->db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "PRAGMA foreign_keys=ON;",
                 NULL, NULL, NULL);
    if (sqlite3_exec(cat->db,
                     "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY,"
                     " applied_us INTEGER NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        tb_rec_catalog_migrate(cat, "core-v1", schema_v1) != TB_OK) {
        snprintf(err, errlen, "catalog %s: cannot create the schema: %s", path,
                 sqlite3_errmsg(cat->db));
        g_hash_table_destroy(cat->stmts);
        sqlite3_close(cat->db);
        g_free(cat);
        return NULL;
    }
    return cat;
}

void tb_rec_catalog_close(tb_rec_catalog *cat)
{
    if (!cat)
        return;
    g_hash_table_destroy(cat->stmts); /* finalized first: close refuses open statements */
    sqlite3_close(cat->db);
    g_free(cat);
}

struct sqlite3 *tb_rec_catalog_db(tb_rec_catalog *cat)
{
    return cat->db;
}

/* Prepares `sql`, binds the NULL-terminated text args then the int64 args in order. */
static int run(tb_rec_catalog *cat, const char *sql, const char *const *texts, int n_texts,
               const int64_t *ints, int n_ints)
{
    sqlite3_stmt *st = g_hash_table_lookup(cat->stmts, sql);
    if (!st) {
        if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
            return fail(cat, sql);
        g_hash_table_insert(cat->stmts, g_strdup(sql), st);
    }
    int i = 1;
    for (int k = 0; k < n_texts; k++, i++)
        sqlite3_bind_text(st, i, texts[k], -1, SQLITE_TRANSIENT);
    for (int k = 0; k < n_ints; k++, i++)
        sqlite3_bind_int64(st, i, ints[k]);
    int rc = sqlite3_step(st);
    int ok = rc == SQLITE_DONE || rc == SQLITE_ROW ? TB_OK : fail(cat, sql);
    /* Ready for the next call; the bound texts are released. */
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ok;
}

int tb_rec_catalog_session_begin(tb_rec_catalog *cat, const char *room, char *id_out, size_t cap)
{
    snprintf(id_out, cap, "s%08x%08x", g_random_int(), g_random_int());
    const char *t[] = {id_out, room};
    int64_t now = tb_rec_catalog_now_us();
    return run(cat, "INSERT INTO sessions(id, room, started_us) VALUES (?, ?, ?)", t, 2, &now, 1);
}

int tb_rec_catalog_session_end(tb_rec_catalog *cat, const char *session_id)
{
    const char *t[] = {session_id};
    int64_t now = tb_rec_catalog_now_us();
    int rc =
        run(cat, "UPDATE attendance SET left_us = ?2 WHERE session_id = ?1 AND left_us IS NULL", t,
            1, &now, 1);
    if (rc)
        return rc;
    return run(cat, "UPDATE sessions SET ended_us = ?2, state = 'ended' WHERE id = ?1", t, 1, &now,
               1);
}

int tb_rec_catalog_sessions_close_stale(tb_rec_catalog *cat)
{
    int64_t now = tb_rec_catalog_now_us();
    int rc =
        run(cat, "UPDATE sessions SET ended_us = ?, state = 'interrupted' WHERE ended_us IS NULL",
            NULL, 0, &now, 1);
    if (rc)
        return rc;
    int n = sqlite3_changes(cat->db);
    run(cat, "UPDATE attendance SET left_us = ? WHERE left_us IS NULL", NULL, 0, &now, 1);
    return n;
}

int tb_rec_catalog_attend_join(tb_rec_catalog *cat, const char *session_id,
                               const char *participant_id, const char *identity, const char *name,
                               const char *role)
{
    const char *t[] = {session_id, participant_id, identity, name, role};
    int64_t now = tb_rec_catalog_now_us();
    return run(cat,
               "INSERT INTO attendance(session_id, participant_id, identity, name, role, "
               "joined_us) VALUES (?, ?, ?, ?, ?, ?)",
               t, 5, &now, 1);
}

int tb_rec_catalog_attend_leave(tb_rec_catalog *cat, const char *session_id,
                                const char *participant_id)
{
    const char *t[] = {session_id, participant_id};
    int64_t now = tb_rec_catalog_now_us();
    return run(cat,
               "UPDATE attendance SET left_us = ?3 WHERE session_id = ?1 AND "
               "participant_id = ?2 AND left_us IS NULL",
               t, 2, &now, 1);
}

int tb_rec_catalog_audit(tb_rec_catalog *cat, const char *session_id, const char *actor_id,
                         const char *actor_name, const char *action, const char *target_id,
                         const char *detail)
{
    const char *t[] = {session_id, actor_id, actor_name, action, target_id, detail};
    int64_t now = tb_rec_catalog_now_us();
    return run(cat,
               "INSERT INTO audit(session_id, actor_id, actor_name, action, target_id, "
               "detail, at_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
               t, 6, &now, 1);
}

int tb_rec_catalog_chat_add(tb_rec_catalog *cat, const char *session_id, const char *sender_id,
                            const char *sender_name, const char *text, int64_t *id_out)
{
    const char *t[] = {session_id, sender_id, sender_name, text};
    int64_t now = tb_rec_catalog_now_us();
    int rc = run(cat,
                 "INSERT INTO chat(session_id, sender_id, sender_name, text, at_us) "
                 "VALUES (?, ?, ?, ?, ?)",
                 t, 4, &now, 1);
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(cat->db);
    return rc;
}

int tb_rec_catalog_chat_delete(tb_rec_catalog *cat, const char *session_id, int64_t message_id,
                               const char *deleted_by)
{
    const char *t[] = {session_id, deleted_by};
    int64_t v[] = {message_id, tb_rec_catalog_now_us()};
    int rc = run(cat,
                 "UPDATE chat SET deleted_by = ?2, deleted_us = ?4 WHERE session_id = ?1 "
                 "AND id = ?3 AND deleted_us IS NULL",
                 t, 2, v, 2);
    if (rc)
        return rc;
    return sqlite3_changes(cat->db) == 1 ? TB_OK : TB_ENOTFOUND;
}
