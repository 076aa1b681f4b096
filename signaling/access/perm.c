/* perm.c — the role and room-kind tables. The names of roles and kinds are the
 * configuration's (common/tb_config.c), in enum order. Whether a publish offer shares a
 * screen is the relay's parse's to say (tb_relay_sdp_video_senders). */
#include "signaling/access/access.h"
#include "common/tb_error.h"

#include <string.h>

#define role_names tb_config_role_names

static const unsigned role_perms[TB_SIG_N_ROLES] = {
    [TB_SIG_ROLE_MODERATOR] = TB_SIG_PERM_PUBLISH | TB_SIG_PERM_SCREEN | TB_SIG_PERM_CHAT |
                              TB_SIG_PERM_MODERATE | TB_SIG_PERM_RECORD,
    [TB_SIG_ROLE_SPEAKER] =
        TB_SIG_PERM_PUBLISH | TB_SIG_PERM_SCREEN | TB_SIG_PERM_CHAT | TB_SIG_PERM_HAND,
    [TB_SIG_ROLE_PARTICIPANT] = TB_SIG_PERM_CHAT | TB_SIG_PERM_HAND,
    [TB_SIG_ROLE_VIEWER] = TB_SIG_PERM_CHAT | TB_SIG_PERM_HAND,
    /* A hall has no keyboard at its screen: no chat, no hand. */
    [TB_SIG_ROLE_SITE] = TB_SIG_PERM_PUBLISH | TB_SIG_PERM_SCREEN,
};

static const char *const perm_names[] = {"publish", "screen", "chat", "hand", "moderate", "record"};

#define kind_names tb_config_kind_names

int tb_sig_role_parse(const char *s, tb_sig_role *out)
{
    for (int i = 0; s && i < TB_SIG_N_ROLES; i++)
        if (!strcmp(s, role_names[i])) {
            *out = (tb_sig_role)i;
            return TB_OK;
        }
    return TB_EINVAL;
}

const char *tb_sig_role_name(tb_sig_role r)
{
    return (unsigned)r < TB_SIG_N_ROLES ? role_names[r] : "?";
}

unsigned tb_sig_role_perms(tb_sig_role r)
{
    return (unsigned)r < TB_SIG_N_ROLES ? role_perms[r] : 0;
}

int tb_sig_perm_parse(const char *s, unsigned *bit)
{
    for (unsigned i = 0; s && i < sizeof perm_names / sizeof perm_names[0]; i++)
        if (!strcmp(s, perm_names[i])) {
            *bit = 1u << i;
            return TB_OK;
        }
    return TB_EINVAL;
}

const char *tb_sig_perm_name_at(int i)
{
    return i >= 0 && i < (int)(sizeof perm_names / sizeof perm_names[0]) ? perm_names[i] : NULL;
}

int tb_sig_kind_parse(const char *s, tb_sig_kind *out)
{
    for (int i = 0; s && i < TB_SIG_N_KINDS; i++)
        if (!strcmp(s, kind_names[i])) {
            *out = (tb_sig_kind)i;
            return TB_OK;
        }
    return TB_EINVAL;
}

const char *tb_sig_kind_name(tb_sig_kind k)
{
    return (unsigned)k < TB_SIG_N_KINDS ? kind_names[k] : "?";
}

const char *const *tb_sig_kind_names(void)
{
    return kind_names;
}
