/* tap.c — the recording tap: plain copies of a recorded track's packets, sent over UDP
 * on loopback to the session's recorder process, on the media worker; and the main-thread
 * calls that start and stop a track's tap (tb_relay_track_tap_start/_stop, posted to the
 * room's worker).
 *
 * The recorder gets exactly what the publisher sent (after SRTP), so it can depacketize
 * and mux without transcoding, and the publisher's RTCP for its NTP↔RTP mapping. One
 * non-blocking socket per room; a send that fails (recorder gone, buffer full) is
 * dropped: a recording problem never slows or stops the call. A muted track (mute.c) gets
 * to the tap no more than to its subscribers: forward.c drops its RTP before either, and
 * feedback.c its RTCP.
 *
 * The room's socket is bound to 127.0.0.1 on a port of its own, which the daemon hands
 * to the recorder: the recorder connects its receiving sockets to that address, so the
 * kernel drops any datagram another local process sends to a recorder's port. That is
 * the whole authentication of the relay → recorder path, and it adds nothing per packet
 * here. The socket is made on the main thread (tb_relay_room_tap_port,
 * tb_relay_track_tap_start) because the daemon needs its port before the recorder opens
 * the track; the worker uses it only after a tap's start op, posted after it was made. */
#define TB_LOG_CAT "relay/tap"
#include "relay/internal.h"

#include <gio/gio.h>

/* [main] The room's tap socket, made and bound on first use; NULL when that failed. */
static GSocket *tap_socket_make(tb_relay_room *room)
{
    if (room->tap_socket)
        return room->tap_socket;
    GError *gerr = NULL;
    GSocket *s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &gerr);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *a = g_inet_socket_address_new(lo, 0);
    g_object_unref(lo);
    /* No SO_REUSEADDR: no other socket may bind the port while we hold it. */
    if (s && !g_socket_bind(s, a, FALSE, &gerr))
        g_clear_object(&s);
    g_object_unref(a);
    if (!s) {
        TB_LOG_ERR("[%s] recording tap socket: %s", room->name, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return NULL;
    }
    g_socket_set_blocking(s, FALSE);
    room->tap_socket = s;
    return s;
}

int tb_relay_room_tap_port(tb_relay_room *room)
{
    GSocket *s = tap_socket_make(room);
    GSocketAddress *a = s ? g_socket_get_local_address(s, NULL) : NULL;
    int port = a ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a)) : 0;
    g_clear_object(&a);
    return port;
}

void tb_relay__tap_rtp(tb_relay_track *t, const uint8_t *buf, size_t len)
{
    GSocket *s = t->room->tap_socket;
    if (s)
        g_socket_send_to(s, t->fwd.tap_rtp, (const gchar *)buf, len, NULL, NULL);
}

void tb_relay__tap_rtcp(tb_relay_track *t, const uint8_t *buf, size_t len)
{
    GSocket *s = t->room->tap_socket;
    if (s && t->fwd.tap_rtcp)
        g_socket_send_to(s, t->fwd.tap_rtcp, (const gchar *)buf, len, NULL, NULL);
}

void tb_relay__tap_clear(tb_relay_track *t)
{
    g_clear_object(&t->fwd.tap_rtp);
    g_clear_object(&t->fwd.tap_rtcp);
}

/* ---- main-thread API: posted to the room's worker (tb_relay__track_post) ---- */

static GSocketAddress *loopback(int port)
{
    if (port <= 0 || port > 65535)
        return NULL;
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *a = g_inet_socket_address_new(lo, (guint16)port);
    g_object_unref(lo);
    return a;
}

static gboolean tap_start_run(gpointer data)
{
    tb_relay__track_op *o = data;
    tb_relay_track *t = o->track;
    if (g_atomic_int_get(&t->fwd.removed))
        return G_SOURCE_REMOVE;
    tb_relay__tap_clear(t);
    t->fwd.tap_rtp = loopback(o->a);
    t->fwd.tap_rtcp = loopback(o->b);
    TB_LOG_INFO("[%s/%s] tap of %s track %s to 127.0.0.1:%d", t->room->name, t->owner,
                t->kind == TB_RELAY_KIND_AUDIO ? "audio" : "video", t->id, o->a);
    tb_relay__forward_request_keyframe(t);
    return G_SOURCE_REMOVE;
}

static gboolean tap_stop_run(gpointer data)
{
    tb_relay__tap_clear(((tb_relay__track_op *)data)->track);
    return G_SOURCE_REMOVE;
}

void tb_relay_track_tap_start(tb_relay_room *room, tb_relay_track *track, int rtp_port,
                              int rtcp_port)
{
    tap_socket_make(room); /* before the post: see the top of the file */
    tb_relay__track_post(room, track, tap_start_run, rtp_port, rtcp_port);
}

void tb_relay_track_tap_stop(tb_relay_room *room, tb_relay_track *track)
{
    tb_relay__track_post(room, track, tap_stop_run, 0, 0);
}
