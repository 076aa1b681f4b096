/* recording.c — recording on the daemon's side.
 *
 * A recorded room has one `telebridge-recorder record` child process (recorder/
 * record.c, started by proc.c), driven over its stdin/stdout with one JSON object per
 * line: the daemon names the tracks and participants, the recorder answers with the
 * loopback ports where it listens, and the relay's tap (tb_relay_track_tap_start) sends
 * each track's plain RTP there. The recorder's sockets are connected to the tap's source
 * address (tb_relay_room_tap_port, passed in each `track` command), so no other local
 * process can put packets into a recording. The recorder writes the files and the
 * manifest; the daemon keeps the catalog and the room informed.
 *
 * One recorder per session at a time. A start while the session's previous recorder is
 * still closing its files waits for it to exit (state WAITING, "starting" for clients),
 * and the recording_start is answered then; each recorder is given its segment number
 * (`--segment`, one more than the manifest's or the last one given), and the recorder
 * itself refuses a number the manifest has and holds a lock on the folder. Starts and
 * stops are limited per participant ([recording] change_interval_ms).
 *
 * Supervision: a recorder that dies while the room is recorded is restarted (a new
 * segment in the same session folder; at most MAX_RESTARTS per RESTART_WINDOW_US, then
 * the recording stops with reason "recorder_failed"); the catalog keeps the
 * interruption. A recorder that reports a full disk or a write error stops itself; the
 * room is told, the call goes on.
 *
 * Server stops: tb_sig_recorder_shutdown stops every recording and lets the main loop run
 * until the recorders have closed their files, so the catalog says "stopped" and the
 * recordings are marked resumable. A room recorded again within [recording]
 * resume_window_s of such an end (or of a crash's) continues that recording: the same
 * session folder, a new segment, one composition (docs/architecture.md, "Recording").
 *
 * When a recorded session ends (the room closes) its composition is queued
 * (compositions.c). */
#define TB_LOG_CAT "sig/recording"
#include "signaling/recording/internal.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"
#include "recorder/tb_rec_recordings.h"

#include <string.h>

#define MAX_RESTARTS      3
#define RESTART_WINDOW_US (60 * G_USEC_PER_SEC)
/* tb_sig_recorder_destroy's wait when nobody called tb_sig_recorder_shutdown: a recorder
 * closes its files in well under a second, 4 s at worst (track.c's EOS timeout). */
#define SHUTDOWN_WAIT_US (5 * G_USEC_PER_SEC)
/* Rate-limit entries kept per room before old ones are dropped. */
#define MAX_CHANGE_KEYS 256

static bool active(const tb_sig_recording *rec)
{
    return rec && rec->state != TB_SIG__REC_OFF;
}

/* ---- telling the room ---- */

static json_t *state_json(tb_sig_room *room)
{
    tb_sig_recording *rec = room->recording;
    json_t *j;
    if (!active(rec))
        j = json_pack("{s:s}", "state", "off");
    else
        j = json_pack("{s:s, s:s, s:I, s:s?}", "state",
                      rec->state == TB_SIG__REC_ON ? "recording" : "starting", "session_id",
                      rec->session_id, "since_us", (json_int_t)rec->since_us, "by", rec->by);
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

/* The recording_start that waited for the previous recorder gets its answer: the state,
 * or error `code`. */
static void reply_pending(tb_sig_recording *rec, const char *code, const char *why)
{
    tb_sig_participant *p = rec->reply_to;
    rec->reply_to = NULL;
    if (!p || !p->conn)
        return;
    if (!code) {
        tb_sig_reply(p->conn, rec->reply_id, state_json(rec->room));
        return;
    }
    json_t *id = json_integer(rec->reply_id);
    tb_sig_error(p->conn, id, code, "%s", why);
    json_decref(id);
}

/* ---- commands for room events ---- */

static void send_participant(rec_proc *pr, tb_sig_participant *p, const char *event)
{
    tb_sig__proc_send(pr, json_pack("{s:s, s:s, s:s, s:s?, s:s}", "cmd", "participant", "event",
                                    event, "id", p->id, "identity", p->identity, "name", p->name));
}

static void send_track(tb_sig_recording *rec, tb_sig_participant *p, tb_relay_track *t)
{
    const char *id = tb_relay_track_id(t);
    if (!rec->proc || g_hash_table_contains(rec->tracks, id))
        return;
    int source = tb_relay_room_tap_port(rec->room->relay_room);
    if (source <= 0) {
        TB_LOG_ERR("[%s] track %s not recorded: the relay has no tap socket", rec->room->name, id);
        return;
    }
    g_hash_table_insert(rec->tracks, g_strdup(id), tb_relay_track_ref(t));
    tb_sig__proc_send(rec->proc,
                      json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:i}", "cmd", "track",
                                "id", id, "participant_id", p->id, "identity", p->identity, "name",
                                p->name, "kind",
                                tb_relay_track_kind(t) == TB_RELAY_KIND_AUDIO ? "audio" : "video",
                                "label", tb_relay_track_label(t), "codec", tb_relay_track_codec(t),
                                "source_port", source));
}

