/* fuzz_rtp.c — libFuzzer target for relay/rtp.c and relay/rtxbuf.c.
 *
 * The input is one datagram: it is classified, parsed, searched for every header
 * extension ID and checked for keyframes, and the invariants a caller relies on (offsets
 * inside the buffer, extension data inside the extension block, setters not moving the
 * parse) abort when broken. The same bytes, read as a list of (ssrc, seq, ts, time)
 * records, drive the rewriter and a small retransmission buffer. */
#include <stdlib.h>
#include <string.h>

#include "common/tb_error.h"
#include "common/tb_reader.h"
#include "relay/rtp.h"
#include "relay/rtxbuf.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Reads every byte so that an out-of-range pointer trips AddressSanitizer. */
static volatile uint8_t sink;
static void touch(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sink ^= p[i];
}

static void check_extensions(const uint8_t *data, const tb_relay_rtp_header *h)
{
    for (unsigned id = 0; id <= 255; id++) {
        const uint8_t *d = NULL;
        size_t n = 0;
        int rc = tb_relay_rtp_ext_find(data, h, (uint8_t)id, &d, &n);
        CHECK(rc == 0 || rc == TB_ENOTFOUND || rc == TB_EINVAL);
        CHECK(id != 0 || rc == TB_EINVAL);
        if (rc != 0)
            continue;
        CHECK(h->has_extension);
        CHECK(d >= data + h->ext_offset && d + n <= data + h->ext_offset + h->ext_len);
        touch(d, n);
    }
}

static void check_setters(const uint8_t *data, size_t size, const tb_relay_rtp_header *h)
{
    uint8_t *copy = malloc(size);
    CHECK(copy != NULL);
    memcpy(copy, data, size);
    tb_relay_rtp_set_seq(copy, (uint16_t)(h->seq + 1));
    tb_relay_rtp_set_timestamp(copy, h->timestamp + 90000);
    tb_relay_rtp_set_ssrc(copy, ~h->ssrc);
    tb_relay_rtp_set_payload_type(copy, (uint8_t)(h->payload_type ^ 0x55));
    tb_relay_rtp_header h2;
    CHECK(tb_relay_rtp_parse(copy, size, &h2) == 0);
    CHECK(h2.seq == (uint16_t)(h->seq + 1) && h2.timestamp == h->timestamp + 90000);
    CHECK(h2.ssrc == ~h->ssrc && h2.marker == h->marker);
    CHECK(h2.payload_type == ((h->payload_type ^ 0x55) & 0x7f));
    CHECK(h2.payload_offset == h->payload_offset && h2.payload_len == h->payload_len);
    free(copy);
}

static void check_keyframes(const uint8_t *p, size_t n)
{
    sink ^= (uint8_t)tb_relay_vp8_is_keyframe(p, n);
    sink ^= (uint8_t)tb_relay_h264_is_keyframe(p, n);
    sink ^= (uint8_t)tb_relay_vp9_is_keyframe(p, n);
}

/* Records of 9 bytes: source selector, seq, ts, time step in ms. */
static void drive_rewriter(const uint8_t *data, size_t size)
{
    static const uint32_t ssrcs[4] = {0x1111, 0x2222, 0x3333, 0x1111};
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 0xabcdef, data[0] & 1 ? 48000 : 90000);
    static tb_relay_rtxbuf *rtx;
    if (rtx == NULL)
        rtx = tb_relay_rtxbuf_create(16, 32);
    CHECK(rtx != NULL);
    tb_relay_rtxbuf_clear(rtx);

    tb_reader r;
    tb_reader_init(&r, data, size);
    int64_t now = 1000000;
    while (tb_reader_left(&r) >= 9) {
        uint32_t ssrc = ssrcs[tb_reader_u8(&r) & 3];
        uint16_t seq = tb_reader_u16(&r);
        uint32_t ts = tb_reader_u32(&r);
        now += tb_reader_u16(&r) * 1000;
        uint16_t out_seq, in_seq;
        uint32_t out_ts;
        int rc = tb_relay_rewriter_map(&rw, ssrc, seq, ts, now, &out_seq, &out_ts);
        CHECK(rc == 0 || rc == TB_EDECLINED);
        if (rc == 0) {
            CHECK(rw.in_ssrc == ssrc && rw.started);
            CHECK(tb_relay_rewriter_out_to_in_seq(&rw, out_seq, &in_seq) && in_seq == seq);
            CHECK(out_ts == ts + rw.ts_delta);
        }
        uint8_t pkt[40];
        memset(pkt, (int)seq, sizeof(pkt));
        tb_relay_rtxbuf_put(rtx, seq, pkt, (size_t)(ts % 40), now);
        const uint8_t *p;
        size_t n;
        if (tb_relay_rtxbuf_get(rtx, seq, &p, &n) == 0) {
            CHECK(n == ts % 40 && (n == 0 || p[n - 1] == (uint8_t)seq));
            touch(p, n);
        } else {
            CHECK(ts % 40 > 32);
        }
        if (tb_relay_rtxbuf_get(rtx, (uint16_t)(seq - (ts & 31)), &p, &n) == 0)
            touch(p, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sink ^= (uint8_t)tb_relay_pkt_classify(data, size);
    check_keyframes(data, size);

    tb_relay_rtp_header h;
    if (tb_relay_rtp_parse(data, size, &h) == 0) {
        CHECK(size >= 12 && h.csrc_count <= 15 && h.payload_type <= 127);
        CHECK(h.payload_offset <= size && h.payload_len <= size - h.payload_offset);
        CHECK(h.payload_offset >= 12 + 4u * h.csrc_count);
        if (h.has_extension)
            CHECK(h.ext_offset >= 16 && h.ext_offset + h.ext_len == h.payload_offset);
        CHECK(h.has_padding || h.payload_offset + h.payload_len == size);
        touch(data + h.payload_offset, h.payload_len);
        check_extensions(data, &h);
        check_setters(data, size, &h);
        check_keyframes(data + h.payload_offset, h.payload_len);
    }
    if (size > 0)
        drive_rewriter(data, size);
    return 0;
}
