/* tb_relay.h — the media plane's public interface: the only relay header that
 * signaling/ includes.
 *
 * Objects:
 *   tb_relay        the whole media plane: worker threads, the DTLS certificate.
 *   tb_relay_room   one room's forwarding state, on a home media worker (its
 *                   subscribers may run on others when that worker is busy).
 *   tb_relay_pc     one peer connection of one participant, publish or subscribe.
 *   tb_relay_track  an immutable description of one published track.
 *
 * Threads: every function here is called from the main thread (the one running the
 * default GMainContext), unless it says otherwise. The relay runs ICE, DTLS, SRTP and the
 * fan-out on its workers and reports back through tb_relay_pc_events, always invoked on
 * the main thread. If a call that takes a callback fails, the callback never fires.
 *
 * Ownership: _create returns a reference owned by the caller; _destroy/_close ends the
 * object's activity and drops that reference (idempotent). Pointers marked (transfer none)
 * are valid for the duration of the call only. */
#ifndef TB_RELAY_H
#define TB_RELAY_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tb_config.h"

typedef struct tb_relay tb_relay;
typedef struct tb_relay_room tb_relay_room;
typedef struct tb_relay_pc tb_relay_pc;
typedef struct tb_relay_track tb_relay_track;

typedef enum { TB_RELAY_KIND_AUDIO = 0, TB_RELAY_KIND_VIDEO = 1 } tb_relay_kind;

typedef enum {
    TB_RELAY_PC_NEW = 0,
    TB_RELAY_PC_CHECKING,
    TB_RELAY_PC_CONNECTED, /* ICE connected and DTLS done: media flows */
    TB_RELAY_PC_FAILED,
    TB_RELAY_PC_CLOSED,
} tb_relay_pc_state;

const char *tb_relay_pc_state_name(tb_relay_pc_state st);

/* ---- the relay ---- */

/* Starts the media workers and makes the DTLS certificate. `cfg` must outlive the relay.
 * Returns NULL with a message in err on failure. */
tb_relay *tb_relay_create(const tb_config_relay *cfg, char *err, size_t errlen);
/* Stops the workers after closing every connection still open. */
void tb_relay_destroy(tb_relay *relay);
/* "sha-256 AB:CD:..." of our certificate (transfer none). */
const char *tb_relay_fingerprint(const tb_relay *relay);

/* ---- rooms ---- */

tb_relay_room *tb_relay_room_create(tb_relay *relay, const char *name);
/* Closes the room's connections' forwarding and drops the caller's reference. */
void tb_relay_room_destroy(tb_relay_room *room);

/* Room events, delivered on the main thread until tb_relay_room_destroy. */
typedef struct tb_relay_room_events {
    /* The active speaker changed: the participant id of the loudest publisher by its
     * RFC 6464 audio levels ("" when nobody has spoken for a while). */
    void (*active_speaker)(void *user, tb_relay_room *room, const char *owner);
} tb_relay_room_events;

void tb_relay_room_set_events(tb_relay_room *room, const tb_relay_room_events *events, void *user);

/* ---- tracks (immutable; any thread may read them) ---- */

tb_relay_track *tb_relay_track_ref(tb_relay_track *t);
void tb_relay_track_unref(tb_relay_track *t);
const char *tb_relay_track_id(const tb_relay_track *t);
tb_relay_kind tb_relay_track_kind(const tb_relay_track *t);
/* The publishing participant's id, as given to tb_relay_pc_create (transfer none). */
const char *tb_relay_track_owner(const tb_relay_track *t);
/* "camera", "microphone" or "screen" (a second video track). */
const char *tb_relay_track_label(const tb_relay_track *t);
const char *tb_relay_track_codec(const tb_relay_track *t);

/* ---- peer connections ---- */

typedef enum { TB_RELAY_PC_PUBLISH = 0, TB_RELAY_PC_SUBSCRIBE = 1 } tb_relay_pc_role;

typedef struct tb_relay_pc_events {
    /* A local ICE candidate, as the "candidate:..." attribute value; "" when gathering
     * is done. `mid` is the first bundled m-line's mid. */
    void (*candidate)(void *user, tb_relay_pc *pc, const char *candidate, const char *mid);
    /* FAILED: ICE failed, consent to send expired (RFC 7675: the peer stopped answering
     * our checks), DTLS failed, or the connection was not connected within
     * relay.connect_timeout. The relay has then freed its transport; only
     * tb_relay_pc_close() is left to do. */
    void (*state)(void *user, tb_relay_pc *pc, tb_relay_pc_state state);
} tb_relay_pc_events;

/* A connection for participant `owner` (its id, copied). Events go to `user` until
 * tb_relay_pc_close(). */
tb_relay_pc *tb_relay_pc_create(tb_relay_room *room, tb_relay_pc_role role, const char *owner,
                                const tb_relay_pc_events *events, void *user);
