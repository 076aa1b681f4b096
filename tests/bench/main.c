/* main.c — tb-bench, the load generator: N publishers replaying VP8 + Opus, M subscribers
 * counting what arrives, against Telebridge or Janus; or, with --floor, the cost of one
 * SRTP protect plus one UDP send per packet on this machine.
 *
 *   tb-bench --server tb --port 8080 --publishers 1 --subscribers 100 --server-pid PID
 *   tb-bench --server janus --port 8188 --janus-room 1234 --roundtable 6 ...
 *   tb-bench --floor
 *
 * Phases: publishers join and connect; subscribers join in batches of --join-batch (all at
 * once when it equals --subscribers); --warmup seconds; a measurement window of --duration
 * seconds in which the server's CPU time (/proc/PID/stat, all threads) is divided by the
 * RTP packets the subscribers received; then publishers stop and, after the packets in
 * flight have arrived, loss is counted per stream by sequence number. Figures go to
 * stdout and to --json. Speed never makes the exit status fail; --expect-media does make
 * it fail when a subscriber received nothing or lost packets (the CI smoke test), and
 * --expect-all-tracks when a subscriber missed any publisher's track (the full-room test,
 * tests/bench/fullroom.sh). Publishers (not round-table participants) receive nothing,
 * with either server. */
#include "tests/bench/gen.h"
#include "common/tb_error.h"
#include "relay/rtp.h"
#include "relay/srtp_out.h"
#include "common/tb_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 2

static bgen G;

static int64_t now_us(void)
{
    return g_get_monotonic_time();
}

