/* http_media.h — the HTTP side of recordings (http_media.c): the JSON API of the staff
 * page /studio and the public page /archive, and the recorded files themselves, with
 * byte ranges (206) so that <video> can seek; Debian's libwebsockets has no range support
 * (shared/PLATFORM.md). Hooked into server.c as callback mounts of protocol "tb-media".
 *
 *   GET  /archive/api/recordings                 published recordings (public)
 *   GET  /archive/media/<session>.mp4            a published composition (public)
 *   GET  /studio/api/recordings[/<session>]      every recording, or one with its manifest
 *   POST /studio/api/recordings/<session>        {"title", "description"}
 *   POST /studio/api/recordings/<session>/publish|unpublish|compose|delete
 *   GET  /studio/media/<session>/<file>          any file of a session folder
 *
 * /studio answers only to this machine, or to the [recording] studio_password (HTTP
 * basic auth) when one is set. Anything that is not exactly one of these answers 404,
 * including paths that try to leave the recordings folder. Main thread only. */
#ifndef TB_SIG_HTTP_MEDIA_H
#define TB_SIG_HTTP_MEDIA_H

#include <libwebsockets.h>

/* Per-connection state lws allocates for the protocol (checked in http_media.c). */
#define TB_SIG_HTTP_MEDIA_PSS_SIZE 96

int tb_sig_http_media_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len);

#define TB_SIG_HTTP_MEDIA_PROTOCOL                                                                 \
    {                                                                                              \
        "tb-media", tb_sig_http_media_callback, TB_SIG_HTTP_MEDIA_PSS_SIZE, 0, 0, NULL, 0          \
    }

/* The mounts routing /studio/api, /studio/media, /archive/api and /archive/media to the
 * protocol above (static: chain them after the server's own mounts). */
const struct lws_http_mount *tb_sig_http_media_mounts(void);

#endif
