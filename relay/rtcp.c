/* rtcp.c — RTCP compound packet iteration and building, and the receiver statistics that
 * fill report blocks.
 *
 * The iterator reads each packet of a compound through tb_reader and checks its length
 * field against the datagram before looking inside, so a malformed packet ends the
 * iteration with TB_EINVAL and never a read past the end; packets we do not act on are
 * skipped by that length. Builders write big-endian fields with tb_put_*, after checking
 * the caller's capacity once. The statistics follow RFC 3550 appendix A.1, A.3 and A.8. */
#include "relay/rtcp.h"

#include <string.h>

#include "common/tb_error.h"
#include "common/tb_reader.h"

#define RTCP_HEADER_LEN  4
#define REPORT_BLOCK_LEN 24
#define RTP_SEQ_MOD      0x10000u
#define MAX_DROPOUT      3000 /* RFC 3550 A.1 */
#define MAX_MISORDER     100
#define NO_BAD_SEQ       (RTP_SEQ_MOD + 1)

/* --- parsing ------------------------------------------------------------------------- */

static void read_report_block(tb_reader *r, tb_relay_rtcp_report_block *b)
{
    b->ssrc = tb_reader_u32(r);
    b->fraction_lost = tb_reader_u8(r);
    uint32_t lost = tb_reader_u24(r);
    /* 24-bit two's complement (RFC 3550 §6.4.1: lost may go negative with duplicates). */
    b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    b->highest_seq = tb_reader_u32(r);
    b->jitter = tb_reader_u32(r);
    b->lsr = tb_reader_u32(r);
    b->dlsr = tb_reader_u32(r);
}

/* SR (RFC 3550 §6.4.1): sender info, then `count` report blocks; anything after them is a
 * profile-specific extension and is ignored. */
static int parse_sr(tb_reader *r, uint8_t count, tb_relay_rtcp_item *item)
{
    item->kind = TB_RELAY_RTCP_ITEM_SR;
    item->sender_ssrc = tb_reader_u32(r);
    item->ntp = tb_reader_u64(r);
    item->rtp_ts = tb_reader_u32(r);
    item->packet_count = tb_reader_u32(r);
    item->octet_count = tb_reader_u32(r);
    if (!tb_reader_need(r, (size_t)count * REPORT_BLOCK_LEN))
        return TB_EINVAL;
    item->block_count = count;
    for (uint8_t i = 0; i < count; i++)
        read_report_block(r, &item->blocks[i]);
    return r->ok ? 0 : TB_EINVAL;
}

static int parse_rr(tb_reader *r, uint8_t count, tb_relay_rtcp_item *item)
{
    item->kind = TB_RELAY_RTCP_ITEM_RR;
    item->sender_ssrc = tb_reader_u32(r);
    if (!tb_reader_need(r, (size_t)count * REPORT_BLOCK_LEN))
        return TB_EINVAL;
    item->block_count = count;
    for (uint8_t i = 0; i < count; i++)
        read_report_block(r, &item->blocks[i]);
    return r->ok ? 0 : TB_EINVAL;
}

/* Generic NACK (RFC 4585 §6.2.1): FCI items of PID + BLP, bit i of BLP meaning PID+i+1 is
 * lost too. At least one item is required. */
static int parse_nack(tb_reader *r, tb_relay_rtcp_item *item)
{
    if (!tb_reader_need(r, 4))
        return TB_EINVAL;
    item->kind = TB_RELAY_RTCP_ITEM_NACK;
    while (tb_reader_left(r) >= 4) {
        uint16_t pid = tb_reader_u16(r);
        uint16_t blp = tb_reader_u16(r);
        for (int bit = -1; bit < 16; bit++) {
            if (bit >= 0 && !(blp & (1u << bit)))
                continue;
            if (item->nack_count == TB_RELAY_RTCP_MAX_NACK)
                return 0;
            item->nack_seqs[item->nack_count++] = (uint16_t)(pid + bit + 1);
        }
    }
    return 0;
}

/* FIR (RFC 5104 §4.3.1): the media SSRC field is unused; FCI entries are SSRC, seq nr and
 * three reserved bytes. The item reports the first entry. */
static int parse_fir(tb_reader *r, tb_relay_rtcp_item *item)
{
    item->media_ssrc = tb_reader_u32(r);
    item->fir_seq = tb_reader_u8(r);
    tb_reader_skip(r, 3);
    if (!r->ok)
        return TB_EINVAL;
    item->kind = TB_RELAY_RTCP_ITEM_FIR;
    return 0;
}

/* REMB (draft-alvestrand-rmcat-remb §2.2): "REMB", num SSRC, 6-bit exponent, 18-bit
 * mantissa, SSRC list. Another application-layer feedback is skipped. */
