/* test_rtcp.c — RTCP compound iteration, builders and receiver statistics (relay/rtcp.c).
 * Every parse runs on an exact-size heap copy, so under AddressSanitizer a read one byte
 * past the datagram fails the test. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/tb_error.h"
#include "relay/internal.h"
#include "relay/rtcp.h"

#define MAX_ITEMS 16

typedef struct parsed {
    int n;
    int rc; /* what the iteration ended with: 0 or TB_EINVAL */
    tb_relay_rtcp_item items[MAX_ITEMS];
} parsed;

static parsed *parse_all(const uint8_t *buf, size_t len)
{
    parsed *p = g_new0(parsed, 1);
    uint8_t *copy = g_malloc(len ? len : 1);
    memcpy(copy, buf, len);
    tb_relay_rtcp_iter it;
    tb_relay_rtcp_iter_init(&it, copy, len);
    int rc;
    while (p->n < MAX_ITEMS && (rc = tb_relay_rtcp_iter_next(&it, &p->items[p->n])) == 1)
        p->n++;
    g_assert_cmpint(p->n, <, MAX_ITEMS);
    p->rc = rc;
    if (rc < 0) /* an error is sticky */
        g_assert_cmpint(tb_relay_rtcp_iter_next(&it, &p->items[p->n]), ==, rc);
    g_free(copy);
    return p;
}

/* Chrome-shaped compound: SR with one report block, then SDES with a 16-byte CNAME. */
/* clang-format off */
static const uint8_t sr_sdes[] = {
    0x81, 0xc8, 0x00, 0x0c, 0x4d, 0x2a, 0x1b, 0x3c,             /* SR, RC=1, 52 bytes */
    0xe8, 0xa1, 0xb2, 0xc3, 0x45, 0x67, 0x80, 0x00,             /* NTP */
    0x00, 0xa1, 0xb2, 0xc3, 0x00, 0x00, 0x01, 0x23,             /* RTP ts, packets */
    0x00, 0x01, 0xe2, 0x40,                                     /* octets */
    0x11, 0x22, 0x33, 0x44, 0x0a, 0x00, 0x00, 0x05,             /* block: ssrc, lost */
    0x00, 0x01, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x20,             /* highest, jitter */
    0xb2, 0xc3, 0x45, 0x67, 0x00, 0x01, 0x00, 0x00,             /* LSR, DLSR */
    0x81, 0xca, 0x00, 0x06, 0x4d, 0x2a, 0x1b, 0x3c, 0x01, 0x10, /* SDES, CNAME */
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
    0x00, 0x00,
};
/* clang-format on */

static void test_parse_sr_sdes(void)
{
    parsed *p = parse_all(sr_sdes, sizeof(sr_sdes));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->n, ==, 2);
    const tb_relay_rtcp_item *sr = &p->items[0];
    g_assert_cmpint(sr->kind, ==, TB_RELAY_RTCP_ITEM_SR);
    g_assert_cmpuint(sr->packet_type, ==, 200);
    g_assert_cmpuint(sr->sender_ssrc, ==, 0x4d2a1b3c);
    g_assert_cmpuint(sr->ntp, ==, 0xe8a1b2c345678000ull);
    g_assert_cmpuint(sr->rtp_ts, ==, 0x00a1b2c3);
    g_assert_cmpuint(sr->packet_count, ==, 0x123);
    g_assert_cmpuint(sr->octet_count, ==, 123456);
    g_assert_cmpuint(sr->block_count, ==, 1);
    g_assert_cmpuint(sr->blocks[0].ssrc, ==, 0x11223344);
    g_assert_cmpuint(sr->blocks[0].fraction_lost, ==, 10);
    g_assert_cmpint(sr->blocks[0].cumulative_lost, ==, 5);
    g_assert_cmpuint(sr->blocks[0].highest_seq, ==, 0x1fff0);
    g_assert_cmpuint(sr->blocks[0].jitter, ==, 32);
    g_assert_cmpuint(sr->blocks[0].lsr, ==, 0xb2c34567);
    g_assert_cmpuint(sr->blocks[0].dlsr, ==, 0x10000);
    g_assert_cmpint(p->items[1].kind, ==, TB_RELAY_RTCP_ITEM_OTHER);
    g_assert_cmpuint(p->items[1].packet_type, ==, TB_RELAY_RTCP_SDES);
    g_assert_cmpuint(p->items[1].sender_ssrc, ==, 0x4d2a1b3c);
    g_free(p);
}

