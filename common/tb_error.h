/* tb_error.h — result codes shared by every module.
 *
 * Functions that can fail for outside reasons (network, files, peers) return int:
 * 0 on success, a negative TB_E* code otherwise. abort()/assert() are kept for
 * programmer errors only; bad input from the wire, a file or the config never aborts. */
#ifndef TB_ERROR_H
#define TB_ERROR_H

enum {
    TB_OK = 0,
    TB_EINVAL = -1,       /* malformed input */
    TB_ENOMEM = -2,       /* allocation or capacity exhausted */
    TB_EPROTO = -3,       /* protocol violation by the peer */
    TB_ENOTFOUND = -4,    /* no such object */
    TB_ESTATE = -5,       /* not allowed in the current state */
    TB_EIO = -6,          /* I/O error from the OS or a library */
    TB_ETOOBIG = -7,      /* input exceeds a configured cap */
    TB_EUNSUPPORTED = -8, /* valid but not supported by us */
    TB_EAGAIN = -9,       /* try again later (would block, not ready yet) */
    TB_EDECLINED = -10,   /* handled elsewhere / not for us (nginx's NGX_DECLINED) */
    TB_EAUTH = -11,       /* authentication or integrity check failed */
};

/* Static English text for a TB_E* code. Never NULL. Any thread. */
const char *tb_strerror(int code);

#endif
