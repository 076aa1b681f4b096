/* feedback.c — RTCP per leg, on the media worker: what publishers and subscribers tell
 * us, and the reports we send them once a second.
 *
 * The relay terminates RTCP (it is a translator that rewrites SSRCs, RFC 7667 §3.7), so
 * nothing is forwarded as is: publisher SRs are kept to translate into subscriber SRs
 * (for lip sync the NTP↔RTP mapping must stay the publisher's), subscriber PLI/FIR turn
 * into throttled PLIs, subscriber NACKs are answered from the retransmission buffer. */
#define TB_LOG_CAT "relay/feedback"
#include "relay/internal.h"
#include "common/tb_error.h"
#include "common/tb_reader.h"
#include "common/tb_time.h"

#include <string.h>

#define REMB_BPS 2500000

/* NACK answers are rate-limited per subscriber leg: one NACK names up to 64 packets here
 * (TB_RELAY_RTCP_MAX_NACK, expanded from PID + BLP, RFC 4585 §6.2.1) and a compound
 * packet may hold several, so unbounded answers let one subscriber make the relay send
 * many times the stream back at it for the cost of a few small RTCP packets.
 * - A byte budget per leg grows by RTX_SHARE of the media forwarded on it and holds at
 *   most RTX_BURST_BYTES: retransmissions stay within a quarter of the stream's own rate
 *   (a leg losing more than that is beyond what retransmission repairs; the NACK browser
 *   test drops 5 %), with room for a lost keyframe's worth at once. Topped up when a
 *   NACK comes, from the leg's own byte count: nothing is added per forwarded packet.
 * - At most RTX_PER_RTCP retransmissions per RTCP packet, whatever the budget. */
#define RTX_SHARE       4 /* 1/4 */
#define RTX_BURST_BYTES (64 * 1024)
#define RTX_PER_RTCP    32

static tb_relay__slot *slot_by_ssrc(tb_relay_pc *pc, uint32_t ssrc)
{
    for (guint i = 0; i < pc->slots->len; i++) {
        tb_relay__slot *s = g_ptr_array_index(pc->slots, i);
        if (s->track && s->rw.out_ssrc == ssrc)
            return s;
    }
    return NULL;
}

static void rtx_top_up(tb_relay__slot *slot)
{
    uint32_t grown = slot->octets - slot->rtx_octets_seen; /* modulo 2^32, like octets */
    slot->rtx_octets_seen = slot->octets;
    uint64_t budget = (uint64_t)slot->rtx_budget + grown / RTX_SHARE;
    slot->rtx_budget = (uint32_t)MIN(budget, (uint64_t)RTX_BURST_BYTES);
}

/* Resends lost packets to one subscriber, rewritten as they were the first time, within
 * the leg's budget and *left, the retransmissions this RTCP packet may still cause. */
static void answer_nack(tb_relay_pc *pc, tb_relay__slot *slot, const tb_relay_rtcp_item *it,
                        int *left)
{
    tb_relay_track *t = slot->track;
    tb_relay_rtxbuf *rtx = t->local[pc->worker->index].rtx; /* what this worker sent */
    if (!rtx)
        return;
    rtx_top_up(slot);
    uint32_t refused = 0;
    for (uint16_t i = 0; i < it->nack_count; i++) {
        uint16_t in_seq;
        const uint8_t *pkt;
        size_t len;
        if (!tb_relay_rewriter_out_to_in_seq(&slot->rw, it->nack_seqs[i], &in_seq))
            continue;
        if (tb_relay_rtxbuf_get(rtx, in_seq, &pkt, &len) != TB_OK)
            continue;
        tb_relay_rtp_header h;
        if (tb_relay_rtp_parse(pkt, len, &h) != TB_OK || h.ssrc != slot->rw.in_ssrc)
            continue;
        if (*left <= 0 || len > slot->rtx_budget) {
            refused++;
            continue;
        }
        (*left)--;
        slot->rtx_budget -= (uint32_t)len;
        slot->rtx_sent++;
        memcpy(pc->tx, pkt, len);
        tb_relay_rtp_set_seq(pc->tx, (uint16_t)(in_seq + slot->rw.seq_delta));
        tb_relay_rtp_set_timestamp(pc->tx, h.timestamp + slot->rw.ts_delta);
        tb_relay_rtp_set_ssrc(pc->tx, slot->rw.out_ssrc);
        tb_relay__transport_send_rtp(pc, pc->tx, len);
    }
    if (refused) {
        slot->rtx_refused += refused;
        if (tb_log_ratelimit_ok(&pc->rl))
            TB_LOG_WARN("[%s] NACKs beyond the retransmission budget: %u packet(s) not resent "
                        "(%u so far on m-line %d)",
                        pc->tag, refused, slot->rtx_refused, slot->index);
    }
}