static void test_parse_rr(void)
{
    uint8_t rr[56] = {0x82, 0xc9, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x01};
    memcpy(rr + 8, sr_sdes + 28, 24);
    const uint8_t block2[24] = {0xaa, 0xbb, 0xcc, 0xdd, 0xff, 0xff, 0xff, 0xff,
                                0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00};
    memcpy(rr + 32, block2, 24);
    parsed *p = parse_all(rr, sizeof(rr));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->n, ==, 1);
    g_assert_cmpint(p->items[0].kind, ==, TB_RELAY_RTCP_ITEM_RR);
    g_assert_cmpuint(p->items[0].sender_ssrc, ==, 1);
    g_assert_cmpuint(p->items[0].block_count, ==, 2);
    g_assert_cmpuint(p->items[0].blocks[0].ssrc, ==, 0x11223344);
    g_assert_cmpuint(p->items[0].blocks[1].ssrc, ==, 0xaabbccdd);
    g_assert_cmpuint(p->items[0].blocks[1].fraction_lost, ==, 255);
    g_assert_cmpint(p->items[0].blocks[1].cumulative_lost, ==, -1);
    g_assert_cmpuint(p->items[0].blocks[1].highest_seq, ==, 0x20001);
    g_assert_cmpuint(p->items[0].blocks[1].jitter, ==, 0x1000);
    g_free(p);

    /* the smallest compound: an empty RR */
    const uint8_t empty_rr[] = {0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07};
    p = parse_all(empty_rr, sizeof(empty_rr));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->n, ==, 1);
    g_assert_cmpuint(p->items[0].block_count, ==, 0);
    g_free(p);
}

static void test_parse_feedback(void)
{
    /* clang-format off */
    const uint8_t fb[] = {
        0x81, 0xce, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, /* PLI */
        0x84, 0xce, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* FIR */
        0x9a, 0xbc, 0xde, 0xf0, 0x05, 0x00, 0x00, 0x00,
        0x81, 0xcd, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, /* NACK */
        0x00, 0x64, 0x80, 0x05,
        0x81, 0xcd, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, /* NACK wrap */
        0xff, 0xff, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00,
        0x8f, 0xce, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* REMB */
        'R', 'E', 'M', 'B', 0x01, 0x0b, 0xd0, 0x90, 0x12, 0x34, 0x56, 0x78,
        0x8f, 0xcd, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, /* TWCC */
        0x00, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00,
        0x81, 0xcb, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78,                         /* BYE */
    };
    /* clang-format on */
    parsed *p = parse_all(fb, sizeof(fb));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->n, ==, 7);
    tb_relay_rtcp_item *it = p->items;
    g_assert_cmpint(it[0].kind, ==, TB_RELAY_RTCP_ITEM_PLI);
    g_assert_cmpuint(it[0].sender_ssrc, ==, 1);
    g_assert_cmpuint(it[0].media_ssrc, ==, 0x12345678);
    g_assert_cmpint(it[1].kind, ==, TB_RELAY_RTCP_ITEM_FIR);
    g_assert_cmpuint(it[1].fmt, ==, 4);
    g_assert_cmpuint(it[1].media_ssrc, ==, 0x9abcdef0);
    g_assert_cmpuint(it[1].fir_seq, ==, 5);
    g_assert_cmpint(it[2].kind, ==, TB_RELAY_RTCP_ITEM_NACK);
    g_assert_cmpuint(it[2].media_ssrc, ==, 0x12345678);
    g_assert_cmpuint(it[2].nack_count, ==, 4);
    g_assert_cmpuint(it[2].nack_seqs[0], ==, 100);
    g_assert_cmpuint(it[2].nack_seqs[1], ==, 101);
    g_assert_cmpuint(it[2].nack_seqs[2], ==, 103);
    g_assert_cmpuint(it[2].nack_seqs[3], ==, 116);
    g_assert_cmpuint(it[3].nack_count, ==, 3);
    g_assert_cmpuint(it[3].nack_seqs[0], ==, 65535);
    g_assert_cmpuint(it[3].nack_seqs[1], ==, 0);
    g_assert_cmpuint(it[3].nack_seqs[2], ==, 16);
    g_assert_cmpint(it[4].kind, ==, TB_RELAY_RTCP_ITEM_REMB);
    g_assert_cmpuint(it[4].remb_bitrate, ==, 1000000);
    g_assert_cmpuint(it[4].media_ssrc, ==, 0x12345678);
    g_assert_cmpint(it[5].kind, ==, TB_RELAY_RTCP_ITEM_OTHER);
    g_assert_cmpuint(it[5].packet_type, ==, TB_RELAY_RTCP_RTPFB);
    g_assert_cmpuint(it[5].fmt, ==, 15);
    g_assert_cmpint(it[6].kind, ==, TB_RELAY_RTCP_ITEM_OTHER);
    g_assert_cmpuint(it[6].packet_type, ==, TB_RELAY_RTCP_BYE);
    g_free(p);
}

