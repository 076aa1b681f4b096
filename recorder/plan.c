/* plan.c — the composition plan: where each recorded file lands on the output timeline,
 * and which tile is where when. Pure: manifest and analysis in, plan out, so that the
 * alignment, the layout and the speaker choice are unit-tested without decoding video
 * (tests/unit/recorder/test_plan.c). compose.c turns a plan into a GStreamer pipeline. */
#define TB_LOG_CAT "rec/plan"
#include "recorder/tb_rec.h"
#include "common/tb_log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MARGIN 8
/* Speaker choice: a window of levels is averaged; a voice must stand above the floor,
 * lead for HOLD steps before it takes over, and takeovers are spaced by GAP steps. */
#define SPEAK_WINDOW   8
#define SPEAK_FLOOR_DB -50.0f
#define SPEAK_HOLD     15
#define SPEAK_GAP      30
/* A sender clock whose offset to ours differs from the participant's best by more than
 * this is not believed (a sender report from another clock, or a broken one). */
#define MAX_CLOCK_SPREAD_US (2 * G_USEC_PER_SEC)
/* Presence gaps shorter than this do not make a tile disappear and come back. */
#define PRESENCE_JOIN_NS (1500 * G_GINT64_CONSTANT(1000000))

/* ---- layout ---- */

/* The largest 16:9 rect inside (x, y, w, h), centred. */
static tb_rec_rect fit(int x, int y, int w, int h)
{
    int tw = w, th = w * 9 / 16;
    if (th > h) {
        th = h;
        tw = h * 16 / 9;
    }
    tw &= ~1;
    th &= ~1;
    return (tb_rec_rect){x + (w - tw) / 2, y + (h - th) / 2, tw, th};
}

static void layout_grid(int W, int H, int n, tb_rec_rect *r)
{
    int cols = 1;
    while (cols * cols < n)
        cols++;
    int rows = (n + cols - 1) / cols;
    int cw = (W - MARGIN) / cols, ch = (H - MARGIN) / rows;
    for (int i = 0; i < n; i++) {
        int row = i / cols, col = i % cols;
        int in_row = row == rows - 1 ? n - row * cols : cols; /* centre a short last row */
        int x0 = MARGIN / 2 + (W - MARGIN - in_row * cw) / 2;
        r[i] = fit(x0 + col * cw + MARGIN / 2, MARGIN / 2 + row * ch + MARGIN / 2, cw - MARGIN,
                   ch - MARGIN);
    }
}

static void layout_speaker(int W, int H, int n, int big, tb_rec_rect *r)
{
    if (n == 1) {
        r[0] = fit(MARGIN, MARGIN, W - 2 * MARGIN, H - 2 * MARGIN);
        return;
    }
    int others = n - 1;
    int strip_h = H / 5;
    int sw = MIN(strip_h * 16 / 9, (W - MARGIN) / others - MARGIN);
    int sh = sw * 9 / 16;
    int strip_y = H - MARGIN - sh;
    r[big] = fit(MARGIN, MARGIN, W - 2 * MARGIN, strip_y - 2 * MARGIN);
    int x = (W - (others * sw + (others - 1) * MARGIN)) / 2;
    for (int i = 0; i < n; i++) {
        if (i == big)
            continue;
        r[i] = fit(x, strip_y, sw, sh);
        x += sw + MARGIN;
    }
}

void tb_rec_layout(tb_rec_layout_mode mode, int width, int height, int n, int big,
                   tb_rec_rect *rects)
{
    if (n <= 0)
        return;
    if (big < 0 || big >= n)
        big = 0;
    if (mode == TB_REC_LAYOUT_GRID)
        layout_grid(width, height, n, rects);
    else
        layout_speaker(width, height, n, big, rects);
}

/* ---- active speaker ---- */

