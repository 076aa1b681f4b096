/* tb_rec.h — the recorder module's public interface, apart from the catalog
 * (tb_rec_catalog.h): the session manifest, the composition plan (timeline, layout,
 * active speaker), and the small pure helpers the HTTP media handler needs (byte ranges,
 * safe paths). Nothing here runs a GStreamer pipeline: the `telebridge-recorder` program
 * does that (recorder/internal.h), and the daemon uses this header.
 *
 * A recorded session lives in one folder, <recordings>/<session-id>/:
 *   manifest.json          what was recorded (this header's tb_rec_manifest)
 *   <seg>-<track>.webm|mkv one Matroska/WebM file per recorded track and segment
 *   composition.mp4        the publication file made by `telebridge-recorder compose`
 * A "segment" is one run of a recorder process: a recording stopped and started again,
 * or a recorder restarted after a crash, adds a segment; the composition joins segments
 * end to end, leaving out the time nothing was recorded.
 *
 * Times are wall-clock microseconds since the epoch (the catalog's unit) unless a name
 * says otherwise. Functions are pure or touch only the files named; any thread. */
#ifndef TB_REC_H
#define TB_REC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TB_REC_MANIFEST_NAME    "manifest.json"
#define TB_REC_COMPOSITION_NAME "composition.mp4"
#define TB_REC_MANIFEST_VERSION 1

/* ---- manifest ---- */

typedef enum {
    TB_REC_TRACK_WAITING = 0, /* announced, no media written yet */
    TB_REC_TRACK_RECORDING,   /* media is being written */
    TB_REC_TRACK_DONE,        /* ended cleanly: the file has its duration and cues */
    TB_REC_TRACK_FAILED,      /* stopped by a write error */
    TB_REC_TRACK_INTERRUPTED, /* the recorder died while writing it */
    TB_REC_TRACK_EMPTY,       /* ended before any media arrived: no file */
} tb_rec_track_state;

typedef struct tb_rec_track {
    char *id; /* the relay's track id */
    char *participant_id;
    char *identity; /* token identity, NULL when anonymous */
    char *name;     /* display name at the time */
    char *kind;     /* "audio" or "video" */
    char *label;    /* "microphone", "camera", "screen" */
    char *codec;    /* as negotiated: "opus", "VP8", "VP9", "H264" */
    int clock_rate;
    char *file; /* name inside the session folder */
    int segment;
    tb_rec_track_state state;
    uint32_t ssrc;
    /* The file's time 0 (its first frame) on two clocks: ours, from when its first
     * packet arrived (0 = not started), and the sender's, from its RTCP sender
     * reports' NTP↔RTP mapping (0 = no report seen). The second gives lip sync between a
     * participant's tracks; the first places participants against each other. */
    int64_t start_us;
    int64_t sender_start_us;
    int64_t offset_us; /* file time of the first frame: when the track began in its segment
                          (a segment's files all start at its start) */
    int64_t end_us;    /* wall clock of the end of the last frame, 0 = unknown */
} tb_rec_track;

typedef struct tb_rec_participant {
    char *id;
    char *identity; /* NULL when anonymous */
    char *name;
    int64_t joined_us;
    int64_t left_us; /* 0 = still there (or the recording ended first) */
} tb_rec_participant;

typedef enum {
    TB_REC_SEGMENT_RECORDING = 0,
    TB_REC_SEGMENT_DONE,
    TB_REC_SEGMENT_INTERRUPTED,
    TB_REC_SEGMENT_FAILED,
} tb_rec_segment_state;

typedef struct tb_rec_segment {
    int index;
    int64_t started_us;
    int64_t ended_us; /* 0 while recording, or when interrupted */
    tb_rec_segment_state state;
    char *reason;  /* why it failed or stopped early ("shutdown": the server stopped; "daemon_gone":
                      the server died), NULL otherwise */
    char *meeting; /* the room's catalog session during this segment, when it is not the
                      manifest's own (a recording that continues after a server restart);
                      NULL otherwise */
} tb_rec_segment;

typedef struct tb_rec_manifest {
    int version;
    char *session;
    char *room;
    int64_t created_us;
    GPtrArray *segments;     /* tb_rec_segment* owned */
    GPtrArray *participants; /* tb_rec_participant* owned */
    GPtrArray *tracks;       /* tb_rec_track* owned */
} tb_rec_manifest;

tb_rec_manifest *tb_rec_manifest_new(const char *session, const char *room);
void tb_rec_manifest_free(tb_rec_manifest *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tb_rec_manifest, tb_rec_manifest_free)

/* JSON text (transfer full, g_free) and back. _parse returns NULL with err filled on any
 * missing or mistyped field: a manifest is never half-understood. */
char *tb_rec_manifest_to_text(const tb_rec_manifest *m);
tb_rec_manifest *tb_rec_manifest_parse(const char *text, size_t len, char *err, size_t errlen);

/* Writes dir/manifest.json crash-safely: a temporary file written and fsync'ed, renamed
 * over the old one, then the folder fsync'ed. A reader sees the old or the new manifest,
 * never a mix. Returns 0 or TB_EIO (err says why). */
int tb_rec_manifest_save(const tb_rec_manifest *m, const char *dir, char *err, size_t errlen);
tb_rec_manifest *tb_rec_manifest_load(const char *dir, char *err, size_t errlen);

/* Lookups (transfer none); NULL when absent. Tracks by id and segment (-1 = latest). */
tb_rec_track *tb_rec_manifest_track(const tb_rec_manifest *m, const char *id, int segment);
tb_rec_participant *tb_rec_manifest_participant(const tb_rec_manifest *m, const char *id);
tb_rec_segment *tb_rec_manifest_segment(const tb_rec_manifest *m, int index);

/* Segment numbers are 0..TB_REC_MAX_SEGMENT (they name files: "<seg>-<track>.webm"). */
#define TB_REC_MAX_SEGMENT 99999
/* The number a new segment gets: one more than the highest there is (0 for none). */
int tb_rec_manifest_next_segment(const tb_rec_manifest *m);
/* Starts segment `index` at `now_us`; segments and tracks that a dead recorder left
 * "recording" become interrupted first. NULL (and nothing changed) when the manifest has
 * that segment already or the number is out of range: two recorders never write one
 * segment. The daemon gives the number (`record --segment`). Transfer none. */
tb_rec_segment *tb_rec_manifest_add_segment(tb_rec_manifest *m, int index, int64_t now_us);
/* The same with index = tb_rec_manifest_next_segment(m). */
tb_rec_segment *tb_rec_manifest_begin_segment(tb_rec_manifest *m, int64_t now_us);

/* Marks every unfinished segment and track interrupted (after a crash). Returns how
 * many segments changed. */
int tb_rec_manifest_mark_interrupted(tb_rec_manifest *m);

const char *tb_rec_track_state_name(tb_rec_track_state s);
const char *tb_rec_segment_state_name(tb_rec_segment_state s);

/* Maps an RTP timestamp to the microseconds it lies after `ref_rtp` (negative when
 * before), for a clock of `clock_rate` Hz, across 32-bit wrap-around (RFC 3550 §5.1):
 * the shorter way round is taken. */
int64_t tb_rec_rtp_diff_us(uint32_t rtp, uint32_t ref_rtp, int clock_rate);

/* An NTP timestamp (RFC 3550 §4: 32.32 fixed point since 1900) in Unix microseconds. */
int64_t tb_rec_ntp_to_unix_us(uint64_t ntp);

/* Session ids are the catalog's: "s" + 16 lowercase hex digits. */
bool tb_rec_session_id_valid(const char *id);

/* ---- composition plan (plan.c) ----
 *
 * From the manifest and what an analysis pass read from the files, the plan says where
 * each file lands on the output timeline and what the picture looks like when.
 *
 * Alignment: a participant's tracks are aligned by the sender's clock (its RTCP sender
 * reports), which is what makes lips match voices: the browser stamps audio and video
 * from one clock. Participants are placed against each other by our clock: each
 * participant's sender clock is mapped to ours by the smallest arrival delay seen among
 * its tracks. A track without a sender report falls back to its arrival time. Segments
 * are laid end to end: the gaps between recordings are left out. */

typedef enum { TB_REC_LAYOUT_SPEAKER = 0, TB_REC_LAYOUT_GRID = 1 } tb_rec_layout_mode;

/* Audio levels are sampled every TB_REC_LEVEL_STEP_MS of a file's own time. */
#define TB_REC_LEVEL_STEP_MS 100

/* What the analysis pass found in one track's file. */
typedef struct tb_rec_plan_file {
    bool usable;         /* exists and decodes */
    int64_t first_us;    /* file time of the first frame */
    int64_t last_us;     /* file time of the end of the last frame */
    const float *levels; /* audio: dBFS every TB_REC_LEVEL_STEP_MS from file time 0 */
    size_t n_levels;
} tb_rec_plan_file;

typedef struct tb_rec_rect {
    int x, y, w, h; /* w == 0: not shown */
} tb_rec_rect;

/* One file to decode: track `track` of the manifest, whose time 0 is at `offset_ns` of
 * the output (negative when its first frames fall before the output's start). */
typedef struct tb_rec_plan_source {
    int track; /* index into manifest->tracks */
    int tile;  /* video: the tile it is shown in; audio: -1 */
    int64_t offset_ns;
} tb_rec_plan_source;

/* A tile: a participant's camera (with a placeholder under it where there is no video)
 * or a participant's screen share. */
typedef struct tb_rec_plan_tile {
    char *participant_id;
    char *name; /* the label */
    bool screen;
} tb_rec_plan_tile;

/* From `at_ns` on, tile i is drawn at rects[i] (w == 0: hidden); video[i] says whether
 * its video runs then (else its placeholder shows). */
typedef struct tb_rec_plan_cue {
    int64_t at_ns;
    tb_rec_rect *rects; /* n_tiles, owned */
    bool *video;        /* n_tiles, owned */
    int big;            /* the large tile in the speaker layout, -1 = none */
} tb_rec_plan_cue;

typedef struct tb_rec_plan {
    int width, height;
    int64_t duration_ns;
    GArray *sources;  /* tb_rec_plan_source */
    GPtrArray *tiles; /* tb_rec_plan_tile* owned */
    GArray *cues;     /* tb_rec_plan_cue, by time; the first at 0 */
} tb_rec_plan;

typedef struct tb_rec_plan_opts {
    tb_rec_layout_mode layout;
    int width, height;
} tb_rec_plan_opts;

/* Builds the plan; `files` has one entry per manifest track. NULL with err when nothing
 * usable was recorded. */
tb_rec_plan *tb_rec_plan_build(const tb_rec_manifest *m, const tb_rec_plan_file *files,
                               const tb_rec_plan_opts *o, char *err, size_t errlen);
void tb_rec_plan_free(tb_rec_plan *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tb_rec_plan, tb_rec_plan_free)

/* The picture for `n` visible tiles in a width x height frame: rects[i] for tile i of
 * the visible order; in the speaker layout tile `big` (0..n-1) is large and the others
 * share a strip below it. Tiles are 16:9 and leave a margin. */
void tb_rec_layout(tb_rec_layout_mode mode, int width, int height, int n, int big,
                   tb_rec_rect *rects);

/* Active speaker over time from per-participant levels (dBFS, one per step, -100 for
 * silence or absence): levels[p * n_steps + k]. Writes the speaker index (or -1 before
 * anyone spoke) per step into out[n_steps]. A change needs the new speaker to be the
 * loudest for a while, and changes are spaced, so the picture does not flicker. */
void tb_rec_speakers(const float *levels, int n_participants, size_t n_steps, int *out);

/* ---- serving recordings over HTTP (httputil.c) ---- */

/* The byte range a Range header value asks of a `size`-byte file (RFC 9110 §14.1.2):
 * 1 with [*first, *last] (inclusive) for one satisfiable range; 0 when the header is to
 * be ignored and the whole file sent (absent, not "bytes=", malformed, or several
 * ranges, which a server may answer whole); -1 when it cannot be satisfied (416). */
int tb_rec_http_range(const char *value, int64_t size, int64_t *first, int64_t *last);

/* A file name a session folder may hold: 1-128 characters of [A-Za-z0-9._-], starting
 * with a letter or digit, without "..". */
bool tb_rec_media_name_valid(const char *name);

/* Opens <root>/<session>/<file> for reading, refusing anything that could leave the
 * recordings folder: an invalid session id or file name, and a symlink at either step
 * (O_NOFOLLOW at each component). Returns the fd (and its size) or a negative TB_E*:
 * TB_ENOTFOUND for everything a client should see as 404. */
int tb_rec_media_open(const char *root, const char *session, const char *file, int64_t *size);

/* Content-Type by extension; "application/octet-stream" when unknown. */
const char *tb_rec_media_type(const char *file);

#endif
