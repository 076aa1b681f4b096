/* rtp.c — RTP demultiplexing, header parsing, in-place rewriting, keyframe detection and
 * the per-subscriber seq/ts rewriter.
 *
 * Everything here is a pure function over (buf, len) or over a small caller-owned state
 * struct, so the media worker can call it per packet without locks or allocation and the
 * fuzzers can drive it directly. Wire fields are read through tb_reader (no struct casts);
 * every length that comes from the packet is checked against what is left before use. */
#include "relay/rtp.h"

#include "common/tb_error.h"
#include "common/tb_reader.h"

#define RTP_HEADER_LEN 12
#define RTP_SEQ_MOD    0x10000u
/* Seqs at most this far behind the newest are late packets, not a restart (RFC 3550 A.1). */
#define MAX_MISORDER 100
#define NO_BAD_SEQ   (RTP_SEQ_MOD + 1)

/* --- demultiplexing ------------------------------------------------------------------ */

tb_relay_pkt_kind tb_relay_pkt_classify(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return TB_RELAY_PKT_UNKNOWN;
    uint8_t b = buf[0];
    /* RFC 7983 §7: the first byte tells the protocols apart. Each branch also asks for
     * the smallest valid header so a truncated datagram is not handed on. */
    if (b <= 3)
        return len >= 20 ? TB_RELAY_PKT_STUN : TB_RELAY_PKT_UNKNOWN;
    if (b >= 20 && b <= 63)
        return len >= 13 ? TB_RELAY_PKT_DTLS : TB_RELAY_PKT_UNKNOWN;
    if (b >= 128 && b <= 191) {
        if (len < 2)
            return TB_RELAY_PKT_UNKNOWN;
        /* RFC 5761 §4: with rtcp-mux, RTCP packet types 192..223 sit where RTP payload
         * types 64..95 with the marker bit would; those PTs are never assigned to RTP. */
        if (buf[1] >= 192 && buf[1] <= 223)
            return len >= 8 ? TB_RELAY_PKT_RTCP : TB_RELAY_PKT_UNKNOWN;
        return len >= RTP_HEADER_LEN ? TB_RELAY_PKT_RTP : TB_RELAY_PKT_UNKNOWN;
    }
    return TB_RELAY_PKT_UNKNOWN; /* ZRTP, TURN channels and unassigned ranges */
}

/* --- header parsing ------------------------------------------------------------------ */

int tb_relay_rtp_parse(const uint8_t *buf, size_t len, tb_relay_rtp_header *out)
{
    tb_reader r;
    tb_reader_init(&r, buf, len);
    uint8_t b0 = tb_reader_u8(&r);
    uint8_t b1 = tb_reader_u8(&r);
    uint16_t seq = tb_reader_u16(&r);
    uint32_t ts = tb_reader_u32(&r);
    uint32_t ssrc = tb_reader_u32(&r);
    if (!r.ok || (b0 >> 6) != 2)
        return TB_EINVAL;

    tb_relay_rtp_header h = {
        .csrc_count = b0 & 0x0f,
        .has_padding = (b0 & 0x20) != 0,
        .has_extension = (b0 & 0x10) != 0,
        .marker = (b1 & 0x80) != 0,
        .payload_type = b1 & 0x7f,
        .seq = seq,
        .timestamp = ts,
        .ssrc = ssrc,
    };
    tb_reader_skip(&r, (size_t)h.csrc_count * 4);
    if (h.has_extension) {
        h.ext_profile = tb_reader_u16(&r);
        h.ext_len = (size_t)tb_reader_u16(&r) * 4;
        h.ext_offset = r.pos;
        tb_reader_skip(&r, h.ext_len);
    }
    if (!r.ok)
        return TB_EINVAL;
    h.payload_offset = r.pos;
    size_t rest = len - r.pos;
    size_t pad = 0;
    if (h.has_padding) {
        /* RFC 3550 §5.1: the last octet counts the padding, itself included, so 0 is
         * as invalid as a count that reaches into the header. */
        pad = rest > 0 ? buf[len - 1] : 0;
        if (pad == 0 || pad > rest)
            return TB_EINVAL;
    }
    h.payload_len = rest - pad;
    *out = h;
    return 0;
}

/* RFC 8285 §4.2: one-byte elements, ID 1..14; 0 is a padding byte; ID 15 ends parsing. */
static int ext_find_one_byte(const uint8_t *p, size_t n, uint8_t id, const uint8_t **data,
                             size_t *len)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        if (b == 0) {
            i++;
            continue;
        }
        uint8_t eid = b >> 4;
        size_t elen = (size_t)(b & 0x0f) + 1;
        if (eid == 15)
            return TB_ENOTFOUND;
        if (elen > n - i - 1)
            return TB_EINVAL;
        if (eid == id) {
            *data = p + i + 1;
            *len = elen;
            return 0;
        }
        i += 1 + elen;
    }
    return TB_ENOTFOUND;
}

/* RFC 8285 §4.3: two-byte elements, ID 1..255 and a length byte that may be 0; an ID of 0
 * is a single padding byte. */
