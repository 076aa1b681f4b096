/* support.h — what the fuzz targets that need a real relay or a catalog share
 * (support.c): one relay per process whose media worker is held still while an input runs,
 * the configuration the targets use, a scratch folder and a fresh catalog per input.
 *
 * Why the worker is held: the main-thread calls under test (signaling handlers, the
 * relay's pc.c) only post work to the media worker, and the worker posts events back.
 * If the worker ran during an input, what the main thread saw would depend on thread
 * timing and a run could not be repeated. So fz_relay_begin() parks the worker inside
 * one of its own idle callbacks; the input runs on the main thread alone; fz_relay_end()
 * lets the worker run everything the input posted (ICE agents started and stopped,
 * candidates handed to libnice: that code is fuzzed too), waits until the worker is idle
 * again, then runs on the main thread what the worker posted back. A crash on the worker
 * therefore still happens inside the input that caused it.
 *
 * The relay is ICE-lite on 127.0.0.1 only: it gathers on loopback and never starts
 * connectivity checks, so no packet goes to an address that came from fuzz input.
 *
 * Main thread only (the thread that calls LLVMFuzzerTestOneInput). */
#ifndef TB_FUZZ_SUPPORT_H
#define TB_FUZZ_SUPPORT_H

#include "common/tb_config.h"
#include "recorder/tb_rec_catalog.h"
#include "relay/tb_relay.h"

#include <stdlib.h>

/* Aborts (a finding) when an invariant of the code under test does not hold. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* The process's scratch folder (created on first use, removed at exit; transfer none). */
const char *fz_scratch_dir(void);
/* Removes path and, if it is a folder, everything below it (no symlink is followed). */
void fz_remove_tree(const char *path);

/* The configuration every target uses (loaded once; transfer none): var_dir in the
 * scratch folder, log level "error", one ICE-lite media worker on 127.0.0.1, and the
 * rooms the signaling target joins (support.c, CONFIG). */
const tb_config *fz_config(void);

/* The relay (created on first use with fz_config()->relay; transfer none). */
tb_relay *fz_relay(void);
/* Parks the media worker; call before the input touches the relay. */
void fz_relay_begin(void);
/* Lets the worker run what the input posted, waits until it is idle, then runs what it
 * posted back on the main thread. Call after everything the input created is closed. */
void fz_relay_end(void);
/* Runs the main context until nothing is ready (idle callbacks, events). */
void fz_main_drain(void);

/* A publish offer as a browser makes it, one m-line per letter of `kinds` ('a' audio:
 * Opus with the audio-level and mid extensions; 'v' video: VP8), mids "0", "1", …
 * (transfer full, g_free). */
char *fz_offer(const char *kinds);
/* A client's answer to the relay's subscribe offer `offer`: the same m-lines, recvonly,
 * a=setup:active and the client's own ICE credentials (transfer full, g_free). */
char *fz_answer_for(const char *offer);

/* A new, empty catalog in the scratch folder (transfer full: fz_catalog_close). */
tb_rec_catalog *fz_catalog_open(void);
/* Closes it and deletes its files. */
void fz_catalog_close(tb_rec_catalog *cat);

#endif
