/* tb_reader.h — a bounded big-endian byte reader for wire formats.
 *
 * Parsers never cast packed structs over packet bytes (alignment, endianness and length
 * bugs hide there); they read fields through this reader, which refuses to run past the
 * end. After any failed read `ok` stays false and every later read returns 0, so a
 * parser can read a whole header and check `ok` once. */
#ifndef TB_READER_H
#define TB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_reader {
    const uint8_t *buf; /* not owned */
    size_t len;
    size_t pos;
    bool ok;
} tb_reader;

static inline void tb_reader_init(tb_reader *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->ok = true;
}

static inline size_t tb_reader_left(const tb_reader *r)
{
    return r->ok ? r->len - r->pos : 0;
}

static inline bool tb_reader_need(tb_reader *r, size_t n)
{
    if (!r->ok || r->len - r->pos < n) {
        r->ok = false;
        return false;
    }
    return true;
}

static inline uint8_t tb_reader_u8(tb_reader *r)
{
    if (!tb_reader_need(r, 1))
        return 0;
    return r->buf[r->pos++];
}

static inline uint16_t tb_reader_u16(tb_reader *r)
{
    if (!tb_reader_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)((r->buf[r->pos] << 8) | r->buf[r->pos + 1]);
    r->pos += 2;
    return v;
}

static inline uint32_t tb_reader_u24(tb_reader *r)
{
    if (!tb_reader_need(r, 3))
        return 0;
    uint32_t v =
        ((uint32_t)r->buf[r->pos] << 16) | ((uint32_t)r->buf[r->pos + 1] << 8) | r->buf[r->pos + 2];
    r->pos += 3;
    return v;
}

static inline uint32_t tb_reader_u32(tb_reader *r)
{
    if (!tb_reader_need(r, 4))
        return 0;
    uint32_t v = ((uint32_t)r->buf[r->pos] << 24) | ((uint32_t)r->buf[r->pos + 1] << 16) |
                 ((uint32_t)r->buf[r->pos + 2] << 8) | r->buf[r->pos + 3];
    r->pos += 4;
    return v;
}

static inline uint64_t tb_reader_u64(tb_reader *r)
{
    uint64_t hi = tb_reader_u32(r);
    return (hi << 32) | tb_reader_u32(r);
}

static inline void tb_reader_skip(tb_reader *r, size_t n)
{
    if (tb_reader_need(r, n))
        r->pos += n;
}

/* Big-endian writers into a buffer the caller has sized. */
static inline void tb_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void tb_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint16_t tb_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t tb_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif
