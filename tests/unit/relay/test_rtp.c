/* test_rtp.c — RTP demux, header parsing, extensions, keyframe detection and the
 * seq/ts rewriter (relay/rtp.c). Packets are copied into exact-size heap buffers so that
 * a read past the end shows up under AddressSanitizer. */
#include <glib.h>
#include <string.h>

#include "common/tb_error.h"
#include "relay/rtp.h"

/* Parses a copy of pkt that is exactly len bytes long. */
static int parse_exact(const uint8_t *pkt, size_t len, tb_relay_rtp_header *h)
{
    uint8_t *copy = g_memdup2(pkt, len);
    int rc = tb_relay_rtp_parse(copy, len, h);
    g_free(copy);
    return rc;
}

/* --- classification ------------------------------------------------------------------ */

static void test_classify(void)
{
    uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    uint8_t dtls[13] = {0x16, 0xfe, 0xfd};
    uint8_t rtp[12] = {0x80, 0x6f};
    uint8_t rtp_marker[12] = {0x80, 0xe0}; /* PT 96 with marker: 224, above the RTCP range */
    uint8_t sr[8] = {0x80, 200, 0x00, 0x01};
    uint8_t psfb[8] = {0x81, 206, 0x00, 0x01};
    uint8_t turn[8] = {0x40, 0x00};
    uint8_t zrtp[20] = {0x10};

    g_assert_cmpint(tb_relay_pkt_classify(stun, sizeof(stun)), ==, TB_RELAY_PKT_STUN);
    g_assert_cmpint(tb_relay_pkt_classify(dtls, sizeof(dtls)), ==, TB_RELAY_PKT_DTLS);
    g_assert_cmpint(tb_relay_pkt_classify(rtp, sizeof(rtp)), ==, TB_RELAY_PKT_RTP);
    g_assert_cmpint(tb_relay_pkt_classify(rtp_marker, sizeof(rtp_marker)), ==, TB_RELAY_PKT_RTP);
    g_assert_cmpint(tb_relay_pkt_classify(sr, sizeof(sr)), ==, TB_RELAY_PKT_RTCP);
    g_assert_cmpint(tb_relay_pkt_classify(psfb, sizeof(psfb)), ==, TB_RELAY_PKT_RTCP);
    g_assert_cmpint(tb_relay_pkt_classify(turn, sizeof(turn)), ==, TB_RELAY_PKT_UNKNOWN);
    g_assert_cmpint(tb_relay_pkt_classify(zrtp, sizeof(zrtp)), ==, TB_RELAY_PKT_UNKNOWN);
    /* truncated headers are not handed on */
    g_assert_cmpint(tb_relay_pkt_classify(stun, 19), ==, TB_RELAY_PKT_UNKNOWN);
    g_assert_cmpint(tb_relay_pkt_classify(dtls, 12), ==, TB_RELAY_PKT_UNKNOWN);
    g_assert_cmpint(tb_relay_pkt_classify(rtp, 11), ==, TB_RELAY_PKT_UNKNOWN);
    g_assert_cmpint(tb_relay_pkt_classify(sr, 7), ==, TB_RELAY_PKT_UNKNOWN);
    g_assert_cmpint(tb_relay_pkt_classify(rtp, 1), ==, TB_RELAY_PKT_UNKNOWN);
    g_assert_cmpint(tb_relay_pkt_classify(rtp, 0), ==, TB_RELAY_PKT_UNKNOWN);
}

/* --- parsing ------------------------------------------------------------------------- */

static void test_parse_minimal(void)
{
    const uint8_t pkt[] = {0x80, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
                           0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb, 0xcc};
    tb_relay_rtp_header h;
    g_assert_cmpint(parse_exact(pkt, sizeof(pkt), &h), ==, 0);
    g_assert_true(h.marker);
    g_assert_false(h.has_padding);
    g_assert_false(h.has_extension);
    g_assert_cmpuint(h.payload_type, ==, 96);
    g_assert_cmpuint(h.seq, ==, 0x1234);
    g_assert_cmpuint(h.timestamp, ==, 0xdeadbeef);
    g_assert_cmpuint(h.ssrc, ==, 0x01020304);
    g_assert_cmpuint(h.csrc_count, ==, 0);
    g_assert_cmpuint(h.payload_offset, ==, 12);
    g_assert_cmpuint(h.payload_len, ==, 3);

    /* a header with no payload at all is valid */
    g_assert_cmpint(parse_exact(pkt, 12, &h), ==, 0);
    g_assert_cmpuint(h.payload_len, ==, 0);
}

