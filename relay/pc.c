/* pc.c — peer connections as the control plane sees them: creation and close, SDP
 * offer/answer, trickle candidates, the set of published tracks and the m-lines of a
 * subscribe connection. Everything here runs on the main thread; what the media plane
 * must know is posted to the connection's worker as an `op`, applied there in order. */
#define TB_LOG_CAT "relay/pc"
#include "relay/internal.h"
#include "common/tb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- operations posted to the worker ---- */

typedef enum {
    OP_START,
    OP_REMOTE,    /* ICE credentials + DTLS fingerprint + role */
    OP_CANDIDATE, /* one remote candidate ("" = end) */
    OP_TRACKS,    /* publish: new track list */
    OP_BIND,      /* subscribe: slot bindings after an answer */
    OP_STOP,
} op_kind;

typedef struct op {
    op_kind kind;
    tb_relay_pc *pc; /* ref */
    char *s1, *s2, *s3, *s4;
    bool flag;
    GPtrArray *tracks;     /* refs */
    GArray *lines;         /* tb_relay__sub_mline with track refs */
    tb_relay_track *track; /* ref */
} op;

static void op_free(gpointer data)
{
    op *o = data;
    g_free(o->s1);
    g_free(o->s2);
    g_free(o->s3);
    g_free(o->s4);
    if (o->tracks)
        g_ptr_array_unref(o->tracks);
    if (o->lines) {
        for (guint i = 0; i < o->lines->len; i++) {
            tb_relay__sub_mline *l = &g_array_index(o->lines, tb_relay__sub_mline, i);
            if (l->track)
                tb_relay_track_unref(l->track);
        }
        g_array_unref(o->lines);
    }
    if (o->track)
        tb_relay_track_unref(o->track);
    tb_relay__pc_unref(o->pc);
    g_free(o);
}

static void apply_tracks(tb_relay_pc *pc, GPtrArray *tracks)
{
    /* Tracks that are gone stop being forwarded now; subscribers renegotiate later. */
    for (guint i = 0; i < pc->wtracks->len; i++) {
        tb_relay_track *t = g_ptr_array_index(pc->wtracks, i);
        bool kept = false;
        for (guint j = 0; j < tracks->len && !kept; j++)
            kept = g_ptr_array_index(tracks, j) == t;
        if (!kept)
            tb_relay__forward_remove_track(t);
    }
    g_ptr_array_set_size(pc->wtracks, 0);
    for (guint j = 0; j < tracks->len; j++) {
        tb_relay_track *t = g_ptr_array_index(tracks, j);
        if (!t->fwd.publisher)
            tb_relay__speaker_track_added(t);
        t->fwd.publisher = pc;
        g_ptr_array_add(pc->wtracks, tb_relay_track_ref(t));
    }
}

static gboolean op_run(gpointer data)
{
    op *o = data;
    tb_relay_pc *pc = o->pc;
    switch (o->kind) {
    case OP_START:
        tb_relay__transport_start(pc);
        break;
    case OP_REMOTE:
        tb_relay__transport_set_remote(pc, o->s1, o->s2, o->s3, o->s4, o->flag);
        break;
    case OP_CANDIDATE:
        tb_relay__transport_add_candidate(pc, o->s1);
        break;
    case OP_TRACKS:
        apply_tracks(pc, o->tracks);
        break;
    case OP_BIND:
        for (guint i = 0; i < o->lines->len; i++) {
            tb_relay__sub_mline *l = &g_array_index(o->lines, tb_relay__sub_mline, i);
            tb_relay__forward_bind_slot(pc, (int)i, l->rejected ? NULL : l->track, l->ssrc);
        }
        break;
    case OP_STOP:
        tb_relay__forward_stop_pc(pc);
        tb_relay__transport_stop(pc);
        break;
    }
    return G_SOURCE_REMOVE;
}

static op *op_new(tb_relay_pc *pc, op_kind kind)
{
    op *o = g_new0(op, 1);
    o->kind = kind;
    o->pc = tb_relay__pc_ref(pc);
    return o;
}

static void op_post(op *o)
{
    tb_relay__worker_post(o->pc->worker, op_run, o, op_free);
}

/* ---- lifecycle ---- */

