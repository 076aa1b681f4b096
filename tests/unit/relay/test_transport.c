/* A connection's transport (relay/transport.c) against a client that goes away: real
 * relays (full ICE and ICE lite, one worker each) and clients of our own on loopback — a
 * libnice agent and relay/dtls.c, as the load generator has — that connect publish and
 * subscribe connections through the public API.
 *
 * - Consent freshness (RFC 7675): all connections come up, subscribers' sockets move to
 *   the worker's epoll set (rxpoll.h) and get connected to the peer (sendq.h); they must
 *   stay up while the clients answer, then fail within 30 s once the clients stop
 *   answering without closing anything, and free their transport.
 * - relay.connect_timeout: connections that never get connected (no description, no
 *   candidates, or ICE without DTLS) fail after it and free what they held; one that did
 *   connect is left alone. */
#include "relay/internal.h"
#include "common/tb_error.h"

#include <agent.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the test's client ---- */

typedef struct client {
    const char *name;
    GMainContext *ctx; /* clients' own context: not iterated = the client froze */
    NiceAgent *agent;
    guint stream;
    bool gathered, ice_ready;
    GPtrArray *cands; /* "candidate:..." */
    tb_relay_dtls_cert *cert;
    tb_relay_dtls *dtls;
    GSource *dtls_timer;
    bool no_dtls; /* ICE only: the DTLS handshake never starts */
    /* the relay's side, from its events on the main thread */
    tb_relay_pc *pc;
    tb_relay_pc_state state;
    gint64 state_us;
} client;

static void on_gathered(NiceAgent *agent, guint stream, gpointer data)
{
    ((client *)data)->gathered = true;
}

static void on_cand(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    client *c = data;
    gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, cand);
    if (sdp && g_str_has_prefix(sdp, "a=") && cand->transport == NICE_CANDIDATE_TRANSPORT_UDP)
        g_ptr_array_add(c->cands, g_strdup(sdp + 2));
    g_free(sdp);
}

static void client_dtls_step(client *c);

static gboolean on_dtls_timer(gpointer data)
{
    client *c = data;
    g_source_unref(c->dtls_timer);
    c->dtls_timer = NULL;
    tb_relay_dtls_handle_timeout(c->dtls);
    client_dtls_step(c);
    return G_SOURCE_REMOVE;
}

static void client_dtls_step(client *c)
{
    if (c->dtls_timer) {
        g_source_destroy(c->dtls_timer);
        g_source_unref(c->dtls_timer);
        c->dtls_timer = NULL;
    }
    int ms = tb_relay_dtls_get_state(c->dtls) == TB_RELAY_DTLS_HANDSHAKING
                 ? tb_relay_dtls_timeout_ms(c->dtls)
                 : -1;
    if (ms < 0)
        return;
    c->dtls_timer = g_timeout_source_new((guint)ms);
    g_source_set_callback(c->dtls_timer, on_dtls_timer, c, NULL);
    g_source_attach(c->dtls_timer, c->ctx);
}

static void client_dtls_start(client *c)
{
    if (c->ice_ready && c->dtls && !c->no_dtls &&
        tb_relay_dtls_get_state(c->dtls) == TB_RELAY_DTLS_NEW) {
        tb_relay_dtls_start(c->dtls);
        client_dtls_step(c);
    }
}

static void on_ice_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
    client *c = data;
    if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
        c->ice_ready = true;
        client_dtls_start(c);
    }
}

static void on_client_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                           gpointer data)
{
    client *c = data;
    if (c->dtls && !c->no_dtls &&
        tb_relay_pkt_classify((const uint8_t *)buf, len) == TB_RELAY_PKT_DTLS) {
        tb_relay_dtls_feed(c->dtls, (const uint8_t *)buf, len);
        client_dtls_step(c);
    }
}

static void dtls_out(void *user, const uint8_t *buf, size_t len)
{
    client *c = user;
    nice_agent_send(c->agent, c->stream, 1, (guint)len, (const gchar *)buf);
}

static void pump(GMainContext *clients, int ms);

