/* track.c — one recorded track: a GStreamer pipeline of its own,
 *
 *   udpsrc (127.0.0.1, plain RTP from the relay's tap: connected to the tap's address, so
 *           nobody else's datagrams get in) → rtpjitterbuffer → depayloader
 *   [→ h264parse] → webmmux | matroskamux → filesink buffer-mode=unbuffered
 *
 * plus a socket for the publisher's RTCP, read on the main loop for its sender reports.
 *
 * Why a pipeline per track: a track starts and ends on its own (participants come and go)
 * and a write error must end only its file; separate pipelines make each of those a
 * plain state change instead of dynamic relinking inside one running pipeline.
 *
 * Timestamps. The file's timeline is the sender's RTP clock, not the arrival times: a
 * probe before the depayloader sets each packet's PTS from its (unwrapped) RTP
 * timestamp, and a probe after it shifts everything so that the first written frame
 * (for video the first keyframe: earlier frames are dropped, a decoder could not use
 * them) is at 0. So one RTP timestamp, `rtp_zero`, maps the whole file to the sender's
 * clock, and the first packet's arrival maps it to ours; the manifest stores both.
 *
 * Crash safety (docs/platform.md): Matroska stays decodable up to its last written
 * frame when the process is killed; filesink is unbuffered so that what the muxer wrote
 * is in the kernel's page cache at once, and the jitterbuffer's latency is kept short,
 * which together bound the loss at a kill to a few hundred milliseconds. */
#define TB_LOG_CAT "rec/track"
#include "recorder/internal.h"
#include "common/tb_log.h"

#include <gio/gio.h>
#include <gst/rtp/rtp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#define JITTER_LATENCY_MS 150
#define EOS_TIMEOUT_MS    4000
#define KEYFRAME_WAIT_US  (1500 * 1000)
#define KEYFRAME_RETRY_US (2000 * 1000)
#define MAX_SR_SOURCES    8
/* The payload type the pipeline's caps name: every packet is rewritten to it (see
 * in_probe), since tb_relay.h does not say which type the publisher negotiated. */
#define RTP_PT 96

typedef struct sr_entry {
    uint32_t ssrc;
    uint64_t ntp;
    uint32_t rtp;
} sr_entry;

struct rec_track {
    gint refs;
    char *id;
    char *codec;
    int clock_rate;
    bool video;
    rec_track_events ev; /* [main] */
    void *user;

    GstElement *pipeline; /* [main] owned */
    GstElement *src;      /* [main] borrowed from the pipeline */
    GSocket *rtp_sock, *rtcp_sock;
    GSource *rtcp_source;
    int rtp_port, rtcp_port;
    guint bus_watch, timer, eos_timer;
    bool stopping, ended, destroyed;               /* [main] */
    int64_t created_mono_us, last_keyframe_req_us; /* [main] */
    sr_entry srs[MAX_SR_SOURCES];                  /* [main] latest SR per SSRC */
    int n_srs;
    bool synced_sent; /* [main] */

    /* [depayloader input thread] RTP timestamp unwrapping */
    bool have_ext;
    uint64_t ext_last, ext0;

    /* Timing shared between streaming threads and the main thread. */
    GMutex lock;
    bool have_arrival;
    int64_t arrival_wall_us;
    uint32_t arrival_rtp;
    uint32_t ssrc;
    int64_t origin_us; /* [const] wall clock of the file's time 0 */
    bool started;
    GstClockTime first_pts;    /* on the unwrapped-RTP timeline */
    GstClockTime first_offset; /* file time of the first frame */
    uint32_t rtp_zero;
    int64_t sender_start_us;
    GstClockTime last_end; /* file time */
    uint64_t frames;
};

static rec_track *track_ref(rec_track *t)
{
    g_atomic_int_inc(&t->refs);
    return t;
}

static void track_unref(gpointer p)
{
    rec_track *t = p;
    if (!g_atomic_int_dec_and_test(&t->refs))
        return;
    g_mutex_clear(&t->lock);
    g_free(t->id);
    g_free(t->codec);
    g_free(t);
}