tb_relay_pc *tb_relay_pc_create(tb_relay_room *room, tb_relay_pc_role role, const char *owner,
                                const tb_relay_pc_events *events, void *user)
{
    tb_relay_pc *pc = g_new0(tb_relay_pc, 1);
    pc->ref = 1;
    pc->room = tb_relay__room_ref(room);
    pc->role = role;
    pc->owner = g_strdup(owner);
    pc->tag =
        g_strdup_printf("%s/%s/%s", room->name, owner, role == TB_RELAY_PC_PUBLISH ? "pub" : "sub");
    /* Our ICE credentials, set on the agent (transport.c) instead of the ones libnice would
     * make with GLib's generator: 48 and 144 random bits (RFC 8839 §5.4 asks for at least
     * 24 and 128), from the CSPRNG (rand.c). */
    tb_relay__random_token(pc->ufrag, 8);
    tb_relay__random_token(pc->pwd, 24);
    snprintf(pc->session_id, sizeof pc->session_id, "%u%u", tb_relay__random_u32() >> 1,
             tb_relay__random_u32() >> 4);
    do
        pc->rtcp_ssrc = tb_relay__random_u32();
    while (pc->rtcp_ssrc == 0);
    pc->events = *events;
    pc->user = user;
    pc->early_candidates = g_ptr_array_new_with_free_func(g_free);
    pc->tracks = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    pc->lines = g_array_new(FALSE, TRUE, sizeof(tb_relay__sub_mline));
    pc->wtracks = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    pc->slots = g_ptr_array_new();
    pc->worker = tb_relay__place_pc(room, role);
    pc->worker->n_pcs++;
    if (pc->worker != room->worker)
        TB_LOG_INFO("[%s] on media worker %d (the room's home worker is %d)", pc->tag,
                    pc->worker->index, room->worker->index);
    g_ptr_array_add(room->relay->pcs, tb_relay__pc_ref(pc));
    op_post(op_new(pc, OP_START));
    return pc;
}

tb_relay_pc *tb_relay__pc_ref(tb_relay_pc *pc)
{
    g_atomic_int_inc(&pc->ref);
    return pc;
}

static void clear_lines(GArray *lines)
{
    if (!lines)
        return;
    for (guint i = 0; i < lines->len; i++) {
        tb_relay__sub_mline *l = &g_array_index(lines, tb_relay__sub_mline, i);
        if (l->track)
            tb_relay_track_unref(l->track);
    }
    g_array_unref(lines);
}

void tb_relay__pc_unref(tb_relay_pc *pc)
{
    if (!pc || !g_atomic_int_dec_and_test(&pc->ref))
        return;
    g_ptr_array_unref(pc->early_candidates);
    g_strfreev(pc->pub_mids);
    g_ptr_array_unref(pc->tracks);
    clear_lines(pc->lines);
    clear_lines(pc->offered);
    g_ptr_array_unref(pc->wtracks);
    g_ptr_array_unref(pc->slots);
    tb_relay__room_unref(pc->room);
    g_free(pc->owner);
    g_free(pc->tag);
    g_free(pc);
}

void tb_relay_pc_close(tb_relay_pc *pc)
{
    if (!pc || pc->closed)
        return;
    pc->closed = true;
    pc->state = TB_RELAY_PC_CLOSED;
    pc->worker->n_pcs--;
    op_post(op_new(pc, OP_STOP));
    if (g_ptr_array_remove_fast(pc->room->relay->pcs, pc))
        tb_relay__pc_unref(pc); /* the relay's list reference */
    tb_relay__pc_unref(pc);     /* the caller's */
}

tb_relay_pc_role tb_relay_pc_get_role(const tb_relay_pc *pc)
{
    return pc->role;
}
tb_relay_pc_state tb_relay_pc_get_state(const tb_relay_pc *pc)
{
    return pc->state;
}

/* ---- events from the worker ---- */

typedef struct pc_event {
    tb_relay_pc *pc;
    bool is_state;
    tb_relay_pc_state state;
    char *candidate;
    char *mid;
} pc_event;

static void pc_event_free(gpointer data)
{
    pc_event *e = data;
    tb_relay__pc_unref(e->pc);
    g_free(e->candidate);
    g_free(e->mid);
    g_free(e);
}

