/* recording.c — recording on the daemon's side.
 *
 * A recorded room has one `telebridge-recorder record` child process (recorder/
 * record.c), driven over its stdin/stdout with one JSON object per line: the daemon
 * names the tracks and participants, the recorder answers with the loopback ports
 * where it listens, and the relay's tap (tb_relay_track_tap_start) sends each track's
 * plain RTP there. The recorder writes the files and the manifest; the daemon keeps the
 * catalog and the room informed.
 *
 * Supervision: a recorder that dies while the room is recorded is restarted (a new
 * segment in the same session folder; at most MAX_RESTARTS per RESTART_WINDOW_US, then
 * the recording stops with reason "recorder_failed"); the catalog keeps the
 * interruption. A recorder that reports a full disk or a write error stops itself; the
 * room is told, the call goes on. Writes to the recorder's stdin never block the main
 * thread: they are queued and flushed when the pipe is writable, and a recorder that
 * stops reading is killed.
 *
 * When a recorded session ends (the room closes) its composition is queued
 * (compositions.c). */
#define TB_LOG_CAT "sig/recording"
#include "signaling/recording/internal.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"
#include "recorder/tb_rec_recordings.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_RESTARTS      3
#define RESTART_WINDOW_US (60 * G_USEC_PER_SEC)
#define MAX_PENDING_BYTES (1024 * 1024)

typedef enum { REC_OFF = 0, REC_STARTING, REC_ON } rec_state;

struct tb_sig_recording {
    tb_sig_recorder *owner; /* not owned */
    tb_sig_room *room;
    rec_state state;
    rec_proc *proc;     /* current run, NULL when off */
    GHashTable *tracks; /* track id → tb_relay_track* (ref) being recorded */
    int64_t since_us;
    char *by;             /* who started it, NULL = automatic */
    bool stopped_by_hand; /* no automatic start again in this session */
    int restarts;
    int64_t restart_window_us;
};

static void proc_spawn_failed(tb_sig_recording *rec, const char *why);
static bool proc_start(tb_sig_recording *rec, char *err, size_t errlen);

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

/* ---- telling the room ---- */

static json_t *state_json(tb_sig_room *room)
{
    tb_sig_recording *rec = room->recording;
    json_t *j;
    if (!rec || rec->state == REC_OFF)
        j = json_pack("{s:s}", "state", "off");
    else
        j = json_pack("{s:s, s:s, s:I, s:s?}", "state",
                      rec->state == REC_ON ? "recording" : "starting", "session_id",
                      room->session_id, "since_us", (json_int_t)rec->since_us, "by", rec->by);
    /* Who may start and stop it, so that clients show the control to those who may. */
    json_object_set_new(j, "policy", json_string(room->cfg->recording));
    return j;
}

/* Everyone in the room gets the new state; `reason` says why it stopped, if it did. */
static void announce(tb_sig_recording *rec, const char *reason)
{
    if (!rec->room)
        return;
    json_t *ev = state_json(rec->room);
    json_object_set_new(ev, "type", json_string("recording_state"));
    if (reason)
        json_object_set_new(ev, "reason", json_string(reason));
    tb_sig_room_broadcast(rec->room, NULL, ev);
}

/* ---- the recorder's stdin: queued, never blocking ---- */

static void proc_close_input(rec_proc *pr)
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
        proc_close_input(pr);
        return;
    }
    if (pr->in_watch) {
        g_source_remove(pr->in_watch);
        pr->in_watch = 0;
    }
    if (pr->stopping && pr->pending->len == 0)
        proc_close_input(pr); /* end of input: the recorder closes its files */
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    rec_proc *pr = data;
    pr->in_watch = 0;
    flush(pr);
    return G_SOURCE_REMOVE;
}

/* Sends a command (transfer full). */
static void send_cmd(rec_proc *pr, json_t *cmd)
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

/* ---- commands for room events ---- */

