/* manifest.c — the session manifest (manifest.json): what was recorded, by whom, when,
 * and how each file's timestamps map to the wall clock.
 *
 * The recorder rewrites the whole manifest on every change (a track starts or ends, a
 * participant joins or leaves); it is small (a few KiB), so the cost is one fsync per
 * change. Crash safety comes from write-to-temporary + fsync + rename + fsync(folder):
 * after a crash at any instant the file is the old or the new version, whole. */
#define TB_LOG_CAT "rec/manifest"
#include "recorder/tb_rec.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const track_states[] = {"waiting", "recording",   "done",
                                           "failed",  "interrupted", "empty"};
static const char *const segment_states[] = {"recording", "done", "interrupted", "failed"};

const char *tb_rec_track_state_name(tb_rec_track_state s)
{
    return (unsigned)s < G_N_ELEMENTS(track_states) ? track_states[s] : "?";
}

const char *tb_rec_segment_state_name(tb_rec_segment_state s)
{
    return (unsigned)s < G_N_ELEMENTS(segment_states) ? segment_states[s] : "?";
}

static int state_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return -1;
}

/* ---- lifecycle ---- */

static void track_free(gpointer p)
{
    tb_rec_track *t = p;
    g_free(t->id);
    g_free(t->participant_id);
    g_free(t->identity);
    g_free(t->name);
    g_free(t->kind);
    g_free(t->label);
    g_free(t->codec);
    g_free(t->file);
    g_free(t);
}

static void participant_free(gpointer p)
{
    tb_rec_participant *x = p;
    g_free(x->id);
    g_free(x->identity);
    g_free(x->name);
    g_free(x);
}

static void segment_free(gpointer p)
{
    tb_rec_segment *s = p;
    g_free(s->reason);
    g_free(s->meeting);
    g_free(s);
}

tb_rec_manifest *tb_rec_manifest_new(const char *session, const char *room)
{
    tb_rec_manifest *m = g_new0(tb_rec_manifest, 1);
    m->version = TB_REC_MANIFEST_VERSION;
    m->session = g_strdup(session);
    m->room = g_strdup(room);
    m->created_us = g_get_real_time();
    m->segments = g_ptr_array_new_with_free_func(segment_free);
    m->participants = g_ptr_array_new_with_free_func(participant_free);
    m->tracks = g_ptr_array_new_with_free_func(track_free);
    return m;
}

void tb_rec_manifest_free(tb_rec_manifest *m)
{
    if (!m)
        return;
    g_free(m->session);
    g_free(m->room);
    g_ptr_array_unref(m->segments);
    g_ptr_array_unref(m->participants);
    g_ptr_array_unref(m->tracks);
    g_free(m);
}

/* ---- lookups and state changes ---- */

tb_rec_track *tb_rec_manifest_track(const tb_rec_manifest *m, const char *id, int segment)
{
    for (guint i = m->tracks->len; i-- > 0;) {
        tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        if (!strcmp(t->id, id) && (segment < 0 || t->segment == segment))
            return t;
    }
    return NULL;
}

tb_rec_participant *tb_rec_manifest_participant(const tb_rec_manifest *m, const char *id)
{
    for (guint i = m->participants->len; i-- > 0;) {
        tb_rec_participant *p = g_ptr_array_index(m->participants, i);
        if (!strcmp(p->id, id))
            return p;
    }
    return NULL;
}

tb_rec_segment *tb_rec_manifest_segment(const tb_rec_manifest *m, int index)
{
    for (guint i = 0; i < m->segments->len; i++) {
        tb_rec_segment *s = g_ptr_array_index(m->segments, i);
        if (s->index == index)
            return s;
    }
    return NULL;
}

int tb_rec_manifest_mark_interrupted(tb_rec_manifest *m)
{
    int n = 0;
    for (guint i = 0; i < m->segments->len; i++) {
        tb_rec_segment *s = g_ptr_array_index(m->segments, i);
        if (s->state == TB_REC_SEGMENT_RECORDING) {
            s->state = TB_REC_SEGMENT_INTERRUPTED;
            n++;
        }
    }
    for (guint i = 0; i < m->tracks->len; i++) {
        tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        if (t->state == TB_REC_TRACK_RECORDING)
            t->state = TB_REC_TRACK_INTERRUPTED;
        else if (t->state == TB_REC_TRACK_WAITING)
            t->state = TB_REC_TRACK_EMPTY;
    }
    return n;
}

