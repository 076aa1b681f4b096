/* clip.c — the media the generator replays: VP8 or Opus RTP, encoded once with
 * GStreamer at the asked bitrate and cached as an RFC 4571 stream (2-byte length before
 * each packet), then replayed with its own timing. Encoding once keeps the encoder's CPU
 * out of the measurement, and the same bytes go to both servers.
 *
 * Video is a moving SMPTE pattern: with it vp8enc's CBR mode lands within ~10 % of the
 * asked bitrate (a still pattern undershoots it; noise overshoots it sixfold). */
#include "tests/bench/bench.h"
#include "relay/rtp.h"
#include "common/tb_error.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define CLIP_SECONDS 10

int bclip_parse(const uint8_t *buf, size_t len, uint32_t clock, bool vp8, int64_t frame_us,
                bclip *out)
{
    memset(out, 0, sizeof *out);
    out->clock = clock;
    GArray *pkts = g_array_new(FALSE, TRUE, sizeof(bclip_pkt));
    size_t o = 0;
    uint32_t ts0 = 0;
    bool new_frame = true;
    while (o + 2 <= len) {
        size_t n = (size_t)buf[o] << 8 | buf[o + 1];
        o += 2;
        if (n > len - o)
            break;
        tb_relay_rtp_header h;
        if (n <= 1400 && tb_relay_rtp_parse(buf + o, n, &h) == TB_OK && !h.has_padding) {
            bclip_pkt p = {0};
            if (pkts->len == 0)
                ts0 = h.timestamp;
            p.off = (uint32_t)o;
            p.len = (uint16_t)n;
            p.rel_ts = h.timestamp - ts0;
            p.rel_us = (int64_t)p.rel_ts * 1000000 / clock;
            p.keyframe = vp8 && new_frame &&
                         tb_relay_vp8_is_keyframe(buf + o + h.payload_offset, h.payload_len);
            new_frame = h.marker;
            out->bytes += n;
            g_array_append_val(pkts, p);
        }
        o += n;
    }
    if (pkts->len < 2) {
        g_array_free(pkts, TRUE);
        return -1;
    }
    out->data = g_memdup2(buf, len);
    out->data_len = len;
    out->n = pkts->len;
    out->pkts = (bclip_pkt *)g_array_free(pkts, FALSE);
    out->dur_us = out->pkts[out->n - 1].rel_us + frame_us;
    out->dur_ts = (uint32_t)(out->dur_us * clock / 1000000);
    return 0;
}

void bclip_clear(bclip *c)
{
    g_free(c->data);
    g_free(c->pkts);
    memset(c, 0, sizeof *c);
}

int bclip_load(const char *dir, const char *kind, int kbps, bclip *out, char *err, size_t errlen)
{
    bool video = !strcmp(kind, "video");
    g_autofree char *path = g_strdup_printf("%s/%s-%dk.rtp", dir, kind, kbps);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_mkdir_with_parents(dir, 0755);
        g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
        g_autofree char *pipe = NULL;
        if (video)
            pipe = g_strdup_printf(
                "gst-launch-1.0 -q videotestsrc pattern=smpte horizontal-speed=8 num-buffers=%d ! "
                "video/x-raw,width=640,height=360,framerate=30/1 ! "
                "vp8enc target-bitrate=%d end-usage=cbr deadline=1 cpu-used=8 threads=2 "
                "keyframe-max-dist=60 ! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit ! "
                "rtpstreampay ! filesink location='%s'",
                CLIP_SECONDS * 30, kbps * 1000, tmp);
        else
            pipe =
                g_strdup_printf("gst-launch-1.0 -q audiotestsrc wave=pink-noise num-buffers=%d "
                                "samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! "
                                "opusenc bitrate=%d frame-size=20 ! rtpopuspay pt=111 mtu=1200 ! "
                                "rtpstreampay ! filesink location='%s'",
                                CLIP_SECONDS * 50, kbps * 1000, tmp);
        int status = system(pipe);
        if (status != 0 || rename(tmp, path) != 0) {
            snprintf(err, errlen, "encoding the %s clip failed (%s)", kind, pipe);
            return -1;
        }
    }
    gchar *buf = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &buf, &len, NULL)) {
        snprintf(err, errlen, "cannot read %s", path);
        return -1;
    }
    int rc = bclip_parse((const uint8_t *)buf, len, video ? 90000 : 48000, video,
                         video ? 33333 : 20000, out);
    g_free(buf);
    if (rc)
        snprintf(err, errlen, "%s holds no usable RTP", path);
    return rc;
}
