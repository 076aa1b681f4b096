/* perm.h — roles, permissions and room kinds (DESIGN.md, "Roles"; issue "Access, roles
 * and moderation"). Pure tables and checks, no state: the server asks them on every
 * request, not only at join. Any thread. */
#ifndef TB_SIG_PERM_H
#define TB_SIG_PERM_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TB_SIG_ROLE_MODERATOR = 0, /* staff: moderate, admit, give the floor, record */
    TB_SIG_ROLE_SPEAKER,       /* officials, lawyers, NGO leaders: publish, present */
    TB_SIG_ROLE_PARTICIPANT,   /* publish only while holding the floor; hand; chat */
    TB_SIG_ROLE_VIEWER,        /* receive only; hand (to be brought on stage); chat */
    TB_SIG_ROLE_SITE,          /* a hall's fixed endpoint in a telebridge: publish */
    TB_SIG_N_ROLES
} tb_sig_role;

/* Permissions, a bit set. A token's "perms" object turns single ones on or off. */
enum {
    TB_SIG_PERM_PUBLISH = 1u << 0,  /* "publish": microphone and camera at any time */
    TB_SIG_PERM_SCREEN = 1u << 1,   /* "screen": share a screen (a second video track) */
    TB_SIG_PERM_CHAT = 1u << 2,     /* "chat": write in the room's chat */
    TB_SIG_PERM_HAND = 1u << 3,     /* "hand": raise a hand */
    TB_SIG_PERM_MODERATE = 1u << 4, /* "moderate": every moderator action, skip the lobby */
    TB_SIG_PERM_RECORD = 1u << 5,   /* "record": start and stop recording */
};
#define TB_SIG_PERM_ALL 0x3fu

typedef enum {
    TB_SIG_KIND_CONSULTATION = 0, /* private; waiting room; recording only with consent */
    TB_SIG_KIND_ROUNDTABLE,       /* speakers speak, the moderator mutes and removes */
    TB_SIG_KIND_HEARING,          /* hands, timed floor, register and speaking log */
    TB_SIG_KIND_TELEBRIDGE,       /* hall endpoints (role site), hall-screen layout */
    TB_SIG_KIND_CONFERENCE,       /* speakers on stage, viewers in the audience */
    TB_SIG_N_KINDS
} tb_sig_kind;

int tb_sig_role_parse(const char *s, tb_sig_role *out); /* 0 or TB_EINVAL */
const char *tb_sig_role_name(tb_sig_role r);
/* The permissions a role has by default. */
unsigned tb_sig_role_perms(tb_sig_role r);

int tb_sig_perm_parse(const char *s, unsigned *bit); /* 0 or TB_EINVAL */
/* Name of the permission bit at index i (0..5), or NULL past the last one. */
const char *tb_sig_perm_name_at(int i);

int tb_sig_kind_parse(const char *s, tb_sig_kind *out); /* 0 or TB_EINVAL */
const char *tb_sig_kind_name(tb_sig_kind k);

/* May someone with `perms` publish microphone/camera now? `floor`: holds the floor. */
static inline bool tb_sig_may_publish(unsigned perms, bool floor)
{
    return (perms & TB_SIG_PERM_PUBLISH) || floor;
}

/* Counts the m=video sections of an SDP offer that send media (sendonly or sendrecv,
 * not rejected with port 0 unless bundle-only): more than one means a screen share.
 * A plain line scan, bounded by len; -1 when the text holds no m= line at all. */
int tb_sig_sdp_video_senders(const char *sdp, size_t len);

#endif