void tb_rec_speakers(const float *levels, int np, size_t n_steps, int *out)
{
    int cur = -1, cand = -1;
    size_t cand_since = 0, last_switch = 0;
    for (size_t k = 0; k < n_steps; k++) {
        int best = -1;
        float best_db = SPEAK_FLOOR_DB;
        for (int p = 0; p < np; p++) {
            float sum = 0;
            size_t from = k + 1 >= SPEAK_WINDOW ? k + 1 - SPEAK_WINDOW : 0;
            for (size_t j = from; j <= k; j++)
                sum += levels[(size_t)p * n_steps + j];
            float avg = sum / (float)(k + 1 - from);
            if (avg > best_db) {
                best_db = avg;
                best = p;
            }
        }
        if (best != cand) {
            cand = best;
            cand_since = k;
        }
        if (cur < 0 && cand >= 0) {
            cur = cand;
            last_switch = k;
        } else if (cand >= 0 && cand != cur && k - cand_since >= SPEAK_HOLD &&
                   k - last_switch >= SPEAK_GAP) {
            cur = cand;
            last_switch = k;
        }
        out[k] = cur;
    }
}

/* ---- alignment ---- */

typedef struct span {
    int64_t from_ns, to_ns;
} span;

typedef struct builder {
    const tb_rec_manifest *m;
    const tb_rec_plan_file *files;
    const tb_rec_plan_opts *o;
    tb_rec_plan *plan;
    int64_t *aligned0_us; /* per track: wall clock of file time 0, aligned */
    int64_t *out0_ns;     /* per track: output time of file time 0 */
    int *tile_of;         /* per track: video tile, or -1 */
    int *part_of;         /* per track: participant index */
    GArray **video;       /* per tile: spans (output ns) with video */
    GPtrArray *pids;      /* participant ids (borrowed), in order of appearance */
} builder;

static bool usable(const builder *b, guint i)
{
    const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
    return b->files[i].usable && t->start_us > 0 && b->files[i].last_us > b->files[i].first_us;
}

/* Wall clock of each track's file time 0: the sender's clock mapped to ours. */
static void align(builder *b)
{
    guint n = b->m->tracks->len;
    for (guint i = 0; i < n; i++) {
        const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
        b->aligned0_us[i] = t->start_us;
        if (!usable(b, i) || !t->sender_start_us)
            continue;
        /* The participant's offset: the least arrival delay among its tracks of this
         * segment that have a sender report. */
        int64_t best = INT64_MAX;
        for (guint j = 0; j < n; j++) {
            const tb_rec_track *u = g_ptr_array_index(b->m->tracks, j);
            if (usable(b, j) && u->sender_start_us && u->segment == t->segment &&
                !strcmp(u->participant_id, t->participant_id))
                best = MIN(best, u->start_us - u->sender_start_us);
        }
        int64_t own = t->start_us - t->sender_start_us;
        if (own - best <= MAX_CLOCK_SPREAD_US)
            b->aligned0_us[i] = t->sender_start_us + best;
    }
}

/* Output times: segments laid end to end, each from its start (the files' common time 0,
 * so no file needs a negative offset on the mixers, which GStreamer 1.22's compositor
 * never finishes with) to its last frame. */
static void place(builder *b)
{
    guint n = b->m->tracks->len;
    int64_t out_at = 0;
    for (guint s = 0; s < b->m->segments->len; s++) {
        const tb_rec_segment *seg = g_ptr_array_index(b->m->segments, s);
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (guint i = 0; i < n; i++) {
            const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
            if (t->segment != seg->index || !usable(b, i))
                continue;
            lo = MIN(lo, b->aligned0_us[i]);
            hi = MAX(hi, b->aligned0_us[i] + b->files[i].last_us);
        }
        if (lo >= hi)
            continue;
        for (guint i = 0; i < n; i++) {
            const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
            if (t->segment == seg->index && usable(b, i))
                b->out0_ns[i] = (out_at + b->aligned0_us[i] - lo) * 1000;
        }
        out_at += hi - lo;
    }
    b->plan->duration_ns = out_at * 1000;
}

static void add_span(GArray *a, int64_t from, int64_t to)
{
    span s = {MAX(from, 0), to};
    if (s.to_ns > s.from_ns)
        g_array_append_val(a, s);
}

static gint span_cmp(gconstpointer x, gconstpointer y)
{
    const span *a = x, *b = y;
    return a->from_ns < b->from_ns ? -1 : a->from_ns > b->from_ns;
}

/* Sorts and merges spans closer than `join`. */
static void merge_spans(GArray *a, int64_t join)
{
    g_array_sort(a, span_cmp);
    guint w = 0;
    for (guint i = 0; i < a->len; i++) {
        span s = g_array_index(a, span, i);
        if (w > 0 && s.from_ns <= g_array_index(a, span, w - 1).to_ns + join) {
            span *last = &g_array_index(a, span, w - 1);
            last->to_ns = MAX(last->to_ns, s.to_ns);
        } else {
            g_array_index(a, span, w++) = s;
        }
    }
    g_array_set_size(a, w);
}

