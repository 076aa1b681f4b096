/* RTCP from subscribers (relay/feedback.c): NACKs are answered from the retransmission
 * buffer, within a budget. A subscriber leg is set up by hand on a real libnice agent
 * pair on loopback; the test forwards a stream into the leg's buffer, then plays a
 * subscriber whose crafted NACKs ask for everything, many times, and counts the RTP
 * datagrams that actually reach it. */
#include "relay/internal.h"
#include "common/tb_error.h"

#include <agent.h>
#include <glib.h>
#include <string.h>

#define PAYLOAD  988
#define PKT_LEN  (12 + PAYLOAD)
#define IN_SSRC  0x11112222u
#define OUT_SSRC 0x33334444u

typedef struct fixture {
    GMainContext *ctx;
    NiceAgent *a, *b;
    guint sa, sb;
    int ready;
    int rtp; /* RTP datagrams b received */
    tb_relay__worker worker;
    tb_relay_pc *pc;
    tb_relay_track *track;
    tb_relay__slot *slot;
    uint16_t next_seq;
    uint64_t forwarded; /* payload bytes forwarded on the leg */
} fixture;

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
    if (state == NICE_COMPONENT_STATE_READY)
        ((fixture *)data)->ready++;
}

static void on_recv_b(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                      gpointer data)
{
    if (tb_relay_pkt_classify((const uint8_t *)buf, len) == TB_RELAY_PKT_RTP)
        ((fixture *)data)->rtp++;
}

static void on_recv_a(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                      gpointer data)
{
}

static NiceAgent *make_agent(fixture *f, bool controlling, guint *stream, NiceAgentRecvFunc rx)
{
    NiceAgent *agent =
        nice_agent_new_full(f->ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE,
                 "stun-pacing-timer", 5u, NULL);
    NiceAddress lo;
    nice_address_init(&lo);
    g_assert_true(nice_address_set_from_string(&lo, "127.0.0.1"));
    nice_agent_add_local_address(agent, &lo);
    g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state), f);
    *stream = nice_agent_add_stream(agent, 1);
    nice_agent_attach_recv(agent, *stream, 1, f->ctx, rx, f);
    g_assert_true(nice_agent_gather_candidates(agent, *stream));
    return agent;
}

static void introduce(NiceAgent *from, guint fs, NiceAgent *to, guint ts)
{
    gchar *ufrag = NULL, *pwd = NULL;
    g_assert_true(nice_agent_get_local_credentials(from, fs, &ufrag, &pwd));
    g_assert_true(nice_agent_set_remote_credentials(to, ts, ufrag, pwd));
    GSList *cands = nice_agent_get_local_candidates(from, fs, 1);
    g_assert_cmpint(nice_agent_set_remote_candidates(to, ts, 1, cands), >, 0);
    g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
    g_free(ufrag);
    g_free(pwd);
}

/* Runs the context for ms. */
static void run(fixture *f, int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end)
        if (!g_main_context_iteration(f->ctx, FALSE))
            g_usleep(500);
}

static void fx_setup(fixture *f, gconstpointer data)
{
    memset(f, 0, sizeof *f);
    f->ctx = g_main_context_new();
    g_main_context_push_thread_default(f->ctx);
    f->a = make_agent(f, true, &f->sa, on_recv_a);
    f->b = make_agent(f, false, &f->sb, on_recv_b);
    introduce(f->a, f->sa, f->b, f->sb);
    introduce(f->b, f->sb, f->a, f->sa);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (f->ready < 2 && g_get_monotonic_time() < end)
        run(f, 1);
    g_assert_cmpint(f->ready, ==, 2);

    /* A subscribe connection on a's agent, with SRTP keys of its own (b only counts). */
    f->worker.index = 0;
    tb_relay_pc *pc = g_new0(tb_relay_pc, 1);
    pc->ref = 1;
    pc->role = TB_RELAY_PC_SUBSCRIBE;
    pc->worker = &f->worker;
    pc->tag = g_strdup("unit/psub/sub");
    pc->agent = f->a;
    pc->stream_id = f->sa;
    pc->slots = g_ptr_array_new();
    pc->wtracks = g_ptr_array_new();
    tb_relay__mline ml = {.media = "video", .mid = "1"};
    ml.codec = (tb_relay__codec){.pt = 96, .name = "VP8", .clock_rate = 90000, .fb_nack = true};
    f->track = tb_relay__track_create(NULL, "ppub", &ml, "camera", 512);
    tb_relay__forward_bind_slot(pc, 0, f->track, OUT_SSRC);
    f->slot = g_ptr_array_index(pc->slots, 0);
    tb_relay_srtp_keys k = {
        .profile = TB_RELAY_SRTP_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12};
    pc->srtp = tb_relay_srtp_create(&k);
    g_assert_nonnull(pc->srtp);
    f->pc = pc;
    f->next_seq = 1000;
}

