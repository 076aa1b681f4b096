/* relay.c — the media plane's top: worker threads, the DTLS certificate, rooms and
 * tracks, and where each connection runs.
 *
 * Each worker is a thread running its own GMainContext. A room gets a home worker (the
 * one with the fewest rooms) when it is created: its publishers, tracks, active-speaker
 * detection and recording taps live there, so a packet is received, decrypted and fanned
 * out without a lock. A subscriber runs on the home worker too, unless the home worker is
 * busy (relay.spread_busy_percent of a core over the last second): then it is placed on
 * the least busy worker, and the home worker hands each packet of the tracks it takes to
 * that worker's inbox (inbox.h). A room that outgrows a core so spreads its fan-out over
 * the cores. The main thread talks to a worker only by posting closures
 * (tb_relay__worker_post; for the main-thread calls on one track, tb_relay__track_post). */
#define TB_LOG_CAT "relay"
#include "relay/internal.h"
#include "relay/inbox.h"
#include "relay/rxpoll.h"
#include "common/tb_error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Enough for a keyframe burst or two of several publishers while the receiving worker is
 * held up for a few milliseconds. */
#define INBOX_SLOTS 512

/* How busy this worker was since the last sample, for placing subscribers. */
static void sample_busy(tb_relay__worker *w)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return;
    gint64 cpu = (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
    gint64 wall = g_get_monotonic_time();
    if (w->busy_wall_us && wall > w->busy_wall_us) {
        gint64 permille = (cpu - w->busy_cpu_ns) / (wall - w->busy_wall_us);
        g_atomic_int_set(&w->busy_permille, (gint)CLAMP(permille, 0, 1000));
    }
    w->busy_cpu_ns = cpu;
    w->busy_wall_us = wall;
}

static gboolean rtcp_tick(gpointer data)
{
    tb_relay__worker *w = data;
    for (guint i = 0; i < w->rtcp_pcs->len; i++) {
        tb_relay_pc *pc = g_ptr_array_index(w->rtcp_pcs, i);
        tb_relay__forward_rtcp_tick(pc);
        tb_relay__transport_tick(pc);
    }
    sample_busy(w);
    return G_SOURCE_CONTINUE;
}

tb_relay__worker *tb_relay__place_pc(tb_relay_room *room, tb_relay_pc_role role)
{
    tb_relay *r = room->relay;
    tb_relay__worker *home = room->worker;
    int pct = r->cfg->spread_busy_percent;
    if (role == TB_RELAY_PC_PUBLISH || r->n_workers == 1 || pct >= 100 ||
        g_atomic_int_get(&home->busy_permille) < pct * 10)
        return home;
    tb_relay__worker *best = home;
    for (int i = 0; i < r->n_workers; i++) {
        tb_relay__worker *w = &r->workers[i];
        int b = g_atomic_int_get(&w->busy_permille), bb = g_atomic_int_get(&best->busy_permille);
        /* Load measured in 10 % steps, then fewer connections: a burst of joins within one
         * second (before the load shows) is dealt out evenly. */
        if (b / 100 < bb / 100 || (b / 100 == bb / 100 && w->n_pcs < best->n_pcs))
            best = w;
    }
    return best;
}

static gpointer worker_main(gpointer data)
{
    tb_relay__worker *w = data;
    g_main_context_push_thread_default(w->ctx);
    GSource *tick = g_timeout_source_new(1000);
    g_source_set_callback(tick, rtcp_tick, w, NULL);
    g_source_attach(tick, w->ctx);
    g_main_loop_run(w->loop);
    g_source_destroy(tick);
    g_source_unref(tick);
    /* Let sources finalised during shutdown (agents' sockets) run their destroy. */
    while (g_main_context_iteration(w->ctx, FALSE))
        ;
    g_main_context_pop_thread_default(w->ctx);
    return NULL;
}

void tb_relay__worker_post(tb_relay__worker *w, GSourceFunc fn, gpointer data,
                           GDestroyNotify destroy)
{
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, fn, data, destroy);
    g_source_attach(src, w->ctx);
    g_source_unref(src);
}

void tb_relay__main_post(tb_relay *relay, GSourceFunc fn, gpointer data, GDestroyNotify destroy)
{
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, fn, data, destroy);
    g_source_attach(src, relay->main_ctx);
    g_source_unref(src);
}

