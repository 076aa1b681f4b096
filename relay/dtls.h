/* dtls.h — DTLS-SRTP (RFC 5764) on OpenSSL over memory BIOs.
 *
 * The relay owns the transport (libnice), so OpenSSL never touches a socket: records
 * arriving on the ICE component are fed in with tb_relay_dtls_feed(), and records
 * OpenSSL wants to send come out through the send callback. One certificate (ECDSA
 * P-256, self-signed, generated at start) serves every connection; its SHA-256
 * fingerprint goes into our SDP. The peer's certificate is accepted during the handshake
 * and then checked against the fingerprint from its SDP (RFC 8122 §5).
 *
 * Threads: a tb_relay_dtls lives on its connection's media worker and is used only
 * there; [owner] below means that one thread (for tb-bench's load generator, its own).
 * tb_relay_dtls_cert is immutable after create and shared by refcount: any thread.
 *
 * Ownership: _create returns an object the caller owns (transfer full); a certificate is
 * released with tb_relay_dtls_cert_unref, a connection with tb_relay_dtls_destroy. Pointer
 * arguments are borrowed for the call unless a function says otherwise (transfer none):
 * nothing here keeps a caller's string or buffer after returning. */
#ifndef TB_RELAY_DTLS_H
#define TB_RELAY_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_relay_dtls_cert tb_relay_dtls_cert;
typedef struct tb_relay_dtls tb_relay_dtls;

/* Creates a fresh key pair and self-signed certificate, with its SSL_CTX. Returns one
 * reference (transfer full: the caller drops it with tb_relay_dtls_cert_unref), or NULL
 * with a reason in err (the caller's buffer of errlen bytes; err may be NULL). Any
 * thread. */
tb_relay_dtls_cert *tb_relay_dtls_cert_create(char *err, size_t errlen);
/* Adds a reference and returns c (NULL gives NULL). Any thread (atomic). */
tb_relay_dtls_cert *tb_relay_dtls_cert_ref(tb_relay_dtls_cert *c);
/* Drops one reference; the last one frees the certificate, key and SSL_CTX. Connections
 * hold their own (tb_relay_dtls_create), so it may drop while they live. NULL is a no-op.
 * Any thread (atomic). */
void tb_relay_dtls_cert_unref(tb_relay_dtls_cert *c);
/* "AB:CD:..." uppercase hex SHA-256 of the DER certificate (transfer none: stored in c,
 * valid while the caller holds a reference to c; never changes). Any thread. */
const char *tb_relay_dtls_cert_fingerprint(const tb_relay_dtls_cert *c);

typedef enum {
    TB_RELAY_SRTP_PROFILE_NONE = 0,
    TB_RELAY_SRTP_AES128_CM_SHA1_80 = 1, /* RFC 5764 id 0x0001 */
    TB_RELAY_SRTP_AEAD_AES_128_GCM = 7,  /* RFC 7714 id 0x0007 */
} tb_relay_srtp_profile;

/* Keys exported from the handshake (RFC 5764 §4.2): ours protect what we send, theirs
 * unprotect what we receive. A plain value without pointers, copied out to the caller's
 * storage by tb_relay_dtls_get_srtp_keys(); the caller owns its copy (secret material:
 * tb_relay_dtls_destroy() wipes only the connection's own). */
typedef struct tb_relay_srtp_keys {
    tb_relay_srtp_profile profile;
    uint8_t local_key[16];
    uint8_t local_salt[14]; /* 14 bytes for CM, 12 for GCM */
    uint8_t remote_key[16];
    uint8_t remote_salt[14];
    size_t key_len;
    size_t salt_len;
} tb_relay_srtp_keys;

typedef enum {
    TB_RELAY_DTLS_NEW = 0,
    TB_RELAY_DTLS_HANDSHAKING,
    TB_RELAY_DTLS_CONNECTED,
    TB_RELAY_DTLS_FAILED,
    TB_RELAY_DTLS_CLOSED,
} tb_relay_dtls_state;

