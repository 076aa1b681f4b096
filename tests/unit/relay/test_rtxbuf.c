/* test_rtxbuf.c — the NACK retransmission buffer (relay/rtxbuf.c). */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "common/tb_error.h"
#include "relay/rtxbuf.h"

/* A packet whose bytes tell which seq it was stored under. */
static size_t make_pkt(uint8_t *buf, uint16_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq + i);
    return len;
}

static void put(tb_relay_rtxbuf *b, uint16_t seq)
{
    uint8_t pkt[64];
    size_t len = make_pkt(pkt, seq, 20 + seq % 40);
    tb_relay_rtxbuf_put(b, seq, pkt, len, 0);
}

static bool has(const tb_relay_rtxbuf *b, uint16_t seq)
{
    const uint8_t *p;
    size_t len;
    int rc = tb_relay_rtxbuf_get(b, seq, &p, &len);
    if (rc == TB_ENOTFOUND)
        return false;
    g_assert_cmpint(rc, ==, 0);
    uint8_t want[64];
    g_assert_cmpmem(p, len, want, make_pkt(want, seq, 20 + seq % 40));
    return true;
}

static void test_create_params(void)
{
    g_assert_null(tb_relay_rtxbuf_create(0, 1200));
    g_assert_null(tb_relay_rtxbuf_create(3, 1200));
    g_assert_null(tb_relay_rtxbuf_create(1000, 1200));
    g_assert_null(tb_relay_rtxbuf_create(65536, 1200)); /* more than half the seq space */
    g_assert_null(tb_relay_rtxbuf_create(512, 0));
    g_assert_null(tb_relay_rtxbuf_create(1024, SIZE_MAX / 512));
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(1, 64);
    g_assert_nonnull(b);
    tb_relay_rtxbuf_destroy(b);
    tb_relay_rtxbuf_destroy(NULL);
}

static void test_put_get(void)
{
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(16, 64);
    g_assert_false(has(b, 0));
    uint8_t pkt[64];
    size_t len = make_pkt(pkt, 7, 30);
    tb_relay_rtxbuf_put(b, 7, pkt, len, 1000);
    memset(pkt, 0, sizeof(pkt)); /* the buffer keeps its own copy */
    const uint8_t *p;
    size_t n;
    g_assert_cmpint(tb_relay_rtxbuf_get(b, 7, &p, &n), ==, 0);
    g_assert_cmpuint(n, ==, 30);
    uint8_t want[64];
    g_assert_cmpmem(p, n, want, make_pkt(want, 7, 30));
    g_assert_false(has(b, 8));
    g_assert_false(has(b, 7 + 16)); /* same slot, other seq */

    /* a zero-length packet and a packet of exactly slot_size are stored */
    tb_relay_rtxbuf_put(b, 8, pkt, 0, 0);
    g_assert_cmpint(tb_relay_rtxbuf_get(b, 8, &p, &n), ==, 0);
    g_assert_cmpuint(n, ==, 0);
    tb_relay_rtxbuf_put(b, 9, want, 64, 0);
    g_assert_cmpint(tb_relay_rtxbuf_get(b, 9, &p, &n), ==, 0);
    g_assert_cmpuint(n, ==, 64);

    /* a duplicate put replaces the copy */
    tb_relay_rtxbuf_put(b, 9, pkt, 5, 0);
    g_assert_cmpint(tb_relay_rtxbuf_get(b, 9, &p, &n), ==, 0);
    g_assert_cmpuint(n, ==, 5);
    tb_relay_rtxbuf_destroy(b);
}

static void test_too_big(void)
{
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(4, 32);
    uint8_t pkt[64] = {0};
    tb_relay_rtxbuf_put(b, 1, pkt, 33, 0);
    g_assert_false(has(b, 1));
    /* a too-big packet still counts as sent: the old occupant of its slot goes */
    tb_relay_rtxbuf_put(b, 2, pkt, 8, 0);
    tb_relay_rtxbuf_put(b, 6, pkt, 33, 0);
    const uint8_t *p;
    size_t n;
    g_assert_cmpint(tb_relay_rtxbuf_get(b, 2, &p, &n), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_relay_rtxbuf_get(b, 6, &p, &n), ==, TB_ENOTFOUND);
    tb_relay_rtxbuf_destroy(b);
}

static void test_overwrite_and_wrap(void)
{
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(8, 64);
    for (uint16_t s = 65530; s != 6; s++)
        put(b, s);
    /* window of 8 ending at 5: 65534..5 */
    for (uint16_t s = 65530; s != 65534; s++)
        g_assert_false(has(b, s));
    for (uint16_t s = 65534; s != 6; s++)
        g_assert_true(has(b, s));
    g_assert_false(has(b, 6));
    g_assert_false(has(b, 100));
    tb_relay_rtxbuf_clear(b);
    g_assert_false(has(b, 5));
    put(b, 9);
    g_assert_true(has(b, 9));
    tb_relay_rtxbuf_destroy(b);
}

