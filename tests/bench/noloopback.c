/* noloopback.c — LD_PRELOAD for Janus only, in the benchmark: Janus skips loopback
 * interfaces before it applies ice_enforce_list, so inside a network namespace whose only
 * interface is `lo` it gathers no candidate at all (docs/testing.md). This wraps
 * getifaddrs() and clears IFF_LOOPBACK in what it returns; nothing else changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>

int getifaddrs(struct ifaddrs **ifap)
{
    static int (*real)(struct ifaddrs **);
    if (!real)
        real = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int rc = real(ifap);
    if (rc == 0)
        for (struct ifaddrs *i = *ifap; i; i = i->ifa_next)
            i->ifa_flags &= ~(unsigned)IFF_LOOPBACK;
    return rc;
}