const char *rec_track_id(const rec_track *t)
{
    return t->id;
}
int rec_track_rtp_port(const rec_track *t)
{
    return t->rtp_port;
}
int rec_track_rtcp_port(const rec_track *t)
{
    return t->rtcp_port;
}
bool rec_track_is_ended(const rec_track *t)
{
    return t->ended;
}

/* ---- posting from streaming threads to the main loop ---- */

typedef void (*main_fn)(rec_track *t);

typedef struct post_data {
    rec_track *t; /* ref */
    main_fn fn;
} post_data;

static gboolean post_run(gpointer data)
{
    post_data *p = data;
    if (!p->t->destroyed)
        p->fn(p->t);
    return G_SOURCE_REMOVE;
}

static void post_free(gpointer data)
{
    post_data *p = data;
    track_unref(p->t);
    g_free(p);
}

static void post_main(rec_track *t, main_fn fn)
{
    post_data *p = g_new0(post_data, 1);
    p->t = track_ref(t);
    p->fn = fn;
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, post_run, p, post_free);
}

/* ---- timing ---- */

/* Called with the lock held. */
static int64_t start_us_locked(const rec_track *t)
{
    if (!t->started || !t->have_arrival)
        return 0;
    return t->arrival_wall_us + tb_rec_rtp_diff_us(t->rtp_zero, t->arrival_rtp, t->clock_rate);
}

void rec_track_timing_get(rec_track *t, rec_track_timing *out)
{
    g_mutex_lock(&t->lock);
    out->ssrc = t->ssrc;
    out->start_us = start_us_locked(t);
    out->first_us = (int64_t)(t->first_offset / 1000);
    out->sender_start_us = t->sender_start_us;
    out->end_us = out->start_us ? out->start_us + (int64_t)(t->last_end / 1000) : 0;
    out->frames = t->frames;
    g_mutex_unlock(&t->lock);
}

/* Once started and a sender report of our SSRC is known: the sender's clock at file 0. */
static void try_sync(rec_track *t)
{
    if (t->synced_sent)
        return;
    g_mutex_lock(&t->lock);
    bool ready = false;
    for (int i = 0; t->started && t->have_arrival && i < t->n_srs; i++)
        if (t->srs[i].ssrc == t->ssrc) {
            t->sender_start_us = tb_rec_ntp_to_unix_us(t->srs[i].ntp) +
                                 tb_rec_rtp_diff_us(t->rtp_zero, t->srs[i].rtp, t->clock_rate);
            ready = true;
        }
    g_mutex_unlock(&t->lock);
    if (ready) {
        t->synced_sent = true;
        if (t->ev.synced)
            t->ev.synced(t->user, t);
    }
}

static void on_started_main(rec_track *t)
{
    TB_LOG_INFO("[%s] first %s written", t->id, t->video ? "keyframe" : "packet");
    if (t->ev.started)
        t->ev.started(t->user, t);
    try_sync(t);
}

/* ---- probes (streaming threads) ---- */

/* udpsrc output, per packet:
 *  - one payload type for the jitterbuffer and depayloader, whatever the publisher chose
 *    (the tap carries this track's packets only);
 *  - our clock's reading of the sender's: the wall clock at RTP timestamp arrival_rtp is
 *    the least (arrival - RTP time elapsed) seen. A packet is never early, so the least
 *    delay is the truest; the first packet alone can be late (a retransmission, a busy
 *    moment of this process). */
