/* admission.c — the connection caps and the descriptor budget (admission.h). */
#define TB_LOG_CAT "sig/admission"
#include "signaling/admission.h"
#include "common/tb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Descriptors a joined participant holds besides its WebSocket: a UDP socket for each of
 * its two relay connections, with room to spare. */
#define FDS_PER_CONNECTION 3
/* Descriptors kept free for everything else: the relay's workers, recorders' pipes, the
 * catalog, files being served. */
#define MIN_RESERVE 64

struct tb_sig_admission {
    const tb_config *cfg; /* not owned */
    rlim_t fd_limit;      /* the soft RLIMIT_NOFILE in effect */
    int fd_ceiling;       /* a TCP connection with a descriptor at or above is refused */
    int cap;              /* WebSockets in total: [limits] connections, or what fits */
    int count;
    GHashTable *per_addr; /* address → count (GINT_TO_POINTER), owned keys */
    int spare;            /* the spare descriptor, -1 while given back */
    guint respare;        /* takes it again once the loop is idle */
};

static int open_spare(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

tb_sig_admission *tb_sig_admission_create(const tb_config *cfg)
{
    tb_sig_admission *a = g_new0(tb_sig_admission, 1);
    a->cfg = cfg;
    a->per_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
            struct rlimit up = {want, rl.rlim_max};
            if (setrlimit(RLIMIT_NOFILE, &up) == 0)
                rl.rlim_cur = want;
        }
        a->fd_limit = rl.rlim_cur;
    } else {
        a->fd_limit = 1024;
    }
    int limit = a->fd_limit > (rlim_t)G_MAXINT ? G_MAXINT : (int)a->fd_limit;
    int reserve = MAX(MIN_RESERVE, limit / 8);
    a->fd_ceiling = MAX(limit - reserve, 16);
    int fit = MAX(1, (limit - reserve) / FDS_PER_CONNECTION);
    a->cap = MIN(cfg->limits.connections, fit);
    if (a->cap < cfg->limits.connections)
        TB_LOG_WARN("[limits] connections = %d, but %d descriptors (RLIMIT_NOFILE) allow %d: "
                    "raise the limit (LimitNOFILE=) to have more",
                    cfg->limits.connections, limit, a->cap);
    a->spare = open_spare();
    TB_LOG_DEBUG("descriptor limit %d, WebSockets at most %d (%d per address)", limit, a->cap,
                 cfg->limits.connections_per_address);
    return a;
}

void tb_sig_admission_destroy(tb_sig_admission *a)
{
    if (!a)
        return;
    if (a->respare)
        g_source_remove(a->respare);
    if (a->spare >= 0)
        close(a->spare);
    g_hash_table_unref(a->per_addr);
    g_free(a);
}

bool tb_sig_admission_fd_ok(tb_sig_admission *a, int fd)
{
    return fd < a->fd_ceiling;
}

static gboolean respare(gpointer data)
{
    tb_sig_admission *a = data;
    a->respare = 0;
    if (a->spare < 0)
        a->spare = open_spare();
    return G_SOURCE_REMOVE;
}

void tb_sig_admission_out_of_fds(tb_sig_admission *a)
{
    if (a->spare >= 0) {
        close(a->spare);
        a->spare = -1;
    }
    if (!a->respare)
        a->respare = g_idle_add_full(G_PRIORITY_LOW, respare, a, NULL);
}

const char *tb_sig_admission_enter(tb_sig_admission *a, const char *addr)
{
    if (a->count >= a->cap)
        return "too_many_connections";
    int n = GPOINTER_TO_INT(g_hash_table_lookup(a->per_addr, addr));
    if (n >= a->cfg->limits.connections_per_address)
        return "too_many_from_address";
    g_hash_table_replace(a->per_addr, g_strdup(addr), GINT_TO_POINTER(n + 1));
    a->count++;
    return NULL;
}

void tb_sig_admission_leave(tb_sig_admission *a, const char *addr)
{
    int n = GPOINTER_TO_INT(g_hash_table_lookup(a->per_addr, addr));
    if (n <= 1)
        g_hash_table_remove(a->per_addr, addr);
    else
        g_hash_table_replace(a->per_addr, g_strdup(addr), GINT_TO_POINTER(n - 1));
    if (a->count > 0)
        a->count--;
}

int tb_sig_admission_count(const tb_sig_admission *a)
{
    return a->count;
}

int tb_sig_admission_cap(const tb_sig_admission *a)
{
    return a->cap;
}
