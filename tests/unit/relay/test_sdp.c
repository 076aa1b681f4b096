/* SDP: real Chromium offers → our answers and subscribe offers, read back; and the
 * descriptions the relay must refuse, each with a reason. */
#include "relay/internal.h"
#include "common/tb_error.h"

#include <glib.h>
#include <string.h>

static char *fixture(const char *name)
{
    g_autofree char *path = g_build_filename(TB_TEST_DATA, "sdp", name, NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static const tb_relay__mline *ml_at(const tb_relay__desc *d, guint i)
{
    g_assert_cmpuint(i, <, d->mlines->len);
    return &g_array_index(d->mlines, tb_relay__mline, i);
}

static tb_relay__local local_params(const char *setup)
{
    tb_relay__local l = {
        .ufrag = "abcd1234",
        .pwd = "0123456789abcdefghijklmn",
        .fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:"
                       "33:44:55:66:77:88:99",
        .setup = setup,
        .session_id = "4242",
        .version = 1,
        .cname = "pxyz",
    };
    return l;
}

static void test_parse_chromium_offer(void)
{
    g_autofree char *sdp = fixture("chromium_offer_av.sdp");
    tb_relay__desc d;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(sdp, true, &d, err, sizeof err), ==, TB_OK);
    g_assert_true(d.bundle);
    g_assert_cmpstr(d.setup, ==, "actpass");
    g_assert_cmpstr(d.fp_hash, ==, "sha-256");
    g_assert_cmpuint(strlen(d.fp_value), ==, 95);
    g_assert_cmpuint(d.mlines->len, ==, 2);
    const tb_relay__mline *a = ml_at(&d, 0), *v = ml_at(&d, 1);
    g_assert_cmpstr(a->media, ==, "audio");
    g_assert_cmpstr(a->reject, ==, "");
    g_assert_cmpstr(a->codec.name, ==, "opus");
    g_assert_cmpint(a->codec.pt, ==, 111);
    g_assert_cmpuint(a->codec.clock_rate, ==, 48000);
    g_assert_cmpint(a->codec.channels, ==, 2);
    g_assert_cmpint(a->ext_audio_level, >, 0);
    g_assert_cmpint(a->ext_mid, >, 0);
    g_assert_cmpint(a->dir, ==, TB_RELAY_DIR_SENDONLY);
    g_assert_cmpstr(v->media, ==, "video");
    g_assert_cmpstr(v->codec.name, ==, "VP8");
    g_assert_true(v->codec.fb_nack && v->codec.fb_pli);
    g_assert_cmpuint(v->ssrc, !=, 0);
    /* The announced SSRC must be the media one, not its RTX partner in the FID group. */
    g_assert_nonnull(strstr(sdp, "a=ssrc-group:FID"));
    g_autofree char *fid = g_strdup_printf("a=ssrc-group:FID %u ", v->ssrc);
    g_assert_nonnull(strstr(sdp, fid));
    tb_relay__desc_clear(&d);
}

/* Our answer to a real offer reads back as a valid answer with what we accepted. */
static void test_answer_roundtrip(void)
{
    g_autofree char *sdp = fixture("chromium_offer_av2.sdp");
    tb_relay__desc offer, ans;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(sdp, true, &offer, err, sizeof err), ==, TB_OK);
    g_assert_cmpuint(offer.mlines->len, ==, 3);
    tb_relay__local l = local_params("passive");
    g_autofree char *answer = tb_relay__sdp_write_answer(&offer, &l);
    g_assert_cmpint(tb_relay__sdp_parse(answer, false, &ans, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(ans.setup, ==, "passive");
    g_assert_cmpstr(ans.ufrag, ==, "abcd1234");
    g_assert_cmpstr(ans.fp_value, ==, l.fingerprint);
    g_assert_cmpuint(ans.mlines->len, ==, 3);
    for (guint i = 0; i < 3; i++) {
        const tb_relay__mline *o = ml_at(&offer, i), *a = ml_at(&ans, i);
        g_assert_cmpstr(a->mid, ==, o->mid);
        g_assert_cmpstr(a->reject, ==, "");
        g_assert_cmpint(a->dir, ==, TB_RELAY_DIR_RECVONLY);
        g_assert_cmpint(a->codec.pt, ==, o->codec.pt);
        g_assert_cmpstr(a->codec.name, ==, o->codec.name);
    }
    /* One codec per m-line: no RTX, RED or FEC accepted. */
    g_assert_null(strstr(answer, "rtx/"));
    g_assert_null(strstr(answer, "red/"));
    g_assert_nonnull(strstr(answer, "a=group:BUNDLE 0 1 2"));
    g_assert_nonnull(strstr(answer, "a=rtcp-mux"));
    g_assert_nonnull(strstr(answer, "a=ice-options:trickle"));
    g_assert_null(strstr(answer, "a=ice-lite"));
    tb_relay__desc_clear(&offer);
    tb_relay__desc_clear(&ans);
}

/* As ICE lite, answers and offers say so once, at session level (RFC 8839 §5.3), before
 * the first m-line, and still parse as ours. */
static void test_ice_lite_attribute(void)
{
    g_autofree char *sdp = fixture("chromium_offer_av2.sdp");
    tb_relay__desc offer, ans;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(sdp, true, &offer, err, sizeof err), ==, TB_OK);
    tb_relay__local l = local_params("passive");
    l.ice_lite = true;
    g_autofree char *answer = tb_relay__sdp_write_answer(&offer, &l);
    const char *lite = strstr(answer, "\r\na=ice-lite\r\n");
    g_assert_nonnull(lite);
    g_assert_null(strstr(lite + strlen("\r\na=ice-lite"), "a=ice-lite"));
    g_assert_true(lite < strstr(answer, "\r\nm="));
    g_assert_cmpint(tb_relay__sdp_parse(answer, false, &ans, err, sizeof err), ==, TB_OK);
    tb_relay__desc_clear(&ans);
    tb_relay__desc_clear(&offer);

    tb_relay__sub_mline line = {.mid = "0", .kind = TB_RELAY_KIND_AUDIO, .track = NULL};
    l.setup = "actpass";
    g_autofree char *sub = tb_relay__sdp_write_sub_offer(&line, 1, &l);
    lite = strstr(sub, "\r\na=ice-lite\r\n");
    g_assert_nonnull(lite);
    g_assert_true(lite < strstr(sub, "\r\nm="));
}

static void test_sub_offer_and_chromium_answer(void)
{
    g_autofree char *pub = fixture("chromium_offer_av.sdp");
    tb_relay__desc offer;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(pub, true, &offer, err, sizeof err), ==, TB_OK);
    tb_relay_track *ta = tb_relay__track_create(NULL, "pabc", ml_at(&offer, 0), "microphone", 16);
    tb_relay_track *tv = tb_relay__track_create(NULL, "pabc", ml_at(&offer, 1), "camera", 16);
    tb_relay__sub_mline lines[3] = {
        {.mid = "0", .kind = TB_RELAY_KIND_AUDIO, .track = ta, .ssrc = 1111},
        {.mid = "1", .kind = TB_RELAY_KIND_VIDEO, .track = tv, .ssrc = 2222},
        {.mid = "2", .kind = TB_RELAY_KIND_VIDEO, .track = NULL, .ssrc = 0},
    };
    tb_relay__local l = local_params("actpass");
    g_autofree char *sdp = tb_relay__sdp_write_sub_offer(lines, 3, &l);
    tb_relay__desc d;
    g_assert_cmpint(tb_relay__sdp_parse(sdp, true, &d, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(d.setup, ==, "actpass");
    g_assert_cmpint(ml_at(&d, 0)->dir, ==, TB_RELAY_DIR_SENDONLY);
    g_assert_cmpuint(ml_at(&d, 0)->ssrc, ==, 1111);
    g_assert_cmpstr(ml_at(&d, 1)->msid_stream, ==, "pabc");
    g_assert_cmpstr(ml_at(&d, 1)->msid_track, ==, tb_relay_track_id(tv));
    g_assert_cmpstr(ml_at(&d, 1)->codec.name, ==, "VP8");
    g_assert_cmpint(ml_at(&d, 2)->dir, ==, TB_RELAY_DIR_INACTIVE);
    tb_relay__desc_clear(&d);

    /* What Chromium answered to such an offer parses as an answer. */
    g_autofree char *ans = fixture("chromium_answer_sub.sdp");
    g_assert_cmpint(tb_relay__sdp_parse(ans, false, &d, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(d.setup, ==, "active");
    g_assert_cmpint(ml_at(&d, 0)->dir, ==, TB_RELAY_DIR_RECVONLY);
    tb_relay__desc_clear(&d);
    tb_relay_track_unref(ta);
    tb_relay_track_unref(tv);
    tb_relay__desc_clear(&offer);
}

/* Removes every line that starts with `prefix`. */
static char *drop_lines(const char *sdp, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(sdp, "\r\n", -1);
    GString *out = g_string_new(NULL);
    for (int i = 0; lines[i]; i++)
        if (*lines[i] && !g_str_has_prefix(lines[i], prefix))
            g_string_append_printf(out, "%s\r\n", lines[i]);
    return g_string_free(out, FALSE);
}

static char *replace(const char *sdp, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(sdp, from, -1);
    return g_strjoinv(to, parts);
}

static void expect_refused(const char *sdp, const char *reason_part)
{
    tb_relay__desc d;
    char err[256] = "";
    int rc = tb_relay__sdp_parse(sdp, true, &d, err, sizeof err);
    if (rc == TB_OK || !strstr(err, reason_part))
        g_error("expected refusal mentioning '%s', got rc %d '%s'", reason_part, rc, err);
    tb_relay__desc_clear(&d);
}

static void test_refusals(void)
{
    g_autofree char *sdp = fixture("chromium_offer_av.sdp");
    g_autofree char *no_bundle = drop_lines(sdp, "a=group:BUNDLE");
    expect_refused(no_bundle, "BUNDLE");
    g_autofree char *no_fp = drop_lines(sdp, "a=fingerprint");
    expect_refused(no_fp, "fingerprint");
    g_autofree char *no_ice = drop_lines(sdp, "a=ice-pwd");
    expect_refused(no_ice, "ice");
    g_autofree char *no_mid = drop_lines(sdp, "a=mid");
    expect_refused(no_mid, "mid");
    g_autofree char *bad_setup = replace(sdp, "a=setup:actpass", "a=setup:sideways");
    expect_refused(bad_setup, "setup");
    expect_refused("", "v=0");
    expect_refused("hello", "v=0");
    expect_refused("v=0\r\n", "m-lines");
    expect_refused("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio\r\n", "");
}

/* m-lines we cannot take are rejected one by one, not the whole offer. */
static void test_partial_rejection(void)
{
    g_autofree char *sdp = fixture("chromium_offer_av.sdp");
    /* Make the video m-line offer only a codec we do not forward. */
    g_autofree char *no_vp8 = replace(sdp, "VP8/90000", "XYZ/90000");
    g_autofree char *only_av1 = replace(no_vp8, "H264/90000", "XYZ/90000");
    g_autofree char *none = replace(only_av1, "VP9/90000", "XYZ/90000");
    tb_relay__desc d;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(none, true, &d, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(ml_at(&d, 0)->reject, ==, "");
    g_assert_nonnull(strstr(ml_at(&d, 1)->reject, "codec"));
    tb_relay__local l = local_params("passive");
    g_autofree char *answer = tb_relay__sdp_write_answer(&d, &l);
    g_assert_nonnull(strstr(answer, "m=video 0 "));
    g_assert_nonnull(strstr(answer, "a=group:BUNDLE 0\r\n"));
    tb_relay__desc_clear(&d);

    /* Without VP8, H.264 with packetization-mode=1 is chosen. */
    g_assert_cmpint(tb_relay__sdp_parse(no_vp8, true, &d, err, sizeof err), ==, TB_OK);
    g_assert_cmpstr(ml_at(&d, 1)->codec.name, ==, "H264");
    g_assert_nonnull(strstr(ml_at(&d, 1)->codec.fmtp, "packetization-mode=1"));
    tb_relay__desc_clear(&d);
}

static void test_candidates_in_sdp(void)
{
    g_autofree char *sdp = fixture("chromium_offer_av.sdp");
    g_autofree char *with =
        replace(sdp, "a=mid:0\r\n",
                "a=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n");
    tb_relay__desc d;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(with, true, &d, err, sizeof err), ==, TB_OK);
    g_assert_cmpuint(d.candidates->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(d.candidates, 0), ==,
                    "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host");
    tb_relay__desc_clear(&d);
}

/* webrtcbin's max-bundle offer: m-lines after the first have port 0 and a=bundle-only
 * (RFC 8843 §6) and must be accepted, not rejected. */
static void test_bundle_only(void)
{
    g_autofree char *sdp = fixture("webrtcbin_offer_av.sdp");
    tb_relay__desc d;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(sdp, true, &d, err, sizeof err), ==, TB_OK);
    g_assert_cmpuint(d.mlines->len, ==, 2);
    for (guint i = 0; i < 2; i++)
        g_assert_cmpstr(ml_at(&d, i)->reject, ==, "");
    tb_relay__local l = local_params("passive");
    g_autofree char *answer = tb_relay__sdp_write_answer(&d, &l);
    g_assert_null(strstr(answer, " 0 UDP/TLS"));
    tb_relay__desc_clear(&d);
}

/* ---- what a publish offer sends as video (tb_relay_sdp_video_senders) ----
 * The cases signaling's own line scan had (tests/unit/signaling/test_perm.c), now for the
 * relay's parse, which is what makes the tracks: each m-line below is a full, valid one
 * (BUNDLE, rtcp-mux, a codec we take) unless the case is about what makes it invalid. */

/* An offer of the given m-lines: "audio" or "video", then its port, then attribute lines
 * (without a=mid, added), "|"-separated. Every mid is in the BUNDLE group. */
static char *offer_of(const char *const *mlines, size_t n)
{
    GString *s = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "a=group:BUNDLE");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, " %zu", i);
    g_string_append(s, "\r\na=ice-ufrag:uf00\r\na=ice-pwd:pw00pw00pw00pw00pw00pw00\r\n"
                       "a=fingerprint:sha-256 ");
    for (int i = 0; i < 32; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", i);
    g_string_append(s, "\r\na=setup:actpass\r\n");
    for (size_t i = 0; i < n; i++) {
        g_auto(GStrv) f = g_strsplit(mlines[i], "|", -1);
        bool video = !strcmp(f[0], "video");
        g_string_append_printf(s,
                               "m=%s %s UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n"
                               "a=mid:%zu\r\na=rtcp-mux\r\na=rtpmap:%s\r\n",
                               f[0], f[1], video ? 96 : 111, i,
                               video ? "96 VP8/90000" : "111 opus/48000/2");
        for (int k = 2; f[k]; k++)
            g_string_append_printf(s, "a=%s\r\n", f[k]);
    }
    return g_string_free(s, FALSE);
}

static int senders_of(const char *const *mlines, size_t n)
{
    g_autofree char *sdp = offer_of(mlines, n);
    return tb_relay_sdp_video_senders(sdp, strlen(sdp));
}

#define SENDERS(...)                                                                               \
    senders_of((const char *const[]){__VA_ARGS__},                                                 \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void test_video_senders(void)
{
    /* Not an offer the relay takes: -1 (the scan said -1 for a text without m=). */
    g_assert_cmpint(tb_relay_sdp_video_senders("", 0), ==, -1);
    g_assert_cmpint(tb_relay_sdp_video_senders(NULL, 10), ==, -1);
    g_assert_cmpint(SENDERS("audio|9|sendonly"), ==, 0);
    g_assert_cmpint(SENDERS("audio|9|sendonly", "video|9|sendonly"), ==, 1);
    /* A second one, sendrecv by default: a screen share. */
    g_assert_cmpint(SENDERS("video|9|sendonly", "video|9"), ==, 2);
    /* Stopped (port 0), inactive or receive-only ones do not count... */
    g_assert_cmpint(
        SENDERS("video|9|sendonly", "video|0|sendonly", "video|9|inactive", "video|9|recvonly"), ==,
        1);
    /* ...but a bundle-only one with port 0 does (RFC 8843 section 6). */
    g_assert_cmpint(SENDERS("video|9|sendonly", "video|0|bundle-only|sendonly"), ==, 2);
    /* Session-level direction lines do not count; a truncated last line is an unknown
     * attribute (sendrecv, the default). */
    g_autofree char *one = offer_of((const char *const[]){"video|9"}, 1);
    g_autofree char *sess =
        replace(one, "a=setup:actpass\r\n", "a=setup:actpass\r\na=inactive\r\n");
    g_autofree char *cut = g_strconcat(sess, "a=sendo", NULL);
    g_assert_cmpint(tb_relay_sdp_video_senders(cut, strlen(cut)), ==, 1);
    /* Bounded by len, and by the first NUL (a JSON string holds none). */
    g_autofree char *two = offer_of((const char *const[]){"video|9", "video|9"}, 2);
    size_t first = (size_t)(strstr(strstr(two, "m=video") + 1, "m=video") - two);
    g_assert_cmpint(tb_relay_sdp_video_senders(two, strlen(two)), ==, 2);
    g_assert_cmpint(tb_relay_sdp_video_senders(two, first), ==, 1);
    g_autofree char *nul = g_strdup(two);
    nul[first] = '\0';
    g_assert_cmpint(tb_relay_sdp_video_senders(nul, strlen(two)), ==, 1);
}

/* Where signaling's line scan (signaling/access/perm.c, gone) and the relay disagreed.
 * The relay's count is what tb_relay_pc_publish_offer publishes; the scan's was what
 * decided whether the `screen` permission was needed. */
static void test_video_senders_as_published(void)
{
    /* A video m-line saying both sendonly and inactive: the scan took the last direction
     * line (inactive: one sender, no permission asked), the relay takes it as sending and
     * published a second video track, labeled "screen", from someone who may not share a
     * screen. */
    g_assert_cmpint(SENDERS("video|9|sendonly", "video|9|sendonly|inactive"), ==, 2);
    /* A port-0 bundle-only m-line outside the BUNDLE group: the scan counted it (two:
     * `screen` demanded of someone publishing only a camera), the relay rejects it. */
    g_autofree char *outside =
        offer_of((const char *const[]){"video|9|sendonly", "video|0|bundle-only|sendonly"}, 2);
    g_autofree char *grp = replace(outside, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0");
    g_assert_cmpint(tb_relay_sdp_video_senders(grp, strlen(grp)), ==, 1);
    /* A video m-line with no codec we forward: counted by the scan, rejected here. */
    g_autofree char *av1 = offer_of((const char *const[]){"video|9|sendonly", "video|9"}, 2);
    g_autofree char *av1b = replace(av1, "a=mid:1\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000",
                                    "a=mid:1\r\na=rtcp-mux\r\na=rtpmap:96 AV1/90000");
    g_assert_cmpint(tb_relay_sdp_video_senders(av1b, strlen(av1b)), ==, 1);

    /* And the count is the tracks publish makes: two video tracks, the second a screen. */
    g_autofree char *both = offer_of(
        (const char *const[]){"audio|9|sendonly", "video|9|sendonly", "video|9|sendonly|inactive"},
        3);
    tb_relay__desc d;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(both, true, &d, err, sizeof err), ==, TB_OK);
    int video_tracks = 0;
    for (guint i = 0; i < d.mlines->len; i++)
        video_tracks +=
            !strcmp(ml_at(&d, i)->media, "video") && tb_relay__mline_publishes(ml_at(&d, i));
    g_assert_cmpint(video_tracks, ==, tb_relay_sdp_video_senders(both, strlen(both)));
    /* All tracks, for [limits] tracks_per_participant: the audio and the sending video. */
    int video = -5;
    g_assert_cmpint(tb_relay_sdp_senders(both, strlen(both), &video), ==, 1 + video_tracks);
    g_assert_cmpint(video, ==, video_tracks);
    g_assert_cmpint(tb_relay_sdp_senders("garbage", 7, &video), ==, -1);
    g_assert_cmpint(video, ==, -1);
    g_assert_cmpint(tb_relay_sdp_senders(both, strlen(both), NULL), ==, 1 + video_tracks);
    tb_relay__desc_clear(&d);
}

/* More m-lines than a publish offer may have: refused, and by the very count. */
static void test_mline_limits(void)
{
    const char *lines[TB_RELAY_PUBLISH_MAX_MLINES + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
        lines[i] = "audio|9|sendonly";
    g_autofree char *many = offer_of(lines, G_N_ELEMENTS(lines));
    tb_relay__desc d;
    char err[256] = "";
    g_assert_cmpint(tb_relay__sdp_parse(many, true, &d, err, sizeof err), ==, TB_EINVAL);
    g_assert_nonnull(strstr(err, "65 m-lines"));
    tb_relay__desc_clear(&d);
    g_assert_cmpint(tb_relay_sdp_video_senders(many, strlen(many)), ==, -1);
    /* With a larger limit (a subscribe answer), every mid of the BUNDLE group counts,
     * also past the 64th. */
    g_assert_cmpint(tb_relay__sdp_parse_len(many, strlen(many), true, 200, &d, err, sizeof err), ==,
                    TB_OK);
    g_assert_cmpuint(d.mlines->len, ==, 65);
    g_assert_cmpstr(ml_at(&d, 64)->reject, ==, "");
    tb_relay__desc_clear(&d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sdp/parse-chromium-offer", test_parse_chromium_offer);
    g_test_add_func("/sdp/answer-roundtrip", test_answer_roundtrip);
    g_test_add_func("/sdp/ice-lite", test_ice_lite_attribute);
    g_test_add_func("/sdp/sub-offer-and-chromium-answer", test_sub_offer_and_chromium_answer);
    g_test_add_func("/sdp/refusals", test_refusals);
    g_test_add_func("/sdp/partial-rejection", test_partial_rejection);
    g_test_add_func("/sdp/candidates-in-sdp", test_candidates_in_sdp);
    g_test_add_func("/sdp/bundle-only", test_bundle_only);
    g_test_add_func("/sdp/video-senders", test_video_senders);
    g_test_add_func("/sdp/video-senders-as-published", test_video_senders_as_published);
    g_test_add_func("/sdp/mline-limits", test_mline_limits);
    return g_test_run();
}
