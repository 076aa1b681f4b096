/* pc.c — one peer connection of the load generator, built on the relay's own pieces:
 * libnice for ICE, relay/dtls.c for the handshake, relay/srtp.c for SRTP.
 *
 * Publish connections replay the clips: every packet gets our SSRC, a running sequence
 * number and timestamp, and a trailer with its send time (appended to the payload, which
 * neither server parses past the codec header), then is protected and sent. A PLI or FIR
 * makes the video jump to the clip's next keyframe, as a browser's encoder would.
 *
 * Subscribe connections count every RTP packet by SSRC and sequence number from the
 * clear header, and decrypt only one packet in `sample_every` to read the trailer:
 * decrypting everything would make the generator, not the server, the bottleneck. */
#include "tests/bench/gen.h"
#include "relay/rtcp.h"
#include "relay/rtp.h"
#include "common/tb_error.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define EARLY_DTLS_MAX      8
#define KEYFRAME_MIN_GAP_US 500000
#define RCVBUF_BYTES        (4 * 1024 * 1024)

static void on_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    bpc *pc = data;
    if (cand->transport != NICE_CANDIDATE_TRANSPORT_UDP)
        return;
    gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, cand);
    if (sdp && g_str_has_prefix(sdp, "a="))
        g_ptr_array_add(pc->local_cands, g_strdup(sdp + 2));
    g_free(sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
    bpc *pc = data;
    if (pc->gathered)
        return;
    pc->gathered = true;
    bpart_trace(pc->part, "%s gathered", pc->role == BPC_PUB ? "pub" : "sub");
    bpart_pc_gathered(pc->part, pc);
}

static void dtls_send(void *user, const uint8_t *buf, size_t len)
{
    bpc *pc = user;
    if (pc->agent && nice_agent_send(pc->agent, pc->stream, 1, (guint)len, (const gchar *)buf) < 0)
        bpart_trace(pc->part, "%s DTLS record of %zu bytes not sent (no ICE path yet)",
                    pc->role == BPC_PUB ? "pub" : "sub", len);
}

static void after_dtls(bpc *pc);

static gboolean on_dtls_timer(gpointer data)
{
    bpc *pc = data;
    pc->dtls_timer = 0;
    if (pc->dtls) {
        tb_relay_dtls_handle_timeout(pc->dtls);
        after_dtls(pc);
    }
    return G_SOURCE_REMOVE;
}

static void grow_rcvbuf(bpc *pc)
{
    GSocket *s = nice_agent_get_selected_socket(pc->agent, pc->stream, 1);
    if (!s)
        return;
    int fd = g_socket_get_fd(s), v = RCVBUF_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    g_object_unref(s);
}

static void after_dtls(bpc *pc)
{
    if (pc->dtls_timer) {
        g_source_remove(pc->dtls_timer);
        pc->dtls_timer = 0;
    }
    tb_relay_dtls_state st = tb_relay_dtls_get_state(pc->dtls);
    if (st == TB_RELAY_DTLS_CONNECTED && !pc->srtp) {
        tb_relay_srtp_keys keys;
        if (tb_relay_dtls_get_srtp_keys(pc->dtls, &keys) == TB_OK)
            pc->srtp = tb_relay_srtp_create(&keys);
        if (!pc->srtp) {
            pc->failed = true;
            bpart_fail(pc->part, "SRTP setup failed");
            return;
        }
        pc->profile = keys.profile;
        if ((keys.profile == TB_RELAY_SRTP_AEAD_AES_128_GCM) != pc->g->gcm)
            pc->g->profile_mismatch++;
        pc->connected = true;
        grow_rcvbuf(pc);
        bpart_pc_connected(pc->part, pc);
        return;
    }
    if (st == TB_RELAY_DTLS_FAILED) {
        pc->failed = true;
        bpart_fail(pc->part, "DTLS handshake failed");
        return;
    }
    if (st == TB_RELAY_DTLS_HANDSHAKING) {
        int ms = tb_relay_dtls_timeout_ms(pc->dtls);
        if (ms >= 0)
            pc->dtls_timer = g_timeout_add((guint)ms, on_dtls_timer, pc);
    }
}