static void test_gaps_and_late(void)
{
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(8, 64);
    put(b, 100);
    put(b, 103); /* 101 and 102 lost */
    g_assert_true(has(b, 100));
    g_assert_false(has(b, 101));
    put(b, 101); /* arrives late, still within the window */
    g_assert_true(has(b, 101));
    put(b, 90); /* too late for the window: the buffer starts over */
    g_assert_true(has(b, 90));
    g_assert_false(has(b, 100));
    put(b, 91);
    g_assert_true(has(b, 91));
    /* a jump forward by more than the window empties it */
    put(b, 200);
    g_assert_false(has(b, 91));
    g_assert_true(has(b, 200));
    tb_relay_rtxbuf_destroy(b);
}

static void test_no_stale_after_cycle(void)
{
    /* Only even seqs after seq 1, for a whole trip around the 16-bit space: slot 1 is
     * never written again, yet get(1) must not return the packet from the last trip. */
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(4, 64);
    put(b, 1);
    for (uint32_t s = 2; s <= 65536 + 2; s += 2)
        put(b, (uint16_t)s);
    g_assert_true(has(b, 2));
    g_assert_true(has(b, 0));
    g_assert_false(has(b, 1));
    g_assert_false(has(b, 65535));
    tb_relay_rtxbuf_destroy(b);
}

/* Bytes are bounded too (n_slots packets of ~1 KB): with bigger packets the oldest of the
 * window read as absent, never as another packet's bytes; a packet that would not fit
 * before the arena's end starts over at its beginning. */
static bool has_big(const tb_relay_rtxbuf *b, uint16_t seq, size_t want_len)
{
    const uint8_t *p;
    size_t len;
    if (tb_relay_rtxbuf_get(b, seq, &p, &len) == TB_ENOTFOUND)
        return false;
    uint8_t want[1500];
    g_assert_cmpmem(p, len, want, make_pkt(want, seq, want_len));
    return true;
}

static void test_bytes_bound(void)
{
    tb_relay_rtxbuf *b = tb_relay_rtxbuf_create(16, 1500); /* arena 16 KB + 1500 */
    uint8_t pkt[1500];
    for (uint16_t s = 0; s < 16; s++)
        tb_relay_rtxbuf_put(b, s, pkt, make_pkt(pkt, s, 1500), 0);
    int present = 0;
    for (uint16_t s = 0; s < 16; s++) {
        bool h = has_big(b, s, 1500);
        present += h;
        /* Whatever is present is a suffix of what was put: the newest ones. */
        if (h)
            for (uint16_t t = s; t < 16; t++)
                g_assert_true(has_big(b, t, 1500));
    }
    g_assert_cmpint(present, >=, 10);
    g_assert_cmpint(present, <, 16);
    /* Typical packets: all 16 of the window fit. */
    for (uint16_t s = 100; s < 200; s++)
        tb_relay_rtxbuf_put(b, s, pkt, make_pkt(pkt, s, 900 + s % 124), 0);
    for (uint16_t s = 184; s < 200; s++)
        g_assert_true(has_big(b, s, 900 + s % 124));
    g_assert_false(has_big(b, 183, 900 + 183 % 124));
    /* Mixed sizes over many trips round the arena: never a wrong byte. */
    for (uint32_t i = 0; i < 20000; i++) {
        uint16_t s = (uint16_t)(300 + i);
        size_t len = 1 + (i * 7919) % 1500;
        tb_relay_rtxbuf_put(b, s, pkt, make_pkt(pkt, s, len), 0);
        if (i % 97 == 0) {
            g_assert_true(has_big(b, s, len));
            for (uint16_t back = 1; back < 16; back++) {
                uint16_t o = (uint16_t)(s - back);
                has_big(b, o, 1 + ((i - back) * 7919) % 1500); /* asserts content if present */
            }
        }
    }
    tb_relay_rtxbuf_destroy(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/relay/rtxbuf/create-params", test_create_params);
    g_test_add_func("/relay/rtxbuf/put-get", test_put_get);
    g_test_add_func("/relay/rtxbuf/too-big", test_too_big);
    g_test_add_func("/relay/rtxbuf/overwrite-wrap", test_overwrite_and_wrap);
    g_test_add_func("/relay/rtxbuf/gaps-late", test_gaps_and_late);
    g_test_add_func("/relay/rtxbuf/no-stale-after-cycle", test_no_stale_after_cycle);
    g_test_add_func("/relay/rtxbuf/bytes-bound", test_bytes_bound);
    return g_test_run();
}