static client *client_new(const char *name, GMainContext *ctx, tb_relay_dtls_cert *cert,
                          bool controlling)
{
    client *c = g_new0(client, 1);
    c->name = name;
    c->ctx = ctx;
    c->cert = cert;
    c->cands = g_ptr_array_new_with_free_func(g_free);
    c->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(c->agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE,
                 "stun-pacing-timer", 5u, NULL);
    NiceAddress lo;
    nice_address_init(&lo);
    nice_address_set_from_string(&lo, "127.0.0.1");
    nice_agent_add_local_address(c->agent, &lo);
    g_signal_connect(c->agent, "new-candidate-full", G_CALLBACK(on_cand), c);
    g_signal_connect(c->agent, "candidate-gathering-done", G_CALLBACK(on_gathered), c);
    g_signal_connect(c->agent, "component-state-changed", G_CALLBACK(on_ice_state), c);
    c->stream = nice_agent_add_stream(c->agent, 1);
    nice_agent_attach_recv(c->agent, c->stream, 1, ctx, on_client_recv, c);
    g_assert_true(nice_agent_gather_candidates(c->agent, c->stream));
    for (int i = 0; i < 2000 && !c->gathered; i++)
        pump(ctx, 1);
    g_assert_true(c->gathered);
    return c;
}

static void client_free(client *c)
{
    if (c->dtls_timer) {
        g_source_destroy(c->dtls_timer);
        g_source_unref(c->dtls_timer);
    }
    tb_relay_dtls_destroy(c->dtls);
    nice_agent_attach_recv(c->agent, c->stream, 1, c->ctx, NULL, NULL);
    g_object_unref(c->agent);
    g_ptr_array_unref(c->cands);
    g_free(c);
}

static char *sdp_value(const char *sdp, const char *key)
{
    const char *p = strstr(sdp, key);
    g_assert_nonnull(p);
    p += strlen(key);
    return g_strndup(p, strcspn(p, "\r\n"));
}

/* The relay's description: its credentials and fingerprint; the client is the DTLS
 * client (we offer actpass and the relay answers passive; the relay offers actpass and
 * we answer active). */
static void client_set_remote(client *c, const char *relay_sdp)
{
    g_autofree char *ufrag = sdp_value(relay_sdp, "a=ice-ufrag:");
    g_autofree char *pwd = sdp_value(relay_sdp, "a=ice-pwd:");
    g_autofree char *fp = sdp_value(relay_sdp, "a=fingerprint:sha-256 ");
    g_assert_true(nice_agent_set_remote_credentials(c->agent, c->stream, ufrag, pwd));
    c->dtls = tb_relay_dtls_create(c->cert, true, true, dtls_out, c);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(c->dtls, "sha-256", fp), ==, TB_OK);
    client_dtls_start(c);
}

/* Our candidates, trickled to the relay. */
static void client_trickle(client *c)
{
    char err[256];
    for (guint i = 0; i < c->cands->len; i++)
        g_assert_cmpint(tb_relay_pc_add_remote_candidate(c->pc, g_ptr_array_index(c->cands, i), "0",
                                                         err, sizeof err),
                        ==, TB_OK);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(c->pc, "", "0", err, sizeof err), ==, TB_OK);
}

/* ---- the relay's events ---- */

static void ev_candidate(void *user, tb_relay_pc *pc, const char *cand, const char *mid)
{
    client *c = user;
    if (!c->dtls)
        return; /* a client that never took the relay's description cannot use them */
    if (!*cand) {
        nice_agent_peer_candidate_gathering_done(c->agent, c->stream);
        return;
    }
    g_autofree char *line = g_strdup_printf("a=%s", cand);
    NiceCandidate *nc = nice_agent_parse_remote_candidate_sdp(c->agent, c->stream, line);
    g_assert_nonnull(nc);
    GSList *l = g_slist_append(NULL, nc);
    nice_agent_set_remote_candidates(c->agent, c->stream, 1, l);
    g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
}

static void ev_state(void *user, tb_relay_pc *pc, tb_relay_pc_state st)
{
    client *c = user;
    g_test_message("%s: %s", c->name, tb_relay_pc_state_name(st));
    c->state = st;
    c->state_us = g_get_monotonic_time();
}

static const tb_relay_pc_events events = {ev_candidate, ev_state};

/* Relay events (default context) and, unless clients is NULL, the clients. */
static void pump(GMainContext *clients, int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    do {
        bool busy = g_main_context_iteration(NULL, FALSE);
        if (clients)
            busy |= g_main_context_iteration(clients, FALSE);
        if (!busy)
            g_usleep(500);
    } while (g_get_monotonic_time() < end);
}

static bool all_in(client **cs, int n, tb_relay_pc_state st)
{
    for (int i = 0; i < n; i++)
        if (cs[i]->state != st)
            return false;
    return true;
}

/* ---- connections ---- */

