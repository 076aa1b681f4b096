/* Manifest: JSON round trip, refusal of malformed or unsafe manifests, crash-safe save
 * (no temporary left, the old one whole until the rename; several writers at once each
 * with a temporary of its own), segments after a crash and numbered by the daemon, and
 * the RTP/NTP clock helpers the timing relies on. */
#include "recorder/tb_rec.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static tb_rec_manifest *sample(void)
{
    tb_rec_manifest *m = tb_rec_manifest_new("s0123456789abcdef", "совет-42");
    tb_rec_segment *seg = tb_rec_manifest_begin_segment(m, 1000);
    g_assert_cmpint(seg->index, ==, 0);
    tb_rec_participant *p = g_new0(tb_rec_participant, 1);
    p->id = g_strdup("p1");
    p->name = g_strdup("Анна \"Петрова\"");
    p->joined_us = 1000;
    g_ptr_array_add(m->participants, p);
    tb_rec_track *t = g_new0(tb_rec_track, 1);
    t->id = g_strdup("t1");
    t->participant_id = g_strdup("p1");
    t->identity = g_strdup("anna@example.org");
    t->name = g_strdup("Анна \"Петрова\"");
    t->kind = g_strdup("video");
    t->label = g_strdup("camera");
    t->codec = g_strdup("VP8");
    t->clock_rate = 90000;
    t->file = g_strdup("0-t1.webm");
    t->state = TB_REC_TRACK_RECORDING;
    t->ssrc = 0xdeadbeef;
    t->start_us = 1500;
    t->sender_start_us = 1400;
    g_ptr_array_add(m->tracks, t);
    return m;
}

static void test_roundtrip(void)
{
    g_autoptr(tb_rec_manifest) m = sample();
    g_autofree char *text = tb_rec_manifest_to_text(m);
    char err[256] = "";
    g_autoptr(tb_rec_manifest) back = tb_rec_manifest_parse(text, strlen(text), err, sizeof err);
    g_assert_nonnull(back);
    g_assert_cmpstr(back->room, ==, "совет-42");
    g_assert_cmpuint(back->tracks->len, ==, 1);
    tb_rec_track *t = tb_rec_manifest_track(back, "t1", -1);
    g_assert_nonnull(t);
    g_assert_cmpstr(t->name, ==, "Анна \"Петрова\"");
    g_assert_cmpstr(t->identity, ==, "anna@example.org");
    g_assert_cmpuint(t->ssrc, ==, 0xdeadbeef);
    g_assert_cmpint(t->start_us, ==, 1500);
    g_assert_cmpint(t->sender_start_us, ==, 1400);
    g_assert_cmpint(t->end_us, ==, 0);
    g_assert_cmpint(t->state, ==, TB_REC_TRACK_RECORDING);
    g_assert_nonnull(tb_rec_manifest_participant(back, "p1"));
    g_assert_null(tb_rec_manifest_track(back, "t1", 3));
    g_autofree char *again = tb_rec_manifest_to_text(back);
    g_assert_cmpstr(text, ==, again);
}

static void test_refused(void)
{
    static const char *bad[] = {
        "",
        "[]",
        "{\"version\": 2, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [], \"participants\": [], \"tracks\": []}",
        "{\"version\": 1, \"session\": \"../../etc\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [], \"participants\": [], \"tracks\": []}",
        "{\"version\": 1, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": {}, \"participants\": [], \"tracks\": []}",
        /* a track whose file would leave the session folder */
        "{\"version\": 1, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [], \"participants\": [], \"tracks\": [{\"id\": \"t\", \"participant_id\":"
        " \"p\", \"name\": \"n\", \"kind\": \"video\", \"label\": \"camera\", \"codec\": \"VP8\","
        " \"clock_rate\": 90000, \"file\": \"../x.webm\", \"segment\": 0, \"state\": \"done\"}]}",
        /* an unknown state */
        "{\"version\": 1, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [{\"index\": 0, \"started_us\": 1, \"state\": \"dancing\"}],"
        " \"participants\": [], \"tracks\": []}",
        /* a track of segment -1 (which lookups take for "any segment"; found by
         * fuzz_manifest), and segment numbers that an int cannot hold */
        "{\"version\": 1, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [], \"participants\": [], \"tracks\": [{\"id\": \"t\", \"participant_id\":"
        " \"p\", \"name\": \"n\", \"kind\": \"video\", \"label\": \"camera\", \"codec\": \"VP8\","
        " \"clock_rate\": 90000, \"file\": \"x.webm\", \"segment\": -1, \"state\": \"done\"}]}",
        "{\"version\": 1, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [], \"participants\": [], \"tracks\": [{\"id\": \"t\", \"participant_id\":"
        " \"p\", \"name\": \"n\", \"kind\": \"video\", \"label\": \"camera\", \"codec\": \"VP8\","
        " \"clock_rate\": 90000, \"file\": \"x.webm\", \"segment\": 4294967296, \"state\": "
        "\"done\"}]}",
        "{\"version\": 1, \"session\": \"s0123456789abcdef\", \"room\": \"r\", \"created_us\": 1,"
        " \"segments\": [{\"index\": 4294967296, \"started_us\": 1, \"state\": \"done\"}],"
        " \"participants\": [], \"tracks\": []}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char err[256] = "";
        tb_rec_manifest *m = tb_rec_manifest_parse(bad[i], strlen(bad[i]), err, sizeof err);
        if (m)
            g_error("case %zu parsed", i);
        g_assert_cmpstr(err, !=, "");
    }
}

