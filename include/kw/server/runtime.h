/* What every command sets up before touching the core: the settings from the
 * optional config file, the read-only kw_config built from them, and the
 * compiled schemas it points at. Owned by the command; freed once. */
#ifndef KW_RUNTIME_H
#define KW_RUNTIME_H

#include <stddef.h>

#include "kw/kopia/config.h"
#include "kw/server/settings.h"

struct kw_runtime {
    struct kw_settings settings;   /* the defaults and what the config file said */
    struct kw_config cfg;          /* the core's view: settings.core + schemas */
    struct kw_schema_set *schemas; /* owned; cfg.schemas points at it */
};

/* Reads `config_path` (NULL = none), then compiles the schemas. Returns -1
 * with err on failure (err names the file, line and column). */
int kw_runtime_init(struct kw_runtime *rt, const char *config_path, char *err, size_t errlen);
void kw_runtime_free(struct kw_runtime *rt);

#endif