int tb_rec_manifest_next_segment(const tb_rec_manifest *m)
{
    int index = 0;
    for (guint i = 0; i < m->segments->len; i++) {
        const tb_rec_segment *s = g_ptr_array_index(m->segments, i);
        index = MAX(index, s->index + 1);
    }
    return index;
}

tb_rec_segment *tb_rec_manifest_add_segment(tb_rec_manifest *m, int index, int64_t now_us)
{
    if (index < 0 || index > TB_REC_MAX_SEGMENT || tb_rec_manifest_segment(m, index))
        return NULL;
    tb_rec_manifest_mark_interrupted(m);
    tb_rec_segment *s = g_new0(tb_rec_segment, 1);
    s->index = index;
    s->started_us = now_us;
    s->state = TB_REC_SEGMENT_RECORDING;
    g_ptr_array_add(m->segments, s);
    return s;
}

tb_rec_segment *tb_rec_manifest_begin_segment(tb_rec_manifest *m, int64_t now_us)
{
    return tb_rec_manifest_add_segment(m, tb_rec_manifest_next_segment(m), now_us);
}

/* ---- clocks ---- */

int64_t tb_rec_rtp_diff_us(uint32_t rtp, uint32_t ref_rtp, int clock_rate)
{
    if (clock_rate <= 0)
        return 0;
    int32_t d = (int32_t)(rtp - ref_rtp); /* the shorter way round the 32-bit circle */
    return (int64_t)d * 1000000 / clock_rate;
}

int64_t tb_rec_ntp_to_unix_us(uint64_t ntp)
{
    int64_t sec = (int64_t)(ntp >> 32) - 2208988800LL; /* 1900 → 1970 */
    int64_t frac_us = (int64_t)(((ntp & 0xffffffffULL) * 1000000ULL) >> 32);
    return sec * 1000000 + frac_us;
}

bool tb_rec_session_id_valid(const char *id)
{
    if (!id || id[0] != 's' || strlen(id) != 17)
        return false;
    for (int i = 1; i < 17; i++)
        if (!g_ascii_isdigit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
            return false;
    return true;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *us_or_null(int64_t us)
{
    return us ? json_integer(us) : json_null();
}

static json_t *track_json(const tb_rec_track *t)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(t->id));
    json_object_set_new(j, "participant_id", json_string(t->participant_id));
    json_object_set_new(j, "identity", str_or_null(t->identity));
    json_object_set_new(j, "name", json_string(t->name));
    json_object_set_new(j, "kind", json_string(t->kind));
    json_object_set_new(j, "label", json_string(t->label));
    json_object_set_new(j, "codec", json_string(t->codec));
    json_object_set_new(j, "clock_rate", json_integer(t->clock_rate));
    json_object_set_new(j, "file", json_string(t->file));
    json_object_set_new(j, "segment", json_integer(t->segment));
    json_object_set_new(j, "state", json_string(tb_rec_track_state_name(t->state)));
    json_object_set_new(j, "ssrc", json_integer(t->ssrc));
    json_object_set_new(j, "start_us", us_or_null(t->start_us));
    json_object_set_new(j, "sender_start_us", us_or_null(t->sender_start_us));
    json_object_set_new(j, "offset_us", t->start_us ? json_integer(t->offset_us) : json_null());
    json_object_set_new(j, "end_us", us_or_null(t->end_us));
    return j;
}

