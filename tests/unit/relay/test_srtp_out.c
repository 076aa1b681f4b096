/* test_srtp_out.c — the relay's OpenSSL outbound SRTP against libsrtp: byte-identical
 * output to libsrtp's protect, and libsrtp unprotects it, for both profiles, across a
 * sequence number wrap, with CSRCs and header extensions, for re-sends of older packets
 * and for several SSRCs on one connection. */
#include "relay/srtp_out.h"
#include "relay/srtp.h"
#include "common/tb_error.h"

#include <glib.h>
#include <string.h>

typedef union packet {
    uint8_t b[1600];
    uint32_t align;
} packet;

static void make_keys(tb_relay_srtp_profile profile, tb_relay_srtp_keys *a, tb_relay_srtp_keys *b)
{
    memset(a, 0, sizeof *a);
    a->profile = profile;
    a->key_len = 16;
    a->salt_len = profile == TB_RELAY_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    for (int i = 0; i < 16; i++) {
        a->local_key[i] = (uint8_t)(0x31 * i + 7);
        a->remote_key[i] = (uint8_t)(0x55 + i);
    }
    for (size_t i = 0; i < a->salt_len; i++) {
        a->local_salt[i] = (uint8_t)(0xa0 + 3 * i);
        a->remote_salt[i] = (uint8_t)(0x10 + i);
    }
    *b = *a;
    memcpy(b->local_key, a->remote_key, 16);
    memcpy(b->remote_key, a->local_key, 16);
    memcpy(b->local_salt, a->remote_salt, sizeof b->local_salt);
    memcpy(b->remote_salt, a->local_salt, sizeof b->remote_salt);
}

/* RTP with `csrcs` CSRCs and, when ext, a one-byte-header extension of 8 bytes. */
static size_t make_rtp(packet *p, uint16_t seq, uint32_t ssrc, size_t payload, int csrcs, bool ext)
{
    memset(p, 0, sizeof *p);
    p->b[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | csrcs);
    p->b[1] = 96;
    p->b[2] = (uint8_t)(seq >> 8), p->b[3] = (uint8_t)seq;
    p->b[4] = 0x12, p->b[5] = 0x34, p->b[6] = 0x56, p->b[7] = (uint8_t)seq;
    p->b[8] = (uint8_t)(ssrc >> 24), p->b[9] = (uint8_t)(ssrc >> 16);
    p->b[10] = (uint8_t)(ssrc >> 8), p->b[11] = (uint8_t)ssrc;
    size_t o = 12;
    for (int i = 0; i < csrcs; i++, o += 4)
        p->b[o + 3] = (uint8_t)(i + 1);
    if (ext) {
        p->b[o] = 0xBE, p->b[o + 1] = 0xDE, p->b[o + 2] = 0, p->b[o + 3] = 2;
        p->b[o + 4] = 0x10 | 0, p->b[o + 5] = 0x42; /* id 1, 1 byte */
        o += 12;
    }
    for (size_t i = 0; i < payload; i++)
        p->b[o + i] = (uint8_t)(i * 13 + seq);
    return o + payload;
}

static void check_profile(tb_relay_srtp_profile profile)
{
    tb_relay_srtp_keys a, b;
    make_keys(profile, &a, &b);
    tb_relay_srtp_out *out = tb_relay_srtp_out_create(&a);
    tb_relay_srtp *ref = tb_relay_srtp_create(&a); /* libsrtp, same keys: the reference */
    tb_relay_srtp *rx = tb_relay_srtp_create(&b);  /* the peer */
    g_assert_nonnull(out);
    g_assert_nonnull(ref);
    g_assert_nonnull(rx);
    const uint32_t ssrcs[2] = {0x11223344, 0xcafebabe};
    uint16_t seq = 65500;
    packet mine, theirs, plain, got;
    for (int n = 0; n < 200; n++, seq++) {
        for (int s = 0; s < 2; s++) {
            int csrcs = n % 3;
            bool ext = n % 2;
            size_t len = make_rtp(&plain, seq, ssrcs[s], 100 + (size_t)n, csrcs, ext);
            mine = plain;
            theirs = plain;
            size_t ml = len, tl = len;
            g_assert_cmpint(tb_relay_srtp_out_protect(out, mine.b, &ml, sizeof mine.b), ==, TB_OK);
            g_assert_cmpint(tb_relay_srtp_protect_rtp(ref, theirs.b, &tl, sizeof theirs.b), ==,
                            TB_OK);
            g_assert_cmpuint(ml, ==, tl);
            g_assert_cmpmem(mine.b, ml, theirs.b, tl);
            got = mine;
            size_t gl = ml;
            g_assert_cmpint(tb_relay_srtp_unprotect_rtp(rx, got.b, &gl), ==, TB_OK);
            g_assert_cmpmem(got.b, gl, plain.b, len);
        }
    }
    /* A re-send of a packet from before the wrap (never delivered to rx: another SSRC's
     * context would reject a replay), protected under the old rollover counter. */
    size_t len = make_rtp(&plain, 65530, 0x0badf00d, 50, 0, false);
    mine = plain;
    size_t ml = len;
    /* First make 0x0badf00d wrap: 65535, 0, 1. */
    for (uint16_t s2 = 65535, k = 0; k < 3; k++, s2++) {
        packet q;
        size_t ql = make_rtp(&q, s2, 0x0badf00d, 40, 0, false);
        g_assert_cmpint(tb_relay_srtp_out_protect(out, q.b, &ql, sizeof q.b), ==, TB_OK);
        g_assert_cmpint(tb_relay_srtp_unprotect_rtp(rx, q.b, &ql), ==, TB_OK);
    }
    g_assert_cmpint(tb_relay_srtp_out_protect(out, mine.b, &ml, sizeof mine.b), ==, TB_OK);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(rx, mine.b, &ml), ==, TB_OK);
    g_assert_cmpmem(mine.b, ml, plain.b, len);
    /* No room for the tag; not RTP. */
    len = make_rtp(&plain, 7, 1, 10, 0, false);
    ml = len;
    g_assert_cmpint(tb_relay_srtp_out_protect(out, plain.b, &ml, len + 4), ==, TB_ENOMEM);
    ml = 8;
    g_assert_cmpint(tb_relay_srtp_out_protect(out, plain.b, &ml, sizeof plain.b), ==, TB_EINVAL);
    tb_relay_srtp_out_destroy(out);
    tb_relay_srtp_destroy(ref);
    tb_relay_srtp_destroy(rx);
}

static void test_cm(void)
{
    check_profile(TB_RELAY_SRTP_AES128_CM_SHA1_80);
}
static void test_gcm(void)
{
    check_profile(TB_RELAY_SRTP_AEAD_AES_128_GCM);
}

static void test_bad_keys(void)
{
    tb_relay_srtp_keys a, b;
    make_keys(TB_RELAY_SRTP_AEAD_AES_128_GCM, &a, &b);
    a.salt_len = 14;
    g_assert_null(tb_relay_srtp_out_create(&a));
    a.profile = TB_RELAY_SRTP_PROFILE_NONE;
    g_assert_null(tb_relay_srtp_out_create(&a));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/relay/srtp_out/cm", test_cm);
    g_test_add_func("/relay/srtp_out/gcm", test_gcm);
    g_test_add_func("/relay/srtp_out/bad-keys", test_bad_keys);
    return g_test_run();
}