static int parse_afb(tb_reader *r, tb_relay_rtcp_item *item)
{
    if (tb_reader_left(r) < 4 || memcmp(r->buf + r->pos, "REMB", 4) != 0)
        return 0;
    tb_reader_skip(r, 4);
    uint8_t num = tb_reader_u8(r);
    uint32_t br = tb_reader_u24(r);
    if (!tb_reader_need(r, (size_t)num * 4))
        return TB_EINVAL;
    unsigned exp = br >> 18;
    uint64_t mantissa = br & 0x3ffff;
    /* A bitrate past 2^64 is nonsense rather than a malformed packet: skip the message. */
    if (exp > 64 - 18 && (mantissa >> (64 - exp)) != 0)
        return 0;
    item->kind = TB_RELAY_RTCP_ITEM_REMB;
    item->media_ssrc = num > 0 ? tb_get_u32(r->buf + r->pos) : 0;
    item->remb_bitrate = mantissa << exp;
    return 0;
}

/* Feedback messages (RFC 4585 §6.1) start with sender and media SSRC. */
static int parse_feedback(tb_reader *r, uint8_t pt, uint8_t fmt, tb_relay_rtcp_item *item)
{
    item->sender_ssrc = tb_reader_u32(r);
    item->media_ssrc = tb_reader_u32(r);
    if (!r->ok)
        return TB_EINVAL;
    if (pt == TB_RELAY_RTCP_RTPFB && fmt == 1)
        return parse_nack(r, item);
    if (pt == TB_RELAY_RTCP_PSFB && fmt == 1) {
        item->kind = TB_RELAY_RTCP_ITEM_PLI;
        return 0;
    }
    if (pt == TB_RELAY_RTCP_PSFB && fmt == 4)
        return parse_fir(r, item);
    if (pt == TB_RELAY_RTCP_PSFB && fmt == 15)
        return parse_afb(r, item);
    return 0;
}

void tb_relay_rtcp_iter_init(tb_relay_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->pos = 0;
}

int tb_relay_rtcp_iter_next(tb_relay_rtcp_iter *it, tb_relay_rtcp_item *item)
{
    if (it->pos >= it->len)
        return it->len == 0 ? TB_EINVAL : 0; /* an empty datagram is no compound packet */

    tb_reader r;
    tb_reader_init(&r, it->buf + it->pos, it->len - it->pos);
    uint8_t b0 = tb_reader_u8(&r);
    uint8_t pt = tb_reader_u8(&r);
    size_t size = ((size_t)tb_reader_u16(&r) + 1) * 4;
    if (!r.ok || (b0 >> 6) != 2 || size > r.len)
        return TB_EINVAL;
    size_t body = size - RTCP_HEADER_LEN;
    if (b0 & 0x20) {
        /* RFC 3550 §6.4.1: the last octet counts the padding, itself included. */
        uint8_t pad = r.buf[size - 1];
        if (pad == 0 || pad > body)
            return TB_EINVAL;
        body -= pad;
    }
    uint8_t count = b0 & 0x1f;

    memset(item, 0, sizeof(*item));
    item->kind = TB_RELAY_RTCP_ITEM_OTHER;
    item->packet_type = pt;
    item->fmt = count;
    /* Confine the type parsers to this packet's body. */
    tb_reader pr;
    tb_reader_init(&pr, r.buf + RTCP_HEADER_LEN, body);
    int rc;
    switch (pt) {
    case TB_RELAY_RTCP_SR:
        rc = parse_sr(&pr, count, item);
        break;
    case TB_RELAY_RTCP_RR:
        rc = parse_rr(&pr, count, item);
        break;
    case TB_RELAY_RTCP_RTPFB:
    case TB_RELAY_RTCP_PSFB:
        rc = parse_feedback(&pr, pt, count, item);
        break;
    default:
        /* SDES chunks, BYE and APP all start with an SSRC when they have a body. */
        item->sender_ssrc = body >= 4 ? tb_get_u32(pr.buf) : 0;
        rc = 0;
        break;
    }
    if (rc < 0)
        return rc;
    it->pos += size;
    return 1;
}

/* --- building ------------------------------------------------------------------------ */

static void put_header(uint8_t *buf, uint8_t count, uint8_t pt, size_t size)
{
    buf[0] = (uint8_t)(0x80 | (count & 0x1f));
    buf[1] = pt;
    tb_put_u16(buf + 2, (uint16_t)(size / 4 - 1));
}

int tb_relay_rtcp_write_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (cap < 12)
        return TB_ENOMEM;
    put_header(buf, 1, TB_RELAY_RTCP_PSFB, 12);
    tb_put_u32(buf + 4, sender_ssrc);
    tb_put_u32(buf + 8, media_ssrc);
    return 12;
}

