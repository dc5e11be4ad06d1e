/* The core's read-only configuration (struct kw_config): its defaults, the
 * deep copy and free of its string arrays, and operator versions by name. */
#include "kw/kopia/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *minor, *tag;
} operator_versions[KW_OPERATOR_VERSION_COUNT] = {
#define KW_X_OPERATOR_ROW(id, minor, tag) [KW_OPERATOR_##id] = {minor, tag},
    KW_OPERATOR_VERSION_LIST(KW_X_OPERATOR_ROW)
#undef KW_X_OPERATOR_ROW
};

const char *kw_operator_version_name(enum kw_operator_version v)
{
    return (unsigned)v < KW_OPERATOR_VERSION_COUNT ? operator_versions[v].minor : "";
}

const char *kw_operator_version_tag(enum kw_operator_version v)
{
    return (unsigned)v < KW_OPERATOR_VERSION_COUNT ? operator_versions[v].tag : "";
}

/* Reads a run of decimal digits (at most 9) at *p into *out. */
static int read_number(const char **p, unsigned *out)
{
    const char *s = *p;
    unsigned v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < 9)
        v = v * 10 + (unsigned)(s[n++] - '0');
    if (n == 0 || (s[n] >= '0' && s[n] <= '9'))
        return -1;
    *p = s + n;
    *out = v;
    return 0;
}

static int version_fail(char *err, size_t errlen, const char *text, const char *why)
{
    char supported[64] = "";
    size_t o = 0;
    for (int v = 0; v < KW_OPERATOR_VERSION_COUNT; v++)
        o += (size_t)snprintf(supported + o, sizeof(supported) - o, "%s%s", v ? ", " : "",
                              operator_versions[v].minor);
    if (err && errlen)
        snprintf(err, errlen, "\"%.64s\": %s (supported: %s, with any patch release)", text, why,
                 supported);
    return -1;
}

int kw_operator_version_parse(const char *text, enum kw_operator_version *out, char *err,
                              size_t errlen)
{
    const char *p = text;
    if (*p == 'v')
        p++;
    unsigned major, minor, patch = 0;
    bool has_patch = false;
    if (read_number(&p, &major) != 0 || *p++ != '.' || read_number(&p, &minor) != 0)
        return version_fail(err, errlen, text, "not a version such as 0.17 or 0.17.11");
    if (*p == '.') {
        p++;
        if (read_number(&p, &patch) != 0)
            return version_fail(err, errlen, text, "not a version such as 0.17 or 0.17.11");
        has_patch = true;
    }
    if (*p)
        return version_fail(err, errlen, text, "not a version such as 0.17 or 0.17.11");
    char name[24];
    snprintf(name, sizeof(name), "%u.%u", major, minor);
    for (int v = 0; v < KW_OPERATOR_VERSION_COUNT; v++) {
        if (strcmp(name, operator_versions[v].minor) != 0)
            continue;
        if (v == KW_OPERATOR_0_15 && has_patch && patch < KW_OPERATOR_FIRST_KOPIA_PATCH)
            return version_fail(err, errlen, text,
                                "has no Kopia mover (it first shipped in 0.15.32)");
        *out = (enum kw_operator_version)v;
        return 0;
    }
    return version_fail(err, errlen, text, "is not a supported operator version");
}

void kw_config_defaults(struct kw_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->identity_scheme = KW_IDENTITY_OBJECT_NAME;
    cfg->operator_version = KW_OPERATOR_NEWEST;
    cfg->max_request_values = KW_DEFAULT_MAX_REQUEST_VALUES;
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
