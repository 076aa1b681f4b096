/* Join tokens (signaling/access/token.c): a minted token verifies and carries its claims;
 * expired, not yet valid, forged (other key, tampered payload, tampered signature),
 * alg "none" and other algorithms, and malformed tokens are each refused with their
 * own result; base64url is strict. Tokens made here by hand (not by the minting code)
 * check the verifier against the JWT format itself. */
#include "signaling/access/access.h"
#include "common/tb_error.h"

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static const uint8_t KEY[] = "unit-test-key-0123456789abcdef";
#define KEYLEN (sizeof KEY - 1)
#define NOW    1800000000

static char *b64(const char *s)
{
    return tb_sig_b64url_encode((const uint8_t *)s, strlen(s));
}

/* A token from a raw header and payload, signed with key (NULL: empty signature). */
static char *hand_made(const char *header, const char *payload, const uint8_t *key, size_t keylen)
{
    g_autofree char *h = b64(header), *p = b64(payload);
    g_autofree char *signing = g_strconcat(h, ".", p, NULL);
    if (!key)
        return g_strconcat(signing, ".", NULL);
    uint8_t mac[32];
    unsigned int n = sizeof mac;
    HMAC(EVP_sha256(), key, (int)keylen, (const uint8_t *)signing, strlen(signing), mac, &n);
    g_autofree char *s = tb_sig_b64url_encode(mac, n);
    return g_strconcat(signing, ".", s, NULL);
}

static tb_sig_token_result verify(const char *token, tb_sig_claims *c)
{
    char err[256] = "";
    tb_sig_token_result r = tb_sig_token_verify(token, KEY, KEYLEN, NOW, c, err, sizeof err);
    if (r != TB_SIG_TOKEN_OK)
        g_assert_cmpstr(err, !=, "");
    return r;
}

static void test_round_trip(void)
{
    tb_sig_claims in = {.room = "hall-1",
                        .identity = "anna",
                        .name = "Анна Петрова",
                        .role = TB_SIG_ROLE_SPEAKER,
                        .iat = NOW,
                        .exp = NOW + 3600};
    in.perms = tb_sig_role_perms(in.role) & ~TB_SIG_PERM_SCREEN;
    g_autofree char *t = tb_sig_token_mint(KEY, KEYLEN, &in);
    g_assert_nonnull(t);
    tb_sig_claims out;
    g_assert_cmpint(verify(t, &out), ==, TB_SIG_TOKEN_OK);
    g_assert_cmpstr(out.room, ==, "hall-1");
    g_assert_cmpstr(out.identity, ==, "anna");
    g_assert_cmpstr(out.name, ==, "Анна Петрова");
    g_assert_cmpint(out.role, ==, TB_SIG_ROLE_SPEAKER);
    g_assert_cmpuint(out.perms, ==, in.perms);
    g_assert_false(out.perms & TB_SIG_PERM_SCREEN);
    g_assert_cmpint(out.exp, ==, NOW + 3600);
    tb_sig_claims_clear(&out);

    /* Without name and perms: the role's defaults. */
    tb_sig_claims v = {.room = "r", .identity = "v", .role = TB_SIG_ROLE_VIEWER, .exp = NOW + 60};
    v.perms = tb_sig_role_perms(v.role);
    g_autofree char *t2 = tb_sig_token_mint(KEY, KEYLEN, &v);
    g_assert_cmpint(verify(t2, &out), ==, TB_SIG_TOKEN_OK);
    g_assert_null(out.name);
    g_assert_cmpuint(out.perms, ==, tb_sig_role_perms(TB_SIG_ROLE_VIEWER));
    g_assert_false(out.perms & TB_SIG_PERM_PUBLISH);
    tb_sig_claims_clear(&out);
}