static gboolean pc_event_run(gpointer data)
{
    pc_event *e = data;
    tb_relay_pc *pc = e->pc;
    if (pc->closed)
        return G_SOURCE_REMOVE;
    if (e->is_state) {
        pc->state = e->state;
        if (pc->events.state)
            pc->events.state(pc->user, pc, e->state);
    } else if (pc->events.candidate) {
        pc->events.candidate(pc->user, pc, e->candidate, e->mid ? e->mid : "0");
    }
    return G_SOURCE_REMOVE;
}

void tb_relay__pc_post_state(tb_relay_pc *pc, tb_relay_pc_state st)
{
    if (pc->wstate == st)
        return;
    pc->wstate = st;
    pc_event *e = g_new0(pc_event, 1);
    e->pc = tb_relay__pc_ref(pc);
    e->is_state = true;
    e->state = st;
    tb_relay__main_post(pc->room->relay, pc_event_run, e, pc_event_free);
}

void tb_relay__pc_post_candidate(tb_relay_pc *pc, const char *cand, const char *mid)
{
    pc_event *e = g_new0(pc_event, 1);
    e->pc = tb_relay__pc_ref(pc);
    e->candidate = g_strdup(cand);
    e->mid = g_strdup(mid);
    tb_relay__main_post(pc->room->relay, pc_event_run, e, pc_event_free);
}

/* ---- remote description and candidates ---- */

/* RFC 8839 §5.1: "candidate:" foundation component transport priority address port
 * "typ" type ... The address may be an mDNS name (*.local) that we cannot resolve: it is
 * accepted and ignored later, like TCP candidates. The address goes to addr. */
static int check_candidate(const char *c, char *addr, size_t addrlen, char *err, size_t errlen)
{
    if (strlen(c) > 512 || !g_str_has_prefix(c, "candidate:")) {
        snprintf(err, errlen, "a candidate must start with 'candidate:' (at most 512 bytes)");
        return TB_EINVAL;
    }
    gchar **f = g_strsplit(c + 10, " ", 32);
    int n = (int)g_strv_length(f);
    const char *why = NULL;
    if (n < 8 || strcmp(f[6], "typ"))
        why = "expected 'foundation component transport priority address port typ type'";
    else {
        char *end;
        long comp = strtol(f[1], &end, 10);
        long port = 0;
        if (*end || comp < 1 || comp > 256)
            why = "component must be 1..256";
        else if (g_ascii_strcasecmp(f[2], "udp") && g_ascii_strcasecmp(f[2], "tcp"))
            why = "transport must be udp or tcp";
        else if ((g_ascii_strtoull(f[3], &end, 10), *end) || !*f[3])
            why = "priority must be a number";
        else if (!g_hostname_is_ip_address(f[4]) && !g_str_has_suffix(f[4], ".local"))
            why = "address must be an IP address or an mDNS .local name";
        else if ((port = strtol(f[5], &end, 10), *end) || port < 0 || port > 65535)
            why = "port must be 0..65535";
        else if (strcmp(f[7], "host") && strcmp(f[7], "srflx") && strcmp(f[7], "prflx") &&
                 strcmp(f[7], "relay"))
            why = "type must be host, srflx, prflx or relay";
        else
            g_strlcpy(addr, f[4], addrlen);
    }
    g_strfreev(f);
    if (why) {
        snprintf(err, errlen, "candidate does not parse: %s", why);
        return TB_EINVAL;
    }
    return TB_OK;
}

/* Whether the relay may send checks to the candidate's address (addrscope.c); err says
 * why not. */
static bool address_allowed(tb_relay_pc *pc, const char *addr, char *err, size_t errlen)
{
    const tb_relay *r = pc->room->relay;
    if (tb_relay__candidate_addr_ok(r->own_scopes, addr, !strcmp(r->cfg->remote_candidates, "any")))
        return true;
    snprintf(err, errlen,
             "candidate address %.64s is not one the relay sends to (relay.remote_candidates "
             "= %s: only addresses in the scope of its own)",
             addr, r->cfg->remote_candidates);
    return false;
}

/* Counts a candidate against relay.max_remote_candidates: each one becomes a remote
 * candidate of the agent, which pairs it with every local one and checks each pair. */