/* Opus-like packet: 2 CSRCs, one-byte extensions (ssrc-audio-level id 1, abs-send-time
 * id 3, with a padding byte between them), 4 bytes of payload, 3 bytes of padding. */
/* clang-format off */
static const uint8_t full_pkt[] = {
    0xb2, 0x6f, 0x00, 0x07, 0x00, 0x00, 0x03, 0xc0, 0x11, 0x22, 0x33, 0x44, /* V P X CC=2 */
    0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb,                         /* CSRCs */
    0xbe, 0xde, 0x00, 0x02,                                                 /* 2 words */
    0x10, 0x7f, 0x00, 0x32, 0x01, 0x02, 0x03, 0x00,                         /* elements */
    0xf8, 0xff, 0xfe, 0x01,                                                 /* payload */
    0x00, 0x00, 0x03,                                                       /* padding */
};
/* clang-format on */

static void test_parse_full(void)
{
    tb_relay_rtp_header h;
    g_assert_cmpint(parse_exact(full_pkt, sizeof(full_pkt), &h), ==, 0);
    g_assert_cmpuint(h.csrc_count, ==, 2);
    g_assert_true(h.has_padding);
    g_assert_true(h.has_extension);
    g_assert_false(h.marker);
    g_assert_cmpuint(h.payload_type, ==, 111);
    g_assert_cmpuint(h.seq, ==, 7);
    g_assert_cmpuint(h.timestamp, ==, 960);
    g_assert_cmpuint(h.ext_profile, ==, 0xBEDE);
    g_assert_cmpuint(h.ext_offset, ==, 24);
    g_assert_cmpuint(h.ext_len, ==, 8);
    g_assert_cmpuint(h.payload_offset, ==, 32);
    g_assert_cmpuint(h.payload_len, ==, 4);
    g_assert_cmpmem(full_pkt + h.payload_offset, 4, "\xf8\xff\xfe\x01", 4);
}

static void test_parse_invalid(void)
{
    tb_relay_rtp_header h;
    uint8_t pkt[64];

    /* short */
    memcpy(pkt, full_pkt, 12);
    pkt[0] = 0x80;
    for (size_t len = 0; len < 12; len++)
        g_assert_cmpint(parse_exact(pkt, len, &h), ==, TB_EINVAL);

    /* bad version (1, 0, 3) */
    for (int v = 0; v < 4; v++) {
        pkt[0] = (uint8_t)(v << 6);
        g_assert_cmpint(parse_exact(pkt, 12, &h), ==, v == 2 ? 0 : TB_EINVAL);
    }

    /* CSRC count past the end: 15 CSRCs need 72 bytes */
    pkt[0] = 0x8f;
    memset(pkt + 12, 0, sizeof(pkt) - 12);
    g_assert_cmpint(parse_exact(pkt, 64, &h), ==, TB_EINVAL);
    g_assert_cmpint(parse_exact(pkt, 20, &h), ==, TB_EINVAL);

    /* extension: header cut off, then data length past the end */
    g_assert_cmpint(parse_exact(full_pkt, 22, &h), ==, TB_EINVAL);
    uint8_t ext[40] = {0};
    memcpy(ext, full_pkt, sizeof(full_pkt));
    ext[0] = 0x92; /* no padding, so only the extension length can be wrong */
    ext[23] = 0x05;
    g_assert_cmpint(parse_exact(ext, sizeof(ext), &h), ==, TB_EINVAL);
    ext[23] = 0x04; /* exactly to the end: valid, empty payload */
    g_assert_cmpint(parse_exact(ext, sizeof(ext), &h), ==, 0);
    g_assert_cmpuint(h.payload_len, ==, 0);
    g_assert_cmpint(parse_exact(ext, sizeof(ext) - 1, &h), ==, TB_EINVAL);
    ext[22] = 0xff;
    g_assert_cmpint(parse_exact(ext, sizeof(ext), &h), ==, TB_EINVAL);

    /* padding longer than the payload, and a zero padding count */
    uint8_t pad[] = {0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 0x22, 0x03};
    g_assert_cmpint(parse_exact(pad, sizeof(pad), &h), ==, 0);
    g_assert_cmpuint(h.payload_len, ==, 0);
    pad[14] = 0x04;
    g_assert_cmpint(parse_exact(pad, sizeof(pad), &h), ==, TB_EINVAL);
    pad[14] = 0x00;
    g_assert_cmpint(parse_exact(pad, sizeof(pad), &h), ==, TB_EINVAL);
    /* padding flag on a header with nothing after it */
    g_assert_cmpint(parse_exact(pad, 12, &h), ==, TB_EINVAL);
}

