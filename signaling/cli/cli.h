/* cli.h — the subcommands of `telebridge` besides `serve` (main.c): each parses its own
 * options (--help) and returns the exit status; `default_config` is used without
 * --config. They read the same configuration as `serve` and work whether or not the
 * daemon runs (the key file is shared, the catalog is SQLite in WAL mode). Main thread
 * of a short-lived process. */
#ifndef TB_SIG_CLI_H
#define TB_SIG_CLI_H

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
