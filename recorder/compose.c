/* compose.c — `telebridge-recorder compose SESSION`: one file fit for publication.
 *
 *   per video file:  filesrc ! matroskademux ! decoder ! queue ─┐ (offset, and a
 *   per tile:        videotestsrc (placeholder with initials) ──┤  controlled rect)
 *                                      compositor ! I420 WxH@F ! textoverlay per tile
 *                                      (names) ! x264enc | openh264enc ! h264parse ─┐
 *   per audio file:  filesrc ! matroskademux ! opusdec ! … ─┐                        │
 *   silence for the whole length: audiotestsrc ─────────────┤                        │
 *                                      audiomixer ! avenc_aac | voaacenc ! aacparse ┤
 *                                                       mp4mux faststart=true ! filesink
 *
 * Everything the picture does over time (tiles appearing, the speaker becoming large)
 * comes from the plan (plan.c) as GstController cue points on the compositor's pads and
 * the labels; each file is placed on the timeline with its mixer pad's `offset`
 * (docs/platform.md: identity ts-offset does not work, pad offsets do). The output is
 * written to a .part file and renamed once complete, so a half-made composition is never
 * served or published. Progress goes to stdout (JSON lines) and to the catalog. */
#define TB_LOG_CAT "rec/compose"
#include "recorder/internal.h"
#include "recorder/tb_rec_recordings.h"
#include "common/tb_config.h"
#include "common/tb_log.h"

#include <errno.h>
#include <glib-unix.h>
#include <gst/controller/controller.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef TB_SOURCE_DIR
#define TB_SOURCE_DIR "."
#endif

#define PLACEHOLDER_W       320
#define PLACEHOLDER_H       180
#define PLACEHOLDER_ARGB    0xff2a3039u
#define LABEL_FONT          "Sans 14"
#define LABEL_H             24
#define LABEL_PAD           6
#define LABEL_MAX_CHARS     32
#define PROGRESS_MS         1000
#define CATALOG_PROGRESS_US (2 * G_USEC_PER_SEC)

typedef struct compose_opts {
    char *session;
    char *dir;    /* session folder */
    char *output; /* file to write; default dir/composition.mp4 */
    char *catalog_path;
    tb_rec_layout_mode layout;
    int width, height, fps;
    char *video_encoder; /* "x264" or "openh264" */
    int video_kbps;
    char *audio_encoder; /* "avenc_aac" or "voaacenc" */
    int audio_kbps;
} compose_opts;

typedef struct composer {
    const compose_opts *o;
    tb_rec_manifest *m;
    tb_rec_plan *plan;
    const rec_analysis *an; /* what the files hold */
    GstElement *pipe, *vmix, *amix, *mux;
    GMainLoop *loop;
    bool failed;
    char *error;
    tb_rec_catalog *cat;
    int64_t comp_id;
    int64_t last_catalog_us;
    int64_t started_mono_us;
} composer;

/* One JSON object per line on stdout (transfer full of `ev`). */
static void emit(json_t *ev)
{
    char *s = ev ? json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(ev);
    if (s) {
        puts(s);
        fflush(stdout);
    }
    free(s);
}

/* ---- building ---- */

static GstElement *make(composer *c, const char *factory, const char *name)
{
    GstElement *e = gst_element_factory_make(factory, name);
    if (!e && !c->error) {
        c->error = g_strdup_printf(
            "GStreamer element '%s' is missing (see scripts/install-deps.sh)", factory);
        TB_LOG_ERR("%s", c->error);
    }
    return e;
}

/* Adds a bin parsed from `desc` ending in a queue (its src pad becomes the bin's), whose
 * filesrc (if any) is named "src". The ghost pad is made by hand: letting the parser
 * ghost every unlinked pad would also ghost the decoder's sink pad, which is unlinked
 * only until the demuxer's pad appears, and that delayed link would then fail. */