static void test_parse_nack_cap(void)
{
    /* 5 FCI items with every BLP bit: 85 seqs, the first TB_RELAY_RTCP_MAX_NACK kept */
    uint8_t pkt[32] = {0x81, 0xcd, 0x00, 0x07};
    for (int i = 0; i < 5; i++) {
        pkt[12 + 4 * i] = 0;
        pkt[13 + 4 * i] = (uint8_t)(17 * i);
        pkt[14 + 4 * i] = pkt[15 + 4 * i] = 0xff;
    }
    parsed *p = parse_all(pkt, sizeof(pkt));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpuint(p->items[0].nack_count, ==, TB_RELAY_RTCP_MAX_NACK);
    for (int i = 0; i < TB_RELAY_RTCP_MAX_NACK; i++)
        g_assert_cmpuint(p->items[0].nack_seqs[i], ==, i);
    g_free(p);
}

static void test_parse_remb_edge(void)
{
    /* clang-format off */
    uint8_t remb[] = {0x8f, 0xce, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0,
                      'R',  'E',  'M',  'B',  0, 0xff, 0xff, 0xff};
    /* clang-format on */
    /* no SSRC listed; exponent 63 with a full mantissa does not fit: skipped */
    parsed *p = parse_all(remb, sizeof(remb));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->items[0].kind, ==, TB_RELAY_RTCP_ITEM_OTHER);
    g_free(p);
    /* exponent 46 with a full mantissa is the largest that fits */
    remb[17] = 46 << 2 | 0x03;
    p = parse_all(remb, sizeof(remb));
    g_assert_cmpint(p->items[0].kind, ==, TB_RELAY_RTCP_ITEM_REMB);
    g_assert_cmpuint(p->items[0].remb_bitrate, ==, 0x3ffffull << 46);
    g_assert_cmpuint(p->items[0].media_ssrc, ==, 0);
    g_free(p);
    /* two SSRCs announced, none present */
    remb[16] = 2;
    p = parse_all(remb, sizeof(remb));
    g_assert_cmpint(p->rc, ==, TB_EINVAL);
    g_assert_cmpint(p->n, ==, 0);
    g_free(p);
    /* another AFB message */
    remb[12] = 'X';
    p = parse_all(remb, sizeof(remb));
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->items[0].kind, ==, TB_RELAY_RTCP_ITEM_OTHER);
    g_free(p);
}

static void expect_invalid(const uint8_t *buf, size_t len, int items_before)
{
    parsed *p = parse_all(buf, len);
    g_assert_cmpint(p->rc, ==, TB_EINVAL);
    g_assert_cmpint(p->n, ==, items_before);
    g_free(p);
}

