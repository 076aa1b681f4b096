/* main.c — the `telebridge` command: git-style subcommands.
 *
 *   telebridge serve [options]   run the daemon (signaling, relay) on the config
 *   telebridge token [options]   mint a join token and link (cli.c)
 *   telebridge sessions          list meetings in the catalog (cli.c)
 *   telebridge export [options]  a meeting's register, speaking log, audit log, chat (cli.c)
 *   telebridge recordings …      recorded sessions (recordings.c)
 *   telebridge help              list subcommands
 *
 * `serve` runs a GLib main loop on the main thread; SIGINT/SIGTERM end it through a
 * GLib unix signal source, so shutdown happens outside any lws callback. */
#define TB_LOG_CAT "main"
#include "common/tb_config.h"
#include "common/tb_error.h"
#include "common/tb_log.h"
#include "relay/tb_relay.h"
#include "signaling/access/access.h"
#include "signaling/cli/cli.h"
#include "signaling/tb_sig.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef TB_SOURCE_DIR
#define TB_SOURCE_DIR "."
#endif

#define SHUTDOWN_S 5

typedef struct serve_ctx {
    GMainLoop *loop;
    tb_sig_server *sig;
    int signals;
} serve_ctx;

/* The first SIGINT/SIGTERM stops the server in order: clients told, recordings closed,
 * everything freed, within 5 s (SIGALRM's default action ends a shutdown that hangs).
 * A second one ends the process at once. */
static gboolean on_signal(gpointer data)
{
    serve_ctx *s = data;
    if (s->signals++ == 0) {
        TB_LOG_INFO("shutting down");
        alarm(SHUTDOWN_S);
        g_main_loop_quit(s->loop);
    } else {
        TB_LOG_WARN("second signal: exiting now");
        _exit(1);
    }
    return G_SOURCE_CONTINUE;
}

static char *default_config(void)
{
    if (g_file_test("configs/telebridge.ini", G_FILE_TEST_EXISTS))
        return g_strdup("configs/telebridge.ini");
    return g_build_filename(TB_SOURCE_DIR, "configs", "telebridge.ini", NULL);
}

/* The join link of the default room, which tests and `make run` wait for; on a
 * terminal also a moderator's link (a token is a credential: it is not written to logs
 * or pipes). */
static void print_links(const tb_config *cfg, tb_sig_server *sig, const char *base)
{
    const char *room = cfg->rooms.default_room;
    g_autofree char *link = tb_sig_join_link(base, room, NULL);
    printf("Telebridge is running. join link: %s\n", link);
    if (!tb_config_room_get(cfg, room)->allow_anonymous)
        printf("(room '%s' needs a join token: make one with 'telebridge token --room %s')\n", room,
               room);
    if (isatty(STDOUT_FILENO)) {
        g_autofree char *id = g_strdup_printf("admin-%08x", g_random_int());
        g_autofree char *token = tb_sig_server_mint(sig, room, "moderator", id, NULL, 12 * 3600);
        g_autofree char *mod = tb_sig_join_link(base, room, token);
        printf("moderator link (12 h): %s\n", mod);
        g_autofree char *st = tb_sig_server_mint(sig, "studio", "moderator", id, NULL, 12 * 3600);
        g_autofree char *studio = st ? tb_sig_studio_link(base, st) : NULL;
        if (studio)
            printf("studio link (12 h): %s\n", studio);
    }
    fflush(stdout);
}

