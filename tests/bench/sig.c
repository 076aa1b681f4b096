/* sig.c — one participant of the load generator: its WebSocket and the two signaling
 * dialects it speaks, Telebridge's protocol v1 (docs/protocol.md) and Janus VideoRoom's
 * (subprotocol `janus-protocol`), so that the very same load runs against both servers.
 *
 * Join time is measured from the WebSocket connect to the first RTP packet on the
 * subscribe connection; it thus covers every signaling round trip, ICE, DTLS and the wait
 * for the server to forward, whatever the dialect needs for them. */
#include "tests/bench/gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TB_PING_S         10
#define JANUS_KEEPALIVE_S 20

void bpart_fail(bpart *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    p->g->failures++;
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(p->why, sizeof p->why, fmt, ap);
    va_end(ap);
    g_printerr("tb-bench: participant %d: %s\n", p->index, p->why);
}

void bpart_trace(bpart *p, const char *fmt, ...)
{
    if (!p->g->verbose)
        return;
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Wall-clock time too, to line the trace up with the server's log. */
    int64_t now = g_get_real_time();
    g_printerr("[%d +%.1f ms] %s (at %02d:%02d.%03d)\n", p->index,
               (double)(g_get_monotonic_time() - p->t_start) / 1e3, buf, (int)(now / 60000000 % 60),
               (int)(now / 1000000 % 60), (int)(now / 1000 % 1000));
}

static void send_json(bpart *p, json_t *m)
{
    char *s = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    if (s)
        bpart_trace(p, "-> %.200s", s);
    if (s && p->ws)
        bws_send_text(p->ws, s);
    free(s);
}

/* ---- Telebridge protocol v1 ---- */

static void tb_request(bpart *p, json_t *m)
{
    json_object_set_new(m, "id", json_integer(++p->next_id));
    send_json(p, m);
}

static void tb_send_answer(bpart *p)
{
    bsdp *offer = g_new(bsdp, 1);
    if (bsdp_parse(p->pending_offer, offer)) {
        g_free(offer);
        bpart_fail(p, "unusable offer from the server");
        return;
    }
    g_clear_pointer(&p->pending_offer, g_free);
    char *ans = bpc_local_answer(p->spc, offer);
    tb_request(p,
               json_pack("{s:s, s:i, s:s}", "type", "answer", "revision", p->revision, "sdp", ans));
    g_free(ans);
    bpc_set_remote(p->spc, offer, true);
    g_free(p->answered);
    p->answered = offer;
}

static void tb_on_reply(bpart *p, json_t *m)
{
    int id = (int)json_integer_value(json_object_get(m, "id"));
    json_t *data = json_object_get(m, "data");
    if (id == 1 && p->pub) {
        p->ppc = bpc_create(p->g, p, BPC_PUB);
        bpc_gather(p->ppc);
    } else if (id == p->publish_id && p->ppc) {
        const char *sdp = json_string_value(json_object_get(data, "sdp"));
        bsdp ans;
        if (!sdp || bsdp_parse(sdp, &ans))
            bpart_fail(p, "unusable answer from the server");
        else
            bpc_set_remote(p->ppc, &ans, false);
    }
}

static void tb_on_message(bpart *p, json_t *m)
{
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!type)
        return;
    if (!strcmp(type, "reply")) {
        tb_on_reply(p, m);
    } else if (!strcmp(type, "error")) {
        bpart_fail(p, "server error %s: %s", json_string_value(json_object_get(m, "code")),
                   json_string_value(json_object_get(m, "reason")));
    } else if (!strcmp(type, "offer")) {
        const char *sdp = json_string_value(json_object_get(m, "sdp"));
        /* A publisher (not a round-table participant) receives nothing, as against Janus:
         * the server's offer for others' tracks stays unanswered. */
        if (!sdp || !p->sub)
            return;
        p->revision = (int)json_integer_value(json_object_get(m, "revision"));
        g_free(p->pending_offer);
        p->pending_offer = g_strdup(sdp);
        if (!p->spc) {
            p->spc = bpc_create(p->g, p, BPC_SUB);
            bpc_gather(p->spc);
        } else if (p->spc->gathered) {
            tb_send_answer(p);
        }
    } else if (!strcmp(type, "candidate")) {
        const char *which = json_string_value(json_object_get(m, "pc"));
        bpc *pc = which && !strcmp(which, "pub") ? p->ppc : p->spc;
        if (pc)
            bpc_add_candidate(pc, json_string_value(json_object_get(m, "candidate")));
    }
}

static gboolean tb_ping(gpointer data)
{
    bpart *p = data;
    tb_request(p, json_pack("{s:s}", "type", "ping"));
    return G_SOURCE_CONTINUE;
}

static void tb_on_open(bpart *p)
{
    tb_request(p, json_pack("{s:s, s:s, s:s, s:b, s:b}", "type", "join", "room", p->g->room, "name",
                            p->pub ? "bench-pub" : "bench-sub", "audio", p->pub, "video", p->pub));
    p->keepalive = g_timeout_add_seconds(TB_PING_S, tb_ping, p);
}

