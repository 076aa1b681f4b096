/* fuzz_rtp_ext.c — libFuzzer target for RTP header extensions (RFC 8285) as the relay
 * reads them: tb_relay_rtp_ext_find (relay/rtp.c) for the ids an SDP negotiated, and
 * the RFC 6464 audio level that drives the active speaker (relay/speaker.c).
 *
 * Input: the extmap id of sdes:mid (byte 0) and of ssrc-audio-level (byte 1), as a
 * publish offer could give them (1..255, 0 = not negotiated), then one RTP packet.
 * Every element found must be what its header says (id and length, one-byte elements
 * only for ids 1..14), lie inside the extension block, and no two elements found may
 * overlap; the speaker detector must add exactly the level the element carries. */
#include "tests/fuzz/support.h"
#include "common/tb_error.h"
#include "relay/internal.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

typedef struct span {
    size_t from, to; /* element header and data, [from, to) in the packet */
} span;

/* Looks id up and checks what came back; fills *s when found. */
static int find(const uint8_t *buf, const tb_relay_rtp_header *h, unsigned id, span *s,
                const uint8_t **value, size_t *len)
{
    const uint8_t *d = NULL;
    size_t n = 0;
    int rc = tb_relay_rtp_ext_find(buf, h, (uint8_t)id, &d, &n);
    FZ_CHECK(rc == TB_OK || rc == TB_ENOTFOUND || rc == TB_EINVAL);
    FZ_CHECK(id != 0 || rc == TB_EINVAL);
    if (rc != TB_OK)
        return rc;
    FZ_CHECK(h->has_extension);
    size_t at = (size_t)(d - buf);
    FZ_CHECK(at >= h->ext_offset && at + n <= h->ext_offset + h->ext_len);
    for (size_t i = 0; i < n; i++)
        sink ^= d[i];
    if (h->ext_profile == 0xBEDE) {
        /* one-byte header: ID in the top nibble, length - 1 in the bottom one */
        FZ_CHECK(id >= 1 && id <= 14 && at >= h->ext_offset + 1);
        FZ_CHECK(d[-1] >> 4 == id && (size_t)(d[-1] & 15) + 1 == n);
        s->from = at - 1;
    } else {
        /* two-byte header: ID byte, then a length byte that may be 0 */
        FZ_CHECK((h->ext_profile & 0xFFF0) == 0x1000 && at >= h->ext_offset + 2);
        FZ_CHECK(d[-2] == id && d[-1] == n);
        s->from = at - 2;
    }
    s->to = at + n;
    *value = d;
    *len = n;
    return rc;
}

static void check_speaker(const uint8_t *buf, const tb_relay_rtp_header *h, uint8_t level_id)
{
    tb_relay__mline ml;
    memset(&ml, 0, sizeof ml);
    g_strlcpy(ml.media, "audio", sizeof ml.media);
    g_strlcpy(ml.mid, "0", sizeof ml.mid);
    ml.ext_audio_level = level_id;
    tb_relay_track *t = tb_relay__track_create(NULL, "pfuzz", &ml, "microphone", 0);
    span s;
    const uint8_t *v = NULL;
    size_t n = 0;
    bool found = level_id && find(buf, h, level_id, &s, &v, &n) == TB_OK && n >= 1;
    tb_relay__speaker_on_packet(t, buf, h);
    FZ_CHECK(t->fwd.level_count == (found ? 1u : 0u));
    FZ_CHECK(t->fwd.level_sum == (found ? 127u - (v[0] & 0x7f) : 0u));
    tb_relay_track_unref(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mid_id = data[0], level_id = data[1];
    const uint8_t *buf = data + 2;
    size_t len = size - 2;
    tb_relay_rtp_header h;
    if (tb_relay_rtp_parse(buf, len, &h) != 0)
        return 0;
    if (h.has_extension)
        FZ_CHECK(h.ext_offset >= 16 && h.ext_offset + h.ext_len <= len);

    /* Every element that can be found, none overlapping another. */
    span spans[256];
    int n_spans = 0;
    for (unsigned id = 0; id <= 255; id++) {
        span s;
        const uint8_t *v;
        size_t n;
        if (find(buf, &h, id, &s, &v, &n) != TB_OK)
            continue;
        for (int i = 0; i < n_spans; i++)
            FZ_CHECK(s.to <= spans[i].from || spans[i].to <= s.from);
        spans[n_spans++] = s;
    }

    /* The mid, as forward.c matches a packet to a track by it. */
    span s;
    const uint8_t *v = NULL;
    size_t n = 0;
    if (mid_id && find(buf, &h, mid_id, &s, &v, &n) == TB_OK)
        sink ^= (uint8_t)(n <= 32 ? n : 0);

    check_speaker(buf, &h, level_id);
    return 0;
}
