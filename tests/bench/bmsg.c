/* bmsg.c — which of our server's messages the generator reads (see bench.h). */
#include "tests/bench/bench.h"

#include <string.h>

/* Our server tells every participant about every other (participants_joined,
 * participant_updated, room_updated, ...). The generator acts on none of them, and parsing
 * them for 50 subscribers joining at once was ~10 % of its CPU in the burst: work that
 * each browser does on its own machine, and that Janus's subscribers are never sent. So
 * a message whose type (our server writes it first) is not one the generator uses is
 * dropped unparsed; anything else is parsed as before. */
bool bmsg_tb_unused(const char *text, size_t len)
{
    static const char prefix[] = "{\"type\":\"";
    static const char *const used[] = {"reply\"", "error\"", "offer\"", "candidate\""};
    size_t n = sizeof prefix - 1;
    if (len < n + 16 || memcmp(text, prefix, n) != 0)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(used); i++)
        if (!strncmp(text + n, used[i], strlen(used[i])))
            return false;
    return true;
}

/* The reply to a join carries everyone in the room (their names, roles, tracks): 50
 * subscribers joining at once receive ~25 participants each on average. A subscriber of
 * the generator needs nothing from it, so sig.c leaves it unparsed, like the roster
 * messages above. */
int bmsg_tb_reply_id(const char *text, size_t len)
{
    static const char prefix[] = "{\"type\":\"reply\",\"id\":";
    size_t n = sizeof prefix - 1, i = n;
    if (len <= n || memcmp(text, prefix, n) != 0)
        return -1;
    int id = 0;
    for (; i < len && i < n + 9 && text[i] >= '0' && text[i] <= '9'; i++)
        id = id * 10 + (text[i] - '0');
    if (i == n || i >= len || (text[i] != ',' && text[i] != '}'))
        return -1;
    return id;
}
