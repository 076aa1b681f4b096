/* Peer connections on the control-plane side, with a real relay (one worker): publish
 * offer → answer and tracks; the subscribe state machine (one outstanding offer,
 * revisions, inactive m-lines reused only after the client saw them free); refusals;
 * closing with work in flight. Runs under ASan in CI, so leaks count as failures. */
#include "relay/internal.h"
#include "common/tb_error.h"

#include <glib.h>
#include <string.h>

static char *fixture(const char *name)
{
    g_autofree char *path = g_build_filename(TB_TEST_DATA, "sdp", name, NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static char *replace(const char *s, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(s, from, -1);
    return g_strjoinv(to, parts);
}

/* A client's answer to our subscribe offer: same m-lines, recvonly, its own ICE and DTLS
 * parameters, optionally rejecting m-line `reject_mid`. */
static char *client_answer(const char *offer, const char *reject_mid)
{
    g_autofree char *a = replace(offer, "a=setup:actpass", "a=setup:active");
    g_autofree char *b = replace(a, "a=sendonly", "a=recvonly");
    g_auto(GStrv) lines = g_strsplit(b, "\r\n", -1);
    GString *out = g_string_new(NULL);
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (!*l)
            continue;
        if (g_str_has_prefix(l, "a=ice-ufrag:"))
            l = "a=ice-ufrag:CLNT";
        else if (g_str_has_prefix(l, "a=ice-pwd:"))
            l = "a=ice-pwd:clientpasswordclientpass";
        else if (g_str_has_prefix(l, "a=ssrc:") || g_str_has_prefix(l, "a=msid:"))
            continue;
        if (reject_mid && g_str_has_prefix(l, "a=mid:") && !strcmp(l + 6, reject_mid)) {
            /* Turn the m-line just written into a rejected one. */
            char *m = g_strrstr(out->str, "m=");
            char *sp = strchr(m, ' ');
            char *sp2 = strchr(sp + 1, ' ');
            g_string_erase(out, sp + 1 - out->str, sp2 - (sp + 1));
            g_string_insert(out, sp + 1 - out->str, "0");
        }
        g_string_append_printf(out, "%s\r\n", l);
    }
    return g_string_free(out, FALSE);
}

typedef struct fixture_ctx {
    tb_config cfg;
    tb_relay *relay;
    tb_relay_room *room;
    int candidates;
} fx;

static void on_candidate(void *user, tb_relay_pc *pc, const char *c, const char *mid)
{
    ((fx *)user)->candidates++;
}
static void on_state(void *user, tb_relay_pc *pc, tb_relay_pc_state st) {}
static const tb_relay_pc_events events = {on_candidate, on_state};

static void fx_setup(fx *f, gconstpointer data)
{
    char err[256];
    memset(f, 0, sizeof *f);
    g_assert_cmpint(tb_config_load_data(&f->cfg, "[relay]\nworkers = 1\n", NULL, err, sizeof err),
                    ==, TB_OK);
    f->relay = tb_relay_create(&f->cfg.relay, err, sizeof err);
    g_assert_nonnull(f->relay);
    f->room = tb_relay_room_create(f->relay, "unit");
}

static void fx_teardown(fx *f, gconstpointer data)
{
    tb_relay_room_destroy(f->room);
    tb_relay_destroy(f->relay);
    tb_config_clear(&f->cfg);
}

/* Spins the main context until the workers' events have come back. */
static void pump(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE), g_usleep(1000);
}

static tb_relay_pc *publish(fx *f, const char *owner, GPtrArray **added)
{
    g_autofree char *offer = fixture("chromium_offer_av.sdp");
    tb_relay_pc *pc = tb_relay_pc_create(f->room, TB_RELAY_PC_PUBLISH, owner, &events, f);
    GPtrArray *removed = NULL;
    char err[256] = "";
    g_autofree char *answer =
        tb_relay_pc_publish_offer(pc, offer, added, &removed, err, sizeof err);
    g_assert_nonnull(answer);
    g_assert_cmpuint((*added)->len, ==, 2);
    g_assert_cmpuint(removed->len, ==, 0);
    g_ptr_array_unref(removed);
    return pc;
}

