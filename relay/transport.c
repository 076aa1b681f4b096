/* transport.c — one peer connection's transport on its media worker: a libnice agent
 * (one stream, one component: BUNDLE + rtcp-mux), DTLS on top, then SRTP.
 *
 * Everything arrives on the one ICE component and is told apart by its first byte
 * (RFC 7983). DTLS records that arrive before we know the peer's fingerprint (a browser
 * may start the handshake before its answer reaches us) are kept, a few at most, and
 * fed once the remote description is set. */
#define TB_LOG_CAT "relay/transport"
#include "relay/internal.h"
#include "relay/sendq.h"
#include "relay/rxpoll.h"
#include "relay/srtp_out.h"
#include "common/tb_error.h"
#include "common/tb_time.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#define EARLY_DTLS_MAX 8

/* Our candidates go to the client: UDP, and ICE-TCP passive ones (RFC 6544 §4.5: the
 * relay listens, the client connects; browsers gather only active TCP candidates). An
 * active one of ours would be a connection from the relay to the client, which no client
 * behind a firewall accepts. Behind a 1:1 NAT the address is the public one (nat.c). */
static void on_new_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    tb_relay_pc *pc = data;
    if (cand->transport != NICE_CANDIDATE_TRANSPORT_UDP &&
        cand->transport != NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE)
        return;
    NiceCandidate *c = cand;
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&cand->addr, ip);
    const char *pub = tb_relay__nat_public(&pc->room->relay->nat, ip);
    if (pub) {
        c = nice_candidate_copy(cand);
        guint port = nice_address_get_port(&cand->addr);
        if (!nice_address_set_from_string(&c->addr, pub)) {
            nice_candidate_free(c);
            return;
        }
        nice_address_set_port(&c->addr, port);
    }
    gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, c);
    if (sdp && g_str_has_prefix(sdp, "a="))
        tb_relay__pc_post_candidate(pc, sdp + 2, "0");
    g_free(sdp);
    if (c != cand)
        nice_candidate_free(c);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
    tb_relay__pc_post_candidate(data, "", "0");
}

static void start_dtls_if_ready(tb_relay_pc *pc);
static void flush_unsent_dtls(tb_relay_pc *pc);

static gboolean free_transport_run(gpointer data)
{
    tb_relay_pc *pc = data;
    if (!pc->transport_gone) {
        tb_relay__transport_stop(pc);
        pc->transport_gone = true;
    }
    return G_SOURCE_REMOVE;
}

/* A failed connection is not coming back (we do not take ICE restarts): it says so and
 * frees its agent, sockets, DTLS and SRTP at once, not when the control plane gets round
 * to closing it. Freed from an idle callback of the worker: we may be inside one of the
 * agent's signals, a DTLS callback or the walk over the worker's connections. */
static void transport_fail(tb_relay_pc *pc, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void transport_fail(tb_relay_pc *pc, const char *fmt, ...)
{
    if (pc->transport_gone || pc->wstate == TB_RELAY_PC_FAILED)
        return;
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    TB_LOG_WARN("[%s] %s: connection failed", pc->tag, why);
    pc->started_us = 0;
    tb_relay__pc_post_state(pc, TB_RELAY_PC_FAILED);
    tb_relay__worker_post(pc->worker, free_transport_run, tb_relay__pc_ref(pc),
                          (GDestroyNotify)tb_relay__pc_unref);
}

#define READY_IDLE_TIMEOUT_MS 50u /* libnice's minimum */

static void on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                               gpointer data)
{
    tb_relay_pc *pc = data;
    TB_LOG_DEBUG("[%s] ICE %s", pc->tag, nice_component_state_to_string(state));
    /* libnice keeps an agent's check timer firing every stun-pacing-timer (5 ms) for its
     * idle-timeout, 5 s, after the last check, before it judges failed components. Once
     * a pair is nominated there is nothing left to judge; those 1000 wake-ups per
     * connection were ~20 % of the forwarding CPU at 1 -> 10 in the seconds after a join
     * (docs/performance.md, change 17). */
    if (state == NICE_COMPONENT_STATE_READY)
        g_object_set(agent, "idle-timeout", READY_IDLE_TIMEOUT_MS, NULL);
    if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
        flush_unsent_dtls(pc);
        if (!pc->ice_ready) {
            pc->ice_ready = true;
            start_dtls_if_ready(pc);
        }
    } else if (state == NICE_COMPONENT_STATE_FAILED) {
        if (pc->sendq)
            tb_relay__sendq_update_path(pc->sendq);
        /* Once connected, libnice fails a component only when consent expired: the peer
         * answered none of our consent checks for 10 s (libnice 0.1.21's fixed expiry;
         * RFC 7675 §5.1 allows 30 s at most), so it vanished without closing. */
        if (pc->ice_ready)
            transport_fail(pc, "ICE consent expired: the peer stopped answering (RFC 7675)");
        else
            transport_fail(pc, "ICE failed");
    } else if (state == NICE_COMPONENT_STATE_CONNECTING && pc->wstate == TB_RELAY_PC_NEW) {
        tb_relay__pc_post_state(pc, TB_RELAY_PC_CHECKING);
    }
}

