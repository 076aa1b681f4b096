/* forward.c — the fan-out, on the media workers.
 *
 * A packet from a publisher is decrypted once on the room's home worker, stored in the
 * track's retransmission buffer (video), then for each subscriber slot on that worker
 * copied into that subscriber's transmit buffer, rewritten (SSRC, sequence number,
 * timestamp) and encrypted in place: no allocation, no lock, no log line per packet.
 * Subscribers placed on other workers (relay.c) get it through those workers' inboxes
 * (inbox.h): one copy per worker, which then does the same for its own slots and keeps
 * its own retransmission buffer. RTCP is terminated here, per leg: a subscriber's PLI/FIR
 * becomes one throttled PLI to the publisher (on the home worker), its NACKs are answered
 * from the buffer of the subscriber's worker, and each leg gets its own reports.
 * A track a moderator muted (mute.c sets the flag) is dropped here, before the recording
 * tap, the active-speaker detection and the fan-out. */
#define TB_LOG_CAT "relay/forward"
#include "relay/internal.h"
#include "relay/inbox.h"
#include "common/tb_error.h"
#include "common/tb_time.h"

#include <string.h>

static bool is_keyframe(const tb_relay_track *t, const uint8_t *payload, size_t len)
{
    const char *c = t->codec.name;
    if (!g_ascii_strcasecmp(c, "VP8"))
        return tb_relay_vp8_is_keyframe(payload, len);
    if (!g_ascii_strcasecmp(c, "H264"))
        return tb_relay_h264_is_keyframe(payload, len);
    if (!g_ascii_strcasecmp(c, "VP9"))
        return tb_relay_vp9_is_keyframe(payload, len);
    return true;
}

/* Which published track a packet belongs to: the SSRC we learned, the SSRC the offer
 * announced, the MID header extension (RFC 8843 §15), or a payload type used by only
 * one track. */
static tb_relay_track *find_track(tb_relay_pc *pc, const uint8_t *buf, const tb_relay_rtp_header *h)
{
    GPtrArray *ts = pc->wtracks;
    for (guint i = 0; i < ts->len; i++) {
        tb_relay_track *t = g_ptr_array_index(ts, i);
        if (t->fwd.in_ssrc == h->ssrc)
            return t;
    }
    tb_relay_track *found = NULL;
    for (guint i = 0; i < ts->len && !found; i++) {
        tb_relay_track *t = g_ptr_array_index(ts, i);
        if (t->offer_ssrc && t->offer_ssrc == h->ssrc)
            found = t;
    }
    for (guint i = 0; i < ts->len && !found; i++) {
        tb_relay_track *t = g_ptr_array_index(ts, i);
        const uint8_t *v;
        size_t n;
        if (t->ext_mid && tb_relay_rtp_ext_find(buf, h, (uint8_t)t->ext_mid, &v, &n) == TB_OK &&
            n == strlen(t->mid) && !memcmp(v, t->mid, n))
            found = t;
    }
    if (!found) {
        int matches = 0;
        for (guint i = 0; i < ts->len; i++) {
            tb_relay_track *t = g_ptr_array_index(ts, i);
            if (t->codec.pt == h->payload_type) {
                matches++;
                found = t;
            }
        }
        if (matches != 1)
            found = NULL;
    }
    if (found) {
        /* A new SSRC for a known track: the publisher restarted its sender. */
        found->fwd.in_ssrc = h->ssrc;
        tb_relay_rtp_stats_init(&found->fwd.stats, h->ssrc, found->codec.clock_rate);
        g_mutex_lock(&found->sr.lock);
        found->sr.have = false;
        found->sr.ssrc = h->ssrc;
        g_mutex_unlock(&found->sr.lock);
    }
    return found;
}