static void test_save_load(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbman-XXXXXX", NULL);
    g_autoptr(tb_rec_manifest) m = sample();
    char err[256] = "";
    g_assert_cmpint(tb_rec_manifest_save(m, dir, err, sizeof err), ==, TB_OK);
    tb_rec_track *t = g_ptr_array_index(m->tracks, 0);
    t->state = TB_REC_TRACK_DONE;
    t->end_us = 9000;
    g_assert_cmpint(tb_rec_manifest_save(m, dir, err, sizeof err), ==, TB_OK);
    g_autofree char *tmp = g_build_filename(dir, "manifest.json.tmp", NULL);
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
    g_autoptr(tb_rec_manifest) back = tb_rec_manifest_load(dir, err, sizeof err);
    g_assert_nonnull(back);
    g_assert_cmpint(tb_rec_manifest_track(back, "t1", 0)->end_us, ==, 9000);

    /* A temporary left by a crash mid-write changes nothing: the manifest is the old one,
     * and a later save neither reads nor needs it. */
    g_assert_true(g_file_set_contents(tmp, "{\"version\": 1, \"sess", -1, NULL));
    g_autoptr(tb_rec_manifest) again = tb_rec_manifest_load(dir, err, sizeof err);
    g_assert_nonnull(again);
    g_assert_cmpint(tb_rec_manifest_save(m, dir, err, sizeof err), ==, TB_OK);
    g_autoptr(tb_rec_manifest) after = tb_rec_manifest_load(dir, err, sizeof err);
    g_assert_nonnull(after);
    g_unlink(tmp);
    g_assert_null(tb_rec_manifest_load("/nonexistent", err, sizeof err));
    g_assert_cmpint(tb_rec_manifest_save(m, "/nonexistent/dir", err, sizeof err), ==, TB_EIO);
    g_autofree char *path = g_build_filename(dir, "manifest.json", NULL);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_segments(void)
{
    g_autoptr(tb_rec_manifest) m = sample();
    /* The recorder died: a new one starts segment 1 and the old segment is interrupted. */
    tb_rec_segment *s1 = tb_rec_manifest_begin_segment(m, 5000);
    g_assert_cmpint(s1->index, ==, 1);
    g_assert_cmpint(tb_rec_manifest_segment(m, 0)->state, ==, TB_REC_SEGMENT_INTERRUPTED);
    g_assert_cmpint(tb_rec_manifest_track(m, "t1", 0)->state, ==, TB_REC_TRACK_INTERRUPTED);
    g_assert_cmpint(s1->state, ==, TB_REC_SEGMENT_RECORDING);
    g_assert_cmpint(tb_rec_manifest_mark_interrupted(m), ==, 1);
    g_assert_cmpint(tb_rec_manifest_mark_interrupted(m), ==, 0);
}

/* Files in dir other than manifest.json (temporaries left behind). */
static int leftovers(const char *dir)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));)
        n += strcmp(name, "manifest.json") != 0;
    if (d)
        g_dir_close(d);
    return n;
}

typedef struct saver {
    const char *dir;
    int id, failures;
} saver;

static gpointer save_many(gpointer data)
{
    saver *sv = data;
    g_autoptr(tb_rec_manifest) m = sample();
    for (int i = 0; i < 200; i++) {
        tb_rec_manifest_track(m, "t1", 0)->end_us = sv->id * 100000 + i;
        char err[256] = "";
        if (tb_rec_manifest_save(m, sv->dir, err, sizeof err))
            sv->failures++;
    }
    return NULL;
}

/* Two recorders of one session writing at once (what quick start/stop pairs once made)
 * shared one temporary name: saves failed and one writer renamed the other's file. Each
 * save must succeed and leave a whole manifest and no temporary. */