/* A publisher's media arrives on one socket, read by the room's home worker. The kernel's
 * default buffer (~210 KB: about 0.6 s of 1 Mbit/s video in socket memory) overflows
 * when the worker is held up longer than that (a loaded host, a burst of joins), and
 * every subscriber loses what overflowed; a larger buffer turns such a stall into delay.
 * SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the kernel caps SO_RCVBUF at
 * net.core.rmem_max, which a deployment should raise (docs/performance.md). */
#define PUBLISH_RCVBUF (4 * 1024 * 1024)

static void grow_rcvbuf(tb_relay_pc *pc)
{
    GSocket *s = nice_agent_get_selected_socket(pc->agent, pc->stream_id, 1);
    if (!s)
        return;
    int fd = g_socket_get_fd(s), v = PUBLISH_RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    g_object_unref(s);
}

static void rx_attach(tb_relay_pc *pc);

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
                             NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
    tb_relay_pc *pc = data;
    if (pc->sendq)
        tb_relay__sendq_update_path(pc->sendq);
    if (pc->role == TB_RELAY_PC_PUBLISH)
        grow_rcvbuf(pc);
    if (pc->rxreg) /* another local socket, perhaps: read that one */
        rx_attach(pc);
    flush_unsent_dtls(pc);
}

/* The peer's ClientHello can reach us before libnice has a selected pair (as ICE lite,
 * right after the browser's first successful check; as a full agent, before our own
 * check on that pair has come back): our answer would be dropped and the handshake would
 * wait for the peer's retransmission (50 ms in browsers, 200 ms or more in other
 * clients). So what cannot go out yet is kept (a flight at most) and sent as soon as
 * there is a path. */
static void dtls_send(void *user, const uint8_t *buf, size_t len)
{
    tb_relay_pc *pc = user;
    if (!pc->agent ||
        nice_agent_send(pc->agent, pc->stream_id, 1, (guint)len, (const gchar *)buf) >= 0)
        return;
    if (pc->unsent_dtls->len < EARLY_DTLS_MAX) {
        g_ptr_array_add(pc->unsent_dtls, g_bytes_new(buf, len));
        TB_LOG_DEBUG("[%s] DTLS record of %zu bytes kept until ICE has a path", pc->tag, len);
    }
}

static void flush_unsent_dtls(tb_relay_pc *pc)
{
    guint sent = 0;
    while (sent < pc->unsent_dtls->len) {
        gsize n;
        const gchar *b = g_bytes_get_data(g_ptr_array_index(pc->unsent_dtls, sent), &n);
        if (nice_agent_send(pc->agent, pc->stream_id, 1, (guint)n, b) < 0)
            break;
        sent++;
    }
    if (sent)
        g_ptr_array_remove_range(pc->unsent_dtls, 0, sent);
}

static gboolean on_dtls_timer(gpointer data);

