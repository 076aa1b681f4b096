/* staff_http.h — the staff gate of HTTP requests (staff_http.c): which requests to
 * /studio (and later the admin API) may go on, and the sign-in and sign-out requests
 * that make and end a staff session (access/staff.c). It decides and fills the answer;
 * the caller writes it. Main thread only, inside lws HTTP callbacks. */
#ifndef TB_SIG_STAFF_HTTP_H
#define TB_SIG_STAFF_HTTP_H

#include "signaling/access/access.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>

/* What the gate needs of the server; the server owns it. */
typedef struct tb_sig_staff_http {
    const tb_config *cfg; /* not owned */
    tb_sig_staff *staff;  /* not owned */
    int port;             /* the bound port, for the Host and Origin checks */
    bool tls;             /* the server speaks https */
} tb_sig_staff_http;

/* An answer the gate wants written: status, JSON body (transfer full) and headers. */
typedef struct tb_sig_staff_answer {
    unsigned status;
    json_t *body;
    char set_cookie[256]; /* "" = none */
    char retry_after[16]; /* "" = none */
} tb_sig_staff_answer;

/* May this request to a staff route go on? `state_changing`: a POST (or any method
 * that changes something). True and *session filled (NULL for Basic over TLS on a
 * read-only request) when it may; false with *a filled (421 foreign Host, 401 no
 * session, 403 missing CSRF token or foreign Origin) when not. */
bool tb_sig_staff_http_allow(const tb_sig_staff_http *g, struct lws *wsi, bool state_changing,
                             const tb_sig_staff_session **session, tb_sig_staff_answer *a);

/* POST .../session with {"password"} or {"token"} (body of `len` bytes): signs in,
 * setting the cookie; GET .../session: the current session's CSRF token; POST
 * .../session/end: signs out. Always fills *a. */
void tb_sig_staff_http_sign_in(const tb_sig_staff_http *g, struct lws *wsi, const char *body,
                               size_t len, tb_sig_staff_answer *a);
void tb_sig_staff_http_session(const tb_sig_staff_http *g, struct lws *wsi, tb_sig_staff_answer *a);
void tb_sig_staff_http_sign_out(const tb_sig_staff_http *g, struct lws *wsi,
                                tb_sig_staff_answer *a);

#endif