static void start_dtls_if_ready(bpc *pc)
{
    if (pc->ice_ready && pc->dtls && pc->dtls_client &&
        tb_relay_dtls_get_state(pc->dtls) == TB_RELAY_DTLS_NEW) {
        tb_relay_dtls_start(pc->dtls);
        after_dtls(pc);
    }
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
    bpc *pc = data;
    /* As in relay/transport.c: once nominated, stop libnice's check timer, which would
     * otherwise fire at the pacing interval (1 ms here) for another 5 s per connection —
     * generator CPU in every burst and window, whichever server is measured. */
    if (state == NICE_COMPONENT_STATE_READY)
        g_object_set(agent, "idle-timeout", 50u, NULL);
    if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
        !pc->ice_ready) {
        pc->ice_ready = true;
        bpart_trace(pc->part, "%s ICE %s", pc->role == BPC_PUB ? "pub" : "sub",
                    nice_component_state_to_string(state));
        start_dtls_if_ready(pc);
    } else if (state == NICE_COMPONENT_STATE_FAILED && !pc->failed) {
        pc->failed = true;
        bpart_fail(pc->part, "ICE failed (%s)", pc->role == BPC_PUB ? "pub" : "sub");
    }
}

static void keyframe_jump(breplay *r, int64_t now)
{
    const bclip *c = r->clip;
    if (now - r->last_jump_us < KEYFRAME_MIN_GAP_US || r->idx >= c->n)
        return;
    size_t j = r->idx;
    for (size_t k = 0; k < c->n; k++) {
        size_t cand = (r->idx + k) % c->n;
        if (c->pkts[cand].keyframe) {
            j = cand;
            break;
        }
    }
    if (!c->pkts[j].keyframe || j == r->idx)
        return;
    /* The keyframe takes the place (time and timestamp) of the frame that was next. */
    r->loop_ts = r->loop_ts + c->pkts[r->idx].rel_ts - c->pkts[j].rel_ts;
    r->loop_start_us = now - c->pkts[j].rel_us;
    r->idx = j;
    r->last_jump_us = now;
}

static void on_rtcp(bpc *pc, size_t len)
{
    size_t n = len;
    if (tb_relay_srtp_unprotect_rtcp(pc->srtp, pc->buf.b, &n) != TB_OK)
        return;
    tb_relay_rtcp_iter it;
    tb_relay_rtcp_item item;
    tb_relay_rtcp_iter_init(&it, pc->buf.b, n);
    while (tb_relay_rtcp_iter_next(&it, &item) == 1) {
        if ((item.kind == TB_RELAY_RTCP_ITEM_PLI || item.kind == TB_RELAY_RTCP_ITEM_FIR) &&
            pc->role == BPC_PUB)
            keyframe_jump(&pc->video, g_get_monotonic_time());
    }
}

static brx *rx_for(bpc *pc, uint32_t ssrc)
{
    for (int i = 0; i < pc->n_rx; i++)
        if (pc->rx[i].ssrc == ssrc)
            return &pc->rx[i];
    if (pc->n_rx == BPC_MAX_RX)
        return NULL;
    brx *r = &pc->rx[pc->n_rx++];
    memset(r, 0, sizeof *r);
    r->ssrc = ssrc;
    return r;
}

static void on_rtp(bpc *pc, const uint8_t *b, size_t len)
{
    if (pc->role != BPC_SUB || len < 12)
        return;
    uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
    uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
    brx *r = rx_for(pc, ssrc);
    if (!r)
        return;
    bstat_seq_update(&r->seq, seq);
    pc->rx_pkts++;
    if (!pc->t_first_media) {
        pc->t_first_media = g_get_monotonic_time();
        bpart_pc_first_media(pc->part, pc);
    }
    if (++r->since_sample < (uint32_t)pc->g->sample_every)
        return;
    r->since_sample = 0;
    memcpy(pc->buf.b, b, len);
    size_t n = len;
    tb_relay_rtp_header h;
    if (tb_relay_srtp_unprotect_rtp(pc->srtp, pc->buf.b, &n) != TB_OK ||
        tb_relay_rtp_parse(pc->buf.b, n, &h) != TB_OK)
        return;
    int64_t sent;
    if (bench_trailer_get(pc->buf.b + h.payload_offset + h.payload_len, h.payload_len, &sent)) {
        int64_t d = g_get_monotonic_time() - sent;
        if (pc->g->delays->len < 2000000)
            g_array_append_val(pc->g->delays, d);
    }
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                    gpointer data)
{
    bpc *pc = data;
    const uint8_t *b = (const uint8_t *)buf;
    if (len == 0 || len > sizeof pc->buf.b - 64)
        return;
    switch (tb_relay_pkt_classify(b, len)) {
    case TB_RELAY_PKT_DTLS:
        if (!pc->dtls) {
            if (pc->early_dtls->len < EARLY_DTLS_MAX)
                g_ptr_array_add(pc->early_dtls, g_bytes_new(buf, len));
            return;
        }
        if (tb_relay_dtls_get_state(pc->dtls) == TB_RELAY_DTLS_NEW)
            tb_relay_dtls_start(pc->dtls);
        tb_relay_dtls_feed(pc->dtls, b, len);
        after_dtls(pc);
        return;
    case TB_RELAY_PKT_RTP:
        if (pc->srtp)
            on_rtp(pc, b, len);
        return;
    case TB_RELAY_PKT_RTCP:
        if (pc->srtp) {
            memcpy(pc->buf.b, b, len);
            on_rtcp(pc, len);
        }
        return;
    default:
        return;
    }
}

