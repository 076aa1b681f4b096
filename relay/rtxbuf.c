/* rtxbuf.c — ring of the last n_slots packets of one stream, indexed by seq & (n - 1).
 *
 * The buffer keeps a window of n_slots sequence numbers ending at the newest one put.
 * When the window moves forward, the slots of the seqs it skipped are emptied, so every
 * slot holds either the packet of the one in-window seq that maps to it or nothing: a
 * lookup never returns a packet from a previous trip around the 16-bit seq space, however
 * lossy the stream was.
 *
 * The bytes live back to back in one ring (the arena), not in a max-size slot each:
 * video packets average ~1 KB against a 1500-byte maximum, and a room holds one buffer
 * per published video track per worker, so fixed slots spent a third of the memory on
 * padding. The arena holds n_slots packets of TYPICAL_BYTES (plus one maximum-size
 * packet of slack); a slot whose bytes the writer has since passed over reads as absent.
 * One allocation at create; put and get are O(1) amortized. */
#include "relay/rtxbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/tb_error.h"

/* Half the seq space: beyond that "newer" and "older" cannot be told apart. */
#define MAX_SLOTS 0x8000
/* Bytes per packet the arena is sized for (an average video packet is ~1000). */
#define TYPICAL_BYTES 1024

typedef struct rtx_slot {
    uint16_t seq;
    bool used;
    size_t len;
    uint64_t pos; /* where its bytes start, counted in all bytes ever written */
} rtx_slot;

struct tb_relay_rtxbuf {
    size_t n_slots;
    size_t slot_size; /* the largest packet stored */
    size_t cap;       /* arena bytes */
    uint64_t written; /* arena bytes ever used (never wraps in practice: 2^64) */
    bool have_newest;
    uint16_t newest;
    rtx_slot *slots; /* owned, n_slots entries */
    uint8_t *data;   /* owned, cap bytes */
};

tb_relay_rtxbuf *tb_relay_rtxbuf_create(size_t n_slots, size_t slot_size)
{
    if (n_slots == 0 || n_slots > MAX_SLOTS || (n_slots & (n_slots - 1)) != 0 || slot_size == 0 ||
        slot_size > SIZE_MAX / (n_slots + 1))
        return NULL;
    tb_relay_rtxbuf *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->n_slots = n_slots;
    b->slot_size = slot_size;
    size_t per = slot_size < TYPICAL_BYTES ? slot_size : TYPICAL_BYTES;
    b->cap = n_slots * per + slot_size;
    b->slots = calloc(n_slots, sizeof(*b->slots));
    b->data = malloc(b->cap);
    if (b->slots == NULL || b->data == NULL) {
        tb_relay_rtxbuf_destroy(b);
        return NULL;
    }
    return b;
}

void tb_relay_rtxbuf_destroy(tb_relay_rtxbuf *b)
{
    if (b == NULL)
        return;
    free(b->slots);
    free(b->data);
    free(b);
}

void tb_relay_rtxbuf_clear(tb_relay_rtxbuf *b)
{
    for (size_t i = 0; i < b->n_slots; i++)
        b->slots[i].used = false;
    b->have_newest = false;
}

static rtx_slot *slot_of(const tb_relay_rtxbuf *b, uint16_t seq)
{
    return &b->slots[seq & (b->n_slots - 1)];
}

/* Moves the window forward so that it ends at seq, emptying the slots of skipped seqs. */
static void window_advance(tb_relay_rtxbuf *b, uint16_t seq)
{
    uint16_t ahead = (uint16_t)(seq - b->newest);
    if (ahead >= b->n_slots) {
        tb_relay_rtxbuf_clear(b);
    } else {
        for (uint16_t s = (uint16_t)(b->newest + 1); s != seq; s++)
            slot_of(b, s)->used = false;
    }
    b->have_newest = true;
    b->newest = seq;
}

void tb_relay_rtxbuf_put(tb_relay_rtxbuf *b, uint16_t seq, const uint8_t *pkt, size_t len,
                         int64_t now_us)
{
    /* now_us is not needed: the window is counted in packets, and how late a NACK may be
     * answered is the caller's call. */
    (void)now_us;
    if (!b->have_newest) {
        b->have_newest = true;
        b->newest = seq;
    } else if (seq != b->newest && (uint16_t)(seq - b->newest) < 0x8000) {
        window_advance(b, seq);
    } else if ((uint16_t)(b->newest - seq) >= b->n_slots) {
        /* Further back than the window: either very late or the sender's seqs jumped
         * back. Start over from here, or every later packet would be refused too. */
        tb_relay_rtxbuf_clear(b);
        b->have_newest = true;
        b->newest = seq;
    }
    rtx_slot *slot = slot_of(b, seq);
    slot->seq = seq;
    slot->used = pkt != NULL && len <= b->slot_size;
    if (!slot->used)
        return;
    /* A packet is never split: one that does not fit before the arena's end starts over
     * at its beginning, and the tail it skips counts as written. */
    size_t off = (size_t)(b->written % b->cap);
    if (off + len > b->cap) {
        b->written += b->cap - off;
        off = 0;
    }
    slot->len = len;
    slot->pos = b->written;
    memcpy(b->data + off, pkt, len);
    b->written += len;
}

int tb_relay_rtxbuf_get(const tb_relay_rtxbuf *b, uint16_t seq, const uint8_t **pkt, size_t *len)
{
    if (!b->have_newest || (uint16_t)(b->newest - seq) >= b->n_slots)
        return TB_ENOTFOUND;
    const rtx_slot *slot = slot_of(b, seq);
    /* Bytes from `written - cap` on are intact; older ones the writer has passed over. */
    if (!slot->used || slot->seq != seq || b->written - slot->pos > b->cap)
        return TB_ENOTFOUND;
    *pkt = b->data + (size_t)(slot->pos % b->cap);
    *len = slot->len;
    return 0;
}
