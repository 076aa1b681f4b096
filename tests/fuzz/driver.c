/* driver.c — runs a libFuzzer target without libFuzzer, for ctest.
 *
 *   fuzz_<name>_replay <corpus dir>
 *
 * Calls LLVMFuzzerTestOneInput on every regular file of the directory (in name order) and
 * on a fixed number of pseudo-random mutations of each, seeded from the file's name, so a
 * run is reproducible on any machine and a failure names the input that caused it. Every
 * input is passed in a heap buffer of exactly its size, so that under AddressSanitizer a
 * one-byte over-read fails the run just as it would under libFuzzer. Exits 0 when all
 * inputs ran; 1 if the directory is missing, unreadable or has no files. On a crash it
 * prints the file, the mutation number and the input in hex, to be added to the corpus. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS_PER_FILE 300
#define MAX_INPUT_BYTES    (1 << 20)
#define MAX_GROWTH         64 /* bytes a mutation may add */

static uint64_t rng_state;

/* The input being run, for the crash report. */
static const char *cur_name;
static int cur_mutation; /* -1 for the file itself */
static const uint8_t *cur_data;
static size_t cur_len;

/* Sanitizer hook, present when linked with ASan/UBSan. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void put_str(const char *s)
{
    (void)!write(2, s, strlen(s));
}

static void put_num(size_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    (void)!write(2, tmp + i, sizeof(tmp) - i);
}

/* Async-signal-safe: only write(2). */
static void report_crash(void)
{
    static const char hex[] = "0123456789abcdef";
    if (cur_name == NULL)
        return;
    put_str("\ncrash on ");
    put_str(cur_name);
    put_str(cur_mutation < 0 ? " itself" : " mutation ");
    if (cur_mutation >= 0)
        put_num((size_t)cur_mutation);
    put_str(", ");
    put_num(cur_len);
    put_str(" bytes:\n");
    for (size_t i = 0; i < cur_len; i++) {
        char b[2] = {hex[cur_data[i] >> 4], hex[cur_data[i] & 15]};
        (void)!write(2, b, 2);
    }
    put_str("\n");
    cur_name = NULL;
}

static void on_signal(int sig)
{
    report_crash();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* splitmix64: small, good enough, and the same everywhere */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
    return n ? (size_t)(rng_next() % n) : 0;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static void run_one(const uint8_t *data, size_t len)
{
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL)
        abort();
    memcpy(exact, data, len);
    cur_data = data;
    cur_len = len;
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
}

/* One random edit of buf (length *len, capacity cap). Integer fields in the formats we
 * fuzz are big-endian 8/16/32-bit values, so edits favour their boundary values. */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x0f, 0x10, 0x1f,
                                          0x7f, 0x80, 0x81, 0xbe, 0xde, 0xfe, 0xff};
    size_t n = *len;
    switch (rng_below(8)) {
    case 0: /* flip a bit */
        if (n)
            buf[rng_below(n)] ^= (uint8_t)(1u << rng_below(8));
        break;
    case 1: /* random byte */
        if (n)
            buf[rng_below(n)] = (uint8_t)rng_next();
        break;
    case 2: /* interesting byte */
        if (n)
            buf[rng_below(n)] = interesting[rng_below(sizeof(interesting))];
        break;
    case 3: /* interesting 16-bit value, e.g. a length field */
        if (n >= 2) {
            size_t at = rng_below(n - 1);
            const uint16_t values[] = {
                0, 1, 2, 0x7fff, 0x8000, 0xffff, (uint16_t)(n / 4), (uint16_t)(n / 4 - 1)};
            uint16_t v = values[rng_below(sizeof(values) / sizeof(values[0]))];
            buf[at] = (uint8_t)(v >> 8);
            buf[at + 1] = (uint8_t)v;
        }
        break;
    case 4: /* truncate */
        *len = rng_below(n + 1);
        break;
    case 5: /* append random bytes */
        for (size_t k = rng_below(16) + 1; k > 0 && *len < cap; k--)
            buf[(*len)++] = (uint8_t)rng_next();
        break;
    case 6: /* insert a byte */
        if (n < cap) {
            size_t at = rng_below(n + 1);
            memmove(buf + at + 1, buf + at, n - at);
            buf[at] = (uint8_t)rng_next();
            (*len)++;
        }
        break;
    default: /* delete a run of bytes */
        if (n) {
            size_t at = rng_below(n);
            size_t k = 1 + rng_below(n - at < 8 ? n - at : 8);
            memmove(buf + at, buf + at + k, n - at - k);
            *len -= k;
        }
        break;
    }
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    uint8_t *buf = malloc(MAX_INPUT_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_INPUT_BYTES + 1, f) : 0;
    int bad = buf == NULL || ferror(f) || n > MAX_INPUT_BYTES;
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of dir, sorted; NULL on error. */
static char **list_files(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof(*names));
            if (grown == NULL)
                abort();
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (names[n++] == NULL)
            abort();
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    *count = n;
    return names ? names : calloc(1, sizeof(*names));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 1;
    }
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(report_crash);
    signal(SIGABRT, on_signal);
    signal(SIGSEGV, on_signal);
    signal(SIGBUS, on_signal);
    signal(SIGFPE, on_signal);

    size_t count = 0;
    char **names = list_files(argv[1], &count);
    if (names == NULL) {
        fprintf(stderr, "%s: cannot open corpus directory %s\n", argv[0], argv[1]);
        return 1;
    }
    if (count == 0) {
        fprintf(stderr, "%s: corpus directory %s has no files\n", argv[0], argv[1]);
        free(names);
        return 1;
    }
    size_t inputs = 0;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
        uint8_t *data;
        size_t len;
        if (read_file(path, &data, &len) != 0) {
            fprintf(stderr, "%s: cannot read %s\n", argv[0], path);
            return 1;
        }
        cur_name = names[i];
        cur_mutation = -1;
        run_one(data, len);
        inputs++;

        size_t cap = len + MAX_GROWTH;
        uint8_t *scratch = malloc(cap);
        if (scratch == NULL)
            abort();
        rng_state = fnv1a(names[i]);
        for (int m = 0; m < MUTATIONS_PER_FILE; m++) {
            size_t mlen = len;
            memcpy(scratch, data, len);
            for (size_t k = 1 + rng_below(4); k > 0; k--)
                mutate_once(scratch, &mlen, cap);
            cur_mutation = m;
            run_one(scratch, mlen);
            inputs++;
        }
        cur_name = NULL;
        free(scratch);
        free(data);
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "%zu files, %zu inputs: ok\n", count, inputs);
    return 0;
}
