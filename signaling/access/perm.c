/* perm.c — the role and room-kind tables, and the one SDP question permissions need
 * answered before the relay sees an offer (does it carry a screen share?). The names of
 * roles and kinds are the configuration's (common/tb_config.c), in enum order. */
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

/* One m= section as the scan sees it. */
typedef struct section {
    bool video;
    bool port_zero;
    bool bundle_only;
    bool sending; /* sendrecv is SDP's default direction (RFC 8866 section 6.7) */
} section;

static int section_sends(const section *m)
{
    return m->video && m->sending && (!m->port_zero || m->bundle_only);
}

static bool line_is(const char *line, size_t n, const char *what)
{
    size_t w = strlen(what);
    return n == w && memcmp(line, what, w) == 0;
}

int tb_sig_sdp_video_senders(const char *sdp, size_t len)
{
    int count = 0;
    bool any = false;
    section m = {0};
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && sdp[i] != '\n' && sdp[i] != '\r')
            i++;
        const char *line = sdp + start;
        size_t n = i - start;
        while (i < len && (sdp[i] == '\n' || sdp[i] == '\r'))
            i++;
        if (n >= 2 && line[0] == 'm' && line[1] == '=') {
            if (any)
                count += section_sends(&m);
            any = true;
            memset(&m, 0, sizeof m);
            m.sending = true;
            m.video = n >= 8 && memcmp(line + 2, "video ", 6) == 0;
            const char *port = memchr(line, ' ', n);
            m.port_zero = port && (size_t)(port - line) + 2 < n && port[1] == '0' && port[2] == ' ';
        } else if (!any) {
            continue;
        } else if (line_is(line, n, "a=sendonly") || line_is(line, n, "a=sendrecv")) {
            m.sending = true;
        } else if (line_is(line, n, "a=recvonly") || line_is(line, n, "a=inactive")) {
            m.sending = false;
        } else if (line_is(line, n, "a=bundle-only")) {
            m.bundle_only = true;
        }
    }
    if (any)
        count += section_sends(&m);
    return any ? count : -1;
}