static void drop_track(tb_sig_recording *rec, tb_relay_track *t)
{
    const char *id = tb_relay_track_id(t);
    if (!g_hash_table_contains(rec->tracks, id))
        return;
    if (rec->room)
        tb_relay_track_tap_stop(rec->room->relay_room, t);
    if (rec->proc)
        tb_sig__proc_send(rec->proc, json_pack("{s:s, s:s}", "cmd", "untrack", "id", id));
    g_hash_table_remove(rec->tracks, id);
}

static void stop_taps(tb_sig_recording *rec)
{
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, rec->tracks);
    while (rec->room && g_hash_table_iter_next(&it, &key, &val))
        tb_relay_track_tap_stop(rec->room->relay_room, val);
    g_hash_table_remove_all(rec->tracks);
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

void tb_sig__recording_event(rec_proc *pr, json_t *ev)
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
        rec->state = TB_SIG__REC_ON;
        send_room(rec);
        announce(rec, NULL);
        TB_LOG_INFO("[%s] recording (session %s, segment %d)", rec->room->name, pr->session_id,
                    pr->segment);
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

/* ---- starting a recorder, and after one exited ---- */

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

/* Runs the recorder of rec's next segment: one more than any in the manifest (no other
 * recorder of the session runs now, so the manifest is final) and than any given
 * before. */
static bool launch(tb_sig_recording *rec, char *err, size_t errlen)
{
    tb_sig_recorder *r = rec->owner;
    g_autofree char *root = tb_sig_recordings_dir(r->hub->cfg);
    g_autofree char *dir = g_build_filename(root, rec->session_id, NULL);
    char merr[256];
    int segment = rec->next_segment;
    tb_rec_manifest *m = tb_rec_manifest_load(dir, merr, sizeof merr);
    if (m)
        segment = MAX(segment, tb_rec_manifest_next_segment(m));
    tb_rec_manifest_free(m);
    if (!tb_sig__proc_start(rec, segment, err, errlen))
        return false;
    rec->next_segment = segment + 1;
    rec->state = TB_SIG__REC_STARTING;
    /* Again after a restart: the catalog counts the interruption; the recording's state is
     * "recording" again, and "interrupted" (not "stopped") once it ends. */
    tb_rec_recording_begin(r->hub->catalog, rec->session_id, rec->room->name);
    return true;
}

static void spawn_failed(tb_sig_recording *rec, const char *why)
{
    rec->state = TB_SIG__REC_OFF;
    tb_rec_recording_set_state(rec->owner->hub->catalog, rec->session_id, "failed", why);
    announce(rec, why);
}

/* The session's recorder has exited: a recording waiting for it starts now. */
static void wake(tb_sig_recorder *r, const char *session_id)
{
    if (tb_sig__proc_busy(r, session_id))
        return;
    for (GList *l = r->waiting; l; l = l->next) {
        tb_sig_recording *rec = l->data;
        if (strcmp(rec->session_id, session_id))
            continue;
        r->waiting = g_list_delete_link(r->waiting, l);
        char err[256] = "";
        if (r->shutting_down) {
            rec->state = TB_SIG__REC_OFF;
            announce(rec, "shutdown");
            reply_pending(rec, "wrong_state", "the server is shutting down");
        } else if (!launch(rec, err, sizeof err)) {
            TB_LOG_ERR("[%s] %s", rec->room->name, err);
            spawn_failed(rec, "recorder_failed");
            reply_pending(rec, "internal", "the recorder could not start");
        } else {
            reply_pending(rec, NULL, NULL);
        }
        return; /* one recording per session */
    }
}

