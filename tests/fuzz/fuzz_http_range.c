/* fuzz_http_range.c — libFuzzer target for recorder/httputil.c: the Range header of a
 * recording's HTTP answer (tb_rec_http_range) and the checks that keep a URL's session
 * and file names inside the recordings folder.
 *
 * Input: 8 bytes, the file size (big-endian; the top bit set means "size modulo 10^4",
 * so that small files are common too), then the Range header value up to the first NUL;
 * after that NUL, optionally, "<session>/<file>" as a URL would name a recording's file.
 * The range must lie inside the file whenever it is satisfiable; a name that passes the
 * checks must be plain; and tb_rec_media_open may only ever open one of the two regular
 * files of a scratch session folder, never the symlinks planted beside them. */
#include "tests/fuzz/support.h"
#include "common/tb_error.h"
#include "recorder/tb_rec.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SESSION "s0123456789abcdef"

static char *root;
static ino_t allowed[2];

static void write_file(const char *path, const char *text, ino_t *ino)
{
    FZ_CHECK(g_file_set_contents(path, text, -1, NULL));
    struct stat st;
    FZ_CHECK(stat(path, &st) == 0);
    if (ino)
        *ino = st.st_ino;
}

/* <scratch>/media/SESSION/{a.webm, manifest.json} are the files that may be served;
 * beside them, symlinks out of the folder (to a file and to a session folder outside),
 * a subfolder and a FIFO, none of which may be opened. */
static void make_root(void)
{
    root = g_build_filename(fz_scratch_dir(), "media", NULL);
    g_autofree char *sdir = g_build_filename(root, SESSION, NULL);
    g_autofree char *outside = g_build_filename(fz_scratch_dir(), "outside", NULL);
    g_autofree char *osess = g_build_filename(outside, SESSION, NULL);
    FZ_CHECK(g_mkdir_with_parents(sdir, 0700) == 0 && g_mkdir_with_parents(osess, 0700) == 0);
    g_autofree char *a = g_build_filename(sdir, "a.webm", NULL);
    g_autofree char *m = g_build_filename(sdir, "manifest.json", NULL);
    g_autofree char *secret = g_build_filename(outside, "secret.txt", NULL);
    g_autofree char *osecret = g_build_filename(osess, "a.webm", NULL);
    write_file(a, "webm", &allowed[0]);
    write_file(m, "{}", &allowed[1]);
    write_file(secret, "secret", NULL);
    write_file(osecret, "secret", NULL);
    g_autofree char *link = g_build_filename(sdir, "link.webm", NULL);
    g_autofree char *sub = g_build_filename(sdir, "sub", NULL);
    g_autofree char *fifo = g_build_filename(sdir, "fifo.webm", NULL);
    g_autofree char *slink = g_build_filename(root, "sfedcba9876543210", NULL);
    FZ_CHECK(symlink(secret, link) == 0 && symlink(osess, slink) == 0);
    FZ_CHECK(g_mkdir(sub, 0700) == 0 && mkfifo(fifo, 0600) == 0);
}

static void check_range(const char *value, int64_t fsize)
{
    int64_t first = -7, last = -7;
    int rc = tb_rec_http_range(value, fsize, &first, &last);
    FZ_CHECK(rc == -1 || rc == 0 || rc == 1);
    if (rc == 1)
        FZ_CHECK(first >= 0 && first <= last && last < fsize);
    else
        FZ_CHECK(first == -7 && last == -7); /* untouched unless satisfiable */
    /* Whitespace before the unit is skipped, so the same header with one more leading
     * space means the same range. */
    g_autofree char *spaced = g_strconcat(" ", value, NULL);
    int64_t f2 = -7, l2 = -7;
    FZ_CHECK(tb_rec_http_range(spaced, fsize, &f2, &l2) == rc);
    FZ_CHECK(rc != 1 || (f2 == first && l2 == last));
}

static void check_path(const char *path)
{
    const char *slash = strchr(path, '/');
    g_autofree char *session = slash ? g_strndup(path, (gsize)(slash - path)) : g_strdup(path);
    const char *file = slash ? slash + 1 : "a.webm";
    if (tb_rec_session_id_valid(session))
        FZ_CHECK(strlen(session) == 17 && session[0] == 's' && !strchr(session, '/'));
    if (tb_rec_media_name_valid(file))
        FZ_CHECK(!strchr(file, '/') && !strstr(file, "..") && file[0] != '.' &&
                 strlen(file) <= 128);
    FZ_CHECK(tb_rec_media_type(file) != NULL);
    int64_t fsize = -1;
    int fd = tb_rec_media_open(root, session, file, &fsize);
    if (fd < 0)
        return;
    struct stat st;
    FZ_CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsize == (int64_t)st.st_size);
    FZ_CHECK(st.st_ino == allowed[0] || st.st_ino == allowed[1]);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root)
        make_root();
    if (size < 8)
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | data[i];
    int64_t fsize = v >> 63 ? (int64_t)(v % 10000) : (int64_t)v;
    const char *rest = (const char *)data + 8;
    size_t n = size - 8;
    const char *nul = memchr(rest, 0, n);
    g_autofree char *value = g_strndup(rest, nul ? (gsize)(nul - rest) : n);
    check_range(value, fsize);
    if (nul) {
        g_autofree char *path = g_strndup(nul + 1, n - (size_t)(nul + 1 - rest));
        check_path(path);
    }
    return 0;
}
