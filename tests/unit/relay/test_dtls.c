/* test_dtls.c — DTLS-SRTP between two in-process endpoints.
 *
 * Each endpoint's send callback appends to the other's inbox; pump() delivers until both
 * inboxes are empty, and drive() adds the retransmission timer for tests that drop
 * datagrams. The two endpoints have separate certificates, as two browsers would. */
#include "relay/dtls.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>

typedef struct endpoint {
    tb_relay_dtls *d;
    tb_relay_dtls_cert *cert;
    struct endpoint *peer;
    GQueue inbox; /* GBytes sent by the peer, not yet fed */
    int sent;
    int drop_next; /* drop this many of the next datagrams we send */
    size_t max_datagram;
    GBytes *first_sent; /* copy of the first datagram (the ClientHello for a client) */
} endpoint;

typedef struct fixture {
    endpoint client, server;
} fixture;

static void on_send(void *user, const uint8_t *buf, size_t len)
{
    endpoint *e = user;
    if (!e->first_sent)
        e->first_sent = g_bytes_new(buf, len);
    e->sent++;
    if (len > e->max_datagram)
        e->max_datagram = len;
    if (e->drop_next > 0) {
        e->drop_next--;
        return;
    }
    g_queue_push_tail(&e->peer->inbox, g_bytes_new(buf, len));
}

static void endpoint_init(endpoint *e, endpoint *peer, bool client, bool gcm)
{
    char err[256] = "";
    memset(e, 0, sizeof *e);
    e->peer = peer;
    g_queue_init(&e->inbox);
    e->cert = tb_relay_dtls_cert_create(err, sizeof err);
    g_assert_nonnull(e->cert);
    e->d = tb_relay_dtls_create(e->cert, client, gcm, on_send, e);
    g_assert_nonnull(e->d);
}

static void endpoint_clear(endpoint *e)
{
    tb_relay_dtls_destroy(e->d);
    tb_relay_dtls_cert_unref(e->cert);
    g_queue_clear_full(&e->inbox, (GDestroyNotify)g_bytes_unref);
    if (e->first_sent)
        g_bytes_unref(e->first_sent);
}

static void pair_init(fixture *f, bool client_gcm, bool server_gcm)
{
    endpoint_init(&f->client, &f->server, true, client_gcm);
    endpoint_init(&f->server, &f->client, false, server_gcm);
}

static void set_fingerprints(fixture *f)
{
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(
                        f->client.d, "sha-256", tb_relay_dtls_cert_fingerprint(f->server.cert)),
                    ==, TB_OK);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(
                        f->server.d, "sha-256", tb_relay_dtls_cert_fingerprint(f->client.cert)),
                    ==, TB_OK);
}

static void pair_clear(fixture *f)
{
    endpoint_clear(&f->client);
    endpoint_clear(&f->server);
}

/* Feeds one queued datagram to e; returns false when its inbox is empty. */
static bool deliver_one(endpoint *e)
{
    GBytes *b = g_queue_pop_head(&e->inbox);
    if (!b)
        return false;
    gsize n;
    const uint8_t *p = g_bytes_get_data(b, &n);
    (void)tb_relay_dtls_feed(e->d, p, n);
    g_bytes_unref(b);
    return true;
}

static void pump(fixture *f)
{
    for (int i = 0; i < 1000; i++) {
        bool a = deliver_one(&f->server);
        bool b = deliver_one(&f->client);
        if (!a && !b)
            return;
    }
    g_assert_not_reached();
}

static bool both_connected(fixture *f)
{
    return tb_relay_dtls_get_state(f->client.d) == TB_RELAY_DTLS_CONNECTED &&
           tb_relay_dtls_get_state(f->server.d) == TB_RELAY_DTLS_CONNECTED;
}

/* Pumps, and while not both connected sleeps until the earlier timer and fires it. */
static void drive(fixture *f, int max_ms)
{
    int64_t deadline = g_get_monotonic_time() + (int64_t)max_ms * 1000;
    pump(f);
    while (!both_connected(f) && g_get_monotonic_time() < deadline) {
        int tc = tb_relay_dtls_timeout_ms(f->client.d);
        int ts = tb_relay_dtls_timeout_ms(f->server.d);
        int t = tc < 0 ? ts : ts < 0 ? tc : MIN(tc, ts);
        if (t < 0)
            break; /* nothing pending: stuck for good */
        g_usleep((gulong)t * 1000);
        tb_relay_dtls_handle_timeout(f->client.d);
        tb_relay_dtls_handle_timeout(f->server.d);
        pump(f);
    }
}

