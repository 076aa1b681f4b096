/* srtp.c — SRTP/SRTCP for one DTLS-SRTP connection on libsrtp2.
 *
 * Two libsrtp sessions per connection rather than one: a session's wildcard template is
 * either inbound or outbound (libsrtp refuses to let one wildcard match both, so that a
 * key is never used in both directions), and an SFU both receives from and forwards to
 * the same peer under SSRCs it learns only when packets arrive. The outbound session
 * therefore uses ssrc_any_outbound with our keys, the inbound one ssrc_any_inbound with
 * the peer's (RFC 5764 §4.2). libsrtp clones the template for every new SSRC; an inbound
 * clone is made only after a packet authenticates, so forged SSRCs cost nothing.
 *
 * Replay window 1024 packets (libsrtp's default of 128 is under half a second of video at
 * high bitrates, and reordering across simulcast layers exceeds it). allow_repeat_tx is
 * on because the relay answers NACKs by re-protecting the stored plaintext under its
 * original sequence number; without it libsrtp rejects the second protect as a replay.
 * That is safe only while the repeat is byte-identical to the original (a keystream reused
 * over the same plaintext leaks nothing new): callers re-protect the stored plaintext,
 * never a modified copy under the old sequence number.
 *
 * Debian's libsrtp2 2.5 takes lengths as int and has no capacity argument: the trailer
 * must fit in the caller's buffer, so we check it before every protect. */
#define TB_LOG_CAT "relay/srtp"

#include "relay/srtp.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <glib.h>
#include <limits.h>
#include <srtp2/srtp.h>
#include <string.h>

#define REPLAY_WINDOW 1024
/* Shortest packets libsrtp is given: the fixed RTP header, the RTCP header + sender
 * SSRC (RFC 3550 §5.1, §6.4). */
#define RTP_MIN_LEN     12
#define RTCP_MIN_LEN    8
#define SRTCP_INDEX_LEN 4 /* E flag + 31-bit index (RFC 3711 §3.4) */

struct tb_relay_srtp {
    srtp_t in;  /* peer's keys, any SSRC it sends */
    srtp_t out; /* our keys, any SSRC we send */
    tb_relay_srtp_profile profile;
    size_t rtp_trailer;  /* auth tag */
    size_t rtcp_trailer; /* auth tag + SRTCP index */
    tb_log_ratelimit rl;
};

/* ---- global init ---- */

static gsize init_once;
static srtp_err_status_t init_status;

int tb_relay_srtp_global_init(void)
{
    if (g_once_init_enter(&init_once)) {
        init_status = srtp_init();
        if (init_status != srtp_err_status_ok)
            TB_LOG_ERR("srtp_init failed: %d", (int)init_status);
        g_once_init_leave(&init_once, 1);
    }
    return init_status == srtp_err_status_ok ? TB_OK : TB_EIO;
}

/* ---- lifecycle ---- */

static bool keys_valid(const tb_relay_srtp_keys *k)
{
    if (k->key_len != SRTP_AES_128_KEY_LEN)
        return false;
    switch (k->profile) {
    case TB_RELAY_SRTP_AES128_CM_SHA1_80:
        return k->salt_len == SRTP_SALT_LEN;
    case TB_RELAY_SRTP_AEAD_AES_128_GCM:
        return k->salt_len == SRTP_AEAD_SALT_LEN;
    default:
        return false;
    }
}

/* Builds one session. libsrtp wants the master key and salt concatenated. */
static srtp_err_status_t session_create(srtp_t *out, tb_relay_srtp_profile profile,
                                        srtp_ssrc_type_t dir, const uint8_t *key,
                                        const uint8_t *salt, size_t key_len, size_t salt_len)
{
    uint8_t master[SRTP_AES_128_KEY_LEN + SRTP_SALT_LEN];
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    if (profile == TB_RELAY_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    }
    memcpy(master, key, key_len);
    memcpy(master + key_len, salt, salt_len);
    p.ssrc.type = dir;
    p.key = master;
    p.window_size = REPLAY_WINDOW;
    p.allow_repeat_tx = 1; /* consulted by protect only; see the file comment */
    p.next = NULL;
    srtp_err_status_t st = srtp_create(out, &p);
    explicit_bzero(master, sizeof master); /* libsrtp has derived its session keys */
    return st;
}