tb_relay *tb_relay_create(const tb_config_relay *cfg, char *err, size_t errlen)
{
    if (tb_relay_srtp_global_init() != TB_OK) {
        snprintf(err, errlen, "libsrtp2 initialisation failed");
        return NULL;
    }
    tb_relay *r = g_new0(tb_relay, 1);
    r->cfg = cfg;
    r->own_scopes = tb_relay__addr_scopes(cfg->ice_addresses, cfg->n_ice_addresses);
    if (tb_relay__nat_init(&r->nat, cfg, err, errlen) != TB_OK) {
        g_free(r);
        return NULL;
    }
    /* Clients reach a relay behind NAT from the public address's side. */
    r->own_scopes |= tb_relay__addr_scopes(r->nat.pub, r->nat.n);
    r->main_ctx = g_main_context_ref(g_main_context_default());
    r->cert = tb_relay_dtls_cert_create(err, errlen);
    if (!r->cert) {
        tb_relay__nat_clear(&r->nat);
        g_main_context_unref(r->main_ctx);
        g_free(r);
        return NULL;
    }
    r->fingerprint = g_strdup_printf("sha-256 %s", tb_relay_dtls_cert_fingerprint(r->cert));
    r->n_workers = cfg->workers > 0 ? cfg->workers : (int)g_get_num_processors();
    if (r->n_workers < 1)
        r->n_workers = 1;
    r->workers = g_new0(tb_relay__worker, r->n_workers);
    r->pcs = g_ptr_array_new();
    for (int i = 0; i < r->n_workers; i++) {
        tb_relay__worker *w = &r->workers[i];
        w->index = i;
        w->ctx = g_main_context_new();
        w->rtcp_pcs = g_ptr_array_new();
        w->loop = g_main_loop_new(w->ctx, FALSE);
        w->rxpoll = tb_relay__rxpoll_create(w->ctx);
        if (r->n_workers > 1)
            w->inbox = tb_relay__inbox_create(w->ctx, r->n_workers, INBOX_SLOTS, TB_RELAY_MTU,
                                              tb_relay__forward_from_inbox, w,
                                              (GDestroyNotify)tb_relay_track_unref);
    }
    for (int i = 0; i < r->n_workers; i++) {
        tb_relay__worker *w = &r->workers[i];
        char name[32];
        snprintf(name, sizeof name, "tb-media-%d", i);
        w->thread = g_thread_new(name, worker_main, w);
    }
    TB_LOG_INFO("relay started: %d media worker(s), DTLS %s", r->n_workers, r->fingerprint);
    return r;
}

static gboolean quit_worker(gpointer data)
{
    g_main_loop_quit(((tb_relay__worker *)data)->loop);
    return G_SOURCE_REMOVE;
}

void tb_relay_destroy(tb_relay *r)
{
    if (!r)
        return;
    /* Close what the control plane left open; closing posts teardown to the workers,
     * which run it before the quit posted after it. */
    while (r->pcs->len)
        tb_relay_pc_close(g_ptr_array_index(r->pcs, r->pcs->len - 1));
    /* All workers stop before any is freed: a publisher's worker may still hand packets
     * to another's inbox until it has run its own teardown. */
    for (int i = 0; i < r->n_workers; i++)
        tb_relay__worker_post(&r->workers[i], quit_worker, &r->workers[i], NULL);
    for (int i = 0; i < r->n_workers; i++)
        g_thread_join(r->workers[i].thread);
    for (int i = 0; i < r->n_workers; i++) {
        tb_relay__worker *w = &r->workers[i];
        tb_relay__inbox_destroy(w->inbox);
        tb_relay__rxpoll_destroy(w->rxpoll);
        g_main_loop_unref(w->loop);
        g_main_context_unref(w->ctx);
        g_ptr_array_unref(w->rtcp_pcs);
    }
    /* Events the workers posted back during teardown hold references: run them now. */
    while (g_main_context_iteration(r->main_ctx, FALSE))
        ;
    g_free(r->workers);
    g_ptr_array_unref(r->pcs);
    tb_relay_dtls_cert_unref(r->cert);
    g_free(r->fingerprint);
    tb_relay__nat_clear(&r->nat);
    g_main_context_unref(r->main_ctx);
    g_free(r);
}

const char *tb_relay_fingerprint(const tb_relay *relay)
{
    return relay->fingerprint;
}

/* ---- rooms ---- */

tb_relay_room *tb_relay_room_create(tb_relay *relay, const char *name)
{
    tb_relay_room *room = g_new0(tb_relay_room, 1);
    room->ref = 1;
    room->relay = relay;
    room->name = g_strdup(name);
    tb_relay__worker *best = &relay->workers[0];
    for (int i = 1; i < relay->n_workers; i++)
        if (relay->workers[i].n_rooms < best->n_rooms)
            best = &relay->workers[i];
    best->n_rooms++;
    room->worker = best;
    room->audio_tracks = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    TB_LOG_INFO("[%s] room on media worker %d", name, best->index);
    return room;
}

tb_relay_room *tb_relay__room_ref(tb_relay_room *room)
{
    g_atomic_int_inc(&room->ref);
    return room;
}

void tb_relay__room_unref(tb_relay_room *room)
{
    if (room && g_atomic_int_dec_and_test(&room->ref)) {
        /* The last reference goes on the worker (after room_stop) or at relay exit. */
        g_ptr_array_unref(room->audio_tracks);
        if (room->speaker)
            tb_relay_track_unref(room->speaker);
        if (room->candidate)
            tb_relay_track_unref(room->candidate);
        g_clear_object(&room->tap_socket);
        g_free(room->name);
        g_free(room);
    }
}