static void handshake(fixture *f)
{
    g_assert_cmpint(tb_relay_dtls_start(f->server.d), ==, TB_OK);
    g_assert_cmpint(tb_relay_dtls_start(f->client.d), ==, TB_OK);
    pump(f);
}

static void assert_keys_crosswise(fixture *f, tb_relay_srtp_profile profile, size_t salt_len)
{
    tb_relay_srtp_keys c, s;
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f->client.d, &c), ==, TB_OK);
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f->server.d, &s), ==, TB_OK);
    g_assert_cmpint(c.profile, ==, profile);
    g_assert_cmpint(s.profile, ==, profile);
    g_assert_cmpuint(c.key_len, ==, 16);
    g_assert_cmpuint(s.key_len, ==, 16);
    g_assert_cmpuint(c.salt_len, ==, salt_len);
    g_assert_cmpuint(s.salt_len, ==, salt_len);
    g_assert_cmpmem(c.local_key, 16, s.remote_key, 16);
    g_assert_cmpmem(c.remote_key, 16, s.local_key, 16);
    g_assert_cmpmem(c.local_salt, salt_len, s.remote_salt, salt_len);
    g_assert_cmpmem(c.remote_salt, salt_len, s.local_salt, salt_len);
    g_assert_true(memcmp(c.local_key, c.remote_key, 16) != 0);
    g_assert_true(memcmp(c.local_salt, c.remote_salt, salt_len) != 0);
}

/* ---- tests ---- */

static void test_cert(void)
{
    char err[256] = "";
    tb_relay_dtls_cert *a = tb_relay_dtls_cert_create(err, sizeof err);
    tb_relay_dtls_cert *b = tb_relay_dtls_cert_create(err, sizeof err);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    const char *fp = tb_relay_dtls_cert_fingerprint(a);
    g_assert_cmpuint(strlen(fp), ==, 32 * 3 - 1);
    for (size_t i = 0; fp[i]; i++) {
        if (i % 3 == 2)
            g_assert_cmpint(fp[i], ==, ':');
        else
            g_assert_true(g_ascii_isxdigit(fp[i]) && !g_ascii_islower(fp[i]));
    }
    g_assert_cmpstr(fp, !=, tb_relay_dtls_cert_fingerprint(b));
    g_assert_true(tb_relay_dtls_cert_ref(a) == a);
    tb_relay_dtls_cert_unref(a);
    g_assert_cmpstr(tb_relay_dtls_cert_fingerprint(a), ==, fp);
    tb_relay_dtls_cert_unref(a);
    tb_relay_dtls_cert_unref(b);
    tb_relay_dtls_cert_unref(NULL);
}

static void test_handshake_profile(bool client_gcm, bool server_gcm, tb_relay_srtp_profile want,
                                   size_t salt_len)
{
    fixture f;
    pair_init(&f, client_gcm, server_gcm);
    g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_NEW);
    tb_relay_srtp_keys k;
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f.client.d, &k), ==, TB_ESTATE);
    set_fingerprints(&f);
    handshake(&f);
    g_assert_true(both_connected(&f));
    assert_keys_crosswise(&f, want, salt_len);
    /* Every datagram within the MTU, whatever the flight. */
    g_assert_cmpuint(f.client.max_datagram, <=, 1200);
    g_assert_cmpuint(f.server.max_datagram, <=, 1200);
    /* Nothing left to retransmit on the client once connected. */
    g_assert_cmpint(tb_relay_dtls_timeout_ms(f.client.d), ==, -1);
    pair_clear(&f);
}

static void test_handshake_gcm(void)
{
    test_handshake_profile(true, true, TB_RELAY_SRTP_AEAD_AES_128_GCM, 12);
}

static void test_handshake_cm(void)
{
    test_handshake_profile(false, false, TB_RELAY_SRTP_AES128_CM_SHA1_80, 14);
}

static void test_handshake_mixed(void)
{
    test_handshake_profile(true, false, TB_RELAY_SRTP_AES128_CM_SHA1_80, 14);
    test_handshake_profile(false, true, TB_RELAY_SRTP_AES128_CM_SHA1_80, 14);
}

