/* dtls.c — DTLS-SRTP (RFC 5764) on OpenSSL 3, fed from and draining into memory.
 *
 * The certificate object owns the one SSL_CTX (key, certificate, DTLS 1.2 only, ciphers,
 * verify mode) so every connection shares it; what differs per connection — role and the
 * offered SRTP profiles — is set on the SSL. SSL_new() on a shared SSL_CTX is thread safe,
 * and the context has no session cache or tickets, so nothing in it changes after create.
 *
 * Input: a BIO_s_mem with mem_eof_return -1, so an empty BIO means "want read", never EOF.
 * Each call feeds exactly one datagram and runs OpenSSL until it wants more; the DTLS
 * record layer pulls the whole datagram in one BIO_read, so datagram boundaries survive.
 *
 * Output: a small BIO of our own that keeps each BIO_write as one datagram in a queue,
 * drained into the send callback after every operation. A BIO_s_mem would concatenate
 * whatever OpenSSL writes during one call: a handshake flight that OpenSSL has split into
 * several MTU-sized datagrams would come out as one datagram larger than the MTU, and
 * cutting the byte stream at the MTU would split records. With our BIO the sizes are
 * OpenSSL's own: during the handshake it puts a buffering BIO in front of ours and
 * flushes it whenever the next record would not fit into the MTU, so each write we see
 * is one datagram of whole records. Datagrams are queued (not sent from inside the BIO)
 * so that the send callback never runs in the middle of an OpenSSL call.
 *
 * Verification (RFC 8122 §5, RFC 5763 §5): self-signed certificates cannot chain anywhere,
 * so OpenSSL's chain verification is replaced by our own callback, which hashes the peer's
 * certificate with the algorithm from its SDP and compares: a mismatch fails the
 * handshake with a fatal alert. If the fingerprint is not known yet, the certificate is
 * checked once the handshake is done, and until the fingerprint comes the connection
 * waits in HANDSHAKING (OpenSSL keeps answering retransmissions);
 * tb_relay_dtls_set_remote_fingerprint() then returns TB_EAUTH on a mismatch.
 * Renegotiation is refused, so the certificate checked is the one that protects the keys.
 *
 * Application data (a data channel's SCTP) is read and dropped: the relay offers none. */
#define TB_LOG_CAT "relay/dtls"

#include "relay/dtls.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <glib.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* Largest datagram OpenSSL may emit: with UDP/IPv6 (48 bytes) and a TURN channel header
 * (4) it still fits the IPv6 minimum MTU of 1280, so no path fragments it. */
#define DTLS_MTU 1200
/* Largest datagram accepted: one record of 2^14 bytes plus expansion (RFC 6347 §4.1). */
#define DTLS_MAX_DATAGRAM  (16384 + 2048 + 13)
#define DTLS_RECORD_HEADER 13
/* Handshake retransmission: first timeout, doubling up to the cap. OpenSSL's default
 * starts at 1 s and grows to 60 s, far too slow for call set-up; OpenSSL gives up after
 * 12 timeouts, here about 30 s. */
#define RTX_INITIAL_US 200000u
#define RTX_MAX_US     3200000u
/* A flight is a handful of datagrams; more than this queued means a bug or a flood. */
#define OUTQ_MAX           64
#define CERT_LIFETIME_DAYS 365
#define EXPORTER_LABEL     "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */
/* Certificates with ECDSA keys (ours, Chrome's, Firefox's) and RSA ones (older peers). */
#define CIPHERS                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                                   \
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"

struct tb_relay_dtls_cert {
    gint refcount;
    SSL_CTX *ctx; /* owns the key and certificate */
    char fingerprint[EVP_MAX_MD_SIZE * 3];
};

struct tb_relay_dtls {
    tb_relay_dtls_cert *cert; /* holds a reference */
    SSL *ssl;                 /* owns rbio and the output BIO */
    BIO *rbio;
    GQueue outq; /* GBytes, one per datagram, until drain() */
    tb_relay_dtls_send_fn send;
    void *user;
    tb_relay_dtls_state state;
    bool is_client;
    bool handshake_done;     /* OpenSSL finished; CONNECTED once the fingerprint matched */
    const EVP_MD *remote_md; /* NULL until set_remote_fingerprint */
    uint8_t remote_fp[EVP_MAX_MD_SIZE];
    unsigned remote_fp_len;
    bool peer_checked;       /* the peer's certificate matched remote_fp during the handshake */
    tb_relay_srtp_keys keys; /* valid in CONNECTED */
    tb_log_ratelimit rl;
    unsigned rtx_initial_us; /* first handshake retransmission timeout */
};