static void arm_dtls_timer(tb_relay_pc *pc)
{
    if (pc->dtls_timer) {
        GSource *s = g_main_context_find_source_by_id(pc->worker->ctx, pc->dtls_timer);
        if (s)
            g_source_destroy(s);
        pc->dtls_timer = 0;
    }
    if (!pc->dtls || tb_relay_dtls_get_state(pc->dtls) != TB_RELAY_DTLS_HANDSHAKING)
        return;
    int ms = tb_relay_dtls_timeout_ms(pc->dtls);
    if (ms < 0)
        return;
    GSource *s = g_timeout_source_new((guint)ms);
    g_source_set_callback(s, on_dtls_timer, pc, NULL);
    pc->dtls_timer = g_source_attach(s, pc->worker->ctx);
    g_source_unref(s);
}

/* After every DTLS step: turn a finished handshake into SRTP, a failed one into FAILED. */
static void after_dtls(tb_relay_pc *pc)
{
    tb_relay_dtls_state st = tb_relay_dtls_get_state(pc->dtls);
    if (st == TB_RELAY_DTLS_CONNECTED && !pc->srtp) {
        tb_relay_srtp_keys keys;
        if (tb_relay_dtls_get_srtp_keys(pc->dtls, &keys) == TB_OK)
            pc->srtp = tb_relay_srtp_create(&keys);
        /* Outbound RTP on OpenSSL (srtp_out.h); libsrtp if that cannot be set up. */
        if (pc->srtp)
            pc->srtp_out = tb_relay_srtp_out_create(&keys);
        if (!pc->srtp) {
            transport_fail(pc, "SRTP setup failed");
            return;
        }
        pc->started_us = 0; /* connected: relay.connect_timeout no longer applies */
        TB_LOG_INFO("[%s] connected (%s)", pc->tag,
                    keys.profile == TB_RELAY_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM"
                                                                   : "AES_CM_128_HMAC_SHA1_80");
        tb_relay__pc_post_state(pc, TB_RELAY_PC_CONNECTED);
        tb_relay__forward_connected(pc);
        /* Subscribers are many and quiet: their sockets leave the main loop's poll. */
        if (pc->role == TB_RELAY_PC_SUBSCRIBE)
            rx_attach(pc);
    } else if (st == TB_RELAY_DTLS_FAILED) {
        transport_fail(pc, "DTLS handshake failed");
    } else if (st == TB_RELAY_DTLS_CLOSED) {
        tb_relay__pc_post_state(pc, TB_RELAY_PC_CLOSED);
    }
    arm_dtls_timer(pc);
}

static gboolean on_dtls_timer(gpointer data)
{
    tb_relay_pc *pc = data;
    pc->dtls_timer = 0;
    if (pc->dtls) {
        tb_relay_dtls_handle_timeout(pc->dtls);
        after_dtls(pc);
    }
    return G_SOURCE_REMOVE;
}

static void start_dtls_if_ready(tb_relay_pc *pc)
{
    if (!pc->ice_ready || !pc->dtls || tb_relay_dtls_get_state(pc->dtls) != TB_RELAY_DTLS_NEW)
        return;
    tb_relay_dtls_start(pc->dtls);
    after_dtls(pc);
}

static void on_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                    gpointer data)
{
    tb_relay_pc *pc = data;
    if (len == 0 || len > TB_RELAY_MTU)
        return;
    size_t n = len;
    switch (tb_relay_pkt_classify((const uint8_t *)buf, len)) {
    case TB_RELAY_PKT_DTLS:
        if (!pc->dtls) {
            if (pc->early_dtls->len < EARLY_DTLS_MAX)
                g_ptr_array_add(pc->early_dtls, g_bytes_new(buf, len));
            return;
        }
        if (tb_relay_dtls_get_state(pc->dtls) == TB_RELAY_DTLS_NEW)
            tb_relay_dtls_start(pc->dtls); /* a server arms itself on the first record */
        tb_relay_dtls_feed(pc->dtls, (const uint8_t *)buf, len);
        after_dtls(pc);
        return;
    case TB_RELAY_PKT_RTP:
        if (!pc->srtp)
            return;
        memcpy(pc->rx, buf, len);
        if (tb_relay_srtp_unprotect_rtp(pc->srtp, pc->rx, &n) == TB_OK)
            tb_relay__forward_rtp(pc, pc->rx, n);
        return;
    case TB_RELAY_PKT_RTCP:
        if (!pc->srtp)
            return;
        memcpy(pc->rx, buf, len);
        if (tb_relay_srtp_unprotect_rtcp(pc->srtp, pc->rx, &n) == TB_OK)
            tb_relay__forward_rtcp(pc, pc->rx, n);
        return;
    default:
        return; /* STUN is consumed by libnice before it reaches us */
    }
}

