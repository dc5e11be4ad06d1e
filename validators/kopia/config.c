/* Defaults of the core's read-only configuration (struct kw_config). */
#include "kw/kopia/config.h"

#include <string.h>

void kw_config_defaults(struct kw_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
    cfg->max_body_bytes = KW_DEFAULT_MAX_BODY_BYTES;
}
