/* catalog_recordings.c — recordings, their tracks and compositions in the catalog
 * (tb_rec_recordings.h). Prepared statements with bound parameters only. */
#define TB_LOG_CAT "rec/catalog"
#include "recorder/tb_rec_recordings.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *schema =
    "CREATE TABLE recordings ("
    "  session_id TEXT PRIMARY KEY, room TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,"
    "  started_us INTEGER NOT NULL, ended_us INTEGER, duration_us INTEGER NOT NULL DEFAULT 0,"
    "  participants INTEGER NOT NULL DEFAULT 0, tracks INTEGER NOT NULL DEFAULT 0,"
    "  title TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',"
    "  published INTEGER NOT NULL DEFAULT 0, published_us INTEGER,"
    "  interruptions INTEGER NOT NULL DEFAULT 0, updated_us INTEGER NOT NULL);"
    "CREATE INDEX recordings_started ON recordings(started_us);"
    "CREATE TABLE recording_tracks ("
    "  session_id TEXT NOT NULL, segment INTEGER NOT NULL, track_id TEXT NOT NULL,"
    "  file TEXT NOT NULL, participant_id TEXT, identity TEXT, name TEXT, kind TEXT,"
    "  label TEXT, codec TEXT, state TEXT, start_us INTEGER, end_us INTEGER,"
    "  PRIMARY KEY (session_id, segment, track_id, file));"
    "CREATE TABLE compositions ("
    "  id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, file TEXT NOT NULL,"
    "  state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, layout TEXT,"
    "  width INTEGER, height INTEGER, duration_us INTEGER, size_bytes INTEGER,"
    "  created_us INTEGER NOT NULL, finished_us INTEGER, error TEXT);"
    "CREATE INDEX compositions_session ON compositions(session_id, id);";

/* resumable: the recording was ended by the server going away (a stop or a crash) and
 * not by anyone's choice; the room's next recording may continue it (the daemon's
 * [recording] resume_window_s). */
static const char *schema_v2 =
    "ALTER TABLE recordings ADD COLUMN resumable INTEGER NOT NULL DEFAULT 0;";

int tb_rec_recordings_init(tb_rec_catalog *cat)
{
    int rc = tb_rec_catalog_migrate(cat, "recordings-v1", schema);
    return rc ? rc : tb_rec_catalog_migrate(cat, "recordings-v2", schema_v2);
}

/* ---- statement helpers ---- */

typedef struct arg {
    enum { A_TEXT, A_INT, A_REAL, A_NULL } type;
    const char *s;
    int64_t i;
    double d;
} arg;

#define T(x) ((arg){A_TEXT, (x), 0, 0})
#define I(x) ((arg){A_INT, NULL, (x), 0})
#define R(x) ((arg){A_REAL, NULL, 0, (x)})

static sqlite3_stmt *prepare(tb_rec_catalog *cat, const char *sql, const arg *args, int n)
{
    sqlite3 *db = tb_rec_catalog_db(cat);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        TB_LOG_WARN("%s: %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    for (int k = 0; k < n; k++) {
        if (args[k].type == A_TEXT && args[k].s)
            sqlite3_bind_text(st, k + 1, args[k].s, -1, SQLITE_TRANSIENT);
        else if (args[k].type == A_INT)
            sqlite3_bind_int64(st, k + 1, args[k].i);
        else if (args[k].type == A_REAL)
            sqlite3_bind_double(st, k + 1, args[k].d);
        else
            sqlite3_bind_null(st, k + 1);
    }
    return st;
}

static int exec(tb_rec_catalog *cat, const char *sql, const arg *args, int n)
{
    sqlite3_stmt *st = prepare(cat, sql, args, n);
    if (!st)
        return TB_EIO;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        TB_LOG_WARN("%s: %s", sql, sqlite3_errmsg(tb_rec_catalog_db(cat)));
        return TB_EIO;
    }
    return TB_OK;
}

static int changed(tb_rec_catalog *cat, int rc)
{
    return rc ? rc : sqlite3_changes(tb_rec_catalog_db(cat)) > 0 ? TB_OK : TB_ENOTFOUND;
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? g_strdup((const char *)s) : NULL;
}

/* ---- recordings ---- */