static void send_participant(rec_proc *pr, tb_sig_participant *p, const char *event)
{
    send_cmd(pr, json_pack("{s:s, s:s, s:s, s:s?, s:s}", "cmd", "participant", "event", event, "id",
                           p->id, "identity", p->identity, "name", p->name));
}

static void send_track(tb_sig_recording *rec, tb_sig_participant *p, tb_relay_track *t)
{
    const char *id = tb_relay_track_id(t);
    if (!rec->proc || g_hash_table_contains(rec->tracks, id))
        return;
    g_hash_table_insert(rec->tracks, g_strdup(id), tb_relay_track_ref(t));
    send_cmd(rec->proc,
             json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s}", "cmd", "track", "id", id,
                       "participant_id", p->id, "identity", p->identity, "name", p->name, "kind",
                       tb_relay_track_kind(t) == TB_RELAY_KIND_AUDIO ? "audio" : "video", "label",
                       tb_relay_track_label(t), "codec", tb_relay_track_codec(t)));
}

static void drop_track(tb_sig_recording *rec, tb_relay_track *t)
{
    const char *id = tb_relay_track_id(t);
    if (!g_hash_table_contains(rec->tracks, id))
        return;
    if (rec->room)
        tb_relay_track_tap_stop(rec->room->relay_room, t);
    if (rec->proc)
        send_cmd(rec->proc, json_pack("{s:s, s:s}", "cmd", "untrack", "id", id));
    g_hash_table_remove(rec->tracks, id);
}

/* Everyone admitted and every track published, to a recorder that just became ready. */
static void send_room(tb_sig_recording *rec)
{
    tb_sig_room *room = rec->room;
    for (guint i = 0; room && i < room->participants->len; i++) {
        tb_sig_participant *p = g_ptr_array_index(room->participants, i);
        send_participant(rec->proc, p, "join");
        if (!p->pub)
            continue;
        GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
        for (guint j = 0; j < ts->len; j++)
            send_track(rec, p, g_ptr_array_index(ts, j));
        g_ptr_array_unref(ts);
    }
}

/* ---- events from the recorder ---- */

static void on_event(rec_proc *pr, json_t *ev)
{
    tb_sig_recording *rec = pr->rec;
    const char *type = json_string_value(json_object_get(ev, "event"));
    const char *id = json_string_value(json_object_get(ev, "id"));
    if (!type)
        return;
    if (!strcmp(type, "ready")) {
        pr->ready = true;
        if (!rec || pr->stopping)
            return;
        rec->state = REC_ON;
        send_room(rec);
        announce(rec, NULL);
        TB_LOG_INFO("[%s] recording (session %s, segment %d)", rec->room->name, pr->session_id,
                    (int)json_integer_value(json_object_get(ev, "segment")));
    } else if (!strcmp(type, "track_ready") && rec && rec->room && id) {
        tb_relay_track *t = g_hash_table_lookup(rec->tracks, id);
        int rtp = (int)json_integer_value(json_object_get(ev, "rtp_port"));
        int rtcp = (int)json_integer_value(json_object_get(ev, "rtcp_port"));
        if (t && rtp > 0)
            tb_relay_track_tap_start(rec->room->relay_room, t, rtp, rtcp);
    } else if (!strcmp(type, "keyframe") && rec && rec->room && id) {
        tb_relay_track *t = g_hash_table_lookup(rec->tracks, id);
        if (t)
            tb_relay_track_request_keyframe(rec->room->relay_room, t);
    } else if (!strcmp(type, "track_failed")) {
        TB_LOG_WARN("[%s] track %s not recorded: %s", pr->session_id, id ? id : "?",
                    json_string_value(json_object_get(ev, "reason")));
    } else if (!strcmp(type, "error")) {
        const char *code = json_string_value(json_object_get(ev, "code"));
        TB_LOG_ERR("[%s] recording stopped: %s (%s)", pr->session_id, code ? code : "?",
                   json_string_value(json_object_get(ev, "message")));
        g_free(pr->error_code);
        pr->error_code = g_strdup(code ? code : "write_error");
        if (rec && rec->room)
            tb_sig_recording_stop(rec->room, NULL, pr->error_code);
    }
}

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
    rec_proc *pr = data;
    gsize len = 0;
    GError *gerr = NULL;
    char *line =
        g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, &len, &gerr);
    if (!line) {
        bool cancelled = gerr && g_error_matches(gerr, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_clear_error(&gerr);
        (void)cancelled; /* end of output: the exit callback does the rest */
        return;
    }
    json_t *ev = json_loads(line, 0, NULL);
    if (json_is_object(ev))
        on_event(pr, ev);
    json_decref(ev);
    g_free(line);
    g_data_input_stream_read_line_async(pr->out, G_PRIORITY_DEFAULT, pr->cancel, on_line, pr);
}

