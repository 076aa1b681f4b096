/* export.c — a session's official record as CSV or JSON: the register (who attended,
 * with which role, from when to when), the speaking log (hands, floors, who spoke),
 * the audit log of moderator actions, and the chat. Moderators download it during the
 * meeting (`export` request); `telebridge export` writes it from the catalog later.
 *
 * Times are ISO 8601 in the server's local time zone with its offset. CSV follows RFC
 * 4180 with CRLF line ends and a UTF-8 byte order mark, so spreadsheet programs open
 * Cyrillic names correctly; a cell starting with = + - @ gets a leading apostrophe so
 * that a participant's name cannot become a spreadsheet formula. */
#define TB_LOG_CAT "sig/export"
#include "signaling/room/requests.h"

#include <stdio.h>
#include <string.h>

static const char *const exports[] = {"register", "speaking", "audit", "chat", NULL};

typedef struct collector {
    bool csv;
    GString *out; /* csv */
    json_t *rows; /* json */
    bool header_done;
} collector;

static char *iso_time(const char *us_text)
{
    gint64 us = g_ascii_strtoll(us_text, NULL, 10);
    GDateTime *dt = g_date_time_new_from_unix_local(us / G_USEC_PER_SEC);
    if (!dt)
        return g_strdup(us_text);
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
    g_date_time_unref(dt);
    return s;
}

/* The exported name of a column: "joined_us" → "joined". */
static char *column_name(const char *name)
{
    size_t n = strlen(name);
    if (n > 3 && !strcmp(name + n - 3, "_us"))
        return g_strndup(name, n - 3);
    return g_strdup(name);
}

static bool is_time(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && !strcmp(name + n - 3, "_us");
}

static void csv_cell(GString *out, const char *v)
{
    if (!v)
        return;
    bool formula = strchr("=+-@", v[0]) && v[0];
    bool quote = formula || strpbrk(v, ",\"\r\n;") != NULL;
    if (quote)
        g_string_append_c(out, '"');
    if (formula)
        g_string_append_c(out, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    if (quote)
        g_string_append_c(out, '"');
}

static void on_row(void *user, int n, const char *const *names, const char *const *values)
{
    collector *c = user;
    if (c->csv && !c->header_done) {
        for (int i = 0; i < n; i++) {
            g_autofree char *name = column_name(names[i]);
            if (i)
                g_string_append_c(c->out, ',');
            csv_cell(c->out, name);
        }
        g_string_append(c->out, "\r\n");
        c->header_done = true;
    }
    json_t *row = c->csv ? NULL : json_object();
    for (int i = 0; i < n; i++) {
        g_autofree char *v =
            values[i] && is_time(names[i]) ? iso_time(values[i]) : g_strdup(values[i]);
        if (c->csv) {
            if (i)
                g_string_append_c(c->out, ',');
            csv_cell(c->out, v);
        } else {
            g_autofree char *name = column_name(names[i]);
            json_t *jv = v ? json_string(v) : json_null();
            json_object_set_new(row, name, jv ? jv : json_string("?"));
        }
    }
    if (c->csv)
        g_string_append(c->out, "\r\n");
    else
        json_array_append_new(c->rows, row);
}

char *tb_sig_export(tb_rec_catalog *cat, const char *session_id, const char *what,
                    const char *format, char *err, size_t errlen)
{
    bool known = false;
    for (int i = 0; exports[i]; i++)
        known |= !strcmp(what, exports[i]);
    if (!known) {
        snprintf(err, errlen, "'%s' is not one of register, speaking, audit, chat", what);
        return NULL;
    }
    if (strcmp(format, "csv") && strcmp(format, "json")) {
        snprintf(err, errlen, "format '%s' is not csv or json", format);
        return NULL;
    }
    char room[80] = "";
    if (tb_rec_catalog_session_room(cat, session_id, room, sizeof room)) {
        snprintf(err, errlen, "no session '%s' in the catalog", session_id);
        return NULL;
    }
    collector c = {.csv = !strcmp(format, "csv")};
    if (c.csv)
        c.out = g_string_new("\xEF\xBB\xBF"); /* UTF-8 byte order mark */
    else
        c.rows = json_array();
    if (tb_rec_catalog_query(cat, what, session_id, on_row, &c)) {
        snprintf(err, errlen, "the catalog could not be read");
        if (c.out)
            g_string_free(c.out, TRUE);
        json_decref(c.rows);
        return NULL;
    }
    if (c.csv)
        return g_string_free(c.out, FALSE);
    g_autofree char *now = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time());
    g_autofree char *at = iso_time(now);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o}", "session_id", session_id, "room", room,
                            "what", what, "exported_at", at, "rows", c.rows);
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    char *out = g_strdup(text);
    free(text);
    return out;
}

void tb_sig_export_request(tb_sig_request *r)
{
    tb_sig_participant *me = r->conn->participant;
    if (!tb_sig_require(r, TB_SIG_PERM_MODERATE, "exporting the meeting's record"))
        return;
    const char *what = tb_sig_str_field(r, "what", 16);
    const char *format = what ? tb_sig_str_field(r, "format", 8) : NULL;
    if (!format)
        return;
    tb_sig_room *room = me->room;
    char err[256] = "";
    char *text = tb_sig_export(room->hub->catalog, room->session_id, what, format, err, sizeof err);
    if (!text) {
        tb_sig_fail(r, "bad_request", "%s", err);
        return;
    }
    GDateTime *now = g_date_time_new_now_local();
    g_autofree char *date = g_date_time_format(now, "%Y%m%d-%H%M");
    g_date_time_unref(now);
    g_autofree char *filename = g_strdup_printf("%s-%s-%s.%s", room->name, what, date, format);
    tb_sig_audit(room, me, "export", NULL, json_pack("{s:s, s:s}", "what", what, "format", format));
    tb_sig_ok(r, json_pack("{s:s, s:s, s:s, s:s}", "filename", filename, "content_type",
                           !strcmp(format, "csv") ? "text/csv; charset=utf-8" : "application/json",
                           "session_id", room->session_id, "content", text));
    g_free(text);
}
