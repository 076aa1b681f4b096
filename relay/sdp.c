/* sdp.c — reads browser SDP and writes ours, with GStreamer's GstSDPMessage.
 *
 * We parse with GstSDP and then check what the relay requires (JSEP, RFC 8829): BUNDLE
 * and rtcp-mux on every m-line (RFC 8843, RFC 5761), ICE credentials and a DTLS
 * fingerprint (RFC 8122) at session or media level, UDP/TLS/RTP/SAVPF. Codec choice for
 * publishing: Opus for audio; VP8, then H.264 (packetization-mode=1), then VP9 for
 * video. RTX, RED and ULPFEC are not accepted, so browsers retransmit in the original
 * stream (RFC 4585) and every forwarded packet is plain media. */
#define TB_LOG_CAT "relay/sdp"
#include "relay/internal.h"
#include "common/tb_error.h"

#include <gst/sdp/sdp.h>
#include <stdio.h>
#include <string.h>

#define EXT_MID         "urn:ietf:params:rtp-hdrext:sdes:mid"
#define EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

void tb_relay__desc_clear(tb_relay__desc *d)
{
    if (d->mlines)
        g_array_unref(d->mlines);
    if (d->candidates)
        g_ptr_array_unref(d->candidates);
    memset(d, 0, sizeof *d);
}

/* Value of attribute `key` on the media, else on the session. */
static const char *attr(const GstSDPMessage *msg, const GstSDPMedia *m, const char *key)
{
    const char *v = m ? gst_sdp_media_get_attribute_val(m, key) : NULL;
    return v ? v : gst_sdp_message_get_attribute_val(msg, key);
}

static bool copy_str(char *dst, size_t cap, const char *src)
{
    if (!src || strlen(src) >= cap)
        return false;
    memcpy(dst, src, strlen(src) + 1);
    return true;
}

/* rtpmap "96 VP8/90000" / "111 opus/48000/2" for payload type pt. */
static bool rtpmap_for(const GstSDPMedia *m, int pt, char *name, size_t ncap, uint32_t *clock,
                       int *channels)
{
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (strcmp(a->key, "rtpmap") || !a->value)
            continue;
        char enc[32];
        unsigned c = 0, ch = 1;
        int p = -1;
        int n = sscanf(a->value, "%d %31[^/]/%u/%u", &p, enc, &c, &ch);
        if (n >= 3 && p == pt) {
            g_strlcpy(name, enc, ncap);
            *clock = c;
            *channels = (int)ch;
            return true;
        }
    }
    return false;
}

/* The value after "<pt> " of the first `key` attribute for pt (fmtp), or NULL. */
static const char *pt_attr(const GstSDPMedia *m, const char *key, int pt)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%d ", pt);
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (!strcmp(a->key, key) && a->value && g_str_has_prefix(a->value, prefix))
            return a->value + strlen(prefix);
    }
    return NULL;
}

static void read_feedback(const GstSDPMedia *m, tb_relay__codec *c)
{
    char p1[16], p2[16];
    snprintf(p1, sizeof p1, "%d ", c->pt);
    snprintf(p2, sizeof p2, "* ");
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (strcmp(a->key, "rtcp-fb") || !a->value)
            continue;
        const char *v = NULL;
        if (g_str_has_prefix(a->value, p1))
            v = a->value + strlen(p1);
        else if (g_str_has_prefix(a->value, p2))
            v = a->value + 2;
        if (!v)
            continue;
        if (!strcmp(v, "nack"))
            c->fb_nack = true;
        else if (!strcmp(v, "nack pli"))
            c->fb_pli = true;
        else if (!strcmp(v, "ccm fir"))
            c->fb_fir = true;
        else if (!strcmp(v, "goog-remb"))
            c->fb_remb = true;
    }
}

/* Video codec preference; returns a rank (lower is better) or -1 if unusable. */
static int video_rank(const char *name, const char *fmtp)
{
    if (!g_ascii_strcasecmp(name, "VP8"))
        return 0;
    if (!g_ascii_strcasecmp(name, "H264")) {
        /* Only packetization-mode=1 (non-interleaved, FU-A): what browsers use. */
        if (!fmtp || !strstr(fmtp, "packetization-mode=1"))
            return -1;
        /* Constrained baseline 42e01f decodes everywhere; other profiles rank lower. */
        return (strstr(fmtp, "profile-level-id=42e01f") ? 1 : 2);
    }
    if (!g_ascii_strcasecmp(name, "VP9")) {
        if (fmtp && strstr(fmtp, "profile-id=") && !strstr(fmtp, "profile-id=0"))
            return -1;
        return 3;
    }
    return -1;
}

