/* test_bench.c — the load generator's pure parts: WebSocket framing, its SDP, loss
 * accounting across sequence wrap, percentiles, the timestamp trailer, clip parsing. */
#include "tests/bench/bench.h"

#include <string.h>

static void test_ws_roundtrip(void)
{
    const uint8_t mask[4] = {0xde, 0xad, 0xbe, 0xef};
    size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 70000};
    for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
        size_t n = sizes[k];
        uint8_t *payload = g_malloc(n + 1), *frame = g_malloc(n + 14);
        for (size_t i = 0; i < n; i++)
            payload[i] = (uint8_t)(i * 31);
        size_t len = bws_frame_encode(frame, n + 14, BWS_TEXT, payload, n, mask);
        g_assert_cmpuint(len, >, n);
        bws_frame f;
        /* Every prefix is incomplete, the whole frame parses. */
        for (size_t cut = 0; cut < len; cut += (len / 7) + 1)
            g_assert_cmpint(bws_frame_decode(frame, cut, 1 << 20, &f), ==, 0);
        g_assert_cmpint(bws_frame_decode(frame, len, 1 << 20, &f), ==, (long)len);
        g_assert_true(f.fin);
        g_assert_cmpint(f.opcode, ==, BWS_TEXT);
        g_assert_cmpuint(f.len, ==, n);
        g_assert_true(n == 0 || memcmp(f.payload, payload, n) == 0);
        g_free(payload);
        g_free(frame);
    }
}

static void test_ws_limits(void)
{
    uint8_t frame[16];
    bws_frame f;
    size_t len = bws_frame_encode(frame, sizeof frame, BWS_TEXT, (const uint8_t *)"hello", 5, NULL);
    g_assert_cmpint(bws_frame_decode(frame, len, 4, &f), ==, -1); /* over the cap */
    g_assert_cmpuint(bws_frame_encode(frame, 4, BWS_TEXT, (const uint8_t *)"hello", 5, NULL), ==,
                     0);
    uint8_t bad[] = {0x89, 126, 0, 200}; /* a ping longer than 125 bytes */
    g_assert_cmpint(bws_frame_decode(bad, sizeof bad, 1 << 20, &f), ==, -1);
    uint8_t rsv[] = {0xC1, 0};
    g_assert_cmpint(bws_frame_decode(rsv, sizeof rsv, 1 << 20, &f), ==, -1);
}