/* ---- a connected subscriber's socket in the worker's epoll set (rxpoll.h) ---- */

#define RX_BATCH 8
/* Readiness reports in a row that yield nothing, before we hand the socket back to
 * libnice's own source: a guard against spinning on data libnice never takes. STUN that
 * libnice answers itself reads as nothing, so this is far above any real pattern. */
#define RX_IDLE_MAX 10000

static _Thread_local uint8_t rx_bufs[RX_BATCH][TB_RELAY_MTU + 64];

static void rx_detach(tb_relay_pc *pc)
{
    tb_relay__rxpoll_remove(pc->worker->rxpoll, pc->rxreg);
    pc->rxreg = NULL;
}

static void rx_ready(void *data)
{
    tb_relay_pc *pc = data;
    GInputVector vec[RX_BATCH];
    NiceInputMessage msg[RX_BATCH];
    /* A bounded number of batches per report: the rest comes with the next one (the set
     * is level-triggered), so one flooding peer cannot hold up the worker. */
    for (int round = 0; round < 8 && pc->agent; round++) {
        for (int i = 0; i < RX_BATCH; i++) {
            vec[i] = (GInputVector){rx_bufs[i], sizeof rx_bufs[i]};
            msg[i] = (NiceInputMessage){&vec[i], 1, NULL, 0};
        }
        GError *err = NULL;
        gint n = nice_agent_recv_messages_nonblocking(pc->agent, pc->stream_id, 1, msg, RX_BATCH,
                                                      NULL, &err);
        if (n <= 0) {
            if (err && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
                tb_log_ratelimit_ok(&pc->rl))
                TB_LOG_WARN("[%s] receive: %s", pc->tag, err->message);
            g_clear_error(&err);
            if (round == 0 && ++pc->rx_idle > RX_IDLE_MAX) {
                TB_LOG_WARN("[%s] socket readable but nothing to read; back to libnice's "
                            "source",
                            pc->tag);
                rx_detach(pc);
                nice_agent_attach_recv(pc->agent, pc->stream_id, 1, pc->worker->ctx, on_recv, pc);
            }
            return;
        }
        pc->rx_idle = 0;
        for (gint i = 0; i < n && pc->agent; i++)
            on_recv(pc->agent, pc->stream_id, 1, (guint)msg[i].length, (gchar *)rx_bufs[i], pc);
        if (n < RX_BATCH)
            return;
    }
}

/* Moves the connection's reading from libnice's per-socket source to the epoll set. */
static void rx_attach(tb_relay_pc *pc)
{
    if (!pc->agent || !pc->worker->rxpoll)
        return;
    /* A TCP path (ICE-TCP, RFC 4571 framing) stays with libnice's own source: the epoll
     * set reads datagram sockets. */
    NiceCandidate *local = NULL, *remote = NULL;
    if (!nice_agent_get_selected_pair(pc->agent, pc->stream_id, 1, &local, &remote) || !local ||
        local->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
        if (pc->rxreg) {
            rx_detach(pc);
            nice_agent_attach_recv(pc->agent, pc->stream_id, 1, pc->worker->ctx, on_recv, pc);
        }
        return;
    }
    GSocket *s = nice_agent_get_selected_socket(pc->agent, pc->stream_id, 1);
    if (!s)
        return;
    if (pc->rxreg)
        rx_detach(pc);
    pc->rxreg = tb_relay__rxpoll_add(pc->worker->rxpoll, s, rx_ready, pc);
    g_object_unref(s);
    /* No callback and no context: libnice moves the socket's source to the component's
     * own context, which nice_agent_recv_messages_nonblocking iterates. Data already
     * queued on the socket shows in the set at once. */
    if (pc->rxreg)
        nice_agent_attach_recv(pc->agent, pc->stream_id, 1, NULL, NULL, NULL);
}