static GstPadProbeReturn in_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    rec_track *t = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstMapInfo map;
    if (!buf || gst_buffer_get_size(buf) < 12)
        return GST_PAD_PROBE_OK; /* not RTP: the jitterbuffer drops it */
    buf = gst_buffer_make_writable(buf);
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    if (!gst_buffer_map(buf, &map, GST_MAP_READWRITE))
        return GST_PAD_PROBE_OK;
    if ((map.data[0] >> 6) != 2) {
        gst_buffer_unmap(buf, &map);
        return GST_PAD_PROBE_OK;
    }
    map.data[1] = (guint8)((map.data[1] & 0x80) | RTP_PT); /* keep the marker bit */
    uint32_t ts = GST_READ_UINT32_BE(map.data + 4), ssrc = GST_READ_UINT32_BE(map.data + 8);
    gst_buffer_unmap(buf, &map);
    int64_t now = g_get_real_time();
    g_mutex_lock(&t->lock);
    if (!t->have_arrival || ssrc != t->ssrc) {
        t->arrival_wall_us = now;
        t->arrival_rtp = ts;
        t->ssrc = ssrc;
        t->have_arrival = true;
    } else {
        int64_t at_ref = now - tb_rec_rtp_diff_us(ts, t->arrival_rtp, t->clock_rate);
        if (at_ref < t->arrival_wall_us)
            t->arrival_wall_us = at_ref;
    }
    g_mutex_unlock(&t->lock);
    return GST_PAD_PROBE_OK;
}

/* Depayloader input: PTS from the RTP timestamp, unwrapped (RFC 3550 §5.1). */
static GstPadProbeReturn rtp_time_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    rec_track *t = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!buf || !gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
        return GST_PAD_PROBE_OK;
    uint32_t ts = gst_rtp_buffer_get_timestamp(&rtp);
    gst_rtp_buffer_unmap(&rtp);
    if (!t->have_ext) {
        /* Start far from 0 so that a packet slightly before the first never underflows. */
        t->ext0 = t->ext_last = ((uint64_t)1 << 40) + ts;
        t->have_ext = true;
    } else {
        t->ext_last += (uint64_t)(int64_t)(int32_t)(ts - (uint32_t)t->ext_last);
    }
    uint64_t ticks = t->ext_last > t->ext0 ? t->ext_last - t->ext0 : 0;
    buf = gst_buffer_make_writable(buf);
    GST_BUFFER_PTS(buf) = gst_util_uint64_scale(ticks, GST_SECOND, (guint64)t->clock_rate);
    GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    return GST_PAD_PROBE_OK;
}

/* Muxer input: video starts at a keyframe; the first written frame becomes time 0. */
static GstPadProbeReturn gate_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    rec_track *t = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buf || !GST_BUFFER_PTS_IS_VALID(buf))
        return GST_PAD_PROBE_DROP;
    bool first = false;
    g_mutex_lock(&t->lock);
    if (!t->started) {
        if (t->video && GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
            g_mutex_unlock(&t->lock);
            return GST_PAD_PROBE_DROP;
        }
        t->started = first = true;
        t->first_pts = GST_BUFFER_PTS(buf);
        uint64_t ticks = gst_util_uint64_scale(t->first_pts, (guint64)t->clock_rate, GST_SECOND);
        uint32_t rtp_first = (uint32_t)(t->ext0 + ticks);
        /* The first frame is placed at its time since the segment began (its capture
         * mapped to our clock by the first packet's arrival). */
        int64_t wall =
            t->arrival_wall_us + tb_rec_rtp_diff_us(rtp_first, t->arrival_rtp, t->clock_rate);
        int64_t off_us = t->have_arrival ? MAX(wall - t->origin_us, 0) : 0;
        t->first_offset = (GstClockTime)off_us * 1000;
        t->rtp_zero = rtp_first - (uint32_t)gst_util_uint64_scale((guint64)off_us,
                                                                  (guint64)t->clock_rate, 1000000);
    }
    GstClockTime pts = GST_BUFFER_PTS(buf);
    pts = (pts > t->first_pts ? pts - t->first_pts : 0) + t->first_offset;
    GstClockTime dur = GST_BUFFER_DURATION(buf);
    GstClockTime end = pts + (GST_CLOCK_TIME_IS_VALID(dur) ? dur : 0);
    if (end > t->last_end)
        t->last_end = end;
    t->frames++;
    g_mutex_unlock(&t->lock);
    buf = gst_buffer_make_writable(buf);
    GST_BUFFER_PTS(buf) = pts;
    GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    if (first)
        post_main(t, on_started_main);
    return GST_PAD_PROBE_OK;
}

/* ---- RTCP (main thread) ---- */

