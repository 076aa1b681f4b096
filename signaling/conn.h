/* conn.h — one signaling WebSocket (conn.c): messages reassembled from lws's fragments
 * with a size cap, a send queue written one message per writeable callback, and an
 * orderly close after what is queued. A connection knows no room and no protocol: the
 * server (server.c) hands each complete message to the protocol (room/protocol.c), and
 * room/ ties a participant to the connection through `participant`.
 *
 * Ownership and threads: main thread only, like all of signaling/. The server creates a
 * connection when lws reports a WebSocket established and frees it in lws's CLOSED
 * callback; `wsi` is NULL from then on, and sends are dropped. */
#ifndef TB_SIG_CONN_H
#define TB_SIG_CONN_H

#include "common/tb_rate.h"

#include <glib.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct tb_sig_conn tb_sig_conn;
struct tb_sig_participant; /* room/room.h */

/* What a connection may hold: set at creation from [server] and [limits]. */
typedef struct tb_sig_conn_limits {
    size_t max_rx;          /* largest message received, bytes */
    size_t max_queue_bytes; /* queued for sending; past it the connection is dropped */
} tb_sig_conn_limits;

struct tb_sig_conn {
    struct lws *wsi;           /* [main] not owned; NULL once lws closed it */
    GByteArray *rx;            /* [main] owned: the message being reassembled, capped */
    tb_sig_conn_limits limits; /* [main] */
    GQueue out;                /* [main] owned char* JSON texts waiting for writeable */
    size_t out_bytes;          /* [main] bytes in `out` */
    /* [main] not owned: the participant that joined over this connection, NULL until
     * then. Set and read by room/ only; conn.c never looks inside it. */
    struct tb_sig_participant *participant;
    int64_t created_us; /* [main] monotonic */
    int64_t last_rx_us; /* [main] monotonic time of the last bytes received */
    int64_t last_tx_us; /* [main] the last message written, or when `out` last became
                           non-empty: what the send deadline measures from */
    int64_t closing_us; /* [main] when the close was asked for */
    bool closing;       /* [main] close after the queue drains */
    bool dropped;       /* [main] lws was told to close it now, unsent data lost */
    int close_status;   /* [main] */
    tb_rate rate[2];    /* [main] request buckets: all types, toggles (room/protocol.c) */
    unsigned refused;   /* [main] requests refused in a row for their rate */
    bool counted;       /* [main] counted by the server's admission (admission.h) */
    char peer[64];      /* [main] numeric address for logs and per-address limits */
};

/* A connection for `wsi` (transfer full). */
tb_sig_conn *tb_sig_conn_create(struct lws *wsi, const tb_sig_conn_limits *limits);
void tb_sig_conn_destroy(tb_sig_conn *c);

/* The result of tb_sig_conn_receive. */
typedef enum {
    TB_SIG_RX_MORE = 0,  /* a fragment was stored: wait for the rest */
    TB_SIG_RX_MESSAGE,   /* a whole text message is in c->rx (NUL-terminated) */
    TB_SIG_RX_BINARY,    /* a binary frame: refused, nothing stored */
    TB_SIG_RX_TOO_LARGE, /* over max_rx: lws is told to close (return -1 to it) */
    TB_SIG_RX_IGNORED,   /* the connection is closing: dropped */
} tb_sig_rx;

/* Adds a fragment lws received. After TB_SIG_RX_MESSAGE the caller handles c->rx->data
 * (length c->rx->len - 1) and then calls tb_sig_conn_rx_done. */
tb_sig_rx tb_sig_conn_receive(tb_sig_conn *c, const void *in, size_t len);
void tb_sig_conn_rx_done(tb_sig_conn *c);

/* Queues an already serialised message (transfer full, g_malloc'd), as it is, and asks
 * lws for a writeable callback. A connection whose queue is full (a client that stopped
 * reading) is closed instead. room/ sends to participants through tb_sig_send (room.h),
 * which first tells them of the room's latest arrivals. */
void tb_sig_conn_send_text(tb_sig_conn *c, char *text);
/* Serialises `msg` (transfer full) and queues it like tb_sig_conn_send_text. */
void tb_sig_conn_send_json(tb_sig_conn *c, json_t *msg);
/* Queues a close with `status` after what is already queued. */
void tb_sig_conn_close(tb_sig_conn *c, int status);
/* Closes it now, dropping what is queued: for a client that does not read (or a close
 * that never completes). lws calls CLOSED soon after, from its own loop. */
void tb_sig_conn_drop(tb_sig_conn *c, const char *why);
/* Has it sent nothing for `send_timeout_us` with data waiting, or not closed within
 * `send_timeout_us` of being asked to? */
bool tb_sig_conn_stalled(const tb_sig_conn *c, int64_t now_us, int64_t send_timeout_us);
/* lws says the connection is writeable: one message out, or the close. Returns what the
 * lws callback must return (-1: close now). */
int tb_sig_conn_on_writeable(tb_sig_conn *c);

/* WebSocket close codes that end a participation for good: the client must not
 * reconnect by itself (docs/protocol.md, "Close codes"). */
#define TB_SIG_CLOSE_REMOVED  4001 /* removed by a moderator */
#define TB_SIG_CLOSE_REPLACED 4002 /* the same identity joined from elsewhere */
#define TB_SIG_CLOSE_DENIED   4003 /* refused entry from the waiting room */
#define TB_SIG_CLOSE_ENDED    4004 /* a moderator ended the meeting for all */
#define TB_SIG_CLOSE_EXPIRED  4005 /* the join token expired (or was revoked) */

#endif
