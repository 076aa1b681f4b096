/* The relay's random values (relay/rand.c) against an attacker who sees what every
 * participant of a room sees: track ids (in track_added) are whole 32-bit random values.
 * Were they GLib's g_random_int(), one Mersenne Twister for the whole process, 624 of
 * them would give its state away (each output is an invertible function of one state
 * word), and with it every value made next: later track ids, SSRCs, and the ICE
 * password of the next connection, which authenticates its connectivity checks (RFC 8445
 * §7.2.2) — enough to answer them from anywhere. The test mounts that attack. */
#include "relay/internal.h"
#include "common/tb_error.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

/* ---- MT19937 from 624 consecutive outputs ---- */

#define MT_N 624
#define MT_M 397

static uint32_t untemper(uint32_t y)
{
    y ^= y >> 18;
    y ^= (y << 15) & 0xefc60000u;
    uint32_t r = y;
    for (int i = 0; i < 5; i++)
        r = y ^ ((r << 7) & 0x9d2c5680u);
    y = r;
    r = y;
    for (int i = 0; i < 3; i++)
        r = y ^ (r >> 11);
    return r;
}

static uint32_t temper(uint32_t y)
{
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* The state words follow x[k + 624] = x[k + 397] ^ twist(x[k], x[k + 1]) in the order
 * the generator makes them, wherever the 624 observed ones start. */
typedef struct clone {
    uint32_t x[MT_N];
    int k; /* x[k % N] is the oldest word */
} clone;

static void clone_init(clone *c, const uint32_t *outputs)
{
    for (int i = 0; i < MT_N; i++)
        c->x[i] = untemper(outputs[i]);
    c->k = 0;
}

static uint32_t clone_next(clone *c)
{
    uint32_t a = c->x[c->k % MT_N], b = c->x[(c->k + 1) % MT_N];
    uint32_t y = (a & 0x80000000u) | (b & 0x7fffffffu);
    uint32_t v = c->x[(c->k + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1) ? 0x9908b0dfu : 0);
    c->x[c->k % MT_N] = v;
    c->k++;
    return temper(v);
}

/* ---- the room ---- */

static void on_candidate(void *user, tb_relay_pc *pc, const char *c, const char *mid) {}
static void on_state(void *user, tb_relay_pc *pc, tb_relay_pc_state st) {}
static const tb_relay_pc_events events = {on_candidate, on_state};

#define PER_OFFER 64 /* TB_RELAY_PUBLISH_MAX_MLINES */
#define ROUNDS    10

/* A publish offer of PER_OFFER audio tracks, mids new in every round. */
static char *offer(int round)
{
    GString *s = g_string_new("v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "a=group:BUNDLE");
    for (int i = 0; i < PER_OFFER; i++)
        g_string_append_printf(s, " r%di%d", round, i);
    g_string_append(s, "\r\na=ice-ufrag:atck\r\na=ice-pwd:attackerpasswordattacker\r\n"
                       "a=fingerprint:sha-256 ");
    for (int i = 0; i < 32; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", i);
    g_string_append(s, "\r\na=setup:actpass\r\n");
    for (int i = 0; i < PER_OFFER; i++)
        g_string_append_printf(s,
                               "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
                               "a=mid:r%di%d\r\na=sendonly\r\na=rtcp-mux\r\n"
                               "a=rtpmap:111 opus/48000/2\r\n",
                               round, i);
    return g_string_free(s, FALSE);
}

static void test_predict_from_track_ids(void)
{
    tb_config cfg;
    char err[256];
    g_assert_cmpint(tb_config_load_data(&cfg, "[relay]\nworkers = 1\n", NULL, err, sizeof err), ==,
                    TB_OK);
    tb_relay *relay = tb_relay_create(&cfg.relay, err, sizeof err);
    tb_relay_room *room = tb_relay_room_create(relay, "rand");
    tb_relay_pc *attacker = tb_relay_pc_create(room, TB_RELAY_PC_PUBLISH, "patk", &events, NULL);

    /* The attacker publishes 640 tracks and reads their ids, as everyone in the room can. */
    uint32_t seen[PER_OFFER * ROUNDS];
    int n = 0;
    for (int r = 0; r < ROUNDS; r++) {
        g_autofree char *sdp = offer(r);
        GPtrArray *added, *removed;
        g_autofree char *answer =
            tb_relay_pc_publish_offer(attacker, sdp, &added, &removed, err, sizeof err);
        g_assert_nonnull(answer);
        g_assert_cmpuint(added->len, ==, PER_OFFER);
        for (guint i = 0; i < added->len; i++)
            g_assert_cmpint(
                sscanf(tb_relay_track_id(g_ptr_array_index(added, i)), "t%08x", &seen[n++]), ==, 1);
        g_ptr_array_unref(added);
        g_ptr_array_unref(removed);
    }

    /* The first 624 ids, cloned, against the 16 that came after them. */
    clone c;
    clone_init(&c, seen);
    int hits = 0;
    for (int i = MT_N; i < n; i++)
        hits += clone_next(&c) == seen[i];
    /* Then the next connection: its ICE username fragment and password (pc.c makes them
     * right after creating it, one generator output per character). */
    tb_relay_pc *victim = tb_relay_pc_create(room, TB_RELAY_PC_PUBLISH, "pvictim", &events, NULL);
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
    char ufrag[9], pwd[25];
    for (int i = 0; i < 8; i++)
        ufrag[i] = alphabet[clone_next(&c) % 64];
    ufrag[8] = 0;
    for (int i = 0; i < 24; i++)
        pwd[i] = alphabet[clone_next(&c) % 64];
    pwd[24] = 0;
    g_test_message("later track ids predicted: %d of %d; the next connection's ICE password "
                   "'%s', predicted '%s'",
                   hits, n - MT_N, victim->pwd, pwd);
    g_assert_cmpint(hits, <, 2);
    g_assert_cmpstr(victim->pwd, !=, pwd);
    g_assert_cmpstr(victim->ufrag, !=, ufrag);
    /* Credentials as RFC 8839 §5.4 wants them, of ice-chars. */
    g_assert_cmpuint(strlen(victim->ufrag), ==, 8);
    g_assert_cmpuint(strlen(victim->pwd), ==, 24);
    g_assert_cmpuint(strspn(victim->pwd, alphabet), ==, 24);

    tb_relay_pc_close(victim);
    tb_relay_pc_close(attacker);
    tb_relay_room_destroy(room);
    tb_relay_destroy(relay);
    tb_config_clear(&cfg);
}

/* The helpers themselves: tokens of ice-chars, values that vary. */
static void test_values(void)
{
    char a[65], b[65];
    tb_relay__random_token(a, 64);
    tb_relay__random_token(b, 64);
    g_assert_cmpuint(strlen(a), ==, 64);
    g_assert_cmpstr(a, !=, b);
    uint32_t x = tb_relay__random_u32(), y = tb_relay__random_u32(), z = tb_relay__random_u32();
    g_assert_false(x == y && y == z);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rand/predict-from-track-ids", test_predict_from_track_ids);
    g_test_add_func("/rand/values", test_values);
    return g_test_run();
}
