/* catalog_export.c — the speaking log (hands, floors, who spoke when) and the read
 * queries that export a session's record: register, speaking log, audit log, chat.
 *
 * Built beside catalog.c on its public API only (tb_rec_catalog_db, _migrate), with
 * its own migration, so the two files evolve independently. Fixed SQL with bound
 * parameters: no query text is built from input. */
#define TB_LOG_CAT "rec/catalog"
#include "recorder/tb_rec_catalog.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *speaking_v1 =
    "CREATE TABLE speaking ("
    "  id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
    "  name TEXT, kind TEXT NOT NULL, granted_by TEXT, seconds INTEGER,"
    "  started_us INTEGER NOT NULL, ended_us INTEGER, end_reason TEXT);"
    "CREATE INDEX speaking_session ON speaking(session_id, started_us);";

static int ensure_speaking(tb_rec_catalog *cat)
{
    return tb_rec_catalog_migrate(cat, "speaking-v1", speaking_v1);
}

static int failed(tb_rec_catalog *cat, const char *what)
{
    TB_LOG_WARN("%s: %s", what, sqlite3_errmsg(tb_rec_catalog_db(cat)));
    return TB_EIO;
}

int tb_rec_catalog_speaking_begin(tb_rec_catalog *cat, const char *session_id,
                                  const char *participant_id, const char *name, const char *kind,
                                  const char *granted_by, int seconds, int64_t *id_out)
{
    *id_out = 0;
    if (ensure_speaking(cat))
        return TB_EIO;
    sqlite3 *db = tb_rec_catalog_db(cat);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO speaking(session_id, participant_id, name, kind, "
                           "granted_by, seconds, started_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return failed(cat, "speaking");
    sqlite3_bind_text(st, 1, session_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, participant_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, granted_by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, seconds);
    sqlite3_bind_int64(st, 7, tb_rec_catalog_now_us());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return failed(cat, "speaking");
    *id_out = sqlite3_last_insert_rowid(db);
    return TB_OK;
}

int tb_rec_catalog_speaking_end(tb_rec_catalog *cat, int64_t id, const char *reason)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(tb_rec_catalog_db(cat),
                           "UPDATE speaking SET ended_us = ?, end_reason = ? WHERE id = ? AND "
                           "ended_us IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return failed(cat, "speaking");
    sqlite3_bind_int64(st, 1, tb_rec_catalog_now_us());
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TB_OK : failed(cat, "speaking");
}

typedef struct query_def {
    const char *what;
    const char *sql;
} query_def;

static const query_def queries[] = {
    {"register", "SELECT participant_id, identity, name, role, joined_us, left_us FROM attendance "
                 "WHERE session_id = ?1 ORDER BY joined_us, rowid"},
    {"speaking", "SELECT kind, participant_id, name, started_us, ended_us, seconds, granted_by, "
                 "end_reason FROM speaking WHERE session_id = ?1 ORDER BY started_us, id"},
    {"audit", "SELECT at_us, actor_id, actor_name, action, target_id, detail FROM audit "
              "WHERE session_id = ?1 ORDER BY at_us, id"},
    {"chat", "SELECT id, at_us, sender_id, sender_name, text, deleted_us, deleted_by FROM chat "
             "WHERE session_id = ?1 ORDER BY at_us, id"},
    {"sessions", "SELECT id, room, started_us, ended_us, state FROM sessions "
                 "WHERE ?1 IS NULL OR room = ?1 ORDER BY started_us DESC LIMIT 500"},
};

int tb_rec_catalog_query(tb_rec_catalog *cat, const char *what, const char *arg,
                         tb_rec_catalog_row_fn fn, void *user)
{
    const query_def *q = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(queries) && !q; i++)
        if (!strcmp(queries[i].what, what))
            q = &queries[i];
    if (!q)
        return TB_EINVAL;
    if (!strcmp(what, "speaking") && ensure_speaking(cat))
        return TB_EIO;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(tb_rec_catalog_db(cat), q->sql, -1, &st, NULL) != SQLITE_OK)
        return failed(cat, what);
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int n = sqlite3_column_count(st);
    const char **names = g_new0(const char *, (gsize)n);
    const char **values = g_new0(const char *, (gsize)n);
    for (int i = 0; i < n; i++)
        names[i] = sqlite3_column_name(st, i);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            values[i] = (const char *)sqlite3_column_text(st, i);
        fn(user, n, names, values);
    }
    g_free(names);
    g_free(values);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TB_OK : failed(cat, what);
}

/* The first column of the first row of `sql` with `arg` bound, into out. */
static int lookup(tb_rec_catalog *cat, const char *sql, const char *arg, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(tb_rec_catalog_db(cat), sql, -1, &st, NULL) != SQLITE_OK)
        return failed(cat, "session");
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        g_strlcpy(out, (const char *)sqlite3_column_text(st, 0), cap);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? TB_OK : rc == SQLITE_DONE ? TB_ENOTFOUND : failed(cat, "session");
}

int tb_rec_catalog_session_latest(tb_rec_catalog *cat, const char *room, char *id_out, size_t cap)
{
    return lookup(cat, "SELECT id FROM sessions WHERE room = ? ORDER BY started_us DESC LIMIT 1",
                  room, id_out, cap);
}

int tb_rec_catalog_session_room(tb_rec_catalog *cat, const char *session_id, char *room_out,
                                size_t cap)
{
    return lookup(cat, "SELECT room FROM sessions WHERE id = ?", session_id, room_out, cap);
}
