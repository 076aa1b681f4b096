/* fuzz_sub_answer.c — libFuzzer target for a client's answer to the relay's subscribe
 * offer: tb_relay_pc_subscribe_answer (relay/pc.c) with its SDP parse (relay/sdp.c), on a
 * real subscribe connection of a real relay (support.h) that has an offer out.
 *
 * Input: one control byte, then the answer's text.
 *   bits 0-1  what the publisher publishes: "av", "a", "avv" or "v" (support.c, fz_offer)
 *   bits 2-4  which of its tracks the subscriber receives (bit i: track i; none = all)
 *   bit 5     afterwards the subscription changes (the first track is dropped, or all are
 *             taken) and the same text answers the next offer too
 *   bit 6     a stale revision is tried before that second answer
 * The worker then applies what was accepted (credentials, fingerprint, candidates from
 * the SDP, slot bindings) before the connections close. */
#include "tests/fuzz/support.h"
#include "common/tb_error.h"
#include "relay/internal.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_candidate(void *user, tb_relay_pc *pc, const char *c, const char *mid) {}
static void on_state(void *user, tb_relay_pc *pc, tb_relay_pc_state st) {}
static const tb_relay_pc_events events = {on_candidate, on_state};

/* One answer to offer `revision`: whatever it says, the result is one of the documented
 * ones, a refusal says why, and an accepted answer leaves no offer outstanding. */
static int answer(tb_relay_pc *sub, int revision, const char *text)
{
    char err[256] = "";
    int rc = tb_relay_pc_subscribe_answer(sub, revision, text, err, sizeof err);
    FZ_CHECK(rc <= 0 && rc != TB_ESTATE);
    FZ_CHECK(rc == 0 || err[0]);
    if (rc == 0) {
        err[0] = 0;
        FZ_CHECK(tb_relay_pc_subscribe_answer(sub, revision, text, err, sizeof err) == TB_ESTATE);
    }
    return rc;
}

static void second_round(tb_relay_pc *sub, GPtrArray *added, GPtrArray *want, int rev, int rc,
                         bool stale, const char *text)
{
    GPtrArray *next = g_ptr_array_new();
    if (want->len == added->len)
        for (guint i = 1; i < added->len; i++)
            g_ptr_array_add(next, g_ptr_array_index(added, i));
    else
        for (guint i = 0; i < added->len; i++)
            g_ptr_array_add(next, g_ptr_array_index(added, i));
    tb_relay_pc_subscribe_set(sub, next);
    int rev2 = -1;
    char *offer2 = tb_relay_pc_subscribe_offer(sub, &rev2);
    FZ_CHECK(rc == 0 || offer2 == NULL); /* one offer out at a time */
    if (offer2) {
        FZ_CHECK(rev2 == rev + 1);
        char err[256];
        if (stale)
            FZ_CHECK(tb_relay_pc_subscribe_answer(sub, rev, text, err, sizeof err) == TB_ESTATE);
        answer(sub, rev2, text);
    }
    g_free(offer2);
    g_ptr_array_unref(next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {"av", "a", "avv", "v"};
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    char *text = g_strndup((const char *)data + 1, size - 1);
    g_random_set_seed(0x5ab5);
    fz_relay_begin();
    tb_relay_room *room = tb_relay_room_create(fz_relay(), "fuzz");
    tb_relay_pc *pub = tb_relay_pc_create(room, TB_RELAY_PC_PUBLISH, "ppub", &events, NULL);
    char *offer = fz_offer(kinds[ctl & 3]);
    GPtrArray *added = NULL, *removed = NULL;
    char err[256] = "";
    char *pub_answer = tb_relay_pc_publish_offer(pub, offer, &added, &removed, err, sizeof err);
    FZ_CHECK(pub_answer != NULL);

    GPtrArray *want = g_ptr_array_new();
    for (guint i = 0; i < added->len; i++)
        if (ctl >> 2 & 7 & 1u << i)
            g_ptr_array_add(want, g_ptr_array_index(added, i));
    if (want->len == 0)
        for (guint i = 0; i < added->len; i++)
            g_ptr_array_add(want, g_ptr_array_index(added, i));
    tb_relay_pc *sub = tb_relay_pc_create(room, TB_RELAY_PC_SUBSCRIBE, "psub", &events, NULL);
    FZ_CHECK(tb_relay_pc_subscribe_set(sub, want));
    int rev = -1;
    char *sub_offer = tb_relay_pc_subscribe_offer(sub, &rev);
    FZ_CHECK(sub_offer != NULL && rev == 1);
    int rc = answer(sub, rev, text);
    if (rc != 0) /* still outstanding: only revision 1 is answerable */
        FZ_CHECK(tb_relay_pc_subscribe_answer(sub, rev + 1, text, err, sizeof err) == TB_ESTATE);
    if (ctl & 0x20)
        second_round(sub, added, want, rev, rc, ctl & 0x40, text);

    tb_relay_pc_close(sub);
    tb_relay_pc_close(pub);
    tb_relay_room_destroy(room);
    g_ptr_array_unref(want);
    g_ptr_array_unref(added);
    g_ptr_array_unref(removed);
    g_free(sub_offer);
    g_free(pub_answer);
    g_free(offer);
    g_free(text);
    fz_relay_end();
    return 0;
}