static void send_to_slot(tb_relay__slot *slot, tb_relay_track *t, const uint8_t *buf, size_t len,
                         const tb_relay_rtp_header *h, int64_t now)
{
    tb_relay_pc *sp = slot->pc;
    if (!sp->srtp)
        return;
    if (slot->need_keyframe) {
        if (!is_keyframe(t, buf + h->payload_offset, h->payload_len))
            return;
        slot->need_keyframe = false;
    }
    uint16_t seq;
    uint32_t ts;
    if (tb_relay_rewriter_map(&slot->rw, h->ssrc, h->seq, h->timestamp, now, &seq, &ts))
        return;
    uint8_t *b = tb_relay__transport_rtp_buf(sp);
    memcpy(b, buf, len);
    tb_relay_rtp_set_seq(b, seq);
    tb_relay_rtp_set_timestamp(b, ts);
    tb_relay_rtp_set_ssrc(b, slot->rw.out_ssrc);
    slot->packets++;
    slot->octets += (uint32_t)h->payload_len;
    tb_relay__transport_queue_rtp(sp, b, len);
}

static void fan_out(tb_relay__track_local *loc, tb_relay_track *t, const uint8_t *buf, size_t len,
                    const tb_relay_rtp_header *h, int64_t now)
{
    if (loc->rtx)
        tb_relay_rtxbuf_put(loc->rtx, h->seq, buf, len, now);
    GPtrArray *sinks = loc->sinks;
    for (guint i = 0; i < sinks->len; i++)
        send_to_slot(g_ptr_array_index(sinks, i), t, buf, len, h, now);
}

/* One copy for each other worker with subscribers of t; each holds a track reference
 * until that worker has sent it. */
static void hand_off(tb_relay_pc *pc, tb_relay_track *t, const uint8_t *buf, size_t len)
{
    tb_relay__worker *workers = pc->room->relay->workers;
    int home = pc->worker->index;
    for (int i = 0; i < t->n_local; i++) {
        if (i == home || !g_atomic_int_get(&t->local[i].n_sinks))
            continue;
        tb_relay_track_ref(t);
        if (!tb_relay__inbox_push(workers[i].inbox, home, t, buf, len)) {
            tb_relay_track_unref(t);
            if (tb_log_ratelimit_ok(&pc->rl))
                TB_LOG_WARN("[%s] media worker %d is behind: a packet for its subscribers "
                            "was dropped",
                            pc->tag, i);
        }
    }
}

void tb_relay__forward_from_inbox(void *worker, gpointer tag, const uint8_t *buf, size_t len)
{
    tb_relay__worker *w = worker;
    tb_relay_track *t = tag;
    tb_relay_rtp_header h;
    if (!g_atomic_int_get(&t->fwd.removed) && tb_relay_rtp_parse(buf, len, &h) == TB_OK)
        fan_out(&t->local[w->index], t, buf, len, &h, tb_time_mono_us());
    tb_relay_track_unref(t);
}

void tb_relay__forward_rtp(tb_relay_pc *pc, uint8_t *buf, size_t len)
{
    if (pc->role != TB_RELAY_PC_PUBLISH)
        return; /* subscribers send no media to us */
    tb_relay_rtp_header h;
    if (tb_relay_rtp_parse(buf, len, &h) != TB_OK) {
        if (tb_log_ratelimit_ok(&pc->rl))
            TB_LOG_WARN("[%s] dropping malformed RTP (%zu bytes)", pc->tag, len);
        return;
    }
    tb_relay_track *t = find_track(pc, buf, &h);
    if (!t || g_atomic_int_get(&t->fwd.removed))
        return;
    int64_t now = tb_time_mono_us();
    tb_relay_rtp_stats_update(&t->fwd.stats, h.seq, h.timestamp, now);
    if (t->fwd.muted)
        return; /* moderation (mute.c): stopped at the relay, for subscribers and recorder alike */
    if (t->ext_audio_level)
        tb_relay__speaker_on_packet(t, buf, &h);
    if (t->fwd.tap_rtp)
        tb_relay__tap_rtp(t, buf, len);
    fan_out(&t->local[pc->worker->index], t, buf, len, &h, now);
    if (t->n_local > 1)
        hand_off(pc, t, buf, len);
}

/* ---- keyframe requests ---- */

