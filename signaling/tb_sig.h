/* tb_sig.h — the control plane: HTTP (web client), the signaling WebSocket at /ws,
 * rooms and participants. Talks to the media plane only through relay/tb_relay.h.
 * Everything here runs on the main thread (the default GMainContext). */
#ifndef TB_SIG_H
#define TB_SIG_H

#include <glib.h>
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

#endif
