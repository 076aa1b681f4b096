/* support.c — the relay, configuration and scratch files the fuzz targets share
 * (support.h). */
#define _XOPEN_SOURCE 700
#include "tests/fuzz/support.h"
#include "common/tb_log.h"
#include "relay/internal.h"

#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Rooms for the signaling target: one per kind, with the settings that open its
 * handlers' branches (waiting room, stage, hall endpoints, floor, a room that refuses
 * anonymous joiners and fills at two, recording policies). Recording starts fail before
 * any process is spawned: the recordings folder cannot be created (under /dev/null), and
 * the recorder program does not exist either; compositions are off for the same reason.
 * (A spawn forks the whole fuzzer process: it cost most of an input's time.) */
static const char CONFIG[] = "[relay]\n"
                             "workers = 1\n"
                             "ice_lite = true\n"
                             "ice_addresses = 127.0.0.1\n"
                             "[rooms]\n"
                             "allow_anonymous = true\n"
                             "anonymous_role = speaker\n"
                             "max_participants = 4\n"
                             "[recording]\n"
                             "dir = /dev/null/recordings\n"
                             "recorder = /nonexistent/telebridge-recorder\n"
                             "compose_after = false\n"
                             "min_free_mb = 0\n"
                             "[auth]\n"
                             "secret = fuzz-key-0123456789abcdef\n"
                             "[room:hearing]\n"
                             "kind = hearing\n"
                             "anonymous_role = participant\n"
                             "recording = allowed\n"
                             "floor_seconds = 5\n"
                             "[room:consult]\n"
                             "kind = consultation\n"
                             "recording = allowed\n"
                             "[room:conf]\n"
                             "kind = conference\n"
                             "anonymous_role = viewer\n"
                             "[room:tele]\n"
                             "kind = telebridge\n"
                             "anonymous_role = site\n"
                             "recording = auto\n"
                             "[room:closed]\n"
                             "allow_anonymous = false\n"
                             "max_participants = 2\n"
                             "chat = false\n"
                             "recording = disabled\n";

static char *scratch;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

void fz_remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_scratch(void)
{
    if (scratch)
        fz_remove_tree(scratch);
}

const char *fz_scratch_dir(void)
{
    if (scratch)
        return scratch;
    /* TMPDIR when set (tests/fuzz/run gives each run its own), else tmpfs when there is
     * one: the catalog is rewritten for every input. */
    const char *base = g_getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();
    scratch = g_build_filename(base, "tbfuzz-XXXXXX", NULL);
    if (!g_mkdtemp(scratch)) {
        fprintf(stderr, "fuzz: cannot create a scratch folder in %s\n", base);
        abort();
    }
    atexit(remove_scratch);
    return scratch;
}

const tb_config *fz_config(void)
{
    static tb_config cfg;
    static bool loaded;
    if (loaded)
        return &cfg;
    tb_log_set_level(TB_LOG_LEVEL_ERR);
    g_autofree char *var = g_strdup_printf("server.var_dir=%s", fz_scratch_dir());
    const char *ovs[] = {var, NULL};
    char err[256] = "";
    if (tb_config_load_data(&cfg, CONFIG, ovs, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: configuration: %s\n", err);
        abort();
    }
    loaded = true;
    return &cfg;
}

tb_relay *fz_relay(void)
{
    static tb_relay *relay;
    if (relay)
        return relay;
    char err[256] = "";
    relay = tb_relay_create(&fz_config()->relay, err, sizeof err);
    if (!relay) {
        fprintf(stderr, "fuzz: relay: %s\n", err);
        abort();
    }
    return relay;
}

/* ---- holding the worker ---- */

static GMutex gate;
static GCond gate_changed;
static bool parked, released, idle_seen;

/* On the worker: waits, inside its own dispatch, until fz_relay_end. */
static gboolean park(gpointer data)
{
    g_mutex_lock(&gate);
    parked = true;
    g_cond_broadcast(&gate_changed);
    while (!released)
        g_cond_wait(&gate_changed, &gate);
    parked = false;
    g_mutex_unlock(&gate);
    return G_SOURCE_REMOVE;
}

/* On the worker, at low priority: runs once no default-priority work is ready, which is
 * where every op of relay/ is posted (tb_relay__worker_post). */
static gboolean mark_idle(gpointer data)
{
    g_mutex_lock(&gate);
    idle_seen = true;
    g_cond_broadcast(&gate_changed);
    g_mutex_unlock(&gate);
    return G_SOURCE_REMOVE;
}

static void worker_post(GSourceFunc fn, int priority)
{
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, priority);
    g_source_set_callback(src, fn, NULL, NULL);
    g_source_attach(src, fz_relay()->workers[0].ctx);
    g_source_unref(src);
}

void fz_main_drain(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

void fz_relay_begin(void)
{
    fz_relay();
    g_mutex_lock(&gate);
    released = false;
    g_mutex_unlock(&gate);
    worker_post(park, G_PRIORITY_DEFAULT);
    g_mutex_lock(&gate);
    while (!parked)
        g_cond_wait(&gate_changed, &gate);
    g_mutex_unlock(&gate);
}

void fz_relay_end(void)
{
    /* Twice: what the worker posts back may post to the worker again (a closed
     * connection's last reference dropped on the main thread). */
    for (int round = 0; round < 2; round++) {
        g_mutex_lock(&gate);
        idle_seen = false;
        g_mutex_unlock(&gate);
        worker_post(mark_idle, G_PRIORITY_LOW);
        g_mutex_lock(&gate);
        released = true;
        g_cond_broadcast(&gate_changed);
        while (!idle_seen)
            g_cond_wait(&gate_changed, &gate);
        g_mutex_unlock(&gate);
        fz_main_drain();
    }
}

/* ---- SDP ---- */

#define FINGERPRINT                                                                                \
    "sha-256 70:2B:62:5D:7F:F3:14:DB:30:EC:47:11:2A:B8:B1:CD:BE:2B:C0:40:C4:8F:E9:85:CB:97:88:96:" \
    "E7:82:97:1E"

char *fz_offer(const char *kinds)
{
    GString *s = g_string_new("v=0\r\no=- 4596354168915834 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "a=group:BUNDLE");
    size_t n = strlen(kinds);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, " %zu", i);
    g_string_append(s, "\r\na=msid-semantic: WMS fz\r\n");
    for (size_t i = 0; i < n; i++) {
        bool audio = kinds[i] == 'a';
        g_string_append_printf(s,
                               "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n"
                               "a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:fzUF\r\n"
                               "a=ice-pwd:fuzzpasswordfuzzpassword\r\na=ice-options:trickle\r\n"
                               "a=fingerprint:" FINGERPRINT "\r\na=setup:actpass\r\na=mid:%zu\r\n",
                               audio ? "audio" : "video", audio ? 111 : 96, i);
        if (audio)
            g_string_append(s, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n");
        g_string_append_printf(s,
                               "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\n"
                               "a=msid:fz t%zu\r\na=rtcp-mux\r\n",
                               i);
        if (audio)
            g_string_append(s, "a=rtpmap:111 opus/48000/2\r\n"
                               "a=fmtp:111 minptime=10;useinbandfec=1\r\n");
        else
            g_string_append(s, "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
                               "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n");
        g_string_append_printf(s, "a=ssrc:%zu cname:fz\r\n", 1000 + i);
    }
    return g_string_free(s, FALSE);
}

char *fz_answer_for(const char *offer)
{
    g_auto(GStrv) lines = g_strsplit(offer, "\r\n", -1);
    GString *out = g_string_new(NULL);
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (!*l || g_str_has_prefix(l, "a=ssrc") || g_str_has_prefix(l, "a=msid:"))
            continue;
        if (g_str_has_prefix(l, "a=ice-ufrag:"))
            l = "a=ice-ufrag:CLNT";
        else if (g_str_has_prefix(l, "a=ice-pwd:"))
            l = "a=ice-pwd:clientpasswordclientpass";
        else if (g_str_has_prefix(l, "a=fingerprint:"))
            l = "a=fingerprint:" FINGERPRINT;
        else if (!strcmp(l, "a=setup:actpass"))
            l = "a=setup:active";
        else if (!strcmp(l, "a=sendonly"))
            l = "a=recvonly";
        g_string_append_printf(out, "%s\r\n", l);
    }
    return g_string_free(out, FALSE);
}

/* ---- catalog ---- */

static char *catalog_path(void)
{
    return g_build_filename(fz_scratch_dir(), "catalog.db", NULL);
}

static void catalog_unlink(const char *db)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *p = g_strconcat(db, suffixes[i], NULL);
        unlink(p);
    }
}

tb_rec_catalog *fz_catalog_open(void)
{
    g_autofree char *db = catalog_path();
    catalog_unlink(db);
    char err[256] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(db, err, sizeof err);
    if (!cat) {
        fprintf(stderr, "fuzz: catalog: %s\n", err);
        abort();
    }
    return cat;
}

void fz_catalog_close(tb_rec_catalog *cat)
{
    tb_rec_catalog_close(cat);
    g_autofree char *db = catalog_path();
    catalog_unlink(db);
}