static int ext_find_two_byte(const uint8_t *p, size_t n, uint8_t id, const uint8_t **data,
                             size_t *len)
{
    size_t i = 0;
    while (i < n) {
        uint8_t eid = p[i];
        if (eid == 0) {
            i++;
            continue;
        }
        if (n - i < 2)
            return TB_EINVAL;
        size_t elen = p[i + 1];
        if (elen > n - i - 2)
            return TB_EINVAL;
        if (eid == id) {
            *data = p + i + 2;
            *len = elen;
            return 0;
        }
        i += 2 + elen;
    }
    return TB_ENOTFOUND;
}

int tb_relay_rtp_ext_find(const uint8_t *buf, const tb_relay_rtp_header *h, uint8_t id,
                          const uint8_t **data, size_t *len)
{
    if (id == 0)
        return TB_EINVAL;
    if (!h->has_extension)
        return TB_ENOTFOUND;
    const uint8_t *p = buf + h->ext_offset;
    if (h->ext_profile == 0xBEDE)
        return id <= 14 ? ext_find_one_byte(p, h->ext_len, id, data, len) : TB_ENOTFOUND;
    /* RFC 8285 §4.3: 0x100 in the top 12 bits, the low 4 bits are app bits. */
    if ((h->ext_profile & 0xFFF0) == 0x1000)
        return ext_find_two_byte(p, h->ext_len, id, data, len);
    return TB_ENOTFOUND; /* a non-RFC 8285 extension has no elements to find */
}

/* --- in-place writers ---------------------------------------------------------------- */

void tb_relay_rtp_set_seq(uint8_t *buf, uint16_t seq)
{
    tb_put_u16(buf + 2, seq);
}

void tb_relay_rtp_set_timestamp(uint8_t *buf, uint32_t ts)
{
    tb_put_u32(buf + 4, ts);
}

void tb_relay_rtp_set_ssrc(uint8_t *buf, uint32_t ssrc)
{
    tb_put_u32(buf + 8, ssrc);
}

void tb_relay_rtp_set_payload_type(uint8_t *buf, uint8_t pt)
{
    buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7f));
}

/* --- keyframe detection -------------------------------------------------------------- */

bool tb_relay_vp8_is_keyframe(const uint8_t *payload, size_t len)
{
    /* RFC 7741 §4.2 payload descriptor: X R N S R PID, then optional extension bytes. */
    tb_reader r;
    tb_reader_init(&r, payload, len);
    uint8_t b0 = tb_reader_u8(&r);
    if (!(b0 & 0x10) || (b0 & 0x07) != 0)
        return false; /* not the start of partition 0 */
    if (b0 & 0x80) {
        uint8_t x = tb_reader_u8(&r); /* I L T K */
        if (x & 0x80) {
            uint8_t pid = tb_reader_u8(&r);
            if (pid & 0x80) /* M: 15-bit PictureID */
                tb_reader_skip(&r, 1);
        }
        if (x & 0x40)
            tb_reader_skip(&r, 1); /* TL0PICIDX */
        if (x & 0x30)
            tb_reader_skip(&r, 1); /* TID|Y|KEYIDX */
    }
    /* RFC 7741 §4.3 / RFC 6386 §9.1: a key frame has P = 0 in the 3-byte frame tag and is
     * followed by the start code 9d 01 2a; checking the code too keeps a stray bit in a
     * damaged packet from opening the keyframe gate. */
    if (!tb_reader_need(&r, 6))
        return false;
    const uint8_t *f = payload + r.pos;
    return (f[0] & 0x01) == 0 && f[3] == 0x9d && f[4] == 0x01 && f[5] == 0x2a;
}

static bool h264_nal_is_key(uint8_t nal_header)
{
    uint8_t type = nal_header & 0x1f;
    return type == 5 || type == 7; /* IDR slice, SPS */
}

bool tb_relay_h264_is_keyframe(const uint8_t *payload, size_t len)
{
    if (len < 1)
        return false;
    uint8_t type = payload[0] & 0x1f;
    if (type >= 1 && type <= 23)
        return h264_nal_is_key(payload[0]);
    if (type == 24) { /* STAP-A (RFC 6184 §5.7.1): 16-bit size, NAL unit, repeated */
        tb_reader r;
        tb_reader_init(&r, payload, len);
        tb_reader_skip(&r, 1);
        while (tb_reader_left(&r) > 0) {
            size_t n = tb_reader_u16(&r);
            if (!r.ok || n == 0 || !tb_reader_need(&r, n))
                return false;
            if (h264_nal_is_key(payload[r.pos]))
                return true;
            tb_reader_skip(&r, n);
        }
        return false;
    }
    if (type == 28) /* FU-A (RFC 6184 §5.8): FU header S E R Type; only the start counts */
        return len >= 2 && (payload[1] & 0x80) && h264_nal_is_key(payload[1]);
    return false;
}

bool tb_relay_vp9_is_keyframe(const uint8_t *payload, size_t len)
{
    /* First descriptor byte I P L F B E V Z (RFC 9628 §4.2): B starts a frame, P = 0 means
     * no inter-picture prediction. */
    if (len < 1)
        return false;
    return (payload[0] & 0x40) == 0 && (payload[0] & 0x08) != 0;
}

