/* catalog_holds.c — what moderators impose on a room that must outlive a moment when
 * everyone is gone, and a restart of the daemon: bans (by identity, by display name and
 * by browser key) and the lock.
 *
 * A hold belongs to a room, not to one session: while the room is open it holds
 * (until_us = TB_REC_HOLD_OPEN); when the room closes, or the daemon finds holds left
 * open by a stop, they are given an end (the moment plus the configured keep time) and
 * lapse then. Fixed SQL with bound parameters; built on the catalog's public API like
 * catalog_export.c. */
#define TB_LOG_CAT "rec/catalog"
#include "recorder/tb_rec_catalog.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <glib.h>
#include <sqlite3.h>

static const char *holds_v1 =
    "CREATE TABLE holds ("
    "  room TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, session_id TEXT,"
    "  until_us INTEGER NOT NULL, PRIMARY KEY (room, kind, key));";

static int ensure(tb_rec_catalog *cat)
{
    return tb_rec_catalog_migrate(cat, "holds-v1", holds_v1);
}

static sqlite3_stmt *prepare(tb_rec_catalog *cat, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (ensure(cat) ||
        sqlite3_prepare_v2(tb_rec_catalog_db(cat), sql, -1, &st, NULL) != SQLITE_OK) {
        TB_LOG_WARN("holds: %s", sqlite3_errmsg(tb_rec_catalog_db(cat)));
        return NULL;
    }
    return st;
}

static int run(tb_rec_catalog *cat, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        TB_LOG_WARN("holds: %s", sqlite3_errmsg(tb_rec_catalog_db(cat)));
        return TB_EIO;
    }
    return TB_OK;
}

int tb_rec_catalog_hold_set(tb_rec_catalog *cat, const char *room, const char *kind,
                            const char *key, const char *session_id)
{
    sqlite3_stmt *st = prepare(cat, "INSERT OR REPLACE INTO holds(room, kind, key, session_id, "
                                    "until_us) VALUES (?, ?, ?, ?, ?)");
    if (!st)
        return TB_EIO;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, session_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, TB_REC_HOLD_OPEN);
    return run(cat, st);
}

int tb_rec_catalog_hold_clear(tb_rec_catalog *cat, const char *room, const char *kind,
                              const char *key)
{
    sqlite3_stmt *st = prepare(cat, "DELETE FROM holds WHERE room = ? AND kind = ? AND key = ?");
    if (!st)
        return TB_EIO;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    return run(cat, st);
}

int tb_rec_catalog_holds_load(tb_rec_catalog *cat, const char *room, int64_t now_us,
                              tb_rec_hold_fn fn, void *user)
{
    sqlite3_stmt *st =
        prepare(cat, "SELECT kind, key FROM holds WHERE room = ? AND until_us > ? ORDER BY kind");
    if (!st)
        return TB_EIO;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_us);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(user, (const char *)sqlite3_column_text(st, 0),
           (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TB_OK : TB_EIO;
}

int tb_rec_catalog_holds_release(tb_rec_catalog *cat, const char *room, int64_t until_us)
{
    /* The lapsed ones go, the open ones get their end; room NULL: every room (start). */
    sqlite3_stmt *del = prepare(cat, "DELETE FROM holds WHERE until_us <= ?");
    if (!del)
        return TB_EIO;
    sqlite3_bind_int64(del, 1, tb_rec_catalog_now_us());
    int rc = run(cat, del);
    sqlite3_stmt *st = prepare(cat, room ? "UPDATE holds SET until_us = ? WHERE until_us = ? AND "
                                           "room = ?"
                                         : "UPDATE holds SET until_us = ? WHERE until_us = ?");
    if (!st)
        return TB_EIO;
    sqlite3_bind_int64(st, 1, until_us);
    sqlite3_bind_int64(st, 2, TB_REC_HOLD_OPEN);
    if (room)
        sqlite3_bind_text(st, 3, room, -1, SQLITE_TRANSIENT);
    return run(cat, st) ? TB_EIO : rc;
}