static bool covers(const GArray *a, int64_t t)
{
    for (guint i = 0; i < a->len; i++) {
        const span *s = &g_array_index(a, span, i);
        if (t >= s->from_ns && t < s->to_ns)
            return true;
    }
    return false;
}

static int participant_index(builder *b, const char *pid)
{
    for (guint i = 0; i < b->pids->len; i++)
        if (!strcmp(g_ptr_array_index(b->pids, i), pid))
            return (int)i;
    g_ptr_array_add(b->pids, (gpointer)pid);
    return (int)b->pids->len - 1;
}

static int add_tile(builder *b, const char *pid, const char *name, bool screen)
{
    for (guint i = 0; i < b->plan->tiles->len; i++) {
        tb_rec_plan_tile *t = g_ptr_array_index(b->plan->tiles, i);
        if (!strcmp(t->participant_id, pid) && t->screen == screen)
            return (int)i;
    }
    tb_rec_plan_tile *t = g_new0(tb_rec_plan_tile, 1);
    t->participant_id = g_strdup(pid);
    t->name = g_strdup(name);
    t->screen = screen;
    g_ptr_array_add(b->plan->tiles, t);
    return (int)b->plan->tiles->len - 1;
}

/* Tiles (cameras in order of appearance, screens after them) and the sources. */
static void collect(builder *b)
{
    guint n = b->m->tracks->len;
    /* In order of first media, so that tiles appear in the order people arrived. */
    g_autofree guint *order = g_new(guint, n);
    guint k = 0;
    for (guint i = 0; i < n; i++)
        if (usable(b, i))
            order[k++] = i;
    for (guint a = 1; a < k; a++)
        for (guint c = a; c > 0; c--) {
            int64_t x = b->out0_ns[order[c - 1]] + b->files[order[c - 1]].first_us * 1000;
            int64_t y = b->out0_ns[order[c]] + b->files[order[c]].first_us * 1000;
            if (x <= y)
                break;
            guint tmp = order[c];
            order[c] = order[c - 1];
            order[c - 1] = tmp;
        }
    for (int pass = 0; pass < 2; pass++)
        for (guint j = 0; j < k; j++) {
            guint i = order[j];
            const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
            bool screen = !strcmp(t->kind, "video") && !strcmp(t->label, "screen");
            b->part_of[i] = participant_index(b, t->participant_id);
            if (pass == 0 && !screen)
                add_tile(b, t->participant_id, t->name, false);
            if (pass == 1 && screen)
                b->tile_of[i] = add_tile(b, t->participant_id, t->name, true);
            if (pass == 0 && !strcmp(t->kind, "video") && !screen)
                b->tile_of[i] = add_tile(b, t->participant_id, t->name, false);
        }
    for (guint j = 0; j < k; j++) {
        guint i = order[j];
        const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
        tb_rec_plan_source src = {(int)i, !strcmp(t->kind, "video") ? b->tile_of[i] : -1,
                                  b->out0_ns[i]};
        g_array_append_val(b->plan->sources, src);
    }
}

/* When each tile is shown, on the output timeline: a camera tile while its participant
 * is heard or seen (a placeholder stands in where there is no video), a screen tile
 * while the screen is shared. */
static void coverage(builder *b, GArray **present)
{
    guint n = b->m->tracks->len, nt = b->plan->tiles->len;
    for (guint i = 0; i < nt; i++) {
        present[i] = g_array_new(FALSE, FALSE, sizeof(span));
        b->video[i] = g_array_new(FALSE, FALSE, sizeof(span));
    }
    for (guint i = 0; i < n; i++) {
        if (!usable(b, i))
            continue;
        const tb_rec_track *t = g_ptr_array_index(b->m->tracks, i);
        int64_t from = b->out0_ns[i] + b->files[i].first_us * 1000;
        int64_t to = b->out0_ns[i] + b->files[i].last_us * 1000;
        if (b->tile_of[i] >= 0) {
            add_span(present[b->tile_of[i]], from, to);
            add_span(b->video[b->tile_of[i]], from, to);
        }
        if (!strcmp(t->kind, "audio"))
            for (guint j = 0; j < nt; j++) {
                tb_rec_plan_tile *tile = g_ptr_array_index(b->plan->tiles, j);
                if (!tile->screen && !strcmp(tile->participant_id, t->participant_id))
                    add_span(present[j], from, to);
            }
    }
    for (guint i = 0; i < nt; i++) {
        merge_spans(present[i], PRESENCE_JOIN_NS);
        merge_spans(b->video[i], 0);
    }
}

