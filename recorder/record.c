/* record.c — `telebridge-recorder record`: records one session's tracks, as the daemon
 * tells it, into the session folder, keeping manifest.json current.
 *
 * The daemon drives it over stdin/stdout, one JSON object per line (docs/architecture.md,
 * "Recording"):
 *   in:  {"cmd":"track", "id", "participant_id", "identity", "name", "kind", "label",
 *         "codec", "clock_rate", "source_port"}  start recording a track; its sockets take
 *                                       datagrams from 127.0.0.1:source_port only (the
 *                                       relay's tap; absent = from any local sender)
 *        {"cmd":"untrack", "id"}        close its file
 *        {"cmd":"participant", "event":"join"|"leave", "id", "identity", "name"}
 *        {"cmd":"stop", "reason"}       close every file and exit; `reason` (optional, e.g.
 *                                       "shutdown") is kept in the segment
 *   out: {"event":"ready", "segment"}
 *        {"event":"track_ready", "id", "rtp_port", "rtcp_port"} → the daemon starts the tap
 *        {"event":"track_failed", "id", "reason"}
 *        {"event":"track_started"|"track_ended", "id", ...}
 *        {"event":"keyframe", "id"}     please ask the publisher for a keyframe
 *        {"event":"error", "code":"disk_full"|"write_error", "message"}
 *        {"event":"stopped", "state"}
 * End of stdin (the daemon died) and SIGTERM/SIGINT count as "stop": files are closed
 * cleanly whatever happens to the daemon. A write error or a disk with less than
 * --min-free-mb free stops the whole recording: a recording with holes in one track
 * would mislead more than one that visibly ends.
 *
 * One recorder per session folder: it holds an exclusive lock on the folder's
 * .recorder.lock while it runs (the kernel drops it when the process ends, however it
 * ends), taken before the manifest is read, and writes the segment the daemon numbered
 * (--segment) only if the manifest does not have it yet. A recorder started while the
 * previous one of the session still closes its files — the daemon waits for that, but a
 * restarted daemon does not know the old one's orphan — waits up to LOCK_WAIT_MS. */
#define TB_LOG_CAT "rec/record"
#include "recorder/internal.h"
#include "common/tb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define DISK_CHECK_MS 2000
#define MAX_LINE      65536
#define LOCK_NAME     ".recorder.lock"
/* Longer than a recorder takes to close its files (track.c gives EOS 4 s). */
#define LOCK_WAIT_MS 10000

typedef struct rec_session {
    const rec_record_opts *o;
    GMainLoop *loop;
    tb_rec_manifest *m;
    tb_rec_segment *seg; /* in m */
    GHashTable *tracks;  /* id → rec_track* (owned), until ended */
    GDataInputStream *in;
    GCancellable *cancel;
    bool stopping;
    tb_rec_segment_state final_state;
    char *final_reason;
    guint disk_timer;
    int exit_code;
} rec_session;

static void emit(json_t *ev)
{
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!s)
        return;
    /* The daemon may be gone (SIGPIPE is ignored): a failed write changes nothing. */
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(s);
}

static void save(rec_session *s)
{
    char err[256];
    if (tb_rec_manifest_save(s->m, s->o->dir, err, sizeof err))
        TB_LOG_ERR("%s", err);
}

static void maybe_finish(rec_session *s);
static void stop_all(rec_session *s, tb_rec_segment_state state, const char *reason);

/* ---- track events ---- */

static tb_rec_track *entry_of(rec_session *s, rec_track *t)
{
    return tb_rec_manifest_track(s->m, rec_track_id(t), s->seg->index);
}

static void update_entry(rec_session *s, rec_track *t)
{
    tb_rec_track *e = entry_of(s, t);
    if (!e)
        return;
    rec_track_timing tm;
    rec_track_timing_get(t, &tm);
    e->ssrc = tm.ssrc;
    e->start_us = tm.start_us;
    e->offset_us = tm.first_us;
    e->sender_start_us = tm.sender_start_us;
    if (e->state != TB_REC_TRACK_RECORDING && e->state != TB_REC_TRACK_WAITING)
        e->end_us = tm.end_us;
}