/* Debian's libsrtp2 is built on NSS, and every libsrtp session opens its own NSS
 * context: when none is open, NSS loads its softoken module (dlopen, symbol relocation)
 * and unloads it again when the last one closes. One connection's SRTP set-up then cost
 * 2-3 ms of the worker's time on an idle machine and 35-40 ms on a loaded one, during
 * which no packet of the room was forwarded (50 joining at once stalled a room for
 * seconds). A session kept open for the life of the process keeps NSS loaded; set-up
 * then costs 60-100 us. */
static tb_relay_srtp *nss_keepalive; /* never freed: the point is to stay open */

static void keep_nss_loaded(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        tb_relay_srtp_keys k = {
            .profile = TB_RELAY_SRTP_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12};
        nss_keepalive = tb_relay_srtp_create(&k);
        g_once_init_leave(&once, 1);
    }
}

void tb_relay__transport_start(tb_relay_pc *pc)
{
    keep_nss_loaded();
    const tb_config_relay *cfg = pc->room->relay->cfg;
    GMainContext *ctx = pc->worker->ctx;
    pc->early_dtls = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    pc->unsent_dtls = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    /* Full (the default): we offer on subscribe connections, so we control ICE there, and
     * answer the browser's checks with our own everywhere, which gives us a selected pair
     * as soon as the browser has one. Lite: the browser, a full agent, controls whoever
     * offers (RFC 8445 §6.1.1) and we only answer; Chromium then nominates only with a
     * later check and our DTLS reply waits for it (docs/performance.md change 16). */
    bool lite = cfg->ice_lite;
    /* Consent freshness (RFC 7675): once a pair is selected, libnice sends a binding
     * request on it every ~5 s and fails the component when none has been answered for
     * 10 s, so a peer that vanishes without closing (a crashed browser, a lost network)
     * ends as FAILED instead of holding its sockets and our fan-out for ever. libnice
     * 0.1.21 does this in lite mode too (measured: failed 7-10 s after the peer stopped),
     * although a lite agent starts no connectivity checks (RFC 8445 §2.5); browsers answer
     * every authenticated binding request. The answers are read wherever the socket is
     * read: libnice's own source, or our epoll set through
     * nice_agent_recv_messages_nonblocking once a subscriber is up, also after its socket
     * is connected to the peer (sendq.h), which is the address the checks go to. */
    pc->agent =
        nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245,
                            NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS |
                                (lite ? NICE_AGENT_OPTION_LITE_MODE : 0));
    g_object_set(pc->agent, "controlling-mode", !lite && pc->role == TB_RELAY_PC_SUBSCRIBE,
                 "ice-udp", TRUE, "ice-tcp", (gboolean)cfg->ice_tcp, "upnp", FALSE,
                 "stun-pacing-timer", 5u, NULL);
    for (int i = 0; i < cfg->n_ice_addresses; i++) {
        NiceAddress a;
        nice_address_init(&a);
        if (nice_address_set_from_string(&a, cfg->ice_addresses[i]))
            nice_agent_add_local_address(pc->agent, &a);
    }
    g_signal_connect(pc->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), pc);
    g_signal_connect(pc->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), pc);
    g_signal_connect(pc->agent, "component-state-changed", G_CALLBACK(on_component_state), pc);
    g_signal_connect(pc->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), pc);
    pc->stream_id = nice_agent_add_stream(pc->agent, 1);
    pc->sendq = tb_relay__sendq_create(pc->agent, pc->stream_id);
    if (cfg->port_min > 0)
        nice_agent_set_port_range(pc->agent, pc->stream_id, 1, (guint)cfg->port_min,
                                  (guint)cfg->port_max);
    nice_agent_set_local_credentials(pc->agent, pc->stream_id, pc->ufrag, pc->pwd);
    nice_agent_attach_recv(pc->agent, pc->stream_id, 1, ctx, on_recv, pc);
    pc->started_us = tb_time_mono_us();
    g_ptr_array_add(pc->worker->rtcp_pcs, pc);
    if (!nice_agent_gather_candidates(pc->agent, pc->stream_id))
        transport_fail(pc, "ICE gathering failed to start (no usable address?)");
}

