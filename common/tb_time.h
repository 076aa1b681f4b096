/* tb_time.h — clocks used by the media plane. Any thread. */
#ifndef TB_TIME_H
#define TB_TIME_H

#include <glib.h>
#include <stdint.h>

/* Monotonic microseconds (g_get_monotonic_time). */
static inline int64_t tb_time_mono_us(void)
{
    return g_get_monotonic_time();
}

/* Wall clock as a 64-bit NTP timestamp (RFC 3550 §4: seconds since 1900 in the upper
 * 32 bits, fraction in the lower 32). */
static inline uint64_t tb_time_ntp_now(void)
{
    int64_t us = g_get_real_time();
    uint64_t sec = (uint64_t)(us / 1000000) + 2208988800ULL;
    uint64_t frac = ((uint64_t)(us % 1000000) << 32) / 1000000;
    return (sec << 32) | frac;
}

#endif