static void on_started(void *user, rec_track *t)
{
    rec_session *s = user;
    tb_rec_track *e = entry_of(s, t);
    if (e)
        e->state = TB_REC_TRACK_RECORDING;
    update_entry(s, t);
    save(s);
    emit(json_pack("{s:s, s:s, s:I}", "event", "track_started", "id", rec_track_id(t), "start_us",
                   (json_int_t)(e ? e->start_us : 0)));
}

static void on_synced(void *user, rec_track *t)
{
    rec_session *s = user;
    update_entry(s, t);
    save(s);
}

static void on_need_keyframe(void *user, rec_track *t)
{
    emit(json_pack("{s:s, s:s}", "event", "keyframe", "id", rec_track_id(t)));
}

static void on_error(void *user, rec_track *t, const char *code, const char *message)
{
    rec_session *s = user;
    tb_rec_track *e = entry_of(s, t);
    if (e)
        e->state = TB_REC_TRACK_FAILED;
    emit(json_pack("{s:s, s:s, s:s, s:s}", "event", "error", "code", code, "message", message, "id",
                   rec_track_id(t)));
    stop_all(s, TB_REC_SEGMENT_FAILED, code);
}

static gboolean destroy_idle(gpointer data)
{
    rec_track_destroy(data);
    return G_SOURCE_REMOVE;
}

static void on_ended(void *user, rec_track *t)
{
    rec_session *s = user;
    tb_rec_track *e = entry_of(s, t);
    rec_track_timing tm;
    rec_track_timing_get(t, &tm);
    if (e) {
        if (tm.frames == 0) {
            e->state = TB_REC_TRACK_EMPTY;
            g_autofree char *path = g_build_filename(s->o->dir, e->file, NULL);
            remove(path);
        } else if (e->state != TB_REC_TRACK_FAILED) {
            e->state = TB_REC_TRACK_DONE;
        }
        update_entry(s, t);
        e->end_us = tm.end_us;
        save(s);
    }
    emit(json_pack("{s:s, s:s, s:s, s:I}", "event", "track_ended", "id", rec_track_id(t), "state",
                   e ? tb_rec_track_state_name(e->state) : "?", "frames", (json_int_t)tm.frames));
    /* Freed from an idle: we are inside the track's own bus callback. */
    g_hash_table_remove(s->tracks, rec_track_id(t)); /* frees the key only */
    g_idle_add(destroy_idle, t);
    maybe_finish(s);
}

static const rec_track_events track_events = {on_started, on_synced, on_need_keyframe, on_error,
                                              on_ended};

/* ---- commands ---- */

