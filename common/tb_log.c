/* tb_log.c — writes log lines to stderr with a timestamp, level and category.
 * One fprintf per line so that lines from different threads do not interleave. */
#include "common/tb_log.h"
#include "common/tb_error.h"
#include "common/tb_time.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static gint tb_log_level_current = TB_LOG_LEVEL_INFO;

void tb_log_set_level(tb_log_level level)
{
    g_atomic_int_set(&tb_log_level_current, (gint)level);
}

tb_log_level tb_log_get_level(void)
{
    return (tb_log_level)g_atomic_int_get(&tb_log_level_current);
}

int tb_log_level_parse(const char *s, tb_log_level *out)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            *out = (tb_log_level)i;
            return TB_OK;
        }
    }
    return TB_EINVAL;
}

void tb_log_write(tb_log_level level, const char *cat, const char *fmt, ...)
{
    static const char *tags[] = {"ERR", "WRN", "INF", "DBG"};
    if (level > tb_log_get_level())
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* localtime_r, not g_date_time_new_now_local(): GLib looks the local zone up again
     * (a stat of /etc/localtime) for every line, which showed in profiles of a join burst;
     * glibc reads the zone once. */
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld %s %-16s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            now.tv_nsec / 1000000L, tags[level], cat, msg);
}

bool tb_log_ratelimit_ok(tb_log_ratelimit *rl)
{
    /* At most 10 lines per 5 s window per limiter. */
    int64_t now = tb_time_mono_us();
    if (now - rl->window_start_us > 5 * G_USEC_PER_SEC) {
        if (rl->suppressed)
            tb_log_write(TB_LOG_LEVEL_WARN, "log", "%u similar messages suppressed",
                         rl->suppressed);
        rl->window_start_us = now;
        rl->count = 0;
        rl->suppressed = 0;
    }
    if (rl->count < 10) {
        rl->count++;
        return true;
    }
    rl->suppressed++;
    return false;
}
