/* rtcp.h — RTCP compound packet parsing and building (RFC 3550 §6, RFC 4585 feedback,
 * RFC 5104 FIR). Pure functions over (buf, len): no I/O, no allocation. Any thread. */
#ifndef TB_RELAY_RTCP_H
#define TB_RELAY_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TB_RELAY_RTCP_SR = 200,
    TB_RELAY_RTCP_RR = 201,
    TB_RELAY_RTCP_SDES = 202,
    TB_RELAY_RTCP_BYE = 203,
    TB_RELAY_RTCP_APP = 204,
    TB_RELAY_RTCP_RTPFB = 205, /* FMT 1 = generic NACK, 15 = transport-cc */
    TB_RELAY_RTCP_PSFB = 206,  /* FMT 1 = PLI, 4 = FIR, 15 = REMB (AFB) */
};

typedef struct tb_relay_rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost; /* 24-bit signed */
    uint32_t highest_seq;
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr;
} tb_relay_rtcp_report_block;

#define TB_RELAY_RTCP_MAX_BLOCKS 31
#define TB_RELAY_RTCP_MAX_NACK   64 /* NACK items kept per packet; more are ignored */

typedef enum {
    TB_RELAY_RTCP_ITEM_SR,
    TB_RELAY_RTCP_ITEM_RR,
    TB_RELAY_RTCP_ITEM_PLI,
    TB_RELAY_RTCP_ITEM_FIR,
    TB_RELAY_RTCP_ITEM_NACK,
    TB_RELAY_RTCP_ITEM_REMB,
    TB_RELAY_RTCP_ITEM_OTHER, /* SDES, BYE, APP, transport-cc, ...: length-checked, skipped */
} tb_relay_rtcp_item_kind;

/* One packet of a compound RTCP packet, decoded. */
typedef struct tb_relay_rtcp_item {
    tb_relay_rtcp_item_kind kind;
    uint8_t packet_type;
    uint8_t fmt;
    uint32_t sender_ssrc;
    uint32_t media_ssrc; /* PLI, NACK, REMB(first ssrc) ; FIR: the FCI's ssrc */
    /* SR */
    uint64_t ntp;
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
    /* SR/RR */
    uint8_t block_count;
    tb_relay_rtcp_report_block blocks[TB_RELAY_RTCP_MAX_BLOCKS];
    /* FIR */
    uint8_t fir_seq;
    /* NACK: lost sequence numbers, expanded from PID + BLP */
    uint16_t nack_count;
    uint16_t nack_seqs[TB_RELAY_RTCP_MAX_NACK];
    /* REMB */
    uint64_t remb_bitrate;
} tb_relay_rtcp_item;

/* Iterates over a compound packet. Usage:
 *   tb_relay_rtcp_iter it; tb_relay_rtcp_iter_init(&it, buf, len);
 *   tb_relay_rtcp_item item;
 *   while ((rc = tb_relay_rtcp_iter_next(&it, &item)) == 1) { ... }
 * Returns 1 with an item, 0 at the clean end, TB_EINVAL on a malformed packet (the
 * items returned before it stay valid). */
typedef struct tb_relay_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} tb_relay_rtcp_iter;

void tb_relay_rtcp_iter_init(tb_relay_rtcp_iter *it, const uint8_t *buf, size_t len);
int tb_relay_rtcp_iter_next(tb_relay_rtcp_iter *it, tb_relay_rtcp_item *item);

/* Builders. Each writes one RTCP packet at buf and returns its length in bytes, or
 * TB_ENOMEM if cap is too small. Packets can be concatenated into a compound. */
int tb_relay_rtcp_write_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
int tb_relay_rtcp_write_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                            uint8_t seq);
/* Generic NACK for the given lost sequence numbers (packed into PID+BLP items). */
int tb_relay_rtcp_write_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                             const uint16_t *seqs, size_t n);
int tb_relay_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                           uint32_t packets, uint32_t octets,
                           const tb_relay_rtcp_report_block *blocks, size_t n_blocks);
int tb_relay_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const tb_relay_rtcp_report_block *blocks, size_t n_blocks);
/* Minimal SDES with a CNAME item; RFC 3550 §6.1 wants one in every compound packet. */
int tb_relay_rtcp_write_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);

/* Receive statistics of one incoming stream, for receiver report blocks
 * (RFC 3550 §6.4.1 and appendix A.3, A.8). */
typedef struct tb_relay_rtp_stats {
    uint32_t ssrc;
    uint32_t clock_rate;
    bool started;
    uint16_t max_seq;
    uint32_t cycles; /* shifted count of seq wraps, << 16 */
    uint32_t base_seq;
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    double jitter; /* in timestamp units */
    int64_t last_transit;
    uint64_t last_sr_ntp; /* middle 32 bits used for LSR */
    int64_t last_sr_recv_us;
    /* Appended after the first draft (users go through _init): */
    uint32_t bad_seq; /* RFC 3550 A.1: seq that confirms a big jump as a restart */
} tb_relay_rtp_stats;

void tb_relay_rtp_stats_init(tb_relay_rtp_stats *s, uint32_t ssrc, uint32_t clock_rate);
/* Accounts one received packet; arrival_us is monotonic time. */
void tb_relay_rtp_stats_update(tb_relay_rtp_stats *s, uint16_t seq, uint32_t rtp_ts,
                               int64_t arrival_us);
void tb_relay_rtp_stats_on_sr(tb_relay_rtp_stats *s, uint64_t ntp, int64_t now_us);
/* Fills a report block and moves the interval counters forward. */
void tb_relay_rtp_stats_report(tb_relay_rtp_stats *s, int64_t now_us,
                               tb_relay_rtcp_report_block *out);

#endif