static void test_parse_malformed(void)
{
    const uint8_t pli[] = {0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    uint8_t b[64];

    expect_invalid(pli, 0, 0);  /* empty datagram */
    expect_invalid(pli, 3, 0);  /* truncated header */
    expect_invalid(pli, 11, 0); /* truncated body */
    memcpy(b, pli, sizeof(pli));
    b[3] = 3; /* length past the end */
    expect_invalid(b, sizeof(pli), 0);
    b[2] = 0xff;
    expect_invalid(b, sizeof(pli), 0);
    memcpy(b, pli, sizeof(pli));
    b[0] = 0x41; /* version 1 */
    expect_invalid(b, sizeof(pli), 0);

    /* zero-length bodies where the type needs one */
    const uint8_t rr0[] = {0x80, 0xc9, 0x00, 0x00};
    const uint8_t sr0[] = {0x80, 0xc8, 0x00, 0x00};
    const uint8_t pli1[] = {0x81, 0xce, 0x00, 0x01, 0, 0, 0, 1};
    const uint8_t fir2[] = {0x84, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0};
    const uint8_t nack2[] = {0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    expect_invalid(rr0, sizeof(rr0), 0);
    expect_invalid(sr0, sizeof(sr0), 0);
    expect_invalid(pli1, sizeof(pli1), 0);
    expect_invalid(fir2, sizeof(fir2), 0);
    expect_invalid(nack2, sizeof(nack2), 0);

    /* SR claiming 2 report blocks with room for 1 */
    memcpy(b, sr_sdes, 52);
    b[0] = 0x82;
    expect_invalid(b, 52, 0);

    /* padding: count larger than the body, and zero */
    const uint8_t padded[] = {0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4};
    parsed *p = parse_all(padded, sizeof(padded));
    g_assert_cmpint(p->rc, ==, 0);
    g_free(p);
    memcpy(b, padded, sizeof(padded));
    b[11] = 9;
    expect_invalid(b, sizeof(padded), 0);
    b[11] = 0;
    expect_invalid(b, sizeof(padded), 0);
    b[11] = 5; /* eats into the SSRC the RR needs */
    expect_invalid(b, sizeof(padded), 0);

    /* a good packet, then a bad one: the first item is still delivered */
    memcpy(b, sr_sdes + 52, 28);
    memcpy(b + 28, pli, sizeof(pli));
    b[28 + 3] = 9;
    expect_invalid(b, 28 + sizeof(pli), 1);
}

static void test_parse_every_truncation(void)
{
    for (size_t len = 0; len <= sizeof(sr_sdes); len++) {
        parsed *p = parse_all(sr_sdes, len);
        if (len == 52 || len == sizeof(sr_sdes)) {
            g_assert_cmpint(p->rc, ==, 0);
            g_assert_cmpint(p->n, ==, len == 52 ? 1 : 2);
        } else {
            g_assert_cmpint(p->rc, ==, TB_EINVAL);
            g_assert_cmpint(p->n, ==, len > 52 ? 1 : 0);
        }
        g_free(p);
    }
}

/* --- builders ------------------------------------------------------------------------ */

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void test_build_feedback(void)
{
    uint8_t buf[256];
    int n = tb_relay_rtcp_write_pli(buf, sizeof(buf), 0x11, 0x22);
    g_assert_cmpint(n, ==, 12);
    g_assert_cmpint(tb_relay_rtcp_write_pli(buf, 11, 0x11, 0x22), ==, TB_ENOMEM);
    int m = tb_relay_rtcp_write_fir(buf + n, sizeof(buf) - n, 0x11, 0x33, 7);
    g_assert_cmpint(m, ==, 20);
    g_assert_cmpint(tb_relay_rtcp_write_fir(buf, 19, 0x11, 0x22, 0), ==, TB_ENOMEM);
    n += m;
    parsed *p = parse_all(buf, (size_t)n);
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->n, ==, 2);
    g_assert_cmpint(p->items[0].kind, ==, TB_RELAY_RTCP_ITEM_PLI);
    g_assert_cmpuint(p->items[0].sender_ssrc, ==, 0x11);
    g_assert_cmpuint(p->items[0].media_ssrc, ==, 0x22);
    g_assert_cmpint(p->items[1].kind, ==, TB_RELAY_RTCP_ITEM_FIR);
    g_assert_cmpuint(p->items[1].media_ssrc, ==, 0x33);
    g_assert_cmpuint(p->items[1].fir_seq, ==, 7);
    g_free(p);
}

static void test_build_nack(void)
{
    uint8_t buf[256];
    uint16_t seqs[] = {100, 101, 103, 116, 117, 200, 65535, 0, 15};
    int n = tb_relay_rtcp_write_nack(buf, sizeof(buf), 1, 2, seqs, G_N_ELEMENTS(seqs));
    g_assert_cmpint(n, ==, 12 + 4 * 4); /* 100+{1,3,16}, 117, 200, 65535+{1,16} */
    parsed *p = parse_all(buf, (size_t)n);
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->items[0].kind, ==, TB_RELAY_RTCP_ITEM_NACK);
    g_assert_cmpuint(p->items[0].sender_ssrc, ==, 1);
    g_assert_cmpuint(p->items[0].media_ssrc, ==, 2);
    g_assert_cmpuint(p->items[0].nack_count, ==, G_N_ELEMENTS(seqs));
    qsort(seqs, G_N_ELEMENTS(seqs), sizeof(seqs[0]), cmp_u16);
    qsort(p->items[0].nack_seqs, p->items[0].nack_count, sizeof(uint16_t), cmp_u16);
    g_assert_cmpmem(p->items[0].nack_seqs, sizeof(seqs), seqs, sizeof(seqs));
    g_free(p);

    /* duplicates fold into one item */
    const uint16_t dup[] = {5, 5, 6, 5};
    n = tb_relay_rtcp_write_nack(buf, sizeof(buf), 1, 2, dup, G_N_ELEMENTS(dup));
    g_assert_cmpint(n, ==, 16);
    p = parse_all(buf, (size_t)n);
    g_assert_cmpuint(p->items[0].nack_count, ==, 2);
    g_free(p);

    /* capacity: one item needs 16 bytes, two need 20 */
    const uint16_t two[] = {1, 40};
    g_assert_cmpint(tb_relay_rtcp_write_nack(buf, 15, 1, 2, two, 1), ==, TB_ENOMEM);
    g_assert_cmpint(tb_relay_rtcp_write_nack(buf, 16, 1, 2, two, 1), ==, 16);
    g_assert_cmpint(tb_relay_rtcp_write_nack(buf, 19, 1, 2, two, 2), ==, TB_ENOMEM);
    g_assert_cmpint(tb_relay_rtcp_write_nack(buf, 20, 1, 2, two, 2), ==, 20);
    g_assert_cmpint(tb_relay_rtcp_write_nack(buf, 20, 1, 2, two, 0), ==, TB_EINVAL);
}

