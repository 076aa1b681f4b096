/* conn.c — one signaling WebSocket (conn.h). As libwebsockets wants it: messages are
 * reassembled from its fragments with a size cap (lws itself has none), and we write
 * only when lws says the socket is writeable, one lws_write each time. */
#define TB_LOG_CAT "sig/conn"
#include "signaling/conn.h"
#include "common/tb_log.h"
#include "common/tb_time.h"

#include <stdlib.h>
#include <string.h>

tb_sig_conn *tb_sig_conn_create(struct lws *wsi, const tb_sig_conn_limits *limits)
{
    tb_sig_conn *c = g_new0(tb_sig_conn, 1);
    c->wsi = wsi;
    c->rx = g_byte_array_new();
    c->limits = *limits;
    g_queue_init(&c->out);
    c->created_us = c->last_rx_us = c->last_tx_us = tb_time_mono_us();
    /* The numeric address only: lws_get_peer_addresses() also resolves the name, a
     * blocking reverse DNS lookup on the signaling thread for every connection. */
    if (!lws_get_peer_simple(wsi, c->peer, sizeof c->peer))
        g_strlcpy(c->peer, "?", sizeof c->peer);
    return c;
}

void tb_sig_conn_destroy(tb_sig_conn *c)
{
    if (!c)
        return;
    g_byte_array_unref(c->rx);
    g_queue_clear_full(&c->out, g_free);
    g_free(c);
}

void tb_sig_conn_send_json(tb_sig_conn *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    tb_sig_conn_send_text(c, g_strdup(text));
    free(text);
}

void tb_sig_conn_send_text(tb_sig_conn *c, char *text)
{
    if (!c->wsi || c->closing || c->dropped) {
        g_free(text);
        return;
    }
    size_t len = strlen(text);
    /* A client that stops reading must not grow our memory without bound. A close
     * queued behind the data would wait for a writeable callback that never comes: the
     * connection goes at once. */
    if (c->out_bytes + len > c->limits.max_queue_bytes) {
        g_free(text);
        tb_sig_conn_drop(c, "its send queue is full (the client does not read)");
        return;
    }
    if (g_queue_is_empty(&c->out))
        c->last_tx_us = tb_time_mono_us(); /* the deadline counts from now */
    g_queue_push_tail(&c->out, text);
    c->out_bytes += len;
    lws_callback_on_writable(c->wsi);
}

void tb_sig_conn_close(tb_sig_conn *c, int status)
{
    if (!c->wsi || c->closing || c->dropped)
        return;
    c->closing = true;
    c->closing_us = tb_time_mono_us();
    c->close_status = status;
    lws_callback_on_writable(c->wsi);
}

void tb_sig_conn_drop(tb_sig_conn *c, const char *why)
{
    if (!c->wsi || c->dropped)
        return;
    TB_LOG_WARN("%s: dropping the connection: %s", c->peer, why);
    c->dropped = true;
    g_queue_clear_full(&c->out, g_free);
    g_queue_init(&c->out);
    c->out_bytes = 0;
    /* lws closes it from its own loop; CLOSED follows as for any other close. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

bool tb_sig_conn_stalled(const tb_sig_conn *c, int64_t now_us, int64_t send_timeout_us)
{
    if (!c->wsi || c->dropped)
        return false;
    if (c->closing && now_us - c->closing_us > send_timeout_us)
        return true;
    return c->out.length > 0 && now_us - c->last_tx_us > send_timeout_us;
}

int tb_sig_conn_on_writeable(tb_sig_conn *c)
{
    if (c->dropped)
        return -1;
    char *text = g_queue_pop_head(&c->out);
    if (!text) {
        if (c->closing) {
            lws_close_reason(c->wsi, (enum lws_close_status)c->close_status, NULL, 0);
            return -1;
        }
        return 0;
    }
    size_t len = strlen(text);
    c->out_bytes -= len;
    unsigned char *buf = g_malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, text, len);
    int n = lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    g_free(buf);
    g_free(text);
    if (n < (int)len)
        return -1;
    c->last_tx_us = tb_time_mono_us();
    if (!g_queue_is_empty(&c->out) || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

tb_sig_rx tb_sig_conn_receive(tb_sig_conn *c, const void *in, size_t len)
{
    c->last_rx_us = tb_time_mono_us();
    if (c->closing)
        return TB_SIG_RX_IGNORED;
    if (lws_frame_is_binary(c->wsi))
        return TB_SIG_RX_BINARY;
    if (c->rx->len + len > c->limits.max_rx) {
        TB_LOG_WARN("%s: message over %zu bytes, closing", c->peer, c->limits.max_rx);
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)"message too large", 17);
        return TB_SIG_RX_TOO_LARGE;
    }
    g_byte_array_append(c->rx, in, (guint)len);
    if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi) != 0)
        return TB_SIG_RX_MORE;
    g_byte_array_append(c->rx, (const guint8 *)"", 1); /* NUL for the JSON parser */
    return TB_SIG_RX_MESSAGE;
}

void tb_sig_conn_rx_done(tb_sig_conn *c)
{
    g_byte_array_set_size(c->rx, 0);
}