static void choose_codec(const GstSDPMedia *m, bool audio, tb_relay__mline *ml)
{
    int best_rank = 1000;
    ml->codec.pt = -1;
    for (guint f = 0; f < gst_sdp_media_formats_len(m); f++) {
        const char *fs = gst_sdp_media_get_format(m, f);
        char *end = NULL;
        long pt = strtol(fs, &end, 10);
        if (!end || *end || pt < 0 || pt > 127)
            continue;
        char name[16] = "";
        uint32_t clock = 0;
        int channels = 1;
        if (!rtpmap_for(m, (int)pt, name, sizeof name, &clock, &channels))
            continue;
        const char *fmtp = pt_attr(m, "fmtp", (int)pt);
        int rank = -1;
        if (audio && !g_ascii_strcasecmp(name, "opus") && clock == 48000)
            rank = 0;
        else if (!audio && clock == 90000)
            rank = video_rank(name, fmtp);
        if (rank < 0 || rank >= best_rank)
            continue;
        best_rank = rank;
        ml->codec.pt = (int)pt;
        g_strlcpy(ml->codec.name, name, sizeof ml->codec.name);
        ml->codec.clock_rate = clock;
        ml->codec.channels = channels;
        g_strlcpy(ml->codec.fmtp, fmtp ? fmtp : "", sizeof ml->codec.fmtp);
    }
    if (ml->codec.pt >= 0)
        read_feedback(m, &ml->codec);
}

static void read_extmap(const GstSDPMedia *m, tb_relay__mline *ml)
{
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (strcmp(a->key, "extmap") || !a->value)
            continue;
        int id = 0;
        char uri[128];
        /* "3 urn:..." or "3/sendonly urn:..." */
        if (sscanf(a->value, "%d%*[^ ] %127s", &id, uri) != 2 &&
            sscanf(a->value, "%d %127s", &id, uri) != 2)
            continue;
        if (id < 1 || id > 255)
            continue;
        if (!strcmp(uri, EXT_MID))
            ml->ext_mid = id;
        else if (!strcmp(uri, EXT_AUDIO_LEVEL))
            ml->ext_audio_level = id;
    }
}

/* The first announced SSRC that is not the second member of an FID (RTX) group. */
static void read_ssrc(const GstSDPMedia *m, tb_relay__mline *ml)
{
    unsigned rtx = 0;
    const char *grp = gst_sdp_media_get_attribute_val(m, "ssrc-group");
    unsigned a1, a2;
    if (grp && sscanf(grp, "FID %u %u", &a1, &a2) == 2)
        rtx = a2;
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        unsigned s;
        if (strcmp(a->key, "ssrc") || !a->value || sscanf(a->value, "%u", &s) != 1)
            continue;
        if (s != rtx && s != 0) {
            ml->ssrc = s;
            break;
        }
    }
    const char *msid = gst_sdp_media_get_attribute_val(m, "msid");
    if (msid)
        sscanf(msid, "%79s %79s", ml->msid_stream, ml->msid_track);
}

static tb_relay__dir read_dir(const GstSDPMedia *m)
{
    if (gst_sdp_media_get_attribute_val(m, "sendonly"))
        return TB_RELAY_DIR_SENDONLY;
    if (gst_sdp_media_get_attribute_val(m, "recvonly"))
        return TB_RELAY_DIR_RECVONLY;
    if (gst_sdp_media_get_attribute_val(m, "inactive"))
        return TB_RELAY_DIR_INACTIVE;
    return TB_RELAY_DIR_SENDRECV;
}

static void collect_candidates(const GstSDPMedia *m, GPtrArray *out)
{
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (!strcmp(a->key, "candidate") && a->value && out->len < TB_RELAY_SDP_MAX_CANDIDATES)
            g_ptr_array_add(out, g_strdup_printf("candidate:%s", a->value));
    }
}

