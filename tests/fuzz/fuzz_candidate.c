/* fuzz_candidate.c — libFuzzer target for trickled ICE candidates:
 * tb_relay_pc_add_remote_candidate (relay/pc.c: the candidate's grammar, its sdpMid, the
 * queue before the remote description) and, on the worker, what the accepted ones go
 * through (relay/transport.c: libnice's candidate parse, the agent's remote list).
 *
 * Input: one control byte, then one candidate per line, as the client's `candidate`
 * message carries it: "<sdpMid>\t<candidate>", or just "<candidate>" without a mid; an
 * empty line is the end of candidates.
 *   bit 0     the connection subscribes (else it publishes)
 *   bits 1-2  when its remote description is set: never (all candidates are queued, at
 *             most 64), before the first candidate, after half of them, or after all
 * The relay is ICE-lite on loopback (support.h): no connectivity check goes to an
 * address from the input. */
#include "tests/fuzz/support.h"
#include "common/tb_error.h"
#include "relay/internal.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 100

static void on_candidate(void *user, tb_relay_pc *pc, const char *c, const char *mid) {}
static void on_state(void *user, tb_relay_pc *pc, tb_relay_pc_state st) {}
static const tb_relay_pc_events events = {on_candidate, on_state};

typedef struct fx {
    tb_relay_room *room;
    tb_relay_pc *pub, *sub, *pc;
    GPtrArray *added;
} fx;

/* Applies the remote description: the publisher's offer, or the subscriber's answer to
 * the offer for the publisher's tracks. Both are well-formed and must be accepted. */
static void describe(fx *f)
{
    char err[256] = "";
    if (f->pc == f->pub) {
        g_autofree char *offer = fz_offer("av");
        GPtrArray *added = NULL, *removed = NULL;
        g_autofree char *ans =
            tb_relay_pc_publish_offer(f->pub, offer, &added, &removed, err, sizeof err);
        FZ_CHECK(ans != NULL);
        g_ptr_array_unref(added);
        g_ptr_array_unref(removed);
        return;
    }
    int rev;
    g_autofree char *offer = tb_relay_pc_subscribe_offer(f->sub, &rev);
    FZ_CHECK(offer != NULL);
    g_autofree char *ans = fz_answer_for(offer);
    FZ_CHECK(tb_relay_pc_subscribe_answer(f->sub, rev, ans, err, sizeof err) == TB_OK);
}

static void setup(fx *f, bool subscribe)
{
    memset(f, 0, sizeof *f);
    f->room = tb_relay_room_create(fz_relay(), "fuzz");
    f->pub = tb_relay_pc_create(f->room, TB_RELAY_PC_PUBLISH, "ppub", &events, NULL);
    f->pc = f->pub;
    if (!subscribe)
        return;
    g_autofree char *offer = fz_offer("av");
    GPtrArray *removed = NULL;
    char err[256] = "";
    g_autofree char *ans =
        tb_relay_pc_publish_offer(f->pub, offer, &f->added, &removed, err, sizeof err);
    FZ_CHECK(ans != NULL);
    g_ptr_array_unref(removed);
    f->sub = tb_relay_pc_create(f->room, TB_RELAY_PC_SUBSCRIBE, "psub", &events, NULL);
    FZ_CHECK(tb_relay_pc_subscribe_set(f->sub, f->added));
    f->pc = f->sub;
}

static void add(tb_relay_pc *pc, const char *line, size_t len)
{
    g_autofree char *copy = g_strndup(line, len);
    char *tab = strchr(copy, '\t');
    const char *mid = NULL, *cand = copy;
    if (tab) {
        *tab = 0;
        mid = copy;
        cand = tab + 1;
    }
    char err[256] = "";
    int rc = tb_relay_pc_add_remote_candidate(pc, cand, mid, err, sizeof err);
    FZ_CHECK(rc == TB_OK || rc == TB_EINVAL || rc == TB_ETOOBIG);
    FZ_CHECK(rc == TB_OK || err[0]);
    if (rc == TB_OK && *cand)
        FZ_CHECK(g_str_has_prefix(cand, "candidate:") && strlen(cand) <= 512);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    int when = ctl >> 1 & 3;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    lines = MIN(lines + 1, MAX_LINES);

    g_random_set_seed(0xca4d);
    fz_relay_begin();
    fx f;
    setup(&f, ctl & 1);
    if (when == 1)
        describe(&f);
    size_t pos = 0;
    for (size_t k = 0; k < lines && pos <= n; k++) {
        if (when == 2 && k == lines / 2)
            describe(&f);
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - text) : n;
        add(f.pc, text + pos, end - pos);
        pos = end + 1;
    }
    if (when == 3)
        describe(&f);

    tb_relay_pc_close(f.sub);
    tb_relay_pc_close(f.pub);
    tb_relay_room_destroy(f.room);
    if (f.added)
        g_ptr_array_unref(f.added);
    fz_relay_end();
    return 0;
}
