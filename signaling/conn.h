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

#include <glib.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct tb_sig_conn tb_sig_conn;
struct tb_sig_participant; /* room/room.h */

struct tb_sig_conn {
    struct lws *wsi; /* not owned; NULL once lws closed it */
    GByteArray *rx;  /* owned: the message being reassembled, capped at max_rx */
    size_t max_rx;
    GQueue out; /* owned char* JSON texts waiting for writeable */
    /* not owned: the participant that joined over this connection, NULL until then.
     * Set and read by room/ only; conn.c never looks inside it. */
    struct tb_sig_participant *participant;
    int64_t last_rx_us; /* monotonic time of the last bytes received */
    bool closing;       /* close after the queue drains */
    int close_status;
    char peer[64]; /* numeric address for logs */
};

/* A connection for `wsi` whose messages may hold `max_rx` bytes (transfer full). */
tb_sig_conn *tb_sig_conn_create(struct lws *wsi, size_t max_rx);
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
/* lws says the connection is writeable: one message out, or the close. Returns what the
 * lws callback must return (-1: close now). */
int tb_sig_conn_on_writeable(tb_sig_conn *c);

/* WebSocket close codes that end a participation for good: the client must not
 * reconnect by itself (docs/protocol.md, "Close codes"). */
#define TB_SIG_CLOSE_REMOVED  4001 /* removed by a moderator */
#define TB_SIG_CLOSE_REPLACED 4002 /* the same identity joined from elsewhere */
#define TB_SIG_CLOSE_DENIED   4003 /* refused entry from the waiting room */
#define TB_SIG_CLOSE_ENDED    4004 /* a moderator ended the meeting for all */

#endif