static void test_publish(fx *f, gconstpointer data)
{
    GPtrArray *added;
    tb_relay_pc *pc = publish(f, "palice", &added);
    g_assert_cmpstr(tb_relay_track_label(g_ptr_array_index(added, 0)), ==, "microphone");
    g_assert_cmpstr(tb_relay_track_label(g_ptr_array_index(added, 1)), ==, "camera");
    g_assert_cmpstr(tb_relay_track_owner(g_ptr_array_index(added, 1)), ==, "palice");

    /* The same offer again changes nothing; a renegotiation without video removes it. */
    g_autofree char *offer = fixture("chromium_offer_av.sdp");
    GPtrArray *a2, *r2;
    char err[256] = "";
    g_autofree char *ans2 = tb_relay_pc_publish_offer(pc, offer, &a2, &r2, err, sizeof err);
    g_assert_nonnull(ans2);
    g_assert_cmpuint(a2->len + r2->len, ==, 0);
    g_ptr_array_unref(a2);
    g_ptr_array_unref(r2);

    /* An ICE restart (new ufrag) is refused with a reason. */
    g_autofree char *restart = replace(offer, "a=ice-ufrag:/YPW", "a=ice-ufrag:NEWU");
    g_assert_null(tb_relay_pc_publish_offer(pc, restart, &a2, &r2, err, sizeof err));
    g_assert_nonnull(strstr(err, "ICE restart"));

    /* Candidates are checked, including the mid. */
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, "candidate:1 1 udp 5 127.0.0.1 9 typ host",
                                                     "0", err, sizeof err),
                    ==, TB_OK);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, "candidate:1 1 udp 5 127.0.0.1 9 typ host",
                                                     "7", err, sizeof err),
                    ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, "candidate:x", NULL, err, sizeof err), ==,
                    TB_EINVAL);
    pump(300);
    g_assert_cmpint(f->candidates, >, 0); /* we gathered on 127.0.0.1 and said so */
    g_ptr_array_unref(added);
    tb_relay_pc_close(pc);
}

static int offer_mlines(const char *sdp)
{
    int n = 0;
    for (const char *p = sdp; (p = strstr(p, "\nm=")); p++)
        n++;
    return n;
}

