/* recording_internal.h — what recording.c (recorders of live rooms) and compositions.c
 * (the composition queue, deletion) share. No other file includes it. */
#ifndef TB_SIG_RECORDING_INTERNAL_H
#define TB_SIG_RECORDING_INTERNAL_H

#include "signaling/recording.h"

#include <gio/gio.h>

/* One run of a recorder process. Outlives the room when the room closes while the
 * recorder is still closing its files. */
typedef struct rec_proc {
    tb_sig_recorder *owner;
    tb_sig_recording *rec; /* NULL once detached from its recording */
    GSubprocess *proc;     /* owned */
    GDataInputStream *out; /* its stdout, owned */
    int in_fd;             /* its stdin, non-blocking; -1 once closed */
    GString *pending;      /* bytes waiting for the pipe */
    guint in_watch;
    GCancellable *cancel;
    char session_id[32];
    char *dir;
    bool ready, stopping, exited;
    char *error_code; /* set by an "error" event */
} rec_proc;

struct tb_sig_recorder {
    tb_sig_server *srv;
    GList *procs;           /* rec_proc* alive (record) */
    GQueue compose_queue;   /* char* session ids */
    GSubprocess *composing; /* the running composition, owned */
    char *composing_id;
    GCancellable *cancel;
};

/* The next queued session whose recorder has closed its files, if nothing is composing. */
void tb_sig__compose_next(tb_sig_recorder *r);
/* Queues a session's composition (once). */
void tb_sig__compose_queue_add(tb_sig_recorder *r, const char *session_id);
/* Timer: re-checks the queue (a recorder may have exited). */
gboolean tb_sig__compose_poll(gpointer recorder);

#endif