static GstElement *add_bin(composer *c, const char *desc, const char *location)
{
    GError *gerr = NULL;
    g_autofree char *full = g_strconcat(desc, " name=out", NULL);
    GstElement *bin = gst_parse_bin_from_description(full, FALSE, &gerr);
    if (!bin) {
        if (!c->error)
            c->error = g_strdup_printf("%s: %s", desc, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return NULL;
    }
    GstElement *out = gst_bin_get_by_name(GST_BIN(bin), "out");
    GstPad *target = gst_element_get_static_pad(out, "src");
    gst_element_add_pad(bin, gst_ghost_pad_new("src", target));
    gst_object_unref(target);
    gst_object_unref(out);
    if (location) {
        GstElement *src = gst_bin_get_by_name(GST_BIN(bin), "src");
        g_object_set(src, "location", location, NULL);
        gst_object_unref(src);
    }
    gst_bin_add(GST_BIN(c->pipe), bin);
    return bin;
}

/* Links bin's ghost src to a new request pad of `mixer`; returns that pad (ref). */
static GstPad *link_to_mixer(GstElement *bin, GstElement *mixer)
{
    GstPad *sink = gst_element_request_pad_simple(mixer, "sink_%u");
    GstPad *src = gst_element_get_static_pad(bin, "src");
    GstPadLinkReturn r = gst_pad_link(src, sink);
    gst_object_unref(src);
    if (r != GST_PAD_LINK_OK) {
        TB_LOG_ERR("cannot link %s to %s", GST_OBJECT_NAME(bin), GST_OBJECT_NAME(mixer));
        gst_object_unref(sink);
        return NULL;
    }
    return sink;
}

/* A controlled property's value at a cue: `r` the tile's rect then (w == 0: hidden),
 * `last` the last rect it was shown at, `video` whether its video runs then. */
typedef double (*cue_value)(const tb_rec_rect *r, const tb_rec_rect *last, bool video);

static double v_x(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w ? r->x : l->x;
}
static double v_y(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w ? r->y : l->y;
}
static double v_w(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w ? r->w : l->w;
}
static double v_h(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w ? r->h : l->h;
}
static double v_alpha(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w ? 1.0 : 0.0;
}
/* A placeholder is drawn only where its tile has no video: the compositor skips pads
 * of alpha 0, which saves scaling and blending a tile-sized picture every frame. */
static double v_placeholder_alpha(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w && !video ? 1.0 : 0.0;
}
static double v_label_x(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return (r->w ? r->x : l->x) + LABEL_PAD;
}
static double v_label_y(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return (r->w ? r->y + r->h : l->y + l->h) - LABEL_H - LABEL_PAD;
}
static double v_silent(const tb_rec_rect *r, const tb_rec_rect *l, bool video)
{
    return r->w ? 0.0 : 1.0;
}

/* Binds `prop` of `obj` to a step function over the plan's cues for `tile`. */
static void control(composer *c, GstObject *obj, const char *prop, int tile, cue_value fn)
{
    GstControlSource *cs = gst_interpolation_control_source_new();
    g_object_set(cs, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
    gst_object_add_control_binding(obj, gst_direct_control_binding_new_absolute(obj, prop, cs));
    tb_rec_rect last = {0, 0, 16, 16};
    for (guint i = 0; i < c->plan->cues->len; i++) {
        const tb_rec_plan_cue *cue = &g_array_index(c->plan->cues, tb_rec_plan_cue, i);
        const tb_rec_rect *r = &cue->rects[tile];
        gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(cs),
                                           (GstClockTime)cue->at_ns,
                                           fn(r, &last, cue->video[tile]));
        if (r->w)
            last = *r;
    }
    gst_object_unref(cs);
}

static void control_rect(composer *c, GstPad *pad, int tile, bool placeholder)
{
    control(c, GST_OBJECT(pad), "xpos", tile, v_x);
    control(c, GST_OBJECT(pad), "ypos", tile, v_y);
    control(c, GST_OBJECT(pad), "width", tile, v_w);
    control(c, GST_OBJECT(pad), "height", tile, v_h);
    control(c, GST_OBJECT(pad), "alpha", tile, placeholder ? v_placeholder_alpha : v_alpha);
}

/* The mixer pad's offset for a file: the plan places its time 0, and the demuxer starts
 * its running time at the file's first frame (see rec_analysis). */
static gint64 pad_offset(composer *c, const tb_rec_plan_source *s)
{
    return s->offset_ns + c->an->segment_start_ns[s->track];
}

static const char *video_decoder(const char *codec)
{
    if (!g_ascii_strcasecmp(codec, "vp8"))
        return "vp8dec";
    if (!g_ascii_strcasecmp(codec, "vp9"))
        return "vp9dec";
    if (!g_ascii_strcasecmp(codec, "h264"))
        return "h264parse ! avdec_h264";
    return "decodebin";
}

static bool add_video_source(composer *c, const tb_rec_plan_source *s)
{
    const tb_rec_track *t = g_ptr_array_index(c->m->tracks, s->track);
    g_autofree char *path = g_build_filename(c->o->dir, t->file, NULL);
    const tb_rec_plan_tile *tile = g_ptr_array_index(c->plan->tiles, s->tile);
    /* A camera fills its 16:9 tile (cropped, as video meetings show them); a shared screen
     * is shown whole, with bars. */
    g_autofree char *desc =
        g_strdup_printf("filesrc name=src ! matroskademux ! %s ! %s queue", video_decoder(t->codec),
                        tile->screen ? "" : "aspectratiocrop aspect-ratio=16/9 !");
    GstElement *bin = add_bin(c, desc, path);
    GstPad *pad = bin ? link_to_mixer(bin, c->vmix) : NULL;
    if (!pad)
        return false;
    g_object_set(pad, "zorder", (guint)(10 + s->tile), "sizing-policy", 1 /* keep aspect */,
                 "max-last-buffer-repeat", (guint64)GST_SECOND, NULL);
    gst_pad_set_offset(pad, pad_offset(c, s));
    control_rect(c, pad, s->tile, false);
    gst_object_unref(pad);
    return true;
}

static bool add_audio_source(composer *c, const tb_rec_plan_source *s)
{
    const tb_rec_track *t = g_ptr_array_index(c->m->tracks, s->track);
    g_autofree char *path = g_build_filename(c->o->dir, t->file, NULL);
    const char *dec =
        !g_ascii_strcasecmp(t->codec, "opus") ? "matroskademux ! opusdec" : "decodebin";
    g_autofree char *desc = g_strdup_printf("filesrc name=src ! %s ! audioconvert ! audioresample "
                                            "! audio/x-raw,rate=48000,channels=2 ! queue",
                                            dec);
    GstElement *bin = add_bin(c, desc, path);
    GstPad *pad = bin ? link_to_mixer(bin, c->amix) : NULL;
    if (!pad)
        return false;
    gst_pad_set_offset(pad, pad_offset(c, s));
    gst_object_unref(pad);
    return true;
}

/* "Анна Петрова" → "АП": what the web client shows in its avatar circles. */
static char *initials(const char *name)
{
    GString *s = g_string_new(NULL);
    bool word = false;
    for (const char *p = name; *p && s->len < 16; p = g_utf8_next_char(p)) {
        gunichar ch = g_utf8_get_char(p);
        if (g_unichar_isalnum(ch) && !word) {
            g_string_append_unichar(s, g_unichar_toupper(ch));
            if (g_utf8_strlen(s->str, -1) == 2)
                break;
        }
        word = g_unichar_isalnum(ch);
    }
    return g_string_free(s, FALSE);
}

static guint64 frames_for(composer *c)
{
    return (guint64)((c->plan->duration_ns * c->o->fps + GST_SECOND - 1) / GST_SECOND);
}

static bool add_placeholder(composer *c, int tile)
{
    const tb_rec_plan_tile *t = g_ptr_array_index(c->plan->tiles, tile);
    g_autofree char *desc = g_strdup_printf(
        "videotestsrc pattern=solid-color foreground-color=%u num-buffers=%" G_GUINT64_FORMAT
        " ! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! textoverlay name=txt "
        "font-desc=\"Sans Bold 44\" halignment=center valignment=center shaded-background=false "
        "! queue",
        PLACEHOLDER_ARGB, frames_for(c), PLACEHOLDER_W, PLACEHOLDER_H, c->o->fps);
    GstElement *bin = add_bin(c, desc, NULL);
    if (!bin)
        return false;
    GstElement *txt = gst_bin_get_by_name(GST_BIN(bin), "txt");
    g_autofree char *init = initials(t->name);
    g_object_set(txt, "text", t->screen ? "" : init, NULL);
    gst_object_unref(txt);
    GstPad *pad = link_to_mixer(bin, c->vmix);
    if (!pad)
        return false;
    g_object_set(pad, "zorder", (guint)1, NULL);
    control_rect(c, pad, tile, true);
    gst_object_unref(pad);
    return true;
}

static char *label_text(const char *name)
{
    if (g_utf8_strlen(name, -1) <= LABEL_MAX_CHARS)
        return g_strdup(name);
    char *cut = g_utf8_substring(name, 0, LABEL_MAX_CHARS - 1);
    char *out = g_strconcat(cut, "…", NULL);
    g_free(cut);
    return out;
}

static GstElement *video_encoder(composer *c)
{
    const compose_opts *o = c->o;
    if (!strcmp(o->video_encoder, "openh264")) {
        GstElement *e = make(c, "openh264enc", "venc");
        if (e)
            g_object_set(e, "bitrate", (guint)o->video_kbps * 1000, "gop-size", (guint)o->fps * 2,
                         "rate-control", 1 /* bitrate */, NULL);
        return e;
    }
    /* No B-frames: GStreamer's x264enc shifts every PTS forward by the reordering delay
     * (80 ms at 25 fps with the preset's 3 B-frames) rather than write negative DTS, which
     * would put the picture that much behind the sound in the MP4. "superfast": meeting
     * pictures (faces, slides, little motion) look the same at 2.5 Mbit/s as with
     * "veryfast", and two participants compose 5x faster than real time on two cores
     * instead of 4x (tests/bench/recorder_bench.sh). */
    GstElement *e = make(c, "x264enc", "venc");
    if (e)
        g_object_set(e, "bitrate", (guint)o->video_kbps, "key-int-max", (guint)o->fps * 2,
                     "bframes", 0u, "trellis", FALSE, NULL);
    if (e)
        gst_util_set_object_arg(G_OBJECT(e), "speed-preset", "superfast");
    return e;
}

/* compositor ! caps ! labels ! videoconvert ! encoder ! h264parse ! queue ! mux */
static bool build_video_out(composer *c)
{
    const compose_opts *o = c->o;
    c->vmix = make(c, "compositor", "vmix");
    GstElement *caps = make(c, "capsfilter", NULL), *conv = make(c, "videoconvert", NULL);
    GstElement *enc = video_encoder(c), *parse = make(c, "h264parse", NULL),
               *q = make(c, "queue", NULL), *q_mix = make(c, "queue", NULL),
               *q_enc = make(c, "queue", NULL);
    if (!c->vmix || !caps || !conv || !enc || !parse || !q || !q_mix || !q_enc)
        return false;
    GstCaps *cp = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                      G_TYPE_INT, o->width, "height", G_TYPE_INT, o->height,
                                      "framerate", GST_TYPE_FRACTION, o->fps, 1,
                                      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
    g_object_set(caps, "caps", cp, NULL);
    gst_caps_unref(cp);
    gst_util_set_object_arg(G_OBJECT(c->vmix), "background", "black");
    /* Queues give the compositor, the labels and the encoder a thread each, so that the
     * two cores are used. */
    gst_bin_add_many(GST_BIN(c->pipe), c->vmix, caps, q_mix, NULL);
    gst_element_link_many(c->vmix, caps, q_mix, NULL);
    GstElement *prev = q_mix;
    for (guint i = 0; i < c->plan->tiles->len; i++) {
        const tb_rec_plan_tile *t = g_ptr_array_index(c->plan->tiles, i);
        GstElement *label = make(c, "textoverlay", NULL);
        if (!label)
            return false;
        g_autofree char *text = label_text(t->name);
        g_object_set(label, "text", text, "font-desc", LABEL_FONT, "shaded-background", TRUE,
                     "auto-resize", FALSE, "xpad", 0, "ypad", 0, NULL);
        gst_util_set_object_arg(G_OBJECT(label), "halignment", "left");
        gst_util_set_object_arg(G_OBJECT(label), "valignment", "top");
        control(c, GST_OBJECT(label), "deltax", (int)i, v_label_x);
        control(c, GST_OBJECT(label), "deltay", (int)i, v_label_y);
        control(c, GST_OBJECT(label), "silent", (int)i, v_silent);
        gst_bin_add(GST_BIN(c->pipe), label);
        gst_element_link(prev, label);
        prev = label;
    }
    gst_bin_add_many(GST_BIN(c->pipe), conv, q_enc, enc, parse, q, NULL);
    return gst_element_link_many(prev, conv, q_enc, enc, parse, q, c->mux, NULL);
}

/* audiomixer ! caps ! audioconvert ! encoder ! aacparse ! queue ! mux */
static bool build_audio_out(composer *c)
{
    const compose_opts *o = c->o;
    c->amix = make(c, "audiomixer", "amix");
    GstElement *caps = make(c, "capsfilter", NULL), *conv = make(c, "audioconvert", NULL);
    GstElement *enc = make(c, o->audio_encoder, "aenc"), *parse = make(c, "aacparse", NULL),
               *q = make(c, "queue", NULL);
    if (!c->amix || !caps || !conv || !enc || !parse || !q)
        return false;
    GstCaps *cp = gst_caps_from_string("audio/x-raw,rate=48000,channels=2");
    g_object_set(caps, "caps", cp, NULL);
    gst_caps_unref(cp);
    g_object_set(enc, "bitrate", o->audio_kbps * 1000, NULL);
    /* FFmpeg's default AAC search ("twoloop") costs as much as decoding every track; the
     * fast one sounds the same on speech at 128 kbit/s. */
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(enc), "aac-coder"))
        gst_util_set_object_arg(G_OBJECT(enc), "aac-coder", "fast");
    gst_bin_add_many(GST_BIN(c->pipe), c->amix, caps, conv, enc, parse, q, NULL);
    if (!gst_element_link_many(c->amix, caps, conv, enc, parse, q, c->mux, NULL))
        return false;
    /* Silence for the whole length: the output has sound from 0 to the end even where
     * nobody was recorded, and the mixer never waits for a late first speaker. */
    guint64 n = (guint64)(c->plan->duration_ns / (20 * GST_MSECOND)) + 1;
    g_autofree char *desc = g_strdup_printf("audiotestsrc wave=silence samplesperbuffer=960 "
                                            "num-buffers=%" G_GUINT64_FORMAT
                                            " ! audio/x-raw,rate=48000,channels=2 ! queue",
                                            n);
    GstElement *bin = add_bin(c, desc, NULL);
    GstPad *pad = bin ? link_to_mixer(bin, c->amix) : NULL;
    if (pad)
        gst_object_unref(pad);
    return pad != NULL;
}