/* The keys change with every handshake, even between the same two certificates. */
static void test_keys_fresh(void)
{
    fixture f;
    pair_init(&f, true, true);
    set_fingerprints(&f);
    handshake(&f);
    tb_relay_srtp_keys k1, k2;
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f.client.d, &k1), ==, TB_OK);
    tb_relay_dtls_destroy(f.client.d);
    tb_relay_dtls_destroy(f.server.d);
    f.client.d = tb_relay_dtls_create(f.client.cert, true, true, on_send, &f.client);
    f.server.d = tb_relay_dtls_create(f.server.cert, false, true, on_send, &f.server);
    set_fingerprints(&f);
    handshake(&f);
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f.client.d, &k2), ==, TB_OK);
    g_assert_true(memcmp(k1.local_key, k2.local_key, 16) != 0);
    pair_clear(&f);
}

static void test_fingerprint_mismatch(void)
{
    fixture f;
    pair_init(&f, true, true);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(
                        f.client.d, "sha-256", tb_relay_dtls_cert_fingerprint(f.server.cert)),
                    ==, TB_OK);
    /* The server expects a certificate the client does not have. */
    char wrong[128];
    g_strlcpy(wrong, tb_relay_dtls_cert_fingerprint(f.client.cert), sizeof wrong);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(f.server.d, "sha-256", wrong), ==, TB_OK);
    handshake(&f);
    g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_FAILED);
    tb_relay_srtp_keys k;
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f.server.d, &k), ==, TB_ESTATE);
    /* The server refused the certificate inside the handshake, with a fatal alert: the
     * client never got to CONNECTED (it would if the check came after the handshake, and
     * be told to stop only by a close_notify). */
    g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_FAILED);
    g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f.client.d, &k), ==, TB_ESTATE);
    /* A failed connection takes no more input. */
    static const uint8_t rec[16] = {22, 0xfe, 0xfd};
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, rec, sizeof rec), ==, TB_ESTATE);
    pair_clear(&f);
}

/* Same certificate, other hash: a SHA-512 value that is not the certificate's. */
static void test_fingerprint_wrong_hash(void)
{
    fixture f;
    pair_init(&f, false, false);
    GString *fp = g_string_new(NULL);
    for (int i = 0; i < 64; i++)
        g_string_append_printf(fp, "%s%02X", i ? ":" : "", i);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(f.client.d, "sha-512", fp->str), ==,
                    TB_OK);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(
                        f.server.d, "sha-256", tb_relay_dtls_cert_fingerprint(f.client.cert)),
                    ==, TB_OK);
    handshake(&f);
    g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_FAILED);
    /* The client's alert ended the server's side of the handshake as well. */
    g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_FAILED);
    g_string_free(fp, TRUE);
    pair_clear(&f);
}

static void test_fingerprint_parse(void)
{
    fixture f;
    pair_init(&f, true, true);
    tb_relay_dtls *d = f.client.d;
    const char *good = tb_relay_dtls_cert_fingerprint(f.server.cert);
    char *lower = g_ascii_strdown(good, -1);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "SHA-256", lower), ==, TB_OK);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "md5", good), ==, TB_EUNSUPPORTED);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-1", good), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-384", good), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-256", ""), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-256", NULL), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(NULL, "sha-256", good), ==, TB_EINVAL);
    char *trail = g_strconcat(good, ":", NULL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-256", trail), ==, TB_EINVAL);
    char *longer = g_strconcat(good, ":AB", NULL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-256", longer), ==, TB_EINVAL);
    char *bad = g_strdup(good);
    bad[1] = 'G';
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-256", bad), ==, TB_EINVAL);
    bad[1] = good[1];
    bad[2] = '-';
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(d, "sha-256", bad), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(
                        d, "sha-1", "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"),
                    ==, TB_OK);
    g_free(lower);
    g_free(trail);
    g_free(longer);
    g_free(bad);
    pair_clear(&f);
}

