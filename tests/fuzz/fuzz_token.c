/* Fuzz target: join tokens. The first byte picks the mode: odd, the rest is a token as a
 * client would send it (splitting, base64url, header, signature check); even, the rest
 * is "header JSON\npayload JSON", signed here with the key, so that the claims parser
 * behind the signature check is reached too. */
#include "signaling/access/access.h"

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[] = "fuzz-key-0123456789";

static void check(const char *token)
{
    tb_sig_claims c;
    char err[256];
    if (tb_sig_token_verify(token, KEY, sizeof KEY - 1, 1800000000, &c, err, sizeof err) ==
        TB_SIG_TOKEN_OK)
        tb_sig_claims_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = g_strndup((const char *)data + 1, size - 1);
    if (data[0] & 1) {
        check(text);
    } else {
        char *nl = strchr(text, '\n');
        const char *payload = nl ? nl + 1 : "";
        size_t hlen = nl ? (size_t)(nl - text) : strlen(text);
        char *h = tb_sig_b64url_encode((const uint8_t *)text, hlen);
        char *p = tb_sig_b64url_encode((const uint8_t *)payload, strlen(payload));
        char *signing = g_strconcat(h, ".", p, NULL);
        uint8_t mac[32];
        unsigned int n = sizeof mac;
        HMAC(EVP_sha256(), KEY, sizeof KEY - 1, (const uint8_t *)signing, strlen(signing), mac, &n);
        char *s = tb_sig_b64url_encode(mac, n);
        char *token = g_strconcat(signing, ".", s, NULL);
        check(token);
        g_free(token);
        g_free(s);
        g_free(signing);
        g_free(p);
        g_free(h);
    }
    g_free(text);
    return 0;
}
