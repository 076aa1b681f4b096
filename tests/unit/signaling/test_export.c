/* The record of a meeting (signaling/room/export.c over recorder/catalog_export.c): the
 * register and the speaking log as CSV (RFC 4180 quoting, byte order mark, no cell that
 * a spreadsheet would run as a formula) and as JSON, with ISO 8601 times; unknown
 * exports and sessions refused. */
#include "signaling/room/room.h"
#include "common/tb_error.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static tb_rec_catalog *open_tmp(char **dir)
{
    *dir = g_dir_make_tmp("tbexport-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(*dir, "telebridge.db", NULL);
    char err[256] = "";
    tb_rec_catalog *cat = tb_rec_catalog_open(path, err, sizeof err);
    g_assert_nonnull(cat);
    return cat;
}

static void test_register_csv(void)
{
    g_autofree char *dir = NULL;
    tb_rec_catalog *cat = open_tmp(&dir);
    char sid[32];
    g_assert_cmpint(tb_rec_catalog_session_begin(cat, "hall-1", sid, sizeof sid), ==, TB_OK);
    tb_rec_catalog_attend_join(cat, sid, "p1", "anna", "Иванова, \"Анна\"", "moderator");
    tb_rec_catalog_attend_join(cat, sid, "p2", NULL, "=HYPERLINK(\"x\")", "viewer");
    tb_rec_catalog_attend_leave(cat, sid, "p2");
    char err[256] = "";
    g_autofree char *csv = tb_sig_export(cat, sid, "register", "csv", err, sizeof err);
    g_assert_nonnull(csv);
    g_assert_true(g_str_has_prefix(csv, "\xEF\xBB\xBF"
                                        "participant_id,identity,name,role,joined,left\r\n"));
    g_assert_nonnull(strstr(csv, "\r\np1,anna,\"Иванова, \"\"Анна\"\"\",moderator,"));
    /* The formula is neutralised and quoted; an anonymous identity is an empty cell. */
    g_assert_nonnull(strstr(csv, "\r\np2,,\"'=HYPERLINK(\"\"x\"\")\",viewer,"));
    /* ISO 8601 with an offset; p1 has not left: empty last cell. */
    GRegex *re = g_regex_new(
        "moderator,\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d,\\r\\n", 0, 0, NULL);
    g_assert_true(g_regex_match(re, csv, 0, NULL));
    g_regex_unref(re);
    tb_rec_catalog_close(cat);
    g_autofree char *db = g_build_filename(dir, "telebridge.db", NULL);
    g_unlink(db);
}

static void test_speaking_json(void)
{
    g_autofree char *dir = NULL;
    tb_rec_catalog *cat = open_tmp(&dir);
    char sid[32];
    tb_rec_catalog_session_begin(cat, "hearing", sid, sizeof sid);
    int64_t hand = 0, floor = 0;
    g_assert_cmpint(tb_rec_catalog_speaking_begin(cat, sid, "p2", "Житель", "hand", NULL, 0, &hand),
                    ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_speaking_end(cat, hand, "given the floor"), ==, TB_OK);
    g_assert_cmpint(tb_rec_catalog_speaking_begin(cat, sid, "p2", "Житель", "floor", "Председатель",
                                                  90, &floor),
                    ==, TB_OK);
    g_assert_cmpint(floor, >, hand);
    g_assert_cmpint(tb_rec_catalog_speaking_end(cat, floor, "expired"), ==, TB_OK);
    char err[256] = "";
    g_autofree char *text = tb_sig_export(cat, sid, "speaking", "json", err, sizeof err);
    g_assert_nonnull(text);
    json_t *doc = json_loads(text, 0, NULL);
    g_assert_nonnull(doc);
    g_assert_cmpstr(json_string_value(json_object_get(doc, "room")), ==, "hearing");
    g_assert_cmpstr(json_string_value(json_object_get(doc, "what")), ==, "speaking");
    json_t *rows = json_object_get(doc, "rows");
    g_assert_cmpint(json_array_size(rows), ==, 2);
    json_t *f = json_array_get(rows, 1);
    g_assert_cmpstr(json_string_value(json_object_get(f, "kind")), ==, "floor");
    g_assert_cmpstr(json_string_value(json_object_get(f, "granted_by")), ==, "Председатель");
    g_assert_cmpstr(json_string_value(json_object_get(f, "seconds")), ==, "90");
    g_assert_cmpstr(json_string_value(json_object_get(f, "end_reason")), ==, "expired");
    g_assert_nonnull(json_string_value(json_object_get(f, "ended")));
    g_assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "granted_by")));
    json_decref(doc);

    /* Refusals. */
    g_assert_null(tb_sig_export(cat, sid, "secrets", "csv", err, sizeof err));
    g_assert_nonnull(strstr(err, "secrets"));
    g_assert_null(tb_sig_export(cat, sid, "register", "xml", err, sizeof err));
    g_assert_null(tb_sig_export(cat, "s-nope", "register", "csv", err, sizeof err));
    g_assert_nonnull(strstr(err, "s-nope"));
    char latest[32];
    g_assert_cmpint(tb_rec_catalog_session_latest(cat, "hearing", latest, sizeof latest), ==,
                    TB_OK);
    g_assert_cmpstr(latest, ==, sid);
    g_assert_cmpint(tb_rec_catalog_session_latest(cat, "other", latest, sizeof latest), ==,
                    TB_ENOTFOUND);
    tb_rec_catalog_close(cat);
    g_autofree char *db = g_build_filename(dir, "telebridge.db", NULL);
    g_unlink(db);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/export/register-csv", test_register_csv);
    g_test_add_func("/export/speaking-json", test_speaking_json);
    return g_test_run();
}
