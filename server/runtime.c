/* Builds the core's read-only configuration for a command (see runtime.h). */
#include "kw/server/runtime.h"

#include <stdio.h>
#include <string.h>

#include "kw/schema/schema.h"

int kw_runtime_init(struct kw_runtime *rt, const char *config_path, char *err, size_t errlen)
{
    memset(rt, 0, sizeof(*rt));
    if (kw_settings_init(&rt->settings) != 0) {
        snprintf(err, errlen, "out of memory");
        kw_settings_free(&rt->settings);
        return -1;
    }
    if (config_path && kw_settings_load_file(&rt->settings, config_path, err, errlen) != 0) {
        kw_settings_free(&rt->settings);
        return -1;
    }
    rt->cfg = rt->settings.core;
    rt->cfg.max_request_values = rt->settings.server.max_request_values;
    rt->schemas = kw_schema_set_load(err, errlen);
    if (!rt->schemas) {
        kw_settings_free(&rt->settings);
        return -1;
    }
    rt->cfg.schemas = rt->schemas;
    return 0;
}

void kw_runtime_free(struct kw_runtime *rt)
{
    kw_schema_set_free(rt->schemas);
    kw_settings_free(&rt->settings);
    memset(rt, 0, sizeof(*rt));
}