static void random_token(char *out, size_t n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = al[g_random_int_range(0, 62)];
    out[n - 1] = 0;
}

bpc *bpc_create(bgen *g, bpart *part, bpc_role role)
{
    bpc *pc = g_new0(bpc, 1);
    pc->g = g;
    pc->part = part;
    pc->role = role;
    pc->local_cands = g_ptr_array_new_with_free_func(g_free);
    pc->early_dtls = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    random_token(pc->ufrag, 9);
    random_token(pc->pwd, 25);
    pc->agent =
        nice_agent_new_full(NULL, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(pc->agent, "controlling-mode", role == BPC_PUB, "ice-tcp", FALSE, "upnp", FALSE,
                 NULL);
    /* Check pacing 1 ms unless TB_BENCH_ICE_PACING_MS says otherwise (the same for both
     * servers either way). libnice sends even its first check only when its pacing timer
     * (20 ms by default) first fires, where a browser sends it as soon as it has the
     * remote candidate; and browsers pace later checks at ~50 ms, so a short pacing here
     * also answers a controlling server's checks sooner than a browser would. */
    const char *pacing = g_getenv("TB_BENCH_ICE_PACING_MS");
    guint pacing_ms = pacing && atoi(pacing) > 0 ? (guint)atoi(pacing) : BPC_ICE_PACING_MS;
    g_object_set(pc->agent, "stun-pacing-timer", pacing_ms, NULL);
    NiceAddress a;
    nice_address_init(&a);
    nice_address_set_from_string(&a, "127.0.0.1");
    nice_agent_add_local_address(pc->agent, &a);
    g_signal_connect(pc->agent, "new-candidate-full", G_CALLBACK(on_candidate), pc);
    g_signal_connect(pc->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), pc);
    g_signal_connect(pc->agent, "component-state-changed", G_CALLBACK(on_state), pc);
    pc->stream = nice_agent_add_stream(pc->agent, 1);
    nice_agent_set_local_credentials(pc->agent, pc->stream, pc->ufrag, pc->pwd);
    nice_agent_attach_recv(pc->agent, pc->stream, 1, NULL, on_recv, pc);
    if (role == BPC_PUB) {
        pc->audio = (breplay){.clip = &g->audio,
                              .pt = 111,
                              .ssrc = g_random_int() | 1,
                              .seq = (uint16_t)g_random_int(),
                              .ts_base = g_random_int()};
        pc->video = (breplay){.clip = &g->video,
                              .pt = 96,
                              .ssrc = g_random_int() | 2,
                              .seq = (uint16_t)g_random_int(),
                              .ts_base = g_random_int()};
    }
    return pc;
}

void bpc_gather(bpc *pc)
{
    if (!nice_agent_gather_candidates(pc->agent, pc->stream)) {
        pc->failed = true;
        bpart_fail(pc->part, "ICE gathering failed");
    }
}

void bpc_destroy(bpc *pc)
{
    if (!pc)
        return;
    if (pc->dtls_timer)
        g_source_remove(pc->dtls_timer);
    if (pc->dtls)
        tb_relay_dtls_destroy(pc->dtls);
    if (pc->srtp)
        tb_relay_srtp_destroy(pc->srtp);
    if (pc->agent) {
        g_signal_handlers_disconnect_by_data(pc->agent, pc);
        nice_agent_attach_recv(pc->agent, pc->stream, 1, NULL, NULL, NULL);
        nice_agent_remove_stream(pc->agent, pc->stream);
        g_object_unref(pc->agent);
    }
    g_ptr_array_unref(pc->local_cands);
    g_ptr_array_unref(pc->early_dtls);
    g_free(pc);
}

void bpc_add_candidate(bpc *pc, const char *cand)
{
    if (!cand || !*cand) {
        nice_agent_peer_candidate_gathering_done(pc->agent, pc->stream);
        return;
    }
    if (strstr(cand, " tcp ") || strstr(cand, " TCP "))
        return;
    gchar *line = g_strdup_printf("a=%s", cand);
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(pc->agent, pc->stream, line);
    g_free(line);
    if (!c)
        return;
    GSList *l = g_slist_append(NULL, c);
    nice_agent_set_remote_candidates(pc->agent, pc->stream, 1, l);
    g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
}