tb_relay_srtp *tb_relay_srtp_create(const tb_relay_srtp_keys *keys)
{
    if (!keys || !keys_valid(keys)) {
        TB_LOG_ERR("invalid SRTP keys (profile %d)", keys ? (int)keys->profile : -1);
        return NULL;
    }
    if (tb_relay_srtp_global_init() != TB_OK)
        return NULL;
    tb_relay_srtp *s = g_new0(tb_relay_srtp, 1);
    s->profile = keys->profile;
    bool gcm = keys->profile == TB_RELAY_SRTP_AEAD_AES_128_GCM;
    s->rtp_trailer = gcm ? 16 : 10; /* GCM tag (RFC 7714 §14.2) / HMAC-SHA1-80 */
    s->rtcp_trailer = s->rtp_trailer + SRTCP_INDEX_LEN;

    srtp_err_status_t st = session_create(&s->in, keys->profile, ssrc_any_inbound, keys->remote_key,
                                          keys->remote_salt, keys->key_len, keys->salt_len);
    if (st == srtp_err_status_ok)
        st = session_create(&s->out, keys->profile, ssrc_any_outbound, keys->local_key,
                            keys->local_salt, keys->key_len, keys->salt_len);
    if (st != srtp_err_status_ok) {
        TB_LOG_ERR("srtp_create failed: %d", (int)st);
        tb_relay_srtp_destroy(s);
        return NULL;
    }
    return s;
}

void tb_relay_srtp_destroy(tb_relay_srtp *s)
{
    if (!s)
        return;
    if (s->in)
        srtp_dealloc(s->in);
    if (s->out)
        srtp_dealloc(s->out);
    g_free(s);
}

/* ---- data path ---- */

static int protect(tb_relay_srtp *s, bool rtcp, uint8_t *buf, size_t *len, size_t cap)
{
    size_t trailer = rtcp ? s->rtcp_trailer : s->rtp_trailer;
    if (*len > cap || cap - *len < trailer)
        return TB_ENOMEM;
    if (*len < (rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN) || *len > INT_MAX - trailer)
        return TB_EIO;
    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_protect_rtcp(s->out, buf, &n) : srtp_protect(s->out, buf, &n);
    if (st != srtp_err_status_ok) {
        if (tb_log_ratelimit_ok(&s->rl))
            TB_LOG_WARN("%s protect failed: %d", rtcp ? "srtcp" : "srtp", (int)st);
        return TB_EIO;
    }
    *len = (size_t)n;
    return TB_OK;
}

/* Authentication failures and replays are what an attacker or a duplicating network
 * produces; they are the caller's to count, so no log line here (that would be one per
 * packet). */
static int unprotect(tb_relay_srtp *s, bool rtcp, uint8_t *buf, size_t *len)
{
    size_t min = (rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN) + (rtcp ? s->rtcp_trailer : s->rtp_trailer);
    if (*len < min || *len > INT_MAX)
        return TB_EINVAL;
    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_unprotect_rtcp(s->in, buf, &n) : srtp_unprotect(s->in, buf, &n);
    switch (st) {
    case srtp_err_status_ok:
        if (n < 0 || (size_t)n > *len)
            return TB_EINVAL;
        *len = (size_t)n;
        return TB_OK;
    case srtp_err_status_auth_fail:
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return TB_EAUTH;
    default:
        return TB_EINVAL;
    }
}

int tb_relay_srtp_protect_rtp(tb_relay_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    return protect(s, false, buf, len, cap);
}

int tb_relay_srtp_protect_rtcp(tb_relay_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    return protect(s, true, buf, len, cap);
}

int tb_relay_srtp_unprotect_rtp(tb_relay_srtp *s, uint8_t *buf, size_t *len)
{
    return unprotect(s, false, buf, len);
}

int tb_relay_srtp_unprotect_rtcp(tb_relay_srtp *s, uint8_t *buf, size_t *len)
{
    return unprotect(s, true, buf, len);
}
