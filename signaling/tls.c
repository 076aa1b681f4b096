/* tls.c — `telebridge serve --self-signed`: a development certificate, so that a
 * browser on another machine of the LAN gets a secure context (camera, microphone)
 * without a real certificate. An ECDSA P-256 key and a self-signed certificate valid
 * for 30 days, with subjectAltName for localhost, 127.0.0.1, ::1, the listen address
 * and the host of server.public_url (Chromium ignores the common name). Kept in
 * <var_dir>/tls and reused until a day before it expires. Browsers still warn: it is
 * for trying things out, not for real users (README). */
#define TB_LOG_CAT "sig/tls"
#include "signaling/tls.h"
#include "common/tb_log.h"
#include "common/tb_error.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define VALID_DAYS 30

/* True when `path` holds a certificate valid for at least another day. */
static bool still_valid(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return false;
    time_t soon = time(NULL) + 24 * 3600;
    bool ok = X509_cmp_time(X509_get0_notAfter(x), &soon) > 0;
    X509_free(x);
    return ok;
}

static bool is_ip(const char *s)
{
    GInetAddress *a = g_inet_address_new_from_string(s);
    if (a)
        g_object_unref(a);
    return a != NULL;
}

/* "DNS:localhost,IP:127.0.0.1,…" with the listen address and the public URL's host. */
static char *alt_names(const tb_config *cfg)
{
    GString *s = g_string_new("DNS:localhost,IP:127.0.0.1,IP:::1");
    const char *hosts[2] = {cfg->server.listen, NULL};
    g_autofree char *url_host = NULL;
    if (*cfg->server.public_url) {
        GUri *u = g_uri_parse(cfg->server.public_url, G_URI_FLAGS_NONE, NULL);
        if (u && g_uri_get_host(u))
            url_host = g_strdup(g_uri_get_host(u));
        if (u)
            g_uri_unref(u);
        hosts[1] = url_host;
    }
    for (int i = 0; i < 2; i++) {
        const char *h = hosts[i];
        if (!h || !*h || !strcmp(h, "127.0.0.1") || !strcmp(h, "::1") || !strcmp(h, "0.0.0.0") ||
            !strcmp(h, "::") || !strcmp(h, "localhost") || strpbrk(h, ", "))
            continue;
        g_string_append_printf(s, ",%s:%s", is_ip(h) ? "IP" : "DNS", h);
    }
    return g_string_free(s, FALSE);
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return TB_EINVAL;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? TB_OK : TB_EINVAL;
}

static X509 *make_cert(const tb_config *cfg, EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    uint8_t serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)VALID_DAYS * 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *)"Telebridge "
                                                      "development",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    g_autofree char *san = alt_names(cfg);
    if (add_ext(x, NID_subject_alt_name, san) || add_ext(x, NID_basic_constraints, "CA:FALSE") ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        add_ext(x, NID_ext_key_usage, "serverAuth") || !X509_sign(x, key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Writes with `mode`, replacing the file atomically. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
    g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return TB_EIO;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return TB_EIO;
    }
    int ok =
        key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    fclose(f);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return TB_EIO;
    }
    return TB_OK;
}

int tb_sig_tls_self_signed(const tb_config *cfg, char **cert_path, char **key_path, char *err,
                           size_t errlen)
{
    g_autofree char *dir = g_build_filename(cfg->server.var_dir, "tls", NULL);
    g_autofree char *cert = g_build_filename(dir, "selfsigned.crt", NULL);
    g_autofree char *key = g_build_filename(dir, "selfsigned.key", NULL);
    if (still_valid(cert) && g_file_test(key, G_FILE_TEST_EXISTS)) {
        *cert_path = g_steal_pointer(&cert);
        *key_path = g_steal_pointer(&key);
        return TB_OK;
    }
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        snprintf(err, errlen, "%s: %s", dir, g_strerror(errno));
        return TB_EIO;
    }
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = pkey ? make_cert(cfg, pkey) : NULL;
    int rc = x ? TB_OK : TB_EIO;
    if (!rc)
        rc = write_pem(key, 0600, pkey, NULL);
    if (!rc)
        rc = write_pem(cert, 0644, NULL, x);
    X509_free(x);
    EVP_PKEY_free(pkey);
    if (rc) {
        snprintf(err, errlen, "cannot make a self-signed certificate in %s", dir);
        return rc;
    }
    TB_LOG_INFO("made a self-signed development certificate: %s", cert);
    *cert_path = g_steal_pointer(&cert);
    *key_path = g_steal_pointer(&key);
    return TB_OK;
}
