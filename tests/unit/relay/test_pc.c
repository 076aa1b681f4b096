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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/pc/publish", fx, NULL, fx_setup, test_publish, fx_teardown);
    g_test_add("/pc/subscribe-state-machine", fx, NULL, fx_setup, test_subscribe_state_machine,
               fx_teardown);
    g_test_add("/pc/close-in-flight", fx, NULL, fx_setup, test_close_in_flight, fx_teardown);
    g_test_add_func("/pc/placement", test_placement);
    g_test_add_func("/pc/spread-lifecycle", test_spread_lifecycle);
    return g_test_run();
}