/* --- header extensions --------------------------------------------------------------- */

static void test_ext_one_byte(void)
{
    tb_relay_rtp_header h;
    g_assert_cmpint(tb_relay_rtp_parse(full_pkt, sizeof(full_pkt), &h), ==, 0);
    const uint8_t *d;
    size_t n;
    g_assert_cmpint(tb_relay_rtp_ext_find(full_pkt, &h, 1, &d, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(d[0], ==, 0x7f);
    g_assert_cmpint(tb_relay_rtp_ext_find(full_pkt, &h, 3, &d, &n), ==, 0);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpmem(d, 3, "\x01\x02\x03", 3);
    g_assert_cmpint(tb_relay_rtp_ext_find(full_pkt, &h, 2, &d, &n), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_relay_rtp_ext_find(full_pkt, &h, 20, &d, &n), ==, TB_ENOTFOUND);
    g_assert_cmpint(tb_relay_rtp_ext_find(full_pkt, &h, 0, &d, &n), ==, TB_EINVAL);

    /* an element running past the extension block */
    uint8_t bad[sizeof(full_pkt)];
    memcpy(bad, full_pkt, sizeof(bad));
    bad[27] = 0x37; /* id 3, 8 bytes: only 4 left */
    g_assert_cmpint(tb_relay_rtp_parse(bad, sizeof(bad), &h), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(bad, &h, 1, &d, &n), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(bad, &h, 3, &d, &n), ==, TB_EINVAL);

    /* RFC 8285 §4.2: ID 15 stops parsing, whatever follows */
    bad[27] = 0xf2;
    g_assert_cmpint(tb_relay_rtp_ext_find(bad, &h, 3, &d, &n), ==, TB_ENOTFOUND);

    /* no extension at all */
    uint8_t plain[12] = {0x80, 0x60};
    g_assert_cmpint(tb_relay_rtp_parse(plain, sizeof(plain), &h), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(plain, &h, 1, &d, &n), ==, TB_ENOTFOUND);
}

static void test_ext_two_byte(void)
{
    /* profile 0x1000 (app bits 0): id 1 empty, padding, id 200 with 3 bytes, id 5 with 2 */
    /* clang-format off */
    const uint8_t pkt[] = {
        0x90, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1,
        0x10, 0x00, 0x00, 0x03,
        0x01, 0x00, 0x00, 0xc8, 0x03, 0xaa, 0xbb, 0xcc, 0x05, 0x02, 0x12, 0x34,
        0x99,
    };
    /* clang-format on */
    tb_relay_rtp_header h;
    g_assert_cmpint(parse_exact(pkt, sizeof(pkt), &h), ==, 0);
    g_assert_cmpuint(h.ext_profile, ==, 0x1000);
    g_assert_cmpuint(h.payload_len, ==, 1);
    const uint8_t *d;
    size_t n;
    g_assert_cmpint(tb_relay_rtp_ext_find(pkt, &h, 1, &d, &n), ==, 0);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(pkt, &h, 200, &d, &n), ==, 0);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpmem(d, 3, "\xaa\xbb\xcc", 3);
    g_assert_cmpint(tb_relay_rtp_ext_find(pkt, &h, 5, &d, &n), ==, 0);
    g_assert_cmpmem(d, 2, "\x12\x34", 2);
    g_assert_cmpint(tb_relay_rtp_ext_find(pkt, &h, 6, &d, &n), ==, TB_ENOTFOUND);

    /* app bits in the low nibble still mean two-byte; another profile has no elements */
    uint8_t other[sizeof(pkt)];
    memcpy(other, pkt, sizeof(other));
    other[13] = 0x0a;
    g_assert_cmpint(tb_relay_rtp_parse(other, sizeof(other), &h), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(other, &h, 5, &d, &n), ==, 0);
    other[12] = 0x20;
    g_assert_cmpint(tb_relay_rtp_parse(other, sizeof(other), &h), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(other, &h, 5, &d, &n), ==, TB_ENOTFOUND);

    /* length byte past the block, and a lone id byte at its very end */
    memcpy(other, pkt, sizeof(other));
    other[25] = 0x03;
    g_assert_cmpint(tb_relay_rtp_parse(other, sizeof(other), &h), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(other, &h, 5, &d, &n), ==, TB_EINVAL);
    memcpy(other, pkt, sizeof(other));
    other[20] = 0x06; /* id 200 now spans up to the last byte, which becomes an id */
    other[27] = 0x07;
    g_assert_cmpint(tb_relay_rtp_parse(other, sizeof(other), &h), ==, 0);
    g_assert_cmpint(tb_relay_rtp_ext_find(other, &h, 7, &d, &n), ==, TB_EINVAL);
}

/* --- in-place writers ---------------------------------------------------------------- */

static void test_setters(void)
{
    uint8_t pkt[sizeof(full_pkt)];
    memcpy(pkt, full_pkt, sizeof(pkt));
    pkt[1] |= 0x80;
    tb_relay_rtp_set_seq(pkt, 0xfffe);
    tb_relay_rtp_set_timestamp(pkt, 0x89abcdef);
    tb_relay_rtp_set_ssrc(pkt, 0xcafebabe);
    tb_relay_rtp_set_payload_type(pkt, 0xff); /* out of range bits must not touch M */
    tb_relay_rtp_set_payload_type(pkt, 100);
    tb_relay_rtp_header h;
    g_assert_cmpint(tb_relay_rtp_parse(pkt, sizeof(pkt), &h), ==, 0);
    g_assert_cmpuint(h.seq, ==, 0xfffe);
    g_assert_cmpuint(h.timestamp, ==, 0x89abcdef);
    g_assert_cmpuint(h.ssrc, ==, 0xcafebabe);
    g_assert_cmpuint(h.payload_type, ==, 100);
    g_assert_true(h.marker);
    g_assert_cmpmem(pkt + 12, sizeof(pkt) - 12, full_pkt + 12, sizeof(full_pkt) - 12);
}

static void test_seq_newer(void)
{
    g_assert_true(tb_relay_seq_newer(1, 0));
    g_assert_true(tb_relay_seq_newer(0, 65535));
    g_assert_true(tb_relay_seq_newer(5, 65530));
    g_assert_false(tb_relay_seq_newer(65530, 5));
    g_assert_false(tb_relay_seq_newer(7, 7));
    g_assert_true(tb_relay_seq_newer(0x7fff, 0));
    g_assert_false(tb_relay_seq_newer(0x8000, 0));
}

/* --- keyframes ----------------------------------------------------------------------- */

static bool kf_exact(bool (*fn)(const uint8_t *, size_t), const uint8_t *p, size_t len)
{
    uint8_t *copy = g_memdup2(p, len ? len : 1);
    bool r = fn(copy, len);
    g_free(copy);
    return r;
}

static void test_vp8_keyframe(void)
{
    /* Chrome's first packet of a 640x480 key frame: X S, I with a 15-bit PictureID, then
     * the frame tag (P = 0), start code 9d 01 2a and the dimensions. */
    const uint8_t key[] = {0x90, 0x80, 0x9c, 0x4f, 0x50, 0x42, 0x00, 0x9d,
                           0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0x39, 0x6b};
    g_assert_true(kf_exact(tb_relay_vp8_is_keyframe, key, sizeof(key)));
    for (size_t len = 0; len < 10; len++)
        g_assert_false(kf_exact(tb_relay_vp8_is_keyframe, key, len));

    /* descriptor with every optional field: I (7-bit), L, T|K */
    const uint8_t all[] = {0x90, 0xf0, 0x12, 0x05, 0xa0, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a};
    g_assert_true(kf_exact(tb_relay_vp8_is_keyframe, all, sizeof(all)));
    /* minimal descriptor, no X */
    const uint8_t minimal[] = {0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02};
    g_assert_true(kf_exact(tb_relay_vp8_is_keyframe, minimal, sizeof(minimal)));

    uint8_t p[sizeof(key)];
    memcpy(p, key, sizeof(p));
    p[4] = 0x51; /* P = 1: inter frame */
    g_assert_false(kf_exact(tb_relay_vp8_is_keyframe, p, sizeof(p)));
    memcpy(p, key, sizeof(p));
    p[0] = 0x80; /* S = 0: a continuation packet */
    g_assert_false(kf_exact(tb_relay_vp8_is_keyframe, p, sizeof(p)));
    memcpy(p, key, sizeof(p));
    p[0] = 0x91; /* partition 1 */
    g_assert_false(kf_exact(tb_relay_vp8_is_keyframe, p, sizeof(p)));
    memcpy(p, key, sizeof(p));
    p[7] = 0x00; /* no start code */
    g_assert_false(kf_exact(tb_relay_vp8_is_keyframe, p, sizeof(p)));
}

static void test_h264_keyframe(void)
{
    const uint8_t idr[] = {0x65, 0x88, 0x84, 0x00};
    const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f};
    const uint8_t slice[] = {0x41, 0x9a, 0x02};
    g_assert_true(kf_exact(tb_relay_h264_is_keyframe, idr, sizeof(idr)));
    g_assert_true(kf_exact(tb_relay_h264_is_keyframe, sps, sizeof(sps)));
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, slice, sizeof(slice)));
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, idr, 0));

    /* STAP-A with SPS + PPS, as browsers send before an IDR */
    /* clang-format off */
    const uint8_t stap[] = {0x78, 0x00, 0x05, 0x67, 0x42, 0xc0, 0x1f, 0x8c,
                            0x00, 0x04, 0x68, 0xce, 0x3c, 0x80};
    /* clang-format on */
    g_assert_true(kf_exact(tb_relay_h264_is_keyframe, stap, sizeof(stap)));
    /* STAP-A with a PPS and a non-IDR slice only */
    const uint8_t stap_p[] = {0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x41, 0x9a};
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, stap_p, sizeof(stap_p)));
    /* a NAL size running past the end, and a zero size */
    const uint8_t stap_bad[] = {0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x09, 0x65, 0x88};
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, stap_bad, sizeof(stap_bad)));
    const uint8_t stap_zero[] = {0x78, 0x00, 0x00, 0x00, 0x01, 0x65};
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, stap_zero, sizeof(stap_zero)));
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, stap, 2));

    /* FU-A: start of an IDR, middle of an IDR, start of a non-IDR slice */
    const uint8_t fu_start[] = {0x7c, 0x85, 0xb8, 0x00};
    const uint8_t fu_mid[] = {0x7c, 0x05, 0x11, 0x22};
    const uint8_t fu_p[] = {0x5c, 0x81, 0x9a};
    g_assert_true(kf_exact(tb_relay_h264_is_keyframe, fu_start, sizeof(fu_start)));
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, fu_mid, sizeof(fu_mid)));
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, fu_p, sizeof(fu_p)));
    g_assert_false(kf_exact(tb_relay_h264_is_keyframe, fu_start, 1));
}

