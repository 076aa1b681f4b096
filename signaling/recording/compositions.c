/* compositions.c — the daemon's composition queue and the deletion of recordings.
 *
 * When a recorded session ends its composition is queued: one `telebridge-recorder
 * compose` at a time, at a lower CPU priority than the calls, and never while the
 * session's recorder is still closing its files. Staff and the CLI queue compositions
 * by hand and delete recordings (files and catalog rows) here too. */
#define TB_LOG_CAT "sig/recording"
#include "signaling/recording/internal.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"
#include "recorder/tb_rec_recordings.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define COMPOSE_NICE 10

/* A recorder of the session runs or closes its files, or a recording of it waits to
 * start. */
static bool recorder_busy(tb_sig_recorder *r, const char *session_id)
{
    if (tb_sig__proc_busy(r, session_id))
        return true;
    for (GList *l = r->waiting; l; l = l->next)
        if (!strcmp(((tb_sig_recording *)l->data)->session_id, session_id))
            return true;
    return false;
}

static void on_compose_exit(GObject *src, GAsyncResult *res, gpointer data)
{
    tb_sig_recorder *r = data;
    GError *gerr = NULL;
    if (!g_subprocess_wait_finish(G_SUBPROCESS(src), res, &gerr)) {
        g_clear_error(&gerr);
        return;
    }
    bool ok = g_subprocess_get_successful(r->composing);
    TB_LOG_INFO("[%s] composition %s", r->composing_id, ok ? "done" : "failed");
    g_clear_object(&r->composing);
    g_clear_pointer(&r->composing_id, g_free);
    tb_sig__compose_next(r);
}

static void child_nice(gpointer data)
{
    (void)setpriority(PRIO_PROCESS, 0, COMPOSE_NICE);
}

GPtrArray *tb_sig_compose_argv(const tb_config *cfg, const char *const *overrides,
                               const char *session_id)
{
    const tb_config_recording *rc = &cfg->recording;
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, tb_sig_recorder_path(cfg));
    g_ptr_array_add(argv, g_strdup("compose"));
    if (cfg->path) {
        g_ptr_array_add(argv, g_strdup("--config"));
        g_ptr_array_add(argv, g_strdup(cfg->path));
    }
    for (int i = 0; overrides && overrides[i]; i++) {
        g_ptr_array_add(argv, g_strdup("-o"));
        g_ptr_array_add(argv, g_strdup(overrides[i]));
    }
    /* The catalog the recorder writes its progress to: ours, however var_dir was set. */
    g_ptr_array_add(argv, g_strdup("-o"));
    g_ptr_array_add(argv, g_strdup_printf("server.var_dir=%s", cfg->server.var_dir));
    g_autofree char *root = tb_sig_recordings_dir(cfg);
    g_ptr_array_add(argv, g_strdup("--dir"));
    g_ptr_array_add(argv, g_build_filename(root, session_id, NULL));
    g_ptr_array_add(argv, g_strdup("--layout"));
    g_ptr_array_add(argv, g_strdup(rc->layout));
    g_ptr_array_add(argv, g_strdup("--size"));
    g_ptr_array_add(argv, g_strdup_printf("%dx%d", rc->width, rc->height));
    g_ptr_array_add(argv, g_strdup("--fps"));
    g_ptr_array_add(argv, g_strdup_printf("%d", rc->framerate));
    g_ptr_array_add(argv, g_strdup("--video-encoder"));
    g_ptr_array_add(argv, g_strdup(rc->video_encoder));
    g_ptr_array_add(argv, g_strdup("--video-kbps"));
    g_ptr_array_add(argv, g_strdup_printf("%d", rc->video_kbps));
    g_ptr_array_add(argv, g_strdup("--audio-encoder"));
    g_ptr_array_add(argv, g_strdup(rc->audio_encoder));
    g_ptr_array_add(argv, g_strdup(session_id));
    g_ptr_array_add(argv, NULL);
    return argv;
}

void tb_sig__compose_next(tb_sig_recorder *r)
{
    /* None begins while the server stops: the next start composes what was left. */
    if (r->shutting_down || r->composing || g_queue_is_empty(&r->compose_queue))
        return;
    /* A session whose recorder is still closing its files waits for it. */
    GList *next;
    for (GList *l = r->compose_queue.head; l; l = next) {
        next = l->next; /* l may be unlinked and freed below */
        const char *id = l->data;
        if (recorder_busy(r, id))
            continue;
        char *session = l->data;
        g_queue_delete_link(&r->compose_queue, l);
        GPtrArray *argv = tb_sig_compose_argv(r->hub->cfg, NULL, session);
        GSubprocessLauncher *launcher =
            g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
        g_subprocess_launcher_set_child_setup(launcher, child_nice, NULL, NULL);
        GError *gerr = NULL;
        r->composing =
            g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &gerr);
        g_object_unref(launcher);
        g_ptr_array_unref(argv);
        if (!r->composing) {
            TB_LOG_ERR("[%s] cannot start the composition: %s", session, gerr->message);
            g_error_free(gerr);
            g_free(session);
            continue;
        }
        TB_LOG_INFO("[%s] composing (pid %s)", session, g_subprocess_get_identifier(r->composing));
        r->composing_id = session;
        g_subprocess_wait_async(r->composing, r->cancel, on_compose_exit, r);
        return;
    }
}

void tb_sig__compose_queue_add(tb_sig_recorder *r, const char *session_id, bool again)
{
    for (GList *l = r->compose_queue.head; l; l = l->next)
        if (!strcmp(l->data, session_id))
            return;
    if (!again && r->composing_id && !strcmp(r->composing_id, session_id))
        return;
    g_queue_push_tail(&r->compose_queue, g_strdup(session_id));
    tb_sig__compose_next(r);
}

void tb_sig_recorder_compose(tb_sig_recorder *r, const char *session_id)
{
    tb_sig__compose_queue_add(r, session_id, false);
}

bool tb_sig_recorder_busy(tb_sig_recorder *r, const char *session_id)
{
    if (recorder_busy(r, session_id) || (r->composing_id && !strcmp(r->composing_id, session_id)))
        return true;
    for (GList *l = r->compose_queue.head; l; l = l->next)
        if (!strcmp(l->data, session_id))
            return true;
    return false;
}

int tb_sig_recording_delete_files(tb_rec_catalog *cat, const char *root, const char *session_id)
{
    if (!tb_rec_session_id_valid(session_id))
        return TB_EINVAL;
    g_autofree char *dir = g_build_filename(root, session_id, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *name;
        /* Only what a session folder holds: plain files, no subfolders, no symlinks. */
        while ((name = g_dir_read_name(d))) {
            g_autofree char *path = g_build_filename(dir, name, NULL);
            if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) &&
                g_file_test(path, G_FILE_TEST_IS_REGULAR) && unlink(path))
                TB_LOG_WARN("delete %s: %s", path, g_strerror(errno));
        }
        g_dir_close(d);
        if (rmdir(dir))
            TB_LOG_WARN("delete %s: %s", dir, g_strerror(errno));
    }
    int rc = tb_rec_recording_delete(cat, session_id);
    TB_LOG_INFO("[%s] recording deleted", session_id);
    return rc;
}

int tb_sig_recorder_delete(tb_sig_recorder *r, const char *session_id)
{
    g_autofree char *root = tb_sig_recordings_dir(r->hub->cfg);
    return tb_sig_recording_delete_files(r->hub->catalog, root, session_id);
}

gboolean tb_sig__compose_poll(gpointer data)
{
    tb_sig__compose_next(data);
    return G_SOURCE_CONTINUE;
}