static bool safe_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_')
            return false;
    return true;
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void cmd_track(rec_session *s, json_t *c)
{
    const char *id = jstr(c, "id"), *kind = jstr(c, "kind"), *codec = jstr(c, "codec");
    const char *pid = jstr(c, "participant_id"), *name = jstr(c, "name");
    json_t *src = json_object_get(c, "source_port");
    json_int_t source_port = json_is_integer(src) ? json_integer_value(src) : 0;
    if (!safe_id(id) || !kind || !codec || !pid || !name ||
        (strcmp(kind, "audio") && strcmp(kind, "video")) || (src && !json_is_integer(src)) ||
        source_port < 0 || source_port > 65535) {
        emit(json_pack("{s:s, s:s?, s:s}", "event", "track_failed", "id", id, "reason",
                       "bad track command"));
        return;
    }
    if (s->stopping || g_hash_table_contains(s->tracks, id)) {
        emit(json_pack("{s:s, s:s, s:s}", "event", "track_failed", "id", id, "reason",
                       s->stopping ? "stopping" : "already recorded"));
        return;
    }
    const char *ext = !g_ascii_strcasecmp(codec, "h264") ? "mkv" : "webm";
    char file[128];
    snprintf(file, sizeof file, "%d-%s.%s", s->seg->index, id, ext);
    for (int n = 2; tb_rec_manifest_track(s->m, id, s->seg->index); n++)
        snprintf(file, sizeof file, "%d-%s-%d.%s", s->seg->index, id, n, ext);
    g_autofree char *path = g_build_filename(s->o->dir, file, NULL);
    int clock = (int)json_integer_value(json_object_get(c, "clock_rate"));
    char err[256] = "";
    if (!source_port)
        TB_LOG_WARN("[%s] no source_port: any local process may send to this track", id);
    rec_track *t = rec_track_create(id, kind, codec, clock, s->seg->started_us, (int)source_port,
                                    path, &track_events, s, err, sizeof err);
    if (!t) {
        TB_LOG_ERR("[%s] %s", id, err);
        emit(json_pack("{s:s, s:s, s:s}", "event", "track_failed", "id", id, "reason", err));
        return;
    }
    tb_rec_track *e = g_new0(tb_rec_track, 1);
    e->id = g_strdup(id);
    e->participant_id = g_strdup(pid);
    e->identity = g_strdup(jstr(c, "identity"));
    e->name = g_strdup(name);
    e->kind = g_strdup(kind);
    e->label = g_strdup(jstr(c, "label") ? jstr(c, "label") : kind);
    e->codec = g_strdup(codec);
    e->clock_rate = clock > 0 ? clock : (!strcmp(kind, "audio") ? 48000 : 90000);
    e->file = g_strdup(file);
    e->segment = s->seg->index;
    e->state = TB_REC_TRACK_WAITING;
    g_ptr_array_add(s->m->tracks, e);
    g_hash_table_insert(s->tracks, g_strdup(id), t);
    save(s);
    emit(json_pack("{s:s, s:s, s:i, s:i, s:s}", "event", "track_ready", "id", id, "rtp_port",
                   rec_track_rtp_port(t), "rtcp_port", rec_track_rtcp_port(t), "file", file));
}

static void cmd_untrack(rec_session *s, json_t *c)
{
    const char *id = jstr(c, "id");
    rec_track *t = id ? g_hash_table_lookup(s->tracks, id) : NULL;
    if (t)
        rec_track_stop(t);
}

static void cmd_participant(rec_session *s, json_t *c)
{
    const char *ev = jstr(c, "event"), *id = jstr(c, "id"), *name = jstr(c, "name");
    if (!ev || !id)
        return;
    json_t *at = json_object_get(c, "at_us");
    int64_t when = json_is_integer(at) ? json_integer_value(at) : g_get_real_time();
    tb_rec_participant *p = tb_rec_manifest_participant(s->m, id);
    if (!strcmp(ev, "join")) {
        if (p && !p->left_us)
            return;
        p = g_new0(tb_rec_participant, 1);
        p->id = g_strdup(id);
        p->identity = g_strdup(jstr(c, "identity"));
        p->name = g_strdup(name ? name : id);
        p->joined_us = when;
        g_ptr_array_add(s->m->participants, p);
    } else if (!strcmp(ev, "leave") && p && !p->left_us) {
        p->left_us = when;
    } else {
        return;
    }
    save(s);
}