static void test_build_reports(void)
{
    tb_relay_rtcp_report_block blocks[2] = {
        {.ssrc = 0xa,
         .fraction_lost = 12,
         .cumulative_lost = -5,
         .highest_seq = 0x1234,
         .jitter = 77,
         .lsr = 0xdeadbeef,
         .dlsr = 65536},
        {.ssrc = 0xb, .cumulative_lost = 0x7fffff + 10, .highest_seq = 0x10000},
    };
    uint8_t buf[512];
    int n = tb_relay_rtcp_write_sr(buf, sizeof(buf), 0x5eed, 0x0123456789abcdefull, 90000, 10,
                                   12000, blocks, 2);
    g_assert_cmpint(n, ==, 28 + 48);
    g_assert_cmpint(tb_relay_rtcp_write_sr(buf, 75, 1, 0, 0, 0, 0, blocks, 2), ==, TB_ENOMEM);
    g_assert_cmpint(tb_relay_rtcp_write_sr(buf, sizeof(buf), 1, 0, 0, 0, 0, blocks, 32), ==,
                    TB_EINVAL);
    int m = tb_relay_rtcp_write_rr(buf + n, sizeof(buf) - n, 0x5eed, NULL, 0);
    g_assert_cmpint(m, ==, 8);
    g_assert_cmpint(tb_relay_rtcp_write_rr(buf, 7, 1, NULL, 0), ==, TB_ENOMEM);
    n += m;
    m = tb_relay_rtcp_write_sdes_cname(buf + n, sizeof(buf) - n, 0x5eed, "tb-relay");
    g_assert_cmpint(m, ==, 20);
    n += m;

    parsed *p = parse_all(buf, (size_t)n);
    g_assert_cmpint(p->rc, ==, 0);
    g_assert_cmpint(p->n, ==, 3);
    const tb_relay_rtcp_item *sr = &p->items[0];
    g_assert_cmpint(sr->kind, ==, TB_RELAY_RTCP_ITEM_SR);
    g_assert_cmpuint(sr->sender_ssrc, ==, 0x5eed);
    g_assert_cmpuint(sr->ntp, ==, 0x0123456789abcdefull);
    g_assert_cmpuint(sr->rtp_ts, ==, 90000);
    g_assert_cmpuint(sr->packet_count, ==, 10);
    g_assert_cmpuint(sr->octet_count, ==, 12000);
    g_assert_cmpuint(sr->block_count, ==, 2);
    g_assert_cmpuint(sr->blocks[0].ssrc, ==, 0xa);
    g_assert_cmpuint(sr->blocks[0].fraction_lost, ==, 12);
    g_assert_cmpint(sr->blocks[0].cumulative_lost, ==, -5);
    g_assert_cmpuint(sr->blocks[0].highest_seq, ==, 0x1234);
    g_assert_cmpuint(sr->blocks[0].jitter, ==, 77);
    g_assert_cmpuint(sr->blocks[0].lsr, ==, 0xdeadbeef);
    g_assert_cmpuint(sr->blocks[0].dlsr, ==, 65536);
    g_assert_cmpuint(sr->blocks[1].ssrc, ==, 0xb);
    g_assert_cmpuint(sr->blocks[1].highest_seq, ==, 0x10000);
    g_assert_cmpint(sr->blocks[1].cumulative_lost, ==, 0x7fffff); /* clamped to 24 bits */
    g_assert_cmpint(p->items[1].kind, ==, TB_RELAY_RTCP_ITEM_RR);
    g_assert_cmpuint(p->items[1].block_count, ==, 0);
    g_assert_cmpuint(p->items[2].packet_type, ==, TB_RELAY_RTCP_SDES);
    g_assert_cmpuint(p->items[2].sender_ssrc, ==, 0x5eed);
    g_free(p);

    blocks[0].cumulative_lost = -0x900000;
    n = tb_relay_rtcp_write_rr(buf, sizeof(buf), 1, blocks, 1);
    p = parse_all(buf, (size_t)n);
    g_assert_cmpint(p->items[0].blocks[0].cumulative_lost, ==, -0x800000);
    g_free(p);
}