static void test_vp9_keyframe(void)
{
    /* Chrome, non-flexible mode: I, B, V (+ PictureID and scalability structure) */
    const uint8_t key[] = {0x8a, 0x80, 0x01, 0x18, 0x02, 0x80, 0x01, 0xe0};
    const uint8_t delta[] = {0xc8, 0x80, 0x02, 0x82, 0x49};
    const uint8_t middle[] = {0x80, 0x80, 0x01, 0x00}; /* P = 0 but not a frame start */
    g_assert_true(kf_exact(tb_relay_vp9_is_keyframe, key, sizeof(key)));
    g_assert_false(kf_exact(tb_relay_vp9_is_keyframe, delta, sizeof(delta)));
    g_assert_false(kf_exact(tb_relay_vp9_is_keyframe, middle, sizeof(middle)));
    g_assert_false(kf_exact(tb_relay_vp9_is_keyframe, key, 0));
}

/* --- rewriter ------------------------------------------------------------------------ */

static void map_ok(tb_relay_rewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now,
                   uint16_t *oseq, uint32_t *ots)
{
    g_assert_cmpint(tb_relay_rewriter_map(rw, ssrc, seq, ts, now, oseq, ots), ==, 0);
}

static void test_rewriter_first_source(void)
{
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 0x5eed, 90000);
    uint16_t in;
    g_assert_false(tb_relay_rewriter_out_to_in_seq(&rw, 1, &in));
    uint16_t s;
    uint32_t t;
    map_ok(&rw, 0xa, 1000, 5000, 1000000, &s, &t);
    g_assert_cmpuint(s, ==, 1000);
    g_assert_cmpuint(t, ==, 5000);
    g_assert_true(rw.started);
    map_ok(&rw, 0xa, 1001, 8000, 1033000, &s, &t);
    g_assert_cmpuint(s, ==, 1001);
    g_assert_cmpuint(t, ==, 8000);
}

