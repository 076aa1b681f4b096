/* rxpoll.h — connected peers' sockets, read through one epoll set per media worker.
 *
 * libnice attaches a GSource per socket to the worker's context, and GLib prepares and
 * checks every source and polls every fd of a context on each wake-up of the worker. A
 * room's worker wakes for every packet a publisher sends, while its hundreds of subscriber
 * sockets carry a report or two a second. So once a subscribe connection is up, libnice's
 * receive callback is detached (libnice then no longer polls that socket on the worker's
 * context) and the socket joins this set instead: one fd in the worker's poll however many
 * subscribers there are. When it is readable, the connection reads with
 * nice_agent_recv_messages_nonblocking, which also answers the STUN that still arrives
 * (consent checks, keepalives). */
#ifndef TB_RELAY_RXPOLL_H
#define TB_RELAY_RXPOLL_H

#include <gio/gio.h>
#include <stdbool.h>

typedef struct tb_relay__rxpoll tb_relay__rxpoll;
typedef struct tb_relay__rxreg tb_relay__rxreg;

/* Called on the context's thread while sock has data; it should read it. */
typedef void (*tb_relay__rx_ready)(void *user);

/* A set whose source runs on ctx. NULL when epoll is not available. */
tb_relay__rxpoll *tb_relay__rxpoll_create(GMainContext *ctx);
/* After the context's thread has stopped iterating ctx; registrations left are freed. */
void tb_relay__rxpoll_destroy(tb_relay__rxpoll *p);
/* On the context's thread. Keeps a reference to sock. NULL on failure. */
tb_relay__rxreg *tb_relay__rxpoll_add(tb_relay__rxpoll *p, GSocket *sock, tb_relay__rx_ready fn,
                                      void *user);
/* On the context's thread, also from inside fn: fn is not called again for r. */
void tb_relay__rxpoll_remove(tb_relay__rxpoll *p, tb_relay__rxreg *r);

#endif