int tb_rec_recording_begin(tb_rec_catalog *cat, const char *session_id, const char *room)
{
    int64_t now = tb_rec_catalog_now_us();
    arg a[] = {T(session_id), T(room), I(now)};
    /* Going on after a clean stop of the server: the old reason no longer says anything.
     * After interruptions it is kept: it tells what the interruptions were. */
    return exec(cat,
                "INSERT INTO recordings(session_id, room, state, started_us, updated_us) "
                "VALUES (?1, ?2, 'recording', ?3, ?3) ON CONFLICT(session_id) DO UPDATE SET "
                "state = 'recording', ended_us = NULL, resumable = 0, updated_us = ?3,"
                " reason = CASE WHEN interruptions > 0 THEN reason ELSE NULL END",
                a, 3);
}

int tb_rec_recording_set_state(tb_rec_catalog *cat, const char *session_id, const char *state,
                               const char *reason)
{
    int64_t now = tb_rec_catalog_now_us();
    bool live = !strcmp(state, "recording");
    /* Interruptions are counted: a recording that had one ends "interrupted", not
     * "stopped", even when it went on after a restart. */
    arg a[] = {T(session_id), T(state), reason ? T(reason) : (arg){A_NULL, NULL, 0, 0}, I(now),
               I(live ? 0 : 1)};
    return changed(cat, exec(cat,
                             "UPDATE recordings SET"
                             " state = CASE WHEN ?2 = 'stopped' AND interruptions > 0"
                             " THEN 'interrupted' ELSE ?2 END,"
                             " interruptions = interruptions + (?2 = 'interrupted'),"
                             " reason = COALESCE(?3, reason),"
                             " ended_us = CASE WHEN ?5 THEN ?4 ELSE NULL END, updated_us = ?4 "
                             "WHERE session_id = ?1",
                             a, 5));
}

int tb_rec_recording_set_resumable(tb_rec_catalog *cat, const char *session_id)
{
    arg a[] = {T(session_id)};
    return changed(cat, exec(cat,
                             "UPDATE recordings SET resumable = 1 WHERE session_id = ?1"
                             " AND state != 'recording'",
                             a, 1));
}