static void test_build_sdes(void)
{
    /* 4 header + 4 SSRC + 2 item header + text + at least one null, to 32 bits */
    const struct {
        const char *cname;
        int size;
    } cases[] = {{"", 12}, {"a", 12}, {"ab", 16}, {"abcdefgh", 20}, {"abcdefghi", 20}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t buf[64];
        memset(buf, 0xee, sizeof(buf));
        int n = tb_relay_rtcp_write_sdes_cname(buf, sizeof(buf), 9, cases[i].cname);
        size_t len = strlen(cases[i].cname);
        g_assert_cmpint(n, ==, cases[i].size);
        g_assert_cmpuint(buf[0], ==, 0x81);
        g_assert_cmpuint(buf[8], ==, 1);
        g_assert_cmpuint(buf[9], ==, len);
        g_assert_cmpmem(buf + 10, len, cases[i].cname, len);
        for (int k = 10 + (int)len; k < n; k++)
            g_assert_cmpuint(buf[k], ==, 0);
        g_assert_cmpuint(buf[n], ==, 0xee);
        g_assert_cmpint(tb_relay_rtcp_write_sdes_cname(buf, (size_t)n - 1, 9, cases[i].cname), ==,
                        TB_ENOMEM);
        parsed *p = parse_all(buf, (size_t)n);
        g_assert_cmpint(p->rc, ==, 0);
        g_free(p);
    }
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    uint8_t out[400];
    g_assert_cmpint(tb_relay_rtcp_write_sdes_cname(out, sizeof(out), 1, big), ==, TB_EINVAL);
    big[255] = 0;
    g_assert_cmpint(tb_relay_rtcp_write_sdes_cname(out, sizeof(out), 1, big), ==, 268);
}

/* --- statistics ---------------------------------------------------------------------- */

