/* wsclient.c — a minimal WebSocket client for the load generator: TCP to 127.0.0.1 only,
 * the HTTP upgrade, masked text frames out, text frames in (fragments reassembled up to a
 * cap), ping answered. Hundreds of these run on one GMainContext; each is a non-blocking
 * socket with one fd watch. */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_MESSAGE (4 * 1024 * 1024)

struct bws {
    int fd;
    guint watch;
    bool connected; /* TCP */
    bool open;      /* upgrade done */
    bool dead;
    char key[32];
    char *request;
    bws_events ev;
    void *user;
    GByteArray *in;
    GByteArray *out;
    GByteArray *msg; /* fragments of the current message */
};

static void fail(bws *ws, const char *why)
{
    if (ws->dead)
        return;
    ws->dead = true;
    if (ws->watch) {
        g_source_remove(ws->watch);
        ws->watch = 0;
    }
    if (ws->ev.closed)
        ws->ev.closed(ws->user, why);
}

static void queue(bws *ws, const uint8_t *b, size_t n)
{
    g_byte_array_append(ws->out, b, (guint)n);
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer data);

static void update_watch(bws *ws)
{
    if (ws->dead)
        return;
    GIOCondition want = G_IO_IN | G_IO_ERR | G_IO_HUP;
    if (ws->out->len || !ws->connected)
        want |= G_IO_OUT;
    if (ws->watch)
        g_source_remove(ws->watch);
    ws->watch = g_unix_fd_add(ws->fd, want, on_io, ws);
}

static void flush(bws *ws)
{
    while (ws->out->len) {
        ssize_t n = send(ws->fd, ws->out->data, ws->out->len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            fail(ws, strerror(errno));
            return;
        }
        g_byte_array_remove_range(ws->out, 0, (guint)n);
    }
}

static void send_frame(bws *ws, int opcode, const uint8_t *p, size_t len)
{
    uint8_t mask[4];
    guint32 r = g_random_int();
    memcpy(mask, &r, 4);
    size_t cap = len + 14;
    uint8_t *buf = g_malloc(cap);
    size_t n = bws_frame_encode(buf, cap, opcode, p, len, mask);
    queue(ws, buf, n);
    g_free(buf);
}

static bool handle_frame(bws *ws, const bws_frame *f)
{
    switch (f->opcode) {
    case BWS_PING:
        send_frame(ws, BWS_PONG, f->payload, f->len);
        return true;
    case BWS_PONG:
        return true;
    case BWS_CLOSE:
        fail(ws, "closed by the server");
        return false;
    case BWS_TEXT:
    case BWS_BIN:
        g_byte_array_set_size(ws->msg, 0);
        /* fall through */
    case BWS_CONT:
        if (ws->msg->len + f->len > MAX_MESSAGE) {
            fail(ws, "message too large");
            return false;
        }
        g_byte_array_append(ws->msg, f->payload, (guint)f->len);
        if (f->fin) {
            g_byte_array_append(ws->msg, (const guint8 *)"", 1);
            if (ws->ev.message)
                ws->ev.message(ws->user, (const char *)ws->msg->data, ws->msg->len - 1);
            if (!ws->dead)
                g_byte_array_set_size(ws->msg, 0);
            return !ws->dead;
        }
        return true;
    default:
        fail(ws, "bad opcode");
        return false;
    }
}

static bool parse_upgrade(bws *ws)
{
    const char *d = (const char *)ws->in->data;
    const char *end = g_strstr_len(d, ws->in->len, "\r\n\r\n");
    if (!end)
        return ws->in->len < 16384 ? true : (fail(ws, "huge HTTP response"), false);
    g_autofree char *head = g_strndup(d, (gsize)(end - d));
    if (!g_str_has_prefix(head, "HTTP/1.1 101")) {
        fail(ws, "upgrade refused");
        return false;
    }
    char want[29];
    bws_accept_key(ws->key, want);
    g_autofree char *lower = g_ascii_strdown(head, -1);
    const char *a = strstr(lower, "sec-websocket-accept:");
    if (!a) {
        fail(ws, "no Sec-WebSocket-Accept");
        return false;
    }
    /* Compare case-sensitively in the original text at the same offset. */
    const char *v = head + (a - lower) + 21;
    while (*v == ' ')
        v++;
    if (strncmp(v, want, 28)) {
        fail(ws, "bad Sec-WebSocket-Accept");
        return false;
    }
    g_byte_array_remove_range(ws->in, 0, (guint)(end + 4 - d));
    ws->open = true;
    if (ws->ev.open)
        ws->ev.open(ws->user);
    return !ws->dead;
}