static int take_candidate(tb_relay_pc *pc, char *err, size_t errlen)
{
    int cap = pc->room->relay->cfg->max_remote_candidates;
    if (pc->n_remote_candidates >= (guint)cap) {
        snprintf(err, errlen,
                 "too many candidates: a connection takes at most %d, those in its SDP included "
                 "(relay.max_remote_candidates)",
                 cap);
        return TB_ETOOBIG;
    }
    pc->n_remote_candidates++;
    return TB_OK;
}

static void post_candidate(tb_relay_pc *pc, const char *c)
{
    op *o = op_new(pc, OP_CANDIDATE);
    o->s1 = g_strdup(c);
    op_post(o);
}

/* Whether `mid` names an m-line of this connection's current description (with BUNDLE
 * every candidate belongs to all of them, but the mid must still be one of ours). */
static bool known_mid(tb_relay_pc *pc, const char *mid)
{
    if (pc->role == TB_RELAY_PC_PUBLISH)
        return pc->pub_mids && g_strv_contains((const char *const *)pc->pub_mids, mid);
    for (guint i = 0; pc->offered && i < pc->offered->len; i++)
        if (!strcmp(g_array_index(pc->offered, tb_relay__sub_mline, i).mid, mid))
            return true;
    return false;
}

int tb_relay_pc_add_remote_candidate(tb_relay_pc *pc, const char *candidate, const char *mid,
                                     char *err, size_t errlen)
{
    const char *c = candidate ? candidate : "";
    char addr[256] = "";
    if (*c && check_candidate(c, addr, sizeof addr, err, errlen))
        return TB_EINVAL;
    bool described = pc->role == TB_RELAY_PC_PUBLISH ? pc->pub_mids != NULL : pc->offered != NULL;
    if (mid && described && !known_mid(pc, mid)) {
        snprintf(err, errlen, "sdpMid '%.32s' names no m-line of this connection", mid);
        return TB_EINVAL;
    }
    if (*c && !address_allowed(pc, addr, err, errlen))
        return TB_EINVAL;
    if (!pc->have_remote && pc->early_candidates->len >= 64) {
        snprintf(err, errlen, "too many candidates before the description");
        return TB_ETOOBIG;
    }
    int rc = *c ? take_candidate(pc, err, errlen) : TB_OK;
    if (rc)
        return rc;
    if (!pc->have_remote)
        g_ptr_array_add(pc->early_candidates, g_strdup(c));
    else
        post_candidate(pc, c);
    return TB_OK;
}

/* First remote description: credentials, fingerprint, role; then queued candidates. */
static int set_remote(tb_relay_pc *pc, const tb_relay__desc *d, bool dtls_client, char *err,
                      size_t errlen)
{
    if (pc->have_remote) {
        if (strcmp(pc->remote_ufrag, d->ufrag)) {
            snprintf(err, errlen, "ICE restart is not supported: rejoin instead");
            return TB_EUNSUPPORTED;
        }
        return TB_OK;
    }
    pc->have_remote = true;
    g_strlcpy(pc->remote_ufrag, d->ufrag, sizeof pc->remote_ufrag);
    op *o = op_new(pc, OP_REMOTE);
    o->s1 = g_strdup(d->ufrag);
    o->s2 = g_strdup(d->pwd);
    o->s3 = g_strdup(d->fp_hash);
    o->s4 = g_strdup(d->fp_value);
    o->flag = dtls_client;
    op_post(o);
    /* Candidates in the SDP go through the same checks as trickled ones; those that fail
     * are left out (the description itself is fine). */
    guint skipped = 0;
    char why[256] = "";
    for (guint i = 0; i < d->candidates->len; i++) {
        const char *c = g_ptr_array_index(d->candidates, i);
        char addr[256] = "";
        if (check_candidate(c, addr, sizeof addr, why, sizeof why) ||
            !address_allowed(pc, addr, why, sizeof why) || take_candidate(pc, why, sizeof why)) {
            skipped++;
            continue;
        }
        post_candidate(pc, c);
    }
    if (skipped)
        TB_LOG_INFO("[%s] %u candidate(s) of the description left out, e.g.: %s", pc->tag, skipped,
                    why);
    for (guint i = 0; i < pc->early_candidates->len; i++)
        post_candidate(pc, g_ptr_array_index(pc->early_candidates, i));
    g_ptr_array_set_size(pc->early_candidates, 0);
    return TB_OK;
}