static void test_subscribe_state_machine(fx *f, gconstpointer data)
{
    GPtrArray *added;
    tb_relay_pc *pub = publish(f, "palice", &added);
    tb_relay_pc *sub = tb_relay_pc_create(f->room, TB_RELAY_PC_SUBSCRIBE, "pbob", &events, f);
    int rev = 0;
    char err[256] = "";
    g_assert_null(tb_relay_pc_subscribe_offer(sub, &rev)); /* nothing to offer yet */

    g_assert_true(tb_relay_pc_subscribe_set(sub, added));
    g_autofree char *o1 = tb_relay_pc_subscribe_offer(sub, &rev);
    g_assert_nonnull(o1);
    g_assert_cmpint(rev, ==, 1);
    g_assert_cmpint(offer_mlines(o1), ==, 2);
    g_assert_nonnull(strstr(o1, "a=msid:palice "));
    /* Only one offer at a time. */
    g_assert_null(tb_relay_pc_subscribe_offer(sub, &rev));

    /* Tracks go away while the offer is out: collected for the next offer. */
    GPtrArray *none = g_ptr_array_new();
    g_assert_true(tb_relay_pc_subscribe_set(sub, none));
    g_assert_null(tb_relay_pc_subscribe_offer(sub, &rev));

    /* An answer for the wrong revision is refused; the right one is taken. */
    g_autofree char *a1 = client_answer(o1, NULL);
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, 7, a1, err, sizeof err), ==, TB_ESTATE);
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, 1, "v=0 junk", err, sizeof err), ==,
                    TB_EINVAL);
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, 1, a1, err, sizeof err), ==, TB_OK);

    /* Now the pending change: both m-lines inactive, nothing removed. */
    g_autofree char *o2 = tb_relay_pc_subscribe_offer(sub, &rev);
    g_assert_nonnull(o2);
    g_assert_cmpint(rev, ==, 2);
    g_assert_cmpint(offer_mlines(o2), ==, 2);
    g_assert_null(strstr(o2, "a=sendonly"));

    /* New tracks before the client saw the m-lines free: new m-lines are added. */
    GPtrArray *added2;
    tb_relay_pc *pub2 = publish(f, "pcarol", &added2);
    g_assert_true(tb_relay_pc_subscribe_set(sub, added2));
    g_autofree char *a2 = client_answer(o2, NULL);
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, 2, a2, err, sizeof err), ==, TB_OK);
    g_autofree char *o3 = tb_relay_pc_subscribe_offer(sub, &rev);
    g_assert_nonnull(o3);
    g_assert_cmpint(offer_mlines(o3), ==, 4);
    g_assert_nonnull(strstr(o3, "a=msid:pcarol "));
    g_autofree char *a3 = client_answer(o3, "3"); /* the client rejects carol's video */
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, 3, a3, err, sizeof err), ==, TB_OK);

    /* Alice's tracks again: they reuse m-lines 0 and 1, now answered free. */
    g_assert_true(tb_relay_pc_subscribe_set(sub, added));
    g_autofree char *o4 = tb_relay_pc_subscribe_offer(sub, &rev);
    g_assert_cmpint(offer_mlines(o4), ==, 4);
    g_assert_nonnull(strstr(o4, "a=msid:palice "));
    g_assert_null(strstr(o4, "a=msid:pcarol")); /* carol is no longer wanted */
    /* The rejected m-line stays rejected (port 0, out of BUNDLE). */
    g_assert_nonnull(strstr(o4, "m=video 0 "));
    g_assert_nonnull(strstr(o4, "a=group:BUNDLE 0 1 2\r\n"));

    g_ptr_array_unref(none);
    g_ptr_array_unref(added);
    g_ptr_array_unref(added2);
    tb_relay_pc_close(sub);
    tb_relay_pc_close(pub);
    tb_relay_pc_close(pub2);
    pump(100);
}

/* Closing connections right after creating them, with operations still queued on the
 * worker, and leaving some open for tb_relay_destroy to close. */
static void test_close_in_flight(fx *f, gconstpointer data)
{
    for (int i = 0; i < 20; i++) {
        GPtrArray *added;
        tb_relay_pc *pc = publish(f, "pquick", &added);
        tb_relay_pc *sub = tb_relay_pc_create(f->room, TB_RELAY_PC_SUBSCRIBE, "pother", &events, f);
        tb_relay_pc_subscribe_set(sub, added);
        int rev;
        g_free(tb_relay_pc_subscribe_offer(sub, &rev));
        g_ptr_array_unref(added);
        tb_relay_pc_close(pc);
        if (i % 2)
            tb_relay_pc_close(sub);
    }
}

/* Where connections run with two workers (relay.c: tb_relay__place_pc). The workers
 * measure their own load once a second; the test sets it, and retries the rare round in
 * which a worker's own measurement overwrote it in between. */
static tb_relay__worker *place_at(tb_relay_room *room, tb_relay_pc_role role, int busy0)
{
    for (;;) {
        g_atomic_int_set(&room->relay->workers[0].busy_permille, busy0);
        g_atomic_int_set(&room->relay->workers[1].busy_permille, 0);
        tb_relay__worker *w = tb_relay__place_pc(room, role);
        if (g_atomic_int_get(&room->relay->workers[0].busy_permille) == busy0 &&
            g_atomic_int_get(&room->relay->workers[1].busy_permille) == 0)
            return w;
    }
}

