/* fuzz_sdp_senders.c — libFuzzer target for the permission scan of a publish offer: how
 * many video m-lines send (signaling/session.c asks for the `screen` permission when
 * there are more than one).
 *
 * The input is the offer's text. The scan gets it as it is, with its length and no NUL
 * after it (it is bounded by len). It must also agree with what the relay does with the
 * same offer: when the relay's own parse (relay/sdp.c) accepts it with two or more video
 * m-lines that send — two video tracks once published, the second one a screen — the
 * scan must say more than one, or someone without the `screen` permission could share a
 * screen. As in the server, both see the text up to its first NUL (a JSON string holds
 * none).
 *
 * The scan under test is the one signaling/session.c calls: tb_relay_sdp_video_senders
 * (relay/sdp.c), which replaced signaling's own line scan (tb_sig_sdp_video_senders in
 * signaling/access/perm.c; this check found that one counting a "sendonly" m-line
 * followed by "inactive" as not sending, while the relay publishes it: corpus file
 * found-sendonly_inactive.sdp). To fuzz another scan, change VIDEO_SENDERS (and its
 * include) below. The relay's count is made here again from tb_relay__sdp_parse, as
 * tb_relay_pc_publish_offer makes tracks, so that the check does not rest on the
 * function it checks. */
#include "tests/fuzz/support.h"
#include "relay/internal.h"
#include "relay/tb_relay.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

#define VIDEO_SENDERS(sdp, len) tb_relay_sdp_video_senders((sdp), (len))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Video tracks tb_relay_pc_publish_offer would make from this offer (relay/pc.c: an
 * accepted m-line that sends). */
static int relay_video_senders(const char *text)
{
    tb_relay__desc d;
    char err[256];
    int n = -1;
    if (tb_relay__sdp_parse(text, true, &d, err, sizeof err) == 0) {
        n = 0;
        for (guint i = 0; i < d.mlines->len; i++) {
            const tb_relay__mline *ml = &g_array_index(d.mlines, tb_relay__mline, i);
            bool sends = ml->dir == TB_RELAY_DIR_SENDONLY || ml->dir == TB_RELAY_DIR_SENDRECV;
            if (!strcmp(ml->media, "video") && !ml->reject[0] && sends)
                n++;
        }
    }
    tb_relay__desc_clear(&d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int raw = VIDEO_SENDERS((const char *)data, size);
    FZ_CHECK(raw >= -1);
    const uint8_t *nul = memchr(data, 0, size);
    size_t len = nul ? (size_t)(nul - data) : size;
    char *text = g_strndup((const char *)data, len);
    int scan = VIDEO_SENDERS(text, len);
    FZ_CHECK(scan >= -1 && (nul || scan == raw));
    int relay = relay_video_senders(text);
    FZ_CHECK(relay < 2 || scan > 1);
    /* tb_relay.h promises more: the count of the offer's own parse, -1 when refused. */
    FZ_CHECK(scan == relay);
    g_free(text);
    return 0;
}