static gboolean room_stop(gpointer data)
{
    tb_relay_room *room = data;
    if (room->speaker_timer) {
        GSource *s = g_main_context_find_source_by_id(room->worker->ctx, room->speaker_timer);
        if (s)
            g_source_destroy(s);
        room->speaker_timer = 0;
    }
    g_ptr_array_set_size(room->audio_tracks, 0);
    return G_SOURCE_REMOVE;
}

void tb_relay_room_set_events(tb_relay_room *room, const tb_relay_room_events *events, void *user)
{
    room->events = *events;
    room->events_user = user;
}

void tb_relay_room_destroy(tb_relay_room *room)
{
    if (!room)
        return;
    /* Connections hold their own references; the room's worker slot is freed here and
     * its worker-side timers stop on the worker. */
    room->worker->n_rooms--;
    room->destroyed = true;
    tb_relay__worker_post(room->worker, room_stop, tb_relay__room_ref(room),
                          (GDestroyNotify)tb_relay__room_unref);
    tb_relay__room_unref(room);
}

/* ---- tracks ---- */

tb_relay_track *tb_relay__track_create(tb_relay_room *room, const char *owner,
                                       const tb_relay__mline *ml, const char *label,
                                       size_t rtx_packets)
{
    tb_relay_track *t = g_new0(tb_relay_track, 1);
    t->ref = 1;
    t->id = g_strdup_printf("t%08x", tb_relay__random_u32());
    t->owner = g_strdup(owner);
    t->label = g_strdup(label);
    t->mid = g_strdup(ml->mid);
    t->kind = !strcmp(ml->media, "audio") ? TB_RELAY_KIND_AUDIO : TB_RELAY_KIND_VIDEO;
    t->codec = ml->codec;
    t->offer_ssrc = ml->ssrc;
    t->ext_mid = ml->ext_mid;
    t->ext_audio_level = ml->ext_audio_level;
    t->room = room;
    /* Without a room (SDP unit tests), one worker's worth. */
    t->n_local = room ? room->relay->n_workers : 1;
    t->local = g_new0(tb_relay__track_local, t->n_local);
    for (int i = 0; i < t->n_local; i++)
        t->local[i].sinks = g_ptr_array_new();
    /* Audio is not retransmitted (Opus has in-band FEC; browsers don't NACK audio). Other
     * workers make their buffer when they get their first subscriber of the track. */
    if (t->kind == TB_RELAY_KIND_VIDEO)
        t->local[room ? room->worker->index : 0].rtx =
            tb_relay_rtxbuf_create(rtx_packets, TB_RELAY_MTU);
    g_mutex_init(&t->sr.lock);
    return t;
}

tb_relay_track *tb_relay_track_ref(tb_relay_track *t)
{
    g_atomic_int_inc(&t->ref);
    return t;
}

void tb_relay_track_unref(tb_relay_track *t)
{
    if (!t || !g_atomic_int_dec_and_test(&t->ref))
        return;
    for (int i = 0; i < t->n_local; i++) {
        g_ptr_array_unref(t->local[i].sinks);
        if (t->local[i].rtx)
            tb_relay_rtxbuf_destroy(t->local[i].rtx);
    }
    g_free(t->local);
    g_mutex_clear(&t->sr.lock);
    g_clear_object(&t->fwd.tap_rtp);
    g_clear_object(&t->fwd.tap_rtcp);
    g_free(t->id);
    g_free(t->owner);
    g_free(t->label);
    g_free(t->mid);
    g_free(t);
}

static void track_op_free(gpointer data)
{
    tb_relay__track_op *o = data;
    tb_relay_track_unref(o->track);
    g_free(o);
}

void tb_relay__track_post(tb_relay_room *room, tb_relay_track *t, GSourceFunc fn, int a, int b)
{
    tb_relay__track_op *o = g_new0(tb_relay__track_op, 1);
    o->track = tb_relay_track_ref(t);
    o->a = a;
    o->b = b;
    tb_relay__worker_post(room->worker, fn, o, track_op_free);
}

const char *tb_relay_track_id(const tb_relay_track *t)
{
    return t->id;
}
tb_relay_kind tb_relay_track_kind(const tb_relay_track *t)
{
    return t->kind;
}
const char *tb_relay_track_owner(const tb_relay_track *t)
{
    return t->owner;
}
const char *tb_relay_track_label(const tb_relay_track *t)
{
    return t->label;
}
const char *tb_relay_track_codec(const tb_relay_track *t)
{
    return t->codec.name;
}

const char *tb_relay_pc_state_name(tb_relay_pc_state st)
{
    switch (st) {
    case TB_RELAY_PC_NEW:
        return "new";
    case TB_RELAY_PC_CHECKING:
        return "checking";
    case TB_RELAY_PC_CONNECTED:
        return "connected";
    case TB_RELAY_PC_FAILED:
        return "failed";
    case TB_RELAY_PC_CLOSED:
        return "closed";
    }
    return "unknown";
}