static void test_placement(void)
{
    static const struct {
        const char *cfg;
        int busy0;      /* permille of the home worker */
        int sub_worker; /* where a subscriber goes */
    } cases[] = {
        {"[relay]\nworkers = 2\n", 0, 0}, /* default 60 %: an idle home keeps them */
        {"[relay]\nworkers = 2\n", 590, 0},
        {"[relay]\nworkers = 2\n", 600, 1}, /* busy home: the idle worker */
        {"[relay]\nworkers = 2\nspread_busy_percent = 100\n", 1000, 0}, /* never */
        {"[relay]\nworkers = 2\nspread_busy_percent = 0\n", 0, 1},      /* always: fewer pcs */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        tb_config cfg;
        char err[256];
        g_assert_cmpint(tb_config_load_data(&cfg, cases[i].cfg, NULL, err, sizeof err), ==, TB_OK);
        tb_relay *relay = tb_relay_create(&cfg.relay, err, sizeof err);
        g_assert_nonnull(relay);
        tb_relay_room *room = tb_relay_room_create(relay, "placement");
        g_assert_true(room->worker == &relay->workers[0]);
        /* The publisher is on the home worker, whatever its load. */
        room->worker->n_pcs++;
        g_assert_true(place_at(room, TB_RELAY_PC_PUBLISH, cases[i].busy0) == room->worker);
        tb_relay__worker *w = place_at(room, TB_RELAY_PC_SUBSCRIBE, cases[i].busy0);
        g_assert_cmpint(w->index, ==, cases[i].sub_worker);
        room->worker->n_pcs--;
        tb_relay_room_destroy(room);
        tb_relay_destroy(relay);
        tb_config_clear(&cfg);
    }
}

/* Two workers, every subscriber placed away from the home worker: connections are set up
 * and closed there and the track's per-worker state is released (ASan counts leaks). */
static void test_spread_lifecycle(void)
{
    tb_config cfg;
    char err[256];
    g_assert_cmpint(tb_config_load_data(&cfg, "[relay]\nworkers = 2\nspread_busy_percent = 0\n",
                                        NULL, err, sizeof err),
                    ==, TB_OK);
    fx f = {0};
    f.relay = tb_relay_create(&cfg.relay, err, sizeof err);
    f.room = tb_relay_room_create(f.relay, "spread");
    GPtrArray *added;
    tb_relay_pc *pc = publish(&f, "ppub", &added);
    g_assert_true(pc->worker == f.room->worker);
    tb_relay_pc *subs[4];
    int away = 0;
    for (int i = 0; i < 4; i++) {
        subs[i] = tb_relay_pc_create(f.room, TB_RELAY_PC_SUBSCRIBE, "psub", &events, &f);
        away += subs[i]->worker != f.room->worker;
        tb_relay_pc_subscribe_set(subs[i], added);
        int rev;
        g_autofree char *offer = tb_relay_pc_subscribe_offer(subs[i], &rev);
        g_assert_nonnull(offer);
        g_autofree char *answer = client_answer(offer, NULL);
        g_assert_cmpint(tb_relay_pc_subscribe_answer(subs[i], rev, answer, err, sizeof err), ==,
                        TB_OK);
    }
    g_assert_cmpint(away, >=, 2);
    pump(200);
    tb_relay_pc_close(pc);
    pump(100);
    for (int i = 0; i < 4; i++)
        tb_relay_pc_close(subs[i]);
    g_ptr_array_unref(added);
    tb_relay_room_destroy(f.room);
    tb_relay_destroy(f.relay);
    tb_config_clear(&cfg);
}

/* ---- remote candidates: the cap, the address policy ---- */

typedef struct probe {
    tb_relay_pc *pc;
    guint n;
    gint done;
} probe;

static gboolean probe_run(gpointer data)
{
    probe *p = data;
    GSList *l =
        p->pc->agent ? nice_agent_get_remote_candidates(p->pc->agent, p->pc->stream_id, 1) : NULL;
    p->n = g_slist_length(l);
    g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
    g_atomic_int_set(&p->done, 1);
    return G_SOURCE_REMOVE;
}

/* The remote candidates the connection's agent holds, asked on its worker after every
 * operation posted before. */
static guint agent_candidates(tb_relay_pc *pc)
{
    probe p = {.pc = pc};
    tb_relay__worker_post(pc->worker, probe_run, &p, NULL);
    while (!g_atomic_int_get(&p.done))
        g_usleep(1000);
    return p.n;
}