static const char PUB_OFFER[] = "v=0\r\n"
                                "o=- 42 2 IN IP4 127.0.0.1\r\n"
                                "s=-\r\n"
                                "t=0 0\r\n"
                                "a=group:BUNDLE 0\r\n"
                                "a=msid-semantic: WMS s\r\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                "c=IN IP4 0.0.0.0\r\n"
                                "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                                "a=ice-ufrag:%s\r\n"
                                "a=ice-pwd:%s\r\n"
                                "a=ice-options:trickle\r\n"
                                "a=fingerprint:sha-256 %s\r\n"
                                "a=setup:actpass\r\n"
                                "a=mid:0\r\n"
                                "a=sendonly\r\n"
                                "a=msid:s a0\r\n"
                                "a=rtcp-mux\r\n"
                                "a=rtpmap:111 opus/48000/2\r\n"
                                "a=ssrc:4242 cname:s\r\n";

static char *client_creds(client *c, char **pwd)
{
    gchar *ufrag = NULL;
    g_assert_true(nice_agent_get_local_credentials(c->agent, c->stream, &ufrag, pwd));
    return ufrag;
}

/* A publish connection for c: its offer, the relay's answer, candidates both ways. */
static GPtrArray *publish(client *c, tb_relay_room *room)
{
    g_autofree char *pwd = NULL;
    g_autofree char *ufrag = client_creds(c, &pwd);
    g_autofree char *offer =
        g_strdup_printf(PUB_OFFER, ufrag, pwd, tb_relay_dtls_cert_fingerprint(c->cert));
    c->pc = tb_relay_pc_create(room, TB_RELAY_PC_PUBLISH, c->name, &events, c);
    GPtrArray *added, *removed;
    char err[256] = "";
    g_autofree char *answer =
        tb_relay_pc_publish_offer(c->pc, offer, &added, &removed, err, sizeof err);
    g_assert_nonnull(answer);
    g_ptr_array_unref(removed);
    client_set_remote(c, answer);
    client_trickle(c);
    return added;
}

/* The relay's subscribe offer answered by c: same m-lines, recvonly, c's credentials. */
static char *answer_for(client *c, const char *offer)
{
    g_autofree char *pwd = NULL;
    g_autofree char *ufrag = client_creds(c, &pwd);
    g_auto(GStrv) lines = g_strsplit(offer, "\r\n", -1);
    GString *out = g_string_new(NULL);
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (!*l || g_str_has_prefix(l, "a=ssrc:") || g_str_has_prefix(l, "a=msid:") ||
            !strcmp(l, "a=ice-lite"))
            continue;
        if (g_str_has_prefix(l, "a=ice-ufrag:"))
            g_string_append_printf(out, "a=ice-ufrag:%s\r\n", ufrag);
        else if (g_str_has_prefix(l, "a=ice-pwd:"))
            g_string_append_printf(out, "a=ice-pwd:%s\r\n", pwd);
        else if (g_str_has_prefix(l, "a=fingerprint:"))
            g_string_append_printf(out, "a=fingerprint:sha-256 %s\r\n",
                                   tb_relay_dtls_cert_fingerprint(c->cert));
        else if (!strcmp(l, "a=setup:actpass"))
            g_string_append(out, "a=setup:active\r\n");
        else if (!strcmp(l, "a=sendonly"))
            g_string_append(out, "a=recvonly\r\n");
        else
            g_string_append_printf(out, "%s\r\n", l);
    }
    return g_string_free(out, FALSE);
}

static void subscribe(client *c, tb_relay_room *room, GPtrArray *tracks)
{
    c->pc = tb_relay_pc_create(room, TB_RELAY_PC_SUBSCRIBE, c->name, &events, c);
    g_assert_true(tb_relay_pc_subscribe_set(c->pc, tracks));
    int rev;
    g_autofree char *offer = tb_relay_pc_subscribe_offer(c->pc, &rev);
    g_assert_nonnull(offer);
    g_autofree char *answer = answer_for(c, offer);
    char err[256] = "";
    g_assert_cmpint(tb_relay_pc_subscribe_answer(c->pc, rev, answer, err, sizeof err), ==, TB_OK);
    client_set_remote(c, offer);
    client_trickle(c);
}

/* ---- what the worker holds, asked on the worker ---- */

typedef struct look {
    tb_relay_pc *pc;
    bool has_agent, has_dtls, has_srtp, ticking, in_rxpoll, pinned;
    gint done;
} look;