/* The handshake may finish before the peer's SDP is applied: the connection waits. */
static void test_fingerprint_late(void)
{
    for (int wrong = 0; wrong < 2; wrong++) {
        fixture f;
        pair_init(&f, true, true);
        g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(
                            f.client.d, "sha-256", tb_relay_dtls_cert_fingerprint(f.server.cert)),
                        ==, TB_OK);
        handshake(&f);
        g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_CONNECTED);
        g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_HANDSHAKING);
        tb_relay_srtp_keys k;
        g_assert_cmpint(tb_relay_dtls_get_srtp_keys(f.server.d, &k), ==, TB_ESTATE);
        const char *fp = tb_relay_dtls_cert_fingerprint(wrong ? f.server.cert : f.client.cert);
        int rc = tb_relay_dtls_set_remote_fingerprint(f.server.d, "sha-256", fp);
        if (wrong) {
            g_assert_cmpint(rc, ==, TB_EAUTH);
            g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_FAILED);
        } else {
            g_assert_cmpint(rc, ==, TB_OK);
            assert_keys_crosswise(&f, TB_RELAY_SRTP_AEAD_AES_128_GCM, 12);
            /* A re-offer with the same certificate is fine, another one is not. */
            g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(f.server.d, "sha-256", fp), ==,
                            TB_OK);
            const char *other = tb_relay_dtls_cert_fingerprint(f.server.cert);
            g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(f.server.d, "sha-256", other), ==,
                            TB_ESTATE);
            g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_CONNECTED);
        }
        pair_clear(&f);
    }
}

static void feed_random(tb_relay_dtls *d, GRand *r, uint8_t first, size_t len)
{
    uint8_t buf[1500];
    g_assert_cmpuint(len, <=, sizeof buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)g_rand_int_range(r, 0, 256);
    if (len > 0)
        buf[0] = first;
    if (len > 2) {
        buf[1] = 0xfe; /* DTLS 1.2 / 1.0 versions, so OpenSSL looks further */
        buf[2] = g_rand_boolean(r) ? 0xfd : 0xff;
    }
    if (len >= 13) {
        size_t body = len - 13;
        buf[11] = (uint8_t)(body >> 8);
        buf[12] = (uint8_t)body;
    }
    int rc = tb_relay_dtls_feed(d, buf, len);
    g_assert_cmpint(rc, <=, 0);
    if (rc < 0 && rc != TB_EINVAL && rc != TB_ESTATE)
        g_assert_cmpint(tb_relay_dtls_get_state(d), ==, TB_RELAY_DTLS_FAILED);
}