int tb_rec_recording_sync(tb_rec_catalog *cat, const tb_rec_manifest *m)
{
    sqlite3 *db = tb_rec_catalog_db(cat);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return TB_EIO;
    arg del[] = {T(m->session)};
    int rc = exec(cat, "DELETE FROM recording_tracks WHERE session_id = ?1", del, 1);
    int64_t duration = 0;
    int n_tracks = 0;
    for (guint i = 0; !rc && i < m->tracks->len; i++) {
        const tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        arg a[] = {T(m->session),
                   I(t->segment),
                   T(t->id),
                   T(t->file),
                   T(t->participant_id),
                   T(t->identity),
                   T(t->name),
                   T(t->kind),
                   T(t->label),
                   T(t->codec),
                   T(tb_rec_track_state_name(t->state)),
                   I(t->start_us),
                   I(t->end_us)};
        rc = exec(cat,
                  "INSERT OR REPLACE INTO recording_tracks(session_id, segment, track_id, file,"
                  " participant_id, identity, name, kind, label, codec, state, start_us, end_us)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                  a, 13);
        if (t->state != TB_REC_TRACK_EMPTY)
            n_tracks++;
    }
    for (guint s = 0; s < m->segments->len; s++) {
        const tb_rec_segment *seg = g_ptr_array_index(m->segments, s);
        int64_t lo = INT64_MAX, hi = 0;
        for (guint i = 0; i < m->tracks->len; i++) {
            const tb_rec_track *t = g_ptr_array_index(m->tracks, i);
            if (t->segment != seg->index || !t->start_us)
                continue;
            lo = MIN(lo, t->start_us);
            hi = MAX(hi, t->end_us ? t->end_us : t->start_us);
        }
        if (hi > lo)
            duration += hi - lo;
    }
    if (!rc) {
        arg a[] = {T(m->session), I(duration), I((int64_t)m->participants->len), I(n_tracks),
                   I(tb_rec_catalog_now_us())};
        rc = exec(cat,
                  "UPDATE recordings SET duration_us = MAX(duration_us, ?2), participants = ?3,"
                  " tracks = ?4, updated_us = ?5 WHERE session_id = ?1",
                  a, 5);
    }
    sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    return rc;
}

int tb_rec_recordings_mark_stale(tb_rec_catalog *cat)
{
    arg a[] = {I(tb_rec_catalog_now_us())};
    int rc = exec(cat,
                  "UPDATE recordings SET state = 'interrupted', reason = 'daemon_stopped',"
                  " interruptions = interruptions + 1, ended_us = ?1, updated_us = ?1,"
                  " resumable = 1 WHERE state = 'recording'",
                  a, 1);
    return rc ? rc : sqlite3_changes(tb_rec_catalog_db(cat));
}

#define RECORDING_COLUMNS                                                                          \
    "r.session_id, r.room, r.state, r.reason, r.started_us, r.ended_us, r.duration_us,"            \
    " r.participants, r.tracks, r.title, r.description, r.published, r.published_us,"              \
    " c.id, c.state, c.progress, c.file, c.duration_us, c.size_bytes, c.error,"                    \
    " r.interruptions, r.resumable "                                                               \
    "FROM recordings r LEFT JOIN compositions c ON c.id = (SELECT MAX(id) FROM compositions "      \
    "WHERE session_id = r.session_id) "

static tb_rec_recording *row(sqlite3_stmt *st)
{
    tb_rec_recording *r = g_new0(tb_rec_recording, 1);
    r->session_id = col_text(st, 0);
    r->room = col_text(st, 1);
    r->state = col_text(st, 2);
    r->reason = col_text(st, 3);
    r->started_us = sqlite3_column_int64(st, 4);
    r->ended_us = sqlite3_column_int64(st, 5);
    r->duration_us = sqlite3_column_int64(st, 6);
    r->participants = sqlite3_column_int(st, 7);
    r->tracks = sqlite3_column_int(st, 8);
    r->title = col_text(st, 9);
    r->description = col_text(st, 10);
    r->published = sqlite3_column_int(st, 11) != 0;
    r->published_us = sqlite3_column_int64(st, 12);
    r->comp_id = sqlite3_column_int64(st, 13);
    r->comp_state = col_text(st, 14);
    r->comp_progress = sqlite3_column_double(st, 15);
    r->comp_file = col_text(st, 16);
    r->comp_duration_us = sqlite3_column_int64(st, 17);
    r->comp_size = sqlite3_column_int64(st, 18);
    r->comp_error = col_text(st, 19);
    r->interruptions = sqlite3_column_int(st, 20);
    r->resumable = sqlite3_column_int(st, 21) != 0;
    return r;
}

void tb_rec_recording_free(tb_rec_recording *r)
{
    if (!r)
        return;
    g_free(r->session_id);
    g_free(r->room);
    g_free(r->state);
    g_free(r->reason);
    g_free(r->title);
    g_free(r->description);
    g_free(r->comp_state);
    g_free(r->comp_file);
    g_free(r->comp_error);
    g_free(r);
}

tb_rec_recording *tb_rec_recording_get(tb_rec_catalog *cat, const char *session_id)
{
    arg a[] = {T(session_id)};
    sqlite3_stmt *st = prepare(cat, "SELECT " RECORDING_COLUMNS "WHERE r.session_id = ?1", a, 1);
    if (!st)
        return NULL;
    tb_rec_recording *r = sqlite3_step(st) == SQLITE_ROW ? row(st) : NULL;
    sqlite3_finalize(st);
    return r;
}

tb_rec_recording *tb_rec_recording_latest(tb_rec_catalog *cat, const char *room)
{
    arg a[] = {T(room)};
    sqlite3_stmt *st = prepare(cat,
                               "SELECT " RECORDING_COLUMNS
                               "WHERE r.room = ?1 ORDER BY r.started_us DESC, r.rowid DESC LIMIT 1",
                               a, 1);
    if (!st)
        return NULL;
    tb_rec_recording *r = sqlite3_step(st) == SQLITE_ROW ? row(st) : NULL;
    sqlite3_finalize(st);
    return r;
}

GPtrArray *tb_rec_recordings_list(tb_rec_catalog *cat, bool published_only, int limit, int offset)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)tb_rec_recording_free);
    arg a[] = {I(published_only ? 1 : 0), I(limit > 0 ? limit : -1), I(MAX(offset, 0))};
    sqlite3_stmt *st = prepare(cat,
                               "SELECT " RECORDING_COLUMNS
                               "WHERE (?1 = 0 OR (r.published = 1 AND c.state = 'done'))"
                               " ORDER BY COALESCE(r.published_us, r.started_us) DESC"
                               " LIMIT ?2 OFFSET ?3",
                               a, 3);
    if (!st)
        return out;
    while (sqlite3_step(st) == SQLITE_ROW)
        g_ptr_array_add(out, row(st));
    sqlite3_finalize(st);
    return out;
}