/* Per-participant levels on the output timeline, then the speaker per step. */
static int *speakers(builder *b, size_t n_steps)
{
    int np = (int)b->pids->len;
    float *lv = g_new(float, (size_t)np *n_steps);
    for (size_t i = 0; i < (size_t)np * n_steps; i++)
        lv[i] = -100.0f;
    for (guint i = 0; i < b->m->tracks->len; i++) {
        const tb_rec_plan_file *f = &b->files[i];
        if (!usable(b, i) || !f->levels)
            continue;
        int p = b->part_of[i];
        for (size_t k = 0; k < n_steps; k++) {
            int64_t file_ms =
                ((int64_t)k * TB_REC_LEVEL_STEP_MS * 1000000 - b->out0_ns[i]) / 1000000;
            if (file_ms < 0)
                continue;
            size_t idx = (size_t)(file_ms / TB_REC_LEVEL_STEP_MS);
            if (idx < f->n_levels)
                lv[(size_t)p * n_steps + k] = MAX(lv[(size_t)p * n_steps + k], f->levels[idx]);
        }
    }
    int *out = g_new(int, n_steps);
    tb_rec_speakers(lv, np, n_steps, out);
    g_free(lv);
    return out;
}

/* The big tile at time t: the latest screen share shown, else the speaker's camera. */
static int choose_big(builder *b, GArray **present, int64_t t, int speaker)
{
    int big = -1;
    int64_t latest = -1;
    for (guint i = 0; i < b->plan->tiles->len; i++) {
        tb_rec_plan_tile *tile = g_ptr_array_index(b->plan->tiles, i);
        if (!tile->screen || !covers(present[i], t))
            continue;
        for (guint s = 0; s < present[i]->len; s++) {
            const span *sp = &g_array_index(present[i], span, s);
            if (t >= sp->from_ns && t < sp->to_ns && sp->from_ns > latest) {
                latest = sp->from_ns;
                big = (int)i;
            }
        }
    }
    if (big >= 0 || speaker < 0)
        return big;
    const char *pid = g_ptr_array_index(b->pids, speaker);
    for (guint i = 0; i < b->plan->tiles->len; i++) {
        tb_rec_plan_tile *tile = g_ptr_array_index(b->plan->tiles, i);
        if (!tile->screen && !strcmp(tile->participant_id, pid) && covers(present[i], t))
            return (int)i;
    }
    return -1;
}

static void add_cue(builder *b, int64_t at, GArray **present, int speaker)
{
    guint nt = b->plan->tiles->len;
    g_autofree int *visible = g_new(int, nt);
    int nv = 0, big = choose_big(b, present, at, speaker), big_v = 0;
    for (guint i = 0; i < nt; i++)
        if (covers(present[i], at)) {
            if ((int)i == big)
                big_v = nv;
            visible[nv++] = (int)i;
        }
    tb_rec_plan_cue cue = {at, g_new0(tb_rec_rect, nt), g_new0(bool, nt), big};
    g_autofree tb_rec_rect *r = g_new0(tb_rec_rect, MAX(nv, 1));
    tb_rec_layout(b->o->layout, b->plan->width, b->plan->height, nv, big_v, r);
    for (int v = 0; v < nv; v++) {
        cue.rects[visible[v]] = r[v];
        cue.video[visible[v]] = covers(b->video[visible[v]], at);
    }
    if (b->plan->cues->len > 0) {
        tb_rec_plan_cue *last =
            &g_array_index(b->plan->cues, tb_rec_plan_cue, b->plan->cues->len - 1);
        if (!memcmp(last->rects, cue.rects, nt * sizeof(tb_rec_rect)) &&
            !memcmp(last->video, cue.video, nt * sizeof(bool))) {
            g_free(cue.rects);
            g_free(cue.video);
            return;
        }
    }
    g_array_append_val(b->plan->cues, cue);
}