void tb_sig__recording_exited(rec_proc *pr, bool clean)
{
    tb_sig_recorder *r = pr->owner;
    tb_sig_recording *rec = pr->rec;
    tb_rec_catalog *cat = r->hub->catalog;
    char sid[32];
    g_strlcpy(sid, pr->session_id, sizeof sid);
    sync_catalog(r, sid, pr->dir);
    if (pr->stopping || !rec) {
        const char *state = pr->error_code ? "failed" : clean ? "stopped" : "interrupted";
        bool resumable = pr->shutdown && !pr->error_code;
        tb_rec_recording_set_state(cat, sid, state,
                                   pr->error_code ? pr->error_code
                                   : resumable    ? "shutdown"
                                                  : NULL);
        if (resumable)
            tb_rec_recording_set_resumable(cat, sid);
        TB_LOG_INFO("[%s] recorder of segment %d finished (%s)", sid, pr->segment, state);
        tb_sig__proc_free(pr);
        wake(r, sid);
        tb_sig__compose_next(r); /* its session may be waiting for the files */
        return;
    }
    /* It died while the room was being recorded. */
    TB_LOG_ERR("[%s] recorder of segment %d died: restarting it", sid, pr->segment);
    tb_rec_recording_set_state(cat, sid, "interrupted", "recorder_crashed");
    tb_sig__proc_free(pr);
    stop_taps(rec); /* the tracks go to the new recorder, on new ports */
    int64_t now = g_get_monotonic_time();
    if (now - rec->restart_window_us > RESTART_WINDOW_US) {
        rec->restart_window_us = now;
        rec->restarts = 0;
    }
    char err[256];
    if (++rec->restarts > MAX_RESTARTS) {
        spawn_failed(rec, "recorder_failed");
    } else if (!launch(rec, err, sizeof err)) {
        TB_LOG_ERR("[%s] %s", rec->room->name, err);
        spawn_failed(rec, "recorder_failed");
    }
}

/* ---- which recording a start writes to ---- */

/* The room's own session, unless its last recording was ended by the server going away
 * less than resume_window_s ago: that one goes on (docs/architecture.md). */
static void choose_session(tb_sig_recording *rec)
{
    tb_sig_room *room = rec->room;
    const tb_config *cfg = room->hub->cfg;
    g_strlcpy(rec->session_id, room->session_id, sizeof rec->session_id);
    int window = cfg->recording.resume_window_s;
    if (window <= 0)
        return;
    g_autoptr(tb_rec_recording) last = tb_rec_recording_latest(room->hub->catalog, room->name);
    if (!last || !last->resumable || last->published || !last->ended_us ||
        !tb_rec_session_id_valid(last->session_id) || !strcmp(last->session_id, room->session_id) ||
        g_get_real_time() - last->ended_us > (int64_t)window * G_USEC_PER_SEC)
        return;
    g_strlcpy(rec->session_id, last->session_id, sizeof rec->session_id);
    TB_LOG_INFO("[%s] the recording continues %s, ended by a server stop %llds ago", room->name,
                rec->session_id,
                (long long)((g_get_real_time() - last->ended_us) / G_USEC_PER_SEC));
}

/* ---- starting and stopping ---- */

static tb_sig_recording *recording_of(tb_sig_recorder *r, tb_sig_room *room)
{
    if (!room->recording) {
        tb_sig_recording *rec = g_new0(tb_sig_recording, 1);
        rec->owner = r;
        rec->room = room;
        rec->tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)tb_relay_track_unref);
        rec->changes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        room->recording = rec;
    }
    return room->recording;
}

/* Starts recording the room; NULL, or a protocol error code with err filled. The
 * recording may be left WAITING for the session's previous recorder. */
