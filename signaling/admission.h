/* admission.h — who may hold a connection (admission.c): the caps on WebSockets in
 * total and per client address ([limits]), and the file-descriptor budget that keeps
 * the process away from its descriptor limit.
 *
 * At the descriptor limit accept() fails with EMFILE and the listening socket stays
 * readable, so an event loop that only logs the failure spins at 100 % of a core (it
 * did: 122,000 log lines in 20 s). So the process raises its soft RLIMIT_NOFILE to the
 * hard limit at start, refuses a TCP connection whose descriptor number shows the
 * process near the limit (descriptors are handed out lowest first), keeps one spare
 * descriptor to give back when an accept() fails anyway (the next accept then succeeds
 * and is refused at once, instead of failing again), and caps WebSockets at what the
 * budget allows (each joined participant also holds relay sockets).
 *
 * Main thread only. */
#ifndef TB_SIG_ADMISSION_H
#define TB_SIG_ADMISSION_H

#include "common/tb_config.h"

#include <glib.h>
#include <stdbool.h>

typedef struct tb_sig_admission tb_sig_admission;

/* `cfg` must outlive it. Raises RLIMIT_NOFILE and takes the spare descriptor. */
tb_sig_admission *tb_sig_admission_create(const tb_config *cfg);
void tb_sig_admission_destroy(tb_sig_admission *a);

/* May the process take the TCP connection accepted as descriptor `fd`? */
bool tb_sig_admission_fd_ok(tb_sig_admission *a, int fd);
/* accept() failed for lack of descriptors: the spare one is given back (and taken
 * again later), so that lws's next accept() succeeds and is refused. */
void tb_sig_admission_out_of_fds(tb_sig_admission *a);

/* A WebSocket from `addr` wants in: NULL and counted, or the error code to answer with
 * ("too_many_connections", "too_many_from_address"). */
const char *tb_sig_admission_enter(tb_sig_admission *a, const char *addr);
/* A counted WebSocket from `addr` closed. */
void tb_sig_admission_leave(tb_sig_admission *a, const char *addr);
/* WebSockets counted now, and the cap in effect. */
int tb_sig_admission_count(const tb_sig_admission *a);
int tb_sig_admission_cap(const tb_sig_admission *a);

#endif