static void test_hand_made_and_times(void)
{
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    tb_sig_claims c;
    g_autofree char *ok = hand_made(hdr,
                                    "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"site\","
                                    "\"exp\":1800000100}",
                                    KEY, KEYLEN);
    g_assert_cmpint(verify(ok, &c), ==, TB_SIG_TOKEN_OK);
    g_assert_cmpint(c.role, ==, TB_SIG_ROLE_SITE);
    tb_sig_claims_clear(&c);
    /* exp in the past, beyond the leeway; within the leeway it still passes. */
    g_autofree char *old = hand_made(hdr,
                                     "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"site\","
                                     "\"exp\":1799999000}",
                                     KEY, KEYLEN);
    g_assert_cmpint(verify(old, &c), ==, TB_SIG_TOKEN_EXPIRED);
    g_assert_null(c.room);
    g_autofree char *edge = hand_made(hdr,
                                      "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"site\","
                                      "\"exp\":1799999990}",
                                      KEY, KEYLEN);
    g_assert_cmpint(verify(edge, &c), ==, TB_SIG_TOKEN_OK);
    tb_sig_claims_clear(&c);
    g_autofree char *early = hand_made(hdr,
                                       "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"site\","
                                       "\"exp\":1800009999,\"nbf\":1800001000}",
                                       KEY, KEYLEN);
    g_assert_cmpint(verify(early, &c), ==, TB_SIG_TOKEN_NOT_YET_VALID);
    /* Absurd times are malformed, not an overflow of exp + leeway (UBSan: signed
     * overflow with exp = INT64_MAX before). */
    const char *absurd[] = {"9223372036854775807", "9223372036854775790", "-9223372036854775808",
                            "1000000000000"};
    for (size_t i = 0; i < G_N_ELEMENTS(absurd); i++) {
        g_autofree char *payload =
            g_strdup_printf("{\"sub\":\"x\",\"room\":\"r\",\"role\":\"site\","
                            "\"exp\":%s,\"nbf\":%s}",
                            absurd[i], absurd[i]);
        g_autofree char *t = hand_made(hdr, payload, KEY, KEYLEN);
        g_assert_cmpint(verify(t, &c), ==, TB_SIG_TOKEN_MALFORMED);
    }
}

static void test_forged(void)
{
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *payload = "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999}";
    tb_sig_claims c;
    const uint8_t other[] = "another-key-of-the-same-length";
    g_autofree char *other_key = hand_made(hdr, payload, other, sizeof other - 1);
    g_assert_cmpint(verify(other_key, &c), ==, TB_SIG_TOKEN_SIGNATURE);
    /* A viewer's token with its role raised to moderator, signature kept. */
    g_autofree char *good = hand_made(hdr, payload, KEY, KEYLEN);
    g_autofree char *raised_payload = b64("{\"sub\":\"x\",\"room\":\"r\",\"role\":\"moderator\","
                                          "\"exp\":1800009999}");
    g_auto(GStrv) parts = g_strsplit(good, ".", -1);
    g_autofree char *tampered = g_strjoin(".", parts[0], raised_payload, parts[2], NULL);
    g_assert_cmpint(verify(tampered, &c), ==, TB_SIG_TOKEN_SIGNATURE);
    /* One character of the signature changed; a truncated one; none. */
    g_autofree char *flipped = g_strdup(good);
    size_t n = strlen(flipped);
    flipped[n - 2] = flipped[n - 2] == 'A' ? 'B' : 'A';
    g_assert_cmpint(verify(flipped, &c), ==, TB_SIG_TOKEN_SIGNATURE);
    g_autofree char *cut = g_strndup(good, n - 4);
    g_assert_cmpint(verify(cut, &c), ==, TB_SIG_TOKEN_SIGNATURE);
    g_autofree char *unsigned_tok = hand_made(hdr, payload, NULL, 0);
    g_assert_cmpint(verify(unsigned_tok, &c), ==, TB_SIG_TOKEN_SIGNATURE);
}

static void test_algorithms(void)
{
    const char *payload =
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"moderator\",\"exp\":1800009999}";
    tb_sig_claims c;
    const char *refused[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}",
                             "{\"alg\":\"none\"}",
                             "{\"alg\":\"None\"}",
                             "{\"alg\":\"HS512\"}",
                             "{\"alg\":\"RS256\"}",
                             "{\"alg\":\"hs256\"}",
                             "{\"alg\":\"ES256\"}"};
    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
        /* Signed or not, with our key even: the algorithm alone refuses it. */
        g_autofree char *a = hand_made(refused[i], payload, NULL, 0);
        g_autofree char *b = hand_made(refused[i], payload, KEY, KEYLEN);
        g_assert_cmpint(verify(a, &c), ==, TB_SIG_TOKEN_ALG);
        g_assert_cmpint(verify(b, &c), ==, TB_SIG_TOKEN_ALG);
    }
    /* Not understood: crit, a typ that is not JWT, no alg at all. */
    const char *malformed[] = {"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
                               "{\"alg\":\"HS256\",\"typ\":\"JWE\"}", "{\"typ\":\"JWT\"}",
                               "{\"alg\":256}", "[\"HS256\"]"};
    for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++) {
        g_autofree char *t = hand_made(malformed[i], payload, KEY, KEYLEN);
        g_assert_cmpint(verify(t, &c), ==, TB_SIG_TOKEN_MALFORMED);
    }
}

