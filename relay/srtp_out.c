/* srtp_out.c — outbound SRTP on OpenSSL (see srtp_out.h for why and how). */
#define TB_LOG_CAT "relay/srtp_out"
#include "relay/srtp_out.h"
#include "relay/rtp.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

/* SHA1_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP_MAC, but EVP_MAC's
 * HMAC in 3.0 duplicates its digest context on every init (a malloc and a free per packet)
 * and keeps it behind several heap objects per connection. The HMAC key schedule here is
 * two SHA-1 states made once per connection and copied by value per packet. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <glib.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#define KEY_LEN      16
#define CM_SALT_LEN  14
#define GCM_SALT_LEN 12
#define AUTH_KEY_LEN 20 /* HMAC-SHA1 session key (RFC 3711 §4.2) */
#define CM_TAG_LEN   10
#define GCM_TAG_LEN  16
#define MAX_SSRCS    64 /* distinct outgoing SSRCs kept; the oldest is forgotten past that */

typedef struct roc_state {
    uint32_t ssrc;
    uint32_t roc;
    uint16_t s_l; /* highest sequence number sent */
    bool used;
} roc_state;

struct tb_relay_srtp_out {
    bool gcm;
    EVP_CIPHER_CTX *enc; /* AES-128-CTR or AES-128-GCM, session key set */
    SHA_CTX hmac_in;     /* HMAC-SHA1 (CM only): SHA-1 after (auth key XOR ipad) */
    SHA_CTX hmac_out;    /* ... and after (auth key XOR opad), RFC 2104 */
    uint8_t salt[CM_SALT_LEN];
    roc_state rocs[MAX_SSRCS];
    int n_rocs;
    int next_evict;
    tb_log_ratelimit rl;
};

/* RFC 3711 §4.3.1/§4.3.3: AES-CM keystream under the master key, IV = (master salt,
 * zero-padded to 14 bytes, with the label at byte 7) || 0x0000. */
static int kdf(const uint8_t *mkey, const uint8_t *msalt, size_t msalt_len, uint8_t label,
               uint8_t *out, size_t n)
{
    uint8_t iv[16] = {0}, zeros[32] = {0};
    memcpy(iv, msalt, msalt_len);
    iv[7] ^= label;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, mkey, iv) &&
                       EVP_EncryptUpdate(c, out, &outl, zeros, (int)n) && outl == (int)n;
    EVP_CIPHER_CTX_free(c);
    return ok ? TB_OK : TB_EIO;
}

tb_relay_srtp_out *tb_relay_srtp_out_create(const tb_relay_srtp_keys *k)
{
    bool gcm = k->profile == TB_RELAY_SRTP_AEAD_AES_128_GCM;
    if (!gcm && k->profile != TB_RELAY_SRTP_AES128_CM_SHA1_80)
        return NULL;
    size_t salt_len = gcm ? GCM_SALT_LEN : CM_SALT_LEN;
    if (k->key_len != KEY_LEN || k->salt_len != salt_len)
        return NULL;
    tb_relay_srtp_out *o = g_new0(tb_relay_srtp_out, 1);
    o->gcm = gcm;
    uint8_t skey[KEY_LEN], auth[AUTH_KEY_LEN];
    int rc = kdf(k->local_key, k->local_salt, salt_len, 0x00, skey, KEY_LEN);
    if (rc == TB_OK)
        rc = kdf(k->local_key, k->local_salt, salt_len, 0x02, o->salt, salt_len);
    if (rc == TB_OK && !gcm)
        rc = kdf(k->local_key, k->local_salt, salt_len, 0x01, auth, AUTH_KEY_LEN);
    o->enc = EVP_CIPHER_CTX_new();
    if (rc != TB_OK || !o->enc ||
        !EVP_EncryptInit_ex(o->enc, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(), NULL, skey, NULL))
        rc = TB_EIO;
    if (rc == TB_OK && !gcm) {
        /* RFC 2104: the key (20 bytes, shorter than SHA-1's 64-byte block) zero-padded. */
        uint8_t pad[SHA_CBLOCK];
        memset(pad, 0x36, sizeof pad);
        for (int i = 0; i < AUTH_KEY_LEN; i++)
            pad[i] ^= auth[i];
        if (!SHA1_Init(&o->hmac_in) || !SHA1_Update(&o->hmac_in, pad, sizeof pad))
            rc = TB_EIO;
        memset(pad, 0x5c, sizeof pad);
        for (int i = 0; i < AUTH_KEY_LEN; i++)
            pad[i] ^= auth[i];
        if (!SHA1_Init(&o->hmac_out) || !SHA1_Update(&o->hmac_out, pad, sizeof pad))
            rc = TB_EIO;
        explicit_bzero(pad, sizeof pad);
    }
    explicit_bzero(skey, sizeof skey);
    explicit_bzero(auth, sizeof auth);
    if (rc != TB_OK) {
        TB_LOG_ERR("outbound SRTP context failed");
        tb_relay_srtp_out_destroy(o);
        return NULL;
    }
    return o;
}

void tb_relay_srtp_out_destroy(tb_relay_srtp_out *o)
{
    if (!o)
        return;
    EVP_CIPHER_CTX_free(o->enc);
    explicit_bzero(o, sizeof *o);
    g_free(o);
}