/* ---- OpenSSL helpers ---- */

/* Logs and empties this thread's OpenSSL error queue, so a failure on one connection
 * does not show up in SSL_get_error() of the next one on the same worker. */
static void log_ssl_errors(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "no OpenSSL error";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    TB_LOG_WARN("%s: %s", what, buf);
    ERR_clear_error();
}

static void set_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, reason ? reason : "failed");
    ERR_clear_error();
}

/* ---- output BIO: one BIO_write = one datagram ---- */

static int outbio_write(BIO *b, const char *buf, int len)
{
    tb_relay_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    if (g_queue_get_length(&d->outq) >= OUTQ_MAX) {
        /* Dropped like a full socket buffer would; DTLS retransmits. */
        if (tb_log_ratelimit_ok(&d->rl))
            TB_LOG_WARN("output queue full, datagram of %d bytes dropped", len);
        return len;
    }
    g_queue_push_tail(&d->outq, g_bytes_new(buf, (gsize)len));
    return len;
}

static long outbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    /* Flush succeeds; everything else answers 0. That includes WPENDING: queued datagrams
     * count as sent, since DTLS subtracts pending bytes from the room it has left in the
     * datagram it is filling. */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int outbio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *outbio_method(void)
{
    static gsize once;
    static BIO_METHOD *method;
    if (g_once_init_enter(&once)) {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tb-dtls-out");
        if (m) {
            BIO_meth_set_write(m, outbio_write);
            BIO_meth_set_ctrl(m, outbio_ctrl);
            BIO_meth_set_create(m, outbio_create);
        }
        method = m; /* lives as long as the process */
        g_once_init_leave(&once, 1);
    }
    return method;
}

/* ---- certificate ---- */

/* Does the certificate hash to fp (len bytes) under md? */
static bool cert_hashes_to(X509 *peer, const EVP_MD *md, const uint8_t *fp, unsigned len)
{
    uint8_t got[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    return peer && X509_digest(peer, md, got, &n) == 1 && n == len &&
           CRYPTO_memcmp(got, fp, n) == 0;
}

static bool cert_matches(const tb_relay_dtls *d, X509 *peer)
{
    return cert_hashes_to(peer, d->remote_md, d->remote_fp, d->remote_fp_len);
}

/* In place of OpenSSL's chain verification, which has nothing to verify in a WebRTC peer's
 * self-signed certificate: the certificate must hash to the fingerprint of the peer's SDP.
 * Checked here when that fingerprint is known, so that a mismatch ends the handshake with
 * a fatal alert before any key is derived (after the handshake OpenSSL can only send
 * close_notify); when it is not known yet, on_handshake_done() waits for it. */
static int check_peer_cert(X509_STORE_CTX *store, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    tb_relay_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *peer = X509_STORE_CTX_get0_cert(store);
    if (!d || !peer) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    if (!d->remote_md)
        return 1;
    if (!cert_matches(d, peer)) {
        TB_LOG_WARN("peer certificate does not match the fingerprint from its SDP");
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    d->peer_checked = true;
    return 1;
}

static X509 *make_x509(EVP_PKEY *pkey)
{
    X509 *x = X509_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    uint64_t rnd = 0;
    bool ok = x && serial && RAND_bytes((unsigned char *)&rnd, sizeof rnd) == 1;
    /* A positive 63-bit serial; X.509 wants it unique per issuer, and each issuer here
     * issues one certificate. */
    ok = ok && ASN1_INTEGER_set_uint64(serial, rnd >> 1) == 1 && X509_set_serialNumber(x, serial);
    ok = ok && X509_set_version(x, X509_VERSION_3);
    /* A day of slack for peers whose clocks run behind. */
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -24L * 3600);
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(x), CERT_LIFETIME_DAYS * 24L * 3600);
    ok = ok && X509_set_pubkey(x, pkey);
    X509_NAME *name = ok ? X509_get_subject_name(x) : NULL;
    ok = ok && name &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"telebridge",
                                    -1, -1, 0);
    ok = ok && X509_set_issuer_name(x, name);
    ok = ok && X509_sign(x, pkey, EVP_sha256()) > 0;
    ASN1_INTEGER_free(serial);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static SSL_CTX *make_ctx(X509 *x509, EVP_PKEY *pkey)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return NULL;
    bool ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
              SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) &&
              SSL_CTX_set_cipher_list(ctx, CIPHERS) &&
              SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") &&
              SSL_CTX_use_certificate(ctx, x509) == 1 && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
              SSL_CTX_check_private_key(ctx) == 1;
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* Both roles ask for the peer's certificate: the server sends a CertificateRequest,
     * and a peer without a certificate cannot be matched to its fingerprint. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, check_peer_cert, NULL);
    return ctx;
}

