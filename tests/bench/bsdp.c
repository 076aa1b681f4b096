/* bsdp.c — SDP on the load generator's side: the few fields it needs from a server's
 * offer or answer, and the offers/answers it sends. Written by hand (not GstSDP) so that
 * the generator depends on nothing the relay's own SDP code does: it is the relay's
 * counterpart, and a shared parser would hide a bug on both sides at once. */
#include "tests/bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_val(char *dst, size_t cap, const char *src)
{
    size_t n = strcspn(src, "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

int bsdp_parse(const char *text, bsdp *out)
{
    memset(out, 0, sizeof *out);
    bsdp_mline *m = NULL;
    char sess_dir[12] = "sendrecv";
    gchar **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *l = g_strchomp(lines[i]);
        if (g_str_has_prefix(l, "m=")) {
            if (out->n_mlines >= BSDP_MAX_MLINES) {
                m = NULL;
                continue;
            }
            m = &out->m[out->n_mlines++];
            memset(m, 0, sizeof *m);
            m->pt = -1;
            g_strlcpy(m->dir, sess_dir, sizeof m->dir);
            char media[16] = "";
            int port = 0, pt = -1;
            char proto[64];
            int k = sscanf(l + 2, "%15s %d %63s %d", media, &port, proto, &pt);
            g_strlcpy(m->media, media, sizeof m->media);
            m->port = port;
            if (k == 4)
                m->pt = pt;
        } else if (g_str_has_prefix(l, "a=ice-ufrag:")) {
            copy_val(out->ufrag, sizeof out->ufrag, l + 12);
        } else if (g_str_has_prefix(l, "a=ice-pwd:")) {
            copy_val(out->pwd, sizeof out->pwd, l + 10);
        } else if (g_str_has_prefix(l, "a=fingerprint:")) {
            char h[16] = "", v[200] = "";
            if (sscanf(l + 14, "%15s %199s", h, v) == 2) {
                g_strlcpy(out->fp_hash, h, sizeof out->fp_hash);
                g_strlcpy(out->fp_value, v, sizeof out->fp_value);
            }
        } else if (!strcmp(l, "a=ice-lite")) {
            out->ice_lite = true;
        } else if (g_str_has_prefix(l, "a=setup:")) {
            copy_val(out->setup, sizeof out->setup, l + 8);
        } else if (g_str_has_prefix(l, "a=candidate:")) {
            if (out->n_cands < BSDP_MAX_CANDS)
                copy_val(out->cands[out->n_cands++], sizeof out->cands[0], l + 2);
        } else if (!strcmp(l, "a=sendrecv") || !strcmp(l, "a=sendonly") ||
                   !strcmp(l, "a=recvonly") || !strcmp(l, "a=inactive")) {
            g_strlcpy(m ? m->dir : sess_dir, l + 2, sizeof sess_dir);
        } else if (m && g_str_has_prefix(l, "a=mid:")) {
            copy_val(m->mid, sizeof m->mid, l + 6);
        } else if (m && g_str_has_prefix(l, "a=ssrc:") && !m->ssrc) {
            m->ssrc = (uint32_t)strtoul(l + 7, NULL, 10);
        } else if (m && g_str_has_prefix(l, "a=msid:")) {
            copy_val(m->owner, sizeof m->owner, l + 7);
            m->owner[strcspn(m->owner, " ")] = 0;
        } else if (m && g_str_has_prefix(l, "a=rtpmap:")) {
            int pt = atoi(l + 9);
            const char *sp = strchr(l, ' ');
            if (pt == m->pt && sp && !m->codec[0]) {
                gchar **enc = g_strsplit(sp + 1, "/", 3);
                g_strlcpy(m->codec, enc[0] ? enc[0] : "", sizeof m->codec);
                m->clock = enc[0] && enc[1] ? atoi(enc[1]) : 0;
                m->channels = enc[0] && enc[1] && enc[2] ? atoi(enc[2]) : 1;
                g_strfreev(enc);
            }
        }
    }
    g_strfreev(lines);
    if (!out->ufrag[0] || !out->pwd[0] || !out->fp_value[0] || out->n_mlines == 0)
        return -1;
    return 0;
}

static void common_attrs(GString *s, const bsdp_local *l, const char *setup)
{
    g_string_append_printf(s,
                           "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
                           "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
                           "a=fingerprint:sha-256 %s\r\na=setup:%s\r\n",
                           l->ufrag, l->pwd, l->fingerprint, setup);
}

static void candidates(GString *s, const bsdp_local *l)
{
    for (int i = 0; i < l->n_cands; i++)
        g_string_append_printf(s, "a=%s\r\n", l->cands[i]);
    g_string_append(s, "a=end-of-candidates\r\n");
}

static void session_head(GString *s)
{
    g_string_append_printf(
        s, "v=0\r\no=- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        (guint64)g_random_int() << 20 | g_random_int_range(0, 1 << 20));
}

char *bsdp_write_pub_offer(const bsdp_local *l)
{
    GString *s = g_string_new(NULL);
    session_head(s);
    g_string_append(s, "a=group:BUNDLE 0 1\r\na=msid-semantic: WMS tbbench\r\n");
    g_string_append(s, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    common_attrs(s, l, "actpass");
    g_string_append_printf(s,
                           "a=mid:0\r\na=sendonly\r\na=msid:tbbench a0\r\na=rtcp-mux\r\n"
                           "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
                           "a=ssrc:%u cname:tbbench\r\na=ssrc:%u msid:tbbench a0\r\n",
                           l->audio_ssrc, l->audio_ssrc);
    candidates(s, l);
    g_string_append(s, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
    common_attrs(s, l, "actpass");
    g_string_append_printf(s,
                           "a=mid:1\r\na=sendonly\r\na=msid:tbbench v0\r\na=rtcp-mux\r\n"
                           "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\n"
                           "a=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
                           "a=ssrc:%u cname:tbbench\r\na=ssrc:%u msid:tbbench v0\r\n",
                           l->video_ssrc, l->video_ssrc);
    candidates(s, l);
    return g_string_free(s, FALSE);
}

static const char *answer_dir(const char *offer_dir)
{
    if (!strcmp(offer_dir, "sendonly") || !strcmp(offer_dir, "sendrecv"))
        return "recvonly";
    return "inactive";
}

char *bsdp_write_sub_answer(const bsdp *o, const bsdp_local *l)
{
    const char *setup = !strcmp(o->setup, "active") ? "passive" : "active";
    GString *s = g_string_new(NULL);
    session_head(s);
    GString *bundle = g_string_new("a=group:BUNDLE");
    for (int i = 0; i < o->n_mlines; i++) {
        const bsdp_mline *m = &o->m[i];
        bool av = !strcmp(m->media, "audio") || !strcmp(m->media, "video");
        if (av && m->port != 0 && m->pt >= 0)
            g_string_append_printf(bundle, " %s", m->mid);
    }
    g_string_append_printf(s, "%s\r\na=msid-semantic: WMS\r\n", bundle->str);
    g_string_free(bundle, TRUE);
    bool first = true;
    for (int i = 0; i < o->n_mlines; i++) {
        const bsdp_mline *m = &o->m[i];
        bool av = !strcmp(m->media, "audio") || !strcmp(m->media, "video");
        if (!av || m->port == 0 || m->pt < 0) {
            g_string_append_printf(s, "m=%s 0 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n",
                                   m->media, m->pt < 0 ? 0 : m->pt);
            if (m->mid[0])
                g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
            g_string_append(s, "a=inactive\r\n");
            continue;
        }
        g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\n", m->media, m->pt);
        common_attrs(s, l, setup);
        g_string_append_printf(s, "a=mid:%s\r\na=%s\r\na=rtcp-mux\r\n", m->mid, answer_dir(m->dir));
        if (m->codec[0]) {
            if (m->channels > 1)
                g_string_append_printf(s, "a=rtpmap:%d %s/%d/%d\r\n", m->pt, m->codec, m->clock,
                                       m->channels);
            else
                g_string_append_printf(s, "a=rtpmap:%d %s/%d\r\n", m->pt, m->codec, m->clock);
        }
        if (first)
            candidates(s, l);
        first = false;
    }
    return g_string_free(s, FALSE);
}
