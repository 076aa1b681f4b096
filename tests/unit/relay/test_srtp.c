/* test_srtp.c — SRTP/SRTCP contexts: known answers, round trips between the two ends of
 * a connection, tampering, replay, retransmission and buffer capacity, for both
 * profiles. */
#include "relay/srtp.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <glib.h>
#include <string.h>

typedef struct profile_case {
    tb_relay_srtp_profile profile;
    size_t salt_len;
    size_t rtp_trailer;
    size_t rtcp_trailer;
} profile_case;

static const profile_case CM = {TB_RELAY_SRTP_AES128_CM_SHA1_80, 14, 10, 14};
static const profile_case GCM = {TB_RELAY_SRTP_AEAD_AES_128_GCM, 12, 16, 20};

/* The two ends of one connection: a's local keys are b's remote ones and back. */
static void make_keys(const profile_case *pc, tb_relay_srtp_keys *a, tb_relay_srtp_keys *b)
{
    memset(a, 0, sizeof *a);
    a->profile = pc->profile;
    a->key_len = 16;
    a->salt_len = pc->salt_len;
    for (int i = 0; i < 16; i++) {
        a->local_key[i] = (uint8_t)(0x10 + i);
        a->remote_key[i] = (uint8_t)(0x80 + i);
    }
    for (size_t i = 0; i < pc->salt_len; i++) {
        a->local_salt[i] = (uint8_t)(0x40 + i);
        a->remote_salt[i] = (uint8_t)(0xc0 + i);
    }
    *b = *a;
    memcpy(b->local_key, a->remote_key, 16);
    memcpy(b->remote_key, a->local_key, 16);
    memcpy(b->local_salt, a->remote_salt, sizeof b->local_salt);
    memcpy(b->remote_salt, a->local_salt, sizeof b->remote_salt);
}

/* 12-byte RTP header + payload; 4-byte aligned because libsrtp reads words. */
typedef union packet {
    uint8_t b[1500];
    uint32_t align;
} packet;

static size_t make_rtp(packet *p, uint16_t seq, uint32_t ssrc, size_t payload)
{
    memset(p, 0, sizeof *p);
    p->b[0] = 0x80;
    p->b[1] = 96;
    p->b[2] = (uint8_t)(seq >> 8);
    p->b[3] = (uint8_t)seq;
    p->b[4] = 0x00, p->b[5] = 0x01, p->b[6] = 0x02, p->b[7] = 0x03;
    p->b[8] = (uint8_t)(ssrc >> 24), p->b[9] = (uint8_t)(ssrc >> 16);
    p->b[10] = (uint8_t)(ssrc >> 8), p->b[11] = (uint8_t)ssrc;
    for (size_t i = 0; i < payload; i++)
        p->b[12 + i] = (uint8_t)(i * 7 + seq);
    return 12 + payload;
}

/* A receiver report with one report block (RFC 3550 §6.4.2): 32 bytes. */
static size_t make_rtcp(packet *p, uint32_t ssrc)
{
    memset(p, 0, sizeof *p);
    p->b[0] = 0x81;
    p->b[1] = 201;
    p->b[3] = 7;
    p->b[4] = (uint8_t)(ssrc >> 24), p->b[5] = (uint8_t)(ssrc >> 16);
    p->b[6] = (uint8_t)(ssrc >> 8), p->b[7] = (uint8_t)ssrc;
    for (int i = 8; i < 32; i++)
        p->b[i] = (uint8_t)i;
    return 32;
}

/* ---- known answers: libsrtp's own reference packets (test/srtp_driver.c,
 * srtp_validate and srtp_validate_gcm), which pin down key || salt order. ---- */

static const uint8_t KAT_RTP_PLAIN[28] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t KAT_RTCP_PLAIN[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                                           0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                           0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};

static const uint8_t KAT_CM_KEY[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                       0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                       0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
static const uint8_t KAT_CM_SRTP[38] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                        0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
                                        0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
                                        0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
static const uint8_t KAT_CM_SRTCP[38] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
                                         0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
                                         0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
                                         0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};

static const uint8_t KAT_GCM_KEY[28] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
                                        0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t KAT_GCM_SRTP[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};
static const uint8_t KAT_GCM_SRTCP[44] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
    0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
    0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};