static void test_ws_accept(void)
{
    char out[29];
    bws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out); /* RFC 6455 §1.3 */
    g_assert_cmpstr(out, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const char *JANUS_OFFER =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=VideoRoom 1234\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 AA:BB:CC\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=sendonly\r\na=mid:0\r\n"
    "a=rtcp-mux\r\na=ice-ufrag:uf1\r\na=ice-pwd:pw1\r\na=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=candidate:1 1 udp 2015363327 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 127.0.0.1\r\na=sendonly\r\na=mid:1\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n"
    "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n";

static void test_sdp_parse_answer(void)
{
    bsdp d;
    g_assert_cmpint(bsdp_parse(JANUS_OFFER, &d), ==, 0);
    g_assert_cmpstr(d.ufrag, ==, "uf1");
    g_assert_cmpstr(d.pwd, ==, "pw1");
    g_assert_cmpstr(d.fp_hash, ==, "sha-256");
    g_assert_cmpstr(d.fp_value, ==, "AA:BB:CC");
    g_assert_cmpstr(d.setup, ==, "actpass");
    g_assert_false(d.ice_lite); /* Janus as Debian configures it: full ICE */
    g_assert_cmpint(d.n_mlines, ==, 3);
    g_assert_cmpint(d.n_cands, ==, 1);
    g_assert_true(g_str_has_prefix(d.cands[0], "candidate:1 1 udp"));
    g_assert_cmpstr(d.m[1].codec, ==, "VP8");
    g_assert_cmpint(d.m[1].pt, ==, 96);
    g_assert_cmpint(d.m[0].channels, ==, 2);
    g_assert_cmpstr(d.m[1].dir, ==, "sendonly");
    const char *cands[] = {"candidate:9 1 udp 1 127.0.0.1 5000 typ host"};
    bsdp_local l = {.ufrag = "me",
                    .pwd = "secretsecretsecretsecret",
                    .fingerprint = "11:22",
                    .cands = cands,
                    .n_cands = 1};
    char *ans = bsdp_write_sub_answer(&d, &l);
    g_assert_nonnull(strstr(ans, "a=group:BUNDLE 0 1\r\n"));
    g_assert_nonnull(strstr(ans, "a=setup:active"));
    g_assert_nonnull(strstr(ans, "a=recvonly"));
    g_assert_nonnull(strstr(ans, "m=application 0 "));
    g_assert_nonnull(strstr(ans, "a=rtpmap:96 VP8/90000"));
    g_assert_nonnull(strstr(ans, "a=rtpmap:111 opus/48000/2"));
    /* Our own answer parses back. */
    bsdp back;
    g_assert_cmpint(bsdp_parse(ans, &back), ==, 0);
    g_assert_cmpint(back.n_mlines, ==, 3);
    g_assert_cmpint(back.n_cands, ==, 1);
    g_free(ans);
    g_assert_cmpint(bsdp_parse("v=0\r\nm=audio 9 RTP/AVP 0\r\n", &d), ==, -1);
    /* A lite server (ours by default) says so at session level; the generator then
     * controls ICE, as a browser would. */
    gchar *lite = g_strdup_printf("v=0\r\na=ice-lite\r\n%s", JANUS_OFFER + strlen("v=0\r\n"));
    g_assert_cmpint(bsdp_parse(lite, &d), ==, 0);
    g_assert_true(d.ice_lite);
    g_free(lite);
}

static void test_sdp_offer(void)
{
    bsdp_local l = {
        .ufrag = "u", .pwd = "p", .fingerprint = "AB", .audio_ssrc = 11, .video_ssrc = 22};
    char *o = bsdp_write_pub_offer(&l);
    bsdp d;
    g_assert_cmpint(bsdp_parse(o, &d), ==, 0);
    g_assert_cmpint(d.n_mlines, ==, 2);
    g_assert_cmpstr(d.m[0].codec, ==, "opus");
    g_assert_cmpstr(d.m[1].codec, ==, "VP8");
    g_assert_cmpstr(d.m[1].dir, ==, "sendonly");
    g_assert_nonnull(strstr(o, "a=ssrc:22 cname:"));
    g_free(o);
}

static void test_seq_loss(void)
{
    bstat_seq s = {0};
    uint16_t seq = 65530;
    for (int i = 0; i < 20; i++, seq++)
        if (i != 7 && i != 12) /* two lost, across the wrap */
            bstat_seq_update(&s, seq);
    g_assert_cmpuint(bstat_seq_expected(&s), ==, 20);
    g_assert_cmpuint(bstat_seq_lost(&s), ==, 2);
    bstat_seq_update(&s, 65535); /* late duplicate of an old one: counted received */
    g_assert_cmpuint(bstat_seq_lost(&s), ==, 1);
    bstat_seq r = {0};
    bstat_seq_update(&r, 100);
    bstat_seq_update(&r, 99); /* reordered first packet */
    bstat_seq_update(&r, 101);
    g_assert_cmpuint(bstat_seq_expected(&r), ==, 3);
    g_assert_cmpuint(bstat_seq_lost(&r), ==, 0);
}

static void test_percentile(void)
{
    int64_t v[100];
    for (int i = 0; i < 100; i++)
        v[i] = 100 - i;
    g_assert_cmpint(bstat_percentile(v, 100, 50), ==, 50);
    g_assert_cmpint(bstat_percentile(v, 100, 99), ==, 99);
    g_assert_cmpint(bstat_percentile(v, 100, 100), ==, 100);
    g_assert_cmpint(bstat_percentile(v, 0, 50), ==, 0);
    int64_t one = 7;
    g_assert_cmpint(bstat_percentile(&one, 1, 95), ==, 7);
}

static void test_trailer(void)
{
    uint8_t p[40] = {0};
    int64_t t = 0x0123456789abLL, out = 0;
    bench_trailer_put(p + 28, t);
    g_assert_true(bench_trailer_get(p + 40, 40, &out));
    g_assert_cmpint(out, ==, t);
    g_assert_false(bench_trailer_get(p + 40, 11, &out));
    p[28] ^= 1;
    g_assert_false(bench_trailer_get(p + 40, 40, &out));
}

static size_t put_rtp(uint8_t *b, uint16_t seq, uint32_t ts, bool marker, bool key)
{
    memset(b, 0, 40);
    b[0] = 0x80;
    b[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
    b[2] = (uint8_t)(seq >> 8), b[3] = (uint8_t)seq;
    b[4] = (uint8_t)(ts >> 24), b[5] = (uint8_t)(ts >> 16), b[6] = (uint8_t)(ts >> 8),
    b[7] = (uint8_t)ts;
    b[12] = 0x10;                             /* VP8 descriptor: S bit, partition 0 */
    b[13] = key ? 0x00 : 0x01;                /* frame tag: P bit clear = keyframe */
    b[16] = 0x9d, b[17] = 0x01, b[18] = 0x2a; /* keyframe start code (RFC 6386 §9.1) */
    return 40;
}

static void test_clip_parse(void)
{
    uint8_t buf[6 * 42];
    size_t o = 0;
    struct {
        uint32_t ts;
        bool m, k;
    } p[] = {{1000, false, true},  {1000, true, false}, {4000, true, false},
             {7000, false, false}, {7000, true, false}, {10000, true, true}};
    for (int i = 0; i < 6; i++) {
        buf[o] = 0, buf[o + 1] = 40;
        put_rtp(buf + o + 2, (uint16_t)i, p[i].ts, p[i].m, p[i].k);
        o += 42;
    }
    bclip c;
    g_assert_cmpint(bclip_parse(buf, o, 90000, true, 33333, &c), ==, 0);
    g_assert_cmpuint(c.n, ==, 6);
    g_assert_true(c.pkts[0].keyframe);
    g_assert_false(c.pkts[1].keyframe); /* not a frame start */
    g_assert_false(c.pkts[2].keyframe);
    g_assert_true(c.pkts[5].keyframe);
    g_assert_cmpint(c.pkts[2].rel_us, ==, 33333);
    g_assert_cmpuint(c.pkts[5].rel_ts, ==, 9000);
    g_assert_cmpint(c.dur_us, ==, 100000 + 33333);
    bclip_clear(&c);
    g_assert_cmpint(bclip_parse(buf, 10, 90000, true, 33333, &c), ==, -1);
}

static bool unused(const char *m)
{
    return bmsg_tb_unused(m, strlen(m));
}

static void test_unused_messages(void)
{
    g_assert_true(unused("{\"type\":\"participants_joined\",\"participants\":[{\"id\":\"p1\"}]}"));
    g_assert_true(unused("{\"type\":\"participant_updated\",\"participant_id\":\"p1\"}"));
    g_assert_true(unused("{\"type\":\"room_updated\",\"room\":{\"name\":\"bench\"}}"));
    /* What the generator acts on is always parsed. */
    g_assert_false(unused("{\"type\":\"reply\",\"id\":1,\"data\":{\"participant_id\":\"p1\"}}"));
    g_assert_false(unused("{\"type\":\"error\",\"id\":1,\"code\":\"room_full\",\"reason\":\"x\"}"));
    g_assert_false(unused("{\"type\":\"offer\",\"revision\":1,\"sdp\":\"v=0\\r\\n\"}"));
    g_assert_false(unused("{\"type\":\"candidate\",\"pc\":\"sub\",\"candidate\":\"\"}"));
    /* Not written type-first (or not ours): parsed, never dropped on a guess. */
    g_assert_false(unused("{\"id\":1,\"type\":\"participants_joined\",\"participants\":[]}"));
    g_assert_false(unused("{\"type\": \"participants_joined\", \"participants\": []}"));
    g_assert_false(unused("{\"type\":\"x\"}"));
}

static int reply_id(const char *m)
{
    return bmsg_tb_reply_id(m, strlen(m));
}

static void test_reply_id(void)
{
    g_assert_cmpint(reply_id("{\"type\":\"reply\",\"id\":1,\"data\":{\"participants\":[]}}"), ==,
                    1);
    g_assert_cmpint(reply_id("{\"type\":\"reply\",\"id\":27,\"data\":{}}"), ==, 27);
    g_assert_cmpint(reply_id("{\"type\":\"reply\",\"id\":3}"), ==, 3);
    g_assert_cmpint(reply_id("{\"type\":\"error\",\"id\":1,\"code\":\"x\"}"), ==, -1);
    g_assert_cmpint(reply_id("{\"type\":\"reply\",\"id\":\"1\"}"), ==, -1);
    g_assert_cmpint(reply_id("{\"type\":\"reply\",\"id\":"), ==, -1);
    g_assert_cmpint(reply_id("{\"type\":\"reply\",\"id\":12"), ==, -1); /* cut short */
    g_assert_cmpint(reply_id("{\"id\":1,\"type\":\"reply\"}"), ==, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bench/unused-messages", test_unused_messages);
    g_test_add_func("/bench/reply-id", test_reply_id);
    g_test_add_func("/bench/ws/roundtrip", test_ws_roundtrip);
    g_test_add_func("/bench/ws/limits", test_ws_limits);
    g_test_add_func("/bench/ws/accept", test_ws_accept);
    g_test_add_func("/bench/sdp/parse-answer", test_sdp_parse_answer);
    g_test_add_func("/bench/sdp/offer", test_sdp_offer);
    g_test_add_func("/bench/stat/seq-loss", test_seq_loss);
    g_test_add_func("/bench/stat/percentile", test_percentile);
    g_test_add_func("/bench/stat/trailer", test_trailer);
    g_test_add_func("/bench/clip/parse", test_clip_parse);
    return g_test_run();
}