static void test_garbage(void)
{
    static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    static const uint8_t rtp[40] = {0x80, 96};
    GRand *r = g_rand_new_with_seed(1234);
    fixture f;
    pair_init(&f, true, true);
    set_fingerprints(&f);
    g_assert_cmpint(tb_relay_dtls_start(f.server.d), ==, TB_OK);

    /* Not DTLS at all: refused before OpenSSL sees it, connection untouched. */
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, stun, sizeof stun), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, rtp, sizeof rtp), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, rtp, 0), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, NULL, 5), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, (const uint8_t *)"\x16\xfe\xfd", 3), ==,
                    TB_EINVAL);
    /* Records with a DTLS header and random bodies, of every content type: no crash. */
    for (int i = 0; i < 200; i++) {
        tb_relay_dtls *d = tb_relay_dtls_create(f.server.cert, false, true, on_send, &f.server);
        feed_random(d, r, (uint8_t)g_rand_int_range(r, 20, 26),
                    (size_t)g_rand_int_range(r, 13, 1400));
        feed_random(d, r, 22, (size_t)g_rand_int_range(r, 13, 200));
        tb_relay_dtls_destroy(d);
    }
    g_queue_clear_full(&f.client.inbox, (GDestroyNotify)g_bytes_unref);
    g_queue_init(&f.client.inbox);

    /* A real ClientHello cut short: no crash. */
    g_assert_cmpint(tb_relay_dtls_start(f.client.d), ==, TB_OK);
    gsize hello_len;
    const uint8_t *hello = g_bytes_get_data(f.client.first_sent, &hello_len);
    for (gsize n = 1; n < hello_len; n += 7) {
        tb_relay_dtls *d = tb_relay_dtls_create(f.server.cert, false, true, on_send, &f.server);
        int rc = tb_relay_dtls_feed(d, hello, n);
        g_assert_cmpint(rc, <=, 0);
        tb_relay_dtls_destroy(d);
    }
    /* ...and with each byte flipped in turn. Most flips are dropped silently, as DTLS
     * wants for records it cannot parse (RFC 6347 §4.1.2.7); a ClientHello that parses
     * but makes no sense fails the handshake with an error and a FAILED state. */
    int failed = 0;
    uint8_t *copy = g_memdup2(hello, hello_len);
    for (gsize i = 0; i < hello_len; i++) {
        tb_relay_dtls *d = tb_relay_dtls_create(f.server.cert, false, true, on_send, &f.server);
        copy[i] ^= 0xff;
        int rc = tb_relay_dtls_feed(d, copy, hello_len);
        copy[i] ^= 0xff;
        if (rc == TB_EINVAL) { /* content type no longer DTLS: refused unread */
            g_assert_cmpint(i, ==, 0);
            g_assert_cmpint(tb_relay_dtls_get_state(d), ==, TB_RELAY_DTLS_NEW);
        } else if (rc < 0) {
            g_assert_cmpint(rc, ==, TB_EPROTO);
            g_assert_cmpint(tb_relay_dtls_get_state(d), ==, TB_RELAY_DTLS_FAILED);
            failed++;
        }
        tb_relay_dtls_destroy(d);
    }
    g_assert_cmpint(failed, >, 0);
    g_free(copy);
    g_queue_clear_full(&f.client.inbox, (GDestroyNotify)g_bytes_unref);
    g_queue_init(&f.client.inbox);

    /* The handshake completes despite junk records interleaved with it. */
    for (int i = 0; i < 5; i++)
        feed_random(f.server.d, r, 23, 100);
    pump(&f);
    g_assert_true(both_connected(&f));
    /* Junk application data and alerts after the handshake fail their MAC and are
     * dropped: the connection survives (RFC 6347 §4.1.2.7). */
    for (int i = 0; i < 50; i++) {
        uint8_t type = (uint8_t)g_rand_int_range(r, 20, 24);
        feed_random(f.server.d, r, type, (size_t)g_rand_int_range(r, 13, 1400));
        feed_random(f.client.d, r, type, (size_t)g_rand_int_range(r, 13, 1400));
    }
    pump(&f);
    g_assert_true(both_connected(&f));
    g_rand_free(r);
    pair_clear(&f);
}

static void test_retransmit_client_hello(void)
{
    fixture f;
    pair_init(&f, true, true);
    set_fingerprints(&f);
    g_assert_cmpint(tb_relay_dtls_timeout_ms(f.client.d), ==, -1);
    f.client.drop_next = 1;
    handshake(&f);
    g_assert_cmpint(f.client.sent, ==, 1);
    g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_HANDSHAKING);
    int t = tb_relay_dtls_timeout_ms(f.client.d);
    g_assert_cmpint(t, >, 0);
    g_assert_cmpint(t, <=, 1000);
    /* Not yet expired: nothing is resent. */
    g_assert_cmpint(tb_relay_dtls_handle_timeout(f.client.d), ==, TB_OK);
    g_assert_cmpint(f.client.sent, ==, 1);
    drive(&f, 5000);
    g_assert_true(both_connected(&f));
    g_assert_cmpint(f.client.sent, >=, 3); /* hello twice, then the second flight */
    assert_keys_crosswise(&f, TB_RELAY_SRTP_AEAD_AES_128_GCM, 12);
    pair_clear(&f);
}

/* The first retransmission timeout: 200 ms by default, what the caller sets otherwise (a
 * browser's 50 ms in the load generator); the lost ClientHello is resent when it expires
 * (an upper bound on the time would make the test depend on the machine's speed). */
static void test_retransmit_initial_timeout(void)
{
    for (int k = 0; k < 2; k++) {
        fixture f;
        pair_init(&f, true, true);
        set_fingerprints(&f);
        if (k == 1)
            tb_relay_dtls_set_rtx_initial_ms(f.client.d, 50);
        int initial = k == 1 ? 50 : 200;
        f.client.drop_next = 1;
        handshake(&f);
        int t = tb_relay_dtls_timeout_ms(f.client.d);
        g_assert_cmpint(t, >, 0);
        g_assert_cmpint(t, <=, initial);
        int64_t t0 = g_get_monotonic_time();
        drive(&f, 5000);
        int64_t took_ms = (g_get_monotonic_time() - t0) / 1000;
        g_assert_true(both_connected(&f));
        g_assert_cmpint(took_ms, >=, initial - 5); /* the hello was resent only then */
        g_assert_cmpint(f.client.sent, >=, 3);
        pair_clear(&f);
    }
}

