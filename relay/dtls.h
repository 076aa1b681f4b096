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
 * there. tb_relay_dtls_cert is immutable after create and shared by refcount. */
#ifndef TB_RELAY_DTLS_H
#define TB_RELAY_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_relay_dtls_cert tb_relay_dtls_cert;
typedef struct tb_relay_dtls tb_relay_dtls;

/* Creates a fresh key pair and self-signed certificate. Returns NULL and fills err on
 * failure. Any thread. */
tb_relay_dtls_cert *tb_relay_dtls_cert_create(char *err, size_t errlen);
tb_relay_dtls_cert *tb_relay_dtls_cert_ref(tb_relay_dtls_cert *c);
void tb_relay_dtls_cert_unref(tb_relay_dtls_cert *c);
/* "AB:CD:..." uppercase hex SHA-256 of the DER certificate (transfer none). */
const char *tb_relay_dtls_cert_fingerprint(const tb_relay_dtls_cert *c);

typedef enum {
    TB_RELAY_SRTP_PROFILE_NONE = 0,
    TB_RELAY_SRTP_AES128_CM_SHA1_80 = 1, /* RFC 5764 id 0x0001 */
    TB_RELAY_SRTP_AEAD_AES_128_GCM = 7,  /* RFC 7714 id 0x0007 */
} tb_relay_srtp_profile;

/* Keys exported from the handshake (RFC 5764 §4.2): ours protect what we send, theirs
 * unprotect what we receive. */
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

/* Called with each datagram OpenSSL wants to send (transfer none: copy or send now). */
typedef void (*tb_relay_dtls_send_fn)(void *user, const uint8_t *buf, size_t len);

/* Profiles offered, in preference order: AES-GCM first when allow_gcm (cheaper with
 * Debian's NSS-based libsrtp2, see PLATFORM.md), then AES_CM_128_HMAC_SHA1_80. */
tb_relay_dtls *tb_relay_dtls_create(tb_relay_dtls_cert *cert, bool is_client, bool allow_gcm,
                                    tb_relay_dtls_send_fn send, void *user);
void tb_relay_dtls_destroy(tb_relay_dtls *d);

/* The fingerprint from the peer's SDP: hash name as in SDP ("sha-256", "sha-1",
 * "sha-384", "sha-512") and colon-separated hex. Returns TB_EINVAL / TB_EUNSUPPORTED. */
int tb_relay_dtls_set_remote_fingerprint(tb_relay_dtls *d, const char *hash, const char *hex);

/* Client: sends the ClientHello. Server: just arms itself. Call when ICE connects. */
int tb_relay_dtls_start(tb_relay_dtls *d);

/* Feeds one received DTLS datagram. Returns 0, or a negative code when the handshake
 * failed (then state is FAILED). A close_notify moves the state to CLOSED. */
int tb_relay_dtls_feed(tb_relay_dtls *d, const uint8_t *buf, size_t len);

tb_relay_dtls_state tb_relay_dtls_get_state(const tb_relay_dtls *d);

/* The first handshake retransmission timeout (doubling after each, up to 3.2 s); 200 ms
 * unless set. Browsers use 50 ms (WebRTC's initial DTLS timeout); the load generator
 * sets that to behave like one. Call before tb_relay_dtls_start(). */
void tb_relay_dtls_set_rtx_initial_ms(tb_relay_dtls *d, unsigned ms);

/* Milliseconds until the handshake retransmission timer fires, or -1 when none is
 * pending. When it expires call tb_relay_dtls_handle_timeout(). */
int tb_relay_dtls_timeout_ms(tb_relay_dtls *d);
int tb_relay_dtls_handle_timeout(tb_relay_dtls *d);

/* After CONNECTED (fingerprint verified): the negotiated profile and keys. */
int tb_relay_dtls_get_srtp_keys(tb_relay_dtls *d, tb_relay_srtp_keys *out);

/* Sends close_notify. */
void tb_relay_dtls_close(tb_relay_dtls *d);

#endif
