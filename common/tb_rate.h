/* tb_rate.h — a token bucket: at most `burst` events at once, refilled at `per_s` events
 * a second. Used for every rate limit (chat, requests, sign-in attempts). The caller
 * passes the time (monotonic µs), so a bucket is a pure value, unit-testable, owned by
 * whoever embeds it; not thread-safe. */
#ifndef TB_RATE_H
#define TB_RATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tb_rate {
    double tokens; /* events available now, after the last refill */
    int64_t at_us; /* time of the last refill; 0 = a fresh bucket (full) */
} tb_rate;

/* The bucket refilled up to `now_us`. */
static inline void tb_rate_refill(tb_rate *r, double per_s, double burst, int64_t now_us)
{
    if (!r->at_us) {
        r->tokens = burst;
    } else if (now_us > r->at_us) {
        r->tokens += (double)(now_us - r->at_us) * per_s / 1e6;
        if (r->tokens > burst)
            r->tokens = burst;
    }
    r->at_us = now_us;
}

/* Takes one event if the bucket has one. */
static inline bool tb_rate_take(tb_rate *r, double per_s, double burst, int64_t now_us)
{
    tb_rate_refill(r, per_s, burst, now_us);
    if (r->tokens < 1.0)
        return false;
    r->tokens -= 1.0;
    return true;
}

/* Seconds until one event is available (0 = now). */
static inline double tb_rate_wait_s(const tb_rate *r, double per_s)
{
    return r->tokens >= 1.0 ? 0.0 : (1.0 - r->tokens) / per_s;
}

#endif