static int parse_mline(const GstSDPMessage *msg, guint i, tb_relay__desc *d, char **bundle,
                       char *err, size_t errlen)
{
    const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
    tb_relay__mline ml;
    memset(&ml, 0, sizeof ml);
    ml.index = (int)i;
    g_strlcpy(ml.media, gst_sdp_media_get_media(m) ? gst_sdp_media_get_media(m) : "",
              sizeof ml.media);
    /* Port 0 rejects an m-line, except with a=bundle-only (RFC 8843 §6): a max-bundle
     * offerer (webrtcbin, for one) marks every m-line but the first that way. */
    ml.port_zero =
        gst_sdp_media_get_port(m) == 0 && !gst_sdp_media_get_attribute_val(m, "bundle-only");
    ml.dir = read_dir(m);
    const char *mid = gst_sdp_media_get_attribute_val(m, "mid");
    if (!mid || !*mid || !copy_str(ml.mid, sizeof ml.mid, mid)) {
        snprintf(err, errlen, "m-line %u has no a=mid (or it is too long)", i);
        return TB_EINVAL;
    }
    for (guint j = 0; j < i; j++)
        if (!strcmp(g_array_index(d->mlines, tb_relay__mline, j).mid, ml.mid)) {
            snprintf(err, errlen, "m-line %u repeats mid '%s'", i, ml.mid);
            return TB_EINVAL;
        }
    bool audio = !strcmp(ml.media, "audio");
    bool video = !strcmp(ml.media, "video");
    const char *proto = gst_sdp_media_get_proto(m);
    bool in_bundle = bundle && g_strv_contains((const char *const *)bundle, ml.mid);
    if (!audio && !video)
        snprintf(ml.reject, sizeof ml.reject, "media '%s' not supported", ml.media);
    else if (ml.port_zero)
        snprintf(ml.reject, sizeof ml.reject, "rejected by the peer");
    else if (!proto || !strstr(proto, "SAVPF"))
        snprintf(ml.reject, sizeof ml.reject, "transport '%s' is not UDP/TLS/RTP/SAVPF",
                 proto ? proto : "");
    else if (!in_bundle)
        snprintf(ml.reject, sizeof ml.reject, "not in the BUNDLE group");
    else if (!gst_sdp_media_get_attribute_val(m, "rtcp-mux"))
        snprintf(ml.reject, sizeof ml.reject, "no rtcp-mux");
    else {
        choose_codec(m, audio, &ml);
        if (ml.codec.pt < 0)
            snprintf(ml.reject, sizeof ml.reject, "no supported %s codec", ml.media);
    }
    read_extmap(m, &ml);
    read_ssrc(m, &ml);
    if (!ml.port_zero) {
        /* Credentials and fingerprint may be per m-line; with BUNDLE they must agree,
         * so the first accepted m-line's values (or the session's) stand. */
        if (!d->ufrag[0] && attr(msg, m, "ice-ufrag"))
            copy_str(d->ufrag, sizeof d->ufrag, attr(msg, m, "ice-ufrag"));
        if (!d->pwd[0] && attr(msg, m, "ice-pwd"))
            copy_str(d->pwd, sizeof d->pwd, attr(msg, m, "ice-pwd"));
        if (!d->setup[0] && attr(msg, m, "setup"))
            copy_str(d->setup, sizeof d->setup, attr(msg, m, "setup"));
        const char *fp = attr(msg, m, "fingerprint");
        if (!d->fp_hash[0] && fp)
            sscanf(fp, "%15s %199s", d->fp_hash, d->fp_value);
        collect_candidates(m, d->candidates);
    }
    g_array_append_val(d->mlines, ml);
    return TB_OK;
}

