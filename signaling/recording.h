/* recording.h — recording on the daemon's side (recording.c): the recording_start and
 * recording_stop requests, the recording indicator, automatic recording, supervision
 * of one `telebridge-recorder record` process per recorded session, and the
 * compositions run when a recorded session ends. Internal to signaling/; main thread
 * only, like the rest of it.
 *
 * The hooks below are called by room.c and session.c at the moments named; each is
 * cheap and does nothing for a room that is not recorded. */
#ifndef TB_SIG_RECORDING_H
#define TB_SIG_RECORDING_H

#include "signaling/internal.h"

typedef struct tb_sig_recorder tb_sig_recorder;   /* per server */
typedef struct tb_sig_recording tb_sig_recording; /* per recorded room */

/* Server start: the catalog's recording tables; recordings a crash left open are
 * marked interrupted; sessions that ended without a composition are queued for one.
 * Server stop: recorders are told to close their files (they finish on their own). */
void tb_sig_recording_server_init(tb_sig_server *srv);
void tb_sig_recording_server_shutdown(tb_sig_server *srv);

/* Requests "recording_start" and "recording_stop" (docs/protocol.md). */
void tb_sig_recording_start_request(tb_sig_request *r);
void tb_sig_recording_stop_request(tb_sig_request *r);

/* Stops the room's recording, if any, telling everyone why (`reason`: a code such as
 * "consent", or NULL); `by` may be NULL (the server). */
void tb_sig_recording_stop(tb_sig_room *room, tb_sig_participant *by, const char *reason);

/* Hooks. */
void tb_sig_recording_participant_joined(tb_sig_participant *p); /* admitted into the room */
void tb_sig_recording_participant_left(tb_sig_participant *p);   /* before its tracks close */
void tb_sig_recording_tracks_changed(tb_sig_participant *p, GPtrArray *added, GPtrArray *removed);
void tb_sig_recording_room_closing(tb_sig_room *room);
/* Consent changed in a consultation: a recording without everyone's consent stops. */
void tb_sig_recording_consent_changed(tb_sig_room *room);

/* {"state": "off"|"starting"|"recording", "since_us", "by", "session_id"} for the
 * room's state (transfer full). */
json_t *tb_sig_recording_state_json(tb_sig_room *room);

/* Queues the composition of a session (again). */
void tb_sig_recording_compose(tb_sig_server *srv, const char *session_id);
/* Is the session being recorded, composed, or waiting to be composed? */
bool tb_sig_recording_busy(tb_sig_server *srv, const char *session_id);
/* Deletes a session's files and its catalog rows. 0 or a TB_E* code. */
int tb_sig_recording_delete(tb_sig_server *srv, const char *session_id);
/* The same on a bare catalog and recordings folder (for the CLI). */
int tb_sig_recording_delete_files(tb_rec_catalog *cat, const char *root, const char *session_id);

/* `telebridge recordings ...` (recordings_cmd.c). argv[0] = "recordings". */
int tb_sig_recordings_main(int argc, char **argv);

/* Where session folders live: the absolute path of [recording] dir (transfer full). */
char *tb_sig_recordings_dir(const tb_config *cfg);
/* The telebridge-recorder program: [recording] recorder, else the one next to the
 * running executable (transfer full). */
char *tb_sig_recorder_path(const tb_config *cfg);

#endif
