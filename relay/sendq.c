/* sendq.c — batched sends of forwarded RTP (see sendq.h for why).
 *
 * Memory: one pool per worker thread (POOL_SLOTS slots of TB_RELAY_SENDQ_SLOT bytes,
 * 1.5 MB, allocated on first use and touched only as far as a round of fan-out reaches),
 * so a subscriber costs a few dozen bytes of queue, not a buffer of its own. A queue is a
 * list of slot indexes; the pool is reset after every flush. When the pool runs full in
 * the middle of a round (a keyframe fanned out to a large room) it is flushed right away:
 * batching is an optimisation, never a reason to hold or drop a packet. */
#define _GNU_SOURCE /* sendmmsg */
#define TB_LOG_CAT  "relay/sendq"
#include "relay/sendq.h"
#include "relay/internal.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#define POOL_SLOTS 1024
#define BATCH_MAX  64 /* per system call; a queue this long is flushed on its own */

G_STATIC_ASSERT(TB_RELAY_SENDQ_SLOT >= TB_RELAY_MTU + TB_RELAY_SRTP_MAX_TRAILER);

typedef struct pool {
    GSource source; /* ready while anything is queued; dispatch = flush */
    uint8_t *mem;   /* POOL_SLOTS * TB_RELAY_SENDQ_SLOT */
    uint16_t len[POOL_SLOTS];
    int16_t next[POOL_SLOTS];
    int used;
    GPtrArray *dirty; /* tb_relay__sendq* with packets queued (weak: destroy removes) */
    uint64_t sent, dropped;
    tb_log_ratelimit rl;
} pool;

struct tb_relay__sendq {
    pool *p; /* NULL: no worker context, send at once */
    NiceAgent *agent;
    guint stream_id;
    int16_t head, tail;
    int n;
    bool dirty;
    bool raw;       /* sendmmsg on fd to `to` */
    bool pin;       /* keep fd connected to `to` (tb_relay__sendq_pin) */
    bool connected; /* fd is connected to `to`: send without an address */
    int fd;
    struct sockaddr_storage to;
    socklen_t tolen;
    uint8_t *own; /* the buffer used without a pool */
};

static void flush_pool(pool *p);

/* The flush happens in prepare, the first thing of every main-loop iteration, so right
 * after the dispatches of the previous one: what one round of incoming packets queued goes
 * out together, and no extra iteration (each one is O(sources) in GLib, and a worker has a
 * few per connection) is spent on it. The source is never ready itself. */
static gboolean pool_prepare(GSource *s, gint *timeout)
{
    pool *p = (pool *)s;
    if (p->dirty->len)
        flush_pool(p);
    *timeout = -1;
    return FALSE;
}

static gboolean pool_check(GSource *s)
{
    return FALSE;
}

static gboolean pool_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    return G_SOURCE_CONTINUE;
}

static void pool_finalize(GSource *s)
{
    pool *p = (pool *)s;
    g_free(p->mem);
    g_ptr_array_unref(p->dirty);
}

static GSourceFuncs pool_funcs = {pool_prepare,  pool_check, pool_dispatch,
                                  pool_finalize, NULL,       NULL};

static void pool_free(gpointer data)
{
    GSource *s = data;
    g_source_destroy(s);
    g_source_unref(s);
}

/* One pool per thread, made on first use, destroyed when the thread ends. */
static GPrivate thread_pool = G_PRIVATE_INIT(pool_free);

static pool *pool_get(void)
{
    pool *p = g_private_get(&thread_pool);
    if (p)
        return p;
    GMainContext *ctx = g_main_context_get_thread_default();
    if (!ctx)
        return NULL;
    p = (pool *)g_source_new(&pool_funcs, sizeof(pool));
    g_source_set_name(&p->source, "tb-relay-sendq");
    /* Prepared first: GLib stops preparing lower-priority sources once one is ready. */
    g_source_set_priority(&p->source, G_PRIORITY_HIGH);
    p->mem = g_malloc((gsize)POOL_SLOTS * TB_RELAY_SENDQ_SLOT);
    p->dirty = g_ptr_array_sized_new(256);
    g_source_attach(&p->source, ctx);
    g_private_set(&thread_pool, p);
    return p;
}

tb_relay__sendq *tb_relay__sendq_create(NiceAgent *agent, guint stream_id)
{
    tb_relay__sendq *q = g_new0(tb_relay__sendq, 1);
    q->agent = agent;
    q->stream_id = stream_id;
    q->head = q->tail = -1;
    q->fd = -1;
    q->p = pool_get();
    if (!q->p)
        q->own = g_malloc(TB_RELAY_SENDQ_SLOT);
    return q;
}

void tb_relay__sendq_destroy(tb_relay__sendq *q)
{
    if (!q)
        return;
    if (q->dirty)
        g_ptr_array_remove_fast(q->p->dirty, q);
    g_free(q->own);
    g_free(q);
}

/* connect() on a connected UDP socket re-targets it, keeping its local port. It is never
 * undone: connecting to AF_UNSPEC would also give back the port libnice had the kernel
 * choose (Linux unhashes a UDP socket without an explicitly bound port on disconnect). */
static void connect_fd(tb_relay__sendq *q)
{
    q->connected = connect(q->fd, (struct sockaddr *)&q->to, q->tolen) == 0;
    if (!q->connected)
        TB_LOG_DEBUG("connect on the selected socket: %s", g_strerror(errno));
}

void tb_relay__sendq_pin(tb_relay__sendq *q)
{
    q->pin = true;
    if (q->raw && !q->connected)
        connect_fd(q);
}