static void fill_local(tb_relay_pc *pc, tb_relay__local *l, const char *setup)
{
    l->ufrag = pc->ufrag;
    l->pwd = pc->pwd;
    l->fingerprint = tb_relay_dtls_cert_fingerprint(pc->room->relay->cert);
    l->setup = setup;
    l->session_id = pc->session_id;
    l->version = pc->sdp_version++;
    l->cname = pc->owner;
    l->ice_lite = pc->room->relay->cfg->ice_lite;
}

/* ---- publish ---- */

static tb_relay_track *find_track_by_mid(GPtrArray *tracks, const char *mid)
{
    for (guint i = 0; i < tracks->len; i++) {
        tb_relay_track *t = g_ptr_array_index(tracks, i);
        if (!strcmp(t->mid, mid))
            return t;
    }
    return NULL;
}

/* Browsers don't say what a track is; by convention the first audio m-line is the
 * microphone, the first video the camera and a further video a screen share. */
static const char *label_for(const tb_relay__desc *d, guint idx)
{
    const tb_relay__mline *ml = &g_array_index(d->mlines, tb_relay__mline, idx);
    if (!strcmp(ml->media, "audio"))
        return "microphone";
    for (guint i = 0; i < idx; i++) {
        const tb_relay__mline *p = &g_array_index(d->mlines, tb_relay__mline, i);
        if (!strcmp(p->media, "video") && !p->reject[0])
            return "screen";
    }
    return "camera";
}

char *tb_relay_pc_publish_offer(tb_relay_pc *pc, const char *sdp, GPtrArray **added,
                                GPtrArray **removed, char *err, size_t errlen)
{
    *added = *removed = NULL;
    if (pc->role != TB_RELAY_PC_PUBLISH || pc->closed) {
        snprintf(err, errlen, "not a publish connection");
        return NULL;
    }
    tb_relay__desc d;
    if (tb_relay__sdp_parse(sdp, true, &d, err, errlen)) {
        tb_relay__desc_clear(&d);
        return NULL;
    }
    /* We take only what the client sends; a recvonly m-line in a publish offer is
     * answered inactive. */
    guint usable = 0;
    for (guint i = 0; i < d.mlines->len; i++) {
        tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, i);
        if (!ml->reject[0])
            usable++;
    }
    if (usable == 0) {
        const tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, 0);
        snprintf(err, errlen, "no usable m-line (m-line 0: %s)", ml->reject);
        tb_relay__desc_clear(&d);
        return NULL;
    }
    /* We are the DTLS server unless the client insists on being it (RFC 8842 §5.3). */
    bool dtls_client = !strcmp(d.setup, "passive");
    if (set_remote(pc, &d, dtls_client, err, errlen)) {
        tb_relay__desc_clear(&d);
        return NULL;
    }
    tb_relay__local local;
    fill_local(pc, &local, dtls_client ? "active" : "passive");
    char *answer = tb_relay__sdp_write_answer(&d, &local);

    GPtrArray *now = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    *added = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    *removed = g_ptr_array_new_with_free_func((GDestroyNotify)tb_relay_track_unref);
    for (guint i = 0; i < d.mlines->len; i++) {
        tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, i);
        if (!tb_relay__mline_publishes(ml))
            continue;
        tb_relay_track *t = find_track_by_mid(pc->tracks, ml->mid);
        if (t && t->codec.pt == ml->codec.pt && !strcmp(t->codec.name, ml->codec.name)) {
            g_ptr_array_add(now, tb_relay_track_ref(t));
            continue;
        }
        t = tb_relay__track_create(pc->room, pc->owner, ml, label_for(&d, i),
                                   (size_t)pc->room->relay->cfg->rtx_buffer_packets);
        g_ptr_array_add(now, t);
        g_ptr_array_add(*added, tb_relay_track_ref(t));
    }
    for (guint i = 0; i < pc->tracks->len; i++) {
        tb_relay_track *t = g_ptr_array_index(pc->tracks, i);
        if (!g_ptr_array_find(now, t, NULL))
            g_ptr_array_add(*removed, tb_relay_track_ref(t));
    }
    g_ptr_array_unref(pc->tracks);
    pc->tracks = now;
    g_strfreev(pc->pub_mids);
    pc->pub_mids = g_new0(char *, d.mlines->len + 1);
    for (guint i = 0; i < d.mlines->len; i++)
        pc->pub_mids[i] = g_strdup(g_array_index(d.mlines, tb_relay__mline, i).mid);

    op *o = op_new(pc, OP_TRACKS);
    o->tracks = g_ptr_array_ref(now);
    op_post(o);
    TB_LOG_INFO("[%s] publish offer: %u track(s), %u new, %u removed", pc->tag, now->len,
                (*added)->len, (*removed)->len);
    tb_relay__desc_clear(&d);
    return answer;
}

