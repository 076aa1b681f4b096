/* sendq.h — batched sends of forwarded RTP, per media worker.
 *
 * The fan-out used to send each packet to each subscriber at once (one nice_agent_send,
 * one agent lock, one sendmsg each). Now it writes the packet into a slot of the worker's
 * pool, protects it there and queues it on the subscriber's queue; when the worker's
 * current round of events is over (in the prepare step of the worker's next main-loop
 * iteration, see sendq.c) every queue goes out with one sendmmsg on the socket of the
 * connection's selected ICE pair. That spends one system call per
 * subscriber per burst (a video frame is several packets) instead of one per packet, and
 * no libnice lock at all. Connections whose selected pair is relayed (TURN) or not known
 * yet go through nice_agent_send_messages_nonblocking instead.
 *
 * Threads: a queue belongs to the worker thread that created it (the thread whose
 * thread-default GMainContext runs the agent) and is used only there. On a thread without
 * a thread-default context (unit tests driving the relay by hand) nothing is queued:
 * commit sends at once. */
#ifndef TB_RELAY_SENDQ_H
#define TB_RELAY_SENDQ_H

#include <agent.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_relay__sendq tb_relay__sendq;

/* For the agent's stream (component 1). The agent must outlive the queue. */
tb_relay__sendq *tb_relay__sendq_create(NiceAgent *agent, guint stream_id);
/* Drops whatever is still queued. */
void tb_relay__sendq_destroy(tb_relay__sendq *q);
/* Re-reads the selected pair: call when ICE selects one, and when it fails. */
void tb_relay__sendq_update_path(tb_relay__sendq *q);
/* Connects the selected pair's socket (a plain UDP one) to the peer, now and again after
 * every later update_path that selects another peer address. A connected UDP socket keeps
 * its route: sends skip the kernel's route lookup, ~8 % of the relay's CPU per forwarded
 * packet at 1 -> 100 (docs/performance.md, change 20). The price: the kernel then
 * delivers only that peer's datagrams to the socket, for good (see connect_fd in sendq.c),
 * so ICE can no longer find another path through it (a check from a new address, after a
 * NAT rebinding, is dropped); pin a connection only once its path has settled. */
void tb_relay__sendq_pin(tb_relay__sendq *q);
/* A buffer of TB_RELAY_SENDQ_SLOT bytes for the next packet to this peer; never NULL.
 * Valid until tb_relay__sendq_commit() or the next reserve on this thread. */
uint8_t *tb_relay__sendq_reserve(tb_relay__sendq *q);
/* Queues the len bytes written into the reserved buffer (already protected). */
void tb_relay__sendq_commit(tb_relay__sendq *q, size_t len);
/* Sends everything queued on this thread now. */
void tb_relay__sendq_flush(void);

/* Packets sent and dropped (socket full) through queues of this thread, for tests. */
void tb_relay__sendq_counters(uint64_t *sent, uint64_t *dropped);

#define TB_RELAY_SENDQ_SLOT 1536

#endif