static void format_fingerprint(const uint8_t *md, unsigned n, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (unsigned i = 0; i < n && o + 3 <= outlen; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[o] = '\0';
}

tb_relay_dtls_cert *tb_relay_dtls_cert_create(char *err, size_t errlen)
{
    ERR_clear_error();
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    if (!pkey) {
        set_err(err, errlen, "P-256 key generation");
        return NULL;
    }
    X509 *x509 = make_x509(pkey);
    if (!x509) {
        set_err(err, errlen, "self-signed certificate");
        EVP_PKEY_free(pkey);
        return NULL;
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    SSL_CTX *ctx = NULL;
    if (X509_digest(x509, EVP_sha256(), md, &n) != 1)
        set_err(err, errlen, "certificate digest");
    else if (!(ctx = make_ctx(x509, pkey)))
        set_err(err, errlen, "DTLS context");
    X509_free(x509); /* the context holds its own references */
    EVP_PKEY_free(pkey);
    if (!ctx)
        return NULL;

    tb_relay_dtls_cert *c = g_new0(tb_relay_dtls_cert, 1);
    c->refcount = 1;
    c->ctx = ctx;
    format_fingerprint(md, n, c->fingerprint, sizeof c->fingerprint);
    return c;
}

tb_relay_dtls_cert *tb_relay_dtls_cert_ref(tb_relay_dtls_cert *c)
{
    if (c)
        g_atomic_int_inc(&c->refcount);
    return c;
}

void tb_relay_dtls_cert_unref(tb_relay_dtls_cert *c)
{
    if (c && g_atomic_int_dec_and_test(&c->refcount)) {
        SSL_CTX_free(c->ctx);
        g_free(c);
    }
}

const char *tb_relay_dtls_cert_fingerprint(const tb_relay_dtls_cert *c)
{
    return c->fingerprint;
}

/* ---- connection lifecycle ---- */

static unsigned int rtx_timer_cb(SSL *ssl, unsigned int previous_us)
{
    const tb_relay_dtls *d = SSL_get_app_data(ssl);
    if (previous_us == 0)
        return d ? d->rtx_initial_us : RTX_INITIAL_US;
    return previous_us >= RTX_MAX_US / 2 ? RTX_MAX_US : previous_us * 2;
}

tb_relay_dtls *tb_relay_dtls_create(tb_relay_dtls_cert *cert, bool is_client, bool allow_gcm,
                                    tb_relay_dtls_send_fn send, void *user)
{
    if (!cert || !send)
        return NULL;
    BIO_METHOD *method = outbio_method();
    if (!method)
        return NULL;
    ERR_clear_error();
    tb_relay_dtls *d = g_new0(tb_relay_dtls, 1);
    g_queue_init(&d->outq);
    d->send = send;
    d->user = user;
    d->is_client = is_client;
    d->state = TB_RELAY_DTLS_NEW;
    d->rtx_initial_us = RTX_INITIAL_US;

    d->ssl = SSL_new(cert->ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(method);
    if (!d->ssl || !rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        goto fail;
    }
    SSL_set_app_data(d->ssl, d);
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, rbio, wbio);
    d->rbio = rbio;

    /* Preference order; a server picks by its own order (OpenSSL's use_srtp). SSL_set_
     * tlsext_use_srtp returns 0 on success. */
    const char *profiles =
        allow_gcm ? "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80" : "SRTP_AES128_CM_SHA1_80";
    if (SSL_set_tlsext_use_srtp(d->ssl, profiles) != 0)
        goto fail;
    /* There is no socket to ask for a path MTU: fix it (SSL_OP_NO_QUERY_MTU on the ctx). */
    if (!DTLS_set_link_mtu(d->ssl, DTLS_MTU))
        goto fail;
    DTLS_set_timer_cb(d->ssl, rtx_timer_cb);
    if (is_client)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    d->cert = tb_relay_dtls_cert_ref(cert);
    return d;

fail:
    log_ssl_errors("DTLS connection set-up");
    tb_relay_dtls_destroy(d);
    return NULL;
}

void tb_relay_dtls_destroy(tb_relay_dtls *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    g_queue_clear_full(&d->outq, (GDestroyNotify)g_bytes_unref);
    tb_relay_dtls_cert_unref(d->cert);
    OPENSSL_cleanse(&d->keys, sizeof d->keys);
    g_free(d);
}

/* ---- fingerprint ---- */

static const EVP_MD *md_by_sdp_name(const char *hash)
{
    /* RFC 8122 §5 names, compared without case: some peers write "SHA-256". */
    if (g_ascii_strcasecmp(hash, "sha-256") == 0)
        return EVP_sha256();
    if (g_ascii_strcasecmp(hash, "sha-1") == 0)
        return EVP_sha1();
    if (g_ascii_strcasecmp(hash, "sha-384") == 0)
        return EVP_sha384();
    if (g_ascii_strcasecmp(hash, "sha-512") == 0)
        return EVP_sha512();
    return NULL;
}

/* "AB:cd:..." → bytes; exactly want bytes, two hex digits each, single colons between. */
static bool parse_fingerprint(const char *hex, uint8_t *out, unsigned want)
{
    unsigned n = 0;
    const char *p = hex;
    for (;;) {
        int hi = g_ascii_xdigit_value(p[0]);
        int lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[1]);
        if (lo < 0 || n == want)
            return false;
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (*p == '\0')
            return n == want;
        if (*p++ != ':')
            return false;
    }
}

/* ---- state changes ---- */

static void drain(tb_relay_dtls *d)
{
    GBytes *b;
    while ((b = g_queue_pop_head(&d->outq))) {
        gsize n;
        const uint8_t *p = g_bytes_get_data(b, &n);
        d->send(d->user, p, n);
        g_bytes_unref(b);
    }
}

static int fail(tb_relay_dtls *d, int code, const char *why)
{
    d->state = TB_RELAY_DTLS_FAILED;
    log_ssl_errors(why);
    return code;
}

static void send_close_notify(tb_relay_dtls *d)
{
    ERR_clear_error();
    /* Returns 0 ("sent, peer's not yet seen"), 1, or <0 during a handshake: all fine. */
    (void)SSL_shutdown(d->ssl);
    ERR_clear_error();
}

static int verify_fingerprint(tb_relay_dtls *d)
{
    X509 *peer = SSL_get0_peer_certificate(d->ssl);
    if (!peer)
        return fail(d, TB_EPROTO, "peer certificate missing");
    if (!d->peer_checked && !cert_matches(d, peer)) {
        TB_LOG_WARN("peer certificate does not match the fingerprint from its SDP");
        d->state = TB_RELAY_DTLS_FAILED;
        /* OpenSSL cannot send a fatal alert after the handshake; close_notify at least
         * tells the peer to stop instead of sending media we will drop. */
        send_close_notify(d);
        return TB_EAUTH;
    }
    d->state = TB_RELAY_DTLS_CONNECTED;
    TB_LOG_INFO("DTLS connected as %s, SRTP profile %s", d->is_client ? "client" : "server",
                d->keys.profile == TB_RELAY_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM"
                                                                  : "AES128_CM_SHA1_80");
    return TB_OK;
}

/* RFC 5764 §4.2: the exporter output is client key | server key | client salt | server
 * salt; "local" is the client's half when we are the client. */
static int export_keys(tb_relay_dtls *d)
{
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p)
        return fail(d, TB_EPROTO, "peer negotiated no SRTP profile");
    tb_relay_srtp_keys *k = &d->keys;
    memset(k, 0, sizeof *k);
    k->key_len = 16;
    if (p->id == SRTP_AEAD_AES_128_GCM) {
        k->profile = TB_RELAY_SRTP_AEAD_AES_128_GCM;
        k->salt_len = 12;
    } else if (p->id == SRTP_AES128_CM_SHA1_80) {
        k->profile = TB_RELAY_SRTP_AES128_CM_SHA1_80;
        k->salt_len = 14;
    } else {
        return fail(d, TB_EPROTO, "unexpected SRTP profile");
    }
    uint8_t m[2 * (16 + 14)];
    size_t kl = k->key_len, sl = k->salt_len;
    if (SSL_export_keying_material(d->ssl, m, 2 * (kl + sl), EXPORTER_LABEL, strlen(EXPORTER_LABEL),
                                   NULL, 0, 0) != 1)
        return fail(d, TB_EIO, "exporting SRTP keys");
    const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
    memcpy(k->local_key, d->is_client ? ck : sk, kl);
    memcpy(k->remote_key, d->is_client ? sk : ck, kl);
    memcpy(k->local_salt, d->is_client ? cs : ss, sl);
    memcpy(k->remote_salt, d->is_client ? ss : cs, sl);
    OPENSSL_cleanse(m, sizeof m);
    return TB_OK;
}

