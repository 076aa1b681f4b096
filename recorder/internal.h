/* internal.h — shared by the files of the `telebridge-recorder` program (recorder/
 * main.c, record.c, track.c, compose*.c, analyze.c). No other module includes it.
 *
 * Threads: the program runs a GLib main loop on its main thread; GStreamer streaming
 * threads only touch what a struct says they may and report to the main thread by
 * posting to the default main context. Every callback below fires on the main thread. */
#ifndef TB_REC_INTERNAL_H
#define TB_REC_INTERNAL_H

#include "recorder/tb_rec.h"

#include <gst/gst.h>
#include <stdbool.h>

/* ---- track.c: one recorded track = one pipeline udpsrc → jitterbuffer → depay → mux →
 * filesink, with its RTCP socket beside it ---- */

typedef struct rec_track rec_track;

typedef struct rec_track_events {
    /* The first frame was written: rec_track_timing() has the file's time 0. */
    void (*started)(void *user, rec_track *t);
    /* A sender report of the track's SSRC arrived after start: the sender's clock is known. */
    void (*synced)(void *user, rec_track *t);
    /* Video only: no keyframe has arrived yet, ask the publisher for one. */
    void (*need_keyframe)(void *user, rec_track *t);
    /* The pipeline failed (`code`: "disk_full" or "write_error"); ended follows. */
    void (*error)(void *user, rec_track *t, const char *code, const char *message);
    /* The file is closed: after rec_track_stop(), an error, or the EOS timeout. */
    void (*ended)(void *user, rec_track *t);
} rec_track_events;

typedef struct rec_track_timing {
    uint32_t ssrc;
    int64_t start_us;        /* wall clock at the file's time 0; 0 = not started */
    int64_t first_us;        /* file time of the first frame (its offset in the segment) */
    int64_t sender_start_us; /* the sender's clock at the file's time 0; 0 = no SR yet */
    int64_t end_us;          /* wall clock at the end of the last frame written */
    uint64_t frames;         /* frames (video) or packets (audio) written */
} rec_track_timing;

/* Opens the sockets (127.0.0.1, ports chosen by the kernel) and starts the pipeline that
 * writes `path`. `codec` and `clock_rate` come from the negotiation. The file's time 0 is
 * `origin_us` on the wall clock (the segment's start), so the files of a segment line up
 * and a late track begins at its offset. With `source_port` > 0 both sockets take
 * datagrams from 127.0.0.1:source_port only (the relay's tap); 0 = from any local sender.
 * NULL with err on failure (unknown codec, missing plugin, socket). */
rec_track *rec_track_create(const char *id, const char *kind, const char *codec, int clock_rate,
                            int64_t origin_us, int source_port, const char *path,
                            const rec_track_events *ev, void *user, char *err, size_t errlen);
int rec_track_rtp_port(const rec_track *t);
int rec_track_rtcp_port(const rec_track *t);
const char *rec_track_id(const rec_track *t);
void rec_track_timing_get(rec_track *t, rec_track_timing *out);
/* Ends the file cleanly (EOS through the pipeline, so the muxer writes duration and
 * cues); `ended` fires once done, or after a timeout. Idempotent. */
void rec_track_stop(rec_track *t);
bool rec_track_is_ended(const rec_track *t);
/* Stops the pipeline at once (no EOS) and frees. No callback fires afterwards. */
void rec_track_destroy(rec_track *t);

/* ---- record.c: `telebridge-recorder record` ---- */

typedef struct rec_record_opts {
    const char *session;
    const char *room;
    const char *dir;     /* the session folder, created if missing */
    int min_free_mb;     /* stop with disk_full below this much free space */
    int segment;         /* the segment to write (the daemon's number); -1 = the next free */
    const char *meeting; /* the room's catalog session, when it is not `session`; or NULL */
} rec_record_opts;

/* Runs the recording of one session until `stop`, stdin EOF or SIGTERM. Exit status: 0
 * closed cleanly, 1 could not begin (folder, manifest, segment taken, another recorder
 * holding the folder), 3 ended by a write error or a full disk. */
int rec_record_run(const rec_record_opts *o);

/* ---- analyze.c: what each file of a session really holds ---- */

typedef struct rec_analysis {
    tb_rec_plan_file *files; /* one per manifest track; levels point into `levels` */
    GArray **levels;         /* owned */
    /* Per file: where the demuxer starts its segment. matroskademux starts it at the
     * first frame's timestamp, so that frame has running time 0 whatever its time in
     * the file: a mixer pad's offset must add this back. */
    int64_t *segment_start_ns;
    size_t n;
} rec_analysis;

/* Reads every track file of manifest `m` in folder `dir` (blocking; runs nested main
 * loops on the default context). */
void rec_analyze(const tb_rec_manifest *m, const char *dir, rec_analysis *out);
void rec_analysis_clear(rec_analysis *a);

/* ---- compose.c: `telebridge-recorder compose` (argv[0] = "compose") ---- */

int rec_compose_main(int argc, char **argv);

#endif