static bool valid_fingerprint(const char *hash, const char *value)
{
    static const struct {
        const char *name;
        size_t bytes;
    } hashes[] = {
        {"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}};
    size_t want = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(hashes); i++)
        if (!g_ascii_strcasecmp(hash, hashes[i].name))
            want = hashes[i].bytes;
    if (!want || strlen(value) != want * 3 - 1)
        return false;
    for (size_t i = 0; value[i]; i++) {
        if (i % 3 == 2 ? value[i] != ':' : !g_ascii_isxdigit(value[i]))
            return false;
    }
    return true;
}

int tb_relay__sdp_parse_len(const char *text, size_t len, bool is_offer, int max_mlines,
                            tb_relay__desc *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->mlines = g_array_new(FALSE, TRUE, sizeof(tb_relay__mline));
    d->candidates = g_ptr_array_new_with_free_func(g_free);
    if (!text || len < 3 || strncmp(text, "v=0", 3) != 0 || len > G_MAXUINT) {
        snprintf(err, errlen, "not an SDP description (must start with v=0)");
        return TB_EINVAL;
    }
    GstSDPMessage *msg = NULL;
    gst_sdp_message_new(&msg);
    int rc = TB_OK;
    if (gst_sdp_message_parse_buffer((const guint8 *)text, (guint)len, msg) != GST_SDP_OK) {
        snprintf(err, errlen, "SDP does not parse");
        rc = TB_EINVAL;
        goto out;
    }
    guint n = gst_sdp_message_medias_len(msg);
    if (n == 0 || n > (guint)MAX(max_mlines, 1)) {
        snprintf(err, errlen, "SDP has %u m-lines (1..%d expected)", n, MAX(max_mlines, 1));
        rc = TB_EINVAL;
        goto out;
    }
    char **bundle = NULL;
    for (guint i = 0; i < gst_sdp_message_attributes_len(msg); i++) {
        const GstSDPAttribute *a = gst_sdp_message_get_attribute(msg, i);
        if (!strcmp(a->key, "group") && a->value && g_str_has_prefix(a->value, "BUNDLE ")) {
            /* Every mid: there may be as many as there are m-lines (max_mlines). */
            bundle = g_strsplit(a->value + 7, " ", -1);
            break;
        }
    }
    d->bundle = bundle != NULL;
    for (guint i = 0; i < n && rc == TB_OK; i++)
        rc = parse_mline(msg, i, d, bundle, err, errlen);
    g_strfreev(bundle);
    if (rc)
        goto out;
    rc = TB_EINVAL;
    if (!d->bundle)
        snprintf(err, errlen, "no a=group:BUNDLE: BUNDLE is required");
    else if (!d->ufrag[0] || !d->pwd[0])
        snprintf(err, errlen, "no a=ice-ufrag/a=ice-pwd");
    else if (strlen(d->ufrag) < 4 || strlen(d->pwd) < 22)
        snprintf(err, errlen, "ICE credentials too short (RFC 8839 §5.4)");
    else if (!d->fp_hash[0] || !d->fp_value[0])
        snprintf(err, errlen, "no a=fingerprint: DTLS-SRTP requires one");
    else if (!valid_fingerprint(d->fp_hash, d->fp_value))
        snprintf(err, errlen, "a=fingerprint:%.16s is not a hash we know with a matching digest",
                 d->fp_hash);
    else if (is_offer && d->setup[0] && strcmp(d->setup, "actpass") && strcmp(d->setup, "active") &&
             strcmp(d->setup, "passive"))
        snprintf(err, errlen, "a=setup:%s is not valid", d->setup);
    else if (!is_offer && d->setup[0] && strcmp(d->setup, "active") && strcmp(d->setup, "passive"))
        snprintf(err, errlen, "an answer must say a=setup:active or passive");
    else
        rc = TB_OK;
out:
    gst_sdp_message_free(msg);
    return rc;
}

int tb_relay__sdp_parse(const char *text, bool is_offer, tb_relay__desc *d, char *err,
                        size_t errlen)
{
    return tb_relay__sdp_parse_len(text, text ? strlen(text) : 0, is_offer,
                                   TB_RELAY_PUBLISH_MAX_MLINES, d, err, errlen);
}

bool tb_relay__mline_publishes(const tb_relay__mline *ml)
{
    return !ml->reject[0] && (ml->dir == TB_RELAY_DIR_SENDONLY || ml->dir == TB_RELAY_DIR_SENDRECV);
}

int tb_relay_sdp_senders(const char *sdp, size_t len, int *video)
{
    /* As the server sees it: a JSON string holds no NUL. */
    len = sdp ? strnlen(sdp, len) : 0;
    tb_relay__desc d;
    char err[8];
    int n = -1, v = -1;
    if (tb_relay__sdp_parse_len(sdp, len, true, TB_RELAY_PUBLISH_MAX_MLINES, &d, err, sizeof err) ==
        TB_OK) {
        n = v = 0;
        for (guint i = 0; i < d.mlines->len; i++) {
            const tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, i);
            if (!tb_relay__mline_publishes(ml))
                continue;
            n++;
            v += !strcmp(ml->media, "video");
        }
    }
    tb_relay__desc_clear(&d);
    if (video)
        *video = v;
    return n;
}

int tb_relay_sdp_video_senders(const char *sdp, size_t len)
{
    int video;
    tb_relay_sdp_senders(sdp, len, &video);
    return video;
}

/* ---- writers ---- */