static void from_subscriber(tb_relay_pc *pc, const tb_relay_rtcp_item *it, int *rtx_left)
{
    tb_relay__slot *slot;
    switch (it->kind) {
    case TB_RELAY_RTCP_ITEM_PLI:
    case TB_RELAY_RTCP_ITEM_FIR:
        if ((slot = slot_by_ssrc(pc, it->media_ssrc)))
            tb_relay__forward_keyframe_from(pc, slot->track);
        break;
    case TB_RELAY_RTCP_ITEM_NACK:
        if ((slot = slot_by_ssrc(pc, it->media_ssrc)))
            answer_nack(pc, slot, it, rtx_left);
        break;
    default:
        break; /* RR, REMB, SDES: nothing to do without bandwidth estimation yet */
    }
}

static void from_publisher(tb_relay_pc *pc, const tb_relay_rtcp_item *it)
{
    if (it->kind != TB_RELAY_RTCP_ITEM_SR)
        return;
    for (guint i = 0; i < pc->wtracks->len; i++) {
        tb_relay_track *t = g_ptr_array_index(pc->wtracks, i);
        if (t->fwd.in_ssrc && t->fwd.in_ssrc == it->sender_ssrc) {
            int64_t now = tb_time_mono_us();
            g_mutex_lock(&t->sr.lock);
            t->sr.have = true;
            t->sr.ssrc = it->sender_ssrc;
            t->sr.ntp = it->ntp;
            t->sr.rtp = it->rtp_ts;
            t->sr.local_us = now;
            g_mutex_unlock(&t->sr.lock);
            tb_relay_rtp_stats_on_sr(&t->fwd.stats, it->ntp, now);
        }
    }
}

void tb_relay__forward_rtcp(tb_relay_pc *pc, uint8_t *buf, size_t len)
{
    tb_relay_rtcp_iter iter;
    tb_relay_rtcp_item item;
    tb_relay_rtcp_iter_init(&iter, buf, len);
    int rc, rtx_left = RTX_PER_RTCP;
    if (pc->role == TB_RELAY_PC_PUBLISH)
        for (guint i = 0; i < pc->wtracks->len; i++) {
            tb_relay_track *t = g_ptr_array_index(pc->wtracks, i);
            if (t->fwd.tap_rtcp && !t->fwd.muted)
                tb_relay__tap_rtcp(t, buf, len);
        }
    while ((rc = tb_relay_rtcp_iter_next(&iter, &item)) == 1) {
        if (pc->role == TB_RELAY_PC_PUBLISH)
            from_publisher(pc, &item);
        else
            from_subscriber(pc, &item, &rtx_left);
    }
    if (rc < 0 && tb_log_ratelimit_ok(&pc->rl))
        TB_LOG_WARN("[%s] malformed RTCP (%zu bytes)", pc->tag, len);
}

/* REMB (draft-alvestrand-rmcat-remb): PSFB FMT 15, "REMB", 6-bit exponent, 18-bit
 * mantissa. Not in rtcp.c because it is the one application-layer message we write. */
static int write_remb(uint8_t *b, size_t cap, uint32_t sender, const uint32_t *ssrcs, size_t n,
                      uint64_t bps)
{
    size_t len = 20 + 4 * n;
    if (cap < len || n == 0 || n > 255)
        return TB_ENOMEM;
    uint8_t exp = 0;
    while (bps > 0x3FFFF) {
        bps >>= 1;
        exp++;
    }
    b[0] = 0x80 | 15;
    b[1] = TB_RELAY_RTCP_PSFB;
    tb_put_u16(b + 2, (uint16_t)(len / 4 - 1));
    tb_put_u32(b + 4, sender);
    tb_put_u32(b + 8, 0);
    memcpy(b + 12, "REMB", 4);
    b[16] = (uint8_t)n;
    b[17] = (uint8_t)((exp << 2) | ((bps >> 16) & 0x3));
    tb_put_u16(b + 18, (uint16_t)(bps & 0xFFFF));
    for (size_t i = 0; i < n; i++)
        tb_put_u32(b + 20 + 4 * i, ssrcs[i]);
    return (int)len;
}