/* ---- process lifecycle ---- */

static void proc_free(rec_proc *pr)
{
    pr->owner->procs = g_list_remove(pr->owner->procs, pr);
    proc_close_input(pr);
    g_cancellable_cancel(pr->cancel);
    g_object_unref(pr->cancel);
    g_clear_object(&pr->out);
    g_clear_object(&pr->proc);
    g_string_free(pr->pending, TRUE);
    g_free(pr->error_code);
    g_free(pr->dir);
    g_free(pr);
}

/* The recorder's manifest into the catalog. */
static void sync_catalog(tb_sig_recorder *r, const char *session_id, const char *dir)
{
    char err[256];
    tb_rec_manifest *m = tb_rec_manifest_load(dir, err, sizeof err);
    if (!m) {
        TB_LOG_WARN("[%s] %s", session_id, err);
        return;
    }
    tb_rec_recording_sync(r->hub->catalog, m);
    tb_rec_manifest_free(m);
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
    tb_sig_recorder *r = pr->owner;
    tb_sig_recording *rec = pr->rec;
    bool clean =
        g_subprocess_get_if_exited(pr->proc) && g_subprocess_get_exit_status(pr->proc) == 0;
    sync_catalog(r, pr->session_id, pr->dir);
    if (pr->stopping || !rec) {
        const char *state = pr->error_code ? "failed" : clean ? "stopped" : "interrupted";
        tb_rec_recording_set_state(r->hub->catalog, pr->session_id, state, pr->error_code);
        TB_LOG_INFO("[%s] recorder finished (%s)", pr->session_id, state);
        if (rec && rec->proc == pr)
            rec->proc = NULL;
        proc_free(pr);
        tb_sig__compose_next(r); /* its session may be waiting for the files */
        return;
    }
    /* It died while the room was being recorded. */
    TB_LOG_ERR("[%s] recorder died (%s %d): restarting it", pr->session_id,
               g_subprocess_get_if_signaled(pr->proc) ? "signal" : "exit status",
               g_subprocess_get_if_signaled(pr->proc) ? g_subprocess_get_term_sig(pr->proc)
                                                      : g_subprocess_get_exit_status(pr->proc));
    tb_rec_recording_set_state(r->hub->catalog, pr->session_id, "interrupted", "recorder_crashed");
    rec->proc = NULL;
    proc_free(pr);
    /* The tracks go to the new recorder, on new ports. */
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, rec->tracks);
    while (g_hash_table_iter_next(&it, &key, &val))
        tb_relay_track_tap_stop(rec->room->relay_room, val);
    g_hash_table_remove_all(rec->tracks);
    int64_t now = g_get_monotonic_time();
    if (now - rec->restart_window_us > RESTART_WINDOW_US) {
        rec->restart_window_us = now;
        rec->restarts = 0;
    }
    char err[256];
    if (++rec->restarts > MAX_RESTARTS) {
        proc_spawn_failed(rec, "recorder_failed");
    } else if (!proc_start(rec, err, sizeof err)) {
        TB_LOG_ERR("[%s] %s", rec->room->name, err);
        proc_spawn_failed(rec, "recorder_failed");
    } else {
        /* The catalog counts the interruption; the recording's state is "recording"
         * again, and "interrupted" (not "stopped") once it ends. */
        tb_rec_recording_begin(r->hub->catalog, rec->room->session_id, rec->room->name);
    }
}