GPtrArray *tb_relay_pc_published_tracks(tb_relay_pc *pc)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < pc->tracks->len; i++)
        g_ptr_array_add(out, g_ptr_array_index(pc->tracks, i));
    return out;
}

/* ---- subscribe ---- */

/* Our SSRC for a new m-line: random (RFC 3550 §8.1), and none other of this connection's. */
static uint32_t new_ssrc(tb_relay_pc *pc)
{
    for (;;) {
        uint32_t s = tb_relay__random_u32();
        bool taken = s == 0 || s == pc->rtcp_ssrc;
        for (guint i = 0; i < pc->lines->len && !taken; i++)
            taken = g_array_index(pc->lines, tb_relay__sub_mline, i).ssrc == s;
        if (!taken)
            return s;
    }
}

bool tb_relay_pc_subscribe_set(tb_relay_pc *pc, GPtrArray *tracks)
{
    if (pc->role != TB_RELAY_PC_SUBSCRIBE || pc->closed)
        return false;
    int max_mlines = MAX(pc->room->relay->cfg->max_mlines, 1);
    bool changed = false;
    /* Free the m-lines of tracks no longer wanted. */
    for (guint i = 0; i < pc->lines->len; i++) {
        tb_relay__sub_mline *l = &g_array_index(pc->lines, tb_relay__sub_mline, i);
        if (l->track && !g_ptr_array_find(tracks, l->track, NULL)) {
            tb_relay_track_unref(l->track);
            l->track = NULL;
            l->answered = false; /* reusable once the client has seen it free */
            changed = true;
        }
    }
    for (guint j = 0; j < tracks->len; j++) {
        tb_relay_track *t = g_ptr_array_index(tracks, j);
        bool have = false;
        for (guint i = 0; i < pc->lines->len && !have; i++)
            have = g_array_index(pc->lines, tb_relay__sub_mline, i).track == t;
        if (have)
            continue;
        /* Reuse a free m-line of the same kind that the client has already answered as
         * free (JSEP §5.2.2 recycling), else add one. */
        tb_relay__sub_mline *slot = NULL;
        for (guint i = 0; i < pc->lines->len && !slot; i++) {
            tb_relay__sub_mline *l = &g_array_index(pc->lines, tb_relay__sub_mline, i);
            if (!l->track && !l->rejected && l->answered && l->kind == t->kind)
                slot = l;
        }
        if (!slot && pc->lines->len >= (guint)max_mlines) {
            if (tb_log_ratelimit_ok(&pc->rl))
                TB_LOG_WARN("[%s] no m-line left for track %s (%d at most, from the rooms' "
                            "max_participants): not offered",
                            pc->tag, t->id, max_mlines);
            continue;
        }
        if (!slot) {
            tb_relay__sub_mline nl;
            memset(&nl, 0, sizeof nl);
            snprintf(nl.mid, sizeof nl.mid, "%u", pc->lines->len);
            nl.kind = t->kind;
            g_array_append_val(pc->lines, nl);
            slot = &g_array_index(pc->lines, tb_relay__sub_mline, pc->lines->len - 1);
        }
        slot->track = tb_relay_track_ref(t);
        slot->ssrc = new_ssrc(pc);
        slot->answered = false;
        changed = true;
    }
    if (changed)
        pc->dirty = true;
    return pc->dirty;
}

