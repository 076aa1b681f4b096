/* The catalog's recordings: begin, interruption kept through a restart, manifest sync,
 * compositions and their progress, publish only when composed, the public list, stale
 * rows after a crash, delete; which recordings a room's next one may continue. */
#include "recorder/tb_rec_recordings.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>

static void test_recordings(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbrecs-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "telebridge.db", NULL);
    char err[256] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    g_assert_cmpint(tb_rec_recordings_init(cat), ==, TB_OK);
    g_assert_cmpint(tb_rec_recordings_init(cat), ==, TB_OK);
    const char *sid = "s0123456789abcdef";
    g_assert_null(tb_rec_recording_get(cat, sid));
    g_assert_cmpint(tb_rec_recording_begin(cat, sid, "совет"), ==, TB_OK);
    g_autoptr(tb_rec_recording) r = tb_rec_recording_get(cat, sid);
    g_assert_cmpstr(r->state, ==, "recording");
    g_assert_cmpstr(r->room, ==, "совет");
    g_assert_cmpint(r->comp_id, ==, 0);

    /* The recorder crashed and was restarted: the recording ends "interrupted". */
    g_assert_cmpint(tb_rec_recording_set_state(cat, sid, "interrupted", "recorder_crashed"), ==,
                    TB_OK);
    g_assert_cmpint(tb_rec_recording_begin(cat, sid, "совет"), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_set_state(cat, sid, "stopped", NULL), ==, TB_OK);
    g_autoptr(tb_rec_recording) r2 = tb_rec_recording_get(cat, sid);
    g_assert_cmpstr(r2->state, ==, "interrupted");
    g_assert_cmpstr(r2->reason, ==, "recorder_crashed");
    g_assert_cmpint(r2->interruptions, ==, 1);
    g_assert_cmpint(r2->ended_us, >, 0);
    g_assert_cmpint(tb_rec_recording_set_state(cat, "s1111111111111111", "stopped", NULL), ==,
                    TB_ENOTFOUND);

    /* The manifest's tracks and duration. */
    g_autoptr(tb_rec_manifest) m = tb_rec_manifest_new(sid, "совет");
    tb_rec_manifest_begin_segment(m, 1);
    tb_rec_track *t = g_new0(tb_rec_track, 1);
    t->id = g_strdup("t1");
    t->participant_id = g_strdup("p1");
    t->name = g_strdup("Анна");
    t->kind = g_strdup("audio");
    t->label = g_strdup("microphone");
    t->codec = g_strdup("opus");
    t->file = g_strdup("0-t1.webm");
    t->state = TB_REC_TRACK_DONE;
    t->start_us = 1000000;
    t->end_us = 11000000;
    g_ptr_array_add(m->tracks, t);
    g_assert_cmpint(tb_rec_recording_sync(cat, m), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_sync(cat, m), ==, TB_OK);
    g_autoptr(tb_rec_recording) r3 = tb_rec_recording_get(cat, sid);
    g_assert_cmpint(r3->tracks, ==, 1);
    g_assert_cmpint(r3->duration_us, ==, 10000000);

    /* Publishing waits for a composition. */
    g_assert_cmpint(tb_rec_recording_publish(cat, sid, true), ==, TB_ESTATE);
    g_autoptr(GPtrArray) todo = tb_rec_recordings_uncomposed(cat);
    g_assert_cmpuint(todo->len, ==, 1);
    int64_t cid = 0;
    g_assert_cmpint(
        tb_rec_composition_begin(cat, sid, "composition.mp4", "speaker", 1280, 720, &cid), ==,
        TB_OK);
    g_assert_cmpint(tb_rec_composition_progress(cat, cid, 0.5), ==, TB_OK);
    g_autoptr(tb_rec_recording) r4 = tb_rec_recording_get(cat, sid);
    g_assert_cmpstr(r4->comp_state, ==, "running");
    g_assert_cmpfloat(r4->comp_progress, ==, 0.5);
    g_assert_cmpint(tb_rec_recording_publish(cat, sid, true), ==, TB_ESTATE);
    g_assert_cmpint(tb_rec_composition_end(cat, cid, true, 10000000, 12345, NULL), ==, TB_OK);
    g_autoptr(GPtrArray) pub0 = tb_rec_recordings_list(cat, true, 10, 0);
    g_assert_cmpuint(pub0->len, ==, 0);
    g_assert_cmpint(tb_rec_recording_set_meta(cat, sid, "Слушания", "О бюджете района"), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_publish(cat, sid, true), ==, TB_OK);
    g_autoptr(GPtrArray) pub1 = tb_rec_recordings_list(cat, true, 10, 0);
    g_assert_cmpuint(pub1->len, ==, 1);
    tb_rec_recording *p = g_ptr_array_index(pub1, 0);
    g_assert_cmpstr(p->title, ==, "Слушания");
    g_assert_cmpstr(p->comp_state, ==, "done");
    g_assert_cmpint(p->comp_size, ==, 12345);
    g_assert_cmpint(tb_rec_recording_publish(cat, sid, false), ==, TB_OK);
    g_autoptr(GPtrArray) pub2 = tb_rec_recordings_list(cat, true, 10, 0);
    g_assert_cmpuint(pub2->len, ==, 0);
    g_assert_cmpint(tb_rec_recording_set_meta(cat, "s1111111111111111", "x", "y"), ==,
                    TB_ENOTFOUND);

    /* A daemon crash: the next start marks recordings and compositions left running. */
    const char *sid2 = "sfedcba9876543210";
    g_assert_cmpint(tb_rec_recording_begin(cat, sid2, "зал"), ==, TB_OK);
    g_assert_cmpint(tb_rec_composition_begin(cat, sid2, "composition.mp4", "grid", 1280, 720, &cid),
                    ==, TB_OK);
    tb_rec_catalog_close(cat);
    cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_cmpint(tb_rec_recordings_init(cat), ==, TB_OK);
    g_assert_cmpint(tb_rec_recordings_mark_stale(cat), ==, 1);
    g_assert_cmpint(tb_rec_compositions_mark_stale(cat), ==, 1);
    g_autoptr(tb_rec_recording) r5 = tb_rec_recording_get(cat, sid2);
    g_assert_cmpstr(r5->state, ==, "interrupted");
    g_assert_cmpstr(r5->comp_state, ==, "failed");
    g_assert_true(r5->resumable); /* a crash ended it, nobody chose to */
    g_autoptr(GPtrArray) all = tb_rec_recordings_list(cat, false, 10, 0);
    g_assert_cmpuint(all->len, ==, 2);

    g_assert_cmpint(tb_rec_recording_delete(cat, sid), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_delete(cat, sid), ==, TB_ENOTFOUND);
    g_assert_null(tb_rec_recording_get(cat, sid));
    tb_rec_catalog_close(cat);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL), *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(path);
    g_unlink(wal);
    g_unlink(shm);
    g_rmdir(dir);
}