static void read_all(bws *ws)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = recv(ws->fd, buf, sizeof buf, 0);
        if (n == 0) {
            fail(ws, "connection closed");
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(ws, strerror(errno));
            break;
        }
        g_byte_array_append(ws->in, buf, (guint)n);
    }
    if (!ws->open && !parse_upgrade(ws))
        return;
    while (ws->open && !ws->dead && ws->in->len) {
        bws_frame f;
        long used = bws_frame_decode(ws->in->data, ws->in->len, MAX_MESSAGE, &f);
        if (used < 0) {
            fail(ws, "bad frame");
            return;
        }
        if (used == 0)
            break;
        /* Copy out: handlers may send, which does not touch ws->in, but keep it simple. */
        bws_frame copy = f;
        uint8_t *p = g_memdup2(f.payload, f.len ? f.len : 1);
        copy.payload = p;
        g_byte_array_remove_range(ws->in, 0, (guint)used);
        bool go = handle_frame(ws, &copy);
        g_free(p);
        if (!go)
            return;
    }
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer data)
{
    bws *ws = data;
    if (!ws->connected && (cond & (G_IO_OUT | G_IO_ERR | G_IO_HUP))) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr) {
            ws->watch = 0;
            fail(ws, strerror(soerr));
            return G_SOURCE_REMOVE;
        }
        ws->connected = true;
        queue(ws, (const uint8_t *)ws->request, strlen(ws->request));
    }
    if (cond & G_IO_IN)
        read_all(ws);
    else if (cond & (G_IO_ERR | G_IO_HUP)) {
        ws->watch = 0;
        fail(ws, "connection lost");
        return G_SOURCE_REMOVE;
    }
    if (ws->dead)
        return G_SOURCE_REMOVE; /* fail() removed the watch already */
    flush(ws);
    if (ws->dead)
        return G_SOURCE_REMOVE;
    ws->watch = 0; /* replaced below */
    update_watch(ws);
    return G_SOURCE_REMOVE;
}

static gboolean report_refused(gpointer data)
{
    bws *ws = data;
    ws->watch = 0;
    fail(ws, "connection refused");
    return G_SOURCE_REMOVE;
}

bws *bws_connect(int port, const char *path, const char *subprotocol, const bws_events *ev,
                 void *user)
{
    bws *ws = g_new0(bws, 1);
    ws->ev = *ev;
    ws->user = user;
    ws->in = g_byte_array_new();
    ws->out = g_byte_array_new();
    ws->msg = g_byte_array_new();
    uint8_t rnd[16];
    for (int i = 0; i < 16; i += 4) {
        guint32 r = g_random_int();
        memcpy(rnd + i, &r, 4);
    }
    gchar *k = g_base64_encode(rnd, 16);
    g_strlcpy(ws->key, k, sizeof ws->key);
    g_free(k);
    ws->request =
        g_strdup_printf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                        path, port, ws->key, subprotocol ? "Sec-WebSocket-Protocol: " : "",
                        subprotocol ? subprotocol : "", subprotocol ? "\r\n" : "");
    ws->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ws->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(ws->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        /* Reported from an idle so that the caller has stored ws by then. */
        ws->watch = g_idle_add(report_refused, ws);
        return ws;
    }
    update_watch(ws);
    return ws;
}

int bws_send_text(bws *ws, const char *text)
{
    if (ws->dead || !ws->open)
        return -1;
    send_frame(ws, BWS_TEXT, (const uint8_t *)text, strlen(text));
    flush(ws);
    if (!ws->dead && ws->out->len)
        update_watch(ws);
    return ws->dead ? -1 : 0;
}

void bws_destroy(bws *ws)
{
    if (!ws)
        return;
    if (ws->watch)
        g_source_remove(ws->watch);
    if (ws->fd >= 0) {
        if (ws->open && !ws->dead) {
            uint8_t frame[8];
            uint8_t mask[4] = {1, 2, 3, 4};
            uint8_t code[2] = {0x03, 0xE8}; /* 1000 normal closure */
            size_t n = bws_frame_encode(frame, sizeof frame, BWS_CLOSE, code, 2, mask);
            (void)!send(ws->fd, frame, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        close(ws->fd);
    }
    g_byte_array_unref(ws->in);
    g_byte_array_unref(ws->out);
    g_byte_array_unref(ws->msg);
    g_free(ws->request);
    g_free(ws);
}
