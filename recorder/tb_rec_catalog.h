/* tb_rec_catalog.h — the catalog: an embedded SQLite database (var/telebridge.db) of
 * meeting sessions, who attended, what moderators did, the chat, and (recorder) the
 * recordings and compositions made of sessions.
 *
 * A "session" is one meeting in a room: it begins when the first participant joins an
 * empty room and ends when the last one leaves (or the daemon stops). Rows are never
 * changed behind a caller's back; the database is opened in WAL mode with a busy timeout
 * so that the daemon and `telebridge-recorder` processes can share it.
 *
 * Threads: a tb_rec_catalog handle is used by one thread at a time (in the daemon: the
 * main thread). Every function returns 0 or a negative TB_E* code; failures are logged,
 * and a failing catalog never stops a call. */
#ifndef TB_REC_CATALOG_H
#define TB_REC_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_rec_catalog tb_rec_catalog;

/* How long a statement waits for another process's write lock (the CLI, a composition)
 * before failing with SQLITE_BUSY. The daemon's signaling thread must not stall for
 * seconds on it: a failed write is logged and the meeting goes on. WAL mode means
 * readers never wait. */
#define TB_REC_CATALOG_BUSY_MS 250

/* Opens (creating, migrating) the catalog at `path`. NULL with err filled on failure. */
tb_rec_catalog *tb_rec_catalog_open(const char *path, char *err, size_t errlen);
void tb_rec_catalog_close(tb_rec_catalog *cat);
/* The raw SQLite handle (transfer none), for modules that add their own tables through
 * tb_rec_catalog_migrate. */
struct sqlite3 *tb_rec_catalog_db(tb_rec_catalog *cat);

/* Runs `sql` once per database, under a name (e.g. "recordings-v1"): migrations are
 * recorded in a table and skipped when already applied. */
int tb_rec_catalog_migrate(tb_rec_catalog *cat, const char *name, const char *sql);

/* Wall-clock microseconds since the epoch, the catalog's time unit. */
int64_t tb_rec_catalog_now_us(void);

/* ---- sessions ---- */

/* A new session of `room`; its id ("s" + 16 hex digits) written to id_out (>= 32 bytes). */
int tb_rec_catalog_session_begin(tb_rec_catalog *cat, const char *room, char *id_out, size_t cap);
int tb_rec_catalog_session_end(tb_rec_catalog *cat, const char *session_id);
/* Marks every session without an end as ended by a daemon stop (state 'interrupted');
 * called at start-up. Returns the number marked, or a negative code. */
int tb_rec_catalog_sessions_close_stale(tb_rec_catalog *cat);

/* ---- holds: bans and locks that outlive a session (catalog_holds.c) ---- */

/* until_us of a hold while its room is open. */
#define TB_REC_HOLD_OPEN INT64_MAX

/* Sets hold `kind` ("ban", "lock") with `key` on `room`, open-ended while the room is. */
int tb_rec_catalog_hold_set(tb_rec_catalog *cat, const char *room, const char *kind,
                            const char *key, const char *session_id);
int tb_rec_catalog_hold_clear(tb_rec_catalog *cat, const char *room, const char *kind,
                              const char *key);
typedef void (*tb_rec_hold_fn)(void *user, const char *kind, const char *key);
/* Calls fn for every hold of `room` that has not lapsed at now_us. */
int tb_rec_catalog_holds_load(tb_rec_catalog *cat, const char *room, int64_t now_us,
                              tb_rec_hold_fn fn, void *user);
/* The room closed (room NULL: the daemon starts, for every room): open holds lapse at
 * until_us; lapsed ones are deleted. */
int tb_rec_catalog_holds_release(tb_rec_catalog *cat, const char *room, int64_t until_us);

/* ---- attendance ---- */

int tb_rec_catalog_attend_join(tb_rec_catalog *cat, const char *session_id,
                               const char *participant_id, const char *identity, const char *name,
                               const char *role);
int tb_rec_catalog_attend_leave(tb_rec_catalog *cat, const char *session_id,
                                const char *participant_id);

/* ---- audit log of moderator actions ---- */

int tb_rec_catalog_audit(tb_rec_catalog *cat, const char *session_id, const char *actor_id,
                         const char *actor_name, const char *action, const char *target_id,
                         const char *detail);

/* ---- chat ---- */

/* Stores a message; its id written to *id_out. */
int tb_rec_catalog_chat_add(tb_rec_catalog *cat, const char *session_id, const char *sender_id,
                            const char *sender_name, const char *text, int64_t *id_out);
/* Marks a message deleted (kept for the record with who deleted it). */
int tb_rec_catalog_chat_delete(tb_rec_catalog *cat, const char *session_id, int64_t message_id,
                               const char *deleted_by);

/* ---- speaking log and exports (catalog_export.c) ---- */

/* Opens a row of the speaking log: `kind` is "hand" (a raised hand), "floor" (the floor
 * given by `granted_by` for `seconds`, 0 = no limit) or "voice" (the relay's active
 * speaker). Its id is written to *id_out. */
int tb_rec_catalog_speaking_begin(tb_rec_catalog *cat, const char *session_id,
                                  const char *participant_id, const char *name, const char *kind,
                                  const char *granted_by, int seconds, int64_t *id_out);
/* Closes row `id` now, saying why ("expired", "taken", "left", …). */
int tb_rec_catalog_speaking_end(tb_rec_catalog *cat, int64_t id, const char *reason);

/* One row of a query: column names and values as text (a value may be NULL). Both
 * arrays are valid during the call only. */
typedef void (*tb_rec_catalog_row_fn)(void *user, int ncols, const char *const *names,
                                      const char *const *values);
/* Runs a fixed query, calling fn once per row, in time order:
 *   "register"  attendance of session `arg` (who, role, joined, left)
 *   "speaking"  its speaking log
 *   "audit"     its audit log
 *   "chat"      its chat, deleted messages included
 *   "sessions"  the 500 latest sessions, of room `arg` (NULL: of every room)
 * Columns ending in "_us" are wall-clock microseconds. TB_EINVAL for an unknown query. */
int tb_rec_catalog_query(tb_rec_catalog *cat, const char *what, const char *arg,
                         tb_rec_catalog_row_fn fn, void *user);
/* The latest session of `room` (its id into id_out, >= 32 bytes); TB_ENOTFOUND if none. */
int tb_rec_catalog_session_latest(tb_rec_catalog *cat, const char *room, char *id_out, size_t cap);
/* The room of session `session_id` (into room_out); TB_ENOTFOUND if no such session. */
int tb_rec_catalog_session_room(tb_rec_catalog *cat, const char *session_id, char *room_out,
                                size_t cap);

#endif
