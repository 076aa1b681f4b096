/* internal.h — structures shared by the files of relay/. No other module includes it
 * (tests may). Field comments say which thread owns each field: [main] is the thread
 * running the default GMainContext, [worker] the media worker that owns the object (a
 * room's home worker for rooms and tracks, the connection's own worker for connections
 * and slots), [const] fixed after creation and readable anywhere. */
#ifndef TB_RELAY_INTERNAL_H
#define TB_RELAY_INTERNAL_H

#include "relay/tb_relay.h"
#include "relay/dtls.h"
#include "relay/rtcp.h"
#include "relay/rtp.h"
#include "relay/rtxbuf.h"
#include "relay/srtp.h"
#include "common/tb_log.h"

#include <agent.h>

/* Largest RTP/RTCP packet we handle; browsers keep packets under ~1200 bytes. */
#define TB_RELAY_MTU 1500

/* ---- SDP (sdp.c): parsed descriptions, independent of any connection ---- */

typedef enum {
    TB_RELAY_DIR_SENDRECV = 0,
    TB_RELAY_DIR_SENDONLY,
    TB_RELAY_DIR_RECVONLY,
    TB_RELAY_DIR_INACTIVE,
} tb_relay__dir;

/* One chosen codec of an m-line. */
typedef struct tb_relay__codec {
    int pt;        /* -1: none usable */
    char name[16]; /* "opus", "VP8", "H264", "VP9" (as in rtpmap) */
    uint32_t clock_rate;
    int channels;
    char fmtp[256];
    bool fb_nack, fb_pli, fb_fir, fb_remb;
} tb_relay__codec;

typedef struct tb_relay__mline {
    int index;
    char mid[32];
    char media[16]; /* "audio", "video", "application", ... */
    bool port_zero; /* rejected in the SDP it came from */
    tb_relay__dir dir;
    tb_relay__codec codec;
    int ext_mid;         /* extmap id of urn:ietf:params:rtp-hdrext:sdes:mid, 0 = none */
    int ext_audio_level; /* RFC 6464, 0 = none */
    uint32_t ssrc;       /* first media SSRC announced (not the RTX one), 0 = none */
    char msid_stream[80];
    char msid_track[80];
    char reject[96]; /* why we reject it; "" = accepted */
} tb_relay__mline;

typedef struct tb_relay__desc {
    char ufrag[257];
    char pwd[257];
    char fp_hash[16];
    char fp_value[200];
    char setup[16]; /* actpass / active / passive */
    bool bundle;
    bool rtcp_mux_all;
    GArray *mlines;        /* of tb_relay__mline */
    GPtrArray *candidates; /* "candidate:..." strings found in the SDP (owned) */
} tb_relay__desc;

/* m-lines a publish offer may have: what one client sends (a microphone, a camera, a
 * screen, perhaps a data channel), whatever the size of its room. A subscribe answer has
 * as many as our offer, up to tb_config_relay.max_mlines. */
#define TB_RELAY_PUBLISH_MAX_MLINES 64
/* Candidates kept from one SDP; the connection's own cap applies on top
 * (relay.max_remote_candidates, pc.c). */
#define TB_RELAY_SDP_MAX_CANDIDATES 64

/* Parses and validates an offer (is_offer) or answer of the first len bytes of text (no
 * NUL needed) with at most max_mlines m-lines. On error returns a negative code with a
 * human reason in err (used as `bad_sdp` reason). The caller clears *out with
 * tb_relay__desc_clear in every case. */
int tb_relay__sdp_parse_len(const char *text, size_t len, bool is_offer, int max_mlines,
                            tb_relay__desc *out, char *err, size_t errlen);
/* The same for a NUL-terminated text and TB_RELAY_PUBLISH_MAX_MLINES. */
int tb_relay__sdp_parse(const char *text, bool is_offer, tb_relay__desc *out, char *err,
                        size_t errlen);
/* Whether an m-line of a parsed offer becomes a published track: accepted and sending. */
bool tb_relay__mline_publishes(const tb_relay__mline *ml);
void tb_relay__desc_clear(tb_relay__desc *d);

/* What our side of an SDP says, for the writers. */
typedef struct tb_relay__local {
    const char *ufrag;
    const char *pwd;
    const char *fingerprint; /* "AB:CD..." sha-256 */
    const char *setup;       /* "actpass", "active", "passive" */
    const char *session_id;
    unsigned version;
    const char *cname;
    bool ice_lite; /* a=ice-lite at session level (RFC 8839 §5.3) */
} tb_relay__local;