GPtrArray *tb_rec_recordings_uncomposed(tb_rec_catalog *cat)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    sqlite3_stmt *st = prepare(cat,
                               "SELECT session_id FROM recordings r WHERE state != 'recording'"
                               " AND tracks > 0 AND NOT EXISTS (SELECT 1 FROM compositions c"
                               " WHERE c.session_id = r.session_id) ORDER BY started_us",
                               NULL, 0);
    if (!st)
        return out;
    while (sqlite3_step(st) == SQLITE_ROW)
        g_ptr_array_add(out, col_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

int tb_rec_recording_set_meta(tb_rec_catalog *cat, const char *session_id, const char *title,
                              const char *description)
{
    arg a[] = {T(session_id), T(title ? title : ""), T(description ? description : ""),
               I(tb_rec_catalog_now_us())};
    return changed(cat, exec(cat,
                             "UPDATE recordings SET title = ?2, description = ?3, updated_us = ?4"
                             " WHERE session_id = ?1",
                             a, 4));
}

int tb_rec_recording_publish(tb_rec_catalog *cat, const char *session_id, bool published)
{
    tb_rec_recording *r = tb_rec_recording_get(cat, session_id);
    if (!r)
        return TB_ENOTFOUND;
    bool ready = r->comp_state && !strcmp(r->comp_state, "done");
    tb_rec_recording_free(r);
    if (published && !ready)
        return TB_ESTATE;
    int64_t now = tb_rec_catalog_now_us();
    arg a[] = {T(session_id), I(published ? 1 : 0), I(now)};
    return changed(cat, exec(cat,
                             "UPDATE recordings SET published = ?2, published_us = CASE WHEN ?2"
                             " THEN ?3 ELSE NULL END, updated_us = ?3 WHERE session_id = ?1",
                             a, 3));
}

int tb_rec_recording_delete(tb_rec_catalog *cat, const char *session_id)
{
    arg a[] = {T(session_id)};
    int rc = exec(cat, "DELETE FROM recording_tracks WHERE session_id = ?1", a, 1);
    if (!rc)
        rc = exec(cat, "DELETE FROM compositions WHERE session_id = ?1", a, 1);
    if (!rc)
        rc = changed(cat, exec(cat, "DELETE FROM recordings WHERE session_id = ?1", a, 1));
    return rc;
}

/* ---- compositions ---- */

int tb_rec_composition_begin(tb_rec_catalog *cat, const char *session_id, const char *file,
                             const char *layout, int width, int height, int64_t *id_out)
{
    arg a[] = {T(session_id), T(file), T(layout), I(width), I(height), I(tb_rec_catalog_now_us())};
    int rc = exec(cat,
                  "INSERT INTO compositions(session_id, file, state, layout, width, height,"
                  " created_us) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6)",
                  a, 6);
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(tb_rec_catalog_db(cat));
    return rc;
}

int tb_rec_composition_progress(tb_rec_catalog *cat, int64_t id, double progress)
{
    arg a[] = {I(id), R(CLAMP(progress, 0.0, 1.0))};
    return exec(cat, "UPDATE compositions SET progress = ?2 WHERE id = ?1", a, 2);
}

int tb_rec_composition_end(tb_rec_catalog *cat, int64_t id, bool ok, int64_t duration_us,
                           int64_t size, const char *error)
{
    arg a[] = {I(id),
               T(ok ? "done" : "failed"),
               I(duration_us),
               I(size),
               error ? T(error) : (arg){A_NULL, NULL, 0, 0},
               I(tb_rec_catalog_now_us())};
    return exec(cat,
                "UPDATE compositions SET state = ?2, progress = CASE WHEN ?2 = 'done' THEN 1"
                " ELSE progress END, duration_us = ?3, size_bytes = ?4, error = ?5,"
                " finished_us = ?6 WHERE id = ?1",
                a, 6);
}

int tb_rec_compositions_mark_stale(tb_rec_catalog *cat)
{
    arg a[] = {I(tb_rec_catalog_now_us())};
    int rc = exec(cat,
                  "UPDATE compositions SET state = 'failed', error = 'interrupted',"
                  " finished_us = ?1 WHERE state IN ('running', 'queued')",
                  a, 1);
    return rc ? rc : sqlite3_changes(tb_rec_catalog_db(cat));
}