static gboolean look_run(gpointer data)
{
    look *l = data;
    tb_relay_pc *pc = l->pc;
    l->has_agent = pc->agent != NULL;
    l->has_dtls = pc->dtls != NULL;
    l->has_srtp = pc->srtp != NULL;
    l->in_rxpoll = pc->rxreg != NULL;
    l->ticking = g_ptr_array_find(pc->worker->rtcp_pcs, pc, NULL);
    GSocket *s = pc->agent ? nice_agent_get_selected_socket(pc->agent, pc->stream_id, 1) : NULL;
    if (s) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        l->pinned = getpeername(g_socket_get_fd(s), (struct sockaddr *)&ss, &sl) == 0;
        g_object_unref(s);
    }
    g_atomic_int_set(&l->done, 1);
    return G_SOURCE_REMOVE;
}

static look look_at(tb_relay_pc *pc)
{
    look l = {.pc = pc};
    tb_relay__worker_post(pc->worker, look_run, &l, NULL);
    while (!g_atomic_int_get(&l.done))
        g_usleep(1000);
    return l;
}

static tb_relay *relay_with(tb_config *cfg, const char *text)
{
    char err[256];
    g_assert_cmpint(tb_config_load_data(cfg, text, NULL, err, sizeof err), ==, TB_OK);
    tb_relay *r = tb_relay_create(&cfg->relay, err, sizeof err);
    g_assert_nonnull(r);
    return r;
}

/* ---- consent ---- */

#define N_CONSENT 4

