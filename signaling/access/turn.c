/* turn.c — TURN credentials for the join reply, in coturn's REST form ("TURN REST API",
 * draft-uberti-behave-turn-rest; coturn's use-auth-secret): username
 * "<expiry unix time>:<identity>", password base64(HMAC-SHA1(secret, username)). coturn
 * checks both with the static-auth-secret it shares with us, so the secret never leaves
 * the server and a credential is worth nothing after its expiry, nor under another
 * identity. Pure: any thread. */
#include "signaling/access/access.h"

#include <jansson.h>
#include <string.h>

char *tb_sig_turn_password(const char *secret, const char *username)
{
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
    g_hmac_update(h, (const guchar *)username, (gssize)strlen(username));
    guint8 digest[20];
    gsize n = sizeof digest;
    g_hmac_get_digest(h, digest, &n);
    g_hmac_unref(h);
    return g_base64_encode(digest, n);
}

json_t *tb_sig_turn_ice_servers(const tb_config_turn *t, const char *identity, int64_t now_s)
{
    json_t *servers = json_array();
    json_t *urls = json_array();
    g_auto(GStrv) parts = g_strsplit_set(t->urls ? t->urls : "", ", ", -1);
    for (int i = 0; parts[i]; i++)
        if (*parts[i])
            json_array_append_new(urls, json_string(parts[i]));
    if (json_array_size(urls) == 0 || !t->secret || !*t->secret) {
        json_decref(urls);
        return servers;
    }
    char *username =
        g_strdup_printf("%" G_GINT64_FORMAT ":%s", now_s + t->ttl_s, identity ? identity : "");
    char *password = tb_sig_turn_password(t->secret, username);
    json_array_append_new(servers, json_pack("{s:o, s:s, s:s}", "urls", urls, "username", username,
                                             "credential", password));
    g_free(username);
    g_free(password);
    return servers;
}
