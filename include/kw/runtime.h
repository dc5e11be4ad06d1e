/* What every command sets up before touching the core: the read-only
 * kw_config with its compiled schemas. Owned by the command; freed once. */
#ifndef KW_RUNTIME_H
#define KW_RUNTIME_H

#include <stddef.h>

#include "kw/config.h"

struct kw_runtime {
    struct kw_config cfg;
};

/* Defaults, then the compiled schemas. Returns -1 with err on failure. */
int kw_runtime_init(struct kw_runtime *rt, char *err, size_t errlen);
void kw_runtime_free(struct kw_runtime *rt);

#endif
