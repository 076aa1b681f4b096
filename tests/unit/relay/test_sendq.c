/* test_sendq.c — batched sends on the socket of an ICE-selected pair, and pinning that
 * socket to the peer (relay/sendq.h). Two real libnice agents on loopback, in this
 * thread's own main context, as a media worker runs them. */
#include "relay/sendq.h"

#include <agent.h>
#include <errno.h>
#include <stdbool.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct {
    GMainContext *ctx;
    NiceAgent *a, *b;
    guint sa, sb;
    int ready; /* components that reached READY */
    int got;   /* datagrams b received that were ours */
} fixture;

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
    fixture *f = data;
    if (state == NICE_COMPONENT_STATE_READY)
        f->ready++;
}

static void on_recv_b(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                      gpointer data)
{
    fixture *f = data;
    if (len == 5 && memcmp(buf, "hello", 5) == 0)
        f->got++;
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
    g_assert_cmpuint(*stream, >, 0);
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
    g_assert_nonnull(cands);
    g_assert_cmpint(nice_agent_set_remote_candidates(to, ts, 1, cands), >, 0);
    g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
    g_free(ufrag);
    g_free(pwd);
}

static bool run_until(fixture *f, int *counter, int want)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (*counter < want && g_get_monotonic_time() < end)
        if (!g_main_context_iteration(f->ctx, FALSE))
            g_usleep(500);
    return *counter >= want;
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
    g_assert_true(run_until(f, &f->ready, 2));
}

static void fx_teardown(fixture *f, gconstpointer data)
{
    g_object_unref(f->a);
    g_object_unref(f->b);
    while (g_main_context_iteration(f->ctx, FALSE))
        ;
    g_main_context_pop_thread_default(f->ctx);
    g_main_context_unref(f->ctx);
}

static void send_hellos(fixture *f, tb_relay__sendq *q, int n)
{
    for (int i = 0; i < n; i++) {
        memcpy(tb_relay__sendq_reserve(q), "hello", 5);
        tb_relay__sendq_commit(q, 5);
    }
    tb_relay__sendq_flush();
}

static int selected_fd(NiceAgent *agent, guint stream)
{
    GSocket *s = nice_agent_get_selected_socket(agent, stream, 1);
    g_assert_nonnull(s);
    int fd = g_socket_get_fd(s);
    g_object_unref(s);
    return fd;
}

/* The peer's address, from b's side: its selected pair's local candidate. */
static void peer_address(fixture *f, struct sockaddr_storage *ss)
{
    NiceCandidate *local = NULL, *remote = NULL;
    g_assert_true(nice_agent_get_selected_pair(f->b, f->sb, 1, &local, &remote));
    memset(ss, 0, sizeof *ss);
    nice_address_copy_to_sockaddr(&local->addr, (struct sockaddr *)ss);
}

static void test_batched(fixture *f, gconstpointer data)
{
    tb_relay__sendq *q = tb_relay__sendq_create(f->a, f->sa);
    tb_relay__sendq_update_path(q);
    uint64_t sent0, dropped0, sent, dropped;
    tb_relay__sendq_counters(&sent0, &dropped0);
    send_hellos(f, q, 3);
    g_assert_true(run_until(f, &f->got, 3));
    tb_relay__sendq_counters(&sent, &dropped);
    g_assert_cmpuint(sent - sent0, ==, 3);
    g_assert_cmpuint(dropped, ==, dropped0);
    /* Not pinned: the socket is libnice's, unconnected, open to every candidate. */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    g_assert_cmpint(getpeername(selected_fd(f->a, f->sa), (struct sockaddr *)&ss, &sl), ==, -1);
    g_assert_cmpint(errno, ==, ENOTCONN);
    tb_relay__sendq_destroy(q);
}

static void test_pinned(fixture *f, gconstpointer data)
{
    tb_relay__sendq *q = tb_relay__sendq_create(f->a, f->sa);
    tb_relay__sendq_update_path(q);
    tb_relay__sendq_pin(q);
    int fd = selected_fd(f->a, f->sa);
    struct sockaddr_storage got, want;
    socklen_t sl = sizeof got;
    g_assert_cmpint(getpeername(fd, (struct sockaddr *)&got, &sl), ==, 0);
    peer_address(f, &want);
    g_assert_cmpuint(sl, ==, sizeof(struct sockaddr_in));
    g_assert_cmpmem(&got, sizeof(struct sockaddr_in), &want, sizeof(struct sockaddr_in));
    /* Sends go out without an address, and arrive. */
    send_hellos(f, q, 4);
    g_assert_true(run_until(f, &f->got, 4));
    /* The pin outlives a re-read of the path (ICE selecting a pair again). */
    tb_relay__sendq_update_path(q);
    sl = sizeof got;
    g_assert_cmpint(getpeername(fd, (struct sockaddr *)&got, &sl), ==, 0);
    send_hellos(f, q, 2);
    g_assert_true(run_until(f, &f->got, 6));
    /* libnice's own traffic on the connected socket still flows: its sends name the
     * peer's address, which a connected UDP socket accepts. */
    int before = f->got;
    g_assert_cmpint(nice_agent_send(f->a, f->sa, 1, 5, "hello"), ==, 5);
    g_assert_true(run_until(f, &f->got, before + 1));
    tb_relay__sendq_destroy(q);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/relay/sendq/batched", fixture, NULL, fx_setup, test_batched, fx_teardown);
    g_test_add("/relay/sendq/pinned", fixture, NULL, fx_setup, test_pinned, fx_teardown);
    return g_test_run();
}
