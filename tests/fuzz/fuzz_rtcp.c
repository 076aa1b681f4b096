/* fuzz_rtcp.c — libFuzzer target for relay/rtcp.c.
 *
 * The input is one compound RTCP datagram. Every item the iterator returns is checked
 * for bounds, rebuilt with the matching builder and parsed again, which must give the
 * same values back. The same bytes, read as (seq, ts, time) records, drive the receiver
 * statistics and their report blocks. */
#include <stdlib.h>
#include <string.h>

#include "common/tb_error.h"
#include "common/tb_reader.h"
#include "relay/rtcp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static uint8_t out[2048];

/* Parses a freshly built single packet; it must be valid and come back as one item. */
static void reparse(size_t len, tb_relay_rtcp_item *item)
{
    tb_relay_rtcp_iter it;
    tb_relay_rtcp_iter_init(&it, out, len);
    CHECK(tb_relay_rtcp_iter_next(&it, item) == 1);
    CHECK(tb_relay_rtcp_iter_next(&it, item + 1) == 0);
}

static bool same_block(const tb_relay_rtcp_report_block *a, const tb_relay_rtcp_report_block *b)
{
    return a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
           a->cumulative_lost == b->cumulative_lost && a->highest_seq == b->highest_seq &&
           a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr;
}

/* Sorted and without duplicates, in place; returns the new count. */
static size_t unique_seqs(uint16_t *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
            uint16_t t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || s[k - 1] != s[i])
            s[k++] = s[i];
    return k;
}

static void roundtrip(const tb_relay_rtcp_item *a)
{
    static tb_relay_rtcp_item b[2];
    int n;
    switch (a->kind) {
    case TB_RELAY_RTCP_ITEM_SR:
    case TB_RELAY_RTCP_ITEM_RR:
        n = a->kind == TB_RELAY_RTCP_ITEM_SR
                ? tb_relay_rtcp_write_sr(out, sizeof(out), a->sender_ssrc, a->ntp, a->rtp_ts,
                                         a->packet_count, a->octet_count, a->blocks, a->block_count)
                : tb_relay_rtcp_write_rr(out, sizeof(out), a->sender_ssrc, a->blocks,
                                         a->block_count);
        CHECK(n > 0);
        reparse((size_t)n, b);
        CHECK(b->kind == a->kind && b->sender_ssrc == a->sender_ssrc && b->ntp == a->ntp);
        CHECK(b->block_count == a->block_count);
        for (int i = 0; i < a->block_count; i++)
            CHECK(same_block(&a->blocks[i], &b->blocks[i]));
        break;
    case TB_RELAY_RTCP_ITEM_PLI:
        n = tb_relay_rtcp_write_pli(out, sizeof(out), a->sender_ssrc, a->media_ssrc);
        reparse((size_t)n, b);
        CHECK(b->kind == a->kind && b->media_ssrc == a->media_ssrc);
        break;
    case TB_RELAY_RTCP_ITEM_FIR:
        n = tb_relay_rtcp_write_fir(out, sizeof(out), a->sender_ssrc, a->media_ssrc, a->fir_seq);
        reparse((size_t)n, b);
        CHECK(b->kind == a->kind && b->media_ssrc == a->media_ssrc && b->fir_seq == a->fir_seq);
        break;
    case TB_RELAY_RTCP_ITEM_NACK: {
        uint16_t want[TB_RELAY_RTCP_MAX_NACK];
        memcpy(want, a->nack_seqs, sizeof(want));
        size_t nw = unique_seqs(want, a->nack_count);
        n = tb_relay_rtcp_write_nack(out, sizeof(out), a->sender_ssrc, a->media_ssrc, want, nw);
        CHECK(n > 0 || nw == 0);
        if (n <= 0)
            break;
        reparse((size_t)n, b);
        CHECK(b->kind == a->kind && b->media_ssrc == a->media_ssrc);
        size_t ng = unique_seqs(b->nack_seqs, b->nack_count);
        CHECK(ng == nw && memcmp(b->nack_seqs, want, nw * sizeof(uint16_t)) == 0);
        break;
    }
    default:
        break;
    }
}

static void iterate(const uint8_t *data, size_t size, tb_relay_rtp_stats *stats)
{
    static tb_relay_rtcp_item item;
    tb_relay_rtcp_iter it;
    tb_relay_rtcp_iter_init(&it, data, size);
    int rc;
    size_t last_pos = 0;
    while ((rc = tb_relay_rtcp_iter_next(&it, &item)) == 1) {
        CHECK(it.pos > last_pos && it.pos <= size && it.pos % 4 == 0);
        last_pos = it.pos;
        CHECK(item.block_count <= TB_RELAY_RTCP_MAX_BLOCKS);
        CHECK(item.nack_count <= TB_RELAY_RTCP_MAX_NACK);
        for (int i = 0; i < item.block_count; i++)
            CHECK(item.blocks[i].cumulative_lost >= -0x800000 &&
                  item.blocks[i].cumulative_lost <= 0x7fffff);
        if (item.kind == TB_RELAY_RTCP_ITEM_SR)
            tb_relay_rtp_stats_on_sr(stats, item.ntp, (int64_t)item.rtp_ts);
        roundtrip(&item);
    }
    CHECK(rc == 0 || rc == TB_EINVAL);
    CHECK(rc != 0 || it.pos == size);
}

/* Records of 8 bytes: seq, ts, time step in 0.1 ms; a report after every 8th. */
static void drive_stats(const uint8_t *data, size_t size, tb_relay_rtp_stats *s)
{
    tb_reader r;
    tb_reader_init(&r, data, size);
    int64_t now = 0;
    int k = 0;
    tb_relay_rtcp_report_block b;
    while (tb_reader_left(&r) >= 8) {
        uint16_t seq = tb_reader_u16(&r);
        uint32_t ts = tb_reader_u32(&r);
        now += tb_reader_u16(&r) * 100;
        tb_relay_rtp_stats_update(s, seq, ts, now);
        if (++k % 8 == 0) {
            tb_relay_rtp_stats_report(s, now, &b);
            CHECK(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7fffff);
            CHECK(s->jitter >= 0);
        }
    }
    tb_relay_rtp_stats_report(s, now, &b);
    CHECK(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7fffff);
}

static void check_sdes(const uint8_t *data, size_t size)
{
    char cname[256];
    size_t n = 0;
    for (; n < size && n < 255; n++)
        cname[n] = data[n] ? (char)data[n] : 'x';
    cname[n] = 0;
    int len = tb_relay_rtcp_write_sdes_cname(out, sizeof(out), 1, cname);
    CHECK(len > 0 && len % 4 == 0);
    static tb_relay_rtcp_item b[2];
    reparse((size_t)len, b);
    CHECK(b->packet_type == TB_RELAY_RTCP_SDES && b->sender_ssrc == 1);
    CHECK(out[9] == n && memcmp(out + 10, cname, n) == 0 && out[10 + n] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tb_relay_rtp_stats stats;
    tb_relay_rtp_stats_init(&stats, 0x1234, size % 2 ? 48000 : 90000);
    iterate(data, size, &stats);
    drive_stats(data, size, &stats);
    check_sdes(data, size);
    return 0;
}
