/* http_media.c — recordings over HTTP: the studio and archive JSON APIs and the files,
 * with byte ranges (see recording.h for the routes).
 *
 * One lws protocol callback with a switch calling one function per case. A response is
 * its headers (written at once) and then a body, from memory (JSON) or from a file (a
 * byte range of it), sent one lws_write per writeable callback in chunks of CHUNK bytes.
 * Every file is opened through tb_rec_media_open(), which refuses anything but a plain
 * name inside a session folder, and symlinks: a path that could escape the recordings
 * folder answers 404 like any unknown one. */
#define TB_LOG_CAT "sig/http"
#include "signaling/recording/internal.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"
#include "recorder/tb_rec_recordings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK           (64 * 1024)
#define MAX_BODY        (64 * 1024)
#define MAX_TITLE       200
#define MAX_DESCRIPTION 5000

typedef struct media_pss {
    int fd; /* file being sent, when have_fd */
    bool have_fd;
    bool head;        /* HEAD: headers only */
    int64_t pos, end; /* file bytes [pos, end) still to send */
    GBytes *body;     /* or a body from memory (owned) */
    size_t body_pos;
    GByteArray *req; /* POST body being received, capped at MAX_BODY */
    int method;
} media_pss;

G_STATIC_ASSERT(sizeof(media_pss) <= TB_SIG_HTTP_MEDIA_PSS_SIZE);

static const struct lws_http_mount mounts[] = {
    {.mount_next = &mounts[1],
     .mountpoint = "/studio/api",
     .origin = TB_SIG_HTTP_MEDIA_PROTOCOL_NAME,
     .origin_protocol = LWSMPRO_CALLBACK,
     .mountpoint_len = 11},
    {.mount_next = &mounts[2],
     .mountpoint = "/studio/media",
     .origin = TB_SIG_HTTP_MEDIA_PROTOCOL_NAME,
     .origin_protocol = LWSMPRO_CALLBACK,
     .mountpoint_len = 13},
    {.mount_next = &mounts[3],
     .mountpoint = "/archive/api",
     .origin = TB_SIG_HTTP_MEDIA_PROTOCOL_NAME,
     .origin_protocol = LWSMPRO_CALLBACK,
     .mountpoint_len = 12},
    {.mount_next = NULL,
     .mountpoint = "/archive/media",
     .origin = TB_SIG_HTTP_MEDIA_PROTOCOL_NAME,
     .origin_protocol = LWSMPRO_CALLBACK,
     .mountpoint_len = 14},
};

const struct lws_http_mount *tb_sig_http_media_mounts(void)
{
    return &mounts[0];
}

/* The server gives the protocol its context as its `user` (recording.h). */
static const tb_sig_http_media *media_of(struct lws *wsi)
{
    const struct lws_protocols *p = lws_get_protocol(wsi);
    return p ? p->user : NULL;
}

static void pss_clear(media_pss *pss)
{
    if (pss->have_fd)
        close(pss->fd);
    pss->have_fd = false;
    if (pss->body)
        g_bytes_unref(pss->body);
    pss->body = NULL;
    if (pss->req)
        g_byte_array_unref(pss->req);
    pss->req = NULL;
}

/* ---- responses ---- */

/* Writes the status line and headers; `extra` is NULL or "name:", "value" pairs. Returns
 * nonzero when the connection must close. */
static int write_headers(struct lws *wsi, unsigned status, const char *type, int64_t length,
                         const char *const *extra)
{
    uint8_t buf[LWS_PRE + 2048];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)length, &p, end))
        return 1;
    for (int i = 0; extra && extra[i]; i += 2)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)extra[i],
                                        (const unsigned char *)extra[i + 1],
                                        (int)strlen(extra[i + 1]), &p, end))
            return 1;
    return lws_finalize_write_http_header(wsi, start, &p, end);
}

