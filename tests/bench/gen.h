/* gen.h — the load generator's running state: the run (bgen), its participants (bpart:
 * one signaling connection each) and their peer connections (bpc). Default GMainContext
 * only. */
#ifndef TB_BENCH_GEN_H
#define TB_BENCH_GEN_H

#include "tests/bench/bench.h"

#include <agent.h>
#include <jansson.h>

typedef struct bgen bgen;
typedef struct bpart bpart;
typedef struct bpc bpc;

typedef enum { BSERVER_TB = 0, BSERVER_JANUS = 1 } bserver;

/* Replays one clip as one RTP stream. */
typedef struct breplay {
    const bclip *clip;
    uint8_t pt;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts_base;
    size_t idx;
    int64_t loop_start_us;
    uint32_t loop_ts;
    int64_t last_jump_us;
} breplay;

#define BPC_MAX_RX BSDP_MAX_MLINES /* streams a subscriber tells apart */

typedef struct brx {
    uint32_t ssrc;
    bstat_seq seq;
    uint32_t since_sample;
} brx;

typedef enum { BPC_PUB = 0, BPC_SUB = 1 } bpc_role;

struct bpc {
    bgen *g;
    bpart *part;
    bpc_role role;
    NiceAgent *agent;
    guint stream;
    char ufrag[16];
    char pwd[40];
    GPtrArray *local_cands; /* "candidate:..." */
    bool gathered;
    bool remote_set;
    bool ice_ready;
    bool dtls_client;
    tb_relay_dtls *dtls;
    GPtrArray *early_dtls; /* GBytes */
    guint dtls_timer;
    tb_relay_srtp *srtp;
    tb_relay_srtp_profile profile;
    bool connected;
    bool failed;
    /* publish */
    breplay audio, video;
    bool sending;
    /* subscribe */
    int n_rx;
    brx rx[BPC_MAX_RX];
    uint64_t rx_pkts;
    int64_t t_first_media;
    union {
        uint8_t b[1600];
        uint32_t align; /* libsrtp reads words */
    } buf;
};

struct bpart {
    bgen *g;
    int index;
    bool pub, sub;
    bws *ws;
    bool failed;
    char why[160];
    bpc *ppc, *spc;
    int next_id;
    int publish_id;
    int64_t t_start;
    bool joined; /* first media on the subscribe connection */
    guint keepalive;
    /* our protocol */
    int revision;
    char *pending_offer; /* until the subscribe connection has gathered */
    bsdp *answered;      /* the last offer answered (owned), for --expect-all-tracks */
    /* Janus */
    guint64 session, h_pub, h_sub, feed;
};

struct bgen {
    /* options */
    bserver server;
    int port;
    char *room;
    int janus_room;
    int publishers, subscribers;
    bool roundtable;
    int join_batch;
    double warmup_s, duration_s, timeout_s;
    bool gcm;
    int sample_every;
    int server_pid;
    int video_kbps, audio_kbps;
    char *clip_dir;
    char *json_path;
    char *scenario;
    bool expect_media;
    bool expect_all_tracks;
    bool verbose;
    /* state */
    GMainLoop *loop;
    tb_relay_dtls_cert *cert;
    bclip video, audio;
    GPtrArray *parts; /* bpart* owned */
    GArray *delays;   /* int64 µs */
    GArray *joins;    /* int64 µs */
    uint64_t profile_mismatch;
    uint64_t failures;
    int64_t started_us;
};

/* pc.c */
typedef void (*bpc_gathered_fn)(bpc *pc);
bpc *bpc_create(bgen *g, bpart *part, bpc_role role);
/* Starts gathering; bpart_pc_gathered() follows, maybe before this returns. */
void bpc_gather(bpc *pc);
void bpc_destroy(bpc *pc);
/* Applies the server's description (offer for subscribe, answer for publish); the first
 * one sets credentials, fingerprint and DTLS role. Returns 0 or -1. */
int bpc_set_remote(bpc *pc, const bsdp *d, bool is_offer);
void bpc_add_candidate(bpc *pc, const char *cand);
char *bpc_local_offer(bpc *pc);                     /* publish */
char *bpc_local_answer(bpc *pc, const bsdp *offer); /* subscribe */
/* Publish: sends what is due (called from the generator's tick). */
void bpc_pump(bpc *pc, int64_t now);
void bpc_start_sending(bpc *pc, int64_t now);

/* sig.c: called by pc.c */
void bpart_pc_gathered(bpart *p, bpc *pc);
void bpart_pc_connected(bpart *p, bpc *pc);
void bpart_pc_first_media(bpart *p, bpc *pc);
void bpart_fail(bpart *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* With --verbose: a line with the time since the participant started. */
void bpart_trace(bpart *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* sig.c: called by main.c */
bpart *bpart_create(bgen *g, int index, bool pub, bool sub);
void bpart_start(bpart *p);
void bpart_destroy(bpart *p);
/* Janus: the feed ids a subscriber subscribes to (all publishers but itself). */
void bpart_janus_subscribe(bpart *p);

#endif