static void test_rewriter_wrap(void)
{
    /* input 65530..5 through a source with a non-zero delta stays continuous */
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 1, 48000);
    uint16_t s, prev;
    uint32_t t;
    map_ok(&rw, 0xa, 100, 0, 0, &s, &t);
    map_ok(&rw, 0xb, 65530, 1000, 20000, &prev, &t);
    g_assert_cmpuint(prev, ==, 101);
    for (uint16_t in = 65531; in != 6; in++) {
        map_ok(&rw, 0xb, in, 1000 + 960u * (uint16_t)(in - 65530), 20000, &s, &t);
        g_assert_cmpuint(s, ==, (uint16_t)(prev + 1));
        prev = s;
    }
    g_assert_cmpuint(prev, ==, 112);

    /* and an output wrap: first source starting at 65534 */
    tb_relay_rewriter_init(&rw, 1, 48000);
    map_ok(&rw, 0xa, 65534, 0, 0, &s, &t);
    map_ok(&rw, 0xa, 65535, 960, 0, &s, &t);
    map_ok(&rw, 0xa, 0, 1920, 0, &s, &t);
    g_assert_cmpuint(s, ==, 0);
    map_ok(&rw, 0xa, 1, 2880, 0, &s, &t);
    g_assert_cmpuint(s, ==, 1);
    uint16_t in;
    g_assert_true(tb_relay_rewriter_out_to_in_seq(&rw, 65535, &in));
    g_assert_cmpuint(in, ==, 65535);
}

