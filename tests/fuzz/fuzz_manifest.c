/* fuzz_manifest.c — libFuzzer target for recorder/manifest.c: a recording's
 * manifest.json as it is read back from a session folder (tb_rec_manifest_parse), and
 * what the recorder does with one it loaded.
 *
 * The input is the file's text, passed with its length and no NUL after it. A manifest
 * that parses must come back the same through the writer: its text, parsed again and
 * written again, is the same text, and every file it names is a plain name. Then, as a
 * restarted recorder does, unfinished parts are marked interrupted and a new segment is
 * begun (refused only when its number would be out of range); the writer's text for that
 * must parse again. */
#include "tests/fuzz/support.h"
#include "recorder/tb_rec.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lookups(const tb_rec_manifest *m)
{
    for (guint i = 0; i < m->tracks->len; i++) {
        const tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        FZ_CHECK(t->file && *t->file && !strchr(t->file, '/') && t->file[0] != '.');
        FZ_CHECK(t->clock_rate > 0);
        const tb_rec_track *found = tb_rec_manifest_track(m, t->id, t->segment);
        FZ_CHECK(found && !strcmp(found->id, t->id) && found->segment == t->segment);
        FZ_CHECK(tb_rec_manifest_track(m, t->id, -1) != NULL);
    }
    for (guint i = 0; i < m->participants->len; i++) {
        const tb_rec_participant *p = g_ptr_array_index(m->participants, i);
        FZ_CHECK(tb_rec_manifest_participant(m, p->id) != NULL);
    }
    for (guint i = 0; i < m->segments->len; i++) {
        const tb_rec_segment *s = g_ptr_array_index(m->segments, i);
        FZ_CHECK(tb_rec_manifest_segment(m, s->index) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    tb_rec_manifest *m = tb_rec_manifest_parse((const char *)data, size, err, sizeof err);
    if (!m) {
        FZ_CHECK(err[0] != '\0'); /* a refusal always says why */
        return 0;
    }
    FZ_CHECK(m->version == TB_REC_MANIFEST_VERSION && tb_rec_session_id_valid(m->session));
    check_lookups(m);

    char *text = tb_rec_manifest_to_text(m);
    FZ_CHECK(text != NULL);
    tb_rec_manifest *again = tb_rec_manifest_parse(text, strlen(text), err, sizeof err);
    FZ_CHECK(again != NULL);
    char *text2 = tb_rec_manifest_to_text(again);
    FZ_CHECK(!strcmp(text, text2));
    g_free(text2);
    tb_rec_manifest_free(again);
    g_free(text);

    guint segments = m->segments->len;
    tb_rec_manifest_mark_interrupted(m);
    tb_rec_segment *s = tb_rec_manifest_begin_segment(m, 1700000000000000);
    if (!s) { /* refused: only when the next number would be out of range */
        FZ_CHECK(m->segments->len == segments && segments > 0);
        tb_rec_manifest_free(m);
        return 0;
    }
    FZ_CHECK(s->state == TB_REC_SEGMENT_RECORDING && m->segments->len == segments + 1);
    for (guint i = 0; i < segments; i++) {
        const tb_rec_segment *o = g_ptr_array_index(m->segments, i);
        FZ_CHECK(o->state != TB_REC_SEGMENT_RECORDING && o->index < s->index);
    }
    text = tb_rec_manifest_to_text(m);
    again = tb_rec_manifest_parse(text, strlen(text), err, sizeof err);
    FZ_CHECK(again != NULL);
    tb_rec_manifest_free(again);
    g_free(text);
    tb_rec_manifest_free(m);
    return 0;
}
