/* fuzz_signaling.c — libFuzzer target for every request handler of the signaling
 * protocol (signaling/room/, signaling/recording/: docs/protocol.md), through the real
 * dispatch (tb_sig_protocol_handle) into a real hub of rooms, a real relay and a fresh
 * catalog for each input.
 *
 * The input is a sequence of messages, one per line. The first byte of a line picks the
 * connection ('1', '2', '3'; any other byte modulo 3), the rest is the message text as
 * a WebSocket would deliver it; a line whose text is `close` closes that connection
 * (the participant leaves as when the socket drops) and a fresh one takes its place.
 * Connections have no lws socket (wsi NULL): what the server sends them is dropped.
 *
 * So that a mutated input can still reach the handlers behind a token or a participant
 * id, these placeholders in a message are replaced before it is handled:
 *   @m<d> @s<d> @p<d> @v<d> @t<d>  a valid join token for identity "u<d>" as moderator,
 *                                  speaker, participant, viewer or site, for the room
 *                                  named by the message's "room" field (else "hearing");
 *                                  odd digits also carry a display name
 *   @P1 @P2 @P3                    the participant id of connection 1, 2 or 3
 *   @T1 @T2 @T3                    the id of the first track that participant publishes
 * The rooms and their settings are support.c's CONFIG. Everything is torn down after
 * each input, and the random ids are seeded the same way each time, so a run repeats. */
#include "tests/fuzz/support.h"
#include "signaling/recording/recording.h"
#include "signaling/room/requests.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_CONNS   3
#define MAX_LINES 64

static tb_sig_conn *conns[N_CONNS];

/* tb_sig_conn_create without a socket: it asks lws for the peer's address, which needs a
 * wsi. The same fields, as conn.c sets them. */
static tb_sig_conn *conn_new(void)
{
    const tb_config *cfg = fz_config();
    tb_sig_conn *c = g_new0(tb_sig_conn, 1);
    c->rx = g_byte_array_new();
    c->limits.max_rx = (size_t)cfg->server.max_message_bytes;
    c->limits.max_queue_bytes = (size_t)cfg->limits.send_queue_bytes;
    g_queue_init(&c->out);
    c->created_us = c->last_rx_us = c->last_tx_us = g_get_monotonic_time();
    g_strlcpy(c->peer, "fuzz", sizeof c->peer);
    return c;
}

static void conn_close(int i)
{
    tb_sig_session_conn_closed(conns[i]);
    tb_sig_conn_destroy(conns[i]);
    conns[i] = NULL;
}

static GBytes *token_key(void)
{
    static GBytes *key;
    if (!key) {
        char err[256] = "";
        key = tb_sig_auth_load_key(fz_config(), err, sizeof err);
        FZ_CHECK(key != NULL);
    }
    return key;
}

/* The value of the message's "room" field, scanned from the text (the message is not
 * parsed yet); "hearing" when there is none. */
static char *room_of(const char *msg, size_t len)
{
    const char *k = g_strstr_len(msg, (gssize)len, "\"room\"");
    if (k) {
        const char *p = k + 6, *end = msg + len;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        if (p < end && *p == '"') {
            const char *q = ++p;
            while (q < end && *q != '"' && q - p < 64)
                q++;
            if (q < end && *q == '"' && q > p)
                return g_strndup(p, (gsize)(q - p));
        }
    }
    return g_strdup("hearing");
}

static void append_token(GString *out, char role_letter, char digit, const char *room)
{
    static const char letters[] = "mspvt"; /* in tb_sig_role order */
    const char *at = strchr(letters, role_letter);
    tb_sig_claims c = {0};
    c.role = (tb_sig_role)(at - letters);
    c.perms = tb_sig_role_perms(c.role);
    c.room = (char *)room;
    char identity[8] = {'u', digit, 0};
    char name[16] = {'N', 'a', 'm', 'e', ' ', digit, 0};
    c.identity = identity;
    c.name = (digit - '0') % 2 ? name : NULL;
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    c.iat = now;
    c.exp = now + 3600;
    gsize keylen;
    const uint8_t *key = g_bytes_get_data(token_key(), &keylen);
    char *tok = tb_sig_token_mint(key, keylen, &c);
    g_string_append(out, tok);
    g_free(tok);
}

static void append_id(GString *out, char what, int k)
{
    tb_sig_participant *p = conns[k] ? conns[k]->participant : NULL;
    if (what == 'P') {
        g_string_append(out, p ? p->id : "pnone");
        return;
    }
    const char *id = "tnone";
    GPtrArray *ts = p && p->pub ? tb_relay_pc_published_tracks(p->pub) : NULL;
    if (ts && ts->len)
        id = tb_relay_track_id(g_ptr_array_index(ts, 0));
    g_string_append(out, id);
    if (ts)
        g_ptr_array_unref(ts);
}

/* The message with its placeholders replaced (transfer full). */
static GString *expand(const char *msg, size_t len)
{
    GString *out = g_string_sized_new(len + 16);
    char *room = NULL;
    for (size_t i = 0; i < len; i++) {
        char a = i + 1 < len ? msg[i + 1] : 0, b = i + 2 < len ? msg[i + 2] : 0;
        if (msg[i] == '@' && (a == 'P' || a == 'T') && b >= '1' && b <= '0' + N_CONNS) {
            append_id(out, a, b - '1');
            i += 2;
        } else if (msg[i] == '@' && a && strchr("mspvt", a) && b >= '0' && b <= '9') {
            if (!room)
                room = room_of(msg, len);
            append_token(out, a, b, room);
            i += 2;
        } else {
            g_string_append_c(out, msg[i]);
        }
    }
    g_free(room);
    return out;
}

static void handle_line(tb_sig_hub *hub, const uint8_t *line, size_t len)
{
    if (len == 0)
        return;
    int k = line[0] >= '1' && line[0] <= '0' + N_CONNS ? line[0] - '1' : line[0] % N_CONNS;
    const char *msg = (const char *)line + 1;
    size_t mlen = len - 1;
    if (mlen == 5 && !memcmp(msg, "close", 5)) {
        conn_close(k);
        conns[k] = conn_new();
        return;
    }
    GString *text = expand(msg, mlen);
    /* As the server hands it over: a NUL after the message (conn.c). */
    tb_sig_protocol_handle(hub, conns[k], text->str, text->len);
    g_string_free(text, TRUE);
    /* Idle work the handlers queued (arrivals announced in batches, roster.c). */
    fz_main_drain();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tb_config *cfg = fz_config();
    g_random_set_seed(0x7e1eb41d);
    fz_relay_begin();
    tb_rec_catalog *cat = fz_catalog_open();
    tb_sig_hub *hub = tb_sig_hub_create(cfg, fz_relay(), cat, token_key());
    tb_sig_recorder *rec = tb_sig_recorder_create(hub);
    for (int i = 0; i < N_CONNS; i++)
        conns[i] = conn_new();

    size_t pos = 0;
    for (int n = 0; pos < size && n < MAX_LINES; n++) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size;
        /* Each line in a buffer of its own size, so that ASan sees an over-read. */
        uint8_t *line = g_memdup2(data + pos, end - pos);
        handle_line(hub, line, end - pos);
        g_free(line);
        pos = end + 1;
    }

    /* As the server shuts down (server.c): connections, rooms, recorder, hub. */
    for (int i = 0; i < N_CONNS; i++)
        conn_close(i);
    tb_sig_hub_close_rooms(hub);
    tb_sig_recorder_destroy(rec);
    tb_sig_hub_destroy(hub);
    fz_main_drain();
    fz_catalog_close(cat);
    fz_relay_end();
    return 0;
}
