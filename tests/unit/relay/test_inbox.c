/* The rings between media workers (relay/inbox.c): packets arrive whole and in order per
 * source; a consumer asleep in poll is woken by every push that finds it idle (a lost
 * wake-up would hang the threaded test, which therefore runs under a deadline); a full
 * ring refuses instead of overwriting; tags still queued at destroy are released. */
#include "relay/inbox.h"

#include <glib.h>
#include <string.h>

typedef struct sink {
    guint got[4];   /* per source: packets received */
    guint bad;      /* out of order or corrupt */
    guint released; /* tags released by fn */
} sink;

/* Packet i of source s: 4-byte header (s, i) then (i % 200 + 1) bytes of the value i & 0xff. */
static size_t make_packet(uint8_t *b, int s, guint i)
{
    size_t n = i % 200 + 1;
    b[0] = (uint8_t)s;
    b[1] = (uint8_t)(i >> 16);
    b[2] = (uint8_t)(i >> 8);
    b[3] = (uint8_t)i;
    memset(b + 4, (int)(i & 0xff), n);
    return n + 4;
}

static void on_packet(void *user, gpointer tag, const uint8_t *buf, size_t len)
{
    sink *k = user;
    int s = buf[0];
    guint i = ((guint)buf[1] << 16) | ((guint)buf[2] << 8) | buf[3];
    bool ok = s < 4 && i == k->got[s] && len == i % 200 + 5 && GPOINTER_TO_UINT(tag) == i + 1;
    for (size_t j = 4; ok && j < len; j++)
        ok = buf[j] == (uint8_t)(i & 0xff);
    if (!ok)
        k->bad++;
    if (s < 4)
        k->got[s]++;
    g_atomic_int_inc((gint *)&k->released);
}

static void test_order_and_full(void)
{
    GMainContext *ctx = g_main_context_new();
    sink k = {0};
    tb_relay__inbox *in = tb_relay__inbox_create(ctx, 2, 8, 256, on_packet, &k, NULL);
    uint8_t b[300];
    /* Eight fit; the ninth is refused, not written over the first. */
    for (guint i = 0; i < 8; i++)
        g_assert_true(
            tb_relay__inbox_push(in, 1, GUINT_TO_POINTER(i + 1), b, make_packet(b, 1, i)));
    g_assert_false(tb_relay__inbox_push(in, 1, GUINT_TO_POINTER(9), b, make_packet(b, 1, 8)));
    /* Too long, and an unknown source: refused too. */
    g_assert_false(tb_relay__inbox_push(in, 0, NULL, b, 257));
    g_assert_false(tb_relay__inbox_push(in, 2, NULL, b, 10));
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_assert_cmpuint(k.got[1], ==, 8);
    g_assert_cmpuint(k.bad, ==, 0);
    uint64_t delivered, dropped;
    tb_relay__inbox_counters(in, &delivered, &dropped);
    g_assert_cmpuint(delivered, ==, 8);
    g_assert_cmpuint(dropped, ==, 3);
    /* Room again after draining; counters wrap around the ring. */
    for (guint i = 8; i < 20; i++) {
        g_assert_true(
            tb_relay__inbox_push(in, 1, GUINT_TO_POINTER(i + 1), b, make_packet(b, 1, i)));
        while (g_main_context_iteration(ctx, FALSE))
            ;
    }
    g_assert_cmpuint(k.got[1], ==, 20);
    g_assert_cmpuint(k.bad, ==, 0);
    tb_relay__inbox_destroy(in);
    g_main_context_unref(ctx);
}

static guint dropped_tags;
static void drop_tag(gpointer tag)
{
    dropped_tags++;
}

static void test_destroy_releases(void)
{
    GMainContext *ctx = g_main_context_new();
    sink k = {0};
    tb_relay__inbox *in = tb_relay__inbox_create(ctx, 3, 16, 64, on_packet, &k, drop_tag);
    uint8_t b[64] = {0};
    for (guint i = 0; i < 5; i++)
        g_assert_true(tb_relay__inbox_push(in, 2, GUINT_TO_POINTER(1), b, 10));
    dropped_tags = 0;
    tb_relay__inbox_destroy(in);
    g_assert_cmpuint(dropped_tags, ==, 5);
    g_assert_cmpuint(k.released, ==, 0);
    g_main_context_unref(ctx);
}

/* Two producer threads, the consumer blocking in g_main_context_iteration(TRUE) with no
 * other source to wake it: every packet must arrive, in order per producer. A producer that
 * finds the ring full yields and retries, so nothing is dropped and the count is exact. A
 * watchdog thread fails the test when nothing arrives for 10 s (a lost wake-up leaves the
 * consumer asleep for good), waking the consumer only to let it report. */
#define N_PER_PRODUCER 200000

typedef struct producer {
    tb_relay__inbox *in;
    int source;
    guint retries;
} producer;

static gpointer produce(gpointer data)
{
    producer *p = data;
    uint8_t b[300];
    for (guint i = 0; i < N_PER_PRODUCER; i++) {
        size_t n = make_packet(b, p->source, i);
        while (!tb_relay__inbox_push(p->in, p->source, GUINT_TO_POINTER(i + 1), b, n)) {
            p->retries++;
            g_thread_yield();
        }
        if (i % 4096 == 0)
            g_usleep(200); /* let the consumer fall asleep now and then */
    }
    return NULL;
}

typedef struct watchdog {
    GMainContext *ctx;
    sink *k;
    gint done;
    gint stalled;
} watchdog;

static gpointer watch(gpointer data)
{
    watchdog *w = data;
    guint last = 0;
    gint64 last_change = g_get_monotonic_time();
    while (!g_atomic_int_get(&w->done)) {
        g_usleep(50000);
        guint now = (guint)g_atomic_int_get((gint *)&w->k->released);
        if (now != last) {
            last = now;
            last_change = g_get_monotonic_time();
        } else if (g_get_monotonic_time() - last_change > 10 * G_USEC_PER_SEC) {
            g_atomic_int_set(&w->stalled, 1);
            g_main_context_wakeup(w->ctx);
            break;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    GMainContext *ctx = g_main_context_new();
    sink k = {0};
    tb_relay__inbox *in = tb_relay__inbox_create(ctx, 2, 64, 256, on_packet, &k, NULL);
    producer p[2] = {{in, 0, 0}, {in, 1, 0}};
    watchdog w = {ctx, &k, 0, 0};
    GThread *wt = g_thread_new("watchdog", watch, &w);
    GThread *t0 = g_thread_new("p0", produce, &p[0]);
    GThread *t1 = g_thread_new("p1", produce, &p[1]);
    while (k.got[0] + k.got[1] < 2 * N_PER_PRODUCER && !g_atomic_int_get(&w.stalled))
        g_main_context_iteration(ctx, TRUE);
    g_assert_false(g_atomic_int_get(&w.stalled));
    g_atomic_int_set(&w.done, 1);
    g_thread_join(wt);
    g_thread_join(t0);
    g_thread_join(t1);
    g_assert_cmpuint(k.got[0], ==, N_PER_PRODUCER);
    g_assert_cmpuint(k.got[1], ==, N_PER_PRODUCER);
    g_assert_cmpuint(k.bad, ==, 0);
    g_test_message("producer retries on a full ring: %u, %u", p[0].retries, p[1].retries);
    tb_relay__inbox_destroy(in);
    g_main_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/inbox/order-and-full", test_order_and_full);
    g_test_add_func("/inbox/destroy-releases", test_destroy_releases);
    g_test_add_func("/inbox/threads", test_threads);
    return g_test_run();
}