static void test_stats_loss_wrap(void)
{
    tb_relay_rtp_stats s;
    tb_relay_rtp_stats_init(&s, 0xfeed, 90000);
    tb_relay_rtcp_report_block b;
    tb_relay_rtp_stats_report(&s, 0, &b);
    g_assert_cmpuint(b.ssrc, ==, 0xfeed);
    g_assert_cmpuint(b.highest_seq, ==, 0);
    g_assert_cmpint(b.cumulative_lost, ==, 0);

    /* 65530..9 across the wrap, 65533, 2 and 7 lost, 4 arriving late */
    const uint16_t seqs[] = {65530, 65531, 65532, 65534, 65535, 0, 1, 3, 5, 4, 6, 8, 9};
    for (size_t i = 0; i < G_N_ELEMENTS(seqs); i++)
        tb_relay_rtp_stats_update(&s, seqs[i], 3000u * i, 33333 * (int64_t)i);
    tb_relay_rtp_stats_report(&s, 1000000, &b);
    g_assert_cmpuint(b.highest_seq, ==, 65536 + 9);
    g_assert_cmpint(b.cumulative_lost, ==, 3);
    g_assert_cmpuint(b.fraction_lost, ==, 3 * 256 / 16);

    /* next interval: 10..29 with 5 lost */
    for (uint16_t q = 10; q < 30; q++)
        if (q % 4 != 0)
            tb_relay_rtp_stats_update(&s, q, 0, 0);
    tb_relay_rtp_stats_report(&s, 2000000, &b);
    g_assert_cmpuint(b.highest_seq, ==, 65536 + 29);
    g_assert_cmpint(b.cumulative_lost, ==, 8);
    g_assert_cmpuint(b.fraction_lost, ==, 5 * 256 / 20);

    /* an interval with nothing new, then one where a duplicate makes up for a loss */
    tb_relay_rtp_stats_report(&s, 3000000, &b);
    g_assert_cmpuint(b.fraction_lost, ==, 0);
    tb_relay_rtp_stats_update(&s, 31, 0, 0);
    tb_relay_rtp_stats_update(&s, 31, 0, 0);
    tb_relay_rtp_stats_report(&s, 4000000, &b);
    g_assert_cmpuint(b.fraction_lost, ==, 0);
    g_assert_cmpint(b.cumulative_lost, ==, 8);

    /* duplicates alone push the cumulative count below zero (RFC 3550 §6.4.1) */
    tb_relay_rtp_stats_init(&s, 1, 90000);
    for (int i = 0; i < 3; i++)
        tb_relay_rtp_stats_update(&s, 500, 0, 0);
    tb_relay_rtp_stats_report(&s, 0, &b);
    g_assert_cmpint(b.cumulative_lost, ==, -2);
    g_assert_cmpuint(b.fraction_lost, ==, 0);
}

static void test_stats_jump(void)
{
    tb_relay_rtp_stats s;
    tb_relay_rtp_stats_init(&s, 1, 90000);
    tb_relay_rtcp_report_block b;
    for (uint16_t q = 100; q <= 110; q++)
        tb_relay_rtp_stats_update(&s, q, 0, 0);
    /* a single packet far away is ignored ... */
    tb_relay_rtp_stats_update(&s, 30000, 0, 0);
    tb_relay_rtp_stats_report(&s, 0, &b);
    g_assert_cmpuint(b.highest_seq, ==, 110);
    g_assert_cmpint(b.cumulative_lost, ==, 0);
    /* ... two in a row mean the sender restarted (RFC 3550 A.1) */
    tb_relay_rtp_stats_update(&s, 40000, 0, 0);
    tb_relay_rtp_stats_update(&s, 40001, 0, 0);
    tb_relay_rtp_stats_update(&s, 40003, 0, 0);
    tb_relay_rtp_stats_report(&s, 0, &b);
    g_assert_cmpuint(b.highest_seq, ==, 40003);
    g_assert_cmpint(b.cumulative_lost, ==, 1);
    g_assert_cmpuint(b.fraction_lost, ==, 256 / 3);
    /* a forward gap below MAX_DROPOUT is plain loss */
    tb_relay_rtp_stats_update(&s, 42000, 0, 0);
    tb_relay_rtp_stats_report(&s, 0, &b);
    g_assert_cmpuint(b.highest_seq, ==, 42000);
    g_assert_cmpint(b.cumulative_lost, ==, 1 + 1996);
}

static void test_stats_jitter(void)
{
    /* Opus at 48 kHz, 20 ms packets; arrival around a large monotonic clock value and
     * timestamps crossing 2^32 */
    tb_relay_rtp_stats s;
    tb_relay_rtp_stats_init(&s, 1, 48000);
    const int64_t t0 = 864000000000LL; /* ten days of uptime */
    uint32_t ts = 0xfffff000u;         /* wraps after the 5th packet */
    int i = 0;
    for (; i < 10; i++)
        tb_relay_rtp_stats_update(&s, (uint16_t)i, ts + 960u * i, t0 + 20000 * i);
    g_assert_cmpfloat_with_epsilon(s.jitter, 0.0, 1e-9);
    /* one packet 10 ms late: D = 480, J = 480/16 */
    tb_relay_rtp_stats_update(&s, (uint16_t)i, ts + 960u * i, t0 + 20000 * i + 10000);
    g_assert_cmpfloat_with_epsilon(s.jitter, 30.0, 1e-9);
    i++;
    /* back on time: D = 480 again */
    tb_relay_rtp_stats_update(&s, (uint16_t)i, ts + 960u * i, t0 + 20000 * i);
    g_assert_cmpfloat_with_epsilon(s.jitter, 30.0 + (480.0 - 30.0) / 16.0, 1e-9);
    /* a reordered or duplicate packet leaves the jitter alone */
    double j = s.jitter;
    tb_relay_rtp_stats_update(&s, 3, ts + 960u * 3, t0 + 20000 * i + 7777);
    tb_relay_rtp_stats_update(&s, (uint16_t)i, ts + 960u * i, t0 + 20000 * i + 9999);
    g_assert_cmpfloat_with_epsilon(s.jitter, j, 1e-9);
    tb_relay_rtcp_report_block b;
    tb_relay_rtp_stats_report(&s, t0, &b);
    g_assert_cmpuint(b.jitter, ==, 58);
}