static int cmd_serve(int argc, char **argv)
{
    g_autofree char *config = NULL;
    g_auto(GStrv) overrides = NULL;
    g_autofree char *listen = NULL, *web_root = NULL, *log_level = NULL;
    int port = -1;
    gboolean self_signed = FALSE;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
         "Configuration file (default configs/telebridge.ini)", "FILE"},
        {"set", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
         "Override a config key, e.g. -o server.port=9000 (repeatable)", "SECTION.KEY=VALUE"},
        {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Same as -o server.listen=ADDR", "ADDR"},
        {"port", 'p', 0, G_OPTION_ARG_INT, &port, "Same as -o server.port=PORT", "PORT"},
        {"web-root", 0, 0, G_OPTION_ARG_FILENAME, &web_root, "Same as -o server.web_root=DIR",
         "DIR"},
        {"log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
         "Same as -o server.log_level=LEVEL (error, warn, info, debug)", "LEVEL"},
        {"self-signed", 0, 0, G_OPTION_ARG_NONE, &self_signed,
         "Serve https/wss with a development certificate made in var_dir/tls (same as -o "
         "server.self_signed=true); browsers will warn",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("- run the Telebridge server");
    g_option_context_set_summary(oc, "Serves the web client and the signaling WebSocket, and "
                                     "relays media between participants.\nEvery key of the "
                                     "configuration file can be overridden with -o.");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &gerr)) {
        fprintf(stderr, "telebridge serve: %s\n", gerr->message);
        g_error_free(gerr);
        g_option_context_free(oc);
        return 2;
    }
    g_option_context_free(oc);

    GPtrArray *ov = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; overrides && overrides[i]; i++)
        g_ptr_array_add(ov, g_strdup(overrides[i]));
    if (listen)
        g_ptr_array_add(ov, g_strdup_printf("server.listen=%s", listen));
    if (port >= 0)
        g_ptr_array_add(ov, g_strdup_printf("server.port=%d", port));
    if (web_root)
        g_ptr_array_add(ov, g_strdup_printf("server.web_root=%s", web_root));
    if (log_level)
        g_ptr_array_add(ov, g_strdup_printf("server.log_level=%s", log_level));
    if (self_signed)
        g_ptr_array_add(ov, g_strdup("server.self_signed=true"));
    g_ptr_array_add(ov, NULL);

    if (!config)
        config = default_config();
    tb_config cfg;
    char err[512];
    if (tb_config_load(&cfg, config, (const char *const *)ov->pdata, err, sizeof err)) {
        fprintf(stderr, "telebridge: %s\n", err);
        tb_config_clear(&cfg);
        g_ptr_array_unref(ov);
        return 1;
    }
    g_ptr_array_unref(ov);
    tb_log_level lvl;
    if (tb_log_level_parse(cfg.server.log_level, &lvl) == TB_OK)
        tb_log_set_level(lvl);

    int rc = 1;
    g_autofree char *base = NULL;
    serve_ctx s = {0};
    s.loop = g_main_loop_new(NULL, FALSE);
    tb_relay *relay = tb_relay_create(&cfg.relay, err, sizeof err);
    if (!relay) {
        TB_LOG_ERR("relay: %s", err);
        goto out;
    }
    s.sig = tb_sig_server_create(&cfg, relay, s.loop, err, sizeof err);
    if (!s.sig) {
        TB_LOG_ERR("%s", err);
        tb_relay_destroy(relay);
        goto out;
    }
    guint sig_int = g_unix_signal_add(SIGINT, on_signal, &s);
    guint sig_term = g_unix_signal_add(SIGTERM, on_signal, &s);
    int bound = tb_sig_server_port(s.sig);
    base = tb_sig_server_base_url(s.sig);
    TB_LOG_INFO("listening on %s:%d%s (config %s)", cfg.server.listen, bound,
                tb_sig_server_tls(s.sig) ? " with TLS" : "", config);
    print_links(&cfg, s.sig, base);
    g_main_loop_run(s.loop);
    /* The signal sources stay while the server stops: the recorder runs the loop. */
    tb_sig_server_destroy(s.sig);
    tb_relay_destroy(relay);
    g_source_remove(sig_int);
    g_source_remove(sig_term);
    rc = 0;
out:
    g_main_loop_unref(s.loop);
    tb_config_clear(&cfg);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: telebridge <command> [options]\n\n"
               "Commands:\n"
               "  serve     run the server (web client, signaling, media relay)\n"
               "  token     mint a join token and link for a room and a role\n"
               "  sessions  list meetings (sessions) in the catalog\n"
               "  export    a meeting's register, speaking log, audit log or chat (CSV, JSON)\n"
               "  recordings  recorded sessions: list, show, compose, publish, unpublish, delete\n"
               "  turn-config  the coturn configuration that matches [turn]\n"
               "  doctor    check ports, addresses, TURN and the certificate\n"
               "  help      show this help\n\n"
               "Run 'telebridge <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, ""); /* options and messages in the user's charset (UTF-8 names) */
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "token") || !strcmp(cmd, "sessions") || !strcmp(cmd, "export")) {
        g_autofree char *config = default_config();
        int (*fn)(const char *, int, char **) = !strcmp(cmd, "token")      ? tb_sig_cli_token
                                                : !strcmp(cmd, "sessions") ? tb_sig_cli_sessions
                                                                           : tb_sig_cli_export;
        return fn(config, argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "turn-config") || !strcmp(cmd, "doctor")) {
        g_autofree char *config = default_config();
        return (!strcmp(cmd, "doctor") ? tb_sig_cli_doctor
                                       : tb_sig_cli_turn_config)(config, argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "recordings")) {
        g_autofree char *config = default_config();
        return tb_sig_cli_recordings(config, argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "telebridge: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
