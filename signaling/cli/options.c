/* options.c — what every subcommand's command line shares: --config, -o overrides, the
 * parse of the arguments (as UTF-8) and the loading of the configuration. */
#include "signaling/cli/cli.h"
#include "common/tb_log.h"

#include <stdio.h>

void tb_sig_cli_add_common(GOptionContext *oc, tb_sig_cli_opts *o)
{
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
         "Configuration file (default configs/telebridge.ini)", "FILE"},
        {"set", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &o->overrides,
         "Override a config key, e.g. -o server.var_dir=/srv/tb (repeatable)", "SECTION.KEY=VALUE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionGroup *g = g_option_group_new(
        "config", "Configuration options:", "Show the configuration options", NULL, NULL);
    g_option_group_add_entries(g, entries);
    g_option_context_add_group(oc, g);
}

int tb_sig_cli_load_config(const char *cmd, tb_sig_cli_opts *o, tb_config *cfg)
{
    const char *path = o->config ? o->config : o->default_config;
    char err[512];
    if (tb_config_load(cfg, path, (const char *const *)o->overrides, err, sizeof err)) {
        fprintf(stderr, "telebridge %s: %s\n", cmd, err);
        return 1;
    }
    tb_log_set_level(TB_LOG_LEVEL_WARN);
    return 0;
}

void tb_sig_cli_clear_common(tb_sig_cli_opts *o)
{
    g_free(o->config);
    g_strfreev(o->overrides);
}

/* Arguments are taken as UTF-8 whatever the locale (g_option_context_parse_strv), so a
 * Cyrillic --name works from a C-locale shell or a script. */
bool tb_sig_cli_parse(GOptionContext *oc, const char *cmd, int argc, char **argv)
{
    GError *gerr = NULL;
    GStrv args = g_new0(char *, (gsize)argc + 1);
    for (int i = 0; i < argc; i++)
        args[i] = g_strdup(argv[i]);
    bool ok = g_option_context_parse_strv(oc, &args, &gerr);
    if (!ok) {
        fprintf(stderr, "telebridge %s: %s (see --help)\n", cmd, gerr->message);
        g_error_free(gerr);
    } else if (args[0] && args[1]) {
        fprintf(stderr, "telebridge %s: unexpected argument '%s' (see --help)\n", cmd, args[1]);
        ok = false;
    }
    g_strfreev(args);
    g_option_context_free(oc);
    return ok;
}