static void test_malformed(void)
{
    const char *hdr = "{\"alg\":\"HS256\"}";
    tb_sig_claims c;
    const char *payloads[] = {
        "{\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999}",                 /* no sub */
        "{\"sub\":\"x\",\"role\":\"viewer\",\"exp\":1800009999}",                  /* no room */
        "{\"sub\":\"x\",\"room\":\"r s\",\"role\":\"viewer\",\"exp\":1800009999}", /* bad room */
        "{\"sub\":\"x\",\"room\":\"r\",\"exp\":1800009999}",                       /* no role */
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"king\",\"exp\":1800009999}",
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\"}", /* no exp */
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":\"soon\"}",
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999,\"name\":\"\"}",
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999,\"name\":"
        "\"a\\u0007\"}",
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999,\"perms\":[]}",
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999,\"perms\":{\"fly\":"
        "true}}",
        "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999,\"perms\":{\"chat\":"
        "1}}",
        "{\"sub\":\"x\",\"sub\":\"y\",\"room\":\"r\",\"role\":\"viewer\",\"exp\":1800009999}",
        "[1,2,3]",
        "not json",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(payloads); i++) {
        g_autofree char *t = hand_made(hdr, payloads[i], KEY, KEYLEN);
        if (verify(t, &c) != TB_SIG_TOKEN_MALFORMED)
            g_error("payload %zu accepted: %s", i, payloads[i]);
    }
    const char *raw[] = {"", "abc", "a.b", "a.b.c.d", "...", "%%.%%.%%", "eyJ=.eyJ=.abc", NULL};
    for (int i = 0; raw[i]; i++)
        g_assert_cmpint(verify(raw[i], &c), ==, TB_SIG_TOKEN_MALFORMED);
    g_assert_cmpint(verify(NULL, &c), ==, TB_SIG_TOKEN_MALFORMED);
    char *huge = g_malloc(TB_SIG_TOKEN_MAX + 10);
    memset(huge, 'a', TB_SIG_TOKEN_MAX + 9);
    huge[TB_SIG_TOKEN_MAX + 9] = '\0';
    g_assert_cmpint(verify(huge, &c), ==, TB_SIG_TOKEN_MALFORMED);
    g_free(huge);
    /* A permission turned on by the token. */
    g_autofree char *t = hand_made(hdr,
                                   "{\"sub\":\"x\",\"room\":\"r\",\"role\":\"viewer\","
                                   "\"exp\":1800009999,\"perms\":{\"publish\":true,"
                                   "\"chat\":false}}",
                                   KEY, KEYLEN);
    g_assert_cmpint(verify(t, &c), ==, TB_SIG_TOKEN_OK);
    g_assert_true(c.perms & TB_SIG_PERM_PUBLISH);
    g_assert_false(c.perms & TB_SIG_PERM_CHAT);
    tb_sig_claims_clear(&c);
}

static void test_b64url(void)
{
    size_t n = 0;
    g_autofree uint8_t *a = tb_sig_b64url_decode("TWFu", 4, &n);
    g_assert_cmpint(n, ==, 3);
    g_assert_cmpmem(a, 3, "Man", 3);
    g_autofree uint8_t *b = tb_sig_b64url_decode("TWE", 3, &n);
    g_assert_cmpmem(b, n, "Ma", 2);
    g_assert_null(tb_sig_b64url_decode("TWE=", 4, &n));  /* padding */
    g_assert_null(tb_sig_b64url_decode("TW+/", 4, &n));  /* standard alphabet */
    g_assert_null(tb_sig_b64url_decode("TWFuT", 5, &n)); /* 1 mod 4 */
    g_assert_null(tb_sig_b64url_decode("TWF", 3, &n));   /* non-zero leftover bits */
    const uint8_t bytes[] = {0xfb, 0xff, 0x00, 0x10};
    g_autofree char *e = tb_sig_b64url_encode(bytes, sizeof bytes);
    g_assert_cmpstr(e, ==, "-_8AEA");
    g_autofree uint8_t *d = tb_sig_b64url_decode(e, strlen(e), &n);
    g_assert_cmpmem(d, n, bytes, sizeof bytes);
}

static void test_result_codes(void)
{
    g_assert_cmpstr(tb_sig_token_result_code(TB_SIG_TOKEN_EXPIRED), ==, "token_expired");
    g_assert_cmpstr(tb_sig_token_result_code(TB_SIG_TOKEN_SIGNATURE), ==, "token_signature");
    g_assert_cmpstr(tb_sig_token_result_code(TB_SIG_TOKEN_ALG), ==, "token_alg");
    g_assert_cmpstr(tb_sig_token_result_code(TB_SIG_TOKEN_MALFORMED), ==, "token_malformed");
    g_assert_cmpstr(tb_sig_token_result_code(TB_SIG_TOKEN_NOT_YET_VALID), ==,
                    "token_not_yet_valid");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/token/round-trip", test_round_trip);
    g_test_add_func("/token/hand-made-and-times", test_hand_made_and_times);
    g_test_add_func("/token/forged", test_forged);
    g_test_add_func("/token/algorithms", test_algorithms);
    g_test_add_func("/token/malformed", test_malformed);
    g_test_add_func("/token/b64url", test_b64url);
    g_test_add_func("/token/result-codes", test_result_codes);
    return g_test_run();
}