static void test_rewriter_restart(void)
{
    /* 30 fps video from SSRC A, then the publisher restarts as SSRC B with random bases
     * and its first packet arrives 500 ms after A's last one. */
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 0x5eed, 90000);
    uint16_t s = 0;
    uint32_t t = 0;
    int64_t now = 5000000;
    for (int i = 0; i < 10; i++, now += 33333)
        map_ok(&rw, 0xaaaa, (uint16_t)(65533 + i), 0xfffff000u + 3000u * i, now, &s, &t);
    uint16_t last_seq = s;
    uint32_t last_ts = t;
    int64_t last_now = now - 33333;

    int64_t restart = last_now + 500000;
    map_ok(&rw, 0xbbbb, 40000, 123456789, restart, &s, &t);
    g_assert_cmpuint(s, ==, (uint16_t)(last_seq + 1));
    g_assert_cmpuint(t, ==, last_ts + 45000);
    map_ok(&rw, 0xbbbb, 40001, 123456789 + 3000, restart + 33333, &s, &t);
    g_assert_cmpuint(s, ==, (uint16_t)(last_seq + 2));
    g_assert_cmpuint(t, ==, last_ts + 48000);
    /* same timestamp within a frame maps to the same output */
    map_ok(&rw, 0xbbbb, 40002, 123456789 + 3000, restart + 33400, &s, &t);
    g_assert_cmpuint(t, ==, last_ts + 48000);

    /* a gap of 0 still moves the timestamp to a new frame */
    map_ok(&rw, 0xcccc, 7, 42, restart + 33400, &s, &t);
    g_assert_cmpuint(s, ==, (uint16_t)(last_seq + 4));
    g_assert_cmpuint(t, ==, last_ts + 48001);

    /* a wall-clock step backwards does not move the timestamp backwards */
    map_ok(&rw, 0xdddd, 9, 99, restart, &s, &t);
    g_assert_cmpuint(t, ==, last_ts + 48002);
}