static void add_transport_attrs(GstSDPMedia *m, const tb_relay__local *l, const char *mid)
{
    gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
    gst_sdp_media_add_attribute(m, "rtcp", "9 IN IP4 0.0.0.0");
    gst_sdp_media_add_attribute(m, "ice-ufrag", l->ufrag);
    gst_sdp_media_add_attribute(m, "ice-pwd", l->pwd);
    gst_sdp_media_add_attribute(m, "ice-options", "trickle");
    char fp[200];
    snprintf(fp, sizeof fp, "sha-256 %s", l->fingerprint);
    gst_sdp_media_add_attribute(m, "fingerprint", fp);
    gst_sdp_media_add_attribute(m, "setup", l->setup);
    gst_sdp_media_add_attribute(m, "mid", mid);
}

static void add_codec(GstSDPMedia *m, const tb_relay__codec *c, bool video)
{
    char pt[16], buf[320];
    snprintf(pt, sizeof pt, "%d", c->pt);
    gst_sdp_media_add_format(m, pt);
    if (c->channels > 1)
        snprintf(buf, sizeof buf, "%d %s/%u/%d", c->pt, c->name, c->clock_rate, c->channels);
    else
        snprintf(buf, sizeof buf, "%d %s/%u", c->pt, c->name, c->clock_rate);
    gst_sdp_media_add_attribute(m, "rtpmap", buf);
    if (c->fmtp[0]) {
        snprintf(buf, sizeof buf, "%d %s", c->pt, c->fmtp);
        gst_sdp_media_add_attribute(m, "fmtp", buf);
    }
    if (!video)
        return;
    /* We answer NACKs from our buffer and turn PLI/FIR into requests to the publisher. */
    snprintf(buf, sizeof buf, "%d nack", c->pt);
    gst_sdp_media_add_attribute(m, "rtcp-fb", buf);
    snprintf(buf, sizeof buf, "%d nack pli", c->pt);
    gst_sdp_media_add_attribute(m, "rtcp-fb", buf);
    snprintf(buf, sizeof buf, "%d ccm fir", c->pt);
    gst_sdp_media_add_attribute(m, "rtcp-fb", buf);
    snprintf(buf, sizeof buf, "%d goog-remb", c->pt);
    gst_sdp_media_add_attribute(m, "rtcp-fb", buf);
}

static GstSDPMessage *new_message(const tb_relay__local *l, const char *bundle)
{
    GstSDPMessage *msg = NULL;
    gst_sdp_message_new(&msg);
    gst_sdp_message_set_version(msg, "0");
    char ver[16];
    snprintf(ver, sizeof ver, "%u", l->version);
    gst_sdp_message_set_origin(msg, "-", l->session_id, ver, "IN", "IP4", "127.0.0.1");
    gst_sdp_message_set_session_name(msg, "telebridge");
    gst_sdp_message_add_time(msg, "0", "0", NULL);
    if (bundle) {
        char *g = g_strdup_printf("BUNDLE%s", bundle);
        gst_sdp_message_add_attribute(msg, "group", g);
        g_free(g);
    }
    gst_sdp_message_add_attribute(msg, "msid-semantic", " WMS *");
    if (l->ice_lite)
        gst_sdp_message_add_attribute(msg, "ice-lite", NULL);
    /* Also at session level (RFC 8122 §5 allows both): some clients look for it on
     * rejected m-lines too. */
    char fp[200];
    snprintf(fp, sizeof fp, "sha-256 %s", l->fingerprint);
    gst_sdp_message_add_attribute(msg, "fingerprint", fp);
    return msg;
}

static char *finish(GstSDPMessage *msg)
{
    char *text = gst_sdp_message_as_text(msg);
    gst_sdp_message_free(msg);
    return text;
}