/* ---- Janus VideoRoom ---- */

static void janus_send(bpart *p, const char *janus, const char *transaction, guint64 handle,
                       json_t *body, json_t *jsep)
{
    json_t *m = json_pack("{s:s, s:s}", "janus", janus, "transaction", transaction);
    if (p->session)
        json_object_set_new(m, "session_id", json_integer((json_int_t)p->session));
    if (handle)
        json_object_set_new(m, "handle_id", json_integer((json_int_t)handle));
    if (body)
        json_object_set_new(m, "body", body);
    if (jsep)
        json_object_set_new(m, "jsep", jsep);
    send_json(p, m);
}

static void janus_attach(bpart *p, const char *transaction)
{
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:I}", "janus", "attach", "plugin", "janus.plugin.videoroom",
                  "transaction", transaction, "session_id", (json_int_t)p->session);
    send_json(p, m);
}

void bpart_janus_subscribe(bpart *p)
{
    if (p->g->server != BSERVER_JANUS || !p->sub || !p->session || p->h_sub)
        return;
    janus_attach(p, "attach-sub");
}

static void janus_join_sub(bpart *p)
{
    json_t *streams = json_array();
    for (guint i = 0; i < p->g->parts->len; i++) {
        bpart *o = g_ptr_array_index(p->g->parts, i);
        if (o != p && o->pub && o->feed)
            json_array_append_new(streams, json_pack("{s:I}", "feed", (json_int_t)o->feed));
    }
    janus_send(p, "message", "join-sub", p->h_sub,
               json_pack("{s:s, s:s, s:i, s:o}", "request", "join", "ptype", "subscriber", "room",
                         p->g->janus_room, "streams", streams),
               NULL);
}

static void janus_on_jsep(bpart *p, guint64 sender, json_t *jsep)
{
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    if (!type || !sdp)
        return;
    if (sender == p->h_pub && !strcmp(type, "answer") && p->ppc) {
        bsdp ans;
        if (bsdp_parse(sdp, &ans))
            bpart_fail(p, "unusable answer from Janus");
        else
            bpc_set_remote(p->ppc, &ans, false);
    } else if (sender == p->h_sub && !strcmp(type, "offer")) {
        g_free(p->pending_offer);
        p->pending_offer = g_strdup(sdp);
        if (!p->spc) {
            p->spc = bpc_create(p->g, p, BPC_SUB);
            bpc_gather(p->spc);
        } else if (p->spc->gathered) {
            bpart_pc_gathered(p, p->spc);
        }
    }
}

static void janus_on_event(bpart *p, json_t *m)
{
    guint64 sender = (guint64)json_integer_value(json_object_get(m, "sender"));
    json_t *data = json_object_get(json_object_get(m, "plugindata"), "data");
    if (json_object_get(data, "error")) {
        bpart_fail(p, "Janus error %d: %s",
                   (int)json_integer_value(json_object_get(data, "error_code")),
                   json_string_value(json_object_get(data, "error")));
        return;
    }
    const char *vr = json_string_value(json_object_get(data, "videoroom"));
    if (sender == p->h_pub && vr && !strcmp(vr, "joined"))
        p->feed = (guint64)json_integer_value(json_object_get(data, "id"));
    json_t *jsep = json_object_get(m, "jsep");
    if (jsep)
        janus_on_jsep(p, sender, jsep);
}

static void janus_on_success(bpart *p, json_t *m)
{
    const char *tr = json_string_value(json_object_get(m, "transaction"));
    guint64 id = (guint64)json_integer_value(json_object_get(json_object_get(m, "data"), "id"));
    if (!tr)
        return;
    if (!strcmp(tr, "create")) {
        p->session = id;
        if (p->pub)
            janus_attach(p, "attach-pub");
        else
            bpart_janus_subscribe(p);
    } else if (!strcmp(tr, "attach-pub")) {
        p->h_pub = id;
        p->ppc = bpc_create(p->g, p, BPC_PUB);
        bpc_gather(p->ppc);
    } else if (!strcmp(tr, "attach-sub")) {
        p->h_sub = id;
        janus_join_sub(p);
    }
}

static void janus_on_message(bpart *p, json_t *m)
{
    const char *j = json_string_value(json_object_get(m, "janus"));
    if (!j)
        return;
    if (!strcmp(j, "success")) {
        janus_on_success(p, m);
    } else if (!strcmp(j, "event")) {
        janus_on_event(p, m);
    } else if (!strcmp(j, "error")) {
        json_t *e = json_object_get(m, "error");
        bpart_fail(p, "Janus error %d: %s", (int)json_integer_value(json_object_get(e, "code")),
                   json_string_value(json_object_get(e, "reason")));
    } else if (!strcmp(j, "trickle")) {
        guint64 sender = (guint64)json_integer_value(json_object_get(m, "sender"));
        bpc *pc = sender == p->h_pub ? p->ppc : sender == p->h_sub ? p->spc : NULL;
        json_t *c = json_object_get(m, "candidate");
        if (!pc || !c)
            return;
        if (json_is_true(json_object_get(c, "completed")))
            bpc_add_candidate(pc, NULL);
        else
            bpc_add_candidate(pc, json_string_value(json_object_get(c, "candidate")));
    } else if (!strcmp(j, "hangup")) {
        bpart_fail(p, "Janus hung up: %s", json_string_value(json_object_get(m, "reason")));
    }
}

