/* internal.h — structures shared by the files of signaling/. No other module includes
 * it. Main thread only, like all of signaling/. */
#ifndef TB_SIG_INTERNAL_H
#define TB_SIG_INTERNAL_H

#include "signaling/tb_sig.h"
#include "common/tb_log.h"
#include "recorder/tb_rec_catalog.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>

typedef struct tb_sig_conn tb_sig_conn;
typedef struct tb_sig_room tb_sig_room;
typedef struct tb_sig_participant tb_sig_participant;

struct tb_sig_server {
    const tb_config *cfg;        /* not owned */
    tb_relay *relay;             /* not owned */
    struct lws_context *lws;     /* owned */
    tb_rec_catalog *catalog;     /* owned: var_dir/telebridge.db */
    GHashTable *rooms;           /* name → tb_sig_room* (owned) */
    GList *conns;                /* tb_sig_conn* open WebSocket connections */
    guint idle_timer;
    int port;
    char *web_root_abs;
    struct lws_http_mount mount;
    struct lws_protocol_vhost_options mime_opts[4];
};

/* One WebSocket connection (server.c). */
struct tb_sig_conn {
    tb_sig_server *srv;
    struct lws *wsi;              /* NULL once lws closed it */
    GByteArray *rx;               /* message being reassembled, capped */
    GQueue out;                   /* char* JSON texts waiting for writeable */
    tb_sig_participant *participant; /* NULL until joined */
    int64_t last_rx_us;
    bool closing;                 /* close after the queue drains */
    int close_status;
    char peer[64];                /* address for logs */
};

/* Queues a message (transfer full of `msg`) and asks lws for a writeable callback. */
void tb_sig_conn_send(tb_sig_conn *c, json_t *msg);
/* Queues a close with `status` after what is already queued. */
void tb_sig_conn_close(tb_sig_conn *c, int status);

/* protocol.c: one complete text message from a connection. */
void tb_sig_protocol_handle(tb_sig_conn *c, const char *text, size_t len);
/* Replies. `data` is transfer full (NULL = {}). */
void tb_sig_reply(tb_sig_conn *c, json_int_t id, json_t *data);
void tb_sig_error(tb_sig_conn *c, const json_t *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A request as handlers see it. */
typedef struct tb_sig_request {
    tb_sig_conn *conn;
    json_t *msg;   /* borrowed */
    json_t *id;    /* borrowed, an integer */
} tb_sig_request;

/* session.c: request handlers; each answers the request exactly once. */
void tb_sig_session_join(tb_sig_request *r);
void tb_sig_session_publish(tb_sig_request *r);
void tb_sig_session_answer(tb_sig_request *r);
void tb_sig_session_candidate(tb_sig_request *r);
void tb_sig_session_media(tb_sig_request *r);
void tb_sig_session_keyframe(tb_sig_request *r);
void tb_sig_session_leave(tb_sig_request *r);
/* The connection is gone: the participant leaves its room. */
void tb_sig_session_conn_closed(tb_sig_conn *c);

/* room.c */
struct tb_sig_participant {
    char id[16];
    char *name;
    tb_sig_room *room;   /* not owned */
    tb_sig_conn *conn;   /* not owned; NULL after the connection closed */
    tb_relay_pc *pub;    /* owned, NULL until the first publish */
    tb_relay_pc *sub;    /* owned, NULL until there is something to receive */
    bool audio, video;
};

struct tb_sig_room {
    char *name;
    char session_id[32];          /* the catalog's session for this meeting */
    tb_sig_server *srv;           /* not owned */
    tb_relay_room *relay_room;    /* owned */
    GPtrArray *participants;      /* tb_sig_participant* owned */
};

tb_sig_room *tb_sig_room_get(tb_sig_server *srv, const char *name, bool create);
tb_sig_participant *tb_sig_room_add(tb_sig_room *room, tb_sig_conn *conn, const char *name);
/* Removes and frees p (closing its connections); frees the room when it is empty. */
void tb_sig_room_remove(tb_sig_participant *p);
/* Sends msg (transfer full) to everyone in the room but `except`. */
void tb_sig_room_broadcast(tb_sig_room *room, tb_sig_participant *except, json_t *msg);
/* Recomputes what p receives and sends a subscribe offer when one is due. */
void tb_sig_room_update_subscription(tb_sig_participant *p);
void tb_sig_room_update_all(tb_sig_room *room, tb_sig_participant *except);
/* The participant's publish connection, created on first use. */
tb_relay_pc *tb_sig_participant_pub(tb_sig_participant *p);
json_t *tb_sig_participant_json(tb_sig_participant *p);
json_t *tb_sig_track_json(tb_relay_track *t);
void tb_sig_room_destroy_all(tb_sig_server *srv);

#endif