static bool build(composer *c, const char *part, const char *faststart)
{
    c->pipe = gst_pipeline_new("compose");
    c->mux = make(c, "mp4mux", "mux");
    GstElement *sink = make(c, "filesink", "sink");
    if (!c->mux || !sink)
        return false;
    g_object_set(c->mux, "faststart", TRUE, "faststart-file", faststart, NULL);
    g_object_set(sink, "location", part, NULL);
    gst_bin_add_many(GST_BIN(c->pipe), c->mux, sink, NULL);
    gst_element_link(c->mux, sink);
    if (!build_video_out(c) || !build_audio_out(c))
        return false;
    for (guint i = 0; i < c->plan->tiles->len; i++)
        if (!add_placeholder(c, (int)i))
            return false;
    for (guint i = 0; i < c->plan->sources->len; i++) {
        const tb_rec_plan_source *s = &g_array_index(c->plan->sources, tb_rec_plan_source, i);
        if (!(s->tile >= 0 ? add_video_source(c, s) : add_audio_source(c, s)))
            return false;
    }
    return true;
}

/* ---- running ---- */

static gboolean on_progress(gpointer data)
{
    composer *c = data;
    gint64 pos = 0;
    if (!gst_element_query_position(c->pipe, GST_FORMAT_TIME, &pos) || pos < 0)
        return G_SOURCE_CONTINUE;
    if (pos > c->plan->duration_ns + 30 * (gint64)GST_SECOND) {
        /* Every input has a known end: running past it means a stuck pipeline. */
        if (!c->error)
            c->error = g_strdup("the composition runs past the end of the recording");
        c->failed = true;
        g_main_loop_quit(c->loop);
        return G_SOURCE_CONTINUE;
    }
    double p = CLAMP((double)pos / (double)c->plan->duration_ns, 0.0, 1.0);
    double elapsed = (g_get_monotonic_time() - c->started_mono_us) / 1e6;
    double speed = elapsed > 0 ? pos / 1e9 / elapsed : 0;
    emit(json_pack("{s:s, s:f, s:f, s:f}", "event", "progress", "progress", p, "position_s",
                   pos / 1e9, "speed", speed));
    int64_t now = g_get_monotonic_time();
    if (c->cat && c->comp_id && now - c->last_catalog_us >= CATALOG_PROGRESS_US) {
        tb_rec_composition_progress(c->cat, c->comp_id, p);
        c->last_catalog_us = now;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    composer *c = data;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        g_main_loop_quit(c->loop);
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *e = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &e, &dbg);
        TB_LOG_ERR("%s: %s (%s)", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), e->message,
                   dbg ? dbg : "");
        if (!c->error)
            c->error = g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), e->message);
        c->failed = true;
        g_error_free(e);
        g_free(dbg);
        g_main_loop_quit(c->loop);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
    composer *c = data;
    if (!c->error)
        c->error = g_strdup("stopped by a signal");
    c->failed = true;
    g_main_loop_quit(c->loop);
    return G_SOURCE_CONTINUE;
}

