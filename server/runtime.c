/* Builds the core's read-only configuration for a command (see runtime.h). */
#include "kw/runtime.h"

#include <string.h>

int kw_runtime_init(struct kw_runtime *rt, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    memset(rt, 0, sizeof(*rt));
    kw_config_defaults(&rt->cfg);
    return 0;
}

void kw_runtime_free(struct kw_runtime *rt)
{
    memset(rt, 0, sizeof(*rt));
}
