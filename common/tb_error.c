/* tb_error.c — text for the TB_E* result codes. */
#include "common/tb_error.h"

const char *tb_strerror(int code)
{
    switch (code) {
    case TB_OK:
        return "ok";
    case TB_EINVAL:
        return "invalid input";
    case TB_ENOMEM:
        return "out of memory or capacity";
    case TB_EPROTO:
        return "protocol error";
    case TB_ENOTFOUND:
        return "not found";
    case TB_ESTATE:
        return "not allowed in this state";
    case TB_EIO:
        return "input/output error";
    case TB_ETOOBIG:
        return "too big";
    case TB_EUNSUPPORTED:
        return "not supported";
    case TB_EAGAIN:
        return "try again";
    case TB_EDECLINED:
        return "declined";
    case TB_EAUTH:
        return "authentication failed";
    default:
        return "unknown error";
    }
}