static void send_pli(tb_relay_track *t)
{
    tb_relay_pc *pub = t->fwd.publisher;
    uint32_t media = t->fwd.in_ssrc ? t->fwd.in_ssrc : t->offer_ssrc;
    if (!pub || !pub->srtp || !media) {
        t->fwd.pli_pending = true; /* sent when the publisher is up */
        return;
    }
    uint8_t *b = pub->tx;
    int n = tb_relay_rtcp_write_pli(b, TB_RELAY_MTU, pub->rtcp_ssrc, media);
    if (n <= 0)
        return;
    t->fwd.pli_pending = false;
    t->fwd.last_pli_us = tb_time_mono_us();
    tb_relay__transport_send_rtcp(pub, b, (size_t)n);
}

static gboolean pli_timer_fired(gpointer data)
{
    tb_relay_track *t = data;
    t->fwd.pli_timer = 0;
    if (!g_atomic_int_get(&t->fwd.removed) && t->fwd.pli_pending)
        send_pli(t);
    return G_SOURCE_REMOVE;
}

void tb_relay__forward_request_keyframe(tb_relay_track *t)
{
    if (g_atomic_int_get(&t->fwd.removed) || t->kind != TB_RELAY_KIND_VIDEO)
        return;
    int64_t throttle = (int64_t)t->room->relay->cfg->pli_throttle_ms * 1000;
    int64_t now = tb_time_mono_us();
    int64_t since = now - t->fwd.last_pli_us;
    if (t->fwd.last_pli_us && since < throttle) {
        /* Merge: one PLI at the end of the window answers every request in it. */
        t->fwd.pli_pending = true;
        if (!t->fwd.pli_timer) {
            GSource *s = g_timeout_source_new((guint)((throttle - since) / 1000 + 1));
            g_source_set_callback(s, pli_timer_fired, tb_relay_track_ref(t),
                                  (GDestroyNotify)tb_relay_track_unref);
            t->fwd.pli_timer = g_source_attach(s, t->room->worker->ctx);
            g_source_unref(s);
        }
        return;
    }
    send_pli(t);
}

static gboolean keyframe_run(gpointer t)
{
    tb_relay__forward_request_keyframe(t);
    return G_SOURCE_REMOVE;
}

void tb_relay__forward_keyframe_post(tb_relay_track *t)
{
    tb_relay__worker_post(t->room->worker, keyframe_run, tb_relay_track_ref(t),
                          (GDestroyNotify)tb_relay_track_unref);
}

void tb_relay__forward_keyframe_from(tb_relay_pc *pc, tb_relay_track *t)
{
    if (pc->worker == t->room->worker)
        tb_relay__forward_request_keyframe(t);
    else
        tb_relay__forward_keyframe_post(t);
}

/* ---- work on every worker that has subscribers of a track ---- */

typedef struct local_op {
    tb_relay_track *track; /* ref */
    tb_relay__worker *worker;
} local_op;

static void local_op_free(gpointer data)
{
    tb_relay_track_unref(((local_op *)data)->track);
    g_free(data);
}

/* Runs fn for t's slots on every worker: at once on this (the home) worker, posted to the
 * others. */
static void each_worker(tb_relay_track *t, GSourceFunc fn)
{
    tb_relay__worker *workers = t->room->relay->workers;
    for (int i = 0; i < t->n_local; i++) {
        local_op *o = g_new0(local_op, 1);
        o->track = tb_relay_track_ref(t);
        o->worker = &workers[i];
        if (o->worker == t->room->worker) {
            fn(o);
            local_op_free(o);
        } else {
            tb_relay__worker_post(o->worker, fn, o, local_op_free);
        }
    }
}

static gboolean need_keyframe_run(gpointer data)
{
    local_op *o = data;
    GPtrArray *sinks = o->track->local[o->worker->index].sinks;
    for (guint i = 0; i < sinks->len; i++)
        ((tb_relay__slot *)g_ptr_array_index(sinks, i))->need_keyframe = true;
    return G_SOURCE_REMOVE;
}

void tb_relay__forward_sinks_need_keyframe(tb_relay_track *t)
{
    each_worker(t, need_keyframe_run);
}

/* ---- subscriptions ---- */

