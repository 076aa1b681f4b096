/* srtp.h — SRTP/SRTCP contexts on libsrtp2 for one DTLS-SRTP connection.
 *
 * One tb_relay_srtp holds two libsrtp sessions: outbound (our keys, any SSRC we send)
 * and inbound (the peer's keys, any SSRC it sends). Protection happens in place; the
 * caller's buffer must have TB_RELAY_SRTP_MAX_TRAILER bytes of room past the packet.
 * Used only on the connection's media worker. */
#ifndef TB_RELAY_SRTP_H
#define TB_RELAY_SRTP_H

#include <stddef.h>
#include "relay/dtls.h"

/* Auth tag + SRTCP index: 16 (GCM tag) + 4, rounded up. */
#define TB_RELAY_SRTP_MAX_TRAILER 32

typedef struct tb_relay_srtp tb_relay_srtp;

/* Initialises libsrtp once per process. Any thread; idempotent. */
int tb_relay_srtp_global_init(void);

tb_relay_srtp *tb_relay_srtp_create(const tb_relay_srtp_keys *keys);
void tb_relay_srtp_destroy(tb_relay_srtp *s);

/* *len is the plaintext length in, the protected length out; cap is the buffer size.
 * Returns 0, TB_ENOMEM (no room), or TB_EIO. */
int tb_relay_srtp_protect_rtp(tb_relay_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int tb_relay_srtp_protect_rtcp(tb_relay_srtp *s, uint8_t *buf, size_t *len, size_t cap);
/* Returns 0 with *len the plaintext length, or TB_EAUTH (bad tag, replay) / TB_EINVAL. */
int tb_relay_srtp_unprotect_rtp(tb_relay_srtp *s, uint8_t *buf, size_t *len);
int tb_relay_srtp_unprotect_rtcp(tb_relay_srtp *s, uint8_t *buf, size_t *len);

#endif