static void kat_keys(tb_relay_srtp_keys *k, tb_relay_srtp_profile profile, const uint8_t *ks,
                     size_t salt_len)
{
    memset(k, 0, sizeof *k);
    k->profile = profile;
    k->key_len = 16;
    k->salt_len = salt_len;
    memcpy(k->local_key, ks, 16);
    memcpy(k->local_salt, ks + 16, salt_len);
    memcpy(k->remote_key, ks, 16);
    memcpy(k->remote_salt, ks + 16, salt_len);
}

static void run_kat(tb_relay_srtp_profile profile, const uint8_t *key, size_t salt_len,
                    const uint8_t *srtp, size_t srtp_len, const uint8_t *srtcp, size_t srtcp_len)
{
    tb_relay_srtp_keys k;
    kat_keys(&k, profile, key, salt_len);
    tb_relay_srtp *tx = tb_relay_srtp_create(&k);
    tb_relay_srtp *rx = tb_relay_srtp_create(&k);
    g_assert_nonnull(tx);
    g_assert_nonnull(rx);
    packet p;
    size_t len = sizeof KAT_RTP_PLAIN;
    memcpy(p.b, KAT_RTP_PLAIN, len);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(tx, p.b, &len, sizeof p.b), ==, TB_OK);
    g_assert_cmpmem(p.b, len, srtp, srtp_len);
    len = sizeof KAT_RTCP_PLAIN;
    memcpy(p.b, KAT_RTCP_PLAIN, len);
    g_assert_cmpint(tb_relay_srtp_protect_rtcp(tx, p.b, &len, sizeof p.b), ==, TB_OK);
    g_assert_cmpmem(p.b, len, srtcp, srtcp_len);

    len = srtp_len;
    memcpy(p.b, srtp, len);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(rx, p.b, &len), ==, TB_OK);
    g_assert_cmpmem(p.b, len, KAT_RTP_PLAIN, sizeof KAT_RTP_PLAIN);
    len = srtcp_len;
    memcpy(p.b, srtcp, len);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtcp(rx, p.b, &len), ==, TB_OK);
    g_assert_cmpmem(p.b, len, KAT_RTCP_PLAIN, sizeof KAT_RTCP_PLAIN);
    tb_relay_srtp_destroy(tx);
    tb_relay_srtp_destroy(rx);
}

static void test_kat_cm(void)
{
    run_kat(TB_RELAY_SRTP_AES128_CM_SHA1_80, KAT_CM_KEY, 14, KAT_CM_SRTP, sizeof KAT_CM_SRTP,
            KAT_CM_SRTCP, sizeof KAT_CM_SRTCP);
}

static void test_kat_gcm(void)
{
    run_kat(TB_RELAY_SRTP_AEAD_AES_128_GCM, KAT_GCM_KEY, 12, KAT_GCM_SRTP, sizeof KAT_GCM_SRTP,
            KAT_GCM_SRTCP, sizeof KAT_GCM_SRTCP);
}

/* ---- round trips ---- */

static void roundtrip_rtp(tb_relay_srtp *tx, tb_relay_srtp *rx, const profile_case *pc,
                          uint16_t seq, uint32_t ssrc)
{
    packet p, orig;
    size_t len = make_rtp(&p, seq, ssrc, 160);
    size_t plain = len;
    orig = p;
    g_assert_cmpint(tb_relay_srtp_protect_rtp(tx, p.b, &len, sizeof p.b), ==, TB_OK);
    g_assert_cmpuint(len, ==, plain + pc->rtp_trailer);
    g_assert_cmpmem(p.b, 12, orig.b, 12);                          /* header in clear */
    g_assert_true(memcmp(p.b + 12, orig.b + 12, plain - 12) != 0); /* payload encrypted */
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(rx, p.b, &len), ==, TB_OK);
    g_assert_cmpmem(p.b, len, orig.b, plain);
}

