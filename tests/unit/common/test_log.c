/* Log lines: "HH:MM:SS.mmm LVL category message" in local wall-clock time, the level
 * filter, and the rate limiter that keeps bad input from flooding the log. */
#include "common/tb_log.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Runs fn with stderr sent to a temporary file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    char *path = NULL;
    int fd = g_file_open_tmp("tb-log-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_unlink(path);
    g_free(path);
    return text;
}

static void write_lines(void)
{
    tb_log_set_level(TB_LOG_LEVEL_INFO);
    tb_log_write(TB_LOG_LEVEL_INFO, "sig/test", "joined as '%s' from %s", "Анна", "::1");
    tb_log_write(TB_LOG_LEVEL_WARN, "relay", "second");
    tb_log_write(TB_LOG_LEVEL_DEBUG, "relay", "not shown at info");
}

static int seconds_of_day(const struct tm *tm)
{
    return tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

static void test_line_format(void)
{
    time_t t0 = time(NULL);
    g_autofree char *out = capture_stderr(write_lines);
    time_t t1 = time(NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3); /* two lines and the empty rest */
    g_assert_cmpstr(lines[2], ==, "");
    g_assert_cmpstr(lines[0] + 12, ==, " INF sig/test         joined as 'Анна' from ::1");
    g_assert_cmpstr(lines[1] + 12, ==, " WRN relay            second");
    for (int i = 0; i < 2; i++) {
        int h, m, s, ms;
        g_assert_cmpint(sscanf(lines[i], "%2d:%2d:%2d.%3d", &h, &m, &s, &ms), ==, 4);
        g_assert_true(lines[i][2] == ':' && lines[i][5] == ':' && lines[i][8] == '.');
        g_assert_cmpint(ms, >=, 0);
        g_assert_cmpint(ms, <=, 999);
        /* Local time between the two readings (a run across midnight is let through). */
        struct tm a, b;
        localtime_r(&t0, &a);
        localtime_r(&t1, &b);
        int v = h * 3600 + m * 60 + s;
        if (seconds_of_day(&a) <= seconds_of_day(&b)) {
            g_assert_cmpint(v, >=, seconds_of_day(&a));
            g_assert_cmpint(v, <=, seconds_of_day(&b));
        }
    }
}

static void test_ratelimit(void)
{
    tb_log_ratelimit rl = {0};
    rl.window_start_us = g_get_monotonic_time();
    int allowed = 0;
    for (int i = 0; i < 100; i++)
        allowed += tb_log_ratelimit_ok(&rl);
    g_assert_cmpint(allowed, ==, 10);
    g_assert_cmpuint(rl.suppressed, ==, 90);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/log/line_format", test_line_format);
    g_test_add_func("/log/ratelimit", test_ratelimit);
    return g_test_run();
}
