/* analyze.c — the pass before a composition: what each recorded file really holds.
 *
 * The manifest says what was meant to be recorded; the files say what was: a file cut
 * by a crash has no duration in its header (docs/platform.md), a track may hold no
 * frame at all. Each file is demuxed to its end (video) or decoded (audio, for its level
 * every TB_REC_LEVEL_STEP_MS, from which the plan picks the active speaker). Demuxing
 * video costs little; decoding Opus is some hundred times faster than real time. */
#define TB_LOG_CAT "rec/analyze"
#include "recorder/internal.h"
#include "common/tb_log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct file_scan {
    GMainLoop *loop;  /* shared by all scans */
    int *pending;     /* scans still running; the last one quits the loop */
    GstElement *pipe; /* owned */
    guint watch;
    bool done;
    bool audio;
    GstClockTime first, last_end, last_pts;
    GstClockTime segment_start;
    uint64_t frames;
    GArray *levels; /* float dBFS */
    bool error;
} file_scan;

static GstPadProbeReturn count_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    file_scan *s = data;
    if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT && !GST_CLOCK_TIME_IS_VALID(s->segment_start)) {
            const GstSegment *seg;
            gst_event_parse_segment(ev, &seg);
            s->segment_start = seg->start;
        }
        return GST_PAD_PROBE_OK;
    }
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstClockTime pts = buf ? GST_BUFFER_PTS(buf) : GST_CLOCK_TIME_NONE;
    if (!GST_CLOCK_TIME_IS_VALID(pts))
        return GST_PAD_PROBE_OK;
    GstClockTime dur = GST_BUFFER_DURATION(buf);
    if (!GST_CLOCK_TIME_IS_VALID(s->first) || pts < s->first)
        s->first = pts;
    s->last_pts = MAX(s->last_pts, pts);
    GstClockTime end = pts + (GST_CLOCK_TIME_IS_VALID(dur) ? dur : 0);
    s->last_end = MAX(s->last_end, end);
    s->frames++;
    return GST_PAD_PROBE_OK;
}

static void on_level(file_scan *s, const GstStructure *st)
{
    GstClockTime t;
    const GValue *rms = gst_structure_get_value(st, "rms");
    if (!gst_structure_get_clock_time(st, "stream-time", &t) || !rms)
        return;
    /* level still reports a GValueArray (deprecated in GLib, not in GStreamer 1.22). */
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    GValueArray *arr = G_VALUE_HOLDS(rms, g_value_array_get_type()) ? g_value_get_boxed(rms) : NULL;
    double sum = 0;
    guint n = arr ? arr->n_values : 0;
    for (guint i = 0; i < n; i++)
        sum += g_value_get_double(g_value_array_get_nth(arr, i));
    G_GNUC_END_IGNORE_DEPRECATIONS
    float db = n ? (float)(sum / n) : -100.0f;
    if (!isfinite(db) || db < -100.0f)
        db = -100.0f;
    guint idx = (guint)(t / (TB_REC_LEVEL_STEP_MS * GST_MSECOND));
    float silent = -100.0f;
    while (s->levels->len < idx)
        g_array_append_val(s->levels, silent);
    if (idx < s->levels->len)
        g_array_index(s->levels, float, idx) = db;
    else
        g_array_append_val(s->levels, db);
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    file_scan *s = data;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_ERROR:
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
            GError *e = NULL;
            gst_message_parse_error(msg, &e, NULL);
            /* A file cut by a crash may end mid-cluster: what came before still counts. */
            TB_LOG_WARN("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), e->message);
            g_error_free(e);
            s->error = true;
        }
        if (!s->done) {
            s->done = true;
            if (--*s->pending == 0)
                g_main_loop_quit(s->loop);
        }
        break;
    case GST_MESSAGE_ELEMENT: {
        const GstStructure *st = gst_message_get_structure(msg);
        if (st && gst_structure_has_name(st, "level"))
            on_level(s, st);
        break;
    }
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

/* Starts scanning one file (its pipeline runs until EOS or an error); false when it
 * cannot even start. */
static bool scan_start(const char *path, const tb_rec_track *t, file_scan *s)
{
    s->audio = !strcmp(t->kind, "audio");
    s->first = GST_CLOCK_TIME_NONE;
    s->segment_start = GST_CLOCK_TIME_NONE;
    const char *desc = s->audio
                           ? "filesrc name=src ! matroskademux ! opusdec ! audioconvert "
                             "! level interval=100000000 ! fakesink name=sink sync=false"
                           : "filesrc name=src ! matroskademux ! fakesink name=sink sync=false";
    if (s->audio && g_ascii_strcasecmp(t->codec, "opus"))
        desc = "filesrc name=src ! decodebin ! audioconvert ! level interval=100000000 "
               "! fakesink name=sink sync=false";
    GError *gerr = NULL;
    s->pipe = gst_parse_launch(desc, &gerr);
    if (!s->pipe) {
        TB_LOG_ERR("%s", gerr ? gerr->message : "pipeline");
        g_clear_error(&gerr);
        return false;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(s->pipe), "src");
    g_object_set(src, "location", path, NULL);
    gst_object_unref(src);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(s->pipe), "sink");
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                      count_probe, s, NULL);
    gst_object_unref(pad);
    gst_object_unref(sink);
    GstBus *bus = gst_element_get_bus(s->pipe);
    s->watch = gst_bus_add_watch(bus, on_bus, s);
    gst_object_unref(bus);
    (*s->pending)++;
    if (gst_element_set_state(s->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        s->done = true;
        (*s->pending)--;
    }
    return true;
}