/* A subscriber's path is pinned (its socket connected to the peer, sendq.h) once it has
 * been connected for this many ticks of a second: by then the browser has finished
 * checking its other candidate pairs, and ICE would only move to another path after a
 * NAT rebinding, which the client answers by reconnecting anyway. Only subscribers: they
 * take almost every packet the relay sends; a publisher gets a few RTCP packets a
 * second. */
#define PIN_AFTER_TICKS 2

/* relay.connect_timeout: a connection holds an agent, its sockets and, for a publisher,
 * tracks others subscribe to; one that does not get connected (a client that never
 * answers, never sends its candidates or never finishes DTLS) must not hold them for
 * ever. Counted from the start of the transport, checked on the worker's 1 s tick. */
static bool past_deadline(tb_relay_pc *pc)
{
    if (!pc->started_us)
        return false;
    int64_t limit = (int64_t)pc->room->relay->cfg->connect_timeout_s * G_USEC_PER_SEC;
    return tb_time_mono_us() - pc->started_us >= limit;
}

void tb_relay__transport_tick(tb_relay_pc *pc)
{
    if (past_deadline(pc)) {
        transport_fail(pc, "not connected within %d s (relay.connect_timeout)",
                       pc->room->relay->cfg->connect_timeout_s);
        return;
    }
    if (pc->role != TB_RELAY_PC_SUBSCRIBE || pc->wstate != TB_RELAY_PC_CONNECTED || !pc->sendq ||
        pc->settled_ticks > PIN_AFTER_TICKS)
        return;
    if (++pc->settled_ticks > PIN_AFTER_TICKS) {
        TB_LOG_INFO("[%s] path settled: socket connected to the peer", pc->tag);
        tb_relay__sendq_pin(pc->sendq);
    }
}

void tb_relay__transport_set_remote(tb_relay_pc *pc, const char *ufrag, const char *pwd,
                                    const char *fp_hash, const char *fp_value, bool dtls_client)
{
    if (!pc->agent || pc->remote_set)
        return;
    pc->remote_set = true;
    pc->dtls_client = dtls_client;
    nice_agent_set_remote_credentials(pc->agent, pc->stream_id, ufrag, pwd);
    pc->dtls = tb_relay_dtls_create(pc->room->relay->cert, dtls_client,
                                    pc->room->relay->cfg->prefer_gcm, dtls_send, pc);
    if (!pc->dtls || tb_relay_dtls_set_remote_fingerprint(pc->dtls, fp_hash, fp_value) != TB_OK) {
        transport_fail(pc, "cannot use the peer's fingerprint (%s)", fp_hash);
        return;
    }
    if (dtls_client)
        start_dtls_if_ready(pc);
    for (guint i = 0; i < pc->early_dtls->len; i++) {
        gsize n;
        const uint8_t *b = g_bytes_get_data(g_ptr_array_index(pc->early_dtls, i), &n);
        if (tb_relay_dtls_get_state(pc->dtls) == TB_RELAY_DTLS_NEW)
            tb_relay_dtls_start(pc->dtls);
        tb_relay_dtls_feed(pc->dtls, b, n);
    }
    g_ptr_array_set_size(pc->early_dtls, 0);
    after_dtls(pc);
}