void tb_relay__sendq_update_path(tb_relay__sendq *q)
{
    q->connected = false;
    q->raw = false;
    q->fd = -1;
    NiceCandidate *local = NULL, *remote = NULL;
    if (!nice_agent_get_selected_pair(q->agent, q->stream_id, 1, &local, &remote) || !local ||
        !remote)
        return;
    if (local->type == NICE_CANDIDATE_TYPE_RELAYED ||
        local->transport != NICE_CANDIDATE_TRANSPORT_UDP)
        return;
    GSocket *s = nice_agent_get_selected_socket(q->agent, q->stream_id, 1);
    if (!s)
        return;
    /* The socket stays libnice's; its fd lives as long as the agent's stream. */
    q->fd = g_socket_get_fd(s);
    g_object_unref(s);
    memset(&q->to, 0, sizeof q->to);
    nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&q->to);
    q->tolen =
        q->to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    q->raw = q->fd >= 0 && (q->to.ss_family == AF_INET || q->to.ss_family == AF_INET6);
    if (q->raw && q->pin)
        connect_fd(q);
}

static uint8_t *slot_mem(pool *p, int i)
{
    return p->mem + (size_t)i * TB_RELAY_SENDQ_SLOT;
}

/* Sends idx[0..n) of q's packets with one system call (or one libnice call). */
static void send_batch(tb_relay__sendq *q, pool *p, const int16_t *idx, int n)
{
    if (q->raw) {
        struct mmsghdr m[BATCH_MAX];
        struct iovec iov[BATCH_MAX];
        memset(m, 0, sizeof(struct mmsghdr) * (size_t)n);
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = slot_mem(p, idx[i]);
            iov[i].iov_len = p->len[idx[i]];
            if (!q->connected) {
                m[i].msg_hdr.msg_name = &q->to;
                m[i].msg_hdr.msg_namelen = q->tolen;
            }
            m[i].msg_hdr.msg_iov = &iov[i];
            m[i].msg_hdr.msg_iovlen = 1;
        }
        int done = 0;
        while (done < n) {
            int r = sendmmsg(q->fd, m + done, (unsigned)(n - done), MSG_DONTWAIT);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                /* A full socket buffer drops packets, as the network would; the
                 * receiver's NACKs may bring them back. */
                p->dropped += (uint64_t)(n - done);
                if (tb_log_ratelimit_ok(&p->rl))
                    TB_LOG_WARN("sendmmsg: %s; %" G_GUINT64_FORMAT " packets dropped so far",
                                r < 0 ? g_strerror(errno) : "nothing sent", p->dropped);
                break;
            }
            done += r;
            p->sent += (uint64_t)r;
        }
        return;
    }
    NiceOutputMessage msgs[BATCH_MAX];
    GOutputVector vec[BATCH_MAX];
    for (int i = 0; i < n; i++) {
        vec[i].buffer = slot_mem(p, idx[i]);
        vec[i].size = p->len[idx[i]];
        msgs[i].buffers = &vec[i];
        msgs[i].n_buffers = 1;
    }
    gint r =
        nice_agent_send_messages_nonblocking(q->agent, q->stream_id, 1, msgs, (guint)n, NULL, NULL);
    int ok = r > 0 ? r : 0;
    p->sent += (uint64_t)ok;
    p->dropped += (uint64_t)(n - ok);
}

static void flush_queue(tb_relay__sendq *q)
{
    pool *p = q->p;
    int16_t idx[BATCH_MAX];
    int n = 0;
    for (int16_t i = q->head; i >= 0; i = p->next[i]) {
        idx[n++] = i;
        if (n == BATCH_MAX) {
            send_batch(q, p, idx, n);
            n = 0;
        }
    }
    if (n)
        send_batch(q, p, idx, n);
    q->head = q->tail = -1;
    q->n = 0;
}

static void flush_pool(pool *p)
{
    for (guint i = 0; i < p->dirty->len; i++) {
        tb_relay__sendq *q = g_ptr_array_index(p->dirty, i);
        flush_queue(q);
        q->dirty = false;
    }
    g_ptr_array_set_size(p->dirty, 0);
    p->used = 0;
}

uint8_t *tb_relay__sendq_reserve(tb_relay__sendq *q)
{
    pool *p = q->p;
    if (!p)
        return q->own;
    if (p->used == POOL_SLOTS)
        flush_pool(p);
    return slot_mem(p, p->used);
}

void tb_relay__sendq_commit(tb_relay__sendq *q, size_t len)
{
    pool *p = q->p;
    if (!p) {
        nice_agent_send(q->agent, q->stream_id, 1, (guint)len, (const gchar *)q->own);
        return;
    }
    int16_t i = (int16_t)p->used++;
    p->len[i] = (uint16_t)len;
    p->next[i] = -1;
    if (q->tail >= 0)
        p->next[q->tail] = i;
    else
        q->head = i;
    q->tail = i;
    if (!q->dirty) {
        q->dirty = true;
        g_ptr_array_add(p->dirty, q);
    }
    if (++q->n == BATCH_MAX) {
        /* Its slots stay used until the pool is reset; only the queue is emptied. */
        flush_queue(q);
    }
}

void tb_relay__sendq_flush(void)
{
    pool *p = g_private_get(&thread_pool);
    if (p)
        flush_pool(p);
}

void tb_relay__sendq_counters(uint64_t *sent, uint64_t *dropped)
{
    pool *p = g_private_get(&thread_pool);
    *sent = p ? p->sent : 0;
    *dropped = p ? p->dropped : 0;
}
