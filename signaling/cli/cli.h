/* cli.h — the subcommands of `telebridge` besides `serve` (main.c): each parses its own
 * options (--help) and returns the exit status; `default_config` is used without
 * --config. They read the same configuration as `serve` and work whether or not the
 * daemon runs (the key file is shared, the catalog is SQLite in WAL mode). Main thread
 * of a short-lived process. */
#ifndef TB_SIG_CLI_H
#define TB_SIG_CLI_H

#include "common/tb_config.h"

#include <glib.h>
#include <stdbool.h>

/* options.c: the options every subcommand shares, the config file and -o overrides. */
typedef struct tb_sig_cli_opts {
    const char *default_config; /* not owned: used without --config */
    char *config;               /* owned: --config */
    char **overrides;           /* owned: -o SECTION.KEY=VALUE */
} tb_sig_cli_opts;
void tb_sig_cli_add_common(GOptionContext *oc, tb_sig_cli_opts *o);
/* Parses argv (as UTF-8, whatever the locale) and frees oc; false (said on stderr) on a
 * bad option or an unexpected argument. */
bool tb_sig_cli_parse(GOptionContext *oc, const char *cmd, int argc, char **argv);
/* Loads the configuration o names; 1 (said on stderr) when it cannot. */
int tb_sig_cli_load_config(const char *cmd, tb_sig_cli_opts *o, tb_config *cfg);
void tb_sig_cli_clear_common(tb_sig_cli_opts *o);

/* cli.c: `telebridge token`, `sessions`, `export`. */
int tb_sig_cli_token(const char *default_config, int argc, char **argv);
int tb_sig_cli_sessions(const char *default_config, int argc, char **argv);
int tb_sig_cli_export(const char *default_config, int argc, char **argv);
/* recordings.c: `telebridge recordings list|show|compose|publish|unpublish|delete`. */
int tb_sig_cli_recordings(const char *default_config, int argc, char **argv);
/* turn.c: `telebridge turn-config`. */
int tb_sig_cli_turn_config(const char *default_config, int argc, char **argv);
/* doctor.c: `telebridge doctor`. */
int tb_sig_cli_doctor(const char *default_config, int argc, char **argv);

#endif