static bool run(composer *c)
{
    c->loop = g_main_loop_new(NULL, FALSE);
    GstBus *bus = gst_element_get_bus(c->pipe);
    guint watch = gst_bus_add_watch(bus, on_bus, c);
    gst_object_unref(bus);
    guint timer = g_timeout_add(PROGRESS_MS, on_progress, c);
    guint sig_int = g_unix_signal_add(SIGINT, on_signal, c);
    guint sig_term = g_unix_signal_add(SIGTERM, on_signal, c);
    c->started_mono_us = g_get_monotonic_time();
    if (gst_element_set_state(c->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        c->failed = true;
        if (!c->error)
            c->error = g_strdup("the pipeline does not start");
    } else {
        g_main_loop_run(c->loop);
    }
    gst_element_set_state(c->pipe, GST_STATE_NULL);
    g_source_remove(timer);
    g_source_remove(watch);
    g_source_remove(sig_int);
    g_source_remove(sig_term);
    g_main_loop_unref(c->loop);
    return !c->failed;
}

/* ---- the command ---- */

static int compose(const compose_opts *o)
{
    char err[512] = "";
    composer c = {.o = o};
    g_autofree char *output =
        o->output ? g_strdup(o->output) : g_build_filename(o->dir, TB_REC_COMPOSITION_NAME, NULL);
    g_autofree char *part = g_strconcat(output, ".part", NULL);
    g_autofree char *faststart = g_strconcat(output, ".moov", NULL);
    g_autofree char *file = g_path_get_basename(output);
    c.m = tb_rec_manifest_load(o->dir, err, sizeof err);
    if (!c.m) {
        TB_LOG_ERR("%s", err);
        emit(json_pack("{s:s, s:s}", "event", "failed", "error", err));
        return 1;
    }
    /* Whatever a dead recorder left "recording" is what it is: compose what is there. */
    tb_rec_manifest_mark_interrupted(c.m);
    if (o->catalog_path) {
        c.cat = tb_rec_catalog_open(o->catalog_path, err, sizeof err);
        if (!c.cat || tb_rec_recordings_init(c.cat))
            TB_LOG_WARN("catalog: %s: composing without it", err);
        else
            tb_rec_composition_begin(c.cat, c.m->session, file,
                                     o->layout == TB_REC_LAYOUT_GRID ? "grid" : "speaker", o->width,
                                     o->height, &c.comp_id);
    }
    emit(json_pack("{s:s, s:i}", "event", "analyzing", "tracks", (int)c.m->tracks->len));
    rec_analysis a = {0};
    rec_analyze(c.m, o->dir, &a);
    c.an = &a;
    tb_rec_plan_opts po = {o->layout, o->width, o->height};
    c.plan = tb_rec_plan_build(c.m, a.files, &po, err, sizeof err);
    bool ok = false;
    if (!c.plan) {
        c.error = g_strdup(err);
    } else {
        TB_LOG_INFO("%s: %.1f s, %u tiles, %u files, %u layout changes", c.m->session,
                    c.plan->duration_ns / 1e9, c.plan->tiles->len, c.plan->sources->len,
                    c.plan->cues->len);
        emit(json_pack("{s:s, s:f, s:i}", "event", "composing", "duration_s",
                       c.plan->duration_ns / 1e9, "tiles", (int)c.plan->tiles->len));
        ok = build(&c, part, faststart) && run(&c);
    }
    if (c.pipe)
        gst_object_unref(c.pipe);
    remove(faststart);
    struct stat stt;
    if (ok && (rename(part, output) || stat(output, &stt))) {
        c.error = g_strdup_printf("%s: %s", output, g_strerror(errno));
        ok = false;
    }
    if (!ok)
        remove(part);
    double took = (g_get_monotonic_time() - c.started_mono_us) / 1e6;
    int64_t dur_us = c.plan ? c.plan->duration_ns / 1000 : 0;
    if (ok) {
        TB_LOG_INFO("%s written: %.1f s of media in %.1f s (%.1fx real time)", output, dur_us / 1e6,
                    took, took > 0 ? dur_us / 1e6 / took : 0);
        emit(json_pack("{s:s, s:s, s:f, s:f, s:f}", "event", "done", "file", file, "duration_s",
                       dur_us / 1e6, "seconds", took, "speed", took > 0 ? dur_us / 1e6 / took : 0));
    } else {
        TB_LOG_ERR("composition of %s failed: %s", c.m->session, c.error ? c.error : "?");
        emit(json_pack("{s:s, s:s}", "event", "failed", "error", c.error ? c.error : "?"));
    }
    if (c.cat && c.comp_id)
        tb_rec_composition_end(c.cat, c.comp_id, ok, dur_us, ok ? (int64_t)stt.st_size : 0,
                               c.error);
    tb_rec_catalog_close(c.cat);
    tb_rec_plan_free(c.plan);
    rec_analysis_clear(&a);
    tb_rec_manifest_free(c.m);
    g_free(c.error);
    return ok ? 0 : 1;
}

static char *default_config(void)
{
    if (g_file_test("configs/telebridge.ini", G_FILE_TEST_EXISTS))
        return g_strdup("configs/telebridge.ini");
    return g_build_filename(TB_SOURCE_DIR, "configs", "telebridge.ini", NULL);
}

int rec_compose_main(int argc, char **argv)
{
    g_autofree char *config = NULL, *dir = NULL, *output = NULL, *layout = NULL, *size = NULL;
    g_autofree char *venc = NULL, *aenc = NULL;
    g_auto(GStrv) overrides = NULL;
    gboolean no_catalog = FALSE;
    int fps = 0, vkbps = 0;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
         "Configuration file (default configs/telebridge.ini)", "FILE"},
        {"set", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
         "Override a config key, e.g. -o recording.layout=grid", "SECTION.KEY=VALUE"},
        {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
         "Session folder (default <var_dir>/recordings/SESSION)", "DIR"},
        {"output", 0, 0, G_OPTION_ARG_FILENAME, &output,
         "File to write (default composition.mp4 in the session folder)", "FILE"},
        {"layout", 0, 0, G_OPTION_ARG_STRING, &layout, "speaker or grid", "LAYOUT"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &size, "Picture size, e.g. 1280x720", "WxH"},
        {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second", "N"},
        {"video-encoder", 0, 0, G_OPTION_ARG_STRING, &venc, "x264 or openh264", "NAME"},
        {"video-kbps", 0, 0, G_OPTION_ARG_INT, &vkbps, "Video bitrate", "KBPS"},
        {"audio-encoder", 0, 0, G_OPTION_ARG_STRING, &aenc, "avenc_aac or voaacenc", "NAME"},
        {"no-catalog", 0, 0, G_OPTION_ARG_NONE, &no_catalog,
         "Do not record the composition in the catalog", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("SESSION - make the publication file of a session");
    g_option_context_set_summary(oc,
                                 "Lays out every recorded video (active speaker large, the others "
                                 "in a strip; or a grid),\nmixes the audio, aligns them by the "
                                 "recording's clocks and writes H.264/AAC MP4 (faststart).\n"
                                 "Progress is printed as JSON lines on stdout.");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    bool parsed = g_option_context_parse(oc, &argc, &argv, &gerr);
    g_option_context_free(oc);
    if (!parsed || argc != 2 || !tb_rec_session_id_valid(argv[1])) {
        fprintf(stderr, "telebridge-recorder compose: %s\n",
                gerr ? gerr->message : "give one session id (s + 16 hex digits)");
        g_clear_error(&gerr);
        return 2;
    }
    if (!config)
        config = default_config();
    tb_config cfg;
    char err[512];
    if (tb_config_load(&cfg, config, (const char *const *)overrides, err, sizeof err)) {
        fprintf(stderr, "telebridge-recorder: %s\n", err);
        tb_config_clear(&cfg);
        return 1;
    }
    g_autofree char *recordings = g_build_filename(cfg.server.var_dir, "recordings", NULL);
    g_autofree char *session_dir =
        dir ? g_strdup(dir) : g_build_filename(recordings, argv[1], NULL);
    g_autofree char *db = g_build_filename(cfg.server.var_dir, "telebridge.db", NULL);
    compose_opts o = {
        .session = argv[1],
        .dir = session_dir,
        .output = output,
        .catalog_path = no_catalog ? NULL : db,
        .layout = layout && !strcmp(layout, "grid") ? TB_REC_LAYOUT_GRID : TB_REC_LAYOUT_SPEAKER,
        .width = 1280,
        .height = 720,
        .fps = fps > 0 ? fps : 25,
        .video_encoder = venc ? venc : "x264",
        .video_kbps = vkbps > 0 ? vkbps : 2500,
        .audio_encoder = aenc ? aenc : "avenc_aac",
        .audio_kbps = 128,
    };
    if (layout && strcmp(layout, "grid") && strcmp(layout, "speaker")) {
        fprintf(stderr, "telebridge-recorder compose: --layout: speaker or grid\n");
        tb_config_clear(&cfg);
        return 2;
    }
    if (size && (sscanf(size, "%dx%d", &o.width, &o.height) != 2 || o.width < 160 ||
                 o.height < 90 || o.width > 3840 || o.height > 2160 || (o.width | o.height) & 1)) {
        fprintf(stderr, "telebridge-recorder compose: --size: WxH, even, 160x90..3840x2160\n");
        tb_config_clear(&cfg);
        return 2;
    }
    int rc = compose(&o);
    tb_config_clear(&cfg);
    return rc;
}