/* Publish answer: accepts the m-lines with an empty `reject`, recvonly. (transfer full) */
char *tb_relay__sdp_write_answer(const tb_relay__desc *offer, const tb_relay__local *local);

/* One m-line of a subscribe offer. */
typedef struct tb_relay__sub_mline {
    char mid[16];
    tb_relay_kind kind;
    tb_relay_track *track; /* NULL: inactive */
    uint32_t ssrc;         /* our SSRC on this m-line */
    bool answered;         /* appeared in an applied answer */
    bool rejected;         /* the client rejected it (port 0): never reused */
} tb_relay__sub_mline;

char *tb_relay__sdp_write_sub_offer(const tb_relay__sub_mline *lines, size_t n,
                                    const tb_relay__local *local);

/* ---- randomness (rand.c): OpenSSL's CSPRNG, never GLib's; not for per-packet use ---- */

void tb_relay__random_bytes(void *buf, size_t n);
uint32_t tb_relay__random_u32(void);
/* n (at most 64) random ICE characters (RFC 8839 §5.4) and a NUL into out[n + 1]. */
void tb_relay__random_token(char *out, size_t n);

/* ---- a relay behind a 1:1 NAT (nat.c) ---- */
typedef struct tb_relay__nat {
    char *priv[TB_CONFIG_MAX_ADDRS]; /* NULL: the mapping holds for every ICE address */
    char *pub[TB_CONFIG_MAX_ADDRS];
    int n;
} tb_relay__nat;

/* Parses relay.public_addresses, or learns the public address from relay.stun_server
 * (blocking, a few seconds at most). Main thread, at start. */
int tb_relay__nat_init(tb_relay__nat *nat, const tb_config_relay *cfg, char *err, size_t errlen);
void tb_relay__nat_clear(tb_relay__nat *nat);
/* The public address candidates of private_ip carry, or NULL (no mapping). Any thread. */
const char *tb_relay__nat_public(const tb_relay__nat *nat, const char *private_ip);

/* ---- address scopes (addrscope.c): which remote candidates we check ---- */

enum {
    TB_RELAY__SCOPE_NONE = 0, /* not an address, or one that is never a peer */
    TB_RELAY__SCOPE_LOOPBACK = 1 << 0,
    TB_RELAY__SCOPE_PRIVATE = 1 << 1, /* RFC 1918, RFC 6598, ULA, link-local */
    TB_RELAY__SCOPE_PUBLIC = 1 << 2,
};
/* The scope of an IP address literal (TB_RELAY__SCOPE_NONE for anything else). */
unsigned tb_relay__addr_scope(const char *ip);
/* The scopes of n address literals, or-ed. */
unsigned tb_relay__addr_scopes(char *const *ips, int n);
/* May a remote candidate at `addr` (an IP literal or an mDNS name) be used by a relay
 * whose own addresses have the scopes `own`? `any`: relay.remote_candidates = any. */
bool tb_relay__candidate_addr_ok(unsigned own, const char *addr, bool any);

/* ---- the relay and its workers ---- */

typedef struct tb_relay__worker {
    int index;         /* [const] */
    GThread *thread;   /* [const] */
    GMainContext *ctx; /* [const] owned */
    GMainLoop *loop;   /* [const] owned */
    int n_rooms;       /* [main] rooms whose home this is */
    int n_pcs;         /* [main] connections it runs */
    /* share of a core the worker used over the last second, in permille: written by the
     * worker once a second, read by the main thread to place subscribers (atomic) */
    gint busy_permille;
    gint64 busy_cpu_ns, busy_wall_us; /* [worker] last sample */
    /* [const] packets other workers hand to this one (inbox.h); NULL with one worker */
    struct tb_relay__inbox *inbox;
    /* [const] connected subscribers' sockets, read through one epoll set (rxpoll.h) */
    struct tb_relay__rxpoll *rxpoll;
    /* [worker] connections whose RTCP reports the worker's one 1 s timer sends (weak:
     * a connection removes itself when it stops). One timer per worker rather than one
     * per connection: GLib walks every source of a context on every wake-up. */
    GPtrArray *rtcp_pcs;
} tb_relay__worker;

struct tb_relay {
    const tb_config_relay *cfg; /* [const] not owned */
    tb_relay_dtls_cert *cert;   /* [const] owned ref */
    char *fingerprint;          /* [const] "sha-256 AB:..." */
    tb_relay__worker *workers;  /* [const] */
    int n_workers;              /* [const] */
    GMainContext *main_ctx;     /* [const] */
    GPtrArray *pcs;             /* [main] open connections (refs), closed at destroy */
    unsigned own_scopes;        /* [const] TB_RELAY__SCOPE_* of the ICE and public addresses */
    tb_relay__nat nat;          /* [const] relay.public_addresses (nat.c) */
};

