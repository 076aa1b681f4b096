/* rtxbuf.h — a retransmission buffer of the last N packets of one stream, keyed by
 * sequence number, for answering NACKs (RFC 4585 §6.2.1). Memory is allocated once at
 * create; put/get never allocate. Owned by the media worker of the stream's room. */
#ifndef TB_RELAY_RTXBUF_H
#define TB_RELAY_RTXBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct tb_relay_rtxbuf tb_relay_rtxbuf;

/* n_slots must be a power of two; packets longer than slot_size are not stored. Memory is
 * sized for n_slots packets of ~1 KB: when they are bigger, fewer of the last n_slots
 * are kept (a NACK for an older one finds nothing). */
tb_relay_rtxbuf *tb_relay_rtxbuf_create(size_t n_slots, size_t slot_size);
void tb_relay_rtxbuf_destroy(tb_relay_rtxbuf *b);
void tb_relay_rtxbuf_clear(tb_relay_rtxbuf *b);
/* Stores a copy of a packet. */
void tb_relay_rtxbuf_put(tb_relay_rtxbuf *b, uint16_t seq, const uint8_t *pkt, size_t len,
                         int64_t now_us);
/* Looks up a stored packet. Returns 0 with *pkt pointing into the buffer (valid until the
 * next put), TB_ENOTFOUND if absent or overwritten. */
int tb_relay_rtxbuf_get(const tb_relay_rtxbuf *b, uint16_t seq, const uint8_t **pkt, size_t *len);

#endif