static char *cand(const char *addr, int port)
{
    return g_strdup_printf("candidate:%d 1 udp 2122260223 %s %d typ host", port, addr, port);
}

/* The offer with `n` candidates at addr, ports from `port`, in its first m-line. */
static char *offer_with_candidates(const char *addr, int port, int n)
{
    g_autofree char *offer = fixture("chromium_offer_av.sdp");
    GString *lines = g_string_new("a=mid:0\r\n");
    for (int i = 0; i < n; i++) {
        g_autofree char *c = cand(addr, port + i);
        g_string_append_printf(lines, "a=%s\r\n", c);
    }
    char *out = replace(offer, "a=mid:0\r\n", lines->str);
    g_string_free(lines, TRUE);
    return out;
}

static tb_relay *relay_with(tb_config *cfg, const char *text)
{
    char err[256];
    g_assert_cmpint(tb_config_load_data(cfg, text, NULL, err, sizeof err), ==, TB_OK);
    tb_relay *relay = tb_relay_create(&cfg->relay, err, sizeof err);
    g_assert_nonnull(relay);
    return relay;
}

/* A client sends more candidates than relay.max_remote_candidates, some before its
 * description, some in it, the rest trickled: the agent gets no more than the cap and
 * the extra ones are refused with a reason. */
static void test_candidate_cap(void)
{
    tb_config cfg;
    fx f = {0};
    f.relay = relay_with(&cfg, "[relay]\nworkers = 1\nmax_remote_candidates = 8\n");
    f.room = tb_relay_room_create(f.relay, "cap");
    char err[256] = "";
    tb_relay_pc *pc = tb_relay_pc_create(f.room, TB_RELAY_PC_PUBLISH, "pmany", &events, &f);
    for (int i = 0; i < 3; i++) {
        g_autofree char *c = cand("127.0.0.1", 40000 + i);
        g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, c, "0", err, sizeof err), ==, TB_OK);
    }
    g_autofree char *offer = offer_with_candidates("127.0.0.1", 41000, 4);
    GPtrArray *added, *removed;
    g_autofree char *answer =
        tb_relay_pc_publish_offer(pc, offer, &added, &removed, err, sizeof err);
    g_assert_nonnull(answer);
    g_autofree char *c8 = cand("127.0.0.1", 42000);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, c8, "0", err, sizeof err), ==, TB_OK);
    for (int i = 1; i < 40; i++) {
        g_autofree char *c = cand("127.0.0.1", 42000 + i);
        err[0] = 0;
        g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, c, "0", err, sizeof err), ==,
                        TB_ETOOBIG);
        g_assert_nonnull(strstr(err, "max_remote_candidates"));
    }
    /* The end of candidates is not a candidate. */
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, "", "0", err, sizeof err), ==, TB_OK);
    g_assert_cmpuint(agent_candidates(pc), ==, 8);

    /* Candidates of the description count too: 12 in the SDP, 8 taken. */
    tb_relay_pc *pc2 = tb_relay_pc_create(f.room, TB_RELAY_PC_PUBLISH, "psdp", &events, &f);
    g_autofree char *offer2 = offer_with_candidates("127.0.0.1", 43000, 12);
    GPtrArray *added2, *removed2;
    g_autofree char *answer2 =
        tb_relay_pc_publish_offer(pc2, offer2, &added2, &removed2, err, sizeof err);
    g_assert_nonnull(answer2);
    g_autofree char *c9 = cand("127.0.0.1", 44000);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc2, c9, "0", err, sizeof err), ==,
                    TB_ETOOBIG);
    g_assert_cmpuint(agent_candidates(pc2), ==, 8);

    g_ptr_array_unref(added);
    g_ptr_array_unref(removed);
    g_ptr_array_unref(added2);
    g_ptr_array_unref(removed2);
    tb_relay_pc_close(pc);
    tb_relay_pc_close(pc2);
    tb_relay_room_destroy(f.room);
    tb_relay_destroy(f.relay);
    tb_config_clear(&cfg);
}

/* A client on loopback (the relay's only address) names internal hosts as candidates,
 * trickled and in its SDP, to make the relay probe them: refused, and nothing reaches
 * the agent; relay.remote_candidates = any takes them. */
