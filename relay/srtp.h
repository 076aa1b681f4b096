/* srtp.h — SRTP/SRTCP contexts on libsrtp2 for one DTLS-SRTP connection.
 *
 * One tb_relay_srtp holds two libsrtp sessions: outbound (our keys, any SSRC we send)
 * and inbound (the peer's keys, any SSRC it sends). Protection happens in place; the
 * caller's buffer must have TB_RELAY_SRTP_MAX_TRAILER bytes of room past the packet.
 *
 * Threads: a tb_relay_srtp is used only on the connection's media worker ([owner] below:
 * that one thread; for tb-bench's load generator, its own); libsrtp sessions have no lock.
 *
 * Ownership: tb_relay_srtp_create returns an object the caller owns (transfer full), freed
 * with tb_relay_srtp_destroy. Buffers are the caller's (transfer none): the functions
 * read and rewrite them in place during the call and keep no pointer to them. */
#ifndef TB_RELAY_SRTP_H
#define TB_RELAY_SRTP_H

#include <stddef.h>
#include "relay/dtls.h"

/* Auth tag + SRTCP index: 16 (GCM tag) + 4, rounded up. */
#define TB_RELAY_SRTP_MAX_TRAILER 32

typedef struct tb_relay_srtp tb_relay_srtp;

/* Initialises libsrtp once per process (never shut down: it stays initialised for the
 * process's life). Returns 0 or TB_EIO. Any thread; idempotent; tb_relay_srtp_create
 * calls it too. */
int tb_relay_srtp_global_init(void);

/* Both sessions from keys (transfer none: read during the call, not kept; libsrtp derives
 * its own session keys and our copy of the master key is wiped, so the caller may wipe or
 * drop keys at once). Returns the caller's object (transfer full, freed with
 * tb_relay_srtp_destroy), or NULL for invalid keys or a libsrtp failure (logged). Any
 * thread; from then on it is used by its [owner] only. */
tb_relay_srtp *tb_relay_srtp_create(const tb_relay_srtp_keys *keys);
/* Frees both sessions. NULL is a no-op. [owner] */
void tb_relay_srtp_destroy(tb_relay_srtp *s);

/* Protects the packet in buf in place (transfer none: the caller's buffer of cap bytes,
 * not kept): *len is the plaintext length in, the protected length out. Returns 0,
 * TB_ENOMEM (no room), or TB_EIO. [owner] */
int tb_relay_srtp_protect_rtp(tb_relay_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int tb_relay_srtp_protect_rtcp(tb_relay_srtp *s, uint8_t *buf, size_t *len, size_t cap);
/* Unprotects the packet in buf in place (transfer none, not kept): *len is the received
 * length in. Returns 0 with *len the plaintext length, or TB_EAUTH (bad tag, replay) /
 * TB_EINVAL; buf's contents are then unspecified. [owner] */
int tb_relay_srtp_unprotect_rtp(tb_relay_srtp *s, uint8_t *buf, size_t *len);
int tb_relay_srtp_unprotect_rtcp(tb_relay_srtp *s, uint8_t *buf, size_t *len);

#endif