static bool proc_start(tb_sig_recording *rec, char *err, size_t errlen)
{
    tb_sig_room *room = rec->room;
    tb_sig_recorder *r = rec->owner;
    const tb_config *cfg = r->hub->cfg;
    g_autofree char *root = tb_sig_recordings_dir(cfg);
    g_autofree char *dir = g_build_filename(root, room->session_id, NULL);
    g_autofree char *bin = tb_sig_recorder_path(cfg);
    g_autofree char *min_free = g_strdup_printf("%d", cfg->recording.min_free_mb);
    const char *argv[] = {
        bin,     "record", "--session",     room->session_id, "--room",      room->name,
        "--dir", dir,      "--min-free-mb", min_free,         "--log-level", cfg->server.log_level,
        NULL};
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
    g_strlcpy(pr->session_id, room->session_id, sizeof pr->session_id);
    pr->in_fd = fds[1];
    g_unix_set_fd_nonblocking(pr->in_fd, TRUE, NULL);
    pr->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    g_data_input_stream_read_line_async(pr->out, G_PRIORITY_DEFAULT, pr->cancel, on_line, pr);
    g_subprocess_wait_async(proc, pr->cancel, on_proc_exit, pr);
    r->procs = g_list_prepend(r->procs, pr);
    rec->proc = pr;
    rec->state = REC_STARTING;
    TB_LOG_INFO("[%s] recorder started (pid %s) into %s", room->name,
                g_subprocess_get_identifier(proc), dir);
    return true;
}

/* Asks the current recorder to close its files; it exits on its own. */
static void proc_stop(tb_sig_recording *rec)
{
    rec_proc *pr = rec->proc;
    if (!pr)
        return;
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, rec->tracks);
    while (rec->room && g_hash_table_iter_next(&it, &key, &val))
        tb_relay_track_tap_stop(rec->room->relay_room, val);
    g_hash_table_remove_all(rec->tracks);
    pr->stopping = true;
    send_cmd(pr, json_pack("{s:s}", "cmd", "stop"));
    flush(pr);
    rec->proc = NULL;
    pr->rec = NULL;
}

static void proc_spawn_failed(tb_sig_recording *rec, const char *why)
{
    tb_sig_room *room = rec->room;
    rec->state = REC_OFF;
    tb_rec_recording_set_state(room->hub->catalog, room->session_id, "failed", why);
    announce(rec, why);
}

/* ---- starting and stopping ---- */

static tb_sig_recording *recording_of(tb_sig_recorder *r, tb_sig_room *room)
{
    if (!room->recording) {
        room->recording = g_new0(tb_sig_recording, 1);
        room->recording->owner = r;
        room->recording->room = room;
        room->recording->tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify)tb_relay_track_unref);
    }
    return room->recording;
}

/* Starts recording the room; 0, or a protocol error code with err filled. */
static const char *start(tb_sig_recorder *r, tb_sig_room *room, tb_sig_participant *by, char *err,
                         size_t errlen)
{
    tb_sig_recording *rec = recording_of(r, room);
    if (rec->state != REC_OFF) {
        snprintf(err, errlen, "the room is being recorded already");
        return "wrong_state";
    }
    if (!tb_sig_room_consent_ok(room, err, errlen))
        return "consent_missing";
    if (!proc_start(rec, err, errlen)) {
        TB_LOG_ERR("[%s] %s", room->name, err);
        return "internal";
    }
    rec->since_us = g_get_real_time();
    g_free(rec->by);
    rec->by = by ? g_strdup(by->name) : NULL;
    rec->restarts = 0;
    tb_rec_recording_begin(room->hub->catalog, room->session_id, room->name);
    if (by)
        tb_sig_audit(room, by, "recording_start", NULL, NULL);
    announce(rec, NULL);
    return NULL;
}

