/* rtp.h — RTP header parsing, in-place rewriting and packet demultiplexing
 * (RFC 3550, RFC 5285/8285 header extensions, RFC 7983 demux). Pure functions over
 * (buf, len): no I/O, no allocation, safe to fuzz. Any thread. */
#ifndef TB_RELAY_RTP_H
#define TB_RELAY_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What arrived on a BUNDLEd ICE component (RFC 7983 §7). */
typedef enum {
    TB_RELAY_PKT_UNKNOWN = 0,
    TB_RELAY_PKT_STUN,
    TB_RELAY_PKT_DTLS,
    TB_RELAY_PKT_RTP,
    TB_RELAY_PKT_RTCP,
} tb_relay_pkt_kind;

tb_relay_pkt_kind tb_relay_pkt_classify(const uint8_t *buf, size_t len);

typedef struct tb_relay_rtp_header {
    uint8_t csrc_count;
    bool marker;
    bool has_padding;
    bool has_extension;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint16_t ext_profile; /* 0xBEDE one-byte, 0x100x two-byte (RFC 8285) */
    size_t ext_offset;    /* offset of the extension data (after the 4-byte ext header) */
    size_t ext_len;       /* bytes of extension data */
    size_t payload_offset;
    size_t payload_len; /* excludes padding */
} tb_relay_rtp_header;

/* Parses and validates an RTP header. Returns 0, or TB_EINVAL for a short/bad packet
 * (version != 2, lengths past the end, padding longer than the payload). */
int tb_relay_rtp_parse(const uint8_t *buf, size_t len, tb_relay_rtp_header *out);

/* Finds header extension element `id` (1..14 for one-byte, 1..255 for two-byte).
 * On success *data points into buf. Returns 0, TB_ENOTFOUND or TB_EINVAL. */
int tb_relay_rtp_ext_find(const uint8_t *buf, const tb_relay_rtp_header *h, uint8_t id,
                          const uint8_t **data, size_t *len);

/* In-place field writes on a packet already validated by tb_relay_rtp_parse. */
void tb_relay_rtp_set_seq(uint8_t *buf, uint16_t seq);
void tb_relay_rtp_set_timestamp(uint8_t *buf, uint32_t ts);
void tb_relay_rtp_set_ssrc(uint8_t *buf, uint32_t ssrc);
void tb_relay_rtp_set_payload_type(uint8_t *buf, uint8_t pt);

/* Keyframe detection on a depacketized payload start, for "waiting for keyframe"
 * gating and recording. VP8: RFC 7741 §4.3 (S bit, PID 0, P bit clear in the payload
 * header). H.264: RFC 6184 — an IDR NAL (5) or SPS (7), alone, in STAP-A or FU-A start.
 * VP9: RFC draft-ietf-payload-vp9 P bit clear with B bit set. */
bool tb_relay_vp8_is_keyframe(const uint8_t *payload, size_t len);
bool tb_relay_h264_is_keyframe(const uint8_t *payload, size_t len);
bool tb_relay_vp9_is_keyframe(const uint8_t *payload, size_t len);

/* Sequence arithmetic with wrap-around (RFC 3550 A.1): true when a is newer than b. */
static inline bool tb_relay_seq_newer(uint16_t a, uint16_t b)
{
    return a != b && (uint16_t)(a - b) < 0x8000;
}

/* Per-subscriber rewriting of one forwarded stream.
 *
 * The subscriber sees one SSRC per slot for its whole life, with continuous sequence
 * numbers and timestamps, even when the publisher behind the slot restarts (new SSRC,
 * new random seq/ts bases) or the slot is given another source. On a source change the
 * next output seq continues at last+1 and the timestamp advances by the wall-clock gap
 * in the stream's clock rate, so jitter buffers and lip sync in the receiver stay sane. */
typedef struct tb_relay_rewriter {
    uint32_t out_ssrc;
    uint32_t clock_rate;
    bool started;     /* any packet sent yet */
    bool have_source; /* in_ssrc below is valid */
    uint32_t in_ssrc;
    uint16_t seq_delta; /* out = in + delta (mod 2^16) */
    uint32_t ts_delta;  /* out = in + delta (mod 2^32) */
    uint16_t last_out_seq;
    uint32_t last_out_ts;
    int64_t last_out_us; /* monotonic time the last packet was sent */
    uint16_t max_in_seq; /* highest input seq seen for the current source */
    /* Added after the first draft of this header (appended, so existing users are
     * unaffected; everything goes through _init): */
    uint16_t first_in_seq; /* drop floor: first input seq of the current source, or
                            * max_in_seq - 0x7FFF once the source is older than that */
    uint32_t bad_seq;      /* RFC 3550 A.1: input seq that would confirm a backward jump
                            * as a restart of the source; > 0xFFFF when none */
} tb_relay_rewriter;

void tb_relay_rewriter_init(tb_relay_rewriter *rw, uint32_t out_ssrc, uint32_t clock_rate);

/* Maps one input packet to output seq/ts. `now_us` is monotonic time. Returns 0, or
 * TB_EDECLINED when the packet is too old to map (before the current source's first
 * packet) and must be dropped. Updates state. */
int tb_relay_rewriter_map(tb_relay_rewriter *rw, uint32_t in_ssrc, uint16_t in_seq, uint32_t in_ts,
                          int64_t now_us, uint16_t *out_seq, uint32_t *out_ts);

/* Maps an input seq of the current source without updating state (for NACK answers and
 * reverse lookups). Returns false if no current source, or if out_seq was not produced
 * from the current source (a packet of an earlier source, or not sent yet). */
bool tb_relay_rewriter_out_to_in_seq(const tb_relay_rewriter *rw, uint16_t out_seq,
                                     uint16_t *in_seq);

#endif