static void test_candidate_addresses(fx *f, gconstpointer data)
{
    char err[256] = "";
    tb_relay_pc *pc = tb_relay_pc_create(f->room, TB_RELAY_PC_PUBLISH, "pprobe", &events, f);
    static const char *const internal[] = {"10.0.0.1",   "192.168.1.1", "169.254.169.254",
                                           "172.16.5.4", "fd00::1",     "8.8.8.8",
                                           "0.0.0.0"};
    for (size_t i = 0; i < G_N_ELEMENTS(internal); i++) {
        g_autofree char *c = cand(internal[i], 22);
        err[0] = 0;
        g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, c, NULL, err, sizeof err), ==,
                        TB_EINVAL);
        g_assert_nonnull(strstr(err, "remote_candidates"));
    }
    g_autofree char *offer = offer_with_candidates("10.0.0.1", 22, 3);
    GPtrArray *added, *removed;
    g_autofree char *answer =
        tb_relay_pc_publish_offer(pc, offer, &added, &removed, err, sizeof err);
    g_assert_nonnull(answer);
    g_assert_cmpuint(agent_candidates(pc), ==, 0);
    /* Loopback, the relay's own scope, and an mDNS name (ignored later) are taken. */
    g_autofree char *lo = cand("127.0.0.1", 40000);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, lo, "0", err, sizeof err), ==, TB_OK);
    g_autofree char *mdns = cand("0f6e2c51-8d2b.local", 40001);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, mdns, "0", err, sizeof err), ==, TB_OK);
    g_assert_cmpuint(agent_candidates(pc), ==, 1);
    g_ptr_array_unref(added);
    g_ptr_array_unref(removed);
    tb_relay_pc_close(pc);

    tb_config cfg;
    fx g = {0};
    g.relay = relay_with(&cfg, "[relay]\nworkers = 1\nremote_candidates = any\n");
    g.room = tb_relay_room_create(g.relay, "any");
    pc = tb_relay_pc_create(g.room, TB_RELAY_PC_PUBLISH, "pany", &events, &g);
    g_autofree char *priv = cand("10.0.0.1", 22);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, priv, NULL, err, sizeof err), ==, TB_OK);
    g_autofree char *zero = cand("0.0.0.0", 22);
    g_assert_cmpint(tb_relay_pc_add_remote_candidate(pc, zero, NULL, err, sizeof err), ==,
                    TB_EINVAL);
    tb_relay_pc_close(pc);
    tb_relay_room_destroy(g.room);
    tb_relay_destroy(g.relay);
    tb_config_clear(&cfg);
    g_assert_cmpint(
        tb_config_load_data(&cfg, "[relay]\nremote_candidates = some\n", NULL, err, sizeof err), ==,
        TB_EINVAL);
    g_assert_nonnull(strstr(err, "remote_candidates"));
    tb_config_clear(&cfg);
}

/* ---- a room at its size limit ---- */

/* 33 speakers with audio and video: the newcomer's subscribe connection has 64 m-lines,
 * then more as more publish; up to 49 others (the default max_participants of 50), its
 * answer is taken. */
static void test_big_room_subscribe(fx *f, gconstpointer data)
{
    /* max_participants x [limits] tracks_per_participant, and a margin */
    g_assert_cmpint(f->cfg.relay.max_mlines, ==, 50 * 4 + 16);
    GPtrArray *pubs = g_ptr_array_new(),
              *all = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    for (int i = 0; i < 49; i++) {
        g_autofree char *owner = g_strdup_printf("p%02d", i);
        GPtrArray *added;
        g_ptr_array_add(pubs, publish(f, owner, &added));
        for (guint j = 0; j < added->len; j++)
            g_ptr_array_add(all, tb_relay_track_ref(g_ptr_array_index(added, j)));
        g_ptr_array_unref(added);
    }
    tb_relay_pc *sub = tb_relay_pc_create(f->room, TB_RELAY_PC_SUBSCRIBE, "pnew", &events, f);
    g_assert_true(tb_relay_pc_subscribe_set(sub, all));
    int rev;
    g_autofree char *offer = tb_relay_pc_subscribe_offer(sub, &rev);
    g_assert_cmpint(offer_mlines(offer), ==, 98);
    g_autofree char *answer = client_answer(offer, NULL);
    char err[256] = "";
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, rev, answer, err, sizeof err), ==, TB_OK);
    tb_relay_pc_close(sub);
    for (guint i = 0; i < pubs->len; i++)
        tb_relay_pc_close(g_ptr_array_index(pubs, i));
    g_ptr_array_unref(pubs);
    g_ptr_array_unref(all);
}