/* Stops everything, removes the connection's tracks and subscriptions from the room, and
 * drops the caller's reference. No event fires after this returns. Idempotent on NULL. */
void tb_relay_pc_close(tb_relay_pc *pc);
tb_relay_pc_role tb_relay_pc_get_role(const tb_relay_pc *pc);
tb_relay_pc_state tb_relay_pc_get_state(const tb_relay_pc *pc);

/* Trickle ICE from the client: the "candidate:..." string ("" or NULL = end of
 * candidates) and its sdpMid (NULL = not given). Queued until the remote description is
 * known. Returns 0, TB_EINVAL (does not parse, names no m-line of ours, or its address is
 * outside what relay.remote_candidates allows) or TB_ETOOBIG (the connection already has
 * relay.max_remote_candidates, those of its SDP included), with a reason in err. */
int tb_relay_pc_add_remote_candidate(tb_relay_pc *pc, const char *candidate, const char *mid,
                                     char *err, size_t errlen);

/* How many video tracks tb_relay_pc_publish_offer would publish from this offer: its
 * video m-lines that the relay accepts and that send, by the very parse the offer goes
 * through. More than one means a screen share: the first accepted video m-line is the
 * camera, every further one a screen (tb_relay_track_label). -1 when the relay would
 * refuse the offer. Reads the first len bytes of sdp, up to a NUL. Any thread. */
int tb_relay_sdp_video_senders(const char *sdp, size_t len);
/* The same parse: how many tracks (audio and video m-lines the relay accepts and that
 * send) the offer publishes, -1 when the relay would refuse it; *video (may be NULL) gets
 * tb_relay_sdp_video_senders' count. */
int tb_relay_sdp_senders(const char *sdp, size_t len, int *video);

/* Publish: applies the client's offer and returns our answer (transfer full, g_free).
 * On success *added and *removed hold the tracks this offer added and the ones it
 * removed (transfer full: GPtrArray of tb_relay_track*, free with g_ptr_array_unref).
 * On failure returns NULL, err says why (for a `bad_sdp` reply), and nothing changed. */
char *tb_relay_pc_publish_offer(tb_relay_pc *pc, const char *sdp, GPtrArray **added,
                                GPtrArray **removed, char *err, size_t errlen);
/* The tracks this publish connection currently publishes (transfer container). */
GPtrArray *tb_relay_pc_published_tracks(tb_relay_pc *pc);

/* Subscribe: sets the tracks this connection should receive (transfer none: the array and
 * tracks are referenced as needed). Returns true when that needs a new offer. */
bool tb_relay_pc_subscribe_set(tb_relay_pc *pc, GPtrArray *tracks);
/* Makes the next offer if one is needed and none is outstanding (transfer full), with its
 * revision in *revision; NULL otherwise. */
char *tb_relay_pc_subscribe_offer(tb_relay_pc *pc, int *revision);
/* Applies the client's answer to offer `revision`. Returns 0, TB_ESTATE (not the latest
 * outstanding revision) or TB_EINVAL (bad SDP; err says why). */
int tb_relay_pc_subscribe_answer(tb_relay_pc *pc, int revision, const char *sdp, char *err,
                                 size_t errlen);

/* Asks the publisher of `track` for a keyframe (merged and throttled). */
void tb_relay_track_request_keyframe(tb_relay_room *room, tb_relay_track *track);

/* Moderation: stops (muted) or resumes forwarding `track` to every subscriber and to the
 * recorder, enforced on the relay whatever the publisher sends. Video resumes at the
 * next keyframe, which is requested. */
void tb_relay_track_set_muted(tb_relay_room *room, tb_relay_track *track, bool muted);

/* Recording tap: from now on every RTP packet of `track` is also sent, decrypted and
 * unmodified (publisher's SSRC, sequence numbers and timestamps), as one UDP datagram to
 * 127.0.0.1:rtp_port, and the publisher's RTCP (decrypted compound packets, for its
 * sender reports' NTP↔RTP mapping) to rtcp_port (0 = none). A keyframe is requested so
 * that video files start decodable. Ports must be on this machine's loopback. */
void tb_relay_track_tap_start(tb_relay_room *room, tb_relay_track *track, int rtp_port,
                              int rtcp_port);
void tb_relay_track_tap_stop(tb_relay_room *room, tb_relay_track *track);
/* The UDP port on 127.0.0.1 every tap datagram of the room (RTP and RTCP, every track)
 * is sent from: the room's tap socket, bound on the first call. A recorder connects its
 * sockets to it, so that the kernel drops datagrams of any other local sender. 0 when no
 * socket could be made (then taps send nothing). Main thread. */
int tb_relay_room_tap_port(tb_relay_room *room);

#endif