static void rtcp_packet(rec_track *t, const guint8 *data, gsize len)
{
    GstBuffer *b = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, (gpointer)data, len, 0,
                                               len, NULL, NULL);
    GstRTCPBuffer r = GST_RTCP_BUFFER_INIT;
    if (gst_rtcp_buffer_validate_reduced(b) && gst_rtcp_buffer_map(b, GST_MAP_READ, &r)) {
        GstRTCPPacket p;
        for (gboolean ok = gst_rtcp_buffer_get_first_packet(&r, &p); ok;
             ok = gst_rtcp_packet_move_to_next(&p)) {
            if (gst_rtcp_packet_get_type(&p) != GST_RTCP_TYPE_SR)
                continue;
            guint32 ssrc, rtptime, pc, oc;
            guint64 ntp;
            gst_rtcp_packet_sr_get_sender_info(&p, &ssrc, &ntp, &rtptime, &pc, &oc);
            int i = 0;
            while (i < t->n_srs && t->srs[i].ssrc != ssrc)
                i++;
            if (i == t->n_srs) {
                if (t->n_srs == MAX_SR_SOURCES)
                    continue;
                t->n_srs++;
            }
            t->srs[i] = (sr_entry){ssrc, ntp, rtptime};
        }
        gst_rtcp_buffer_unmap(&r);
    }
    gst_buffer_unref(b);
    try_sync(t);
}