char *tb_rec_manifest_to_text(const tb_rec_manifest *m)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(m->version));
    json_object_set_new(root, "session", json_string(m->session));
    json_object_set_new(root, "room", json_string(m->room));
    json_object_set_new(root, "created_us", json_integer(m->created_us));
    json_t *segs = json_array();
    for (guint i = 0; i < m->segments->len; i++) {
        const tb_rec_segment *s = g_ptr_array_index(m->segments, i);
        json_array_append_new(
            segs, json_pack("{s:i, s:I, s:o, s:s, s:o, s:o}", "index", s->index, "started_us",
                            (json_int_t)s->started_us, "ended_us", us_or_null(s->ended_us), "state",
                            tb_rec_segment_state_name(s->state), "reason", str_or_null(s->reason),
                            "meeting", str_or_null(s->meeting)));
    }
    json_object_set_new(root, "segments", segs);
    json_t *parts = json_array();
    for (guint i = 0; i < m->participants->len; i++) {
        const tb_rec_participant *p = g_ptr_array_index(m->participants, i);
        json_array_append_new(parts, json_pack("{s:s, s:o, s:s, s:I, s:o}", "id", p->id, "identity",
                                               str_or_null(p->identity), "name", p->name,
                                               "joined_us", (json_int_t)p->joined_us, "left_us",
                                               us_or_null(p->left_us)));
    }
    json_object_set_new(root, "participants", parts);
    json_t *tracks = json_array();
    for (guint i = 0; i < m->tracks->len; i++)
        json_array_append_new(tracks, track_json(g_ptr_array_index(m->tracks, i)));
    json_object_set_new(root, "tracks", tracks);
    char *s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    char *out = g_strdup(s);
    free(s);
    return out;
}

/* Field readers for the parser: each sets *ok = false (and err) on a wrong type. */
typedef struct reader {
    bool ok;
    char *err;
    size_t errlen;
    const char *where;
} reader;

static void bad(reader *r, const char *key, const char *want)
{
    if (r->ok)
        snprintf(r->err, r->errlen, "manifest: %s.%s: expected %s", r->where, key, want);
    r->ok = false;
}

static char *get_str(reader *r, json_t *o, const char *key, bool nullable)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        return g_strdup(json_string_value(v));
    if (nullable && (!v || json_is_null(v)))
        return NULL;
    bad(r, key, nullable ? "a string or null" : "a string");
    return NULL;
}

static int64_t get_int(reader *r, json_t *o, const char *key, bool nullable)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (!(nullable && (!v || json_is_null(v))))
        bad(r, key, nullable ? "an integer or null" : "an integer");
    return 0;
}

/* A segment number (0..TB_REC_MAX_SEGMENT), checked before it is narrowed to an int. */
static int get_segment(reader *r, json_t *o, const char *key)
{
    int64_t v = get_int(r, o, key, false);
    if (r->ok && (v < 0 || v > TB_REC_MAX_SEGMENT))
        bad(r, key, "a segment number");
    return r->ok ? (int)v : 0;
}

static int get_state(reader *r, json_t *o, const char *const *names, size_t n)
{
    const char *s = json_string_value(json_object_get(o, "state"));
    int i = state_index(names, n, s);
    if (i < 0)
        bad(r, "state", "a known state");
    return i < 0 ? 0 : i;
}

static tb_rec_track *parse_track(reader *r, json_t *o)
{
    tb_rec_track *t = g_new0(tb_rec_track, 1);
    r->where = "tracks[]";
    t->id = get_str(r, o, "id", false);
    t->participant_id = get_str(r, o, "participant_id", false);
    t->identity = get_str(r, o, "identity", true);
    t->name = get_str(r, o, "name", false);
    t->kind = get_str(r, o, "kind", false);
    t->label = get_str(r, o, "label", false);
    t->codec = get_str(r, o, "codec", false);
    t->clock_rate = (int)get_int(r, o, "clock_rate", false);
    t->file = get_str(r, o, "file", false);
    t->segment = get_segment(r, o, "segment");
    t->state = (tb_rec_track_state)get_state(r, o, track_states, G_N_ELEMENTS(track_states));
    t->ssrc = (uint32_t)get_int(r, o, "ssrc", true);
    t->start_us = get_int(r, o, "start_us", true);
    t->sender_start_us = get_int(r, o, "sender_start_us", true);
    t->offset_us = get_int(r, o, "offset_us", true);
    t->end_us = get_int(r, o, "end_us", true);
    if (r->ok && strcmp(t->kind, "audio") && strcmp(t->kind, "video"))
        bad(r, "kind", "\"audio\" or \"video\"");
    /* The file name is joined to the session folder: refuse anything but a plain name. */
    if (r->ok && (strchr(t->file, '/') || t->file[0] == '.' || !*t->file))
        bad(r, "file", "a plain file name");
    if (r->ok && (t->clock_rate <= 0 || t->clock_rate > 1000000))
        bad(r, "clock_rate", "a clock rate in Hz");
    return t;
}

