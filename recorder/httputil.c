/* httputil.c — the pure parts of serving recordings: byte ranges and safe paths.
 *
 * Debian's libwebsockets is built without range support (docs/platform.md), and a
 * <video> element cannot seek without 206 answers; signaling/recording/http_media.c answers them
 * with these helpers. Paths come from URLs, so every component is checked by name and
 * opened with O_NOFOLLOW relative to the folder above it: neither "..", nor a
 * percent-encoded variant (a '%' is not a valid name character), nor a symlink planted
 * in the recordings folder leads outside it. */
#include "recorder/tb_rec.h"
#include "common/tb_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads a decimal number of at most 18 digits; false if none. */
static bool read_num(const char **s, int64_t *out)
{
    const char *p = *s;
    int64_t v = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (++n > 18)
            return false;
        v = v * 10 + (*p++ - '0');
    }
    if (n == 0)
        return false;
    *s = p;
    *out = v;
    return true;
}

int tb_rec_http_range(const char *value, int64_t size, int64_t *first, int64_t *last)
{
    if (!value)
        return 0;
    const char *p = value;
    while (*p == ' ' || *p == '\t')
        p++;
    if (g_ascii_strncasecmp(p, "bytes=", 6))
        return 0;
    p += 6;
    while (*p == ' ')
        p++;
    if (strchr(p, ','))
        return 0; /* several ranges: answered whole (§14.2 allows ignoring Range) */
    int64_t a = -1, b = -1;
    if (*p == '-') { /* suffix: the last N bytes */
        p++;
        int64_t n;
        if (!read_num(&p, &n))
            return 0;
        while (*p == ' ')
            p++;
        if (*p)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        a = n >= size ? 0 : size - n;
        b = size - 1;
    } else {
        if (!read_num(&p, &a) || *p++ != '-')
            return 0;
        if (*p >= '0' && *p <= '9' && !read_num(&p, &b))
            return 0;
        while (*p == ' ')
            p++;
        if (*p || (b >= 0 && b < a))
            return 0;
        if (a >= size)
            return -1;
        if (b < 0 || b >= size)
            b = size - 1;
    }
    *first = a;
    *last = b;
    return 1;
}

bool tb_rec_media_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 128 || !g_ascii_isalnum(name[0]) || strstr(name, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

int tb_rec_media_open(const char *root, const char *session, const char *file, int64_t *size)
{
    if (!tb_rec_session_id_valid(session) || !tb_rec_media_name_valid(file))
        return TB_ENOTFOUND;
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        return TB_ENOTFOUND;
    int sfd = openat(rfd, session, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(rfd);
    if (sfd < 0)
        return TB_ENOTFOUND;
    int fd = openat(sfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    close(sfd);
    if (fd < 0)
        return TB_ENOTFOUND;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return TB_ENOTFOUND;
    }
    /* Back to blocking reads (O_NONBLOCK only kept a FIFO from blocking the open). */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (size)
        *size = (int64_t)st.st_size;
    return fd;
}

const char *tb_rec_media_type(const char *file)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".mp4", "video/mp4"},        {".webm", "video/webm"},
        {".mkv", "video/x-matroska"}, {".json", "application/json; charset=utf-8"},
        {".jpg", "image/jpeg"},       {".png", "image/png"},
    };
    const char *dot = file ? strrchr(file, '.') : NULL;
    for (size_t i = 0; dot && i < G_N_ELEMENTS(types); i++)
        if (!g_ascii_strcasecmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}
