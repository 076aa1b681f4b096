/* bench.h — the load generator (tb-bench): its pure parts (WebSocket framing, SDP for the
 * generator's side, statistics, the RTP clip) and its network parts (peer connections
 * on the relay's own ICE/DTLS/SRTP code, WebSocket client, the two signaling dialects).
 *
 * Threads: everything runs on the thread of the default GMainContext; nothing here is
 * thread safe. Ownership: _create returns an object the caller frees with _destroy;
 * pointers marked (transfer none) are valid for the call only. */
#ifndef TB_BENCH_H
#define TB_BENCH_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/dtls.h"
#include "relay/srtp.h"

/* ---- WebSocket framing (RFC 6455 §5), pure ---- */

enum { BWS_CONT = 0, BWS_TEXT = 1, BWS_BIN = 2, BWS_CLOSE = 8, BWS_PING = 9, BWS_PONG = 10 };

typedef struct bws_frame {
    bool fin;
    int opcode;
    const uint8_t *payload; /* into the input buffer (unmasked in place when masked) */
    size_t len;
} bws_frame;

/* Writes one frame; mask (client → server frames must be masked) may be NULL. Returns the
 * frame's size, or 0 when cap is too small. */
size_t bws_frame_encode(uint8_t *out, size_t cap, int opcode, const uint8_t *payload, size_t len,
                        const uint8_t *mask);
/* Parses one frame at buf. Returns its size, 0 when incomplete, -1 when malformed or larger
 * than max_payload. Unmasks masked payloads in place. */
long bws_frame_decode(uint8_t *buf, size_t len, size_t max_payload, bws_frame *f);
/* Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2), into out (29 bytes). */
void bws_accept_key(const char *key, char out[29]);

/* ---- WebSocket client over TCP on loopback ---- */

typedef struct bws bws;
typedef struct bws_events {
    void (*open)(void *user);
    void (*message)(void *user, const char *text, size_t len); /* NUL-terminated */
    void (*closed)(void *user, const char *why);
} bws_events;

/* Connects (non-blocking) to 127.0.0.1:port path, asking for `subprotocol` (NULL: none). */
bws *bws_connect(int port, const char *path, const char *subprotocol, const bws_events *ev,
                 void *user);
int bws_send_text(bws *ws, const char *text);
void bws_destroy(bws *ws);

/* ---- SDP, the generator's side ---- */

/* A subscriber of a full room gets an m-line per track of everyone else: 49 others with
 * audio, video and a screen are 147 (the relay's own limit is max_participants x 3 + 16). */
#define BSDP_MAX_MLINES 256
#define BSDP_MAX_CANDS  16

typedef struct bsdp_mline {
    char media[16]; /* audio / video / application */
    int port;
    char mid[32];
    char dir[12]; /* sendrecv / sendonly / recvonly / inactive */
    int pt;       /* first payload type of the m= line, -1 none */
    char codec[16];
    int clock;
    int channels;
    uint32_t ssrc;  /* first a=ssrc, 0 = none */
    char owner[64]; /* a=msid's stream id: our server puts the publisher's id there */
} bsdp_mline;

typedef struct bsdp {
    char ufrag[257];
    char pwd[257];
    char fp_hash[16];
    char fp_value[200];
    char setup[16];
    bool ice_lite; /* a=ice-lite: the server only answers checks; we control */
    int n_mlines;
    bsdp_mline m[BSDP_MAX_MLINES];
    int n_cands;
    char cands[BSDP_MAX_CANDS][256]; /* "candidate:..." */
} bsdp;

/* Parses what the generator needs from a server's offer or answer. Returns 0 or -1 (no
 * ICE credentials, no fingerprint, no m-line). */
int bsdp_parse(const char *text, bsdp *out);

/* bmsg.c: a message from our server that the generator never acts on (the roster and room
 * news every participant gets), told from its leading "type" without parsing it. */
bool bmsg_tb_unused(const char *text, size_t len);
/* The id of a reply from our server ({"type":"reply","id":N,...}), or -1 for anything
 * else; read without parsing the message. */