static gboolean on_rtcp(GSocket *sock, GIOCondition cond, gpointer data)
{
    rec_track *t = data;
    guint8 buf[2048];
    for (int n = 0; n < 64; n++) {
        gssize len = g_socket_receive(sock, (gchar *)buf, sizeof buf, NULL, NULL);
        if (len <= 0)
            break;
        rtcp_packet(t, buf, (gsize)len);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ---- */

static void finish(rec_track *t)
{
    if (t->ended)
        return;
    t->ended = true;
    if (t->eos_timer) {
        g_source_remove(t->eos_timer);
        t->eos_timer = 0;
    }
    gst_element_set_state(t->pipeline, GST_STATE_NULL);
    if (t->rtcp_source) {
        g_source_destroy(t->rtcp_source);
        g_source_unref(t->rtcp_source);
        t->rtcp_source = NULL;
    }
    if (t->ev.ended)
        t->ev.ended(t->user, t);
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    rec_track *t = data;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
        TB_LOG_INFO("[%s] file closed", t->id);
        finish(t);
        break;
    case GST_MESSAGE_ERROR: {
        GError *e = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &e, &dbg);
        const char *code = g_error_matches(e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT)
                               ? "disk_full"
                               : "write_error";
        TB_LOG_ERR("[%s] %s: %s (%s)", t->id, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), e->message,
                   dbg ? dbg : "");
        if (!t->ended && t->ev.error)
            t->ev.error(t->user, t, code, e->message);
        g_error_free(e);
        g_free(dbg);
        finish(t);
        break;
    }
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_timer(gpointer data)
{
    rec_track *t = data;
    int64_t now = g_get_monotonic_time();
    g_mutex_lock(&t->lock);
    bool started = t->started;
    g_mutex_unlock(&t->lock);
    if (t->video && !started && !t->stopping && now - t->created_mono_us >= KEYFRAME_WAIT_US &&
        now - t->last_keyframe_req_us >= KEYFRAME_RETRY_US) {
        t->last_keyframe_req_us = now;
        if (t->ev.need_keyframe)
            t->ev.need_keyframe(t->user, t);
    }
    if (started && t->video) {
        t->timer = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static GSocket *loopback_socket(int *port, char *err, size_t errlen)
{
    GError *gerr = NULL;
    GSocket *s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &gerr);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *a = g_inet_socket_address_new(lo, 0);
    g_object_unref(lo);
    if (s && g_socket_bind(s, a, FALSE, &gerr)) {
        GSocketAddress *bound = g_socket_get_local_address(s, &gerr);
        if (bound) {
            *port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
            g_object_unref(bound);
        }
    }
    g_object_unref(a);
    if (gerr) {
        snprintf(err, errlen, "socket: %s", gerr->message);
        g_error_free(gerr);
        g_clear_object(&s);
        return NULL;
    }
    /* Keyframes arrive as bursts of dozens of packets: room for them in the kernel. */
    g_socket_set_option(s, SOL_SOCKET, SO_RCVBUF, 1 << 20, NULL);
    return s;
}

/* Only the relay's tap may write to a track: a connected UDP socket receives datagrams
 * from its peer address alone, the kernel drops those of any other sender (udp(7)), so
 * another local process cannot put RTP or RTCP into a recording, and it costs the relay
 * nothing per packet. The tap's port is bound by the relay, so no other process can send
 * from it. */
static bool connect_source(GSocket *s, int port, char *err, size_t errlen)
{
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *a = g_inet_socket_address_new(lo, (guint16)port);
    g_object_unref(lo);
    GError *gerr = NULL;
    bool ok = g_socket_connect(s, a, NULL, &gerr);
    g_object_unref(a);
    if (!ok) {
        snprintf(err, errlen, "connect to the tap at 127.0.0.1:%d: %s", port, gerr->message);
        g_error_free(gerr);
    }
    return ok;
}

/* The depayloader chain and the muxer for a codec; NULL when unknown. */
static bool codec_elements(const char *codec, const char **enc, const char **chain,
                           const char **mux)
{
    static const struct {
        const char *name, *enc, *chain, *mux;
    } table[] = {
        {"opus", "OPUS", "rtpopusdepay ! opusparse", "webmmux"},
        {"vp8", "VP8", "rtpvp8depay", "webmmux"},
        {"vp9", "VP9", "rtpvp9depay", "webmmux"},
        {"h264", "H264", "rtph264depay ! h264parse", "matroskamux"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
        if (!g_ascii_strcasecmp(codec, table[i].name)) {
            *enc = table[i].enc;
            *chain = table[i].chain;
            *mux = table[i].mux;
            return true;
        }
    return false;
}

static bool build_pipeline(rec_track *t, const char *kind, const char *path, char *err,
                           size_t errlen)
{
    const char *enc, *chain, *mux;
    if (!codec_elements(t->codec, &enc, &chain, &mux)) {
        snprintf(err, errlen, "codec %s cannot be recorded", t->codec);
        return false;
    }
    g_autofree char *desc = g_strdup_printf(
        "udpsrc name=src retrieve-sender-address=false close-socket=false "
        "caps=\"application/x-rtp,media=%s,payload=%d,clock-rate=%d,encoding-name=%s\" "
        "! rtpjitterbuffer name=jb latency=%d ! %s ! identity name=gate silent=true "
        "! %s name=mux writing-app=Telebridge ! filesink name=sink buffer-mode=unbuffered",
        kind, RTP_PT, t->clock_rate, enc, JITTER_LATENCY_MS, chain, mux);
    GError *gerr = NULL;
    t->pipeline = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &gerr);
    if (!t->pipeline) {
        snprintf(err, errlen, "pipeline: %s", gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return false;
    }
    g_autofree char *name = g_strdup_printf("track-%s", t->id);
    gst_object_set_name(GST_OBJECT(t->pipeline), name);
    t->src = gst_bin_get_by_name(GST_BIN(t->pipeline), "src");
    g_object_set(t->src, "socket", t->rtp_sock, NULL);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(t->pipeline), "sink");
    g_object_set(sink, "location", path, NULL);
    gst_object_unref(sink);

    GstPad *pad = gst_element_get_static_pad(t->src, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, in_probe, t, NULL);
    gst_object_unref(pad);
    /* The depayloader's input is the jitterbuffer's output. */
    GstElement *jb = gst_bin_get_by_name(GST_BIN(t->pipeline), "jb");
    pad = gst_element_get_static_pad(jb, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, rtp_time_probe, t, NULL);
    gst_object_unref(pad);
    gst_object_unref(jb);
    GstElement *gate = gst_bin_get_by_name(GST_BIN(t->pipeline), "gate");
    pad = gst_element_get_static_pad(gate, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, t, NULL);
    gst_object_unref(pad);
    gst_object_unref(gate);
    return true;
}

rec_track *rec_track_create(const char *id, const char *kind, const char *codec, int clock_rate,
                            int64_t origin_us, int source_port, const char *path,
                            const rec_track_events *ev, void *user, char *err, size_t errlen)
{
    rec_track *t = g_new0(rec_track, 1);
    t->origin_us = origin_us;
    t->refs = 1;
    g_mutex_init(&t->lock);
    t->id = g_strdup(id);
    t->codec = g_strdup(codec);
    t->clock_rate = clock_rate > 0 ? clock_rate : (!strcmp(kind, "audio") ? 48000 : 90000);
    t->video = !strcmp(kind, "video");
    t->ev = *ev;
    t->user = user;
    t->created_mono_us = g_get_monotonic_time();
    t->rtp_sock = loopback_socket(&t->rtp_port, err, errlen);
    t->rtcp_sock = t->rtp_sock ? loopback_socket(&t->rtcp_port, err, errlen) : NULL;
    bool connected = t->rtcp_sock &&
                     (source_port <= 0 || (connect_source(t->rtp_sock, source_port, err, errlen) &&
                                           connect_source(t->rtcp_sock, source_port, err, errlen)));
    if (!connected || !build_pipeline(t, kind, path, err, errlen)) {
        rec_track_destroy(t);
        return NULL;
    }
    g_socket_set_blocking(t->rtcp_sock, FALSE);
    t->rtcp_source = g_socket_create_source(t->rtcp_sock, G_IO_IN, NULL);
    g_source_set_callback(t->rtcp_source, (GSourceFunc)(void (*)(void))on_rtcp, t, NULL);
    g_source_attach(t->rtcp_source, NULL);
    GstBus *bus = gst_element_get_bus(t->pipeline);
    t->bus_watch = gst_bus_add_watch(bus, on_bus, t);
    gst_object_unref(bus);
    t->timer = g_timeout_add(500, on_timer, t);
    if (gst_element_set_state(t->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        snprintf(err, errlen, "cannot start the pipeline for %s", path);
        rec_track_destroy(t);
        return NULL;
    }
    TB_LOG_INFO("[%s] recording %s %s to %s (RTP on 127.0.0.1:%d, from %s)", id, kind, codec, path,
                t->rtp_port, source_port > 0 ? "the tap only" : "any local sender");
    return t;
}

static gboolean on_eos_timeout(gpointer data)
{
    rec_track *t = data;
    t->eos_timer = 0;
    TB_LOG_WARN("[%s] no EOS after %d ms: closing the file without its index", t->id,
                EOS_TIMEOUT_MS);
    finish(t);
    return G_SOURCE_REMOVE;
}

void rec_track_stop(rec_track *t)
{
    if (t->stopping || t->ended)
        return;
    t->stopping = true;
    /* EOS from the source runs through the jitterbuffer (which pushes what it holds) and
     * the muxer (which writes duration and cues), then reaches the bus. */
    gst_element_send_event(t->src, gst_event_new_eos());
    t->eos_timer = g_timeout_add(EOS_TIMEOUT_MS, on_eos_timeout, t);
}

void rec_track_destroy(rec_track *t)
{
    if (!t || t->destroyed)
        return;
    t->destroyed = true;
    if (t->timer)
        g_source_remove(t->timer);
    if (t->eos_timer)
        g_source_remove(t->eos_timer);
    if (t->bus_watch)
        g_source_remove(t->bus_watch);
    if (t->pipeline) {
        gst_element_set_state(t->pipeline, GST_STATE_NULL);
        gst_object_unref(t->src);
        gst_object_unref(t->pipeline);
    }
    if (t->rtcp_source) {
        g_source_destroy(t->rtcp_source);
        g_source_unref(t->rtcp_source);
    }
    if (t->rtp_sock)
        g_socket_close(t->rtp_sock, NULL);
    if (t->rtcp_sock)
        g_socket_close(t->rtcp_sock, NULL);
    g_clear_object(&t->rtp_sock);
    g_clear_object(&t->rtcp_sock);
    track_unref(t);
}