static int on_handshake_done(tb_relay_dtls *d)
{
    d->handshake_done = true;
    int rc = export_keys(d);
    if (rc != TB_OK)
        return rc;
    if (!d->remote_md) {
        TB_LOG_INFO("DTLS handshake done, waiting for the peer's fingerprint");
        return TB_OK;
    }
    return verify_fingerprint(d);
}

/* After the handshake: retransmitted handshake flights (OpenSSL answers them by resending
 * its last flight), application data (dropped), alerts. */
static int read_records(tb_relay_dtls *d)
{
    uint8_t scratch[2048];
    for (;;) {
        int n = SSL_read(d->ssl, scratch, sizeof scratch);
        if (n > 0)
            continue;
        switch (SSL_get_error(d->ssl, n)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return TB_OK;
        case SSL_ERROR_ZERO_RETURN:
            /* close_notify: answer with ours (RFC 5246 §7.2.1). */
            TB_LOG_INFO("DTLS closed by peer");
            send_close_notify(d);
            d->state = TB_RELAY_DTLS_CLOSED;
            return TB_OK;
        default:
            return fail(d, TB_EPROTO, "DTLS read");
        }
    }
}

static int step_handshake(tb_relay_dtls *d)
{
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) {
        int rc = on_handshake_done(d);
        /* Records that arrived in the same datagram as the last flight. */
        return rc == TB_OK && d->state != TB_RELAY_DTLS_FAILED ? read_records(d) : rc;
    }
    switch (SSL_get_error(d->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return TB_OK;
    case SSL_ERROR_ZERO_RETURN:
        d->state = TB_RELAY_DTLS_CLOSED;
        return TB_OK;
    default:
        return fail(d, TB_EPROTO, "DTLS handshake");
    }
}

