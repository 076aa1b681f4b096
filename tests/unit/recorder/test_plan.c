/* Composition plan: layouts (inside the frame, no overlaps, the speaker large), the
 * active-speaker choice (no flicker), and the timeline: lip sync from sender reports,
 * late joiners and early leavers at their offsets, segments laid end to end. */
#include "recorder/tb_rec.h"

#include <glib.h>
#include <string.h>

#define S  G_GINT64_CONSTANT(1000000) /* µs */
#define T0 G_GINT64_CONSTANT(1795000000000000)

static bool overlap(tb_rec_rect a, tb_rec_rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void check_rects(const tb_rec_rect *r, int n, int w, int h)
{
    for (int i = 0; i < n; i++) {
        g_assert_cmpint(r[i].w, >, 0);
        g_assert_cmpint(r[i].h, >, 0);
        g_assert_cmpint(r[i].x, >=, 0);
        g_assert_cmpint(r[i].y, >=, 0);
        g_assert_cmpint(r[i].x + r[i].w, <=, w);
        g_assert_cmpint(r[i].y + r[i].h, <=, h);
        g_assert_cmpint(r[i].w % 2, ==, 0);
        for (int j = 0; j < i; j++)
            g_assert_false(overlap(r[i], r[j]));
    }
}

static void test_layout(void)
{
    tb_rec_rect r[16];
    for (int n = 1; n <= 16; n++) {
        tb_rec_layout(TB_REC_LAYOUT_GRID, 1280, 720, n, 0, r);
        check_rects(r, n, 1280, 720);
        for (int big = 0; big < n; big++) {
            tb_rec_layout(TB_REC_LAYOUT_SPEAKER, 1280, 720, n, big, r);
            check_rects(r, n, 1280, 720);
            for (int i = 0; i < n; i++)
                if (i != big)
                    g_assert_cmpint(r[big].w, >, 2 * r[i].w);
        }
    }
    /* One participant fills the frame, minus the margin. */
    tb_rec_layout(TB_REC_LAYOUT_SPEAKER, 1280, 720, 1, 0, r);
    g_assert_cmpint(r[0].w, >=, 1240);
    /* Two in a grid side by side, each half the width. */
    tb_rec_layout(TB_REC_LAYOUT_GRID, 1280, 720, 2, 0, r);
    g_assert_cmpint(r[0].y, ==, r[1].y);
    g_assert_cmpint(r[0].w, >=, 600);
}

static void test_speakers(void)
{
    enum { N = 200 };
    float lv[2 * N];
    int out[N];
    for (int k = 0; k < N; k++) {
        lv[k] = k < 100 ? -20.0f : -90.0f;      /* A talks for 10 s */
        lv[N + k] = k >= 100 ? -25.0f : -90.0f; /* then B */
        if (k == 50)
            lv[N + k] = -5.0f; /* a cough from B: no switch */
    }
    tb_rec_speakers(lv, 2, N, out);
    g_assert_cmpint(out[0], ==, 0);
    g_assert_cmpint(out[55], ==, 0);
    g_assert_cmpint(out[99], ==, 0);
    g_assert_cmpint(out[199], ==, 1);
    int switches = 0;
    for (int k = 1; k < N; k++)
        switches += out[k] != out[k - 1];
    g_assert_cmpint(switches, ==, 1);
    /* Silence: nobody yet. */
    for (int k = 0; k < 2 * N; k++)
        lv[k] = -100.0f;
    tb_rec_speakers(lv, 2, N, out);
    g_assert_cmpint(out[N - 1], ==, -1);
}

static tb_rec_track *track(tb_rec_manifest *m, const char *id, const char *pid, const char *name,
                           const char *kind, int segment, int64_t start, int64_t sender)
{
    tb_rec_track *t = g_new0(tb_rec_track, 1);
    t->id = g_strdup(id);
    t->participant_id = g_strdup(pid);
    t->name = g_strdup(name);
    t->kind = g_strdup(kind);
    t->label = g_strdup(!strcmp(kind, "audio") ? "microphone" : "camera");
    t->codec = g_strdup(!strcmp(kind, "audio") ? "opus" : "VP8");
    t->clock_rate = !strcmp(kind, "audio") ? 48000 : 90000;
    t->file = g_strdup_printf("%d-%s.webm", segment, id);
    t->segment = segment;
    t->state = TB_REC_TRACK_DONE;
    t->start_us = start;
    t->sender_start_us = sender;
    g_ptr_array_add(m->tracks, t);
    return t;
}

static const tb_rec_plan_source *source_of(const tb_rec_plan *p, int track)
{
    for (guint i = 0; i < p->sources->len; i++) {
        const tb_rec_plan_source *s = &g_array_index(p->sources, tb_rec_plan_source, i);
        if (s->track == track)
            return s;
    }
    return NULL;
}

static void test_timeline(void)
{
    g_autoptr(tb_rec_manifest) m = tb_rec_manifest_new("s0123456789abcdef", "r");
    tb_rec_manifest_begin_segment(m, T0);
    /* Anna: her video's first keyframe arrived 120 ms after its capture, her audio 20 ms
     * after; her clock runs 5 s behind ours. Sender reports put both right. */
    track(m, "ta", "pa", "Анна", "audio", 0, T0 + 20000, T0 - 5 * S);
    track(m, "va", "pa", "Анна", "video", 0, T0 + 120000, T0 - 5 * S);
    /* Ivan joins 4 s later, without sender reports, and leaves at 7 s. */
    track(m, "ti", "pi", "Иван", "audio", 0, T0 + 4 * S, 0);
    /* A second segment an hour later (the recorder restarted). */
    tb_rec_manifest_begin_segment(m, T0 + 3600 * S);
    track(m, "ta2", "pa", "Анна", "audio", 1, T0 + 3600 * S, 0);
    tb_rec_plan_file f[5] = {
        {true, 0, 10 * S, NULL, 0},
        {true, 0, 10 * S - 100000, NULL, 0},
        {true, 300000, 3 * S, NULL, 0},
        /* his first frame 0.3 s into his file */ {true, 0, 2 * S, NULL, 0},
        {false, 0, 0, NULL, 0},
    };
    tb_rec_plan_opts o = {TB_REC_LAYOUT_SPEAKER, 1280, 720};
    char err[128];
    tb_rec_plan *p = tb_rec_plan_build(m, f, &o, err, sizeof err);
    g_assert_nonnull(p);
    const tb_rec_plan_source *a = source_of(p, 0), *v = source_of(p, 1), *i = source_of(p, 2),
                             *a2 = source_of(p, 3);
    g_assert_nonnull(a);
    g_assert_nonnull(v);
    g_assert_nonnull(i);
    g_assert_nonnull(a2);
    /* Lip sync: both of Anna's tracks start at her sender time 0: same output offset,
     * though the video arrived 100 ms later. */
    g_assert_cmpint(a->offset_ns, ==, v->offset_ns);
    g_assert_cmpint(a->offset_ns, ==, 0);
    /* Ivan at 4 s (our clock; Anna's mapped by her fastest track, 20 ms late). */
    g_assert_cmpint(i->offset_ns - a->offset_ns, ==, (4 * S - 20000) * G_GINT64_CONSTANT(1000));
    /* No source needs a negative offset (the mixers never finish with one). */
    for (guint k = 0; k < p->sources->len; k++)
        g_assert_cmpint(g_array_index(p->sources, tb_rec_plan_source, k).offset_ns, >=, 0);
    /* Segment 1 follows segment 0 without the hour between them. */
    g_assert_cmpint(a2->offset_ns, ==, 10 * S * G_GINT64_CONSTANT(1000));
    g_assert_cmpint(p->duration_ns, ==, 12 * S * G_GINT64_CONSTANT(1000));
    /* Tiles: Anna (camera), Ivan (placeholder); video shown in Anna's tile. */
    g_assert_cmpuint(p->tiles->len, ==, 2);
    g_assert_cmpint(v->tile, ==, 0);
    g_assert_cmpint(a->tile, ==, -1);
    /* The picture: Anna alone, then both from Ivan's arrival, then Anna alone. */
    const tb_rec_plan_cue *c0 = &g_array_index(p->cues, tb_rec_plan_cue, 0);
    g_assert_cmpint(c0->at_ns, ==, 0);
    g_assert_cmpint(c0->rects[0].w, >, 0);
    g_assert_cmpint(c0->rects[1].w, ==, 0);
    bool both = false, ivan_gone = false;
    for (guint k = 1; k < p->cues->len; k++) {
        const tb_rec_plan_cue *c = &g_array_index(p->cues, tb_rec_plan_cue, k);
        if (c->rects[0].w && c->rects[1].w) {
            both = true;
            g_assert_cmpint(c->at_ns, ==, i->offset_ns + 300000000);
        }
        if (both && !c->rects[1].w)
            ivan_gone = true;
    }
    g_assert_true(both);
    g_assert_true(ivan_gone);
    tb_rec_plan_free(p);

    /* Nothing usable: no plan. */
    for (int k = 0; k < 5; k++)
        f[k].usable = false;
    g_assert_null(tb_rec_plan_build(m, f, &o, err, sizeof err));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/plan/layout", test_layout);
    g_test_add_func("/plan/speakers", test_speakers);
    g_test_add_func("/plan/timeline", test_timeline);
    return g_test_run();
}