static const char *start(tb_sig_recorder *r, tb_sig_room *room, tb_sig_participant *by, char *err,
                         size_t errlen)
{
    tb_sig_recording *rec = recording_of(r, room);
    if (r->shutting_down) {
        snprintf(err, errlen, "the server is shutting down");
        return "wrong_state";
    }
    if (active(rec)) {
        snprintf(err, errlen, "the room is being recorded already");
        return "wrong_state";
    }
    if (!tb_sig_room_consent_ok(room, err, errlen))
        return "consent_missing";
    if (!rec->session_id[0])
        choose_session(rec);
    rec->restarts = 0;
    if (tb_sig__proc_busy(r, rec->session_id)) {
        rec->state = TB_SIG__REC_WAITING;
        r->waiting = g_list_append(r->waiting, rec);
        TB_LOG_INFO("[%s] the recording starts once the previous recorder of %s has closed its "
                    "files",
                    room->name, rec->session_id);
    } else if (!launch(rec, err, errlen)) {
        TB_LOG_ERR("[%s] %s", room->name, err);
        return "internal";
    }
    rec->since_us = g_get_real_time();
    g_free(rec->by);
    rec->by = by ? g_strdup(by->name) : NULL;
    if (by)
        tb_sig_audit(room, by, "recording_start", NULL, NULL);
    announce(rec, NULL);
    return NULL;
}

void tb_sig_recording_stop(tb_sig_room *room, tb_sig_participant *by, const char *reason)
{
    tb_sig_recording *rec = room->recording;
    if (!active(rec))
        return;
    TB_LOG_INFO("[%s] recording stops%s%s", room->name, reason ? ": " : "", reason ? reason : "");
    if (rec->state == TB_SIG__REC_WAITING) {
        rec->owner->waiting = g_list_remove(rec->owner->waiting, rec);
        reply_pending(rec, "wrong_state", "the recording was stopped before it began");
    }
    stop_taps(rec);
    if (rec->proc)
        tb_sig__proc_stop(rec->proc, reason);
    rec->state = TB_SIG__REC_OFF;
    if (by) {
        rec->stopped_by_hand = true;
        tb_sig_audit(room, by, "recording_stop", NULL, NULL);
    }
    announce(rec, reason);
}

/* ---- requests ---- */

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

/* The rate limit's key: the identity (a reconnection is the same person), or for an
 * anonymous joiner the participant. Transfer full. */
static char *change_key(tb_sig_participant *p)
{
    return p->identity ? g_strconcat("id:", p->identity, NULL) : g_strconcat("p:", p->id, NULL);
}

/* At most one start or stop per change_interval_ms and participant: each one spawns or
 * ends a process and a segment, so a client repeating them fast would fill the folder
 * and the process table. */
static bool change_allowed(tb_sig_request *r, tb_sig_recording *rec, tb_sig_participant *p)
{
    int interval_ms = p->room->hub->cfg->recording.change_interval_ms;
    if (interval_ms <= 0)
        return true;
    g_autofree char *key = change_key(p);
    const int64_t *last = g_hash_table_lookup(rec->changes, key);
    int64_t left_us = last ? *last + (int64_t)interval_ms * 1000 - g_get_monotonic_time() : 0;
    if (left_us <= 0)
        return true;
    tb_sig_fail(r, "rate_limited", "one change of the recording per %d ms: try again in %lld ms",
                interval_ms, (long long)(left_us / 1000 + 1));
    return false;
}

static void note_change(tb_sig_recording *rec, tb_sig_participant *p)
{
    int64_t now = g_get_monotonic_time();
    int64_t interval_us = (int64_t)p->room->hub->cfg->recording.change_interval_ms * 1000;
    if (g_hash_table_size(rec->changes) >= MAX_CHANGE_KEYS) {
        GHashTableIter it;
        gpointer key, val;
        g_hash_table_iter_init(&it, rec->changes);
        while (g_hash_table_iter_next(&it, &key, &val))
            if (now - *(int64_t *)val >= interval_us)
                g_hash_table_iter_remove(&it);
    }
    int64_t *at = g_new(int64_t, 1);
    *at = now;
    g_hash_table_replace(rec->changes, change_key(p), at);
}

static void start_request(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    if (!may_record(r, p))
        return;
    /* A start that would change nothing is no change for the rate limit either. */
    if (active(p->room->recording)) {
        tb_sig_fail(r, "wrong_state", "the room is being recorded already");
        return;
    }
    if (!change_allowed(r, recording_of(r->user, p->room), p))
        return;
    char err[256] = "";
    const char *code = start(r->user, p->room, p, err, sizeof err);
    if (code) {
        tb_sig_fail(r, code, "%s", err);
        return;
    }
    tb_sig_recording *rec = p->room->recording;
    note_change(rec, p);
    if (rec->state == TB_SIG__REC_WAITING) {
        /* Answered when the previous recorder has exited (wake) */
        rec->reply_to = p;
        rec->reply_id = json_integer_value(r->id);
        return;
    }
    tb_sig_ok(r, state_json(p->room));
}