/* Runs fn(data) on the worker's thread; destroy(data) afterwards. Any thread. */
void tb_relay__worker_post(tb_relay__worker *w, GSourceFunc fn, gpointer data,
                           GDestroyNotify destroy);
/* Runs fn(data) on the main thread. Any thread. */
void tb_relay__main_post(tb_relay *relay, GSourceFunc fn, gpointer data, GDestroyNotify destroy);

struct tb_relay_room {
    gint ref;
    tb_relay *relay;          /* [const] not owned: the relay outlives rooms */
    tb_relay__worker *worker; /* [const] home: publishers, tracks, speaker, taps */
    char *name;               /* [const] */
    /* [main] room events (speaker.c) */
    tb_relay_room_events events;
    void *events_user;
    bool destroyed;
    /* [worker] active-speaker detection (speaker.c) */
    GPtrArray *audio_tracks; /* tb_relay_track* refs with an audio-level extension */
    guint speaker_timer;
    tb_relay_track *speaker;   /* ref, current active speaker's track, NULL = none */
    tb_relay_track *candidate; /* ref, loudest in the last interval, for hysteresis */
    int candidate_runs;
    /* recording tap socket (tap.c), bound to 127.0.0.1 by the main thread before the first
     * tap of the room starts (the post of the start orders it before any use), then
     * read-only; the worker sends on it */
    GSocket *tap_socket;
};

tb_relay_room *tb_relay__room_ref(tb_relay_room *room);
void tb_relay__room_unref(tb_relay_room *room);
/* [main] The worker a new connection of the room runs on (relay.c). */
tb_relay__worker *tb_relay__place_pc(tb_relay_room *room, tb_relay_pc_role role);

/* ---- tracks ---- */

/* A track's subscribers on one worker. Entry i of tb_relay_track.local belongs to worker i
 * (the home worker's entry included); n_sinks is also read by the home worker, which hands
 * packets only to workers that have sinks. */
typedef struct tb_relay__track_local {
    GPtrArray *sinks;     /* of tb_relay__slot* (weak: a slot removes itself) */
    tb_relay_rtxbuf *rtx; /* video: packets as this worker got them, for NACKs; owned */
    gint n_sinks;         /* atomic: sinks->len */
} tb_relay__track_local;

/* The publisher's last sender report, which each subscriber's worker translates into its
 * own SRs once a second: written by the home worker, read by any, under the lock. */
typedef struct tb_relay__track_sr {
    GMutex lock;
    bool have;
    uint32_t ssrc; /* the publisher's SSRC it belongs to */
    uint64_t ntp;
    uint32_t rtp;
    int64_t local_us;
} tb_relay__track_sr;

/* Per-track forwarding state, [worker] (home) only. */
typedef struct tb_relay__track_fwd {
    tb_relay_pc *publisher; /* weak: cleared when the publish connection closes */
    gint removed;           /* atomic: other workers read it when binding */
    uint32_t in_ssrc;       /* learned from packets; 0 = none yet */
    tb_relay_rtp_stats stats;
    int64_t last_pli_us;
    bool pli_pending;
    guint pli_timer; /* GSource id on the worker context, 0 = none */
    uint8_t fir_seq;
    bool muted;         /* mute.c: a moderator stopped this track: nothing is forwarded */
    uint32_t level_sum; /* speaker.c: sum of (127 - dBov) in the current interval */
    uint32_t level_count;
    GSocketAddress *tap_rtp;  /* tap.c: where plain RTP goes, NULL = not recorded */
    GSocketAddress *tap_rtcp; /* tap.c: where the publisher's plain RTCP goes */
} tb_relay__track_fwd;

struct tb_relay_track {
    gint ref;
    char *id;                     /* [const] */
    char *owner;                  /* [const] participant id */
    char *label;                  /* [const] camera / microphone / screen */
    char *mid;                    /* [const] mid on the publish connection */
    tb_relay_kind kind;           /* [const] */
    tb_relay__codec codec;        /* [const] */
    uint32_t offer_ssrc;          /* [const] SSRC from the offer, 0 = unknown */
    int ext_mid;                  /* [const] */
    int ext_audio_level;          /* [const] RFC 6464 extmap id, 0 = none */
    tb_relay_room *room;          /* [const] not owned */
    tb_relay__track_fwd fwd;      /* [worker] home */
    tb_relay__track_local *local; /* [const] one per worker, see above */
    int n_local;                  /* [const] the number of workers */
    tb_relay__track_sr sr;
};