/* The m-line limit follows the largest room of the config, and a subscribe connection
 * never offers more m-lines than it would take back. */
static void test_mline_limit(void)
{
    tb_config cfg;
    char err[256];
    g_assert_cmpint(tb_config_load_data(&cfg,
                                        "[rooms]\nmax_participants = 10\n"
                                        "[room:hall]\nmax_participants = 200\n",
                                        NULL, err, sizeof err),
                    ==, TB_OK);
    g_assert_cmpint(cfg.relay.max_mlines, ==, 200 * 4 + 16);
    tb_config_clear(&cfg);
    tb_config_init_defaults(&cfg);
    g_assert_cmpint(cfg.relay.max_mlines, ==, 50 * 4 + 16);
    tb_config_clear(&cfg);

    fx f = {0};
    f.relay = relay_with(&cfg, "[relay]\nworkers = 1\n[rooms]\nmax_participants = 2\n");
    g_assert_cmpint(cfg.relay.max_mlines, ==, 2 * 4 + 16);
    f.room = tb_relay_room_create(f.relay, "small");
    GPtrArray *pubs = g_ptr_array_new(),
              *all = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    for (int i = 0; i < 13; i++) { /* 26 tracks: more than the cap */
        g_autofree char *owner = g_strdup_printf("p%02d", i);
        GPtrArray *added;
        g_ptr_array_add(pubs, publish(&f, owner, &added));
        for (guint j = 0; j < added->len; j++)
            g_ptr_array_add(all, tb_relay_track_ref(g_ptr_array_index(added, j)));
        g_ptr_array_unref(added);
    }
    tb_relay_pc *sub = tb_relay_pc_create(f.room, TB_RELAY_PC_SUBSCRIBE, "pnew", &events, &f);
    g_assert_true(tb_relay_pc_subscribe_set(sub, all));
    int rev;
    g_autofree char *offer = tb_relay_pc_subscribe_offer(sub, &rev);
    g_assert_cmpint(offer_mlines(offer), ==, 24);
    g_autofree char *answer = client_answer(offer, NULL);
    g_assert_cmpint(tb_relay_pc_subscribe_answer(sub, rev, answer, err, sizeof err), ==, TB_OK);
    tb_relay_pc_close(sub);
    for (guint i = 0; i < pubs->len; i++)
        tb_relay_pc_close(g_ptr_array_index(pubs, i));
    g_ptr_array_unref(pubs);
    g_ptr_array_unref(all);
    tb_relay_room_destroy(f.room);
    tb_relay_destroy(f.relay);
    tb_config_clear(&cfg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/pc/publish", fx, NULL, fx_setup, test_publish, fx_teardown);
    g_test_add("/pc/subscribe-state-machine", fx, NULL, fx_setup, test_subscribe_state_machine,
               fx_teardown);
    g_test_add("/pc/close-in-flight", fx, NULL, fx_setup, test_close_in_flight, fx_teardown);
    g_test_add_func("/pc/placement", test_placement);
    g_test_add_func("/pc/spread-lifecycle", test_spread_lifecycle);
    g_test_add_func("/pc/candidate-cap", test_candidate_cap);
    g_test_add("/pc/candidate-addresses", fx, NULL, fx_setup, test_candidate_addresses,
               fx_teardown);
    g_test_add("/pc/big-room-subscribe", fx, NULL, fx_setup, test_big_room_subscribe, fx_teardown);
    g_test_add_func("/pc/mline-limit", test_mline_limit);
    return g_test_run();
}
