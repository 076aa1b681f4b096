/* srtp_out.h — SRTP protection of the RTP the relay sends (RFC 3711 AES_CM_128_HMAC_SHA1_80,
 * RFC 7714 AEAD_AES_128_GCM) on OpenSSL, for the fan-out.
 *
 * Why not libsrtp: Debian builds libsrtp2 on NSS, whose every AES-GCM operation creates
 * and frees a PKCS#11 context (malloc, mutexes) and whose HMAC-SHA1 is slow; in a 1 → 100
 * fan-out that was a quarter of the media worker's time. OpenSSL's EVP with AES-NI does
 * the same work in well under a microsecond with contexts made once per connection.
 * libsrtp keeps everything else: inbound SRTP/SRTCP and outbound SRTCP. Both sides must
 * agree on the rollover counter of each SSRC, so once this context exists every RTP
 * packet to the peer (forwarded or retransmitted) goes through it.
 *
 * Session keys are derived from the DTLS-exported master key and salt with the AES-CM PRF
 * of RFC 3711 §4.3 (key derivation rate 0). The ROC of each outgoing SSRC is tracked from
 * its sequence numbers (RFC 3711 §3.3.1); a packet up to 2^15 behind the highest one sent
 * (a NACK answer) is protected under the ROC it had then. Repeats are allowed: they are
 * byte-identical re-sends of stored plaintext (see srtp.c).
 *
 * Threads: the connection's media worker only. */
#ifndef TB_RELAY_SRTP_OUT_H
#define TB_RELAY_SRTP_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/dtls.h"

typedef struct tb_relay_srtp_out tb_relay_srtp_out;

/* Uses keys->local_key/local_salt. NULL for an unknown profile or an OpenSSL failure. */
tb_relay_srtp_out *tb_relay_srtp_out_create(const tb_relay_srtp_keys *keys);
void tb_relay_srtp_out_destroy(tb_relay_srtp_out *o);
/* Protects one RTP packet in place: *len in plaintext, out protected; cap is the buffer
 * size. Returns 0, TB_ENOMEM (no room for the tag), TB_EINVAL (not RTP) or TB_EIO. */
int tb_relay_srtp_out_protect(tb_relay_srtp_out *o, uint8_t *buf, size_t *len, size_t cap);

#endif
