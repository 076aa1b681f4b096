/* The kept serialised JSON of a participant (signaling/room/snapshot.c): reused while nothing
 * in it changed, remade after any field it shows changed, and always what
 * tb_sig_participant_json() makes at that moment. */
#include "signaling/room/room.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* The text must equal a fresh serialisation of the participant's JSON. */
static void assert_current(tb_sig_participant *p)
{
    json_t *j = tb_sig_participant_json(p);
    char *want = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    g_assert_cmpstr(tb_sig_participant_text(p), ==, want);
    free(want);
}

static void test_participant_text(void)
{
    tb_sig_participant *p = g_new0(tb_sig_participant, 1);
    g_strlcpy(p->id, "pabc123", sizeof p->id);
    p->name = g_strdup("Ирина Петровна");
    p->role = p->base_role = TB_SIG_ROLE_PARTICIPANT;
    p->perms = p->base_perms = tb_sig_role_perms(TB_SIG_ROLE_PARTICIPANT);
    p->consent = -1;
    p->audio = p->video = true;

    const char *first = tb_sig_participant_text(p);
    g_assert_nonnull(first);
    assert_current(p);
    g_assert_true(tb_sig_participant_text(p) == first); /* nothing changed: kept */

    /* Each field the JSON shows, changed one at a time. */
    p->audio = false;
    assert_current(p);
    p->video = false;
    assert_current(p);
    p->hand = true;
    p->hand_seq = 3;
    assert_current(p);
    g_assert_nonnull(strstr(tb_sig_participant_text(p), "\"hand_seq\":3"));
    p->hand_seq = 4;
    assert_current(p);
    p->hand = false;
    assert_current(p);
    p->floor = true;
    assert_current(p);
    for (int m = 0; m < TB_SIG_N_MEDIA; m++) {
        p->mod_muted[m] = true;
        assert_current(p);
    }
    p->consent = 1;
    assert_current(p);
    p->consent = 0;
    assert_current(p);
    p->role = TB_SIG_ROLE_SPEAKER; /* brought on stage */
    assert_current(p);
    g_assert_nonnull(strstr(tb_sig_participant_text(p), "\"on_stage\":true"));
    p->perms = tb_sig_role_perms(TB_SIG_ROLE_SPEAKER);
    assert_current(p);
    const char *last = tb_sig_participant_text(p);
    g_assert_true(tb_sig_participant_text(p) == last);

    tb_sig_participant_text_clear(p);
    g_assert_null(p->json_text);
    assert_current(p);
    tb_sig_participant_text_clear(p);
    g_free(p->name);
    g_free(p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/snapshot/participant-text", test_participant_text);
    return g_test_run();
}
