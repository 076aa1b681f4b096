/* relay.c — the media plane's top: worker threads, the DTLS certificate, rooms and
 * tracks.
 *
 * Each worker is a thread running its own GMainContext. A room is pinned to the worker
 * with the fewest rooms when it is created, so that everything a room's packets touch
 * (agents, DTLS, SRTP, forwarding tables) belongs to one thread and needs no lock. The
 * main thread talks to a worker only by posting closures (tb_relay__worker_post). */
#define TB_LOG_CAT "relay"
#include "relay/internal.h"
#include "common/tb_error.h"

#include <stdio.h>
#include <string.h>

static gboolean rtcp_tick(gpointer data)
{
    tb_relay__worker *w = data;
    for (guint i = 0; i < w->rtcp_pcs->len; i++)
        tb_relay__forward_rtcp_tick(g_ptr_array_index(w->rtcp_pcs, i));
    return G_SOURCE_CONTINUE;
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
    r->main_ctx = g_main_context_ref(g_main_context_default());
    r->cert = tb_relay_dtls_cert_create(err, errlen);
    if (!r->cert) {
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
    for (int i = 0; i < r->n_workers; i++) {
        tb_relay__worker *w = &r->workers[i];
        tb_relay__worker_post(w, quit_worker, w, NULL);
        g_thread_join(w->thread);
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
    t->id = g_strdup_printf("t%08x", g_random_int());
    t->owner = g_strdup(owner);
    t->label = g_strdup(label);
    t->mid = g_strdup(ml->mid);
    t->kind = !strcmp(ml->media, "audio") ? TB_RELAY_KIND_AUDIO : TB_RELAY_KIND_VIDEO;
    t->codec = ml->codec;
    t->offer_ssrc = ml->ssrc;
    t->ext_mid = ml->ext_mid;
    t->ext_audio_level = ml->ext_audio_level;
    t->room = room;
    t->fwd.sinks = g_ptr_array_new();
    /* Audio is not retransmitted (Opus has in-band FEC; browsers don't NACK audio). */
    if (t->kind == TB_RELAY_KIND_VIDEO)
        t->fwd.rtx = tb_relay_rtxbuf_create(rtx_packets, TB_RELAY_MTU);
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
    g_ptr_array_unref(t->fwd.sinks);
    g_clear_object(&t->fwd.tap_rtp);
    g_clear_object(&t->fwd.tap_rtcp);
    if (t->fwd.rtx)
        tb_relay_rtxbuf_destroy(t->fwd.rtx);
    g_free(t->id);
    g_free(t->owner);
    g_free(t->label);
    g_free(t->mid);
    g_free(t);
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
