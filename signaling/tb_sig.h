/* tb_sig.h — the control plane: HTTP (web client), the signaling WebSocket at /ws,
 * rooms and participants. Talks to the media plane only through relay/tb_relay.h.
 * Everything here runs on the main thread (the default GMainContext). */
#ifndef TB_SIG_H
#define TB_SIG_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/tb_config.h"
#include "relay/tb_relay.h"

typedef struct tb_sig_server tb_sig_server;

/* Starts listening on cfg->server.listen:port on `loop`'s context. `cfg` and `relay`
 * must outlive the server. Returns NULL with a message in err. */
tb_sig_server *tb_sig_server_create(const tb_config *cfg, tb_relay *relay, GMainLoop *loop,
                                    char *err, size_t errlen);
/* Closes every connection (participants leave their rooms) and frees the server. Must
 * not be called from inside a libwebsockets callback (see PLATFORM.md): call it from a
 * GLib source. */
void tb_sig_server_destroy(tb_sig_server *srv);
/* The port actually bound (useful with port 0 in tests). */
int tb_sig_server_port(const tb_sig_server *srv);
/* True when the server speaks https/wss. */
bool tb_sig_server_tls(const tb_sig_server *srv);
/* The base of join links: server.public_url, else http(s)://listen:port (transfer full). */
char *tb_sig_server_base_url(tb_sig_server *srv);
/* A join token for `room` signed with the server's key, valid ttl_s seconds (transfer
 * full); NULL for an unknown role. */
char *tb_sig_server_mint(tb_sig_server *srv, const char *room, const char *role,
                         const char *identity, const char *name, int ttl_s);
/* "BASE/?room=ROOM#token=TOKEN" (token may be NULL; transfer full). The token travels in
 * the fragment, which browsers send to no server. */
char *tb_sig_join_link(const char *base, const char *room, const char *token);

/* Subcommands (cli.c): each parses its own options (--help) and returns the exit
 * status. `default_config` is used without --config. */
int tb_sig_cli_token(const char *default_config, int argc, char **argv);
int tb_sig_cli_sessions(const char *default_config, int argc, char **argv);
int tb_sig_cli_export(const char *default_config, int argc, char **argv);
/* `telebridge recordings list|show|compose|publish|unpublish|delete` (recordings_cmd.c). */
int tb_sig_cli_recordings(const char *default_config, int argc, char **argv);

#endif
