/* recording.h — recording on the daemon's side (recording/): the recording_start and
 * recording_stop requests, the recording indicator, automatic recording, supervision
 * of one `telebridge-recorder record` process per recorded session (recording.c); the
 * compositions run when a recorded session ends, and deleting recordings
 * (compositions.c); and recordings over HTTP — the staff page's API, the public
 * archive and the files with byte ranges (http_media.c).
 *
 * Ownership and threads: main thread only, like all of signaling/. The server owns the
 * one tb_sig_recorder; the recorder owns its child processes and the per-room recording
 * state it hangs on tb_sig_room.recording. It follows rooms through the hub's observer
 * hooks and adds its request types to the hub (room.h, requests.h): room/ never calls
 * in here. Includes room/ and recorder/'s catalog; nothing above. */
#ifndef TB_SIG_RECORDING_H
#define TB_SIG_RECORDING_H

#include "signaling/room/requests.h"
#include "signaling/staff_http.h"

#include <libwebsockets.h>

typedef struct tb_sig_recorder tb_sig_recorder;   /* per server */
typedef struct tb_sig_recording tb_sig_recording; /* per recorded room */

/* Server start: the catalog's recording tables; recordings a crash left open are
 * marked interrupted; sessions that ended without a composition are queued for one. The
 * recorder observes `hub`'s rooms and handles recording_start/recording_stop. `hub`
 * must outlive it (transfer none); transfer full. */
tb_sig_recorder *tb_sig_recorder_create(tb_sig_hub *hub);
/* Server stop, first part: every recording stops (reason "shutdown"; recording_start
 * is refused from now on, no composition begins) and the default main context is run
 * (nested, if called from a GLib source — not from an lws callback) until every
 * recorder has closed its files and exited, or until `deadline_us` (monotonic clock,
 * g_get_monotonic_time()) has passed. A recording that finished in time is "stopped" in
 * the catalog, its files closed with their durations, its manifest final, and resumable:
 * the room recorded again within [recording] resume_window_s continues it. Call it while
 * the rooms are still open (before tb_sig_hub_close_rooms): a recording its room's close
 * stopped earlier ends "stopped" but is not resumable. Idempotent. */
void tb_sig_recorder_shutdown(tb_sig_recorder *r, int64_t deadline_us);
/* Server stop: runs tb_sig_recorder_shutdown with a 5 s deadline if nobody did; then
 * recorders still closing their files are left to finish on their own (their input
 * ends), and a running composition goes on and records its result by itself. Call it
 * after the hub closed its rooms. */
void tb_sig_recorder_destroy(tb_sig_recorder *r);

/* Stops the room's recording, if any, telling everyone why (`reason`: a code such as
 * "consent", or NULL); `by` may be NULL (the server). */
void tb_sig_recording_stop(tb_sig_room *room, tb_sig_participant *by, const char *reason);

/* Queues the composition of a session (again). */
void tb_sig_recorder_compose(tb_sig_recorder *r, const char *session_id);
/* Is the session being recorded, composed, or waiting to be composed? */
bool tb_sig_recorder_busy(tb_sig_recorder *r, const char *session_id);
/* Deletes a session's files and its catalog rows. 0 or a TB_E* code. */
int tb_sig_recorder_delete(tb_sig_recorder *r, const char *session_id);
/* The same on a bare catalog and recordings folder (for the CLI). */
int tb_sig_recording_delete_files(tb_rec_catalog *cat, const char *root, const char *session_id);

/* Where session folders live: the absolute path of [recording] dir (transfer full). */
char *tb_sig_recordings_dir(const tb_config *cfg);
/* The telebridge-recorder program: [recording] recorder, else the one next to the
 * running executable (transfer full). */
char *tb_sig_recorder_path(const tb_config *cfg);
/* The command line of `telebridge-recorder compose` for a session, as the daemon and
 * `telebridge recordings compose` both run it: the config file, `overrides` (may be
 * NULL) and the [recording] settings. NULL-terminated, strings owned by the array
 * (transfer full). */
GPtrArray *tb_sig_compose_argv(const tb_config *cfg, const char *const *overrides,
                               const char *session_id);

/* ---- http_media.c: recordings over HTTP ----
 *
 *   GET  /archive/api/recordings                 published recordings (public)
 *   GET  /archive/media/<session>.mp4            a published composition (public)
 *   GET  /studio/api/recordings[/<session>]      every recording, or one with its manifest
 *   POST /studio/api/recordings/<session>        {"title", "description"}
 *   POST /studio/api/recordings/<session>/publish|unpublish|compose|delete
 *   GET  /studio/media/<session>/<file>          any file of a session folder
 *
 *   POST /studio/api/session                     sign in: {"password"} or {"token"}
 *   GET  /studio/api/session                     the session's CSRF token (signed in)
 *   POST /studio/api/session/end                 sign out
 *
 * Byte ranges (206) so that <video> can seek: Debian's libwebsockets has no range
 * support (docs/platform.md). Every /studio route passes the staff gate first
 * (staff_http.h: the server's Host, a staff session, and for a change its CSRF token
 * and the server's Origin). Anything that is not exactly one of these answers 404,
 * including paths that try to leave the recordings folder. */

/* The protocol's `user`: what it serves from and who may see it. The server owns it. */
typedef struct tb_sig_http_media {
    tb_sig_recorder *recorder;     /* not owned */
    const tb_sig_staff_http *gate; /* not owned */
} tb_sig_http_media;

/* Per-connection state lws allocates for the protocol (checked in http_media.c). */
#define TB_SIG_HTTP_MEDIA_PSS_SIZE 96

/* The lws protocol callback; the protocol's `user` must be a tb_sig_http_media. */
int tb_sig_http_media_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len);
#define TB_SIG_HTTP_MEDIA_PROTOCOL_NAME "tb-media"

/* The mounts routing /studio/api, /studio/media, /archive/api and /archive/media to the
 * protocol above (static: chain them after the server's own mounts). */
const struct lws_http_mount *tb_sig_http_media_mounts(void);

#endif
