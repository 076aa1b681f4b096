/* requests.h — the signaling protocol's requests (docs/protocol.md) as their handlers
 * see them: the dispatch (protocol.c), the field helpers and replies every handler uses
 * (request.c), and the handlers of room/, one file per protocol.md topic.
 *
 * Every request gets exactly one reply or one error. A handler checks its own fields
 * and permissions (they can change during a meeting) and answers through tb_sig_ok()
 * or tb_sig_fail(). Main thread only. */
#ifndef TB_SIG_REQUESTS_H
#define TB_SIG_REQUESTS_H

#include "signaling/room/room.h"

/* A request as handlers see it; everything borrowed for the handler's call. */
typedef struct tb_sig_request {
    tb_sig_hub *hub;
    tb_sig_conn *conn;
    json_t *msg; /* the whole message */
    json_t *id;  /* an integer */
    void *user;  /* the `user` its table was added with (tb_sig_hub_add_requests) */
} tb_sig_request;

/* One request type. */
struct tb_sig_handler {
    const char *type;
    void (*fn)(tb_sig_request *r);
    bool needs_join; /* a joined session, admitted from the waiting room if the room has one */
};

/* ---- protocol.c ---- */

/* One complete text message from a connection. */
void tb_sig_protocol_handle(tb_sig_hub *hub, tb_sig_conn *c, const char *text, size_t len);
/* Adds request types handled above room/ (static table, `user` not owned); the
 * protocol's own types take precedence. */
void tb_sig_hub_add_requests(tb_sig_hub *hub, const tb_sig_handler *table, size_t n, void *user);

/* ---- request.c: replies and field helpers ---- */

/* Replies on a connection. `data` is transfer full (NULL = {}). */
void tb_sig_reply(tb_sig_conn *c, json_int_t id, json_t *data);
/* A reply whose data is already serialised (transfer full, g_free'd; NULL = failure). */
void tb_sig_reply_text(tb_sig_conn *c, json_int_t id, char *data);
/* An error on a connection; `id` (borrowed) may be NULL when the request had none. */
void tb_sig_error(tb_sig_conn *c, const json_t *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The reply to r (`data` transfer full, NULL = {}) and its error. */
void tb_sig_ok(tb_sig_request *r, json_t *data);
void tb_sig_fail(tb_sig_request *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Field helpers: each sends the error and returns false/NULL when the check fails. */
/* The participant of r has `perm` ("forbidden" names the permission and role). */
bool tb_sig_require(tb_sig_request *r, unsigned perm, const char *what);
/* A string field of at most `max` bytes (borrowed from r->msg). */
const char *tb_sig_str_field(tb_sig_request *r, const char *key, size_t max);
/* An optional boolean field: `def` when absent; false when present but not a boolean. */
bool tb_sig_opt_bool(tb_sig_request *r, const char *key, bool def, bool *out);
/* The participant named by the request's `participant_id` (admitted or waiting). */
tb_sig_participant *tb_sig_target(tb_sig_request *r);

/* ---- the handlers of room/ ---- */

/* session.c: joining, publishing, receiving, leaving. */
void tb_sig_session_join(tb_sig_request *r);
void tb_sig_session_publish(tb_sig_request *r);
void tb_sig_session_unpublish(tb_sig_request *r);
void tb_sig_session_answer(tb_sig_request *r);
void tb_sig_session_candidate(tb_sig_request *r);
void tb_sig_session_media(tb_sig_request *r);
void tb_sig_session_keyframe(tb_sig_request *r);
void tb_sig_session_leave(tb_sig_request *r);
/* The connection is gone: its participant leaves its room. */
void tb_sig_session_conn_closed(tb_sig_conn *c);

/* moderation.c: moderator requests; each checks the `moderate` permission. */
void tb_sig_mod_mute(tb_sig_request *r);
void tb_sig_mod_ask_unmute(tb_sig_request *r);
void tb_sig_mod_remove(tb_sig_request *r);
/* Bans an identity from the room (present or not) and ends its live sessions. */
void tb_sig_mod_revoke(tb_sig_request *r);
void tb_sig_mod_lock(tb_sig_request *r);
void tb_sig_mod_room_set(tb_sig_request *r);
void tb_sig_mod_stage(tb_sig_request *r);
void tb_sig_mod_end(tb_sig_request *r);

/* lobby.c: the waiting room. */
void tb_sig_lobby_admit(tb_sig_request *r);
void tb_sig_lobby_deny(tb_sig_request *r);

/* floor.c: hands, the floor and the speaking log. */
void tb_sig_floor_hand(tb_sig_request *r);
void tb_sig_floor_hand_lower(tb_sig_request *r);
void tb_sig_floor_give(tb_sig_request *r);
void tb_sig_floor_take(tb_sig_request *r);

/* chat.c */
void tb_sig_chat_send(tb_sig_request *r);
void tb_sig_chat_delete(tb_sig_request *r);

/* consent.c: consent to recording (consultations). */
void tb_sig_consent_set(tb_sig_request *r);
void tb_sig_consent_request(tb_sig_request *r);

/* export.c: the record of the meeting, for moderators. */
void tb_sig_export_request(tb_sig_request *r);

#endif