static GArray *copy_lines(GArray *src)
{
    GArray *dst = g_array_sized_new(FALSE, TRUE, sizeof(tb_relay__sub_mline), src->len);
    for (guint i = 0; i < src->len; i++) {
        tb_relay__sub_mline l = g_array_index(src, tb_relay__sub_mline, i);
        if (l.track)
            tb_relay_track_ref(l.track);
        g_array_append_val(dst, l);
    }
    return dst;
}

char *tb_relay_pc_subscribe_offer(tb_relay_pc *pc, int *revision)
{
    if (pc->role != TB_RELAY_PC_SUBSCRIBE || pc->closed || pc->offer_outstanding || !pc->dirty)
        return NULL;
    if (pc->lines->len == 0)
        return NULL;
    tb_relay__local local;
    fill_local(pc, &local, "actpass");
    char *sdp = tb_relay__sdp_write_sub_offer((tb_relay__sub_mline *)(void *)pc->lines->data,
                                              pc->lines->len, &local);
    clear_lines(pc->offered);
    pc->offered = copy_lines(pc->lines);
    pc->offer_outstanding = true;
    pc->dirty = false;
    *revision = ++pc->revision;
    return sdp;
}

int tb_relay_pc_subscribe_answer(tb_relay_pc *pc, int revision, const char *sdp, char *err,
                                 size_t errlen)
{
    if (pc->role != TB_RELAY_PC_SUBSCRIBE || pc->closed || !pc->offer_outstanding ||
        revision != pc->revision) {
        snprintf(err, errlen, "no outstanding offer with revision %d", revision);
        return TB_ESTATE;
    }
    tb_relay__desc d;
    /* As many m-lines as our offer (at most relay.max_mlines, subscribe_set): an answer
     * with more is refused before its m-lines are looked at. */
    int rc = tb_relay__sdp_parse_len(sdp, sdp ? strlen(sdp) : 0, false, (int)pc->offered->len, &d,
                                     err, errlen);
    if (!rc && d.mlines->len != pc->offered->len) {
        snprintf(err, errlen, "the answer has %u m-lines, the offer %u", d.mlines->len,
                 pc->offered->len);
        rc = TB_EINVAL;
    }
    for (guint i = 0; !rc && i < d.mlines->len; i++) {
        tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, i);
        tb_relay__sub_mline *ol = &g_array_index(pc->offered, tb_relay__sub_mline, i);
        if (strcmp(ml->mid, ol->mid)) {
            snprintf(err, errlen, "m-line %u: mid '%s', offered '%s'", i, ml->mid, ol->mid);
            rc = TB_EINVAL;
        }
    }
    if (rc) {
        tb_relay__desc_clear(&d);
        return rc;
    }
    /* The offerer said actpass; the answerer picks (RFC 8842 §5.2). active = it is the
     * DTLS client. */
    bool dtls_client = !strcmp(d.setup, "passive");
    rc = set_remote(pc, &d, dtls_client, err, errlen);
    if (rc) {
        tb_relay__desc_clear(&d);
        return rc;
    }
    pc->offer_outstanding = false;
    for (guint i = 0; i < d.mlines->len; i++) {
        tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, i);
        tb_relay__sub_mline *ol = &g_array_index(pc->offered, tb_relay__sub_mline, i);
        tb_relay__sub_mline *cl = &g_array_index(pc->lines, tb_relay__sub_mline, i);
        /* A client that cannot take a codec rejects the m-line with port 0. */
        if (ml->port_zero && ol->track) {
            ol->rejected = cl->rejected = true;
            TB_LOG_WARN("[%s] client rejected m-line %s (%s)", pc->tag, ol->mid,
                        ol->track->codec.name);
        }
        if (cl->track == ol->track)
            cl->answered = true;
    }
    op *o = op_new(pc, OP_BIND);
    o->lines = copy_lines(pc->offered);
    op_post(o);
    tb_relay__desc_clear(&d);
    return TB_OK;
}

void tb_relay_track_request_keyframe(tb_relay_room *room, tb_relay_track *track)
{
    (void)room; /* the track knows its room's home worker */
    tb_relay__forward_keyframe_post(track);
}