static void test_retransmit_server_flight(void)
{
    fixture f;
    pair_init(&f, false, false);
    set_fingerprints(&f);
    f.server.drop_next = 1; /* part of ServerHello..ServerHelloDone */
    handshake(&f);
    g_assert_false(both_connected(&f));
    drive(&f, 5000);
    g_assert_true(both_connected(&f));
    assert_keys_crosswise(&f, TB_RELAY_SRTP_AES128_CM_SHA1_80, 14);
    pair_clear(&f);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost: the server is done, so
 * only the client's retransmission brings it back, answered from the server's
 * post-handshake read path. */
static void test_retransmit_final_flight(void)
{
    fixture f;
    pair_init(&f, true, true);
    set_fingerprints(&f);
    g_assert_cmpint(tb_relay_dtls_start(f.server.d), ==, TB_OK);
    g_assert_cmpint(tb_relay_dtls_start(f.client.d), ==, TB_OK);
    deliver_one(&f.server); /* ClientHello → server flight 1 */
    int flight1 = f.server.sent;
    g_assert_cmpint(flight1, >=, 1);
    while (deliver_one(&f.client)) /* → client flight (Certificate..Finished) */
        ;
    f.server.drop_next = 100; /* the final flight, however many datagrams */
    while (deliver_one(&f.server))
        ;
    int final_sent = f.server.sent - flight1;
    g_assert_cmpint(final_sent, >=, 1);
    g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_CONNECTED);
    g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_HANDSHAKING);
    f.server.drop_next = 0;
    drive(&f, 5000);
    g_assert_true(both_connected(&f));
    assert_keys_crosswise(&f, TB_RELAY_SRTP_AEAD_AES_128_GCM, 12);
    pair_clear(&f);
}

static void test_close_notify(void)
{
    for (int server_closes = 0; server_closes < 2; server_closes++) {
        fixture f;
        pair_init(&f, true, true);
        set_fingerprints(&f);
        handshake(&f);
        g_assert_true(both_connected(&f));
        endpoint *closer = server_closes ? &f.server : &f.client;
        endpoint *other = server_closes ? &f.client : &f.server;
        int before = closer->sent;
        tb_relay_dtls_close(closer->d);
        g_assert_cmpint(closer->sent, ==, before + 1);
        g_assert_cmpint(tb_relay_dtls_get_state(closer->d), ==, TB_RELAY_DTLS_CLOSED);
        g_assert_cmpint(tb_relay_dtls_get_state(other->d), ==, TB_RELAY_DTLS_CONNECTED);
        pump(&f); /* close_notify, and the other side's answer to a closed endpoint */
        g_assert_cmpint(tb_relay_dtls_get_state(other->d), ==, TB_RELAY_DTLS_CLOSED);
        g_assert_cmpint(tb_relay_dtls_get_state(closer->d), ==, TB_RELAY_DTLS_CLOSED);
        tb_relay_srtp_keys k;
        g_assert_cmpint(tb_relay_dtls_get_srtp_keys(other->d, &k), ==, TB_ESTATE);
        g_assert_cmpint(tb_relay_dtls_start(other->d), ==, TB_ESTATE);
        tb_relay_dtls_close(other->d); /* idempotent */
        pair_clear(&f);
    }
}

/* ---- against a plain OpenSSL peer ----
 * Two tb_relay_dtls agree with each other even if both had client and server halves of
 * the exporter swapped; a peer written directly on OpenSSL pins down RFC 5764 §4.2's
 * order (client key | server key | client salt | server salt), and lets us check the
 * other fingerprint hashes against a certificate whose DER we hold. */

typedef struct raw_peer {
    SSL_CTX *ctx;
    SSL *ssl;
    X509 *x509;
} raw_peer;

static int raw_verify_any(X509_STORE_CTX *store, void *arg)
{
    return 1;
}