static void test_stats_lsr_dlsr(void)
{
    tb_relay_rtp_stats s;
    tb_relay_rtp_stats_init(&s, 1, 90000);
    tb_relay_rtcp_report_block b;
    tb_relay_rtp_stats_update(&s, 1, 0, 0);
    tb_relay_rtp_stats_report(&s, 5000000, &b);
    g_assert_cmpuint(b.lsr, ==, 0);
    g_assert_cmpuint(b.dlsr, ==, 0);
    tb_relay_rtp_stats_on_sr(&s, 0xaaaabbbbccccddddull, 1000000);
    tb_relay_rtp_stats_report(&s, 1500000, &b);
    g_assert_cmpuint(b.lsr, ==, 0xbbbbcccc);
    g_assert_cmpuint(b.dlsr, ==, 32768); /* 0.5 s in 1/65536 s */
    tb_relay_rtp_stats_report(&s, 1000000 + 3 * 1000000 + 250000, &b);
    g_assert_cmpuint(b.dlsr, ==, 3 * 65536 + 16384);
    tb_relay_rtp_stats_report(&s, 999999, &b);
    g_assert_cmpuint(b.dlsr, ==, 0);
}

/* A sender report's NTP time moved by the time since the publisher's SR (feedback.c),
 * also backwards: a negative offset once crashed the UBSan build (shifting a negative). */
static void test_ntp_add_us(void)
{
    uint64_t ntp = (uint64_t)3900000000u << 32; /* a 2023 NTP second, .0 */
    g_assert_cmpuint(tb_relay__ntp_add_us(ntp, 0), ==, ntp);
    g_assert_cmpuint(tb_relay__ntp_add_us(ntp, 1000000), ==, ntp + ((uint64_t)1 << 32));
    g_assert_cmpuint(tb_relay__ntp_add_us(ntp, 500000), ==, ntp + ((uint64_t)1 << 31));
    g_assert_cmpuint(tb_relay__ntp_add_us(ntp, -1000000), ==, ntp - ((uint64_t)1 << 32));
    g_assert_cmpuint(tb_relay__ntp_add_us(ntp, -2082), ==,
                     ntp - 8942121u); /* truncated toward zero */
    g_assert_cmpuint(tb_relay__ntp_add_us(ntp, INT64_C(3600) * 1000000), ==,
                     ntp + ((uint64_t)3600 << 32));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/relay/rtcp/ntp-add-us", test_ntp_add_us);
    g_test_add_func("/relay/rtcp/parse/sr-sdes", test_parse_sr_sdes);
    g_test_add_func("/relay/rtcp/parse/rr", test_parse_rr);
    g_test_add_func("/relay/rtcp/parse/feedback", test_parse_feedback);
    g_test_add_func("/relay/rtcp/parse/nack-cap", test_parse_nack_cap);
    g_test_add_func("/relay/rtcp/parse/remb-edge", test_parse_remb_edge);
    g_test_add_func("/relay/rtcp/parse/malformed", test_parse_malformed);
    g_test_add_func("/relay/rtcp/parse/every-truncation", test_parse_every_truncation);
    g_test_add_func("/relay/rtcp/build/feedback", test_build_feedback);
    g_test_add_func("/relay/rtcp/build/nack", test_build_nack);
    g_test_add_func("/relay/rtcp/build/reports", test_build_reports);
    g_test_add_func("/relay/rtcp/build/sdes", test_build_sdes);
    g_test_add_func("/relay/rtcp/stats/loss-wrap", test_stats_loss_wrap);
    g_test_add_func("/relay/rtcp/stats/jump", test_stats_jump);
    g_test_add_func("/relay/rtcp/stats/jitter", test_stats_jitter);
    g_test_add_func("/relay/rtcp/stats/lsr-dlsr", test_stats_lsr_dlsr);
    return g_test_run();
}
