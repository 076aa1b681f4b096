/* Fuzz target: SDP parsing and, for what parses, writing our answer. */
#include "relay/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    for (int is_offer = 0; is_offer < 2; is_offer++) {
        tb_relay__desc d;
        if (tb_relay__sdp_parse(text, is_offer, &d, err, sizeof err) == 0 && is_offer) {
            tb_relay__local l = {
                "ufra", "0123456789012345678901", "AA:BB", "passive", "1", 1, "c", size % 2 == 0};
            char *answer = tb_relay__sdp_write_answer(&d, &l);
            free(answer);
        }
        tb_relay__desc_clear(&d);
    }
    free(text);
    return 0;
}