static void test_rewriter_old_dropped(void)
{
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 1, 90000);
    uint16_t s, s0;
    uint32_t t;
    map_ok(&rw, 0xa, 500, 0, 0, &s, &t);
    map_ok(&rw, 0xa, 501, 0, 0, &s, &t);
    map_ok(&rw, 0xb, 40000, 9000, 100000, &s0, &t);
    g_assert_cmpuint(s0, ==, 502);
    /* packets of B from before its first: they would collide with A's output seqs */
    g_assert_cmpint(tb_relay_rewriter_map(&rw, 0xb, 39999, 6000, 100100, &s, &t), ==, TB_EDECLINED);
    g_assert_cmpint(tb_relay_rewriter_map(&rw, 0xb, 39990, 6000, 100100, &s, &t), ==, TB_EDECLINED);
    /* reordering after the first is fine, and does not move the reference */
    map_ok(&rw, 0xb, 40002, 12000, 100200, &s, &t);
    g_assert_cmpuint(s, ==, 504);
    map_ok(&rw, 0xb, 40001, 9000, 100300, &s, &t);
    g_assert_cmpuint(s, ==, 503);
    g_assert_cmpuint(rw.last_out_seq, ==, 504);
    /* a retransmission of the first packet is still in the window */
    map_ok(&rw, 0xb, 40000, 9000, 100400, &s, &t);
    g_assert_cmpuint(s, ==, 502);
    /* the next switch builds on B's newest packet (40002: out ts 12000, sent at 100200),
     * not on the late ones sent after it */
    map_ok(&rw, 0xc, 1, 0, 100200 + 100000, &s, &t);
    g_assert_cmpuint(s, ==, 505);
    g_assert_cmpuint(t, ==, 12000 + 9000);
}

static void test_rewriter_out_to_in(void)
{
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 1, 90000);
    uint16_t s, in;
    uint32_t t;
    for (uint16_t i = 0; i < 5; i++)
        map_ok(&rw, 0xa, (uint16_t)(60000 + i), 0, 0, &s, &t); /* out 60000..60004 */
    g_assert_true(tb_relay_rewriter_out_to_in_seq(&rw, 60002, &in));
    g_assert_cmpuint(in, ==, 60002);
    for (uint16_t i = 0; i < 5; i++)
        map_ok(&rw, 0xb, (uint16_t)(65534 + i), 0, 0, &s, &t); /* out 60005..60009 */
    g_assert_cmpuint(s, ==, 60009);
    g_assert_true(tb_relay_rewriter_out_to_in_seq(&rw, 60005, &in));
    g_assert_cmpuint(in, ==, 65534);
    g_assert_true(tb_relay_rewriter_out_to_in_seq(&rw, 60008, &in));
    g_assert_cmpuint(in, ==, 1);
    /* A's packets cannot be answered from B's buffer; nor can unsent seqs */
    g_assert_false(tb_relay_rewriter_out_to_in_seq(&rw, 60004, &in));
    g_assert_false(tb_relay_rewriter_out_to_in_seq(&rw, 60010, &in));
    g_assert_false(tb_relay_rewriter_out_to_in_seq(&rw, 1000, &in));
}

