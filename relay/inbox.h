/* inbox.h — packets handed from one media worker to another.
 *
 * A room lives on its home worker, which owns the publishers; when the home worker gets
 * busy, new subscribers of the room are placed on other workers (relay.c). The home
 * worker still decrypts each packet once; for every other worker with subscribers of the
 * track it copies the packet into that worker's inbox, and that worker rewrites, encrypts
 * and sends it to its own subscribers. Nothing else crosses threads per packet.
 *
 * One ring per (source worker, destination worker): a single producer and a single
 * consumer, so no lock, only the ring's two counters; the producer wakes the destination's
 * main context when the consumer had caught up (it may be asleep in poll). A full ring
 * drops the packet for that worker's subscribers (counted; NACKs recover video). */
#ifndef TB_RELAY_INBOX_H
#define TB_RELAY_INBOX_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_relay__inbox tb_relay__inbox;

/* Called on the destination's thread for each packet, in order per source. `tag` is what
 * the producer pushed; fn owns it from here (releases it). */
typedef void (*tb_relay__inbox_fn)(void *user, gpointer tag, const uint8_t *buf, size_t len);

/* An inbox fed by n_sources workers (source indexes 0..n_sources-1), drained by a source
 * attached to ctx. drop releases the tags of packets still queued at destroy. */
tb_relay__inbox *tb_relay__inbox_create(GMainContext *ctx, int n_sources, size_t slots,
                                        size_t max_len, tb_relay__inbox_fn fn, void *user,
                                        GDestroyNotify drop);
/* From the source worker's thread only. false (and tag not taken) when the ring is full or
 * len is too big. */
bool tb_relay__inbox_push(tb_relay__inbox *in, int source, gpointer tag, const uint8_t *buf,
                          size_t len);
/* Packets delivered and dropped so far (any thread). */
void tb_relay__inbox_counters(tb_relay__inbox *in, uint64_t *delivered, uint64_t *dropped);
/* After the destination's thread has stopped iterating ctx. Releases pending tags. */
void tb_relay__inbox_destroy(tb_relay__inbox *in);

#endif