static void roundtrip_rtcp(tb_relay_srtp *tx, tb_relay_srtp *rx, const profile_case *pc,
                           uint32_t ssrc)
{
    packet p, orig;
    size_t len = make_rtcp(&p, ssrc);
    size_t plain = len;
    orig = p;
    g_assert_cmpint(tb_relay_srtp_protect_rtcp(tx, p.b, &len, sizeof p.b), ==, TB_OK);
    g_assert_cmpuint(len, ==, plain + pc->rtcp_trailer);
    g_assert_cmpmem(p.b, 8, orig.b, 8);
    g_assert_true(memcmp(p.b + 8, orig.b + 8, plain - 8) != 0);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtcp(rx, p.b, &len), ==, TB_OK);
    g_assert_cmpmem(p.b, len, orig.b, plain);
}

static void test_roundtrip(gconstpointer data)
{
    const profile_case *pc = data;
    tb_relay_srtp_keys ka, kb;
    make_keys(pc, &ka, &kb);
    tb_relay_srtp *a = tb_relay_srtp_create(&ka);
    tb_relay_srtp *b = tb_relay_srtp_create(&kb);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    /* Both directions, several SSRCs each (the relay forwards many streams), across a
     * sequence number wrap. */
    for (uint32_t i = 0; i < 300; i++) {
        uint16_t seq = (uint16_t)(65400 + i);
        roundtrip_rtp(a, b, pc, seq, 0x1000 + i % 3);
        roundtrip_rtp(b, a, pc, seq, 0x2000 + i % 3);
        if (i % 10 == 0) {
            roundtrip_rtcp(a, b, pc, 0x1000);
            roundtrip_rtcp(b, a, pc, 0x2000);
        }
    }
    /* Our own packets do not authenticate under our inbound (the peer's) keys. */
    packet p;
    size_t len = make_rtp(&p, 1, 0x3000, 100);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, sizeof p.b), ==, TB_OK);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(a, p.b, &len), ==, TB_EAUTH);
    tb_relay_srtp_destroy(a);
    tb_relay_srtp_destroy(b);
}

static void test_tamper(gconstpointer data)
{
    const profile_case *pc = data;
    tb_relay_srtp_keys ka, kb;
    make_keys(pc, &ka, &kb);
    tb_relay_srtp *a = tb_relay_srtp_create(&ka);
    tb_relay_srtp *b = tb_relay_srtp_create(&kb);
    packet p, sealed;
    size_t n = make_rtp(&p, 100, 0xabc, 200);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &n, sizeof p.b), ==, TB_OK);
    sealed = p;
    /* Any one byte changed — header, payload or tag — fails authentication. */
    size_t offsets[] = {1, 3, 11, 12, 50, n - pc->rtp_trailer, n - 1};
    for (size_t i = 0; i < G_N_ELEMENTS(offsets); i++) {
        p = sealed;
        p.b[offsets[i]] ^= 0x01;
        size_t len = n;
        g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_EAUTH);
    }
    /* Truncated: a missing tag byte. */
    p = sealed;
    size_t len = n - 1;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_EAUTH);
    /* The original still passes: failures did not advance the replay window. */
    p = sealed;
    len = n;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_OK);

    n = make_rtcp(&p, 0xabc);
    g_assert_cmpint(tb_relay_srtp_protect_rtcp(a, p.b, &n, sizeof p.b), ==, TB_OK);
    sealed = p;
    size_t rtcp_offsets[] = {1, 4, 8, 20, n - pc->rtcp_trailer, n - 1};
    for (size_t i = 0; i < G_N_ELEMENTS(rtcp_offsets); i++) {
        p = sealed;
        p.b[rtcp_offsets[i]] ^= 0x80;
        len = n;
        int rc = tb_relay_srtp_unprotect_rtcp(b, p.b, &len);
        g_assert_true(rc == TB_EAUTH || rc == TB_EINVAL);
    }
    p = sealed;
    len = n;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtcp(b, p.b, &len), ==, TB_OK);
    tb_relay_srtp_destroy(a);
    tb_relay_srtp_destroy(b);
}

static void test_replay(gconstpointer data)
{
    const profile_case *pc = data;
    tb_relay_srtp_keys ka, kb;
    make_keys(pc, &ka, &kb);
    tb_relay_srtp *a = tb_relay_srtp_create(&ka);
    tb_relay_srtp *b = tb_relay_srtp_create(&kb);
    packet p, sealed;
    size_t n = make_rtp(&p, 5000, 0x77, 100);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &n, sizeof p.b), ==, TB_OK);
    sealed = p;
    size_t len = n;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_OK);
    p = sealed;
    len = n;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_EAUTH);

    /* Far behind the 1024-packet window: rejected as too old. */
    packet old;
    size_t on = make_rtp(&old, 6000, 0x77, 100);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, old.b, &on, sizeof old.b), ==, TB_OK);
    for (uint16_t s = 6001; s <= 7100; s++) {
        len = make_rtp(&p, s, 0x77, 20);
        g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, sizeof p.b), ==, TB_OK);
        g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_OK);
    }
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, old.b, &on), ==, TB_EAUTH);

    /* SRTCP replay. */
    n = make_rtcp(&p, 0x77);
    g_assert_cmpint(tb_relay_srtp_protect_rtcp(a, p.b, &n, sizeof p.b), ==, TB_OK);
    sealed = p;
    len = n;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtcp(b, p.b, &len), ==, TB_OK);
    p = sealed;
    len = n;
    g_assert_cmpint(tb_relay_srtp_unprotect_rtcp(b, p.b, &len), ==, TB_EAUTH);
    tb_relay_srtp_destroy(a);
    tb_relay_srtp_destroy(b);
}

/* A NACK answered with the original sequence number: protect twice must work, and the
 * receiver that lost the first copy accepts the second, within the window. */
static void test_retransmit(gconstpointer data)
{
    const profile_case *pc = data;
    tb_relay_srtp_keys ka, kb;
    make_keys(pc, &ka, &kb);
    tb_relay_srtp *a = tb_relay_srtp_create(&ka);
    tb_relay_srtp *b = tb_relay_srtp_create(&kb);
    packet first, again, p;
    size_t n1 = make_rtp(&first, 10, 0x55, 300);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, first.b, &n1, sizeof first.b), ==, TB_OK);
    /* lost; later packets arrive */
    for (uint16_t s = 11; s < 600; s++) {
        size_t len = make_rtp(&p, s, 0x55, 50);
        g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, sizeof p.b), ==, TB_OK);
        g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_OK);
    }
    size_t n2 = make_rtp(&again, 10, 0x55, 300);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, again.b, &n2, sizeof again.b), ==, TB_OK);
    g_assert_cmpmem(again.b, n2, first.b, n1);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, again.b, &n2), ==, TB_OK);
    tb_relay_srtp_destroy(a);
    tb_relay_srtp_destroy(b);
}

static void test_capacity(gconstpointer data)
{
    const profile_case *pc = data;
    tb_relay_srtp_keys ka, kb;
    make_keys(pc, &ka, &kb);
    tb_relay_srtp *a = tb_relay_srtp_create(&ka);
    tb_relay_srtp *b = tb_relay_srtp_create(&kb);
    packet p, orig;
    size_t plain = make_rtp(&p, 1, 0x99, 100);
    orig = p;
    size_t len = plain;
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, plain), ==, TB_ENOMEM);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, plain + pc->rtp_trailer - 1), ==,
                    TB_ENOMEM);
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, plain - 1), ==, TB_ENOMEM);
    g_assert_cmpuint(len, ==, plain);
    g_assert_cmpmem(p.b, sizeof p.b, orig.b, sizeof orig.b); /* untouched */
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, plain + pc->rtp_trailer), ==, TB_OK);
    g_assert_cmpuint(len, ==, plain + pc->rtp_trailer);
    g_assert_cmpuint(pc->rtp_trailer, <=, TB_RELAY_SRTP_MAX_TRAILER);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtp(b, p.b, &len), ==, TB_OK);

    plain = make_rtcp(&p, 0x99);
    len = plain;
    g_assert_cmpint(tb_relay_srtp_protect_rtcp(a, p.b, &len, plain + pc->rtcp_trailer - 1), ==,
                    TB_ENOMEM);
    g_assert_cmpuint(len, ==, plain);
    g_assert_cmpint(tb_relay_srtp_protect_rtcp(a, p.b, &len, plain + pc->rtcp_trailer), ==, TB_OK);
    g_assert_cmpuint(len, ==, plain + pc->rtcp_trailer);
    g_assert_cmpuint(pc->rtcp_trailer, <=, TB_RELAY_SRTP_MAX_TRAILER);
    g_assert_cmpint(tb_relay_srtp_unprotect_rtcp(b, p.b, &len), ==, TB_OK);

    /* Too short to be RTP at all. */
    len = 8;
    g_assert_cmpint(tb_relay_srtp_protect_rtp(a, p.b, &len, sizeof p.b), ==, TB_EIO);
    tb_relay_srtp_destroy(a);
    tb_relay_srtp_destroy(b);
}

