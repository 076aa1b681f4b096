/* cli.c — the subcommands about access and the record of meetings:
 *
 *   telebridge token --room R --role speaker --name "…" --ttl 24h   mint a join link
 *   telebridge sessions [--room R]                                  list meetings
 *   telebridge export --room R --what register --format csv         a meeting's record
 *
 * They read the same configuration as `serve` (the token key, var_dir, the public URL)
 * and work whether or not the daemon runs: the key file is shared, the catalog is
 * SQLite in WAL mode. */
#define TB_LOG_CAT "cli"
#include "signaling/cli/cli.h"
#include "signaling/room/room.h"
#include "common/tb_error.h"

#include <stdio.h>
#include <string.h>

/* "90", "90s", "30m", "24h", "7d" → seconds; -1 if bad. */
static int64_t parse_duration(const char *s)
{
    char *end = NULL;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (end == s || v <= 0)
        return -1;
    int64_t mult = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mult = 60, end++;
    else if (*end == 'h')
        mult = 3600, end++;
    else if (*end == 'd')
        mult = 86400, end++;
    if (*end || v > 366 * 86400 / mult)
        return -1;
    return v * mult;
}

/* "publish,-chat,+screen" applied to `perms`; false on an unknown name. */
static bool apply_perms(const char *list, unsigned *perms)
{
    g_auto(GStrv) parts = g_strsplit(list, ",", -1);
    for (int i = 0; parts[i]; i++) {
        const char *p = g_strstrip(parts[i]);
        if (!*p)
            continue;
        bool off = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        unsigned bit;
        if (tb_sig_perm_parse(p, &bit)) {
            fprintf(stderr,
                    "telebridge token: unknown permission '%s' (publish, screen, chat, "
                    "hand, moderate, record)\n",
                    p);
            return false;
        }
        *perms = off ? (*perms & ~bit) : (*perms | bit);
    }
    return true;
}

/* Mints and prints; the options are parsed. Returns the exit status. */
static int token_run(const tb_config *cfg, tb_sig_claims *c, int64_t life, const char *url,
                     bool token_only, bool studio)
{
    char err[512] = "";
    GBytes *key = tb_sig_auth_load_key(cfg, err, sizeof err);
    if (!key) {
        fprintf(stderr, "telebridge token: %s\n", err);
        return 1;
    }
    g_autofree char *random_id = g_strdup_printf("u%08x%08x", g_random_int(), g_random_int());
    if (!c->identity)
        c->identity = random_id;
    c->iat = g_get_real_time() / G_USEC_PER_SEC;
    c->exp = c->iat + (life ? life : cfg->auth.token_ttl_s);
    gsize n = 0;
    const uint8_t *k = g_bytes_get_data(key, &n);
    g_autofree char *token = tb_sig_token_mint(k, n, c);
    /* Round-trip through the verifier: never print a token the server would refuse. */
    tb_sig_claims check;
    tb_sig_token_result vr = token
                                 ? tb_sig_token_verify(token, k, n, c->iat, &check, err, sizeof err)
                                 : TB_SIG_TOKEN_MALFORMED;
    g_bytes_unref(key);
    if (vr != TB_SIG_TOKEN_OK) {
        fprintf(stderr, "telebridge token: %s\n", token ? err : "cannot encode the claims");
        if (c->identity == random_id)
            c->identity = NULL;
        return 1;
    }
    tb_sig_claims_clear(&check);
    if (token_only) {
        printf("%s\n", token);
    } else {
        g_autofree char *base =
            url ? g_strdup(url)
                : tb_sig_base_url(cfg, cfg->server.port,
                                  *cfg->server.tls_cert || cfg->server.self_signed);
        g_autofree char *link =
            studio ? tb_sig_studio_link(base, token) : tb_sig_join_link(base, c->room, token);
        GDateTime *exp = g_date_time_new_from_unix_local(c->exp);
        g_autofree char *when = exp ? g_date_time_format(exp, "%Y-%m-%d %H:%M %Z") : NULL;
        if (exp)
            g_date_time_unref(exp);
        printf("room: %s\nrole: %s\nidentity: %s\n", c->room, tb_sig_role_name(c->role),
               c->identity);
        if (c->name)
            printf("name: %s\n", c->name);
        printf("expires: %s\ntoken: %s\n%s link: %s\n", when ? when : "?", token,
               studio ? "studio" : "join", link);
    }
    if (c->identity == random_id)
        c->identity = NULL;
    return 0;
}

