/* tb_log.h — leveled logging with one category per file.
 *
 * Each .c file defines TB_LOG_CAT before including this header, e.g.
 *   #define TB_LOG_CAT "relay/ice"
 * Per-peer lines carry a "[room/peer]" prefix written by the caller. Never log per
 * packet on the hot path (use tb_log_ratelimit) and never log a secret. Any thread. */
#ifndef TB_LOG_H
#define TB_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    TB_LOG_LEVEL_ERR = 0,
    TB_LOG_LEVEL_WARN,
    TB_LOG_LEVEL_INFO,
    TB_LOG_LEVEL_DEBUG
} tb_log_level;

#ifndef TB_LOG_CAT
#define TB_LOG_CAT "telebridge"
#endif

void tb_log_set_level(tb_log_level level);
tb_log_level tb_log_get_level(void);
/* Parses "error", "warn", "info", "debug". Returns 0 or TB_EINVAL. */
int tb_log_level_parse(const char *s, tb_log_level *out);
void tb_log_write(tb_log_level level, const char *cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A token bucket for rate-limited warnings about bad input: true when this call may
 * log. The state lives in the caller (one per object or per call site). */
typedef struct tb_log_ratelimit {
    int64_t window_start_us;
    uint32_t count;
    uint32_t suppressed;
} tb_log_ratelimit;
bool tb_log_ratelimit_ok(tb_log_ratelimit *rl);

#define TB_LOG_ERR(...)  tb_log_write(TB_LOG_LEVEL_ERR, TB_LOG_CAT, __VA_ARGS__)
#define TB_LOG_WARN(...) tb_log_write(TB_LOG_LEVEL_WARN, TB_LOG_CAT, __VA_ARGS__)
#define TB_LOG_INFO(...) tb_log_write(TB_LOG_LEVEL_INFO, TB_LOG_CAT, __VA_ARGS__)
#define TB_LOG_DEBUG(...)                                                                          \
    do {                                                                                           \
        if (tb_log_get_level() >= TB_LOG_LEVEL_DEBUG)                                              \
            tb_log_write(TB_LOG_LEVEL_DEBUG, TB_LOG_CAT, __VA_ARGS__);                             \
    } while (0)

#endif