tb_relay_track *tb_relay__track_create(tb_relay_room *room, const char *owner,
                                       const tb_relay__mline *ml, const char *label,
                                       size_t rtx_packets);

/* A closure about one track for its room's worker: what tb_relay__track_post hands to fn. */
typedef struct tb_relay__track_op {
    tb_relay_track *track; /* ref, released after fn ran */
    int a, b;              /* the caller's arguments, meaning fn's own */
} tb_relay__track_op;

/* relay.c, any thread (the main thread's track calls in tap.c and mute.c): runs
 * fn(tb_relay__track_op *) once on room's worker, with a reference to t and a, b; the op
 * is freed afterwards. */
void tb_relay__track_post(tb_relay_room *room, tb_relay_track *t, GSourceFunc fn, int a, int b);

/* ---- peer connections ---- */

/* A subscriber leg's NACK budget when it is bound (feedback.c), so that losses in its
 * first frames are repaired before its own forwarding has earned a budget. */
#define TB_RELAY_RTX_START_BYTES (16 * 1024)

/* One m-line of a subscribe connection as the worker forwards it. [worker] */
typedef struct tb_relay__slot {
    tb_relay_pc *pc; /* weak: the slot is owned by pc */
    int index;
    tb_relay_track *track; /* ref, NULL = unbound */
    tb_relay_rewriter rw;
    uint32_t packets;
    uint32_t octets;
    bool need_keyframe;
    /* NACK answers (feedback.c): a budget in bytes that grows with what is forwarded */
    uint32_t rtx_budget;
    uint32_t rtx_octets_seen; /* `octets` when the budget was last topped up */
    uint32_t rtx_sent;        /* retransmissions sent */
    uint32_t rtx_refused;     /* requested, in the buffer, refused by the rate limit */
} tb_relay__slot;

struct tb_relay_pc {
    gint ref;
    tb_relay_room *room;      /* [const] ref */
    tb_relay__worker *worker; /* [const] runs its transport: the room's home for publishers */
    tb_relay_pc_role role;    /* [const] */
    char *owner;              /* [const] */
    char *tag;                /* [const] "room/owner/pub" for log lines */
    char ufrag[16];           /* [const] our ICE credentials */
    char pwd[40];             /* [const] */
    char session_id[24];      /* [const] SDP o= session id */
    uint32_t rtcp_ssrc;       /* [const] our SSRC for RTCP we originate */

    /* [main] */
    tb_relay_pc_events events;
    void *user;
    bool closed;
    tb_relay_pc_state state;
    bool have_remote; /* a remote description was applied */
    char remote_ufrag[257];
    GPtrArray *early_candidates; /* strings, before the remote description */
    guint n_remote_candidates;   /* taken so far, from SDP or trickled (relay.max_remote_...) */
    unsigned sdp_version;
    GPtrArray *tracks; /* publish: tb_relay_track* refs */
    char **pub_mids;   /* publish: mids of the last offer */
    GArray *lines;     /* subscribe: tb_relay__sub_mline, current wish */
    GArray *offered;   /* subscribe: tb_relay__sub_mline, as last offered */
    int revision;      /* subscribe: last offer's revision */
    bool offer_outstanding;
    bool dirty; /* lines changed since the last offer */

    /* [worker] */
    NiceAgent *agent;
    guint stream_id;
    bool ice_ready;
    bool remote_set;
    bool dtls_client;
    tb_relay_dtls *dtls;
    tb_relay_srtp *srtp;
    struct tb_relay__sendq *sendq;      /* owned: batched RTP sends (sendq.h) */
    struct tb_relay_srtp_out *srtp_out; /* owned: outbound RTP protection (srtp_out.h) */
    struct tb_relay__rxreg *rxreg;      /* subscribe, once up: its socket in the worker's epoll */
    guint rx_idle;                      /* readiness reports in a row that read nothing */
    guint settled_ticks;                /* subscribe: seconds connected, until the path is pinned */
    GPtrArray *early_dtls;              /* DTLS datagrams before the remote description (GBytes) */
    GPtrArray *unsent_dtls;             /* our DTLS datagrams made before ICE had a path (GBytes) */
    guint dtls_timer;
    int64_t started_us;  /* when the transport started, for relay.connect_timeout */
    bool transport_gone; /* failed: its agent, sockets, DTLS and SRTP have been freed */
    tb_relay_pc_state wstate;
    GPtrArray *wtracks; /* publish: tracks (refs) */
    int ext_mid;        /* publish: extmap id of sdes:mid */
    GPtrArray *slots;   /* subscribe: tb_relay__slot* owned */
    tb_log_ratelimit rl;
    uint8_t rx[TB_RELAY_MTU + TB_RELAY_SRTP_MAX_TRAILER];
    uint8_t tx[TB_RELAY_MTU + TB_RELAY_SRTP_MAX_TRAILER];
};

