/* tb_sig.h — the control plane: HTTP (web client, recordings), the signaling WebSocket
 * at /ws, rooms and participants. Talks to the media plane only through
 * relay/tb_relay.h. Everything here runs on the main thread (the default GMainContext).
 *
 * The folders of signaling/, from the bottom up (each includes only those below it):
 *   access/     roles, permissions, tokens, who may join: pure, any thread
 *   conn.c      one WebSocket, knowing no room
 *   room/       rooms, participants and the requests that act on them
 *   recording/  recording control, compositions, recordings over HTTP
 *   server.c    the assembly and the lws callback (this header's functions), tls.c
 *   cli/        the `telebridge` command and its subcommands */
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
 * not be called from inside a libwebsockets callback (docs/platform.md): call it from
 * a GLib source. */
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

#endif
