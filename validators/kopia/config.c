/* The core's read-only configuration (struct kw_config): its defaults, and
 * the deep copy and free of its string arrays. */
#include "kw/kopia/config.h"

#include <stdlib.h>
#include <string.h>

void kw_config_defaults(struct kw_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
}

void kw_config_free_arrays(struct kw_config *cfg)
{
    free_list(cfg->extra_forbidden_args, cfg->n_extra_forbidden_args);
    free_list(cfg->allowed_source_namespaces, cfg->n_allowed_source_namespaces);
    cfg->extra_forbidden_args = cfg->allowed_source_namespaces = NULL;
    cfg->n_extra_forbidden_args = cfg->n_allowed_source_namespaces = 0;
}

/* A copy of n strings (a valid empty array for n == 0); NULL on allocation
 * failure. */
static char **copy_list(char *const *items, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof(*out));
    for (size_t i = 0; out && i < n; i++) {
        if (!(out[i] = strdup(items[i]))) {
            free_list(out, i);
            return NULL;
        }
    }
    return out;
}

int kw_config_copy(struct kw_config *dst, const struct kw_config *src)
{
    *dst = *src;
    dst->extra_forbidden_args = copy_list(src->extra_forbidden_args, src->n_extra_forbidden_args);
    dst->allowed_source_namespaces =
        copy_list(src->allowed_source_namespaces, src->n_allowed_source_namespaces);
    if (!dst->extra_forbidden_args || !dst->allowed_source_namespaces) {
        kw_config_free_arrays(dst);
        return -1;
    }
    return 0;
}
