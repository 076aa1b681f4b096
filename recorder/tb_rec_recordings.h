/* tb_rec_recordings.h — the catalog's record of recordings and their publication: the
 * tables `recordings` (one row per recorded session), `recording_tracks` and
 * `compositions`, added to the catalog (tb_rec_catalog.h) by the migration
 * "recordings-v1".
 *
 * Who writes what: the daemon opens and closes recordings (state, reason) and copies
 * the manifest's tracks in; `telebridge-recorder compose` writes its composition's row,
 * progress included; staff (the /studio page, `telebridge recordings`) set title and
 * description, publish, unpublish and delete. The catalog is shared through SQLite's WAL
 * with a busy timeout, so the daemon and recorder processes can write at once.
 *
 * Threads and errors as in tb_rec_catalog.h: one thread per handle; 0 or a negative
 * TB_E* code, TB_ENOTFOUND for an unknown session. */
#ifndef TB_REC_RECORDINGS_H
#define TB_REC_RECORDINGS_H

#include "recorder/tb_rec.h"
#include "recorder/tb_rec_catalog.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct tb_rec_recording {
    char *session_id;
    char *room;
    char *state;  /* "recording", "stopped", "interrupted", "failed" */
    char *reason; /* why it failed or was interrupted; NULL otherwise */
    int64_t started_us;
    int64_t ended_us;    /* 0 while recording */
    int64_t duration_us; /* media recorded, all segments */
    int participants;
    int tracks;
    char *title; /* "" when not set */
    char *description;
    bool published;
    int64_t published_us;
    int interruptions; /* recorder crashes and daemon stops while recording */
    bool resumable;    /* ended by the server going away, not by anyone's choice: the
                          room's next recording may continue it */
    /* The latest composition, if any. */
    int64_t comp_id;      /* 0 = none */
    char *comp_state;     /* "queued", "running", "done", "failed" */
    double comp_progress; /* 0..1 */
    char *comp_file;      /* file name in the session folder */
    int64_t comp_duration_us;
    int64_t comp_size;
    char *comp_error;
} tb_rec_recording;

void tb_rec_recording_free(tb_rec_recording *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tb_rec_recording, tb_rec_recording_free)

/* Creates the tables (idempotent: named migrations, "recordings-v1" and "-v2"). */
int tb_rec_recordings_init(tb_rec_catalog *cat);

/* A recording of `session_id` starts (or starts again: state back to "recording", no
 * longer resumable). */
int tb_rec_recording_begin(tb_rec_catalog *cat, const char *session_id, const char *room);
/* Sets state and reason (NULL = none); "recording" clears ended_us, others set it. */
int tb_rec_recording_set_state(tb_rec_catalog *cat, const char *session_id, const char *state,
                               const char *reason);
/* Copies the manifest's tracks, participant count and recorded duration in. */
int tb_rec_recording_sync(tb_rec_catalog *cat, const tb_rec_manifest *m);
/* The recording (ended) was ended by a stop of the server: resumable. */
int tb_rec_recording_set_resumable(tb_rec_catalog *cat, const char *session_id);
/* After a daemon crash: every "recording" row becomes "interrupted" (and resumable).
 * Returns how many. */
int tb_rec_recordings_mark_stale(tb_rec_catalog *cat);

/* Transfer full; NULL when unknown. */
tb_rec_recording *tb_rec_recording_get(tb_rec_catalog *cat, const char *session_id);
/* The room's most recently started recording (transfer full); NULL when none. */
tb_rec_recording *tb_rec_recording_latest(tb_rec_catalog *cat, const char *room);
/* Newest first; published_only for the public archive. Transfer full. */
GPtrArray *tb_rec_recordings_list(tb_rec_catalog *cat, bool published_only, int limit, int offset);
/* Session ids whose recording ended but has no composition (to compose after a restart). */
GPtrArray *tb_rec_recordings_uncomposed(tb_rec_catalog *cat);

int tb_rec_recording_set_meta(tb_rec_catalog *cat, const char *session_id, const char *title,
                              const char *description);
/* Publishing needs a finished composition: TB_ESTATE otherwise. */
int tb_rec_recording_publish(tb_rec_catalog *cat, const char *session_id, bool published);
/* Removes the rows (the caller removes the files). */
int tb_rec_recording_delete(tb_rec_catalog *cat, const char *session_id);

/* ---- compositions ---- */

int tb_rec_composition_begin(tb_rec_catalog *cat, const char *session_id, const char *file,
                             const char *layout, int width, int height, int64_t *id_out);
int tb_rec_composition_progress(tb_rec_catalog *cat, int64_t id, double progress);
/* ok: duration and size of the file; !ok: error says why. */
int tb_rec_composition_end(tb_rec_catalog *cat, int64_t id, bool ok, int64_t duration_us,
                           int64_t size, const char *error);
/* Compositions left "running" or "queued" by a process that died become "failed". */
int tb_rec_compositions_mark_stale(tb_rec_catalog *cat);

#endif