static void handle_line(rec_session *s, const char *line)
{
    json_error_t jerr;
    json_t *c = json_loads(line, 0, &jerr);
    const char *cmd = json_is_object(c) ? jstr(c, "cmd") : NULL;
    if (!cmd)
        TB_LOG_WARN("ignoring a command that is not {\"cmd\": ...}: %.80s", line);
    else if (!strcmp(cmd, "track"))
        cmd_track(s, c);
    else if (!strcmp(cmd, "untrack"))
        cmd_untrack(s, c);
    else if (!strcmp(cmd, "participant"))
        cmd_participant(s, c);
    else if (!strcmp(cmd, "stop"))
        stop_all(s, TB_REC_SEGMENT_DONE, safe_id(jstr(c, "reason")) ? jstr(c, "reason") : NULL);
    else
        TB_LOG_WARN("unknown command '%s'", cmd);
    json_decref(c);
}

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
    rec_session *s = data;
    gsize len = 0;
    GError *gerr = NULL;
    char *line = g_data_input_stream_read_line_finish_utf8(s->in, res, &len, &gerr);
    if (!line) {
        if (gerr && g_error_matches(gerr, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_error_free(gerr);
            return;
        }
        if (!s->stopping)
            TB_LOG_WARN("control input closed%s%s: the daemon is gone, closing the files",
                        gerr ? ": " : "", gerr ? gerr->message : "");
        g_clear_error(&gerr);
        stop_all(s, TB_REC_SEGMENT_DONE, "daemon_gone");
        return;
    }
    if (len <= MAX_LINE)
        handle_line(s, line);
    g_free(line);
    g_data_input_stream_read_line_async(s->in, G_PRIORITY_DEFAULT, s->cancel, on_line, s);
}

/* ---- stopping ---- */

static void maybe_finish(rec_session *s)
{
    if (!s->stopping || g_hash_table_size(s->tracks) > 0)
        return;
    s->seg->state = s->final_state;
    s->seg->ended_us = g_get_real_time();
    g_free(s->seg->reason);
    s->seg->reason = g_strdup(s->final_reason);
    save(s);
    emit(json_pack("{s:s, s:s, s:s?}", "event", "stopped", "state",
                   tb_rec_segment_state_name(s->seg->state), "reason", s->final_reason));
    g_main_loop_quit(s->loop);
}

static void stop_all(rec_session *s, tb_rec_segment_state state, const char *reason)
{
    if (s->stopping)
        return;
    TB_LOG_INFO("stopping%s%s", reason ? ": " : "", reason ? reason : "");
    s->stopping = true;
    s->final_state = state;
    s->final_reason = g_strdup(reason);
    GList *ts = g_hash_table_get_values(s->tracks);
    for (GList *l = ts; l; l = l->next)
        rec_track_stop(l->data);
    g_list_free(ts);
    maybe_finish(s);
}

static gboolean on_signal(gpointer data)
{
    stop_all(data, TB_REC_SEGMENT_DONE, NULL);
    return G_SOURCE_CONTINUE;
}

static gboolean check_disk(gpointer data)
{
    rec_session *s = data;
    struct statvfs v;
    if (s->stopping || s->o->min_free_mb <= 0 || statvfs(s->o->dir, &v))
        return G_SOURCE_CONTINUE;
    uint64_t free_mb = (uint64_t)v.f_bavail * v.f_frsize / (1024 * 1024);
    if (free_mb < (uint64_t)s->o->min_free_mb) {
        char msg[128];
        snprintf(msg, sizeof msg, "%llu MiB free, less than the %d MiB kept free",
                 (unsigned long long)free_mb, s->o->min_free_mb);
        TB_LOG_ERR("%s: %s", s->o->dir, msg);
        emit(json_pack("{s:s, s:s, s:s}", "event", "error", "code", "disk_full", "message", msg));
        stop_all(s, TB_REC_SEGMENT_FAILED, "disk_full");
    }
    return G_SOURCE_CONTINUE;
}

/* The folder's lock (an fd to keep open while recording), or -1 with err. */
static int lock_folder(const char *dir, char *err, size_t errlen)
{
    g_autofree char *path = g_build_filename(dir, LOCK_NAME, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, g_strerror(errno));
        return -1;
    }
    int64_t until = g_get_monotonic_time() + (int64_t)LOCK_WAIT_MS * 1000;
    bool said = false;
    while (flock(fd, LOCK_EX | LOCK_NB)) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "lock %s: %s", path, g_strerror(errno));
            close(fd);
            return -1;
        }
        if (g_get_monotonic_time() >= until) {
            snprintf(err, errlen, "another recorder still writes %s after %d ms", dir,
                     LOCK_WAIT_MS);
            close(fd);
            return -1;
        }
        if (!said)
            TB_LOG_WARN("another recorder still writes %s: waiting for it", dir);
        said = true;
        g_usleep(50 * 1000);
    }
    return fd;
}

