/* recordings_cmd.c — `telebridge recordings`: the recorded sessions from the shell.
 *
 *   telebridge recordings list [--published]
 *   telebridge recordings show SESSION
 *   telebridge recordings compose SESSION        (runs telebridge-recorder compose)
 *   telebridge recordings publish SESSION [--title T] [--description D]
 *   telebridge recordings unpublish SESSION
 *   telebridge recordings delete SESSION [--force]
 *
 * Same configuration as `serve` (var_dir, [recording]); works whether or not the daemon
 * runs: the catalog is SQLite in WAL mode, shared. */
#define TB_LOG_CAT "cli"
#include "signaling/cli/cli.h"
#include "signaling/recording/recording.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"
#include "recorder/tb_rec_recordings.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct rec_cli {
    const tb_config *cfg;
    const char *config_path;
    char **overrides;
    tb_rec_catalog *cat;
    char *root; /* recordings folder */
    gboolean published, force;
    char *title, *description;
} rec_cli;

static void when(int64_t us, char *out, size_t cap)
{
    if (!us) {
        g_strlcpy(out, "-", cap);
        return;
    }
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

static void hms(double s, char *out, size_t cap)
{
    int v = (int)(s + 0.5);
    snprintf(out, cap, "%d:%02d:%02d", v / 3600, v / 60 % 60, v % 60);
}

static const char *comp_text(const tb_rec_recording *r, char *buf, size_t cap)
{
    if (!r->comp_state)
        return "-";
    if (!strcmp(r->comp_state, "running"))
        snprintf(buf, cap, "running %d%%", (int)(r->comp_progress * 100));
    else
        g_strlcpy(buf, r->comp_state, cap);
    return buf;
}

static int cmd_list(rec_cli *c)
{
    GPtrArray *all = tb_rec_recordings_list(c->cat, c->published, 1000, 0);
    printf("%-18s %-20s %-16s %8s %6s %-12s %-12s %s\n", "SESSION", "ROOM", "STARTED", "LENGTH",
           "PEOPLE", "STATE", "VIDEO", "TITLE");
    for (guint i = 0; i < all->len; i++) {
        tb_rec_recording *r = g_ptr_array_index(all, i);
        char start[32], len[16], comp[32];
        when(r->started_us, start, sizeof start);
        hms(r->duration_us / 1e6, len, sizeof len);
        printf("%-18s %-20.20s %-16s %8s %6d %-12s %-12s %s%s\n", r->session_id, r->room, start,
               len, r->participants, r->state, comp_text(r, comp, sizeof comp),
               r->published ? "[published] " : "", r->title ? r->title : "");
    }
    if (all->len == 0)
        printf("(no recordings)\n");
    g_ptr_array_unref(all);
    return 0;
}

static int cmd_show(rec_cli *c, const tb_rec_recording *r)
{
    char start[32], end[32], len[16], comp[32];
    when(r->started_us, start, sizeof start);
    when(r->ended_us, end, sizeof end);
    hms(r->duration_us / 1e6, len, sizeof len);
    g_autofree char *dir = g_build_filename(c->root, r->session_id, NULL);
    printf("session:      %s\nroom:         %s\nstate:        %s%s%s\n", r->session_id, r->room,
           r->state, r->reason ? " - " : "", r->reason ? r->reason : "");
    printf("recorded:     %s .. %s (%s of media, %d participants, %d tracks)\n", start, end, len,
           r->participants, r->tracks);
    if (r->interruptions)
        printf("interrupted:  %d time(s); what was recorded is kept\n", r->interruptions);
    printf("title:        %s\ndescription:  %s\npublished:    %s\n", r->title, r->description,
           r->published ? "yes" : "no");
    printf("composition:  %s", comp_text(r, comp, sizeof comp));
    if (r->comp_file && r->comp_state && !strcmp(r->comp_state, "done"))
        printf(" - %s/%s, %.1f MB", dir, r->comp_file, r->comp_size / 1e6);
    if (r->comp_error)
        printf(" - %s", r->comp_error);
    printf("\nfolder:       %s\n", dir);
    char err[256];
    g_autoptr(tb_rec_manifest) m = tb_rec_manifest_load(dir, err, sizeof err);
    if (!m) {
        printf("manifest:     %s\n", err);
        return 0;
    }
    printf("\nsegments:\n");
    for (guint i = 0; i < m->segments->len; i++) {
        const tb_rec_segment *s = g_ptr_array_index(m->segments, i);
        char a[32], b[32];
        when(s->started_us, a, sizeof a);
        when(s->ended_us, b, sizeof b);
        printf("  %d  %s .. %s  %s%s%s\n", s->index, a, b, tb_rec_segment_state_name(s->state),
               s->reason ? " - " : "", s->reason ? s->reason : "");
    }
    printf("\ntracks:\n");
    for (guint i = 0; i < m->tracks->len; i++) {
        const tb_rec_track *t = g_ptr_array_index(m->tracks, i);
        double dur = t->end_us && t->start_us ? (t->end_us - t->start_us - t->offset_us) / 1e6 : 0;
        printf("  %-28s %-5s %-10s %-5s +%6.1f s %7.1f s  %-11s %s\n", t->name, t->kind, t->label,
               t->codec, t->offset_us / 1e6, dur, tb_rec_track_state_name(t->state), t->file);
    }
    return 0;
}

/* Runs `telebridge-recorder compose` for the session, printing its progress. */
static int cmd_compose(rec_cli *c, const char *id)
{
    GPtrArray *argv = tb_sig_compose_argv(c->cfg, (const char *const *)c->overrides, id);
    g_autofree char *dir = g_build_filename(c->root, id, NULL);
    GError *gerr = NULL;
    GSubprocess *p =
        g_subprocess_newv((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &gerr);
    g_ptr_array_unref(argv);
    if (!p) {
        fprintf(stderr, "telebridge recordings: %s\n", gerr->message);
        g_error_free(gerr);
        return 1;
    }
    GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
    char *line;
    int last = -1;
    while ((line = g_data_input_stream_read_line_utf8(in, NULL, NULL, NULL))) {
        json_t *ev = json_loads(line, 0, NULL);
        const char *type = json_string_value(json_object_get(ev, "event"));
        if (type && !strcmp(type, "progress")) {
            int pct = (int)(json_real_value(json_object_get(ev, "progress")) * 100);
            if (pct / 10 != last / 10)
                printf("composing: %d%% (%.1fx real time)\n", pct,
                       json_real_value(json_object_get(ev, "speed")));
            last = pct;
        } else if (type && !strcmp(type, "done")) {
            printf("done: %s/%s, %.1f s of media in %.1f s\n", dir,
                   json_string_value(json_object_get(ev, "file")),
                   json_real_value(json_object_get(ev, "duration_s")),
                   json_real_value(json_object_get(ev, "seconds")));
        } else if (type && !strcmp(type, "failed")) {
            printf("failed: %s\n", json_string_value(json_object_get(ev, "error")));
        }
        fflush(stdout);
        json_decref(ev);
        g_free(line);
    }
    g_object_unref(in);
    bool ok = g_subprocess_wait_check(p, NULL, NULL);
    g_object_unref(p);
    return ok ? 0 : 1;
}

static int act(rec_cli *c, const char *action, const char *id)
{
    if (!strcmp(action, "list"))
        return cmd_list(c);
    if (!id) {
        fprintf(stderr, "telebridge recordings %s: give a session id\n", action);
        return 2;
    }
    g_autoptr(tb_rec_recording) r = tb_rec_recording_get(c->cat, id);
    if (!r) {
        fprintf(stderr, "telebridge recordings: no recording of session '%s'\n", id);
        return 1;
    }
    int rc;
    if (!strcmp(action, "show"))
        return cmd_show(c, r);
    if (!strcmp(action, "compose")) {
        if (!strcmp(r->state, "recording") && !c->force) {
            fprintf(stderr,
                    "telebridge recordings: %s is being recorded (--force to compose "
                    "what is there)\n",
                    id);
            return 1;
        }
        return cmd_compose(c, id);
    }
    if (!strcmp(action, "publish")) {
        if ((c->title || c->description) &&
            tb_rec_recording_set_meta(c->cat, id, c->title ? c->title : r->title,
                                      c->description ? c->description : r->description))
            return 1;
        rc = tb_rec_recording_publish(c->cat, id, true);
        if (rc == TB_ESTATE) {
            fprintf(stderr,
                    "telebridge recordings: %s has no finished composition yet "
                    "(telebridge recordings compose %s)\n",
                    id, id);
            return 1;
        }
        if (!rc)
            printf("published: /archive/media/%s.mp4\n", id);
        return rc ? 1 : 0;
    }
    if (!strcmp(action, "unpublish"))
        return tb_rec_recording_publish(c->cat, id, false) ? 1 : 0;
    if (!strcmp(action, "delete")) {
        if (!strcmp(r->state, "recording") && !c->force) {
            fprintf(stderr,
                    "telebridge recordings: %s is being recorded (--force to delete "
                    "anyway)\n",
                    id);
            return 1;
        }
        rc = tb_sig_recording_delete_files(c->cat, c->root, id);
        if (!rc)
            printf("deleted %s\n", id);
        return rc ? 1 : 0;
    }
    fprintf(stderr,
            "telebridge recordings: unknown action '%s' (list, show, compose, publish, "
            "unpublish, delete)\n",
            action);
    return 2;
}

int tb_sig_cli_recordings(const char *default_config, int argc, char **argv)
{
    rec_cli c = {0};
    g_autofree char *config = NULL, *db = NULL;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
         "Configuration file (default configs/telebridge.ini)", "FILE"},
        {"set", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &c.overrides,
         "Override a config key, e.g. -o server.var_dir=/srv/tb (repeatable)", "SECTION.KEY=VALUE"},
        {"published", 0, 0, G_OPTION_ARG_NONE, &c.published, "list: only published ones", NULL},
        {"title", 0, 0, G_OPTION_ARG_STRING, &c.title, "publish: set the title", "TEXT"},
        {"description", 0, 0, G_OPTION_ARG_STRING, &c.description, "publish: set the description",
         "TEXT"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &c.force,
         "compose or delete a session still marked as being recorded", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("list | show ID | compose ID | publish ID | "
                                              "unpublish ID | delete ID");
    g_option_context_set_summary(oc, "The recorded sessions: list them, show one (its segments "
                                     "and tracks), make its\npublication file again, publish it "
                                     "in /archive or take it off, delete it.");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    GStrv args = g_new0(char *, (gsize)argc + 1);
    for (int i = 0; i < argc; i++)
        args[i] = g_strdup(argv[i]);
    bool ok = g_option_context_parse_strv(oc, &args, &gerr);
    g_option_context_free(oc);
    int rc = 2;
    tb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    guint n = g_strv_length(args);
    if (!ok || n < 2 || n > 3) {
        fprintf(stderr, "telebridge recordings: %s (see --help)\n",
                gerr ? gerr->message
                     : "give an action: list, show, compose, publish, "
                       "unpublish, delete");
        g_clear_error(&gerr);
        goto out;
    }
    char err[512];
    c.config_path = config ? config : default_config;
    if (tb_config_load(&cfg, c.config_path, (const char *const *)c.overrides, err, sizeof err)) {
        fprintf(stderr, "telebridge recordings: %s\n", err);
        rc = 1;
        goto out;
    }
    tb_log_set_level(TB_LOG_LEVEL_WARN);
    c.cfg = &cfg;
    c.root = tb_sig_recordings_dir(&cfg);
    db = g_build_filename(cfg.server.var_dir, "telebridge.db", NULL);
    c.cat = tb_rec_catalog_open(db, err, sizeof err);
    if (!c.cat || tb_rec_recordings_init(c.cat)) {
        fprintf(stderr, "telebridge recordings: %s\n", c.cat ? "catalog: cannot migrate" : err);
        rc = 1;
        goto out;
    }
    rc = act(&c, args[1], n == 3 ? args[2] : NULL);
out:
    tb_rec_catalog_close(c.cat);
    g_free(c.root);
    g_free(c.title);
    g_free(c.description);
    g_strfreev(c.overrides);
    g_strfreev(args);
    tb_config_clear(&cfg);
    return rc;
}