static void stop_request(tb_sig_request *r)
{
    tb_sig_participant *p = r->conn->participant;
    if (!may_record(r, p))
        return;
    if (!active(p->room->recording)) {
        tb_sig_fail(r, "wrong_state", "the room is not being recorded");
        return;
    }
    if (!change_allowed(r, p->room->recording, p))
        return;
    note_change(p->room->recording, p);
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
    if (active(rec)) {
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
    if (rec && rec->reply_to == p)
        rec->reply_to = NULL;
    if (!active(rec) || !p->admitted)
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
    if (!active(rec))
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
    if (active(room->recording) && !tb_sig_room_consent_ok(room, why, sizeof why))
        tb_sig_recording_stop(room, NULL, "consent");
}

static void on_room_closing(void *user, tb_sig_room *room)
{
    tb_sig_recorder *r = user;
    tb_sig_recording *rec = room->recording;
    if (!rec)
        return;
    bool recorded = rec->session_id[0] && (active(rec) || rec->since_us);
    if (rec->state == TB_SIG__REC_WAITING)
        r->waiting = g_list_remove(r->waiting, rec);
    stop_taps(rec);
    if (rec->proc)
        tb_sig__proc_stop(rec->proc, r->shutting_down ? "shutdown" : NULL);
    rec->room = NULL;
    room->recording = NULL;
    /* The session ends: its composition is made once the recorder has closed the files
     * (the compose queue waits for that) — again if one began before this recording went
     * on (a continued recording's earlier part may have been composed at start-up). */
    if (recorded && room->hub->cfg->recording.compose_after)
        tb_sig__compose_queue_add(r, rec->session_id, true);
    g_hash_table_unref(rec->tracks);
    g_hash_table_unref(rec->changes);
    g_free(rec->by);
    g_free(rec);
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

static gboolean no_op(gpointer data)
{
    return G_SOURCE_REMOVE;
}

void tb_sig_recorder_shutdown(tb_sig_recorder *r, int64_t deadline_us)
{
    if (!r || r->shutting_down)
        return;
    r->shutting_down = true;
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, r->hub->rooms);
    while (g_hash_table_iter_next(&it, &key, &val))
        tb_sig_recording_stop(val, NULL, "shutdown");
    guint n = g_list_length(r->procs);
    if (n)
        TB_LOG_INFO("waiting up to %lld ms for %u recorder(s) to close their files",
                    (long long)MAX(deadline_us - g_get_monotonic_time(), 0) / 1000, n);
    /* Their exits (tb_sig__recording_exited) are GLib callbacks on this context; a
     * timeout wakes the wait at the deadline. */
    while (r->procs) {
        int64_t left_us = deadline_us - g_get_monotonic_time();
        if (left_us <= 0)
            break;
        GSource *t = g_timeout_source_new((guint)MIN(left_us / 1000 + 1, G_MAXINT));
        g_source_set_callback(t, no_op, NULL, NULL);
        g_source_attach(t, NULL);
        g_main_context_iteration(NULL, TRUE);
        g_source_destroy(t);
        g_source_unref(t);
    }
    if (r->procs)
        TB_LOG_WARN("%u recorder(s) still closing their files at the deadline: they finish by "
                    "themselves, and the next start marks their recordings interrupted",
                    g_list_length(r->procs));
}

void tb_sig_recorder_destroy(tb_sig_recorder *r)
{
    if (!r)
        return;
    if (!r->shutting_down)
        tb_sig_recorder_shutdown(r, g_get_monotonic_time() + SHUTDOWN_WAIT_US);
    g_source_remove(r->poll_timer);
    g_cancellable_cancel(r->cancel);
    /* Recorders still closing their files finish when their input ends; a composition goes
     * on and records its result in the catalog by itself. Neither is waited for. */
    while (r->procs) {
        rec_proc *pr = r->procs->data;
        pr->stopping = true;
        tb_sig__proc_free(pr);
    }
    g_list_free(r->waiting);
    g_clear_object(&r->composing);
    g_free(r->composing_id);
    g_queue_clear_full(&r->compose_queue, g_free);
    g_object_unref(r->cancel);
    g_free(r);
}