/* --- rewriter ------------------------------------------------------------------------ */

void tb_relay_rewriter_init(tb_relay_rewriter *rw, uint32_t out_ssrc, uint32_t clock_rate)
{
    *rw = (tb_relay_rewriter){
        .out_ssrc = out_ssrc,
        .clock_rate = clock_rate,
        .bad_seq = NO_BAD_SEQ,
    };
}

/* Wall-clock microseconds to RTP clock ticks, without overflowing for long gaps. */
static uint32_t us_to_ticks(int64_t us, uint32_t clock_rate)
{
    if (us <= 0)
        return 0;
    uint64_t u = (uint64_t)us;
    return (uint32_t)((u / 1000000) * clock_rate + (u % 1000000) * clock_rate / 1000000);
}

/* Starts mapping a new source (or a restart of the current one) so that its first packet
 * follows the last packet sent. */
static void rewriter_rebase(tb_relay_rewriter *rw, uint32_t in_ssrc, uint16_t in_seq,
                            uint32_t in_ts, int64_t now_us)
{
    if (!rw->started) {
        /* The first source defines the output bases: out = in. */
        rw->seq_delta = 0;
        rw->ts_delta = 0;
    } else {
        uint16_t out_seq = (uint16_t)(rw->last_out_seq + 1);
        /* At least one tick, so the receiver never merges the new source's first frame
         * into the old source's last one. */
        uint32_t adv = us_to_ticks(now_us - rw->last_out_us, rw->clock_rate);
        uint32_t out_ts = rw->last_out_ts + (adv ? adv : 1);
        rw->seq_delta = (uint16_t)(out_seq - in_seq);
        rw->ts_delta = out_ts - in_ts;
    }
    rw->in_ssrc = in_ssrc;
    rw->have_source = true;
    rw->first_in_seq = in_seq;
    rw->max_in_seq = in_seq;
    rw->bad_seq = NO_BAD_SEQ;
}

/* Classifies in_seq against the current source: 1 = newest so far, 0 = within the window
 * already sent, TB_EDECLINED = before the window, TB_EAGAIN = a confirmed restart. */
static int rewriter_place(tb_relay_rewriter *rw, uint16_t in_seq)
{
    if (tb_relay_seq_newer(in_seq, rw->max_in_seq)) {
        rw->max_in_seq = in_seq;
        /* Keep the floor within half the seq space so that "older than the first packet"
         * stays decidable with 16-bit arithmetic on long-lived sources. */
        if ((uint16_t)(rw->max_in_seq - rw->first_in_seq) > 0x7FFF)
            rw->first_in_seq = (uint16_t)(rw->max_in_seq - 0x7FFF);
        rw->bad_seq = NO_BAD_SEQ;
        return 1;
    }
    if ((uint16_t)(in_seq - rw->first_in_seq) <= (uint16_t)(rw->max_in_seq - rw->first_in_seq))
        return 0;
    /* Before the first packet of the source. A few behind the newest is a late packet;
     * far behind is either very late or the sender jumped back (RFC 3550 A.1): two
     * sequential packets there confirm the jump, else the stream would stall forever. */
    if ((uint16_t)(rw->max_in_seq - in_seq) > MAX_MISORDER) {
        if (in_seq == rw->bad_seq)
            return TB_EAGAIN;
        rw->bad_seq = (uint16_t)(in_seq + 1);
    }
    return TB_EDECLINED;
}

int tb_relay_rewriter_map(tb_relay_rewriter *rw, uint32_t in_ssrc, uint16_t in_seq, uint32_t in_ts,
                          int64_t now_us, uint16_t *out_seq, uint32_t *out_ts)
{
    /* A packet whose SSRC is not the current source's is taken as a source switch: the
     * caller forwards only the source it assigned to this slot. */
    int place = 1;
    if (!rw->have_source || in_ssrc != rw->in_ssrc) {
        rewriter_rebase(rw, in_ssrc, in_seq, in_ts, now_us);
    } else {
        place = rewriter_place(rw, in_seq);
        if (place == TB_EDECLINED)
            return TB_EDECLINED;
        if (place == TB_EAGAIN) {
            rewriter_rebase(rw, in_ssrc, in_seq, in_ts, now_us);
            place = 1;
        }
    }
    *out_seq = (uint16_t)(in_seq + rw->seq_delta);
    *out_ts = in_ts + rw->ts_delta;
    if (place == 1) {
        /* Only the newest packet moves the reference a later source switch builds on. */
        rw->last_out_seq = *out_seq;
        rw->last_out_ts = *out_ts;
        rw->last_out_us = now_us;
    }
    rw->started = true;
    return 0;
}

bool tb_relay_rewriter_out_to_in_seq(const tb_relay_rewriter *rw, uint16_t out_seq,
                                     uint16_t *in_seq)
{
    if (!rw->have_source)
        return false;
    uint16_t in = (uint16_t)(out_seq - rw->seq_delta);
    if ((uint16_t)(in - rw->first_in_seq) > (uint16_t)(rw->max_in_seq - rw->first_in_seq))
        return false;
    *in_seq = in;
    return true;
}
