/* bstat.c — the generator's arithmetic: percentiles, loss by sequence number, the send
 * timestamp trailer, and the server's CPU time and memory from /proc. */
#include "tests/bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t bstat_percentile(int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_i64);
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* RFC 3550 A.1-style extension: a sequence number within 2^15 of the highest one seen
 * is placed next to it, in the cycle that makes the distance smallest. */
void bstat_seq_update(bstat_seq *s, uint16_t seq)
{
    if (!s->started) {
        s->started = true;
        s->first_ext = s->max_ext = (1u << 16) + seq; /* room to go back one cycle */
        s->received = 1;
        return;
    }
    uint16_t max16 = (uint16_t)s->max_ext;
    int16_t d = (int16_t)(uint16_t)(seq - max16);
    uint64_t ext = (uint64_t)((int64_t)s->max_ext + d);
    if (ext > s->max_ext)
        s->max_ext = ext;
    if (ext < s->first_ext)
        s->first_ext = ext;
    s->received++;
}

uint64_t bstat_seq_expected(const bstat_seq *s)
{
    return s->started ? s->max_ext - s->first_ext + 1 : 0;
}

uint64_t bstat_seq_lost(const bstat_seq *s)
{
    uint64_t e = bstat_seq_expected(s);
    return e > s->received ? e - s->received : 0;
}

void bench_trailer_put(uint8_t *p, int64_t send_us)
{
    uint32_t m = BENCH_TRAILER_MAGIC;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(m >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        p[4 + i] = (uint8_t)((uint64_t)send_us >> (56 - 8 * i));
}

bool bench_trailer_get(const uint8_t *end, size_t payload_len, int64_t *send_us)
{
    if (payload_len < BENCH_TRAILER_LEN)
        return false;
    const uint8_t *p = end - BENCH_TRAILER_LEN;
    uint32_t m = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (m != BENCH_TRAILER_MAGIC)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[4 + i];
    *send_us = (int64_t)v;
    return true;
}

int64_t bproc_cpu_us(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return -1;
    unsigned long long ut = 0, st = 0;
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (int64_t)((ut + st) * 1000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
}

int bproc_udp_drops(uint64_t *rcvbuf, uint64_t *sndbuf)
{
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f)
        return -1;
    char names[512] = "", line[512];
    int rc = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Udp: ", 5))
            continue;
        if (!names[0]) {
            g_strlcpy(names, line, sizeof names);
            continue;
        }
        gchar **n = g_strsplit(g_strstrip(names), " ", -1);
        gchar **v = g_strsplit(g_strstrip(line), " ", -1);
        for (int i = 1; n[i] && v[i]; i++) {
            if (!strcmp(n[i], "RcvbufErrors"))
                *rcvbuf = g_ascii_strtoull(v[i], NULL, 10), rc = 0;
            else if (!strcmp(n[i], "SndbufErrors"))
                *sndbuf = g_ascii_strtoull(v[i], NULL, 10);
        }
        g_strfreev(n);
        g_strfreev(v);
        break;
    }
    fclose(f);
    return rc;
}

long bproc_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}