static void scan_finish(file_scan *s)
{
    if (!s->pipe)
        return;
    gst_element_set_state(s->pipe, GST_STATE_NULL);
    g_source_remove(s->watch);
    gst_object_unref(s->pipe);
    s->pipe = NULL;
}

void rec_analysis_clear(rec_analysis *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->levels[i])
            g_array_unref(a->levels[i]);
    g_free(a->levels);
    g_free(a->files);
    g_free(a->segment_start_ns);
    memset(a, 0, sizeof *a);
}

/* Every file is scanned at once: each scan is light (demuxing, or decoding Opus), and
 * running them side by side uses both cores. */
void rec_analyze(const tb_rec_manifest *m, const char *dir, rec_analysis *a)
{
    a->n = m->tracks->len;
    a->files = g_new0(tb_rec_plan_file, MAX(a->n, 1));
    a->levels = g_new0(GArray *, MAX(a->n, 1));
    a->segment_start_ns = g_new0(int64_t, MAX(a->n, 1));
    file_scan *scans = g_new0(file_scan, MAX(a->n, 1));
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    int pending = 0;
    for (size_t i = 0; i < a->n; i++) {
        const tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        g_autofree char *path = g_build_filename(dir, t->file, NULL);
        scans[i].levels = g_array_new(FALSE, FALSE, sizeof(float));
        scans[i].loop = loop;
        scans[i].pending = &pending;
        if (t->state != TB_REC_TRACK_EMPTY && t->start_us &&
            g_file_test(path, G_FILE_TEST_IS_REGULAR))
            scan_start(path, t, &scans[i]);
    }
    if (pending > 0)
        g_main_loop_run(loop);
    for (size_t i = 0; i < a->n; i++) {
        const tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        file_scan *s = &scans[i];
        scan_finish(s);
        a->levels[i] = s->levels;
        if (!s->done && !s->frames)
            continue; /* not scanned */
        tb_rec_plan_file *f = &a->files[i];
        bool ok = s->frames > 0;
        if (ok) {
            /* Video frames carry no duration in Matroska: add one frame interval. */
            GstClockTime end = s->last_end;
            if (!s->audio && s->frames > 1)
                end = MAX(end, s->last_pts + (s->last_pts - s->first) / (s->frames - 1));
            f->usable = true;
            a->segment_start_ns[i] =
                GST_CLOCK_TIME_IS_VALID(s->segment_start) ? (int64_t)s->segment_start : 0;
            f->first_us = (int64_t)(s->first / 1000);
            f->last_us = (int64_t)(end / 1000);
            if (s->audio) {
                f->levels = (const float *)s->levels->data;
                f->n_levels = s->levels->len;
            }
        }
        TB_LOG_INFO("%s: %s %s, %llu %s, %.3f..%.3f s%s", t->file, t->kind, t->codec,
                    (unsigned long long)s->frames, s->audio ? "buffers" : "frames",
                    f->first_us / 1e6, f->last_us / 1e6,
                    !ok        ? " (unusable)"
                    : s->error ? " (cut short)"
                               : "");
    }
    g_main_loop_unref(loop);
    g_free(scans);
}