int tb_relay_rtcp_write_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                            uint8_t seq)
{
    if (cap < 20)
        return TB_ENOMEM;
    put_header(buf, 4, TB_RELAY_RTCP_PSFB, 20);
    tb_put_u32(buf + 4, sender_ssrc);
    tb_put_u32(buf + 8, 0); /* RFC 5104 §4.3.1.2: media SSRC SHALL be 0, it is in the FCI */
    tb_put_u32(buf + 12, media_ssrc);
    buf[16] = seq;
    buf[17] = buf[18] = buf[19] = 0;
    return 20;
}

int tb_relay_rtcp_write_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                             const uint16_t *seqs, size_t n)
{
    if (n == 0)
        return TB_EINVAL; /* RFC 4585 §6.1: a NACK carries at least one FCI item */
    if (cap < 16)
        return TB_ENOMEM;
    /* Each seq joins an item whose PID it follows by 1..16, else opens a new one; input in
     * ascending order packs tightest, any order is still correct. */
    size_t items = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < items; k++) {
            uint8_t *fci = buf + 12 + 4 * k;
            uint16_t d = (uint16_t)(seqs[i] - tb_get_u16(fci));
            if (d == 0)
                break;
            if (d <= 16) {
                tb_put_u16(fci + 2, (uint16_t)(tb_get_u16(fci + 2) | (1u << (d - 1))));
                break;
            }
        }
        if (k < items)
            continue;
        /* the length field counts 32-bit words minus one in 16 bits */
        if (12 + 4 * (items + 1) > cap || 3 + items + 1 > 0x10000)
            return TB_ENOMEM;
        tb_put_u16(buf + 12 + 4 * items, seqs[i]);
        tb_put_u16(buf + 12 + 4 * items + 2, 0);
        items++;
    }
    size_t size = 12 + 4 * items;
    put_header(buf, 1, TB_RELAY_RTCP_RTPFB, size);
    tb_put_u32(buf + 4, sender_ssrc);
    tb_put_u32(buf + 8, media_ssrc);
    return (int)size;
}

static void put_report_block(uint8_t *p, const tb_relay_rtcp_report_block *b)
{
    int32_t lost = b->cumulative_lost;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    tb_put_u32(p, b->ssrc);
    tb_put_u32(p + 4, ((uint32_t)b->fraction_lost << 24) | ((uint32_t)lost & 0xffffff));
    tb_put_u32(p + 8, b->highest_seq);
    tb_put_u32(p + 12, b->jitter);
    tb_put_u32(p + 16, b->lsr);
    tb_put_u32(p + 20, b->dlsr);
}

int tb_relay_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                           uint32_t packets, uint32_t octets,
                           const tb_relay_rtcp_report_block *blocks, size_t n_blocks)
{
    if (n_blocks > TB_RELAY_RTCP_MAX_BLOCKS)
        return TB_EINVAL;
    size_t size = 28 + REPORT_BLOCK_LEN * n_blocks;
    if (cap < size)
        return TB_ENOMEM;
    put_header(buf, (uint8_t)n_blocks, TB_RELAY_RTCP_SR, size);
    tb_put_u32(buf + 4, ssrc);
    tb_put_u32(buf + 8, (uint32_t)(ntp >> 32));
    tb_put_u32(buf + 12, (uint32_t)ntp);
    tb_put_u32(buf + 16, rtp_ts);
    tb_put_u32(buf + 20, packets);
    tb_put_u32(buf + 24, octets);
    for (size_t i = 0; i < n_blocks; i++)
        put_report_block(buf + 28 + REPORT_BLOCK_LEN * i, &blocks[i]);
    return (int)size;
}

int tb_relay_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const tb_relay_rtcp_report_block *blocks, size_t n_blocks)
{
    if (n_blocks > TB_RELAY_RTCP_MAX_BLOCKS)
        return TB_EINVAL;
    size_t size = 8 + REPORT_BLOCK_LEN * n_blocks;
    if (cap < size)
        return TB_ENOMEM;
    put_header(buf, (uint8_t)n_blocks, TB_RELAY_RTCP_RR, size);
    tb_put_u32(buf + 4, ssrc);
    for (size_t i = 0; i < n_blocks; i++)
        put_report_block(buf + 8 + REPORT_BLOCK_LEN * i, &blocks[i]);
    return (int)size;
}

int tb_relay_rtcp_write_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
    if (cname == NULL)
        return TB_EINVAL;
    size_t n = strlen(cname);
    if (n > 255)
        return TB_EINVAL;
    /* RFC 3550 §6.5: SSRC, CNAME item (type 1, length, text), then at least one null
     * octet ending the item list, padded with nulls to a 32-bit boundary. */
    size_t size = (4 + 4 + 2 + n + 1 + 3) & ~(size_t)3;
    if (cap < size)
        return TB_ENOMEM;
    put_header(buf, 1, TB_RELAY_RTCP_SDES, size);
    tb_put_u32(buf + 4, ssrc);
    buf[8] = 1;
    buf[9] = (uint8_t)n;
    memcpy(buf + 10, cname, n);
    memset(buf + 10 + n, 0, size - 10 - n);
    return (int)size;
}

