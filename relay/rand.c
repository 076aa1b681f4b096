/* rand.c — the random values the relay hands out: ICE credentials, SSRCs, SDP session ids
 * and track ids.
 *
 * They come from OpenSSL's CSPRNG, not GLib's g_random_*: that is one Mersenne Twister
 * per process, and 624 consecutive outputs (track ids and SSRCs are whole outputs, which
 * every participant of a room sees) give away its state and so every value it makes
 * next, the ICE password of the next connection included (RFC 8445 §5.3: the password
 * authenticates connectivity checks; RFC 8839 §5.4 asks for at least 128 random bits).
 * None of this is per packet: values are made when connections and tracks are. */
#define _GNU_SOURCE /* getrandom */
#define TB_LOG_CAT  "relay/rand"
#include "relay/internal.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <openssl/rand.h>
#include <sys/random.h>

void tb_relay__random_bytes(void *buf, size_t n)
{
    if (n <= INT_MAX && RAND_bytes(buf, (int)n) == 1)
        return;
    /* OpenSSL could not seed itself (no entropy source at all): the kernel's CSPRNG. */
    uint8_t *p = buf;
    size_t got = 0;
    for (int tries = 0; got < n && tries < 16; tries++) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (r < 0 && errno != EINTR)
            break;
    }
    if (got == n)
        return;
    static tb_log_ratelimit rl;
    if (tb_log_ratelimit_ok(&rl))
        TB_LOG_ERR("no secure randomness (RAND_bytes and getrandom failed): ICE credentials "
                   "and SSRCs are predictable");
    for (; got < n; got++)
        p[got] = (uint8_t)g_random_int();
}

uint32_t tb_relay__random_u32(void)
{
    uint32_t v;
    tb_relay__random_bytes(&v, sizeof v);
    return v;
}

void tb_relay__random_token(char *out, size_t n)
{
    /* ice-char (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/". 64 of them: six bits a byte,
     * so every character is uniform. */
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
    uint8_t raw[64];
    g_assert(n <= sizeof raw);
    tb_relay__random_bytes(raw, n);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] & 63];
    out[n] = '\0';
}