static void test_rewriter_backward_jump(void)
{
    /* same SSRC, seq jumps far back: one packet is not enough, two in a row restart */
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 1, 90000);
    uint16_t s;
    uint32_t t;
    for (uint16_t i = 0; i < 50; i++)
        map_ok(&rw, 0xa, (uint16_t)(30000 + i), 3000u * i, 33333 * i, &s, &t);
    g_assert_cmpint(tb_relay_rewriter_map(&rw, 0xa, 10000, 7, 2000000, &s, &t), ==, TB_EDECLINED);
    map_ok(&rw, 0xa, 10001, 7, 2000000, &s, &t);
    g_assert_cmpuint(s, ==, 30050);
    map_ok(&rw, 0xa, 10002, 3007, 2033333, &s, &t);
    g_assert_cmpuint(s, ==, 30051);
    /* a late packet just before the first is only dropped, never a restart trigger */
    g_assert_cmpint(tb_relay_rewriter_map(&rw, 0xa, 9999, 0, 2040000, &s, &t), ==, TB_EDECLINED);
    g_assert_cmpint(tb_relay_rewriter_map(&rw, 0xa, 10000, 0, 2040000, &s, &t), ==, TB_EDECLINED);
}

static void test_rewriter_long_source(void)
{
    /* after more than 2^15 packets a late packet is still mapped, not dropped */
    tb_relay_rewriter rw;
    tb_relay_rewriter_init(&rw, 1, 90000);
    uint16_t s;
    uint32_t t;
    for (uint32_t i = 0; i < 70000; i++)
        map_ok(&rw, 0xa, (uint16_t)(1000 + i), i, i, &s, &t);
    uint16_t newest = (uint16_t)(1000 + 69999);
    map_ok(&rw, 0xa, (uint16_t)(newest - 50), 0, 70000, &s, &t);
    g_assert_cmpuint(s, ==, (uint16_t)(newest - 50));
    uint16_t in;
    g_assert_true(tb_relay_rewriter_out_to_in_seq(&rw, (uint16_t)(newest - 30000), &in));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/relay/rtp/classify", test_classify);
    g_test_add_func("/relay/rtp/parse/minimal", test_parse_minimal);
    g_test_add_func("/relay/rtp/parse/full", test_parse_full);
    g_test_add_func("/relay/rtp/parse/invalid", test_parse_invalid);
    g_test_add_func("/relay/rtp/ext/one-byte", test_ext_one_byte);
    g_test_add_func("/relay/rtp/ext/two-byte", test_ext_two_byte);
    g_test_add_func("/relay/rtp/setters", test_setters);
    g_test_add_func("/relay/rtp/seq-newer", test_seq_newer);
    g_test_add_func("/relay/rtp/keyframe/vp8", test_vp8_keyframe);
    g_test_add_func("/relay/rtp/keyframe/h264", test_h264_keyframe);
    g_test_add_func("/relay/rtp/keyframe/vp9", test_vp9_keyframe);
    g_test_add_func("/relay/rtp/rewriter/first-source", test_rewriter_first_source);
    g_test_add_func("/relay/rtp/rewriter/wrap", test_rewriter_wrap);
    g_test_add_func("/relay/rtp/rewriter/restart", test_rewriter_restart);
    g_test_add_func("/relay/rtp/rewriter/old-dropped", test_rewriter_old_dropped);
    g_test_add_func("/relay/rtp/rewriter/out-to-in", test_rewriter_out_to_in);
    g_test_add_func("/relay/rtp/rewriter/backward-jump", test_rewriter_backward_jump);
    g_test_add_func("/relay/rtp/rewriter/long-source", test_rewriter_long_source);
    return g_test_run();
}
