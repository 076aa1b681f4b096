/* inbox.c — lock-free packet rings between media workers (see inbox.h). */
#include "relay/inbox.h"

#include <string.h>

/* Counters run freely and wrap; the slot is counter % slots (a power of two). head is
 * written by the consumer only, tail by the producer only. Every access is GLib's
 * sequentially consistent atomic: the producer's "store tail, then load head" and the
 * consumer's "store head, then load tail" can then not both miss each other, which is what
 * makes waking only an idle consumer safe. */
typedef struct ring {
    gint head;
    char pad1[60];
    gint tail;
    char pad2[60];
    uint8_t *mem; /* slots × entry size, allocated on first push */
} ring;

typedef struct entry_hdr {
    gpointer tag;
    size_t len;
} entry_hdr;

typedef struct inbox_source {
    GSource base;
    tb_relay__inbox *in;
} inbox_source;

struct tb_relay__inbox {
    GMainContext *ctx; /* ref */
    GSource *source;
    int n;
    guint slots;
    size_t max_len;
    size_t entry_size;
    ring *rings; /* [n] */
    tb_relay__inbox_fn fn;
    void *user;
    GDestroyNotify drop;
    gsize delivered; /* written by the consumer only */
    gint dropped;
};

static bool pending(tb_relay__inbox *in)
{
    for (int i = 0; i < in->n; i++)
        if ((guint)g_atomic_int_get(&in->rings[i].tail) !=
            (guint)g_atomic_int_get(&in->rings[i].head))
            return true;
    return false;
}

static gboolean src_prepare(GSource *s, gint *timeout)
{
    *timeout = -1;
    return pending(((inbox_source *)s)->in);
}

static gboolean src_check(GSource *s)
{
    return pending(((inbox_source *)s)->in);
}

static void drain_ring(tb_relay__inbox *in, ring *r)
{
    guint head = (guint)g_atomic_int_get(&r->head), first = head;
    for (;;) {
        guint tail = (guint)g_atomic_int_get(&r->tail);
        if (head == tail)
            break;
        while (head != tail) {
            uint8_t *mem = g_atomic_pointer_get(&r->mem);
            entry_hdr *e = (entry_hdr *)(mem + (size_t)(head & (in->slots - 1)) * in->entry_size);
            in->fn(in->user, e->tag, (const uint8_t *)(e + 1), e->len);
            head++;
            g_atomic_int_set(&r->head, (gint)head);
        }
    }
    /* Counted once per drain, not per packet: only tests read it. */
    if (head != first)
        g_atomic_pointer_add(&in->delivered, (gssize)(head - first));
}

static gboolean src_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    tb_relay__inbox *in = ((inbox_source *)s)->in;
    for (int i = 0; i < in->n; i++)
        drain_ring(in, &in->rings[i]);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs src_funcs = {src_prepare, src_check, src_dispatch, NULL, NULL, NULL};

tb_relay__inbox *tb_relay__inbox_create(GMainContext *ctx, int n_sources, size_t slots,
                                        size_t max_len, tb_relay__inbox_fn fn, void *user,
                                        GDestroyNotify drop)
{
    g_return_val_if_fail(n_sources > 0 && slots >= 2 && (slots & (slots - 1)) == 0, NULL);
    tb_relay__inbox *in = g_new0(tb_relay__inbox, 1);
    in->ctx = g_main_context_ref(ctx);
    in->n = n_sources;
    in->slots = (guint)slots;
    in->max_len = max_len;
    in->entry_size = (sizeof(entry_hdr) + max_len + 63) & ~(size_t)63;
    in->rings = g_new0(ring, n_sources);
    in->fn = fn;
    in->user = user;
    in->drop = drop;
    in->source = g_source_new(&src_funcs, sizeof(inbox_source));
    ((inbox_source *)in->source)->in = in;
    g_source_set_name(in->source, "tb-relay-inbox");
    g_source_attach(in->source, ctx);
    return in;
}

bool tb_relay__inbox_push(tb_relay__inbox *in, int source, gpointer tag, const uint8_t *buf,
                          size_t len)
{
    if (source < 0 || source >= in->n || len > in->max_len) {
        g_atomic_int_inc(&in->dropped);
        return false;
    }
    ring *r = &in->rings[source];
    if (!g_atomic_pointer_get(&r->mem)) /* producer-only field until the first push */
        g_atomic_pointer_set(&r->mem, g_malloc((gsize)in->slots * in->entry_size));
    guint tail = (guint)g_atomic_int_get(&r->tail);
    if (tail - (guint)g_atomic_int_get(&r->head) >= in->slots) {
        g_atomic_int_inc(&in->dropped);
        return false;
    }
    entry_hdr *e = (entry_hdr *)(r->mem + (size_t)(tail & (in->slots - 1)) * in->entry_size);
    e->tag = tag;
    e->len = len;
    memcpy(e + 1, buf, len);
    g_atomic_int_set(&r->tail, (gint)(tail + 1));
    /* The consumer had taken everything before this one: it may be asleep. */
    if ((guint)g_atomic_int_get(&r->head) == tail)
        g_main_context_wakeup(in->ctx);
    return true;
}

void tb_relay__inbox_counters(tb_relay__inbox *in, uint64_t *delivered, uint64_t *dropped)
{
    if (delivered)
        *delivered = (uint64_t)(gsize)g_atomic_pointer_get(&in->delivered);
    if (dropped)
        *dropped = (uint64_t)(guint)g_atomic_int_get(&in->dropped);
}

void tb_relay__inbox_destroy(tb_relay__inbox *in)
{
    if (!in)
        return;
    g_source_destroy(in->source);
    g_source_unref(in->source);
    for (int i = 0; i < in->n; i++) {
        ring *r = &in->rings[i];
        if (!r->mem)
            continue;
        for (guint h = (guint)r->head; h != (guint)r->tail; h++) {
            entry_hdr *e = (entry_hdr *)(r->mem + (size_t)(h & (in->slots - 1)) * in->entry_size);
            if (in->drop)
                in->drop(e->tag);
        }
        g_free(r->mem);
    }
    g_free(in->rings);
    g_main_context_unref(in->ctx);
    g_free(in);
}