/* A recording ended by a server stop may be continued by its room's next recording; one
 * that anyone ended, or that goes on again, may not. tb_rec_recording_latest finds it. */
static void test_resumable(void)
{
    g_autofree char *dir = g_dir_make_tmp("tbrecs-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "telebridge.db", NULL);
    char err[256] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    g_assert_cmpint(tb_rec_recordings_init(cat), ==, TB_OK);
    const char *a = "s000000000000000a", *b = "s000000000000000b";
    g_assert_null(tb_rec_recording_latest(cat, "зал"));
    g_assert_cmpint(tb_rec_recording_begin(cat, a, "зал"), ==, TB_OK);
    g_usleep(2000); /* started_us orders them */
    g_assert_cmpint(tb_rec_recording_begin(cat, b, "зал"), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_begin(cat, "s000000000000000c", "другой"), ==, TB_OK);
    g_autoptr(tb_rec_recording) l = tb_rec_recording_latest(cat, "зал");
    g_assert_cmpstr(l->session_id, ==, b);
    g_assert_false(l->resumable);
    /* Live recordings are not made resumable. */
    g_assert_cmpint(tb_rec_recording_set_resumable(cat, b), ==, TB_ENOTFOUND);

    /* Stopped by the server's shutdown: resumable, reason "shutdown". */
    g_assert_cmpint(tb_rec_recording_set_state(cat, b, "stopped", "shutdown"), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_set_resumable(cat, b), ==, TB_OK);
    g_autoptr(tb_rec_recording) s1 = tb_rec_recording_get(cat, b);
    g_assert_true(s1->resumable);
    g_assert_cmpstr(s1->state, ==, "stopped");
    g_assert_cmpstr(s1->reason, ==, "shutdown");

    /* Continued: live again, not resumable, and the shutdown no longer its reason. Stopped
     * by hand then, it stays so. */
    g_assert_cmpint(tb_rec_recording_begin(cat, b, "зал"), ==, TB_OK);
    g_assert_cmpint(tb_rec_recording_set_state(cat, b, "stopped", NULL), ==, TB_OK);
    g_autoptr(tb_rec_recording) s2 = tb_rec_recording_get(cat, b);
    g_assert_false(s2->resumable);
    g_assert_cmpstr(s2->state, ==, "stopped");
    g_assert_null(s2->reason);
    g_assert_cmpint(s2->interruptions, ==, 0);
    tb_rec_catalog_close(cat);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL), *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(path);
    g_unlink(wal);
    g_unlink(shm);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/recordings/catalog", test_recordings);
    g_test_add_func("/recordings/resumable", test_resumable);
    return g_test_run();
}
