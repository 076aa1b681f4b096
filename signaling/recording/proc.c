/* proc.c — the `telebridge-recorder record` processes of recording.c: starting one, its
 * stdin (commands, one JSON object per line), its stdout (events) and its exit.
 *
 * Writes to a recorder's stdin never block the main thread: they are queued and flushed
 * when the pipe is writable, and a recorder that stops reading is killed. `stop` is sent
 * and the pipe closed (end of input alone also makes it close its files); a recorder that
 * has not exited CLOSE_TIMEOUT_S after that is killed — its files survive a kill
 * (docs/platform.md) and the next recorder of the session waits for this one's exit, so a
 * hung one must not hold the session for ever. What its events and its exit mean for the
 * room is recording.c's business. */
#define TB_LOG_CAT "sig/recording"
#include "signaling/recording/internal.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#define MAX_PENDING_BYTES (1024 * 1024)
/* track.c's EOS timeout is 4 s and a recorder waits up to 10 s for its folder's lock. */
#define CLOSE_TIMEOUT_S 20

/* ---- paths ---- */

char *tb_sig_recordings_dir(const tb_config *cfg)
{
    const char *d = cfg->recording.dir;
    g_autofree char *joined =
        g_path_is_absolute(d) ? g_strdup(d) : g_build_filename(cfg->server.var_dir, d, NULL);
    return g_canonicalize_filename(joined, NULL);
}

char *tb_sig_recorder_path(const tb_config *cfg)
{
    if (*cfg->recording.recorder)
        return g_strdup(cfg->recording.recorder);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
    return g_build_filename(dir, "telebridge-recorder", NULL);
}

/* ---- the recorder's stdin: queued, never blocking ---- */

static void close_input(rec_proc *pr)
{
    if (pr->in_watch)
        g_source_remove(pr->in_watch);
    pr->in_watch = 0;
    if (pr->in_fd >= 0)
        close(pr->in_fd);
    pr->in_fd = -1;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

static void flush(rec_proc *pr)
{
    while (pr->in_fd >= 0 && pr->pending->len > 0) {
        ssize_t n = write(pr->in_fd, pr->pending->str, pr->pending->len);
        if (n > 0) {
            g_string_erase(pr->pending, 0, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!pr->in_watch)
                pr->in_watch = g_unix_fd_add(pr->in_fd, G_IO_OUT, on_writable, pr);
            return;
        }
        TB_LOG_WARN("[%s] recorder input: %s", pr->session_id, g_strerror(errno));
        g_string_truncate(pr->pending, 0);
        close_input(pr);
        return;
    }
    if (pr->in_watch) {
        g_source_remove(pr->in_watch);
        pr->in_watch = 0;
    }
    if (pr->stopping && pr->pending->len == 0)
        close_input(pr); /* end of input: the recorder closes its files */
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    rec_proc *pr = data;
    pr->in_watch = 0;
    flush(pr);
    return G_SOURCE_REMOVE;
}

void tb_sig__proc_send(rec_proc *pr, json_t *cmd)
{
    char *s = json_dumps(cmd, JSON_COMPACT);
    json_decref(cmd);
    if (!s || pr->in_fd < 0) {
        free(s);
        return;
    }
    if (pr->pending->len > MAX_PENDING_BYTES) {
        TB_LOG_ERR("[%s] the recorder stopped reading its commands: killing it", pr->session_id);
        g_subprocess_force_exit(pr->proc);
        free(s);
        return;
    }
    g_string_append(pr->pending, s);
    g_string_append_c(pr->pending, '\n');
    free(s);
    flush(pr);
}

/* ---- its stdout and its exit ---- */

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
    rec_proc *pr = data;
    gsize len = 0;
    GError *gerr = NULL;
    char *line =
        g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, &len, &gerr);
    if (!line) {
        g_clear_error(&gerr); /* end of output (or cancelled): the exit callback does the rest */
        return;
    }
    json_t *ev = json_loads(line, 0, NULL);
    if (json_is_object(ev))
        tb_sig__recording_event(pr, ev);
    json_decref(ev);
    g_free(line);
    g_data_input_stream_read_line_async(pr->out, G_PRIORITY_DEFAULT, pr->cancel, on_line, pr);
}

static void on_proc_exit(GObject *src, GAsyncResult *res, gpointer data)
{
    rec_proc *pr = data;
    GError *gerr = NULL;
    if (!g_subprocess_wait_finish(G_SUBPROCESS(src), res, &gerr)) {
        g_clear_error(&gerr); /* cancelled: the server is going away */
        return;
    }
    pr->exited = true;
    bool clean =
        g_subprocess_get_if_exited(pr->proc) && g_subprocess_get_exit_status(pr->proc) == 0;
    if (!clean)
        TB_LOG_WARN("[%s] recorder of segment %d ended with %s %d", pr->session_id, pr->segment,
                    g_subprocess_get_if_signaled(pr->proc) ? "signal" : "exit status",
                    g_subprocess_get_if_signaled(pr->proc)
                        ? g_subprocess_get_term_sig(pr->proc)
                        : g_subprocess_get_exit_status(pr->proc));
    tb_sig__recording_exited(pr, clean);
}