static void fx_teardown(fixture *f, gconstpointer data)
{
    tb_relay__forward_stop_pc(f->pc);
    tb_relay_srtp_destroy(f->pc->srtp);
    g_ptr_array_unref(f->pc->slots);
    g_ptr_array_unref(f->pc->wtracks);
    g_free(f->pc->tag);
    g_free(f->pc);
    tb_relay_track_unref(f->track);
    g_object_unref(f->a);
    g_object_unref(f->b);
    while (g_main_context_iteration(f->ctx, FALSE))
        ;
    g_main_context_pop_thread_default(f->ctx);
    g_main_context_unref(f->ctx);
}

/* n packets of the publisher's stream, as the fan-out handles them for this leg: kept in
 * the worker's retransmission buffer and mapped by the leg's rewriter (forward.c). They
 * are not sent: b counts retransmissions only. */
static void forward(fixture *f, int n)
{
    uint8_t pkt[PKT_LEN];
    for (int i = 0; i < n; i++) {
        uint16_t seq = f->next_seq++;
        memset(pkt, 0, sizeof pkt);
        pkt[0] = 0x80;
        pkt[1] = 96;
        tb_relay_rtp_set_seq(pkt, seq);
        tb_relay_rtp_set_timestamp(pkt, 3000u * seq);
        tb_relay_rtp_set_ssrc(pkt, IN_SSRC);
        tb_relay_rtxbuf_put(f->track->local[0].rtx, seq, pkt, sizeof pkt, 0);
        uint16_t oseq;
        uint32_t ots;
        g_assert_cmpint(tb_relay_rewriter_map(&f->slot->rw, IN_SSRC, seq, 3000u * seq,
                                              g_get_monotonic_time(), &oseq, &ots),
                        ==, TB_OK);
        f->slot->packets++;
        f->slot->octets += PAYLOAD;
        f->forwarded += PAYLOAD;
    }
}

/* One RTCP packet from the subscriber: `nacks` NACK messages, each for the `count` last
 * packets forwarded (the most one NACK item names here: TB_RELAY_RTCP_MAX_NACK). Returns
 * the RTP datagrams it brought back to b. */
static int send_nacks(fixture *f, int nacks, int count)
{
    uint16_t seqs[TB_RELAY_RTCP_MAX_NACK];
    g_assert_cmpint(count, <=, TB_RELAY_RTCP_MAX_NACK);
    for (int i = 0; i < count; i++)
        seqs[i] = (uint16_t)(f->next_seq - count + i);
    uint8_t buf[TB_RELAY_MTU];
    size_t off = 0;
    for (int i = 0; i < nacks; i++) {
        int n = tb_relay_rtcp_write_nack(buf + off, sizeof buf - off, 0x5555, OUT_SSRC, seqs,
                                         (size_t)count);
        g_assert_cmpint(n, >, 0);
        off += (size_t)n;
    }
    int before = f->rtp;
    tb_relay__forward_rtcp(f->pc, buf, off);
    run(f, 20);
    return f->rtp - before;
}

/* A few lost packets are resent, as before. */
static void test_repairs_loss(fixture *f, gconstpointer data)
{
    forward(f, 100);
    g_assert_cmpint(send_nacks(f, 1, 3), ==, 3);
}

/* One RTCP packet holding four NACKs for 64 packets each: the relay used to resend 256
 * packets (256 KB) for one 1 KB request. At most RTX_PER_RTCP (32) now. */
static void test_one_packet_amplification(fixture *f, gconstpointer data)
{
    forward(f, 300);
    int got = send_nacks(f, 4, TB_RELAY_RTCP_MAX_NACK);
    g_test_message("one RTCP packet asking for 4 x 64 packets brought %d back", got);
    g_assert_cmpint(got, >, 0);
    g_assert_cmpint(got, <=, 32);
}

/* A subscriber hammering NACKs for everything: what it gets back stays within a quarter
 * of what was forwarded on its leg, plus one burst (64 KiB), however often it asks; and
 * once more media has been forwarded, real losses are repaired again. */
static void test_flood(fixture *f, gconstpointer data)
{
    forward(f, 300);
    int got = 0;
    for (int i = 0; i < 200; i++)
        got += send_nacks(f, 1, TB_RELAY_RTCP_MAX_NACK);
    uint64_t resent = (uint64_t)got * PKT_LEN;
    g_test_message("200 NACKs of 64: %d packets (%" G_GUINT64_FORMAT
                   " bytes) resent for %" G_GUINT64_FORMAT " forwarded",
                   got, resent, f->forwarded);
    g_assert_cmpuint(resent, <=, f->forwarded / 4 + 64 * 1024);
    g_assert_cmpuint(f->slot->rtx_refused, >, 0);
    g_assert_cmpuint(f->slot->rtx_sent, ==, (guint)got);

    forward(f, 100);
    g_assert_cmpint(send_nacks(f, 1, 5), ==, 5);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/feedback/nack-repairs-loss", fixture, NULL, fx_setup, test_repairs_loss,
               fx_teardown);
    g_test_add("/feedback/nack-one-packet-amplification", fixture, NULL, fx_setup,
               test_one_packet_amplification, fx_teardown);
    g_test_add("/feedback/nack-flood", fixture, NULL, fx_setup, test_flood, fx_teardown);
    return g_test_run();
}