static void raw_init(raw_peer *r, bool client)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    g_assert_nonnull(pkey);
    r->x509 = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(r->x509), 1);
    X509_gmtime_adj(X509_getm_notBefore(r->x509), 0);
    X509_gmtime_adj(X509_getm_notAfter(r->x509), 3600);
    X509_set_pubkey(r->x509, pkey);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(r->x509), "CN", MBSTRING_ASC,
                               (const unsigned char *)"raw", -1, -1, 0);
    X509_set_issuer_name(r->x509, X509_get_subject_name(r->x509));
    g_assert_cmpint(X509_sign(r->x509, pkey, EVP_sha256()), >, 0);
    r->ctx = SSL_CTX_new(client ? DTLS_client_method() : DTLS_server_method());
    g_assert_cmpint(SSL_CTX_use_certificate(r->ctx, r->x509), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey(r->ctx, pkey), ==, 1);
    /* Any certificate: the test checks our side, not this one. */
    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(r->ctx, raw_verify_any, NULL);
    g_assert_cmpint(SSL_CTX_set_tlsext_use_srtp(r->ctx, "SRTP_AES128_CM_SHA1_80"), ==, 0);
    EVP_PKEY_free(pkey);
    r->ssl = SSL_new(r->ctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rb, -1);
    BIO_set_mem_eof_return(wb, -1);
    SSL_set_bio(r->ssl, rb, wb);
    if (client)
        SSL_set_connect_state(r->ssl);
    else
        SSL_set_accept_state(r->ssl);
}

static void raw_clear(raw_peer *r)
{
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
    X509_free(r->x509);
    ERR_clear_error();
}