/* The ROC to protect `seq` of `ssrc` under (RFC 3711 §3.3.1, Appendix A), updating the
 * highest sequence number when the packet is newer. */
static uint32_t roc_for(tb_relay_srtp_out *o, uint32_t ssrc, uint16_t seq)
{
    roc_state *r = NULL;
    for (int i = 0; i < o->n_rocs; i++)
        if (o->rocs[i].ssrc == ssrc) {
            r = &o->rocs[i];
            break;
        }
    if (!r) {
        if (o->n_rocs < MAX_SSRCS) {
            r = &o->rocs[o->n_rocs++];
        } else {
            r = &o->rocs[o->next_evict];
            o->next_evict = (o->next_evict + 1) % MAX_SSRCS;
        }
        *r = (roc_state){.ssrc = ssrc, .roc = 0, .s_l = seq, .used = true};
        return 0;
    }
    if (seq == r->s_l)
        return r->roc;
    if (tb_relay_seq_newer(seq, r->s_l)) {
        if (seq < r->s_l) /* wrapped forward */
            r->roc++;
        r->s_l = seq;
        return r->roc;
    }
    /* Older than the highest: a re-send. Before the wrap it belongs to the last cycle. */
    return seq > r->s_l ? r->roc - 1 : r->roc;
}

static int protect_gcm(tb_relay_srtp_out *o, uint8_t *buf, size_t hdr, size_t *len, uint32_t ssrc,
                       uint32_t roc, uint16_t seq)
{
    /* RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt. */
    uint8_t iv[12] = {0,
                      0,
                      (uint8_t)(ssrc >> 24),
                      (uint8_t)(ssrc >> 16),
                      (uint8_t)(ssrc >> 8),
                      (uint8_t)ssrc,
                      (uint8_t)(roc >> 24),
                      (uint8_t)(roc >> 16),
                      (uint8_t)(roc >> 8),
                      (uint8_t)roc,
                      (uint8_t)(seq >> 8),
                      (uint8_t)seq};
    for (int i = 0; i < 12; i++)
        iv[i] ^= o->salt[i];
    int outl = 0, fin = 0;
    size_t plen = *len - hdr;
    if (!EVP_EncryptInit_ex(o->enc, NULL, NULL, NULL, iv) ||
        !EVP_EncryptUpdate(o->enc, NULL, &outl, buf, (int)hdr) ||
        !EVP_EncryptUpdate(o->enc, buf + hdr, &outl, buf + hdr, (int)plen) ||
        !EVP_EncryptFinal_ex(o->enc, buf + hdr + outl, &fin) ||
        !EVP_CIPHER_CTX_ctrl(o->enc, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, buf + *len))
        return TB_EIO;
    *len += GCM_TAG_LEN;
    return TB_OK;
}

static int protect_cm(tb_relay_srtp_out *o, uint8_t *buf, size_t hdr, size_t *len, uint32_t ssrc,
                      uint32_t roc, uint16_t seq)
{
    /* RFC 3711 §4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16). */
    uint8_t iv[16] = {0};
    memcpy(iv, o->salt, CM_SALT_LEN);
    uint64_t index = ((uint64_t)roc << 16) | seq;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
    int outl = 0;
    size_t plen = *len - hdr;
    if (!EVP_EncryptInit_ex(o->enc, NULL, NULL, NULL, iv) ||
        (plen && !EVP_EncryptUpdate(o->enc, buf + hdr, &outl, buf + hdr, (int)plen)))
        return TB_EIO;
    /* RFC 3711 §4.2: tag = HMAC-SHA1(auth key, packet || ROC), first 80 bits. */
    uint8_t rocb[4] = {(uint8_t)(roc >> 24), (uint8_t)(roc >> 16), (uint8_t)(roc >> 8),
                       (uint8_t)roc};
    uint8_t mac[SHA_DIGEST_LENGTH];
    SHA_CTX c = o->hmac_in;
    if (!SHA1_Update(&c, buf, *len) || !SHA1_Update(&c, rocb, 4) || !SHA1_Final(mac, &c))
        return TB_EIO;
    c = o->hmac_out;
    if (!SHA1_Update(&c, mac, sizeof mac) || !SHA1_Final(mac, &c))
        return TB_EIO;
    memcpy(buf + *len, mac, CM_TAG_LEN);
    *len += CM_TAG_LEN;
    return TB_OK;
}

int tb_relay_srtp_out_protect(tb_relay_srtp_out *o, uint8_t *buf, size_t *len, size_t cap)
{
    size_t tag = o->gcm ? GCM_TAG_LEN : CM_TAG_LEN;
    if (*len > cap || cap - *len < tag)
        return TB_ENOMEM;
    tb_relay_rtp_header h;
    if (*len > INT_MAX / 2 || tb_relay_rtp_parse(buf, *len, &h) != TB_OK)
        return TB_EINVAL;
    /* Everything before the payload (fixed header, CSRCs, extension) stays clear. */
    size_t hdr = h.payload_offset;
    uint32_t roc = roc_for(o, h.ssrc, h.seq);
    int rc = o->gcm ? protect_gcm(o, buf, hdr, len, h.ssrc, roc, h.seq)
                    : protect_cm(o, buf, hdr, len, h.ssrc, roc, h.seq);
    if (rc != TB_OK && tb_log_ratelimit_ok(&o->rl))
        TB_LOG_WARN("outbound SRTP protect failed");
    return rc;
}
