/* tls.h — `telebridge serve --self-signed` (tls.c): a development certificate made
 * once into var_dir/tls and reused while valid. Main thread, at start. */
#ifndef TB_SIG_TLS_H
#define TB_SIG_TLS_H

#include "common/tb_config.h"

#include <stddef.h>

/* Fills the paths of a certificate and key valid for at least another day (transfer
 * full), making them when needed. 0, or a TB_E* code with err filled. */
int tb_sig_tls_self_signed(const tb_config *cfg, char **cert_path, char **key_path, char *err,
                           size_t errlen);

#endif
