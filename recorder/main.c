/* main.c — the `telebridge-recorder` program: GStreamer work kept out of the daemon's
 * process, so that a crash here never drops a call (docs/architecture.md).
 *
 *   telebridge-recorder record  --session S --room R --dir D [--segment N] [--meeting M]
 *                                                              record, driven by the daemon
 *   telebridge-recorder compose [--config F] [-o k=v] SESSION   make the publication file
 *
 * `record` is started and supervised by the daemon (signaling/recording/recording.c); `compose`
 * is run by the daemon when a recorded session ends, by `telebridge recordings compose`,
 * or by hand. */
#define TB_LOG_CAT "rec/main"
#include "recorder/internal.h"
#include "common/tb_log.h"

#include <stdio.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <unistd.h>
#endif

static int cmd_record(int argc, char **argv)
{
    g_autofree char *session = NULL, *room = NULL, *dir = NULL, *log_level = NULL;
    g_autofree char *meeting = NULL;
    int min_free_mb = 0, segment = -1;
    GOptionEntry entries[] = {
        {"session", 0, 0, G_OPTION_ARG_STRING, &session, "Session id (the catalog's)", "ID"},
        {"room", 0, 0, G_OPTION_ARG_STRING, &room, "Room name, for the manifest", "NAME"},
        {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Session folder", "DIR"},
        {"min-free-mb", 0, 0, G_OPTION_ARG_INT, &min_free_mb,
         "Stop when the disk has less free space (MiB)", "N"},
        {"segment", 0, 0, G_OPTION_ARG_INT, &segment,
         "Segment number to write (the daemon's); refused if the manifest has it (default: the "
         "next free)",
         "N"},
        {"meeting", 0, 0, G_OPTION_ARG_STRING, &meeting,
         "The room's catalog session, when the recording continues an earlier session", "ID"},
        {"log-level", 0, 0, G_OPTION_ARG_STRING, &log_level, "error, warn, info, debug", "LEVEL"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("- record a session's tracks");
    g_option_context_set_summary(oc, "Driven by the telebridge daemon over stdin/stdout (one JSON "
                                     "object per line); see docs/architecture.md.");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    bool ok = g_option_context_parse(oc, &argc, &argv, &gerr);
    g_option_context_free(oc);
    if (!ok) {
        fprintf(stderr, "telebridge-recorder record: %s\n", gerr->message);
        g_error_free(gerr);
        return 2;
    }
    if (!tb_rec_session_id_valid(session) || !room || !dir) {
        fprintf(stderr, "telebridge-recorder record: --session (a session id), --room and --dir "
                        "are required\n");
        return 2;
    }
    if (segment < -1 || segment > TB_REC_MAX_SEGMENT ||
        (meeting && !tb_rec_session_id_valid(meeting))) {
        fprintf(stderr, "telebridge-recorder record: bad --segment or --meeting\n");
        return 2;
    }
    tb_log_level lvl;
    if (log_level && tb_log_level_parse(log_level, &lvl) == 0)
        tb_log_set_level(lvl);
    rec_record_opts o = {session, room, dir, min_free_mb, segment, meeting};
    return rec_record_run(&o);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: telebridge-recorder <command> [options]\n\n"
               "Commands:\n"
               "  record    record a session's tracks (started by the telebridge daemon)\n"
               "  compose   make the publication file (MP4) of a recorded session\n"
               "  help      show this help\n\n"
               "Run 'telebridge-recorder <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    gst_init(NULL, NULL);
    int rc;
    if (!strcmp(argv[1], "record"))
        rc = cmd_record(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "compose"))
        rc = rec_compose_main(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        rc = 0;
    } else {
        fprintf(stderr, "telebridge-recorder: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        rc = 2;
    }
    gst_deinit();
#ifdef __SANITIZE_ADDRESS__
    /* In the TB_SANITIZE build, memory errors are caught while we run, but the exit-time
     * leak check is skipped: GLib leaks its first quark array on purpose when GStreamer's
     * quarks outgrow it (lock-free readers), and telling that block from a leak of ours
     * needs full stacks at every allocation (Debian's libraries have no frame pointers),
     * which slows allocation tenfold - too slow for a recorder of live media. */
    fflush(NULL);
    _exit(rc);
#endif
    return rc;
}