int tb_sig_cli_token(const char *default_config, int argc, char **argv)
{
    tb_sig_cli_opts co = {default_config, NULL, NULL};
    g_autofree char *room = NULL, *role = NULL, *name = NULL, *identity = NULL, *ttl = NULL;
    g_autofree char *perms = NULL, *url = NULL;
    gboolean token_only = FALSE, studio = FALSE;
    GOptionEntry entries[] = {
        {"room", 'r', 0, G_OPTION_ARG_STRING, &room, "Room the token admits to (required)", "ROOM"},
        {"role", 0, 0, G_OPTION_ARG_STRING, &role,
         "moderator, speaker, participant (default), viewer or site", "ROLE"},
        {"name", 'n', 0, G_OPTION_ARG_STRING, &name,
         "Display name (fixed; without it the person types one)", "NAME"},
        {"identity", 'i', 0, G_OPTION_ARG_STRING, &identity,
         "Stable identity (default: a random one); a second join with the same identity "
         "replaces the first, a ban holds it out",
         "ID"},
        {"ttl", 't', 0, G_OPTION_ARG_STRING, &ttl,
         "Lifetime: 90s, 30m, 24h, 7d (default [auth] token_ttl)", "DURATION"},
        {"perm", 0, 0, G_OPTION_ARG_STRING, &perms,
         "Permissions changed from the role's, e.g. -chat,+screen (publish, screen, chat, hand, "
         "moderate, record)",
         "LIST"},
        {"url", 0, 0, G_OPTION_ARG_STRING, &url,
         "Base URL of the link (default server.public_url or http://listen:port)", "URL"},
        {"token-only", 0, 0, G_OPTION_ARG_NONE, &token_only, "Print only the token", NULL},
        {"studio", 0, 0, G_OPTION_ARG_NONE, &studio,
         "A studio link for staff (/studio): a moderator's token, room 'studio' unless given",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("- mint a join token and link");
    g_option_context_set_summary(
        oc, "Prints a signed join token (HS256 JWT) for one room and a join link carrying it.\n"
            "The key comes from [auth] secret, else var_dir/token.secret (made if missing).\n\n"
            "Example: telebridge token --room hearing-12 --role speaker --name \"Anna Petrova\" "
            "--ttl 24h");
    g_option_context_add_main_entries(oc, entries, NULL);
    tb_sig_cli_add_common(oc, &co);
    tb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    tb_sig_claims c = {0};
    int64_t life = 0;
    int rc = 2;
    bool parsed = tb_sig_cli_parse(oc, "token", argc, argv);
    if (parsed && studio) {
        if (!room)
            room = g_strdup("studio");
        if (!role)
            role = g_strdup("moderator");
        if (!ttl)
            ttl = g_strdup("12h");
    }
    if (!parsed) {
    } else if (!room) {
        fprintf(stderr, "telebridge token: --room is required (see --help)\n");
    } else if (!tb_sig_valid_room(room)) {
        fprintf(stderr, "telebridge token: --room: 1-64 characters of A-Z a-z 0-9 _ -\n");
    } else if (tb_sig_role_parse(role ? role : "participant", &c.role)) {
        fprintf(stderr, "telebridge token: --role: moderator, speaker, participant, viewer or "
                        "site\n");
    } else if (ttl && (life = parse_duration(ttl)) < 0) {
        fprintf(stderr,
                "telebridge token: --ttl '%s': a duration like 90s, 30m, 24h or 7d (at "
                "most a year)\n",
                ttl);
    } else if ((c.perms = tb_sig_role_perms(c.role)), perms && !apply_perms(perms, &c.perms)) {
    } else if (tb_sig_cli_load_config("token", &co, &cfg)) {
        rc = 1;
    } else {
        c.room = room;
        c.identity = identity;
        c.name = name;
        rc = token_run(&cfg, &c, life, url, token_only, studio);
    }
    tb_config_clear(&cfg);
    tb_sig_cli_clear_common(&co);
    return rc;
}

static void print_session(void *user, int n, const char *const *names, const char *const *v)
{
    (void)names;
    if (n < 5)
        return;
    char when[2][32] = {"", ""};
    for (int i = 0; i < 2; i++) {
        if (!v[2 + i])
            continue;
        GDateTime *dt =
            g_date_time_new_from_unix_local(g_ascii_strtoll(v[2 + i], NULL, 10) / G_USEC_PER_SEC);
        if (dt) {
            g_autofree char *s = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
            g_strlcpy(when[i], s, sizeof when[i]);
            g_date_time_unref(dt);
        }
    }
    printf("%-18s %-24s %-19s  %-19s  %s\n", v[0], v[1], when[0], *when[1] ? when[1] : "-",
           v[4] ? v[4] : "");
    (*(int *)user)++;
}

static tb_rec_catalog *open_catalog(const char *cmd, const tb_config *cfg)
{
    g_autofree char *db = g_build_filename(cfg->server.var_dir, "telebridge.db", NULL);
    if (!g_file_test(db, G_FILE_TEST_EXISTS)) {
        fprintf(stderr,
                "telebridge %s: no catalog at %s (has the server run with this "
                "var_dir?)\n",
                cmd, db);
        return NULL;
    }
    char err[512] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(db, err, sizeof err);
    if (!cat)
        fprintf(stderr, "telebridge %s: %s\n", cmd, err);
    return cat;
}

int tb_sig_cli_sessions(const char *default_config, int argc, char **argv)
{
    tb_sig_cli_opts co = {default_config, NULL, NULL};
    g_autofree char *room = NULL;
    GOptionEntry entries[] = {
        {"room", 'r', 0, G_OPTION_ARG_STRING, &room, "Only the meetings of this room", "ROOM"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("- list meetings (sessions) in the catalog");
    g_option_context_set_summary(oc, "Lists the latest 500 sessions, newest first: id, room, "
                                     "start, end, state.");
    g_option_context_add_main_entries(oc, entries, NULL);
    tb_sig_cli_add_common(oc, &co);
    tb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = 2;
    if (!tb_sig_cli_parse(oc, "sessions", argc, argv))
        goto out;
    rc = 1;
    if (tb_sig_cli_load_config("sessions", &co, &cfg))
        goto out;
    tb_rec_catalog *cat = open_catalog("sessions", &cfg);
    if (!cat)
        goto out;
    int count = 0;
    printf("%-18s %-24s %-19s  %-19s  %s\n", "SESSION", "ROOM", "STARTED", "ENDED", "STATE");
    rc = tb_rec_catalog_query(cat, "sessions", room, print_session, &count) ? 1 : 0;
    tb_rec_catalog_close(cat);
out:
    tb_config_clear(&cfg);
    tb_sig_cli_clear_common(&co);
    return rc;
}

int tb_sig_cli_export(const char *default_config, int argc, char **argv)
{
    tb_sig_cli_opts co = {default_config, NULL, NULL};
    g_autofree char *room = NULL, *session = NULL, *what = NULL, *format = NULL, *output = NULL;
    char *text = NULL;
    GOptionEntry entries[] = {
        {"session", 's', 0, G_OPTION_ARG_STRING, &session, "The session (see 'sessions')", "ID"},
        {"room", 'r', 0, G_OPTION_ARG_STRING, &room, "The latest session of this room", "ROOM"},
        {"what", 'w', 0, G_OPTION_ARG_STRING, &what, "register (default), speaking, audit or chat",
         "WHAT"},
        {"format", 'f', 0, G_OPTION_ARG_STRING, &format, "csv (default) or json", "FORMAT"},
        {"output", 'O', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (default stdout)",
         "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("- export a meeting's record");
    g_option_context_set_summary(
        oc, "Writes the register (attendance), the speaking log (raised hands, floors, who "
            "spoke when), the audit log of moderator actions or the chat of one session, as CSV "
            "or JSON.\n\nExample: telebridge export --room hearing-12 --what speaking --format "
            "csv -O speaking.csv");
    g_option_context_add_main_entries(oc, entries, NULL);
    tb_sig_cli_add_common(oc, &co);
    tb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = 2;
    if (!tb_sig_cli_parse(oc, "export", argc, argv))
        goto out;
    if (!room == !session) {
        fprintf(stderr, "telebridge export: give --session or --room (see --help)\n");
        goto out;
    }
    rc = 1;
    if (tb_sig_cli_load_config("export", &co, &cfg))
        goto out;
    tb_rec_catalog *cat = open_catalog("export", &cfg);
    if (!cat)
        goto out;
    char sid[64] = "";
    if (room && tb_rec_catalog_session_latest(cat, room, sid, sizeof sid)) {
        fprintf(stderr, "telebridge export: no session of room '%s' in the catalog\n", room);
        tb_rec_catalog_close(cat);
        goto out;
    }
    char err[512] = "";
    text = tb_sig_export(cat, session ? session : sid, what ? what : "register",
                         format ? format : "csv", err, sizeof err);
    tb_rec_catalog_close(cat);
    if (!text) {
        fprintf(stderr, "telebridge export: %s\n", err);
        goto out;
    }
    GError *gerr = NULL;
    if (output && !g_file_set_contents(output, text, -1, &gerr)) {
        fprintf(stderr, "telebridge export: %s\n", gerr->message);
        g_error_free(gerr);
        goto out;
    }
    if (!output)
        fputs(text, stdout);
    rc = 0;
out:
    g_free(text);
    tb_config_clear(&cfg);
    tb_sig_cli_clear_common(&co);
    return rc;
}