/* Called with each datagram OpenSSL wants to send: buf is transfer none, valid only during
 * the call (copy or send now). [owner], from inside tb_relay_dtls_start, _feed,
 * _set_remote_fingerprint, _handle_timeout and _close, after OpenSSL has returned (never
 * in the middle of an OpenSSL call). It must not destroy the tb_relay_dtls: the rest of
 * the flight is still being drained. */
typedef void (*tb_relay_dtls_send_fn)(void *user, const uint8_t *buf, size_t len);

/* Profiles offered, in preference order: AES-GCM first when allow_gcm (cheaper with
 * Debian's NSS-based libsrtp2, see docs/platform.md), then AES_CM_128_HMAC_SHA1_80.
 * Takes its own reference to cert (the caller keeps its own). user is not owned: it must
 * stay valid for send until tb_relay_dtls_destroy(). Returns a connection the caller owns
 * (transfer full, freed with tb_relay_dtls_destroy), or NULL when cert or send is NULL
 * or OpenSSL fails. Any thread (SSL_new on the certificate's shared SSL_CTX is thread
 * safe); from then on the connection is used by one thread, its [owner]. */
tb_relay_dtls *tb_relay_dtls_create(tb_relay_dtls_cert *cert, bool is_client, bool allow_gcm,
                                    tb_relay_dtls_send_fn send, void *user);
/* Frees d: drops datagrams still queued (send is not called), wipes the keys and releases
 * d's reference to its certificate. Sends no close_notify: call tb_relay_dtls_close()
 * first for that. NULL is a no-op. [owner] */
void tb_relay_dtls_destroy(tb_relay_dtls *d);

/* The fingerprint from the peer's SDP: hash name as in SDP ("sha-256", "sha-1",
 * "sha-384", "sha-512") and colon-separated hex (both transfer none: parsed, not kept).
 * Returns TB_EINVAL / TB_EUNSUPPORTED; TB_ESTATE once FAILED or CLOSED, or once CONNECTED
 * if it is not the connected peer's certificate; TB_EAUTH when the handshake is done and
 * the certificate does not match (then FAILED). [owner]; may call send. */
int tb_relay_dtls_set_remote_fingerprint(tb_relay_dtls *d, const char *hash, const char *hex);

/* Client: sends the ClientHello (through send). Server: just arms itself. Call when ICE
 * connects. [owner] */
int tb_relay_dtls_start(tb_relay_dtls *d);

/* Feeds one received DTLS datagram (transfer none: copied into OpenSSL's input, not kept
 * after the call). Returns 0, or a negative code when the handshake failed (then state is
 * FAILED). A close_notify moves the state to CLOSED. [owner]; answers through send. */
int tb_relay_dtls_feed(tb_relay_dtls *d, const uint8_t *buf, size_t len);

/* [owner] */
tb_relay_dtls_state tb_relay_dtls_get_state(const tb_relay_dtls *d);

/* The first handshake retransmission timeout (doubling after each, up to 3.2 s); 200 ms
 * unless set. Browsers use 50 ms (WebRTC's initial DTLS timeout); the load generator
 * sets that to behave like one. Call before tb_relay_dtls_start(). [owner] */
void tb_relay_dtls_set_rtx_initial_ms(tb_relay_dtls *d, unsigned ms);

/* Milliseconds until the handshake retransmission timer fires, or -1 when none is
 * pending. When it expires call tb_relay_dtls_handle_timeout(), which resends the last
 * flight through send (TB_EIO and FAILED once OpenSSL gives up). Both [owner]. */
int tb_relay_dtls_timeout_ms(tb_relay_dtls *d);
int tb_relay_dtls_handle_timeout(tb_relay_dtls *d);

/* After CONNECTED (fingerprint verified): copies the negotiated profile and keys into
 * *out, the caller's storage (see tb_relay_srtp_keys). TB_ESTATE before that. [owner] */
int tb_relay_dtls_get_srtp_keys(tb_relay_dtls *d, tb_relay_srtp_keys *out);

/* Sends close_notify (through send, if the handshake is done) and moves to CLOSED; a
 * no-op on NULL or once FAILED or CLOSED. Does not free d: tb_relay_dtls_destroy() still
 * must. [owner] */
void tb_relay_dtls_close(tb_relay_dtls *d);

#endif