void tb_sig_recording_stop(tb_sig_room *room, tb_sig_participant *by, const char *reason)
{
    tb_sig_recording *rec = room->recording;
    if (!rec || rec->state == REC_OFF)
        return;
    TB_LOG_INFO("[%s] recording stops%s%s", room->name, reason ? ": " : "", reason ? reason : "");
    proc_stop(rec);
    rec->state = REC_OFF;
    if (by) {
        rec->stopped_by_hand = true;
        tb_sig_audit(room, by, "recording_stop", NULL, NULL);
    }
    announce(rec, reason);
}

/* May p start or stop the recording? The room's `recording` setting: "disabled",
 * "moderators" (the `record` permission), "allowed" (anyone admitted), "auto". */
static bool may_record(tb_sig_request *r, tb_sig_participant *p)
{
    const char *policy = p->room->cfg->recording;
    if (!strcmp(policy, "disabled")) {
        tb_sig_fail(r, "forbidden", "recording is switched off for this room");
        return false;
    }
    if (!strcmp(policy, "allowed"))
        return true;
    return tb_sig_require(r, TB_SIG_PERM_RECORD, "starting or stopping the recording");
}

static void start_request(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    if (!may_record(r, p))
        return;
    char err[256] = "";
    const char *code = start(r->user, p->room, p, err, sizeof err);
    if (code) {
        tb_sig_fail(r, code, "%s", err);
        return;
    }
    tb_sig_ok(r, state_json(p->room));
}

static void stop_request(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    if (!may_record(r, p))
        return;
    if (!p->room->recording || p->room->recording->state == REC_OFF) {
        tb_sig_fail(r, "wrong_state", "the room is not being recorded");
        return;
    }
    tb_sig_recording_stop(p->room, p, NULL);
    tb_sig_ok(r, NULL);
}

/* ---- hooks ---- */

static bool auto_record(tb_sig_room *room)
{
    return !strcmp(room->cfg->recording, "auto");
}

static void on_admitted(void *user, tb_sig_participant *p)
{
    tb_sig_room *room = p->room;
    tb_sig_recording *rec = room->recording;
    if (rec && rec->state != REC_OFF) {
        char why[256];
        if (!tb_sig_room_consent_ok(room, why, sizeof why)) {
            tb_sig_recording_stop(room, NULL, "consent");
            return;
        }
        if (rec->proc && rec->proc->ready)
            send_participant(rec->proc, p, "join");
        return;
    }
    if (auto_record(room) && !(rec && rec->stopped_by_hand)) {
        char err[256];
        const char *code = start(user, room, NULL, err, sizeof err);
        if (code && strcmp(code, "consent_missing"))
            TB_LOG_WARN("[%s] automatic recording: %s", room->name, err);
    }
}

static void on_leaving(void *user, tb_sig_participant *p)
{
    tb_sig_recording *rec = p->room->recording;
    if (!rec || rec->state == REC_OFF || !p->admitted)
        return;
    if (p->pub) {
        GPtrArray *ts = tb_relay_pc_published_tracks(p->pub);
        for (guint i = 0; i < ts->len; i++)
            drop_track(rec, g_ptr_array_index(ts, i));
        g_ptr_array_unref(ts);
    }
    if (rec->proc && rec->proc->ready)
        send_participant(rec->proc, p, "leave");
}

static void on_tracks_changed(void *user, tb_sig_participant *p, GPtrArray *added,
                              GPtrArray *removed)
{
    tb_sig_recording *rec = p->room->recording;
    if (!rec || rec->state == REC_OFF)
        return;
    for (guint i = 0; removed && i < removed->len; i++)
        drop_track(rec, g_ptr_array_index(removed, i));
    if (!rec->proc || !rec->proc->ready)
        return; /* the recorder gets every track when it is ready */
    for (guint i = 0; added && i < added->len; i++)
        send_track(rec, p, g_ptr_array_index(added, i));
}