/* ---- public operations ---- */

int tb_relay_dtls_set_remote_fingerprint(tb_relay_dtls *d, const char *hash, const char *hex)
{
    if (!d || !hash || !hex)
        return TB_EINVAL;
    const EVP_MD *md = md_by_sdp_name(hash);
    if (!md)
        return TB_EUNSUPPORTED;
    uint8_t fp[EVP_MAX_MD_SIZE];
    unsigned len = (unsigned)EVP_MD_get_size(md);
    if (!parse_fingerprint(hex, fp, len))
        return TB_EINVAL;
    if (d->state == TB_RELAY_DTLS_FAILED || d->state == TB_RELAY_DTLS_CLOSED)
        return TB_ESTATE;
    if (d->state == TB_RELAY_DTLS_CONNECTED) {
        /* A re-offer repeats the fingerprint, possibly under another hash. A different
         * certificate needs a new DTLS association (RFC 8842 §5), not this one. */
        if (!cert_hashes_to(SSL_get0_peer_certificate(d->ssl), md, fp, len))
            return TB_ESTATE;
    }
    if (d->state != TB_RELAY_DTLS_CONNECTED &&
        (md != d->remote_md || len != d->remote_fp_len || memcmp(fp, d->remote_fp, len) != 0))
        d->peer_checked = false; /* checked against another fingerprint */
    d->remote_md = md;
    memcpy(d->remote_fp, fp, len);
    d->remote_fp_len = len;
    if (d->state != TB_RELAY_DTLS_HANDSHAKING || !d->handshake_done)
        return TB_OK;
    int rc = verify_fingerprint(d);
    drain(d);
    return rc;
}