int bmsg_tb_reply_id(const char *text, size_t len);

typedef struct bsdp_local {
    const char *ufrag, *pwd, *fingerprint; /* fingerprint: "AB:CD:..." sha-256 */
    const char *const *cands;              /* "candidate:..." strings */
    int n_cands;
    uint32_t audio_ssrc, video_ssrc;
} bsdp_local;

/* The publisher's offer: one Opus and one VP8 m-line, sendonly, BUNDLE, rtcp-mux, a=ssrc
 * (transfer full, g_free). */
char *bsdp_write_pub_offer(const bsdp_local *l);
/* A subscriber's answer to `offer`: every audio/video m-line received (recvonly), others
 * rejected, setup active unless the offer says active (transfer full). */
char *bsdp_write_sub_answer(const bsdp *offer, const bsdp_local *l);

/* ---- statistics, pure ---- */

/* Nearest-rank percentile (0 < p ≤ 100) of v[0..n); sorts v in place. 0 when n == 0. */
int64_t bstat_percentile(int64_t *v, size_t n, double p);

/* Loss accounting of one received RTP stream by extended sequence number. */
typedef struct bstat_seq {
    bool started;
    uint32_t ssrc;
    uint64_t first_ext;
    uint64_t max_ext;
    uint64_t received;
} bstat_seq;

void bstat_seq_update(bstat_seq *s, uint16_t seq);
uint64_t bstat_seq_expected(const bstat_seq *s);
uint64_t bstat_seq_lost(const bstat_seq *s);

/* The trailer the generator appends to every payload: magic + send time. */
#define BENCH_TRAILER_LEN   12
#define BENCH_TRAILER_MAGIC 0x54426e68u /* "TBnh" */
#define BPC_ICE_PACING_MS   1           /* the generator's ICE check pacing (see bpc_create) */
/* First DTLS handshake retransmission, as in browsers (WebRTC's initial timeout is 50 ms;
 * the relay's own default, 200 ms, made a server's lost first flight cost the generator
 * 4x what it costs a browser: see docs/performance.md, change 19). */
#define BPC_DTLS_RTX_MS 50
void bench_trailer_put(uint8_t *p, int64_t send_us);
bool bench_trailer_get(const uint8_t *payload_end, size_t payload_len, int64_t *send_us);

/* ---- the RTP clip ---- */

typedef struct bclip_pkt {
    uint32_t off; /* into data */
    uint16_t len;
    int64_t rel_us;  /* send time relative to the clip's start */
    uint32_t rel_ts; /* RTP timestamp relative to the first packet */
    bool keyframe;   /* first packet of a VP8 keyframe */
} bclip_pkt;

typedef struct bclip {
    uint8_t *data;
    size_t data_len;
    bclip_pkt *pkts;
    size_t n;
    uint32_t clock;
    int64_t dur_us; /* the clip loops after this */
    uint32_t dur_ts;
    uint64_t bytes;
} bclip;

/* Parses an RFC 4571 stream of RTP packets (2-byte length prefixes). Returns 0 or -1. */
int bclip_parse(const uint8_t *buf, size_t len, uint32_t clock, bool vp8, int64_t frame_us,
                bclip *out);
void bclip_clear(bclip *c);
/* Encodes (once, cached in dir) and loads the clip. kind "video" or "audio". */
int bclip_load(const char *dir, const char *kind, int kbps, bclip *out, char *err, size_t errlen);

/* ---- /proc ---- */

/* utime+stime of a whole process in µs; -1 on error. */
int64_t bproc_cpu_us(int pid);
/* VmRSS in kB; -1 on error. */
long bproc_rss_kb(int pid);
/* This network namespace's UDP RcvbufErrors and SndbufErrors (/proc/net/snmp): packets
 * the kernel dropped at a full socket. Returns 0 or -1. */
int bproc_udp_drops(uint64_t *rcvbuf, uint64_t *sndbuf);

#endif