/* --- receiver statistics ------------------------------------------------------------- */

void tb_relay_rtp_stats_init(tb_relay_rtp_stats *s, uint32_t ssrc, uint32_t clock_rate)
{
    *s = (tb_relay_rtp_stats){.ssrc = ssrc, .clock_rate = clock_rate, .bad_seq = NO_BAD_SEQ};
}

/* RFC 3550 A.1 init_seq. */
static void stats_restart(tb_relay_rtp_stats *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = NO_BAD_SEQ;
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
}

/* Arrival time in RTP clock units, modulo 2^32 like the timestamps it is compared with. */
static uint32_t arrival_ticks(int64_t us, uint32_t clock_rate)
{
    uint64_t u = us > 0 ? (uint64_t)us : 0; /* monotonic time: never negative in practice */
    return (uint32_t)((u / 1000000) * clock_rate + (u % 1000000) * clock_rate / 1000000);
}

/* RFC 3550 A.1 update_seq without the probation period: the source is known from
 * signaling, so its first packet is trusted. */
void tb_relay_rtp_stats_update(tb_relay_rtp_stats *s, uint16_t seq, uint32_t rtp_ts,
                               int64_t arrival_us)
{
    uint32_t transit = arrival_ticks(arrival_us, s->clock_rate) - rtp_ts;
    bool fresh = false; /* start of a sequence: no previous transit to compare */
    bool in_order = false;
    if (!s->started) {
        stats_restart(s, seq);
        s->started = true;
        fresh = true;
    } else {
        uint16_t udelta = (uint16_t)(seq - s->max_seq);
        if (udelta < MAX_DROPOUT) {
            if (seq < s->max_seq)
                s->cycles += RTP_SEQ_MOD;
            s->max_seq = seq;
            in_order = udelta != 0;
        } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
            /* A very large jump: if the next packet follows it the sender restarted
             * (RFC 3550 A.1); otherwise this one is ignored. */
            if (seq != s->bad_seq) {
                s->bad_seq = (uint16_t)(seq + 1);
                return;
            }
            stats_restart(s, seq);
            fresh = true;
        }
        /* else a duplicate or reordered packet: counted, seq state unchanged */
    }
    s->received++;

    /* RFC 3550 A.8 jitter, fed only by in-order packets: a reordered or retransmitted
     * packet's transit says nothing about the network's variation. */
    if (in_order) {
        int32_t d = (int32_t)(transit - (uint32_t)s->last_transit);
        double ad = d < 0 ? -(double)d : (double)d;
        s->jitter += (ad - s->jitter) / 16.0;
    }
    if (in_order || fresh)
        s->last_transit = transit;
}

void tb_relay_rtp_stats_on_sr(tb_relay_rtp_stats *s, uint64_t ntp, int64_t now_us)
{
    s->last_sr_ntp = ntp;
    s->last_sr_recv_us = now_us;
}

void tb_relay_rtp_stats_report(tb_relay_rtp_stats *s, int64_t now_us,
                               tb_relay_rtcp_report_block *out)
{
    *out = (tb_relay_rtcp_report_block){.ssrc = s->ssrc};
    /* LSR: middle 32 bits of the last SR's NTP time; DLSR: time since, in 1/65536 s.
     * Both 0 when no SR has arrived (RFC 3550 §6.4.1). */
    if (s->last_sr_ntp != 0) {
        out->lsr = (uint32_t)(s->last_sr_ntp >> 16);
        int64_t delay = now_us - s->last_sr_recv_us;
        if (delay > 0) {
            uint64_t dlsr = ((uint64_t)delay << 16) / 1000000;
            out->dlsr = dlsr > UINT32_MAX ? UINT32_MAX : (uint32_t)dlsr;
        }
    }
    if (!s->started)
        return;

    /* RFC 3550 A.3 */
    uint32_t extended_max = s->cycles + s->max_seq;
    uint32_t expected = extended_max - s->base_seq + 1;
    int64_t lost = (int64_t)expected - (int64_t)s->received;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    uint32_t expected_interval = expected - s->expected_prior;
    s->expected_prior = expected;
    uint32_t received_interval = s->received - s->received_prior;
    s->received_prior = s->received;
    int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
    if (expected_interval != 0 && lost_interval > 0) {
        uint64_t fraction = ((uint64_t)lost_interval << 8) / expected_interval;
        out->fraction_lost = fraction > 255 ? 255 : (uint8_t)fraction;
    }

    out->cumulative_lost = (int32_t)lost;
    out->highest_seq = extended_max;
    out->jitter = (uint32_t)s->jitter;
}