int bpc_set_remote(bpc *pc, const bsdp *d, bool is_offer)
{
    if (pc->remote_set)
        return 0; /* a renegotiation keeps the transport */
    pc->remote_set = true;
    /* Offerer says actpass; the answerer's choice decides. We answer "active" to an
     * actpass offer (bsdp_write_sub_answer), so we are the client then. */
    if (is_offer)
        pc->dtls_client = strcmp(d->setup, "active") != 0;
    else
        pc->dtls_client = !strcmp(d->setup, "passive");
    /* RFC 8445 §6.1.1: facing a lite server a full agent controls, as a browser does,
     * whether it offered or not. */
    if (d->ice_lite)
        g_object_set(pc->agent, "controlling-mode", TRUE, NULL);
    nice_agent_set_remote_credentials(pc->agent, pc->stream, d->ufrag, d->pwd);
    pc->dtls = tb_relay_dtls_create(pc->g->cert, pc->dtls_client, pc->g->gcm, dtls_send, pc);
    tb_relay_dtls_set_rtx_initial_ms(pc->dtls, BPC_DTLS_RTX_MS);
    if (!pc->dtls || tb_relay_dtls_set_remote_fingerprint(pc->dtls, d->fp_hash, d->fp_value)) {
        pc->failed = true;
        bpart_fail(pc->part, "bad remote fingerprint");
        return -1;
    }
    for (int i = 0; i < d->n_cands; i++)
        bpc_add_candidate(pc, d->cands[i]);
    for (guint i = 0; i < pc->early_dtls->len; i++) {
        gsize n;
        const uint8_t *b = g_bytes_get_data(g_ptr_array_index(pc->early_dtls, i), &n);
        if (tb_relay_dtls_get_state(pc->dtls) == TB_RELAY_DTLS_NEW)
            tb_relay_dtls_start(pc->dtls);
        tb_relay_dtls_feed(pc->dtls, b, n);
    }
    g_ptr_array_set_size(pc->early_dtls, 0);
    start_dtls_if_ready(pc);
    if (pc->dtls && !pc->failed)
        after_dtls(pc);
    return 0;
}

static void fill_local(bpc *pc, bsdp_local *l)
{
    memset(l, 0, sizeof *l);
    l->ufrag = pc->ufrag;
    l->pwd = pc->pwd;
    l->fingerprint = tb_relay_dtls_cert_fingerprint(pc->g->cert);
    l->cands = (const char *const *)pc->local_cands->pdata;
    l->n_cands = (int)pc->local_cands->len;
    l->audio_ssrc = pc->audio.ssrc;
    l->video_ssrc = pc->video.ssrc;
}

char *bpc_local_offer(bpc *pc)
{
    bsdp_local l;
    fill_local(pc, &l);
    return bsdp_write_pub_offer(&l);
}

char *bpc_local_answer(bpc *pc, const bsdp *offer)
{
    bsdp_local l;
    fill_local(pc, &l);
    return bsdp_write_sub_answer(offer, &l);
}

void bpc_start_sending(bpc *pc, int64_t now)
{
    if (pc->sending)
        return;
    pc->sending = true;
    /* Start somewhere random in the clips so that publishers' frames don't coincide. */
    int64_t skew = g_random_int_range(0, 33000);
    pc->audio.loop_start_us = now + skew;
    pc->video.loop_start_us = now + skew;
    pc->audio.idx = pc->video.idx = 0;
}

static void send_one(bpc *pc, breplay *r, const bclip_pkt *p)
{
    const bclip *c = r->clip;
    uint8_t *b = pc->buf.b;
    memcpy(b, c->data + p->off, p->len);
    tb_relay_rtp_set_ssrc(b, r->ssrc);
    tb_relay_rtp_set_seq(b, r->seq++);
    tb_relay_rtp_set_timestamp(b, r->ts_base + r->loop_ts + p->rel_ts);
    bench_trailer_put(b + p->len, g_get_monotonic_time());
    size_t len = p->len + BENCH_TRAILER_LEN;
    if (tb_relay_srtp_protect_rtp(pc->srtp, b, &len, sizeof pc->buf.b) == TB_OK)
        nice_agent_send(pc->agent, pc->stream, 1, (guint)len, (const gchar *)b);
}

static void pump_stream(bpc *pc, breplay *r, int64_t now)
{
    const bclip *c = r->clip;
    for (int guard = 0; guard < 4096; guard++) {
        if (r->idx >= c->n) {
            r->idx = 0;
            r->loop_start_us += c->dur_us;
            r->loop_ts += c->dur_ts;
        }
        const bclip_pkt *p = &c->pkts[r->idx];
        if (r->loop_start_us + p->rel_us > now)
            return;
        send_one(pc, r, p);
        r->idx++;
    }
}

void bpc_pump(bpc *pc, int64_t now)
{
    if (!pc->sending || !pc->srtp)
        return;
    pump_stream(pc, &pc->audio, now);
    pump_stream(pc, &pc->video, now);
}
