/* auth.c — who may join a room: a join token (token.c) signed with the server's key, or
 * nobody but anonymous joiners where the room allows them; and the join links that
 * carry tokens.
 *
 * The key is [auth] secret when set; otherwise a random one kept in
 * <var_dir>/token.secret, made on first use by whichever comes first of the daemon and
 * `telebridge token` (O_EXCL, so two starting at once agree on one file), mode 0600.
 * The key is never logged. */
#define TB_LOG_CAT "sig/auth"
#include "signaling/access/access.h"
#include "common/tb_error.h"
#include "common/tb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_SECRET      16
#define GENERATED_BYTES 32

static GBytes *read_key_file(const char *path, char *err, size_t errlen)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        snprintf(err, errlen, "token key %s: %s", path, gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    g_strstrip(text);
    if (strlen(text) < MIN_SECRET) {
        snprintf(err, errlen,
                 "token key %s: shorter than %d characters (delete it to make a "
                 "new one)",
                 path, MIN_SECRET);
        return NULL;
    }
    /* Whoever reads the key mints moderator tokens: refuse to run with it exposed. */
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077)) {
        snprintf(err, errlen, "token key %s can be read by other users: chmod 600 it", path);
        return NULL;
    }
    size_t n = strlen(text);
    return g_bytes_new_take(g_steal_pointer(&text), n);
}

static int write_new_key(const char *path, char *err, size_t errlen)
{
    uint8_t raw[GENERATED_BYTES];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        snprintf(err, errlen, "token key: no random bytes from OpenSSL");
        return TB_EIO;
    }
    char hex[GENERATED_BYTES * 2 + 2];
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    hex[GENERATED_BYTES * 2] = '\n';
    hex[GENERATED_BYTES * 2 + 1] = '\0';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? TB_EAGAIN : TB_EIO;
    ssize_t w = write(fd, hex, strlen(hex));
    int rc = (w == (ssize_t)strlen(hex) && fsync(fd) == 0) ? TB_OK : TB_EIO;
    close(fd);
    if (rc) {
        unlink(path);
        snprintf(err, errlen, "token key %s: cannot write it", path);
    }
    return rc;
}

GBytes *tb_sig_auth_load_key(const tb_config *cfg, char *err, size_t errlen)
{
    const char *secret = cfg->auth.secret;
    if (*secret) {
        if (strlen(secret) < MIN_SECRET) {
            snprintf(err, errlen, "[auth] secret: at least %d characters", MIN_SECRET);
            return NULL;
        }
        return g_bytes_new(secret, strlen(secret));
    }
    g_autofree char *path = g_build_filename(cfg->server.var_dir, "token.secret", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (g_mkdir_with_parents(cfg->server.var_dir, 0750) != 0) {
            snprintf(err, errlen, "[server] var_dir %s: cannot create it: %s", cfg->server.var_dir,
                     g_strerror(errno));
            return NULL;
        }
        int rc = write_new_key(path, err, errlen);
        if (rc == TB_OK)
            TB_LOG_INFO("made a new token key in %s", path);
        else if (rc != TB_EAGAIN) {
            if (!*err)
                snprintf(err, errlen, "token key %s: %s", path, g_strerror(errno));
            return NULL;
        }
    }
    return read_key_file(path, err, errlen);
}

void tb_sig_grant_clear(tb_sig_grant *g)
{
    g_free(g->identity);
    g_free(g->name);
    memset(g, 0, sizeof *g);
}

const char *tb_sig_auth_join(const tb_config *cfg, GBytes *token_key, int64_t now_s,
                             const char *room, const char *token, tb_sig_grant *grant, char *err,
                             size_t errlen)
{
    memset(grant, 0, sizeof *grant);
    const tb_config_room *rc = tb_config_room_get(cfg, room);
    if (!token) {
        if (!rc->allow_anonymous) {
            snprintf(err, errlen,
                     "this room needs a join token: open the invitation link you "
                     "were sent");
            return "token_required";
        }
        if (tb_sig_role_parse(rc->anonymous_role, &grant->role))
            grant->role = TB_SIG_ROLE_PARTICIPANT;
        grant->perms = tb_sig_role_perms(grant->role);
        return NULL;
    }
    tb_sig_claims cl;
    gsize keylen = 0;
    const uint8_t *key = g_bytes_get_data(token_key, &keylen);
    tb_sig_token_result r = tb_sig_token_verify(token, key, keylen, now_s, &cl, err, errlen);
    if (r != TB_SIG_TOKEN_OK)
        return tb_sig_token_result_code(r);
    if (strcmp(cl.room, room) != 0) {
        snprintf(err, errlen, "this token is for the room '%s', not '%s'", cl.room, room);
        tb_sig_claims_clear(&cl);
        return "token_room";
    }
    grant->identity = g_steal_pointer(&cl.identity);
    grant->name = g_steal_pointer(&cl.name);
    grant->role = cl.role;
    grant->perms = cl.perms;
    grant->exp = cl.exp;
    tb_sig_claims_clear(&cl);
    return NULL;
}

char *tb_sig_base_url(const tb_config *cfg, int port, bool tls)
{
    if (*cfg->server.public_url) {
        g_autofree char *u = g_strdup(cfg->server.public_url);
        size_t n = strlen(u);
        while (n && u[n - 1] == '/')
            u[--n] = '\0';
        return g_steal_pointer(&u);
    }
    const char *host = cfg->server.listen;
    bool v6 = strchr(host, ':') != NULL;
    return g_strdup_printf("%s://%s%s%s:%d", tls ? "https" : "http", v6 ? "[" : "", host,
                           v6 ? "]" : "", port);
}

char *tb_sig_join_link(const char *base, const char *room, const char *token)
{
    if (!token)
        return g_strdup_printf("%s/?room=%s", base, room);
    /* In the fragment: browsers never send it to a server or put it in a Referer. */
    return g_strdup_printf("%s/?room=%s#token=%s", base, room, token);
}

char *tb_sig_studio_link(const char *base, const char *token)
{
    return g_strdup_printf("%s/studio/#token=%s", base, token);
}
