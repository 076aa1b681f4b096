/* wsframe.c — WebSocket framing for the load generator's client (RFC 6455 §5): pure
 * functions over buffers, tested in test_bench.c. */
#include "tests/bench/bench.h"

#include <string.h>

size_t bws_frame_encode(uint8_t *out, size_t cap, int opcode, const uint8_t *payload, size_t len,
                        const uint8_t *mask)
{
    size_t hdr = 2 + (len > 125 ? (len > 0xFFFF ? 8 : 2) : 0) + (mask ? 4 : 0);
    if (cap < hdr + len)
        return 0;
    size_t o = 0;
    out[o++] = (uint8_t)(0x80 | (opcode & 0x0F));
    uint8_t m = mask ? 0x80 : 0;
    if (len <= 125) {
        out[o++] = (uint8_t)(m | len);
    } else if (len <= 0xFFFF) {
        out[o++] = m | 126;
        out[o++] = (uint8_t)(len >> 8);
        out[o++] = (uint8_t)len;
    } else {
        out[o++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[o++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (mask) {
        memcpy(out + o, mask, 4);
        o += 4;
        for (size_t i = 0; i < len; i++)
            out[o + i] = payload[i] ^ mask[i & 3];
    } else if (len) {
        memcpy(out + o, payload, len);
    }
    return o + len;
}

long bws_frame_decode(uint8_t *buf, size_t len, size_t max_payload, bws_frame *f)
{
    if (len < 2)
        return 0;
    if (buf[0] & 0x70)
        return -1; /* RSV bits without a negotiated extension */
    f->fin = buf[0] & 0x80;
    f->opcode = buf[0] & 0x0F;
    bool masked = buf[1] & 0x80;
    uint64_t plen = buf[1] & 0x7F;
    size_t o = 2;
    if (plen == 126) {
        if (len < 4)
            return 0;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        o = 4;
    } else if (plen == 127) {
        if (len < 10)
            return 0;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = plen << 8 | buf[2 + i];
        o = 10;
    }
    if (plen > max_payload)
        return -1;
    if (f->opcode >= 8 && (plen > 125 || !f->fin))
        return -1; /* control frames: short, never fragmented (§5.5) */
    size_t mo = o;
    if (masked)
        o += 4;
    if (len < o + plen)
        return 0;
    if (masked)
        for (size_t i = 0; i < plen; i++)
            buf[o + i] ^= buf[mo + (i & 3)];
    f->payload = buf + o;
    f->len = (size_t)plen;
    return (long)(o + plen);
}

void bws_accept_key(const char *key, char out[29])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(c, (const guchar *)key, (gssize)strlen(key));
    g_checksum_update(c, (const guchar *)"258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    guint8 digest[20];
    gsize dlen = sizeof digest;
    g_checksum_get_digest(c, digest, &dlen);
    g_checksum_free(c);
    gchar *b64 = g_base64_encode(digest, dlen);
    g_strlcpy(out, b64, 29);
    g_free(b64);
}