static void slot_unbind(tb_relay__slot *slot)
{
    if (!slot->track)
        return;
    tb_relay__track_local *loc = &slot->track->local[slot->pc->worker->index];
    g_ptr_array_remove_fast(loc->sinks, slot);
    g_atomic_int_set(&loc->n_sinks, (gint)loc->sinks->len);
    tb_relay_track_unref(slot->track);
    slot->track = NULL;
}

static gboolean unbind_all_run(gpointer data)
{
    local_op *o = data;
    GPtrArray *sinks = o->track->local[o->worker->index].sinks;
    while (sinks->len)
        slot_unbind(g_ptr_array_index(sinks, sinks->len - 1));
    return G_SOURCE_REMOVE;
}

void tb_relay__forward_bind_slot(tb_relay_pc *pc, int index, tb_relay_track *track, uint32_t ssrc)
{
    while ((int)pc->slots->len <= index) {
        tb_relay__slot *s = g_new0(tb_relay__slot, 1);
        s->pc = pc;
        s->index = (int)pc->slots->len;
        g_ptr_array_add(pc->slots, s);
    }
    tb_relay__slot *slot = g_ptr_array_index(pc->slots, index);
    if (slot->track == track && (!track || slot->rw.out_ssrc == ssrc))
        return;
    slot_unbind(slot);
    if (!track || g_atomic_int_get(&track->fwd.removed))
        return;
    slot->track = tb_relay_track_ref(track);
    tb_relay_rewriter_init(&slot->rw, ssrc, track->codec.clock_rate);
    slot->packets = slot->octets = 0;
    slot->rtx_octets_seen = 0;
    slot->rtx_budget = TB_RELAY_RTX_START_BYTES;
    slot->rtx_sent = slot->rtx_refused = 0;
    slot->need_keyframe = track->kind == TB_RELAY_KIND_VIDEO;
    tb_relay__track_local *loc = &track->local[pc->worker->index];
    if (track->kind == TB_RELAY_KIND_VIDEO && !loc->rtx)
        loc->rtx =
            tb_relay_rtxbuf_create((size_t)pc->room->relay->cfg->rtx_buffer_packets, TB_RELAY_MTU);
    g_ptr_array_add(loc->sinks, slot);
    g_atomic_int_set(&loc->n_sinks, (gint)loc->sinks->len);
    if (pc->srtp)
        tb_relay__forward_keyframe_from(pc, track);
}

void tb_relay__forward_remove_track(tb_relay_track *t)
{
    if (g_atomic_int_get(&t->fwd.removed))
        return;
    /* Set before the other workers are told: a slot bound there after this sees it. */
    g_atomic_int_set(&t->fwd.removed, 1);
    tb_relay__speaker_track_removed(t);
    tb_relay__tap_clear(t);
    t->fwd.publisher = NULL;
    each_worker(t, unbind_all_run);
    if (t->fwd.pli_timer) {
        GSource *s = g_main_context_find_source_by_id(t->room->worker->ctx, t->fwd.pli_timer);
        if (s)
            g_source_destroy(s);
        t->fwd.pli_timer = 0;
    }
}

void tb_relay__forward_stop_pc(tb_relay_pc *pc)
{
    for (guint i = 0; i < pc->wtracks->len; i++)
        tb_relay__forward_remove_track(g_ptr_array_index(pc->wtracks, i));
    g_ptr_array_set_size(pc->wtracks, 0);
    for (guint i = 0; i < pc->slots->len; i++) {
        tb_relay__slot *slot = g_ptr_array_index(pc->slots, i);
        slot_unbind(slot);
        g_free(slot);
    }
    g_ptr_array_set_size(pc->slots, 0);
}

void tb_relay__forward_connected(tb_relay_pc *pc)
{
    for (guint i = 0; i < pc->wtracks->len; i++) {
        tb_relay_track *t = g_ptr_array_index(pc->wtracks, i);
        if (t->fwd.pli_pending)
            send_pli(t);
    }
    for (guint i = 0; i < pc->slots->len; i++) {
        tb_relay__slot *slot = g_ptr_array_index(pc->slots, i);
        if (slot->track && slot->track->kind == TB_RELAY_KIND_VIDEO) {
            slot->need_keyframe = true;
            tb_relay__forward_keyframe_from(pc, slot->track);
        }
    }
}
