/* recording_internal.h — what the files of recording/ share: recording.c (recordings of
 * live rooms: requests, hooks, the state machine), proc.c (the recorder processes),
 * compositions.c (the composition queue, deletion) and http_media.c. No file outside
 * recording/ includes it. Main thread only. */
#ifndef TB_SIG_RECORDING_INTERNAL_H
#define TB_SIG_RECORDING_INTERNAL_H

#include "signaling/recording/recording.h"

#include <gio/gio.h>

/* One run of a recorder process (one segment). Outlives the room when the room closes
 * while the recorder is still closing its files. */
typedef struct rec_proc {
    tb_sig_recorder *owner;       /* [main] not owned */
    tb_sig_recording *rec;        /* [main] not owned; NULL once detached from its recording */
    GSubprocess *proc;            /* [main] owned */
    GDataInputStream *out;        /* [main] owned: its stdout */
    int in_fd;                    /* [main] owned: its stdin, non-blocking; -1 once closed */
    GString *pending;             /* [main] owned: bytes waiting for the pipe */
    guint in_watch;               /* [main] waits for the pipe to take more */
    guint kill_timer;             /* [main] kills it if it has not exited long after `stop` */
    GCancellable *cancel;         /* [main] owned: cancels the reads and the wait */
    char session_id[32];          /* [main] the recording's session (its folder) */
    int segment;                  /* [main] the segment it writes (the daemon's number) */
    char *dir;                    /* [main] owned: the session folder */
    bool ready, stopping, exited; /* [main] */
    bool shutdown;                /* [main] stopped because the server stops: resumable */
    char *error_code;             /* [main] owned: set by an "error" event */
} rec_proc;

/* A recorded room's state machine: OFF → (WAITING: the session's previous recorder is
 * still closing its files) → STARTING (the recorder runs, not ready yet) → ON → OFF.
 * Clients see WAITING and STARTING alike, as "starting". */
typedef enum {
    TB_SIG__REC_OFF = 0,
    TB_SIG__REC_WAITING,
    TB_SIG__REC_STARTING,
    TB_SIG__REC_ON
} tb_sig__rec_state;

struct tb_sig_recording {
    tb_sig_recorder *owner; /* [main] not owned */
    tb_sig_room *room;      /* [main] not owned */
    tb_sig__rec_state state;
    rec_proc *proc;      /* [main] current run (not owned: the recorder's), NULL when none */
    GHashTable *tracks;  /* [main] track id → tb_relay_track* (ref) being recorded */
    char session_id[32]; /* [main] the recording's session: the room's, or the one it continues
                            after a server restart; "" until first started */
    int next_segment;    /* [main] at least this number for the next segment */
    int64_t since_us;
    char *by;             /* [main] owned: who started it, NULL = automatic */
    bool stopped_by_hand; /* [main] no automatic start again in this session */
    int restarts;
    int64_t restart_window_us;
    GHashTable *changes; /* [main] owned: rate limit, participant key → int64 monotonic us */
    /* [main] the recording_start waiting for its reply (state WAITING): its participant
     * (not owned; cleared when it leaves) and request id. */
    tb_sig_participant *reply_to;
    json_int_t reply_id;
};

struct tb_sig_recorder {
    tb_sig_hub *hub;        /* [main] not owned */
    GList *procs;           /* [main] rec_proc* alive (record), owned */
    GList *waiting;         /* [main] tb_sig_recording* in state WAITING, not owned */
    GQueue compose_queue;   /* [main] owned char* session ids */
    GSubprocess *composing; /* [main] owned: the running composition */
    char *composing_id;     /* [main] owned */
    GCancellable *cancel;   /* [main] owned */
    guint poll_timer;       /* [main] tb_sig__compose_poll */
    bool shutting_down;     /* [main] tb_sig_recorder_shutdown ran: nothing new starts */
};

/* ---- proc.c: recorder processes ---- */

/* Starts `telebridge-recorder record` for rec's session and segment `segment`, reading
 * its events; it is rec->proc and in the recorder's procs. false with err. */
bool tb_sig__proc_start(tb_sig_recording *rec, int segment, char *err, size_t errlen);
/* Sends a command (transfer full); a recorder that stopped reading is killed. */
void tb_sig__proc_send(rec_proc *pr, json_t *cmd);
/* Asks it to close its files (`reason` for the segment, may be NULL) and to exit;
 * detaches it from its recording. It is killed if it has not exited in a while. */
void tb_sig__proc_stop(rec_proc *pr, const char *reason);
/* Forgets it (it is not waited for: its input closes, it ends by itself). */
void tb_sig__proc_free(rec_proc *pr);
/* Is a recorder of the session alive (running or closing its files)? */
bool tb_sig__proc_busy(tb_sig_recorder *r, const char *session_id);

/* ---- recording.c: what proc.c reports ---- */

/* One event line of the recorder (borrowed). */
void tb_sig__recording_event(rec_proc *pr, json_t *ev);
/* It exited (clean: status 0); the callee frees pr. */
void tb_sig__recording_exited(rec_proc *pr, bool clean);

/* ---- compositions.c ---- */

/* The next queued session whose recorder has closed its files, if nothing is composing. */
void tb_sig__compose_next(tb_sig_recorder *r);
/* Queues a session's composition (once). `again`: even while that session is being
 * composed (its recording went on since that composition began). */
void tb_sig__compose_queue_add(tb_sig_recorder *r, const char *session_id, bool again);
/* Timer: re-checks the queue (a recorder may have exited). */
gboolean tb_sig__compose_poll(gpointer recorder);

#endif
