/* Fuzz target: configuration text (GKeyFile plus our key table and range checks). */
#include "common/tb_config.h"

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
    tb_config c;
    char err[256];
    tb_config_load_data(&c, text, NULL, err, sizeof err);
    tb_config_clear(&c);
    free(text);
    return 0;
}