static gboolean janus_keepalive(gpointer data)
{
    bpart *p = data;
    if (p->session)
        janus_send(p, "keepalive", "ka", 0, NULL, NULL);
    return G_SOURCE_CONTINUE;
}

static void janus_on_open(bpart *p)
{
    janus_send(p, "create", "create", 0, NULL, NULL);
    p->keepalive = g_timeout_add_seconds(JANUS_KEEPALIVE_S, janus_keepalive, p);
}

/* ---- both ---- */

void bpart_pc_gathered(bpart *p, bpc *pc)
{
    if (pc == p->ppc) {
        char *offer = bpc_local_offer(pc);
        if (p->g->server == BSERVER_TB) {
            p->publish_id = p->next_id + 1;
            tb_request(p, json_pack("{s:s, s:s}", "type", "publish", "sdp", offer));
        } else {
            janus_send(p, "message", "publish", p->h_pub,
                       json_pack("{s:s, s:s, s:i, s:s, s:b, s:b}", "request", "joinandconfigure",
                                 "ptype", "publisher", "room", p->g->janus_room, "display",
                                 "bench-pub", "audio", 1, "video", 1),
                       json_pack("{s:s, s:s}", "type", "offer", "sdp", offer));
        }
        g_free(offer);
        return;
    }
    if (pc == p->spc && p->pending_offer) {
        if (p->g->server == BSERVER_TB) {
            tb_send_answer(p);
            return;
        }
        bsdp offer;
        if (bsdp_parse(p->pending_offer, &offer)) {
            bpart_fail(p, "unusable offer from Janus");
            return;
        }
        g_clear_pointer(&p->pending_offer, g_free);
        char *ans = bpc_local_answer(pc, &offer);
        janus_send(p, "message", "start", p->h_sub, json_pack("{s:s}", "request", "start"),
                   json_pack("{s:s, s:s}", "type", "answer", "sdp", ans));
        g_free(ans);
        bpc_set_remote(pc, &offer, true);
    }
}

void bpart_pc_connected(bpart *p, bpc *pc)
{
    bpart_trace(p, "%s connected (DTLS done)", pc == p->ppc ? "pub" : "sub");
    if (pc == p->ppc)
        bpc_start_sending(pc, g_get_monotonic_time());
}

void bpart_pc_first_media(bpart *p, bpc *pc)
{
    if (p->joined)
        return;
    p->joined = true;
    bpart_trace(p, "first media");
    int64_t d = pc->t_first_media - p->t_start;
    g_array_append_val(p->g->joins, d);
}

static void on_ws_open(void *user)
{
    bpart *p = user;
    if (p->g->server == BSERVER_TB)
        tb_on_open(p);
    else
        janus_on_open(p);
}

static void on_ws_message(void *user, const char *text, size_t len)
{
    bpart *p = user;
    /* Our roster news, and the join reply (id 1) for a subscriber only: nothing in them is
     * used (bmsg.c). A publisher's join reply starts its publish connection. */
    if (p->g->server == BSERVER_TB &&
        (bmsg_tb_unused(text, len) || (!p->pub && bmsg_tb_reply_id(text, len) == 1))) {
        bpart_trace(p, "<- %.200s", text);
        return;
    }
    json_error_t e;
    json_t *m = json_loadb(text, len, 0, &e);
    if (!json_is_object(m)) {
        json_decref(m);
        return;
    }
    bpart_trace(p, "<- %.200s", text);
    if (p->g->server == BSERVER_TB)
        tb_on_message(p, m);
    else
        janus_on_message(p, m);
    json_decref(m);
}

static void on_ws_closed(void *user, const char *why)
{
    bpart_fail(user, "signaling connection lost: %s", why);
}

static const bws_events ws_events = {on_ws_open, on_ws_message, on_ws_closed};

bpart *bpart_create(bgen *g, int index, bool pub, bool sub)
{
    bpart *p = g_new0(bpart, 1);
    p->g = g;
    p->index = index;
    p->pub = pub;
    p->sub = sub;
    return p;
}

void bpart_start(bpart *p)
{
    p->t_start = g_get_monotonic_time();
    if (p->g->server == BSERVER_TB)
        p->ws = bws_connect(p->g->port, "/ws", NULL, &ws_events, p);
    else
        p->ws = bws_connect(p->g->port, "/", "janus-protocol", &ws_events, p);
}

void bpart_destroy(bpart *p)
{
    if (p->keepalive)
        g_source_remove(p->keepalive);
    bws_destroy(p->ws);
    bpc_destroy(p->ppc);
    bpc_destroy(p->spc);
    g_free(p->pending_offer);
    g_free(p->answered);
    g_free(p);
}