static void test_consent(void)
{
    tb_config cfg_full, cfg_lite;
    tb_relay *full = relay_with(&cfg_full, "[relay]\nworkers = 1\n");
    tb_relay *lite = relay_with(&cfg_lite, "[relay]\nworkers = 1\nice_lite = true\n");
    tb_relay_room *room_full = tb_relay_room_create(full, "full");
    tb_relay_room *room_lite = tb_relay_room_create(lite, "lite");
    char err[256];
    tb_relay_dtls_cert *cert = tb_relay_dtls_cert_create(err, sizeof err);
    g_assert_nonnull(cert);
    GMainContext *ctx = g_main_context_new();

    /* Full ICE: the relay is controlled on publish, controlling on subscribe connections.
     * Lite: the client controls both. */
    client *cs[N_CONSENT] = {
        client_new("full-pub", ctx, cert, true),
        client_new("full-sub", ctx, cert, false),
        client_new("lite-pub", ctx, cert, true),
        client_new("lite-sub", ctx, cert, true),
    };
    GPtrArray *tf = publish(cs[0], room_full);
    subscribe(cs[1], room_full, tf);
    GPtrArray *tl = publish(cs[2], room_lite);
    subscribe(cs[3], room_lite, tl);
    for (int i = 0; i < 10000 && !all_in(cs, N_CONSENT, TB_RELAY_PC_CONNECTED); i++)
        pump(ctx, 1);
    g_assert_true(all_in(cs, N_CONSENT, TB_RELAY_PC_CONNECTED));

    /* Subscribers' sockets: read through the worker's epoll set, then connected to the
     * peer once the path has settled (2-3 s). */
    pump(ctx, 4000);
    for (int i = 1; i < N_CONSENT; i += 2) {
        look l = look_at(cs[i]->pc);
        g_assert_true(l.in_rxpoll);
        g_assert_true(l.pinned);
    }
    /* Longer than consent takes to expire (10 s in libnice 0.1.21): consent checks and
     * their answers keep flowing on every kind of socket while the clients answer. */
    pump(ctx, 13000);
    for (int i = 0; i < N_CONSENT; i++)
        g_assert_cmpint(cs[i]->state, ==, TB_RELAY_PC_CONNECTED);

    /* The clients vanish: nothing closed, nothing sent, nothing answered. */
    gint64 gone = g_get_monotonic_time();
    for (int i = 0; i < 35000 && !all_in(cs, N_CONSENT, TB_RELAY_PC_FAILED); i++)
        pump(NULL, 1);
    for (int i = 0; i < N_CONSENT; i++) {
        g_test_message("%s: %s %.1f s after the client vanished", cs[i]->name,
                       tb_relay_pc_state_name(cs[i]->state),
                       (double)(cs[i]->state_us - gone) / G_USEC_PER_SEC);
        g_assert_cmpint(cs[i]->state, ==, TB_RELAY_PC_FAILED);
        g_assert_cmpint(cs[i]->state_us - gone, <=, 30 * G_USEC_PER_SEC);
        g_assert_cmpint(tb_relay_pc_get_state(cs[i]->pc), ==, TB_RELAY_PC_FAILED);
    }
    pump(NULL, 100);
    for (int i = 0; i < N_CONSENT; i++) {
        look l = look_at(cs[i]->pc);
        g_assert_false(l.has_agent || l.has_dtls || l.has_srtp || l.ticking || l.in_rxpoll);
    }

    for (int i = 0; i < N_CONSENT; i++) {
        tb_relay_pc_close(cs[i]->pc);
        client_free(cs[i]);
    }
    g_ptr_array_unref(tf);
    g_ptr_array_unref(tl);
    tb_relay_room_destroy(room_full);
    tb_relay_room_destroy(room_lite);
    tb_relay_destroy(full);
    tb_relay_destroy(lite);
    tb_config_clear(&cfg_full);
    tb_config_clear(&cfg_lite);
    tb_relay_dtls_cert_unref(cert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
}

/* ---- the connect deadline ---- */

static void test_connect_timeout(void)
{
    tb_config cfg;
    tb_relay *relay = relay_with(&cfg, "[relay]\nworkers = 1\nconnect_timeout = 2\n");
    tb_relay_room *room = tb_relay_room_create(relay, "deadline");
    char err[256];
    tb_relay_dtls_cert *cert = tb_relay_dtls_cert_create(err, sizeof err);
    GMainContext *ctx = g_main_context_new();

    /* A connection that gets a description, but no candidate ever. */
    client *silent = client_new("no-candidates", ctx, cert, true);
    g_autofree char *pwd = NULL;
    g_autofree char *ufrag = client_creds(silent, &pwd);
    g_autofree char *offer =
        g_strdup_printf(PUB_OFFER, ufrag, pwd, tb_relay_dtls_cert_fingerprint(cert));
    silent->pc = tb_relay_pc_create(room, TB_RELAY_PC_PUBLISH, silent->name, &events, silent);
    GPtrArray *added, *removed;
    g_autofree char *answer =
        tb_relay_pc_publish_offer(silent->pc, offer, &added, &removed, err, sizeof err);
    g_assert_nonnull(answer);
    g_ptr_array_unref(removed);
    /* A subscribe connection whose offer is never answered. */
    client *mute = client_new("never-answers", ctx, cert, false);
    mute->pc = tb_relay_pc_create(room, TB_RELAY_PC_SUBSCRIBE, mute->name, &events, mute);
    g_assert_true(tb_relay_pc_subscribe_set(mute->pc, added));
    int rev;
    g_free(tb_relay_pc_subscribe_offer(mute->pc, &rev));
    /* One that completes ICE but never starts DTLS. */
    client *half = client_new("ice-only", ctx, cert, true);
    half->no_dtls = true;
    GPtrArray *t2 = publish(half, room);
    /* And one that connects: the deadline is not for it. */
    client *ok = client_new("connects", ctx, cert, true);
    GPtrArray *t3 = publish(ok, room);

    client *late[] = {silent, mute, half};
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < 8000 && !all_in(late, 3, TB_RELAY_PC_FAILED); i++)
        pump(ctx, 1);
    for (int i = 0; i < 3; i++) {
        g_test_message("%s: %s after %.1f s", late[i]->name, tb_relay_pc_state_name(late[i]->state),
                       (double)(late[i]->state_us - start) / G_USEC_PER_SEC);
        g_assert_cmpint(late[i]->state, ==, TB_RELAY_PC_FAILED);
        g_assert_cmpint(late[i]->state_us - start, >=, 1 * G_USEC_PER_SEC);
    }
    g_assert_true(half->ice_ready);
    pump(ctx, 2500);
    g_assert_cmpint(ok->state, ==, TB_RELAY_PC_CONNECTED);
    for (int i = 0; i < 3; i++) {
        look l = look_at(late[i]->pc);
        g_assert_false(l.has_agent || l.has_dtls || l.ticking);
    }
    g_assert_true(look_at(ok->pc).has_srtp);

    client *all[] = {silent, mute, half, ok};
    for (int i = 0; i < 4; i++) {
        tb_relay_pc_close(all[i]->pc);
        client_free(all[i]);
    }
    g_ptr_array_unref(added);
    g_ptr_array_unref(t2);
    g_ptr_array_unref(t3);
    tb_relay_room_destroy(room);
    tb_relay_destroy(relay);
    tb_config_clear(&cfg);
    tb_relay_dtls_cert_unref(cert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/transport/connect-timeout", test_connect_timeout);
    g_test_add_func("/transport/consent", test_consent);
    return g_test_run();
}