static void test_concurrent_save(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbman-XXXXXX", NULL);
    saver sv[4];
    GThread *th[4];
    for (int i = 0; i < 4; i++) {
        sv[i] = (saver){dir, i, 0};
        th[i] = g_thread_new("saver", save_many, &sv[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(th[i]);
        g_assert_cmpint(sv[i].failures, ==, 0);
    }
    char err[256] = "";
    g_autoptr(tb_rec_manifest) back = tb_rec_manifest_load(dir, err, sizeof err);
    g_assert_nonnull(back);
    g_assert_cmpint(tb_rec_manifest_track(back, "t1", 0)->end_us % 100000, ==, 199);
    g_assert_cmpint(leftovers(dir), ==, 0);
    g_autofree char *path = g_build_filename(dir, "manifest.json", NULL);
    g_unlink(path);
    g_rmdir(dir);
}

/* The daemon numbers segments; a number the manifest has is refused, nothing changes. */
static void test_segment_numbers(void)
{
    g_autoptr(tb_rec_manifest) m = sample();
    g_assert_cmpint(tb_rec_manifest_next_segment(m), ==, 1);
    g_assert_null(tb_rec_manifest_add_segment(m, 0, 2000));
    g_assert_cmpint(tb_rec_manifest_segment(m, 0)->state, ==, TB_REC_SEGMENT_RECORDING);
    g_assert_null(tb_rec_manifest_add_segment(m, -1, 2000));
    g_assert_null(tb_rec_manifest_add_segment(m, TB_REC_MAX_SEGMENT + 1, 2000));
    g_assert_cmpuint(m->segments->len, ==, 1);
    tb_rec_segment *s5 = tb_rec_manifest_add_segment(m, 5, 3000);
    g_assert_nonnull(s5);
    g_assert_cmpint(tb_rec_manifest_segment(m, 0)->state, ==, TB_REC_SEGMENT_INTERRUPTED);
    g_assert_cmpint(tb_rec_manifest_next_segment(m), ==, 6);
    s5->meeting = g_strdup("s00000000000000aa");
    g_autofree char *text = tb_rec_manifest_to_text(m);
    char err[256] = "";
    g_autoptr(tb_rec_manifest) back = tb_rec_manifest_parse(text, strlen(text), err, sizeof err);
    g_assert_nonnull(back);
    g_assert_cmpstr(tb_rec_manifest_segment(back, 5)->meeting, ==, "s00000000000000aa");
    g_assert_null(tb_rec_manifest_segment(back, 0)->meeting);
    /* A segment number out of range in a file is refused (it names files). */
    g_autofree char *bad = g_strdup(text);
    char *at = strstr(bad, "\"index\": 5");
    g_assert_nonnull(at);
    memcpy(at, "\"index\":-5", 11);
    g_assert_null(tb_rec_manifest_parse(bad, strlen(bad), err, sizeof err));
}

static void test_clocks(void)
{
    g_assert_cmpint(tb_rec_rtp_diff_us(90000, 0, 90000), ==, 1000000);
    g_assert_cmpint(tb_rec_rtp_diff_us(0, 90000, 90000), ==, -1000000);
    /* across the 32-bit wrap */
    g_assert_cmpint(tb_rec_rtp_diff_us(45000, 0xffffffffu - 44999, 90000), ==, 1000000);
    g_assert_cmpint(tb_rec_rtp_diff_us(0xffffffffu - 47999, 48000, 48000), ==, -2000000);
    g_assert_cmpint(tb_rec_rtp_diff_us(1, 0, 0), ==, 0);
    /* 2025-01-01T00:00:00Z = 3944678400 s after 1900; .5 s = 0x80000000 */
    uint64_t ntp = ((uint64_t)3944678400u << 32) | 0x80000000u;
    g_assert_cmpint(tb_rec_ntp_to_unix_us(ntp), ==, G_GINT64_CONSTANT(1735689600500000));
    g_assert_true(tb_rec_session_id_valid("s0123456789abcdef"));
    g_assert_false(tb_rec_session_id_valid("s0123456789ABCDEF"));
    g_assert_false(tb_rec_session_id_valid("s0123456789abcde"));
    g_assert_false(tb_rec_session_id_valid("s0123456789abcdef0"));
    g_assert_false(tb_rec_session_id_valid("../123456789abcdef"));
    g_assert_false(tb_rec_session_id_valid(NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/manifest/roundtrip", test_roundtrip);
    g_test_add_func("/manifest/refused", test_refused);
    g_test_add_func("/manifest/save_load", test_save_load);
    g_test_add_func("/manifest/segments", test_segments);
    g_test_add_func("/manifest/concurrent_save", test_concurrent_save);
    g_test_add_func("/manifest/segment_numbers", test_segment_numbers);
    g_test_add_func("/manifest/clocks", test_clocks);
    return g_test_run();
}