char *tb_relay__sdp_write_answer(const tb_relay__desc *offer, const tb_relay__local *l)
{
    GString *bundle = g_string_new(NULL);
    for (guint i = 0; i < offer->mlines->len; i++) {
        const tb_relay__mline *ml = &g_array_index(offer->mlines, tb_relay__mline, i);
        if (!ml->reject[0])
            g_string_append_printf(bundle, " %s", ml->mid);
    }
    GstSDPMessage *msg = new_message(l, bundle->len ? bundle->str : NULL);
    g_string_free(bundle, TRUE);
    for (guint i = 0; i < offer->mlines->len; i++) {
        const tb_relay__mline *ml = &g_array_index(offer->mlines, tb_relay__mline, i);
        GstSDPMedia *m = NULL;
        gst_sdp_media_new(&m);
        gst_sdp_media_set_media(m, ml->media);
        gst_sdp_media_set_proto(m, "UDP/TLS/RTP/SAVPF");
        if (ml->reject[0]) {
            /* Rejected: port 0, outside BUNDLE (RFC 8843 §7.3.3). */
            gst_sdp_media_set_port_info(m, 0, 0);
            gst_sdp_media_add_format(m, ml->codec.pt >= 0 ? "0" : "0");
            gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
            gst_sdp_media_add_attribute(m, "mid", ml->mid);
            gst_sdp_media_add_attribute(m, "inactive", NULL);
        } else {
            gst_sdp_media_set_port_info(m, 9, 0);
            add_transport_attrs(m, l, ml->mid);
            char ext[96];
            if (ml->ext_mid) {
                snprintf(ext, sizeof ext, "%d " EXT_MID, ml->ext_mid);
                gst_sdp_media_add_attribute(m, "extmap", ext);
            }
            if (ml->ext_audio_level) {
                snprintf(ext, sizeof ext, "%d " EXT_AUDIO_LEVEL, ml->ext_audio_level);
                gst_sdp_media_add_attribute(m, "extmap", ext);
            }
            bool wants_send = ml->dir == TB_RELAY_DIR_SENDONLY || ml->dir == TB_RELAY_DIR_SENDRECV;
            gst_sdp_media_add_attribute(m, wants_send ? "recvonly" : "inactive", NULL);
            gst_sdp_media_add_attribute(m, "rtcp-mux", NULL);
            add_codec(m, &ml->codec, !strcmp(ml->media, "video"));
        }
        gst_sdp_message_add_media(msg, m);
        gst_sdp_media_free(m);
    }
    return finish(msg);
}

char *tb_relay__sdp_write_sub_offer(const tb_relay__sub_mline *lines, size_t n,
                                    const tb_relay__local *l)
{
    GString *bundle = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        if (!lines[i].rejected)
            g_string_append_printf(bundle, " %s", lines[i].mid);
    GstSDPMessage *msg = new_message(l, bundle->len ? bundle->str : NULL);
    g_string_free(bundle, TRUE);
    for (size_t i = 0; i < n; i++) {
        const tb_relay__sub_mline *sl = &lines[i];
        bool video = sl->kind == TB_RELAY_KIND_VIDEO;
        GstSDPMedia *m = NULL;
        gst_sdp_media_new(&m);
        gst_sdp_media_set_media(m, video ? "video" : "audio");
        gst_sdp_media_set_proto(m, "UDP/TLS/RTP/SAVPF");
        if (sl->rejected) {
            gst_sdp_media_set_port_info(m, 0, 0);
            gst_sdp_media_add_format(m, video ? "96" : "111");
            gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
            gst_sdp_media_add_attribute(m, "mid", sl->mid);
            gst_sdp_media_add_attribute(m, "inactive", NULL);
            gst_sdp_message_add_media(msg, m);
            gst_sdp_media_free(m);
            continue;
        }
        gst_sdp_media_set_port_info(m, 9, 0);
        add_transport_attrs(m, l, sl->mid);
        gst_sdp_media_add_attribute(m, "rtcp-mux", NULL);
        if (sl->track) {
            const tb_relay_track *t = sl->track;
            char buf[256];
            gst_sdp_media_add_attribute(m, "sendonly", NULL);
            snprintf(buf, sizeof buf, "%s %s", t->owner, t->id);
            gst_sdp_media_add_attribute(m, "msid", buf);
            add_codec(m, &t->codec, video);
            snprintf(buf, sizeof buf, "%u cname:%s", sl->ssrc, t->owner);
            gst_sdp_media_add_attribute(m, "ssrc", buf);
            snprintf(buf, sizeof buf, "%u msid:%s %s", sl->ssrc, t->owner, t->id);
            gst_sdp_media_add_attribute(m, "ssrc", buf);
        } else {
            /* A free m-line keeps a codec so that the description stays valid. */
            static const tb_relay__codec opus = {
                111, "opus", 48000, 2, "minptime=10;useinbandfec=1", false, false, false, false};
            static const tb_relay__codec vp8 = {96, "VP8", 90000, 1, "", true, true, true, false};
            gst_sdp_media_add_attribute(m, "inactive", NULL);
            add_codec(m, video ? &vp8 : &opus, video);
        }
        gst_sdp_message_add_media(msg, m);
        gst_sdp_media_free(m);
    }
    return finish(msg);
}