static void on_consent_changed(void *user, tb_sig_room *room)
{
    char why[256];
    if (room->recording && room->recording->state != REC_OFF &&
        !tb_sig_room_consent_ok(room, why, sizeof why))
        tb_sig_recording_stop(room, NULL, "consent");
}

static void on_room_closing(void *user, tb_sig_room *room)
{
    tb_sig_recording *rec = room->recording;
    if (!rec)
        return;
    bool recorded = rec->state != REC_OFF || rec->since_us;
    proc_stop(rec);
    rec->room = NULL;
    g_hash_table_unref(rec->tracks);
    g_free(rec->by);
    g_free(rec);
    room->recording = NULL;
    /* The session ends: its composition is made once the recorder has closed the files
     * (the compose queue waits for that). */
    if (recorded && room->hub->cfg->recording.compose_after)
        tb_sig__compose_queue_add(user, room->session_id);
}

/* The room's state for clients carries the recording's. */
static void on_room_state(void *user, tb_sig_room *room, json_t *state)
{
    json_object_set_new(state, "recording", state_json(room));
}

static const tb_sig_room_observer observer = {
    .admitted = on_admitted,
    .leaving = on_leaving,
    .tracks_changed = on_tracks_changed,
    .consent_changed = on_consent_changed,
    .room_closing = on_room_closing,
    .room_state = on_room_state,
};

/* recording_start and recording_stop check the room's `recording` setting and the
 * participant's permissions themselves. */
static const tb_sig_handler requests[] = {
    {"recording_start", start_request, true},
    {"recording_stop", stop_request, true},
};

/* ---- server ---- */

tb_sig_recorder *tb_sig_recorder_create(tb_sig_hub *hub)
{
    tb_sig_recorder *r = g_new0(tb_sig_recorder, 1);
    r->hub = hub;
    r->cancel = g_cancellable_new();
    g_queue_init(&r->compose_queue);
    tb_sig_hub_observe(hub, &observer, r);
    tb_sig_hub_add_requests(hub, requests, G_N_ELEMENTS(requests), r);
    tb_rec_recordings_init(hub->catalog);
    int stale = tb_rec_recordings_mark_stale(hub->catalog);
    tb_rec_compositions_mark_stale(hub->catalog);
    g_autofree char *root = tb_sig_recordings_dir(hub->cfg);
    if (stale > 0) {
        TB_LOG_WARN("%d recording(s) were interrupted by the last stop of the server", stale);
        GPtrArray *all = tb_rec_recordings_list(hub->catalog, false, 50, 0);
        for (guint i = 0; i < all->len; i++) {
            tb_rec_recording *rec = g_ptr_array_index(all, i);
            g_autofree char *dir = g_build_filename(root, rec->session_id, NULL);
            if (!strcmp(rec->state, "interrupted"))
                sync_catalog(r, rec->session_id, dir);
        }
        g_ptr_array_unref(all);
    }
    if (hub->cfg->recording.compose_after) {
        GPtrArray *todo = tb_rec_recordings_uncomposed(hub->catalog);
        for (guint i = 0; i < todo->len; i++)
            g_queue_push_tail(&r->compose_queue, g_strdup(g_ptr_array_index(todo, i)));
        g_ptr_array_unref(todo);
    }
    r->poll_timer = g_timeout_add_seconds(2, tb_sig__compose_poll, r);
    tb_sig__compose_next(r);
    return r;
}

void tb_sig_recorder_destroy(tb_sig_recorder *r)
{
    if (!r)
        return;
    g_source_remove(r->poll_timer);
    g_cancellable_cancel(r->cancel);
    /* Recorders close their files when their input ends; a composition goes on and
     * records its result in the catalog by itself. Neither is waited for. */
    while (r->procs) {
        rec_proc *pr = r->procs->data;
        pr->stopping = true;
        proc_free(pr);
    }
    g_clear_object(&r->composing);
    g_free(r->composing_id);
    g_queue_clear_full(&r->compose_queue, g_free);
    g_object_unref(r->cancel);
    g_free(r);
}