static char *raw_fingerprint(raw_peer *r, const EVP_MD *md)
{
    uint8_t buf[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    g_assert_cmpint(X509_digest(r->x509, md, buf, &n), ==, 1);
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", buf[i]);
    return g_string_free(s, FALSE);
}

/* Runs the raw peer against ep->d: whatever the raw side writes goes to ep->d in one
 * datagram per step (flights here fit one datagram), ep->d's datagrams go to the raw
 * side from ep->peer's inbox (on_send queues them there). */
static void raw_pump(raw_peer *r, endpoint *ep)
{
    for (int i = 0; i < 50; i++) {
        (void)SSL_do_handshake(r->ssl);
        uint8_t buf[4096];
        int n = BIO_read(SSL_get_wbio(r->ssl), buf, sizeof buf);
        if (n > 0)
            (void)tb_relay_dtls_feed(ep->d, buf, (size_t)n);
        GBytes *b = g_queue_pop_head(&ep->peer->inbox);
        if (b) {
            gsize len;
            const uint8_t *p = g_bytes_get_data(b, &len);
            BIO_write(SSL_get_rbio(r->ssl), p, (int)len);
            g_bytes_unref(b);
        }
        if (n <= 0 && !b && SSL_is_init_finished(r->ssl))
            return;
    }
}

static void test_interop_openssl(gconstpointer data)
{
    bool we_are_client = GPOINTER_TO_INT(data);
    static const char *hashes[] = {"sha-1", "sha-256", "sha-384", "sha-512"};
    const EVP_MD *mds[] = {EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512()};
    for (size_t h = 0; h < G_N_ELEMENTS(hashes); h++) {
        endpoint ep, sink;
        endpoint_init(&ep, &sink, we_are_client, true);
        memset(&sink, 0, sizeof sink);
        g_queue_init(&sink.inbox);
        raw_peer r;
        raw_init(&r, !we_are_client);
        char *fp = raw_fingerprint(&r, mds[h]);
        g_assert_cmpint(tb_relay_dtls_set_remote_fingerprint(ep.d, hashes[h], fp), ==, TB_OK);
        g_assert_cmpint(tb_relay_dtls_start(ep.d), ==, TB_OK);
        raw_pump(&r, &ep);
        g_assert_cmpint(tb_relay_dtls_get_state(ep.d), ==, TB_RELAY_DTLS_CONNECTED);
        g_assert_true(SSL_is_init_finished(r.ssl));

        tb_relay_srtp_keys k;
        g_assert_cmpint(tb_relay_dtls_get_srtp_keys(ep.d, &k), ==, TB_OK);
        g_assert_cmpint(k.profile, ==, TB_RELAY_SRTP_AES128_CM_SHA1_80);
        uint8_t m[60];
        g_assert_cmpint(
            SSL_export_keying_material(r.ssl, m, sizeof m, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0),
            ==, 1);
        const uint8_t *ck = m, *sk = m + 16, *cs = m + 32, *ss = m + 46;
        g_assert_cmpmem(k.local_key, 16, we_are_client ? ck : sk, 16);
        g_assert_cmpmem(k.remote_key, 16, we_are_client ? sk : ck, 16);
        g_assert_cmpmem(k.local_salt, 14, we_are_client ? cs : ss, 14);
        g_assert_cmpmem(k.remote_salt, 14, we_are_client ? ss : cs, 14);
        g_free(fp);
        raw_clear(&r);
        endpoint_clear(&ep);
        g_queue_clear_full(&sink.inbox, (GDestroyNotify)g_bytes_unref);
    }
}

static void test_states(void)
{
    fixture f;
    pair_init(&f, true, true);
    static const uint8_t rec[16] = {22, 0xfe, 0xfd};
    /* A client that has not started takes no input. */
    g_assert_cmpint(tb_relay_dtls_feed(f.client.d, rec, sizeof rec), ==, TB_ESTATE);
    g_assert_cmpint(tb_relay_dtls_get_state(f.client.d), ==, TB_RELAY_DTLS_NEW);
    /* Nor does garbage wake a server. */
    static const uint8_t stun[20] = {0x00, 0x01};
    g_assert_cmpint(tb_relay_dtls_feed(f.server.d, stun, sizeof stun), ==, TB_EINVAL);
    g_assert_cmpint(tb_relay_dtls_get_state(f.server.d), ==, TB_RELAY_DTLS_NEW);
    /* A server that has not started answers an early ClientHello. */
    set_fingerprints(&f);
    g_assert_cmpint(tb_relay_dtls_start(f.client.d), ==, TB_OK);
    g_assert_cmpint(tb_relay_dtls_start(f.client.d), ==, TB_OK);
    pump(&f);
    g_assert_true(both_connected(&f));
    g_assert_cmpint(tb_relay_dtls_start(f.server.d), ==, TB_OK);
    /* Closing before the handshake sends nothing. */
    tb_relay_dtls *d = tb_relay_dtls_create(f.client.cert, true, false, on_send, &f.client);
    int before = f.client.sent;
    tb_relay_dtls_close(d);
    g_assert_cmpint(f.client.sent, ==, before);
    g_assert_cmpint(tb_relay_dtls_get_state(d), ==, TB_RELAY_DTLS_CLOSED);
    tb_relay_dtls_destroy(d);
    g_assert_null(tb_relay_dtls_create(NULL, true, true, on_send, NULL));
    g_assert_null(tb_relay_dtls_create(f.client.cert, true, true, NULL, NULL));
    tb_relay_dtls_destroy(NULL);
    pair_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tb_log_set_level(TB_LOG_LEVEL_ERR);
    g_test_add_func("/relay/dtls/cert", test_cert);
    g_test_add_func("/relay/dtls/handshake/gcm", test_handshake_gcm);
    g_test_add_func("/relay/dtls/handshake/cm", test_handshake_cm);
    g_test_add_func("/relay/dtls/handshake/mixed", test_handshake_mixed);
    g_test_add_func("/relay/dtls/handshake/fresh-keys", test_keys_fresh);
    g_test_add_func("/relay/dtls/fingerprint/mismatch", test_fingerprint_mismatch);
    g_test_add_func("/relay/dtls/fingerprint/wrong-hash", test_fingerprint_wrong_hash);
    g_test_add_func("/relay/dtls/fingerprint/parse", test_fingerprint_parse);
    g_test_add_func("/relay/dtls/fingerprint/late", test_fingerprint_late);
    g_test_add_func("/relay/dtls/garbage", test_garbage);
    g_test_add_func("/relay/dtls/retransmit/client-hello", test_retransmit_client_hello);
    g_test_add_func("/relay/dtls/retransmit/server-flight", test_retransmit_server_flight);
    g_test_add_func("/relay/dtls/retransmit/initial-timeout", test_retransmit_initial_timeout);
    g_test_add_func("/relay/dtls/retransmit/final-flight", test_retransmit_final_flight);
    g_test_add_func("/relay/dtls/close-notify", test_close_notify);
    g_test_add_func("/relay/dtls/states", test_states);
    g_test_add_data_func("/relay/dtls/interop/openssl-server", GINT_TO_POINTER(1),
                         test_interop_openssl);
    g_test_add_data_func("/relay/dtls/interop/openssl-client", GINT_TO_POINTER(0),
                         test_interop_openssl);
    return g_test_run();
}