bool tb_sig__proc_start(tb_sig_recording *rec, int segment, char *err, size_t errlen)
{
    tb_sig_room *room = rec->room;
    tb_sig_recorder *r = rec->owner;
    const tb_config *cfg = r->hub->cfg;
    g_autofree char *root = tb_sig_recordings_dir(cfg);
    g_autofree char *dir = g_build_filename(root, rec->session_id, NULL);
    g_autofree char *bin = tb_sig_recorder_path(cfg);
    g_autofree char *min_free = g_strdup_printf("%d", cfg->recording.min_free_mb);
    g_autofree char *seg = g_strdup_printf("%d", segment);
    const char *argv[] = {
        bin, "record", "--session", rec->session_id, "--room", room->name, "--dir", dir,
        "--segment", seg, "--min-free-mb", min_free, "--log-level", cfg->server.log_level,
        /* The meeting this segment belongs to, when the recording
         * continues an earlier session's. */
        tb_rec_session_id_valid(room->session_id) ? "--meeting" : NULL, room->session_id, NULL};
    if (g_mkdir_with_parents(dir, 0750)) {
        snprintf(err, errlen, "cannot create %s: %s", dir, g_strerror(errno));
        return false;
    }
    /* Our own pipe for its stdin, so that writes can be made non-blocking. */
    int fds[2];
    GError *gerr = NULL;
    if (!g_unix_open_pipe(fds, FD_CLOEXEC, &gerr)) {
        snprintf(err, errlen, "pipe: %s", gerr->message);
        g_error_free(gerr);
        return false;
    }
    GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_take_stdin_fd(l, fds[0]);
    GSubprocess *proc = g_subprocess_launcher_spawnv(l, argv, &gerr);
    g_object_unref(l);
    if (!proc) {
        snprintf(err, errlen, "cannot start %s: %s", bin, gerr->message);
        g_error_free(gerr);
        close(fds[1]);
        return false;
    }
    rec_proc *pr = g_new0(rec_proc, 1);
    pr->owner = r;
    pr->rec = rec;
    pr->proc = proc;
    pr->dir = g_strdup(dir);
    pr->pending = g_string_new(NULL);
    pr->cancel = g_cancellable_new();
    pr->segment = segment;
    g_strlcpy(pr->session_id, rec->session_id, sizeof pr->session_id);
    pr->in_fd = fds[1];
    g_unix_set_fd_nonblocking(pr->in_fd, TRUE, NULL);
    pr->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    g_data_input_stream_read_line_async(pr->out, G_PRIORITY_DEFAULT, pr->cancel, on_line, pr);
    g_subprocess_wait_async(proc, pr->cancel, on_proc_exit, pr);
    r->procs = g_list_prepend(r->procs, pr);
    rec->proc = pr;
    TB_LOG_INFO("[%s] recorder started (pid %s) into %s, segment %d", room->name,
                g_subprocess_get_identifier(proc), dir, segment);
    return true;
}

static gboolean on_kill_timeout(gpointer data)
{
    rec_proc *pr = data;
    pr->kill_timer = 0;
    TB_LOG_ERR("[%s] the recorder has not closed its files %d s after stop: killing it",
               pr->session_id, CLOSE_TIMEOUT_S);
    g_subprocess_force_exit(pr->proc);
    return G_SOURCE_REMOVE;
}

void tb_sig__proc_stop(rec_proc *pr, const char *reason)
{
    if (pr->stopping)
        return;
    tb_sig__proc_send(pr, json_pack("{s:s, s:s?}", "cmd", "stop", "reason", reason));
    pr->stopping = true;
    pr->shutdown = pr->owner->shutting_down;
    flush(pr);
    if (pr->rec && pr->rec->proc == pr)
        pr->rec->proc = NULL;
    pr->rec = NULL;
    pr->kill_timer = g_timeout_add_seconds(CLOSE_TIMEOUT_S, on_kill_timeout, pr);
}

void tb_sig__proc_free(rec_proc *pr)
{
    pr->owner->procs = g_list_remove(pr->owner->procs, pr);
    if (pr->rec && pr->rec->proc == pr)
        pr->rec->proc = NULL;
    close_input(pr);
    if (pr->kill_timer)
        g_source_remove(pr->kill_timer);
    g_cancellable_cancel(pr->cancel);
    g_object_unref(pr->cancel);
    g_clear_object(&pr->out);
    g_clear_object(&pr->proc);
    g_string_free(pr->pending, TRUE);
    g_free(pr->error_code);
    g_free(pr->dir);
    g_free(pr);
}

bool tb_sig__proc_busy(tb_sig_recorder *r, const char *session_id)
{
    for (GList *l = r->procs; l; l = l->next)
        if (!strcmp(((rec_proc *)l->data)->session_id, session_id))
            return true;
    return false;
}
