/* request.c — what every request handler uses: the reply and the error (docs/protocol.md,
 * "Envelope"), and the checks of common fields. Each check sends its own error, so a
 * handler reads as a list of checks followed by the action. */
#define TB_LOG_CAT "sig/request"
#include "signaling/room/requests.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tb_sig_reply(tb_sig_conn *c, json_int_t id, json_t *data)
{
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("reply"));
    json_object_set_new(m, "id", json_integer(id));
    json_object_set_new(m, "data", data ? data : json_object());
    tb_sig_send(c, m);
}

void tb_sig_reply_text(tb_sig_conn *c, json_int_t id, char *data)
{
    if (!data) {
        json_t *j = json_integer(id);
        tb_sig_error(c, j, "internal", "the reply could not be made");
        json_decref(j);
        return;
    }
    tb_sig_send_text(c, g_strdup_printf("{\"type\":\"reply\",\"id\":%" JSON_INTEGER_FORMAT
                                        ",\"data\":%s}",
                                        id, data));
    g_free(data);
}

static void error_v(tb_sig_conn *c, const json_t *id, const char *code, const char *fmt, va_list ap)
{
    char reason[512];
    vsnprintf(reason, sizeof reason, fmt, ap);
    json_t *m = json_object();
    json_object_set_new(m, "type", json_string("error"));
    json_object_set_new(m, "id", id && json_is_integer(id) ? json_copy((json_t *)id) : json_null());
    json_object_set_new(m, "code", json_string(code));
    /* The reason may quote client input: make sure it is valid UTF-8 for jansson. */
    json_t *r = json_string(reason);
    json_object_set_new(m, "reason", r ? r : json_string("(reason not representable)"));
    tb_sig_send(c, m);
}

void tb_sig_error(tb_sig_conn *c, const json_t *id, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(c, id, code, fmt, ap);
    va_end(ap);
}

void tb_sig_ok(tb_sig_request *r, json_t *data)
{
    tb_sig_reply(r->conn, json_integer_value(r->id), data);
}

void tb_sig_fail(tb_sig_request *r, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(r->conn, r->id, code, fmt, ap);
    va_end(ap);
}

const char *tb_sig_str_field(tb_sig_request *r, const char *key, size_t max)
{
    json_t *v = json_object_get(r->msg, key);
    if (!json_is_string(v)) {
        tb_sig_fail(r, "bad_request", "field '%s' must be a string", key);
        return NULL;
    }
    if (json_string_length(v) > max) {
        tb_sig_fail(r, "bad_request", "field '%s' is longer than %zu bytes", key, max);
        return NULL;
    }
    return json_string_value(v);
}

bool tb_sig_opt_bool(tb_sig_request *r, const char *key, bool def, bool *out)
{
    json_t *v = json_object_get(r->msg, key);
    if (v && !json_is_boolean(v)) {
        tb_sig_fail(r, "bad_request", "field '%s' must be a boolean", key);
        return false;
    }
    *out = v ? json_is_true(v) : def;
    return true;
}

bool tb_sig_require(tb_sig_request *r, unsigned perm, const char *what)
{
    tb_sig_participant *p = r->conn->participant;
    if (p && (p->perms & perm))
        return true;
    const char *name = "?";
    for (int i = 0; tb_sig_perm_name_at(i); i++)
        if (perm == 1u << i)
            name = tb_sig_perm_name_at(i);
    tb_sig_fail(r, "forbidden", "%s needs the '%s' permission (your role: %s)", what, name,
                p ? tb_sig_role_name(p->role) : "none");
    return false;
}

tb_sig_participant *tb_sig_target(tb_sig_request *r)
{
    const char *id = tb_sig_str_field(r, "participant_id", 32);
    if (!id)
        return NULL;
    tb_sig_participant *t = tb_sig_room_find(r->conn->participant->room, id);
    if (!t)
        tb_sig_fail(r, "not_found", "no participant '%s' in this room", id);
    return t;
}