static bool parse_lists(reader *r, json_t *root, tb_rec_manifest *m)
{
    json_t *segs = json_object_get(root, "segments"),
           *parts = json_object_get(root, "participants"),
           *tracks = json_object_get(root, "tracks"), *v;
    size_t i;
    if (!json_is_array(segs) || !json_is_array(parts) || !json_is_array(tracks)) {
        r->where = "manifest";
        bad(r, "segments/participants/tracks", "arrays");
        return false;
    }
    json_array_foreach(segs, i, v)
    {
        tb_rec_segment *s = g_new0(tb_rec_segment, 1);
        g_ptr_array_add(m->segments, s);
        r->where = "segments[]";
        s->index = get_segment(r, v, "index");
        s->started_us = get_int(r, v, "started_us", false);
        s->ended_us = get_int(r, v, "ended_us", true);
        s->state =
            (tb_rec_segment_state)get_state(r, v, segment_states, G_N_ELEMENTS(segment_states));
        s->reason = get_str(r, v, "reason", true);
        s->meeting = get_str(r, v, "meeting", true);
    }
    json_array_foreach(parts, i, v)
    {
        tb_rec_participant *p = g_new0(tb_rec_participant, 1);
        g_ptr_array_add(m->participants, p);
        r->where = "participants[]";
        p->id = get_str(r, v, "id", false);
        p->identity = get_str(r, v, "identity", true);
        p->name = get_str(r, v, "name", false);
        p->joined_us = get_int(r, v, "joined_us", false);
        p->left_us = get_int(r, v, "left_us", true);
    }
    json_array_foreach(tracks, i, v) g_ptr_array_add(m->tracks, parse_track(r, v));
    return r->ok;
}

tb_rec_manifest *tb_rec_manifest_parse(const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "manifest: not a JSON object (%s, line %d)", jerr.text, jerr.line);
        json_decref(root);
        return NULL;
    }
    reader r = {true, err, errlen, "manifest"};
    int version = (int)get_int(&r, root, "version", false);
    g_autofree char *session = get_str(&r, root, "session", false);
    g_autofree char *room = get_str(&r, root, "room", false);
    int64_t created = get_int(&r, root, "created_us", false);
    if (r.ok && version != TB_REC_MANIFEST_VERSION) {
        snprintf(err, errlen, "manifest: version %d is not %d", version, TB_REC_MANIFEST_VERSION);
        r.ok = false;
    }
    if (r.ok && !tb_rec_session_id_valid(session))
        bad(&r, "session", "a session id");
    tb_rec_manifest *m = NULL;
    if (r.ok) {
        m = tb_rec_manifest_new(session, room);
        m->created_us = created;
        if (!parse_lists(&r, root, m)) {
            tb_rec_manifest_free(m);
            m = NULL;
        }
    }
    json_decref(root);
    return m;
}

/* ---- files ---- */

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int tb_rec_manifest_save(const tb_rec_manifest *m, const char *dir, char *err, size_t errlen)
{
    g_autofree char *text = tb_rec_manifest_to_text(m);
    g_autofree char *path = g_build_filename(dir, TB_REC_MANIFEST_NAME, NULL);
    /* A temporary name of its own per save: two writers (a recorder and the one a
     * restarted daemon started before the first had closed its files) once shared
     * "manifest.json.tmp", and one renamed the other's half-written file or failed. */
    g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, g_strerror(errno));
        return TB_EIO;
    }
    if (write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1) || fsync(fd)) {
        snprintf(err, errlen, "%s: %s", tmp, g_strerror(errno));
        close(fd);
        unlink(tmp);
        return TB_EIO;
    }
    if (close(fd)) {
        snprintf(err, errlen, "%s: %s", tmp, g_strerror(errno));
        unlink(tmp);
        return TB_EIO;
    }
    if (rename(tmp, path)) {
        snprintf(err, errlen, "rename %s: %s", path, g_strerror(errno));
        unlink(tmp);
        return TB_EIO;
    }
    /* The rename itself is durable only once the folder is synced. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return TB_OK;
}

tb_rec_manifest *tb_rec_manifest_load(const char *dir, char *err, size_t errlen)
{
    g_autofree char *path = g_build_filename(dir, TB_REC_MANIFEST_NAME, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        snprintf(err, errlen, "%s", gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    if (len > 16 * 1024 * 1024) {
        snprintf(err, errlen, "%s: larger than 16 MiB", path);
        return NULL;
    }
    return tb_rec_manifest_parse(text, len, err, errlen);
}