static void test_garbage(gconstpointer data)
{
    const profile_case *pc = data;
    tb_relay_srtp_keys ka, kb;
    make_keys(pc, &ka, &kb);
    tb_relay_srtp *b = tb_relay_srtp_create(&kb);
    GRand *r = g_rand_new_with_seed(99);
    packet p;
    for (size_t len0 = 0; len0 < 200; len0++) {
        for (size_t i = 0; i < len0; i++)
            p.b[i] = (uint8_t)g_rand_int_range(r, 0, 256);
        if (len0 > 0)
            p.b[0] = (p.b[0] & 0x3f) | 0x80; /* version 2, to get past the first check */
        size_t len = len0;
        int rc = tb_relay_srtp_unprotect_rtp(b, p.b, &len);
        g_assert_true(rc == TB_EAUTH || rc == TB_EINVAL);
        g_assert_cmpuint(len, ==, len0);
        len = len0;
        rc = tb_relay_srtp_unprotect_rtcp(b, p.b, &len);
        g_assert_true(rc == TB_EAUTH || rc == TB_EINVAL);
    }
    g_rand_free(r);
    tb_relay_srtp_destroy(b);
}

static void test_create_invalid(void)
{
    tb_relay_srtp_keys k, other;
    make_keys(&CM, &k, &other);
    g_assert_null(tb_relay_srtp_create(NULL));
    k.profile = TB_RELAY_SRTP_PROFILE_NONE;
    g_assert_null(tb_relay_srtp_create(&k));
    k.profile = TB_RELAY_SRTP_AES128_CM_SHA1_80;
    k.salt_len = 12; /* GCM's salt with the CM profile */
    g_assert_null(tb_relay_srtp_create(&k));
    k.profile = TB_RELAY_SRTP_AEAD_AES_128_GCM;
    k.salt_len = 14;
    g_assert_null(tb_relay_srtp_create(&k));
    k.salt_len = 12;
    k.key_len = 32;
    g_assert_null(tb_relay_srtp_create(&k));
    k.key_len = 16;
    tb_relay_srtp *s = tb_relay_srtp_create(&k);
    g_assert_nonnull(s);
    tb_relay_srtp_destroy(s);
    tb_relay_srtp_destroy(NULL);
}

static gpointer init_thread(gpointer unused)
{
    return GINT_TO_POINTER(tb_relay_srtp_global_init());
}

static void test_global_init(void)
{
    GThread *t[8];
    for (int i = 0; i < 8; i++)
        t[i] = g_thread_new("init", init_thread, NULL);
    for (int i = 0; i < 8; i++)
        g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t[i])), ==, TB_OK);
    g_assert_cmpint(tb_relay_srtp_global_init(), ==, TB_OK);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tb_log_set_level(TB_LOG_LEVEL_ERR);
    g_test_add_func("/relay/srtp/global-init", test_global_init);
    g_test_add_func("/relay/srtp/kat/cm", test_kat_cm);
    g_test_add_func("/relay/srtp/kat/gcm", test_kat_gcm);
    g_test_add_func("/relay/srtp/create-invalid", test_create_invalid);
    static const struct {
        const char *name;
        const profile_case *pc;
    } profiles[] = {{"cm", &CM}, {"gcm", &GCM}};
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } tests[] = {{"roundtrip", test_roundtrip}, {"tamper", test_tamper},
                 {"replay", test_replay},       {"retransmit", test_retransmit},
                 {"capacity", test_capacity},   {"garbage", test_garbage}};
    for (size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
        for (size_t j = 0; j < G_N_ELEMENTS(tests); j++) {
            char *path = g_strdup_printf("/relay/srtp/%s/%s", profiles[i].name, tests[j].name);
            g_test_add_data_func(path, profiles[i].pc, tests[j].fn);
            g_free(path);
        }
    }
    return g_test_run();
}