int tb_relay_dtls_start(tb_relay_dtls *d)
{
    if (!d)
        return TB_EINVAL;
    if (d->state == TB_RELAY_DTLS_FAILED || d->state == TB_RELAY_DTLS_CLOSED)
        return TB_ESTATE;
    if (d->state != TB_RELAY_DTLS_NEW)
        return TB_OK; /* a server is started by an early ClientHello */
    d->state = TB_RELAY_DTLS_HANDSHAKING;
    if (!d->is_client)
        return TB_OK;
    ERR_clear_error();
    int rc = step_handshake(d); /* writes the ClientHello */
    drain(d);
    return rc;
}

int tb_relay_dtls_feed(tb_relay_dtls *d, const uint8_t *buf, size_t len)
{
    if (!d || !buf)
        return TB_EINVAL;
    if (d->state == TB_RELAY_DTLS_FAILED)
        return TB_ESTATE;
    if (d->state == TB_RELAY_DTLS_CLOSED)
        return TB_OK; /* late retransmissions and the answer to our close_notify */
    /* Content types 20..63 are DTLS (RFC 7983 §7); the caller demultiplexes on the same
     * range, so anything else is garbage. It is refused before OpenSSL sees it and
     * leaves the connection as it was: TB_EINVAL without FAILED. */
    if (len < DTLS_RECORD_HEADER || len > DTLS_MAX_DATAGRAM || buf[0] < 20 || buf[0] > 63) {
        if (tb_log_ratelimit_ok(&d->rl))
            TB_LOG_WARN("dropped a %zu-byte datagram that is not DTLS", len);
        return TB_EINVAL;
    }
    if (d->state == TB_RELAY_DTLS_NEW) {
        /* The peer's ICE may see the pair connected before ours does: a server answers
         * an early ClientHello; a client has nothing to answer before its own hello. */
        if (d->is_client)
            return TB_ESTATE;
        d->state = TB_RELAY_DTLS_HANDSHAKING;
    }
    ERR_clear_error();
    if (BIO_write(d->rbio, buf, (int)len) != (int)len)
        return fail(d, TB_ENOMEM, "buffering a DTLS datagram");
    int rc = d->handshake_done ? read_records(d) : step_handshake(d);
    /* Whatever OpenSSL left unread (nothing, unless it failed) must not merge with the
     * next datagram. */
    (void)BIO_reset(d->rbio);
    drain(d);
    return rc;
}

tb_relay_dtls_state tb_relay_dtls_get_state(const tb_relay_dtls *d)
{
    return d->state;
}

void tb_relay_dtls_set_rtx_initial_ms(tb_relay_dtls *d, unsigned ms)
{
    if (d && ms > 0)
        d->rtx_initial_us = ms >= RTX_MAX_US / 1000u ? RTX_MAX_US : ms * 1000u;
}

int tb_relay_dtls_timeout_ms(tb_relay_dtls *d)
{
    if (d->state != TB_RELAY_DTLS_HANDSHAKING && d->state != TB_RELAY_DTLS_CONNECTED)
        return -1;
    struct timeval tv;
    if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return -1;
    /* Round up: waking a little early would find the timer not yet expired. */
    int64_t ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int tb_relay_dtls_handle_timeout(tb_relay_dtls *d)
{
    if (d->state != TB_RELAY_DTLS_HANDSHAKING && d->state != TB_RELAY_DTLS_CONNECTED)
        return TB_OK;
    ERR_clear_error();
    int rc = TB_OK;
    /* 0: not expired yet; 1: flight resent; -1: gave up after 12 timeouts or failed. */
    if (DTLSv1_handle_timeout(d->ssl) < 0)
        rc = fail(d, TB_EIO, "DTLS handshake timed out");
    drain(d);
    return rc;
}

int tb_relay_dtls_get_srtp_keys(tb_relay_dtls *d, tb_relay_srtp_keys *out)
{
    if (!d || !out)
        return TB_EINVAL;
    if (d->state != TB_RELAY_DTLS_CONNECTED)
        return TB_ESTATE;
    *out = d->keys;
    return TB_OK;
}

void tb_relay_dtls_close(tb_relay_dtls *d)
{
    if (!d || d->state == TB_RELAY_DTLS_FAILED || d->state == TB_RELAY_DTLS_CLOSED)
        return;
    /* During the handshake OpenSSL refuses to send close_notify; the peer times out. */
    if (d->handshake_done)
        send_close_notify(d);
    d->state = TB_RELAY_DTLS_CLOSED;
    drain(d);
}