tb_relay_pc *tb_relay__pc_ref(tb_relay_pc *pc);
void tb_relay__pc_unref(tb_relay_pc *pc);

/* transport.c, [worker]: ICE + DTLS + SRTP of one connection. */
void tb_relay__transport_start(tb_relay_pc *pc);
void tb_relay__transport_set_remote(tb_relay_pc *pc, const char *ufrag, const char *pwd,
                                    const char *fp_hash, const char *fp_value, bool dtls_client);
void tb_relay__transport_add_candidate(tb_relay_pc *pc, const char *candidate);
/* Once a second (the worker's RTCP tick). */
void tb_relay__transport_tick(tb_relay_pc *pc);
void tb_relay__transport_stop(tb_relay_pc *pc);
/* Protects and sends; buf has TB_RELAY_SRTP_MAX_TRAILER bytes of room. */
void tb_relay__transport_send_rtp(tb_relay_pc *pc, uint8_t *buf, size_t len);
void tb_relay__transport_send_rtcp(tb_relay_pc *pc, uint8_t *buf, size_t len);
/* Batched forwarding (sendq.h): a buffer of TB_RELAY_SENDQ_SLOT bytes for the next RTP
 * packet to pc, then queue it (protected there) to go out when the worker's round ends. */
uint8_t *tb_relay__transport_rtp_buf(tb_relay_pc *pc);
void tb_relay__transport_queue_rtp(tb_relay_pc *pc, uint8_t *buf, size_t len);
/* Report a state / a local candidate ("" = gathering done) to the main thread. */
void tb_relay__pc_post_state(tb_relay_pc *pc, tb_relay_pc_state st);
void tb_relay__pc_post_candidate(tb_relay_pc *pc, const char *cand, const char *mid);

/* forward.c, [worker]: media handling once SRTP is up. */
void tb_relay__forward_rtp(tb_relay_pc *pc, uint8_t *buf, size_t len);
void tb_relay__forward_rtcp(tb_relay_pc *pc, uint8_t *buf, size_t len);
void tb_relay__forward_connected(tb_relay_pc *pc);
void tb_relay__forward_request_keyframe(tb_relay_track *t);
/* Any thread: a keyframe request for t, posted to t's home worker. */
void tb_relay__forward_keyframe_post(tb_relay_track *t);
/* From a connection's worker: a keyframe request for t, on t's home worker. */
void tb_relay__forward_keyframe_from(tb_relay_pc *pc, tb_relay_track *t);
/* [home] A moderator unmuted t (mute.c): every subscriber resumes at a keyframe. */
void tb_relay__forward_sinks_need_keyframe(tb_relay_track *t);
/* A packet the home worker handed to this worker's inbox (inbox.h): tag is a track ref. */
void tb_relay__forward_from_inbox(void *worker, gpointer tag, const uint8_t *buf, size_t len);
void tb_relay__forward_remove_track(tb_relay_track *t);
void tb_relay__forward_bind_slot(tb_relay_pc *pc, int index, tb_relay_track *track, uint32_t ssrc);
void tb_relay__forward_stop_pc(tb_relay_pc *pc);
gboolean tb_relay__forward_rtcp_tick(gpointer pc);
/* The NTP timestamp (32.32 fixed point) `us` microseconds after `ntp`; before it when
 * `us` is negative. */
uint64_t tb_relay__ntp_add_us(uint64_t ntp, int64_t us);

/* speaker.c, [worker]: RFC 6464 levels → the room's active speaker. */
void tb_relay__speaker_on_packet(tb_relay_track *t, const uint8_t *buf,
                                 const tb_relay_rtp_header *h);
void tb_relay__speaker_track_added(tb_relay_track *t);
void tb_relay__speaker_track_removed(tb_relay_track *t);

/* tap.c, [worker]: plain copies of a recorded track's packets to the recorder. */
void tb_relay__tap_rtp(tb_relay_track *t, const uint8_t *buf, size_t len);
void tb_relay__tap_rtcp(tb_relay_track *t, const uint8_t *buf, size_t len);
void tb_relay__tap_clear(tb_relay_track *t);

#endif