static int64_t self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
           (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

/* Runs the main loop until pred() holds or the deadline passes. */
static bool run_until(bool (*pred)(void), double seconds)
{
    int64_t end = now_us() + (int64_t)(seconds * 1e6);
    while (!(pred && pred()) && now_us() < end)
        g_main_context_iteration(NULL, TRUE);
    return pred && pred();
}

static gboolean tick(gpointer data)
{
    int64_t t = now_us();
    for (guint i = 0; i < G.parts->len; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (p->ppc)
            bpc_pump(p->ppc, t);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean wake(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

static bool publishers_up(void)
{
    for (guint i = 0; i < G.parts->len; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (p->pub && !p->failed &&
            !(p->ppc && p->ppc->sending && (G.server == BSERVER_TB || p->feed)))
            return false;
    }
    return true;
}

static int batch_from, batch_to;

static bool batch_joined(void)
{
    for (int i = batch_from; i < batch_to; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (p->sub && !p->joined && !p->failed)
            return false;
    }
    return true;
}

static uint64_t rx_total(void)
{
    uint64_t n = 0;
    for (guint i = 0; i < G.parts->len; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (p->spc)
            n += p->spc->rx_pkts;
    }
    return n;
}

static double ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* ---- the floor: one SRTP protect and one UDP send per packet ---- */

/* relay_protect: the relay's own outbound protect (relay/srtp_out.c, OpenSSL) instead of
 * libsrtp's. */
static double floor_us(tb_relay_srtp_profile profile, size_t pkt_len, int count, bool relay_protect)
{
    tb_relay_srtp_keys k = {.profile = profile,
                            .key_len = 16,
                            .salt_len = profile == TB_RELAY_SRTP_AEAD_AES_128_GCM ? 12 : 14};
    for (int i = 0; i < 16; i++)
        k.local_key[i] = k.remote_key[i] = (uint8_t)(i * 13 + 1);
    tb_relay_srtp *s = tb_relay_srtp_create(&k);
    tb_relay_srtp_out *o = relay_protect ? tb_relay_srtp_out_create(&k) : NULL;
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int tx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    bind(rx, (struct sockaddr *)&sa, sizeof sa);
    getsockname(rx, (struct sockaddr *)&sa, &sl);
    connect(tx, (struct sockaddr *)&sa, sizeof sa);
    union {
        uint8_t b[1600];
        uint32_t a;
    } src, buf;
    memset(src.b, 0x5a, sizeof src.b);
    src.b[0] = 0x80;
    src.b[1] = 96;
    uint8_t sink[2048];
    double total = 0;
    for (int done = 0; done < count;) {
        struct timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        int batch = 32;
        for (int i = 0; i < batch; i++, done++) {
            memcpy(buf.b, src.b, pkt_len);
            tb_relay_rtp_set_seq(buf.b, (uint16_t)done);
            size_t len = pkt_len;
            if (o)
                tb_relay_srtp_out_protect(o, buf.b, &len, sizeof buf.b);
            else
                tb_relay_srtp_protect_rtp(s, buf.b, &len, sizeof buf.b);
            (void)!send(tx, buf.b, len, 0);
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        total += (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
        while (recv(rx, sink, sizeof sink, 0) > 0)
            ;
    }
    close(rx);
    close(tx);
    tb_relay_srtp_destroy(s);
    tb_relay_srtp_out_destroy(o);
    return total / count;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One measurement moves by 10-15 % between runs on a shared machine (scheduling, cache
 * and frequency); the median of five, interleaved across the four variants, moves less. */
#define FLOOR_REPS 5

static double floor_median(double v[FLOOR_REPS])
{
    qsort(v, FLOOR_REPS, sizeof v[0], cmp_double);
    return v[FLOOR_REPS / 2];
}

static int run_floor(void)
{
    size_t len = G.video.n ? (size_t)(G.video.bytes / G.video.n) + BENCH_TRAILER_LEN : 1100;
    floor_us(TB_RELAY_SRTP_AES128_CM_SHA1_80, len, 2000, false); /* warm caches */
    double v[4][FLOOR_REPS];
    for (int r = 0; r < FLOOR_REPS; r++) {
        v[0][r] = floor_us(TB_RELAY_SRTP_AES128_CM_SHA1_80, len, 40000, false);
        v[1][r] = floor_us(TB_RELAY_SRTP_AEAD_AES_128_GCM, len, 40000, false);
        v[2][r] = floor_us(TB_RELAY_SRTP_AES128_CM_SHA1_80, len, 40000, true);
        v[3][r] = floor_us(TB_RELAY_SRTP_AEAD_AES_128_GCM, len, 40000, true);
    }
    double cm = floor_median(v[0]), gcm = floor_median(v[1]);
    double cm_r = floor_median(v[2]), gcm_r = floor_median(v[3]);
    printf("floor (%zu-byte packets, median of %d), libsrtp: AES_CM_128_HMAC_SHA1_80 %.2f us, "
           "AEAD_AES_128_GCM %.2f us; relay's protect: %.2f us, %.2f us\n",
           len, FLOOR_REPS, cm, gcm, cm_r, gcm_r);
    if (G.json_path) {
        json_t *o =
            json_pack("{s:s, s:i, s:f, s:f, s:f, s:f}", "kind", "floor", "packet_bytes", (int)len,
                      "cm_us", cm, "gcm_us", gcm, "cm_relay_us", cm_r, "gcm_relay_us", gcm_r);
        json_dump_file(o, G.json_path, JSON_INDENT(2));
        json_decref(o);
    }
    return 0;
}

/* ---- a load run ---- */

static void add_parts(void)
{
    int idx = 0;
    if (G.roundtable) {
        for (int i = 0; i < G.publishers; i++)
            g_ptr_array_add(G.parts, bpart_create(&G, idx++, true, true));
        return;
    }
    for (int i = 0; i < G.publishers; i++)
        g_ptr_array_add(G.parts, bpart_create(&G, idx++, true, false));
    for (int i = 0; i < G.subscribers; i++)
        g_ptr_array_add(G.parts, bpart_create(&G, idx++, false, true));
}

typedef struct result {
    int subs_total, subs_with_media;
    uint64_t expected, lost, window_pkts;
    double window_s, server_cpu_us, gen_cpu_us;
    /* The subscribers' joins: server and generator CPU time from the first join request to
     * the last first packet, and the RTP packets subscribers got meanwhile. */
    double join_server_cpu_us, join_gen_cpu_us;
    uint64_t join_pkts;
    long rss0, rss1;
    uint64_t rcvbuf_drops, sndbuf_drops;
} result;

static void count_loss(result *r)
{
    for (guint i = 0; i < G.parts->len; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (!p->sub)
            continue;
        r->subs_total++;
        if (p->spc && p->spc->rx_pkts)
            r->subs_with_media++;
        if (!p->spc)
            continue;
        for (int k = 0; k < p->spc->n_rx; k++) {
            r->expected += bstat_seq_expected(&p->spc->rx[k].seq);
            r->lost += bstat_seq_lost(&p->spc->rx[k].seq);
        }
    }
}

/* --expect-all-tracks: every subscriber got packets on every m-line that sends in the
 * last offer it answered, and those m-lines carry an audio and a video track of every
 * publisher (by the publisher's id in a=msid, which our server writes). Returns how many
 * subscribers fall short. */
static int check_all_tracks(void)
{
    int want = G.roundtable ? G.publishers - 1 : G.publishers, bad = 0;
    for (guint i = 0; i < G.parts->len; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (!p->sub)
            continue;
        if (!p->answered || !p->spc) {
            g_printerr("tb-bench: subscriber %d answered no offer\n", p->index);
            bad++;
            continue;
        }
        GHashTable *owners = g_hash_table_new(g_str_hash, g_str_equal); /* id -> kinds got */
        int streams = 0, got = 0, complete = 0;
        for (int k = 0; k < p->answered->n_mlines; k++) {
            const bsdp_mline *m = &p->answered->m[k];
            if (strcmp(m->dir, "sendonly") || !m->ssrc)
                continue;
            streams++;
            bool rx = false;
            for (int j = 0; j < p->spc->n_rx && !rx; j++)
                rx = p->spc->rx[j].ssrc == m->ssrc && p->spc->rx[j].seq.received > 0;
            if (!rx)
                continue;
            got++;
            guint kinds = GPOINTER_TO_UINT(g_hash_table_lookup(owners, m->owner));
            kinds |= !strcmp(m->media, "audio") ? 1 : !strcmp(m->media, "video") ? 2 : 0;
            g_hash_table_insert(owners, (gpointer)m->owner, GUINT_TO_POINTER(kinds));
        }
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, owners);
        while (g_hash_table_iter_next(&it, NULL, &v))
            complete += GPOINTER_TO_UINT(v) == 3;
        g_hash_table_unref(owners);
        printf("subscriber %d: packets on %d of %d offered streams; audio and video from %d of "
               "%d publishers\n",
               p->index, got, streams, complete, want);
        if (got < streams || complete < want)
            bad++;
    }
    return bad;
}

static json_t *emit(const result *r)
{
    size_t nd = G.delays->len, nj = G.joins->len;
    int64_t d50 = bstat_percentile((int64_t *)(void *)G.delays->data, nd, 50);
    int64_t d99 = bstat_percentile((int64_t *)(void *)G.delays->data, nd, 99);
    int64_t j50 = bstat_percentile((int64_t *)(void *)G.joins->data, nj, 50);
    int64_t j95 = bstat_percentile((int64_t *)(void *)G.joins->data, nj, 95);
    double cpu_pp = r->window_pkts ? r->server_cpu_us / (double)r->window_pkts : 0;
    double loss = r->expected ? 100.0 * (double)r->lost / (double)r->expected : 0;
    int nsubs = G.roundtable ? G.publishers : G.subscribers;
    double rss_per_sub =
        (r->rss0 >= 0 && r->rss1 >= 0 && nsubs) ? (double)(r->rss1 - r->rss0) / nsubs : -1;
    /* Server CPU per join, approximately: what the join phase cost beyond forwarding the
     * packets that already flowed to the first joiners meanwhile (at the window's cost per
     * packet). Not for the round table, where everyone joins while publishing, so the
     * join phase is mostly forwarding and the difference is noise (-1 = not measured). */
    bool join_cpu_ok = nsubs && !G.roundtable && G.server_pid;
    double join_cpu_ms =
        join_cpu_ok ? MAX(0.0, r->join_server_cpu_us - (double)r->join_pkts * cpu_pp) / nsubs / 1e3
                    : -1;
    double join_gen_ms = nsubs && !G.roundtable ? r->join_gen_cpu_us / nsubs / 1e3 : -1;
    printf("%s %s %s: %d/%d subscribers got media, %" G_GUINT64_FORMAT " packets in %.1f s, "
           "server %.2f us/packet, loss %.3f %%, delay p50 %.2f ms p99 %.2f ms, "
           "join p50 %.0f ms p95 %.0f ms, server CPU/join %.2f ms (generator %.2f ms), "
           "rss/sub %.0f kB, generator %.0f %% CPU, "
           "dropped at full sockets %" G_GUINT64_FORMAT " in / %" G_GUINT64_FORMAT " out%s\n",
           G.scenario, G.server == BSERVER_TB ? "telebridge" : "janus", G.gcm ? "gcm" : "cm",
           r->subs_with_media, r->subs_total, r->window_pkts, r->window_s, cpu_pp, loss, ms(d50),
           ms(d99), ms(j50), ms(j95), join_cpu_ms, join_gen_ms, rss_per_sub,
           r->window_s > 0 ? 100.0 * r->gen_cpu_us / (r->window_s * 1e6) : 0, r->rcvbuf_drops,
           r->sndbuf_drops, G.profile_mismatch ? " (SRTP PROFILE MISMATCH)" : "");
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:f, s:f, s:f, s:I, s:I, s:f,"
        " s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
        "scenario", G.scenario, "server", G.server == BSERVER_TB ? "telebridge" : "janus",
        "profile", G.gcm ? "gcm" : "cm", "publishers", G.publishers, "subscribers", nsubs,
        "subscribers_with_media", r->subs_with_media, "failures", (int)G.failures, "packets",
        (json_int_t)r->window_pkts, "window_s", r->window_s, "server_cpu_us", r->server_cpu_us,
        "cpu_us_per_packet", cpu_pp, "expected", (json_int_t)r->expected, "lost",
        (json_int_t)r->lost, "loss_pct", loss, "delay_p50_ms", ms(d50), "delay_p99_ms", ms(d99),
        "join_p50_ms", ms(j50), "join_p95_ms", ms(j95), "rss_kb_per_sub", rss_per_sub,
        "gen_cpu_pct", r->window_s > 0 ? 100.0 * r->gen_cpu_us / (r->window_s * 1e6) : 0.0,
        "rss_kb_before", (json_int_t)r->rss0, "rss_kb_after", (json_int_t)r->rss1,
        "profile_mismatch", (json_int_t)G.profile_mismatch);
    json_object_set_new(o, "join_server_cpu_ms",
                        join_cpu_ms >= 0 ? json_real(join_cpu_ms) : json_null());
    json_object_set_new(o, "join_gen_cpu_ms",
                        join_gen_ms >= 0 ? json_real(join_gen_ms) : json_null());
    json_object_set_new(o, "udp_rcvbuf_drops", json_integer((json_int_t)r->rcvbuf_drops));
    json_object_set_new(o, "udp_sndbuf_drops", json_integer((json_int_t)r->sndbuf_drops));
    return o;
}

static int run_load(void)
{
    result r = {0};
    r.rss0 = r.rss1 = -1;
    add_parts();
    uint64_t rb0 = 0, sb0 = 0, rb1 = 0, sb1 = 0;
    bproc_udp_drops(&rb0, &sb0);
    int nsubs = G.roundtable ? G.publishers : G.subscribers;
    guint tick_id = g_timeout_add(TICK_MS, tick, NULL);
    guint wake_id = g_timeout_add(100, wake, NULL);
    int64_t deadline = G.started_us + (int64_t)(G.timeout_s * 1e6);
    int npub = G.roundtable ? G.publishers : G.publishers;
    for (int i = 0; i < npub; i++)
        bpart_start(g_ptr_array_index(G.parts, i));
    if (!run_until(publishers_up, 30))
        g_printerr("tb-bench: not every publisher came up\n");
    if (G.server_pid)
        r.rss0 = bproc_rss_kb(G.server_pid);
    int64_t jc0 = G.server_pid ? bproc_cpu_us(G.server_pid) : 0, jg0 = self_cpu_us();
    uint64_t jp0 = rx_total();
    if (G.roundtable) {
        for (guint i = 0; i < G.parts->len; i++)
            bpart_janus_subscribe(g_ptr_array_index(G.parts, i));
        batch_from = 0;
        batch_to = (int)G.parts->len;
        run_until(batch_joined, 30);
    } else {
        int batch = G.join_batch > 0 ? G.join_batch : 10;
        for (int first = G.publishers; first < (int)G.parts->len; first += batch) {
            batch_from = first;
            batch_to = MIN(first + batch, (int)G.parts->len);
            for (int i = batch_from; i < batch_to; i++)
                bpart_start(g_ptr_array_index(G.parts, i));
            double left = (double)(deadline - now_us()) / 1e6;
            if (left <= 0 || !run_until(batch_joined, MIN(30.0, left)))
                g_printerr("tb-bench: subscribers %d..%d did not all get media\n", batch_from,
                           batch_to - 1);
        }
    }
    r.join_server_cpu_us = G.server_pid ? (double)(bproc_cpu_us(G.server_pid) - jc0) : 0;
    r.join_gen_cpu_us = (double)(self_cpu_us() - jg0);
    r.join_pkts = rx_total() - jp0;
    run_until(NULL, G.warmup_s);
    if (G.server_pid)
        r.rss1 = bproc_rss_kb(G.server_pid);
    g_array_set_size(G.delays, 0); /* delays of the steady state only */
    uint64_t p0 = rx_total();
    int64_t c0 = G.server_pid ? bproc_cpu_us(G.server_pid) : 0, g0 = self_cpu_us(), t0 = now_us();
    run_until(NULL, G.duration_s);
    uint64_t p1 = rx_total();
    int64_t c1 = G.server_pid ? bproc_cpu_us(G.server_pid) : 0, g1 = self_cpu_us(), t1 = now_us();
    r.window_pkts = p1 - p0;
    r.window_s = (double)(t1 - t0) / 1e6;
    r.server_cpu_us = (double)(c1 - c0);
    r.gen_cpu_us = (double)(g1 - g0);
    for (guint i = 0; i < G.parts->len; i++) {
        bpart *p = g_ptr_array_index(G.parts, i);
        if (p->ppc)
            p->ppc->sending = false;
    }
    run_until(NULL, 0.7); /* packets in flight */
    count_loss(&r);
    int short_of_tracks = G.expect_all_tracks ? check_all_tracks() : 0;
    bproc_udp_drops(&rb1, &sb1);
    r.rcvbuf_drops = rb1 - rb0;
    r.sndbuf_drops = sb1 - sb0;
    (void)nsubs;
    json_t *o = emit(&r);
    if (G.json_path && json_dump_file(o, G.json_path, JSON_INDENT(2)))
        g_printerr("tb-bench: cannot write %s\n", G.json_path);
    json_decref(o);
    g_source_remove(tick_id);
    g_source_remove(wake_id);
    for (guint i = 0; i < G.parts->len; i++)
        bpart_destroy(g_ptr_array_index(G.parts, i));
    g_ptr_array_set_size(G.parts, 0);
    if (G.expect_all_tracks && (short_of_tracks || G.failures)) {
        g_printerr("tb-bench: FAIL: %d subscriber(s) short of tracks, %" G_GUINT64_FORMAT
                   " participant failures\n",
                   short_of_tracks, G.failures);
        return 1;
    }
    if (G.expect_media) {
        if (r.subs_with_media != r.subs_total || r.subs_total == 0) {
            g_printerr("tb-bench: FAIL: %d of %d subscribers received media\n", r.subs_with_media,
                       r.subs_total);
            return 1;
        }
        if (r.lost) {
            g_printerr("tb-bench: FAIL: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                       " packets lost\n",
                       r.lost, r.expected);
            return 1;
        }
        if (G.failures) {
            g_printerr("tb-bench: FAIL: %" G_GUINT64_FORMAT " participant failures\n", G.failures);
            return 1;
        }
    }
    return 0;
}

static gboolean on_timeout(gpointer data)
{
    g_printerr("tb-bench: overall timeout (%.0f s)\n", G.timeout_s);
    exit(3);
}

int main(int argc, char **argv)
{
    char *server = NULL, *profile = NULL;
    int roundtable = 0;
    gboolean floor_mode = FALSE, expect = FALSE, expect_all = FALSE, verbose = FALSE;
    G.port = 8080;
    G.janus_room = 1234;
    G.publishers = 1;
    G.subscribers = 5;
    G.join_batch = 10;
    G.warmup_s = 2;
    G.duration_s = 5;
    G.timeout_s = 300;
    G.sample_every = 16;
    G.video_kbps = 1000;
    G.audio_kbps = 32;
    GOptionEntry entries[] = {
        {"server", 0, 0, G_OPTION_ARG_STRING, &server, "tb (default) or janus", "KIND"},
        {"port", 0, 0, G_OPTION_ARG_INT, &G.port, "Signaling port on 127.0.0.1", "N"},
        {"room", 0, 0, G_OPTION_ARG_STRING, &G.room, "Room name (tb)", "NAME"},
        {"janus-room", 0, 0, G_OPTION_ARG_INT, &G.janus_room, "VideoRoom room id (janus)", "N"},
        {"publishers", 0, 0, G_OPTION_ARG_INT, &G.publishers, "Publishers", "N"},
        {"subscribers", 0, 0, G_OPTION_ARG_INT, &G.subscribers, "Subscribers", "M"},
        {"roundtable", 0, 0, G_OPTION_ARG_INT, &roundtable,
         "N participants, each publishing and receiving all others", "N"},
        {"join-batch", 0, 0, G_OPTION_ARG_INT, &G.join_batch, "Subscribers joining at once", "K"},
        {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &G.warmup_s, "Seconds after the joins", "S"},
        {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &G.duration_s, "Measurement window", "S"},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &G.timeout_s, "Hard limit for the run", "S"},
        {"profile", 0, 0, G_OPTION_ARG_STRING, &profile, "SRTP profile: gcm (default) or cm", "P"},
        {"sample", 0, 0, G_OPTION_ARG_INT, &G.sample_every, "Decrypt one packet in N", "N"},
        {"server-pid", 0, 0, G_OPTION_ARG_INT, &G.server_pid, "Server process for /proc", "PID"},
        {"video-kbps", 0, 0, G_OPTION_ARG_INT, &G.video_kbps, "Video bitrate", "K"},
        {"audio-kbps", 0, 0, G_OPTION_ARG_INT, &G.audio_kbps, "Audio bitrate", "K"},
        {"clip-dir", 0, 0, G_OPTION_ARG_FILENAME, &G.clip_dir, "Cache of encoded clips", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &G.json_path, "Write the figures here", "FILE"},
        {"scenario", 0, 0, G_OPTION_ARG_STRING, &G.scenario, "Label for the output", "NAME"},
        {"expect-media", 0, 0, G_OPTION_ARG_NONE, &expect,
         "Fail unless every subscriber got media without loss", NULL},
        {"expect-all-tracks", 0, 0, G_OPTION_ARG_NONE, &expect_all,
         "Fail unless every subscriber got packets from every track it was offered, an audio "
         "and a video one of each publisher",
         NULL},
        {"floor", 0, 0, G_OPTION_ARG_NONE, &floor_mode, "Micro-benchmark protect + send", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print signaling", NULL},
        {NULL}};
    GOptionContext *oc = g_option_context_new("- Telebridge/Janus load generator");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &gerr)) {
        g_printerr("tb-bench: %s\n", gerr->message);
        return 2;
    }
    g_option_context_free(oc);
    G.server = server && !strcmp(server, "janus") ? BSERVER_JANUS : BSERVER_TB;
    G.gcm = !profile || strcmp(profile, "cm") != 0;
    G.expect_media = expect;
    G.expect_all_tracks = expect_all;
    G.verbose = verbose;
    if (roundtable > 0) {
        G.roundtable = true;
        G.publishers = roundtable;
        G.subscribers = 0;
    }
    if (!G.room)
        G.room = g_strdup("bench");
    if (!G.scenario)
        G.scenario = g_strdup("run");
    if (!G.clip_dir)
        G.clip_dir = g_build_filename(g_get_tmp_dir(), "tb-bench-clips", NULL);
    if (G.sample_every < 1)
        G.sample_every = 1;
    tb_log_set_level(verbose ? TB_LOG_LEVEL_DEBUG : TB_LOG_LEVEL_WARN);
    G.started_us = now_us();
    G.delays = g_array_new(FALSE, FALSE, sizeof(int64_t));
    G.joins = g_array_new(FALSE, FALSE, sizeof(int64_t));
    G.parts = g_ptr_array_new();
    char err[512];
    if (tb_relay_srtp_global_init() != TB_OK) {
        g_printerr("tb-bench: libsrtp init failed\n");
        return 2;
    }
    if (bclip_load(G.clip_dir, "video", G.video_kbps, &G.video, err, sizeof err) ||
        bclip_load(G.clip_dir, "audio", G.audio_kbps, &G.audio, err, sizeof err)) {
        g_printerr("tb-bench: %s\n", err);
        return 2;
    }
    if (floor_mode)
        return run_floor();
    /* Keep NSS loaded under libsrtp, or every connection's SRTP set-up reloads it
     * (see relay/transport.c: keep_nss_loaded) and stalls the generator. */
    tb_relay_srtp_keys nk = {
        .profile = TB_RELAY_SRTP_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12};
    tb_relay_srtp *nss_keepalive = tb_relay_srtp_create(&nk);
    G.cert = tb_relay_dtls_cert_create(err, sizeof err);
    if (!G.cert) {
        g_printerr("tb-bench: %s\n", err);
        return 2;
    }
    g_timeout_add_seconds((guint)G.timeout_s, on_timeout, NULL);
    int rc = run_load();
    tb_relay_dtls_cert_unref(G.cert);
    tb_relay_srtp_destroy(nss_keepalive);
    bclip_clear(&G.video);
    bclip_clear(&G.audio);
    g_array_unref(G.delays);
    g_array_unref(G.joins);
    g_ptr_array_unref(G.parts);
    return rc;
}