void tb_relay__transport_add_candidate(tb_relay_pc *pc, const char *candidate)
{
    if (!pc->agent)
        return;
    if (!*candidate) {
        nice_agent_peer_candidate_gathering_done(pc->agent, pc->stream_id);
        return;
    }
    /* TCP candidates (RFC 6544) only when we listen for them; a browser's are active. */
    if (!pc->room->relay->cfg->ice_tcp &&
        (strstr(candidate, " tcp ") || strstr(candidate, " TCP ")))
        return;
    gchar *line = g_strdup_printf("a=%s", candidate);
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(pc->agent, pc->stream_id, line);
    g_free(line);
    if (!c) {
        TB_LOG_DEBUG("[%s] ignoring candidate we cannot use: %s", pc->tag, candidate);
        return;
    }
    GSList *list = g_slist_append(NULL, c);
    nice_agent_set_remote_candidates(pc->agent, pc->stream_id, 1, list);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

void tb_relay__transport_stop(tb_relay_pc *pc)
{
    GMainContext *ctx = pc->worker->ctx;
    GSource *s = pc->dtls_timer ? g_main_context_find_source_by_id(ctx, pc->dtls_timer) : NULL;
    if (s)
        g_source_destroy(s);
    pc->dtls_timer = 0;
    g_ptr_array_remove_fast(pc->worker->rtcp_pcs, pc);
    if (pc->dtls) {
        tb_relay_dtls_close(pc->dtls);
        tb_relay_dtls_destroy(pc->dtls);
        pc->dtls = NULL;
    }
    if (pc->srtp) {
        tb_relay_srtp_destroy(pc->srtp);
        pc->srtp = NULL;
    }
    tb_relay_srtp_out_destroy(pc->srtp_out);
    pc->srtp_out = NULL;
    tb_relay__sendq_destroy(pc->sendq);
    pc->sendq = NULL;
    if (pc->rxreg)
        rx_detach(pc);
    if (pc->agent) {
        g_signal_handlers_disconnect_by_data(pc->agent, pc);
        nice_agent_attach_recv(pc->agent, pc->stream_id, 1, ctx, NULL, NULL);
        nice_agent_remove_stream(pc->agent, pc->stream_id);
        g_object_unref(pc->agent);
        pc->agent = NULL;
    }
    if (pc->unsent_dtls) {
        g_ptr_array_unref(pc->unsent_dtls);
        pc->unsent_dtls = NULL;
    }
    if (pc->early_dtls) {
        g_ptr_array_unref(pc->early_dtls);
        pc->early_dtls = NULL;
    }
}

/* Every RTP packet to the peer goes through the same context, so that the rollover
 * counter of each SSRC stays one (srtp_out.h). */
static int protect_rtp(tb_relay_pc *pc, uint8_t *buf, size_t *len, size_t cap)
{
    if (pc->srtp_out)
        return tb_relay_srtp_out_protect(pc->srtp_out, buf, len, cap);
    return tb_relay_srtp_protect_rtp(pc->srtp, buf, len, cap);
}

void tb_relay__transport_send_rtp(tb_relay_pc *pc, uint8_t *buf, size_t len)
{
    if (!pc->srtp || !pc->agent ||
        protect_rtp(pc, buf, &len, TB_RELAY_MTU + TB_RELAY_SRTP_MAX_TRAILER))
        return;
    nice_agent_send(pc->agent, pc->stream_id, 1, (guint)len, (const gchar *)buf);
}

void tb_relay__transport_send_rtcp(tb_relay_pc *pc, uint8_t *buf, size_t len)
{
    if (!pc->srtp || !pc->agent)
        return;
    if (tb_relay_srtp_protect_rtcp(pc->srtp, buf, &len, TB_RELAY_MTU + TB_RELAY_SRTP_MAX_TRAILER))
        return;
    nice_agent_send(pc->agent, pc->stream_id, 1, (guint)len, (const gchar *)buf);
}

uint8_t *tb_relay__transport_rtp_buf(tb_relay_pc *pc)
{
    return pc->sendq ? tb_relay__sendq_reserve(pc->sendq) : pc->tx;
}

void tb_relay__transport_queue_rtp(tb_relay_pc *pc, uint8_t *buf, size_t len)
{
    if (!pc->sendq) {
        tb_relay__transport_send_rtp(pc, buf, len);
        return;
    }
    if (!pc->srtp || protect_rtp(pc, buf, &len, TB_RELAY_SENDQ_SLOT) != TB_OK)
        return;
    tb_relay__sendq_commit(pc->sendq, len);
}