static void publisher_reports(tb_relay_pc *pc, int64_t now)
{
    tb_relay_rtcp_report_block blocks[8];
    uint32_t video[8];
    size_t nb = 0, nv = 0;
    for (guint i = 0; i < pc->wtracks->len && nb < 8; i++) {
        tb_relay_track *t = g_ptr_array_index(pc->wtracks, i);
        if (!t->fwd.in_ssrc || !t->fwd.stats.started)
            continue;
        tb_relay_rtp_stats_report(&t->fwd.stats, now, &blocks[nb++]);
        if (t->kind == TB_RELAY_KIND_VIDEO && t->codec.fb_remb)
            video[nv++] = t->fwd.in_ssrc;
    }
    if (nb == 0)
        return;
    uint8_t *b = pc->tx;
    size_t cap = TB_RELAY_MTU, off = 0;
    int n = tb_relay_rtcp_write_rr(b, cap, pc->rtcp_ssrc, blocks, nb);
    if (n <= 0)
        return;
    off += (size_t)n;
    n = tb_relay_rtcp_write_sdes_cname(b + off, cap - off, pc->rtcp_ssrc, "telebridge");
    if (n > 0)
        off += (size_t)n;
    if (nv) {
        n = write_remb(b + off, cap - off, pc->rtcp_ssrc, video, nv, REMB_BPS);
        if (n > 0)
            off += (size_t)n;
    }
    tb_relay__transport_send_rtcp(pc, b, off);
}

/* NTP timestamp `us` microseconds after `ntp` (before it when negative: a multiplication,
 * since shifting a negative value is undefined). */
uint64_t tb_relay__ntp_add_us(uint64_t ntp, int64_t us)
{
    return ntp + (uint64_t)(((__int128)us * ((__int128)1 << 32)) / 1000000);
}

static void subscriber_reports(tb_relay_pc *pc, int64_t now)
{
    for (guint i = 0; i < pc->slots->len; i++) {
        tb_relay__slot *s = g_ptr_array_index(pc->slots, i);
        tb_relay_track *t = s->track;
        if (!t || !s->packets)
            continue;
        /* The publisher's SR, from the track's home worker (this may be another). */
        g_mutex_lock(&t->sr.lock);
        bool have = t->sr.have && t->sr.ssrc == s->rw.in_ssrc;
        uint64_t sr_ntp = t->sr.ntp;
        uint32_t sr_rtp = t->sr.rtp;
        int64_t sr_local_us = t->sr.local_us;
        g_mutex_unlock(&t->sr.lock);
        if (!have)
            continue;
        /* The SR may be newer than this tick's `now` when the home worker is another
         * thread and took it in meanwhile: then it describes the present. */
        int64_t since = MAX(now - sr_local_us, 0);
        uint64_t ntp = tb_relay__ntp_add_us(sr_ntp, since);
        uint32_t rtp =
            sr_rtp + s->rw.ts_delta + (uint32_t)((since * (int64_t)t->codec.clock_rate) / 1000000);
        uint8_t *b = pc->tx;
        int n = tb_relay_rtcp_write_sr(b, TB_RELAY_MTU, s->rw.out_ssrc, ntp, rtp, s->packets,
                                       s->octets, NULL, 0);
        if (n <= 0)
            continue;
        int m = tb_relay_rtcp_write_sdes_cname(b + n, TB_RELAY_MTU - (size_t)n, s->rw.out_ssrc,
                                               t->owner);
        tb_relay__transport_send_rtcp(pc, b, (size_t)n + (size_t)(m > 0 ? m : 0));
    }
}

gboolean tb_relay__forward_rtcp_tick(gpointer data)
{
    tb_relay_pc *pc = data;
    if (!pc->srtp)
        return G_SOURCE_CONTINUE;
    int64_t now = tb_time_mono_us();
    if (pc->role == TB_RELAY_PC_PUBLISH)
        publisher_reports(pc, now);
    else
        subscriber_reports(pc, now);
    return G_SOURCE_CONTINUE;
}
