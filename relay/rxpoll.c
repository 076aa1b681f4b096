/* rxpoll.c — one epoll set per media worker for connected peers' sockets (rxpoll.h). */
#define TB_LOG_CAT "relay/rxpoll"
#include "relay/rxpoll.h"
#include "common/tb_log.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVENTS_PER_ROUND 64

struct tb_relay__rxreg {
    GSocket *sock; /* ref */
    tb_relay__rx_ready fn;
    void *user;
    bool dead;
};

typedef struct rx_source {
    GSource base;
    tb_relay__rxpoll *p;
} rx_source;

struct tb_relay__rxpoll {
    GSource *source;
    int epfd;
    bool dispatching;
    GPtrArray *dead;  /* removed while dispatching, freed at its end */
    GHashTable *regs; /* every live registration, freed at destroy */
};

static void reg_free(gpointer data)
{
    tb_relay__rxreg *r = data;
    g_object_unref(r->sock);
    g_free(r);
}

/* The epoll fd is level-triggered in GLib's poll: readable while any socket in the set
 * has data, so what one round leaves (more than EVENTS_PER_ROUND ready) comes next. */
static gboolean rx_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    tb_relay__rxpoll *p = ((rx_source *)s)->p;
    struct epoll_event ev[EVENTS_PER_ROUND];
    int n = epoll_wait(p->epfd, ev, EVENTS_PER_ROUND, 0);
    p->dispatching = true;
    for (int i = 0; i < n; i++) {
        tb_relay__rxreg *r = ev[i].data.ptr;
        if (!r->dead)
            r->fn(r->user);
    }
    p->dispatching = false;
    g_ptr_array_set_size(p->dead, 0);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs rx_funcs = {NULL, NULL, rx_dispatch, NULL, NULL, NULL};

tb_relay__rxpoll *tb_relay__rxpoll_create(GMainContext *ctx)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        TB_LOG_WARN("epoll_create1: %s; sockets stay on the main loop", g_strerror(errno));
        return NULL;
    }
    tb_relay__rxpoll *p = g_new0(tb_relay__rxpoll, 1);
    p->epfd = fd;
    p->dead = g_ptr_array_new_with_free_func(reg_free);
    p->regs = g_hash_table_new_full(NULL, NULL, reg_free, NULL);
    p->source = g_source_new(&rx_funcs, sizeof(rx_source));
    ((rx_source *)p->source)->p = p;
    g_source_set_name(p->source, "tb-relay-rxpoll");
    g_source_add_unix_fd(p->source, fd, G_IO_IN);
    g_source_attach(p->source, ctx);
    return p;
}

void tb_relay__rxpoll_destroy(tb_relay__rxpoll *p)
{
    if (!p)
        return;
    g_source_destroy(p->source);
    g_source_unref(p->source);
    g_hash_table_destroy(p->regs);
    g_ptr_array_unref(p->dead);
    close(p->epfd);
    g_free(p);
}

tb_relay__rxreg *tb_relay__rxpoll_add(tb_relay__rxpoll *p, GSocket *sock, tb_relay__rx_ready fn,
                                      void *user)
{
    if (!p || !sock)
        return NULL;
    tb_relay__rxreg *r = g_new0(tb_relay__rxreg, 1);
    r->sock = g_object_ref(sock);
    r->fn = fn;
    r->user = user;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, g_socket_get_fd(sock), &ev) != 0) {
        TB_LOG_WARN("epoll_ctl(ADD): %s", g_strerror(errno));
        reg_free(r);
        return NULL;
    }
    g_hash_table_add(p->regs, r);
    return r;
}

void tb_relay__rxpoll_remove(tb_relay__rxpoll *p, tb_relay__rxreg *r)
{
    if (!p || !r)
        return;
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, g_socket_get_fd(r->sock), NULL);
    r->dead = true;
    g_hash_table_steal(p->regs, r);
    /* An event for r may still be in the array the current round is walking. */
    if (p->dispatching)
        g_ptr_array_add(p->dead, r);
    else
        reg_free(r);
}