/* The manifest with our new segment, saved; false with err (nothing written). */
static bool begin(rec_session *s, char *err, size_t errlen)
{
    const rec_record_opts *o = s->o;
    s->m = tb_rec_manifest_load(o->dir, err, errlen);
    if (!s->m) {
        g_autofree char *path = g_build_filename(o->dir, TB_REC_MANIFEST_NAME, NULL);
        /* Never overwrite what we cannot read: it describes files already on disk. */
        if (g_file_test(path, G_FILE_TEST_EXISTS))
            return false;
        s->m = tb_rec_manifest_new(o->session, o->room);
    } else if (strcmp(s->m->session, o->session)) {
        snprintf(err, errlen, "%s belongs to session %s, not %s", o->dir, s->m->session,
                 o->session);
        return false;
    }
    int index = o->segment >= 0 ? o->segment : tb_rec_manifest_next_segment(s->m);
    s->seg = tb_rec_manifest_add_segment(s->m, index, g_get_real_time());
    if (!s->seg) {
        snprintf(err, errlen, "%s: segment %d exists already (or is out of range)", o->dir, index);
        return false;
    }
    if (o->meeting && strcmp(o->meeting, o->session))
        s->seg->meeting = g_strdup(o->meeting);
    return tb_rec_manifest_save(s->m, o->dir, err, errlen) == 0;
}

int rec_record_run(const rec_record_opts *o)
{
    signal(SIGPIPE, SIG_IGN);
    if (g_mkdir_with_parents(o->dir, 0750)) {
        TB_LOG_ERR("cannot create %s", o->dir);
        return 1;
    }
    rec_session s = {0};
    s.o = o;
    char err[256] = "";
    int lock_fd = lock_folder(o->dir, err, sizeof err);
    if (lock_fd < 0 || !begin(&s, err, sizeof err)) {
        TB_LOG_ERR("%s", err);
        tb_rec_manifest_free(s.m);
        if (lock_fd >= 0)
            close(lock_fd);
        return 1;
    }
    s.loop = g_main_loop_new(NULL, FALSE);
    s.tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s.cancel = g_cancellable_new();
    GInputStream *raw = g_unix_input_stream_new(0, FALSE);
    s.in = g_data_input_stream_new(raw);
    g_object_unref(raw);
    g_data_input_stream_read_line_async(s.in, G_PRIORITY_DEFAULT, s.cancel, on_line, &s);
    guint sig_int = g_unix_signal_add(SIGINT, on_signal, &s);
    guint sig_term = g_unix_signal_add(SIGTERM, on_signal, &s);
    s.disk_timer = g_timeout_add(DISK_CHECK_MS, check_disk, &s);
    TB_LOG_INFO("session %s (room %s): segment %d in %s", o->session, o->room, s.seg->index,
                o->dir);
    emit(json_pack("{s:s, s:i}", "event", "ready", "segment", s.seg->index));
    check_disk(&s);
    /* A disk found full already has stopped everything; quitting a loop that is not
     * running yet would not stop it. */
    if (!s.stopping)
        g_main_loop_run(s.loop);

    g_source_remove(sig_int);
    g_source_remove(sig_term);
    g_source_remove(s.disk_timer);
    g_cancellable_cancel(s.cancel);
    /* Let the cancelled read and the idle destroys of the last tracks run. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_object_unref(s.cancel);
    g_object_unref(s.in);
    g_hash_table_unref(s.tracks);
    g_main_loop_unref(s.loop);
    int rc = s.seg->state == TB_REC_SEGMENT_DONE ? 0 : 3;
    g_free(s.final_reason);
    tb_rec_manifest_free(s.m);
    close(lock_fd); /* last: the manifest is final */
    return rc;
}