/* The headers are out; the body follows from writeable callbacks, or we are done. */
static int start_body(struct lws *wsi, media_pss *pss, int64_t length)
{
    if (pss->head || length == 0) {
        pss_clear(pss);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

/* A body from memory (transfer full of `text`). */
static int respond(struct lws *wsi, media_pss *pss, unsigned status, const char *type, char *text)
{
    static const char *const extra[] = {"cache-control:", "no-store", NULL};
    size_t len = text ? strlen(text) : 0;
    pss_clear(pss);
    pss->body = g_bytes_new_take(text, len);
    pss->body_pos = 0;
    if (write_headers(wsi, status, type, (int64_t)len, extra))
        return -1;
    return start_body(wsi, pss, (int64_t)len);
}

static int respond_json(struct lws *wsi, media_pss *pss, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(j);
    char *text = g_strdup(s ? s : "{}");
    free(s);
    return respond(wsi, pss, status, "application/json; charset=utf-8", text);
}

static int respond_error(struct lws *wsi, media_pss *pss, unsigned status, const char *code,
                         const char *reason)
{
    return respond_json(wsi, pss, status, json_pack("{s:s, s:s}", "error", code, "reason", reason));
}

static int not_found(struct lws *wsi, media_pss *pss)
{
    return respond_error(wsi, pss, 404, "not_found", "no such recording or file");
}

/* Sends file `fd` (transfer full), whole or the range the request asks for. */
static int respond_file(struct lws *wsi, media_pss *pss, int fd, int64_t size, const char *name)
{
    char range[128] = "";
    int64_t first = 0, last = size - 1;
    int r = 0;
    if (lws_hdr_copy(wsi, range, sizeof range, WSI_TOKEN_HTTP_RANGE) > 0)
        r = tb_rec_http_range(range, size, &first, &last);
    pss_clear(pss);
    if (r < 0) {
        close(fd);
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%lld", (long long)size);
        const char *const extra[] = {"content-range:", cr, "accept-ranges:", "bytes", NULL};
        if (write_headers(wsi, 416, "text/plain", 0, extra))
            return -1;
        return start_body(wsi, pss, 0);
    }
    pss->fd = fd;
    pss->have_fd = true;
    pss->pos = r > 0 ? first : 0;
    pss->end = r > 0 ? last + 1 : size;
    if (lseek(fd, pss->pos, SEEK_SET) < 0) {
        pss_clear(pss);
        return respond_error(wsi, pss, 500, "internal", "cannot read the file");
    }
    char cr[96];
    snprintf(cr, sizeof cr, "bytes %lld-%lld/%lld", (long long)pss->pos, (long long)pss->end - 1,
             (long long)size);
    const char *const extra[] = {
        "accept-ranges:", "bytes", "content-range:", cr, "cache-control:", "no-cache", NULL};
    /* Content-Range only with 206: drop the pair for a whole-file answer. */
    const char *const whole[] = {"accept-ranges:", "bytes", "cache-control:", "no-cache", NULL};
    if (write_headers(wsi, r > 0 ? 206 : 200, tb_rec_media_type(name), pss->end - pss->pos,
                      r > 0 ? extra : whole))
        return -1;
    return start_body(wsi, pss, pss->end - pss->pos);
}

static int on_writeable(struct lws *wsi, media_pss *pss)
{
    static uint8_t buf[LWS_PRE + CHUNK]; /* main thread only */
    size_t n = 0;
    bool final = false;
    if (pss->have_fd) {
        int64_t left = pss->end - pss->pos;
        ssize_t got = read(pss->fd, buf + LWS_PRE, (size_t)MIN(left, (int64_t)CHUNK));
        if (got <= 0) {
            TB_LOG_WARN("read of a recording failed: %s", got < 0 ? g_strerror(errno) : "EOF");
            return -1;
        }
        n = (size_t)got;
        pss->pos += got;
        final = pss->pos >= pss->end;
    } else if (pss->body) {
        gsize len;
        const uint8_t *data = g_bytes_get_data(pss->body, &len);
        n = MIN(len - pss->body_pos, (size_t)CHUNK);
        memcpy(buf + LWS_PRE, data + pss->body_pos, n);
        pss->body_pos += n;
        final = pss->body_pos >= len;
    } else {
        return 0;
    }
    if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    pss_clear(pss);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- access ---- */

/* Writes what the staff gate decided (its body is transfer full). */
static int respond_answer(struct lws *wsi, media_pss *pss, tb_sig_staff_answer *a)
{
    char *s = json_dumps(a->body, JSON_COMPACT);
    json_decref(a->body);
    a->body = NULL;
    char *text = g_strdup(s ? s : "{}");
    free(s);
    const char *extra[8];
    int n = 0;
    extra[n++] = "cache-control:";
    extra[n++] = "no-store";
    if (*a->set_cookie) {
        extra[n++] = "set-cookie:";
        extra[n++] = a->set_cookie;
    }
    if (*a->retry_after) {
        extra[n++] = "retry-after:";
        extra[n++] = a->retry_after;
    }
    extra[n] = NULL;
    size_t len = strlen(text);
    pss_clear(pss);
    pss->body = g_bytes_new_take(text, len);
    pss->body_pos = 0;
    if (write_headers(wsi, a->status, "application/json; charset=utf-8", (int64_t)len, extra))
        return -1;
    return start_body(wsi, pss, (int64_t)len);
}

/* ---- JSON of recordings ---- */

static json_t *recording_json(const tb_rec_recording *r, bool studio)
{
    bool ready = r->comp_state && !strcmp(r->comp_state, "done");
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:i, s:b}", "id", r->session_id, "room", r->room,
                  "title", r->title ? r->title : "", "description",
                  r->description ? r->description : "", "started_us", (json_int_t)r->started_us,
                  "duration_s", (ready ? r->comp_duration_us : r->duration_us) / 1e6,
                  "participants", r->participants, "published", r->published);
    if (r->published && ready) {
        g_autofree char *url = g_strdup_printf("/archive/media/%s.mp4", r->session_id);
        json_object_set_new(j, "url", json_string(url));
        json_object_set_new(j, "size", json_integer(r->comp_size));
        json_object_set_new(j, "published_us", json_integer(r->published_us));
    }
    if (!studio)
        return j;
    json_object_set_new(j, "state", json_string(r->state));
    json_object_set_new(j, "reason", r->reason ? json_string(r->reason) : json_null());
    json_object_set_new(j, "ended_us", r->ended_us ? json_integer(r->ended_us) : json_null());
    json_object_set_new(j, "recorded_s", json_real(r->duration_us / 1e6));
    json_object_set_new(j, "tracks", json_integer(r->tracks));
    json_object_set_new(j, "interruptions", json_integer(r->interruptions));
    json_t *comp = json_null();
    if (r->comp_id) {
        comp = json_pack("{s:s, s:f, s:s?, s:f, s:I, s:s?}", "state", r->comp_state, "progress",
                         r->comp_progress, "file", r->comp_file, "duration_s",
                         r->comp_duration_us / 1e6, "size", (json_int_t)r->comp_size, "error",
                         r->comp_error);
        if (ready && r->comp_file) {
            g_autofree char *url =
                g_strdup_printf("/studio/media/%s/%s", r->session_id, r->comp_file);
            json_object_set_new(comp, "url", json_string(url));
        }
    }
    json_object_set_new(j, "composition", comp);
    return j;
}

static json_t *list_json(tb_sig_recorder *recorder, bool studio)
{
    GPtrArray *all = tb_rec_recordings_list(recorder->hub->catalog, !studio, 500, 0);
    json_t *arr = json_array();
    for (guint i = 0; i < all->len; i++)
        json_array_append_new(arr, recording_json(g_ptr_array_index(all, i), studio));
    g_ptr_array_unref(all);
    return json_pack("{s:o}", "recordings", arr);
}

/* One recording for the studio, with what its manifest says. */
static json_t *detail_json(tb_sig_recorder *recorder, const tb_rec_recording *r)
{
    json_t *j = recording_json(r, true);
    g_autofree char *root = tb_sig_recordings_dir(recorder->hub->cfg);
    g_autofree char *dir = g_build_filename(root, r->session_id, NULL);
    char err[256];
    tb_rec_manifest *m = tb_rec_manifest_load(dir, err, sizeof err);
    if (!m)
        return j;
    g_autofree char *text = tb_rec_manifest_to_text(m);
    json_t *mj = json_loads(text, 0, NULL);
    json_t *tracks = json_object_get(mj, "tracks"), *t;
    size_t i;
    json_array_foreach(tracks, i, t)
    {
        const char *file = json_string_value(json_object_get(t, "file"));
        g_autofree char *url = g_strdup_printf("/studio/media/%s/%s", r->session_id, file);
        json_object_set_new(t, "url", json_string(url));
    }
    json_object_set_new(j, "manifest", mj ? mj : json_null());
    tb_rec_manifest_free(m);
    return j;
}

/* ---- routes ---- */

/* Splits a path after its prefix into at most `max` segments; false on an empty
 * segment or too many (the caller then answers 404). */
static int split(const char *rest, char **seg, int max)
{
    int n = 0;
    while (*rest == '/')
        rest++;
    while (*rest) {
        const char *slash = strchr(rest, '/');
        size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
        if (n == max || len == 0 || len > 200)
            return -1;
        seg[n++] = g_strndup(rest, len);
        rest += len + (slash ? 1 : 0);
        if (slash && !*rest)
            break; /* a trailing slash is allowed */
    }
    return n;
}

static int archive_media(struct lws *wsi, media_pss *pss, tb_sig_recorder *recorder,
                         const char *name)
{
    size_t n = strlen(name);
    if (n != 21 || strcmp(name + 17, ".mp4"))
        return not_found(wsi, pss);
    char id[18];
    memcpy(id, name, 17);
    id[17] = '\0';
    g_autoptr(tb_rec_recording) r = tb_rec_recording_get(recorder->hub->catalog, id);
    if (!r || !r->published || !r->comp_state || strcmp(r->comp_state, "done") || !r->comp_file)
        return not_found(wsi, pss);
    g_autofree char *root = tb_sig_recordings_dir(recorder->hub->cfg);
    int64_t size = 0;
    int fd = tb_rec_media_open(root, id, r->comp_file, &size);
    return fd < 0 ? not_found(wsi, pss) : respond_file(wsi, pss, fd, size, r->comp_file);
}

static int studio_action(struct lws *wsi, media_pss *pss, tb_sig_recorder *recorder, const char *id,
                         const char *action)
{
    g_autoptr(tb_rec_recording) r = tb_rec_recording_get(recorder->hub->catalog, id);
    if (!r)
        return not_found(wsi, pss);
    int rc = TB_OK;
    if (!strcmp(action, "publish") || !strcmp(action, "unpublish")) {
        rc = tb_rec_recording_publish(recorder->hub->catalog, id, action[0] == 'p');
        if (rc == TB_ESTATE)
            return respond_error(wsi, pss, 409, "not_ready",
                                 "the recording has no finished composition yet");
    } else if (!strcmp(action, "compose")) {
        if (!strcmp(r->state, "recording"))
            return respond_error(wsi, pss, 409, "recording", "the session is still recorded");
        tb_sig_recorder_compose(recorder, id);
    } else if (!strcmp(action, "delete")) {
        if (!strcmp(r->state, "recording") || tb_sig_recorder_busy(recorder, id))
            return respond_error(wsi, pss, 409, "busy",
                                 "the session is being recorded or composed");
        rc = tb_sig_recorder_delete(recorder, id);
    } else {
        return not_found(wsi, pss);
    }
    if (rc)
        return respond_error(wsi, pss, 500, "internal", tb_strerror(rc));
    g_autoptr(tb_rec_recording) now = tb_rec_recording_get(recorder->hub->catalog, id);
    return respond_json(wsi, pss, 200, now ? recording_json(now, true) : json_object());
}

static int studio_meta(struct lws *wsi, media_pss *pss, tb_sig_recorder *recorder, const char *id)
{
    json_t *j = pss->req ? json_loadb((const char *)pss->req->data, pss->req->len, 0, NULL) : NULL;
    json_t *title = json_object_get(j, "title"), *desc = json_object_get(j, "description");
    const char *t = json_string_value(title), *d = json_string_value(desc);
    if (!json_is_object(j) || !t || !d || g_utf8_strlen(t, -1) > MAX_TITLE ||
        g_utf8_strlen(d, -1) > MAX_DESCRIPTION) {
        json_decref(j);
        return respond_error(wsi, pss, 400, "bad_request",
                             "expected {\"title\": at most 200 characters, \"description\": at "
                             "most 5000}");
    }
    int rc = tb_rec_recording_set_meta(recorder->hub->catalog, id, t, d);
    json_decref(j);
    if (rc == TB_ENOTFOUND)
        return not_found(wsi, pss);
    if (rc)
        return respond_error(wsi, pss, 500, "internal", tb_strerror(rc));
    g_autoptr(tb_rec_recording) r = tb_rec_recording_get(recorder->hub->catalog, id);
    return respond_json(wsi, pss, 200, r ? recording_json(r, true) : json_object());
}

/* The sign-in routes, before the gate (sign-in is how one passes it). */
static int route_session(struct lws *wsi, media_pss *pss, const tb_sig_http_media *m,
                         const char *path)
{
    bool post = pss->method == LWSHUMETH_POST;
    tb_sig_staff_answer a;
    if (!strcmp(path, "/studio/api/session") && post)
        tb_sig_staff_http_sign_in(m->gate, wsi, pss->req ? (const char *)pss->req->data : NULL,
                                  pss->req ? pss->req->len : 0, &a);
    else if (!strcmp(path, "/studio/api/session"))
        tb_sig_staff_http_session(m->gate, wsi, &a);
    else if (!strcmp(path, "/studio/api/session/end") && post)
        tb_sig_staff_http_sign_out(m->gate, wsi, &a);
    else
        return not_found(wsi, pss);
    return respond_answer(wsi, pss, &a);
}

static int route_studio(struct lws *wsi, media_pss *pss, const tb_sig_http_media *m,
                        const char *path)
{
    tb_sig_recorder *recorder = m->recorder;
    if (g_str_has_prefix(path, "/studio/api/session"))
        return route_session(wsi, pss, m, path);
    const tb_sig_staff_session *ss;
    tb_sig_staff_answer a;
    if (!tb_sig_staff_http_allow(m->gate, wsi, pss->method == LWSHUMETH_POST, &ss, &a))
        return respond_answer(wsi, pss, &a);
    char *seg[4] = {0};
    int n;
    int rc;
    bool post = pss->method == LWSHUMETH_POST;
    if (g_str_has_prefix(path, "/studio/media/")) {
        n = split(path + 14, seg, 3);
        if (n != 2 || post) {
            rc = not_found(wsi, pss);
        } else {
            g_autofree char *root = tb_sig_recordings_dir(recorder->hub->cfg);
            int64_t size = 0;
            int fd = tb_rec_media_open(root, seg[0], seg[1], &size);
            rc = fd < 0 ? not_found(wsi, pss) : respond_file(wsi, pss, fd, size, seg[1]);
        }
    } else {
        n = split(path + 11, seg, 4); /* after "/studio/api" */
        if (n == 1 && !strcmp(seg[0], "recordings") && !post) {
            rc = respond_json(wsi, pss, 200, list_json(recorder, true));
        } else if (n >= 2 && !strcmp(seg[0], "recordings") && !tb_rec_session_id_valid(seg[1])) {
            rc = not_found(wsi, pss);
        } else if (n == 2 && !strcmp(seg[0], "recordings") && !post) {
            g_autoptr(tb_rec_recording) r = tb_rec_recording_get(recorder->hub->catalog, seg[1]);
            rc = r ? respond_json(wsi, pss, 200, detail_json(recorder, r)) : not_found(wsi, pss);
        } else if (n == 2 && !strcmp(seg[0], "recordings") && post) {
            rc = studio_meta(wsi, pss, recorder, seg[1]);
        } else if (n == 3 && !strcmp(seg[0], "recordings") && post) {
            rc = studio_action(wsi, pss, recorder, seg[1], seg[2]);
        } else {
            rc = not_found(wsi, pss);
        }
    }
    for (int i = 0; i < 4; i++)
        g_free(seg[i]);
    return rc;
}

static int route(struct lws *wsi, media_pss *pss)
{
    const tb_sig_http_media *m = media_of(wsi);
    char *uri = NULL;
    int len = 0;
    char path[512];
    if (!m || lws_http_get_uri_and_method(wsi, &uri, &len) < 0 || len <= 0 ||
        len >= (int)sizeof path)
        return not_found(wsi, pss);
    memcpy(path, uri, (size_t)len);
    path[len] = '\0';
    /* Only plain characters reach the routes: no '%' (an encoded "..", say), no '\'. */
    for (int i = 0; i < len; i++)
        if (!g_ascii_isalnum(path[i]) && !strchr("/._-", path[i]))
            return not_found(wsi, pss);
    tb_sig_recorder *recorder = m->recorder;
    if (g_str_has_prefix(path, "/studio/"))
        return route_studio(wsi, pss, m, path);
    if (pss->method == LWSHUMETH_POST)
        return respond_error(wsi, pss, 405, "method", "the archive is read-only");
    if (!strcmp(path, "/archive/api/recordings") || !strcmp(path, "/archive/api/recordings/"))
        return respond_json(wsi, pss, 200, list_json(recorder, false));
    if (g_str_has_prefix(path, "/archive/media/") && !strchr(path + 15, '/'))
        return archive_media(wsi, pss, recorder, path + 15);
    return not_found(wsi, pss);
}

/* ---- lws callback ---- */

static int on_http(struct lws *wsi, media_pss *pss)
{
    char *uri;
    int len;
    pss_clear(pss);
    pss->method = lws_http_get_uri_and_method(wsi, &uri, &len);
    pss->head = pss->method == LWSHUMETH_HEAD;
    if (pss->method == LWSHUMETH_POST) {
        pss->req = g_byte_array_new();
        char cl[32] = "";
        if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && atoll(cl) > 0)
            return 0; /* the body follows */
        return route(wsi, pss);
    }
    if (pss->method != LWSHUMETH_GET && !pss->head)
        return respond_error(wsi, pss, 405, "method", "GET, HEAD or POST");
    return route(wsi, pss);
}

static int on_body(struct lws *wsi, media_pss *pss, const void *in, size_t len)
{
    if (!pss->req)
        return 0;
    if (pss->req->len + len > MAX_BODY) {
        g_byte_array_unref(pss->req);
        pss->req = NULL;
        return respond_error(wsi, pss, 413, "too_large", "at most 64 KiB");
    }
    g_byte_array_append(pss->req, in, (guint)len);
    return 0;
}

int tb_sig_http_media_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len)
{
    media_pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, pss);
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(wsi, pss, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!pss->req)
            return 0; /* answered already (413) */
        return route(wsi, pss);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_writeable(wsi, pss);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss)
            pss_clear(pss);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