static gint time_cmp(gconstpointer x, gconstpointer y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* Cues wherever a tile appears or goes, or the speaker changes. */
static void cues(builder *b, GArray **present)
{
    int64_t step = (int64_t)TB_REC_LEVEL_STEP_MS * 1000000;
    size_t n_steps = (size_t)(b->plan->duration_ns / step) + 1;
    g_autofree int *spk = b->o->layout == TB_REC_LAYOUT_SPEAKER ? speakers(b, n_steps) : NULL;
    GArray *times = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int64_t zero = 0;
    g_array_append_val(times, zero);
    for (guint i = 0; i < b->plan->tiles->len; i++)
        for (int v = 0; v < 2; v++) {
            GArray *spans = v ? b->video[i] : present[i];
            for (guint s = 0; s < spans->len; s++) {
                const span *sp = &g_array_index(spans, span, s);
                g_array_append_val(times, sp->from_ns);
                g_array_append_val(times, sp->to_ns);
            }
        }
    for (size_t k = 1; spk && k < n_steps; k++)
        if (spk[k] != spk[k - 1]) {
            int64_t t = (int64_t)k * step;
            g_array_append_val(times, t);
        }
    g_array_sort(times, time_cmp);
    int64_t prev = -1;
    for (guint i = 0; i < times->len; i++) {
        int64_t t = g_array_index(times, int64_t, i);
        if (t == prev || t >= b->plan->duration_ns)
            continue;
        prev = t;
        size_t k = (size_t)(t / step);
        add_cue(b, t, present, spk && k < n_steps ? spk[k] : -1);
    }
    g_array_unref(times);
}

static void cue_clear(gpointer p)
{
    g_free(((tb_rec_plan_cue *)p)->rects);
    g_free(((tb_rec_plan_cue *)p)->video);
}

static void tile_free(gpointer p)
{
    tb_rec_plan_tile *t = p;
    g_free(t->participant_id);
    g_free(t->name);
    g_free(t);
}

void tb_rec_plan_free(tb_rec_plan *p)
{
    if (!p)
        return;
    g_array_unref(p->sources);
    g_ptr_array_unref(p->tiles);
    g_array_unref(p->cues);
    g_free(p);
}

tb_rec_plan *tb_rec_plan_build(const tb_rec_manifest *m, const tb_rec_plan_file *files,
                               const tb_rec_plan_opts *o, char *err, size_t errlen)
{
    guint n = m->tracks->len;
    tb_rec_plan *p = g_new0(tb_rec_plan, 1);
    p->width = o->width;
    p->height = o->height;
    p->sources = g_array_new(FALSE, FALSE, sizeof(tb_rec_plan_source));
    p->tiles = g_ptr_array_new_with_free_func(tile_free);
    p->cues = g_array_new(FALSE, FALSE, sizeof(tb_rec_plan_cue));
    g_array_set_clear_func(p->cues, cue_clear);
    builder b = {.m = m, .files = files, .o = o, .plan = p};
    b.aligned0_us = g_new0(int64_t, MAX(n, 1));
    b.out0_ns = g_new0(int64_t, MAX(n, 1));
    b.tile_of = g_new(int, MAX(n, 1));
    b.part_of = g_new0(int, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        b.tile_of[i] = -1;
    b.pids = g_ptr_array_new();
    align(&b);
    place(&b);
    if (p->duration_ns <= 0) {
        snprintf(err, errlen, "session %s: no usable recorded media", m->session);
        tb_rec_plan_free(p);
        p = NULL;
    } else {
        collect(&b);
        guint nt = p->tiles->len;
        GArray **present = g_new0(GArray *, MAX(nt, 1));
        b.video = g_new0(GArray *, MAX(nt, 1));
        coverage(&b, present);
        cues(&b, present);
        for (guint i = 0; i < nt; i++) {
            g_array_unref(present[i]);
            g_array_unref(b.video[i]);
        }
        g_free(present);
        g_free(b.video);
    }
    g_free(b.aligned0_us);
    g_free(b.out0_ns);
    g_free(b.tile_of);
    g_free(b.part_of);
    g_ptr_array_unref(b.pids);
    return p;
}
