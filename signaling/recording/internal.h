/* recording_internal.h — what the files of recording/ share: recording.c (recorders of
 * live rooms), compositions.c (the composition queue, deletion) and http_media.c. No
 * file outside recording/ includes it. Main thread only. */
#ifndef TB_SIG_RECORDING_INTERNAL_H
#define TB_SIG_RECORDING_INTERNAL_H

#include "signaling/recording/recording.h"

#include <gio/gio.h>

/* One run of a recorder process. Outlives the room when the room closes while the
 * recorder is still closing its files. */
typedef struct rec_proc {
    tb_sig_recorder *owner;       /* [main] not owned */
    tb_sig_recording *rec;        /* [main] not owned; NULL once detached from its recording */
    GSubprocess *proc;            /* [main] owned */
    GDataInputStream *out;        /* [main] owned: its stdout */
    int in_fd;                    /* [main] owned: its stdin, non-blocking; -1 once closed */
    GString *pending;             /* [main] owned: bytes waiting for the pipe */
    guint in_watch;               /* [main] waits for the pipe to take more */
    GCancellable *cancel;         /* [main] owned: cancels the reads and the wait */
    char session_id[32];          /* [main] */
    char *dir;                    /* [main] owned: the session folder */
    bool ready, stopping, exited; /* [main] */
    char *error_code;             /* [main] owned: set by an "error" event */
} rec_proc;

struct tb_sig_recorder {
    tb_sig_hub *hub;        /* [main] not owned */
    GList *procs;           /* [main] rec_proc* alive (record), owned */
    GQueue compose_queue;   /* [main] owned char* session ids */
    GSubprocess *composing; /* [main] owned: the running composition */
    char *composing_id;     /* [main] owned */
    GCancellable *cancel;   /* [main] owned */
    guint poll_timer;       /* [main] tb_sig__compose_poll */
};

/* The next queued session whose recorder has closed its files, if nothing is composing. */
void tb_sig__compose_next(tb_sig_recorder *r);
/* Queues a session's composition (once). */
void tb_sig__compose_queue_add(tb_sig_recorder *r, const char *session_id);
/* Timer: re-checks the queue (a recorder may have exited). */
gboolean tb_sig__compose_poll(gpointer recorder);

#endif
