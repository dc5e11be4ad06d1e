/* The read-only settings the pure core is evaluated with. Built at start (and
 * on SIGHUP) by the shell from the config file, then never changed:
 * a reload builds a new one and swaps the pointer. */
#ifndef KW_CONFIG_H
#define KW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct kw_schema_set; /* compiled schemas, include/kw/schema/schema.h */

enum kw_identity_scheme {
    KW_IDENTITY_NAME_NAMESPACE, /* username = <name>-<namespace> (default) */
    KW_IDENTITY_OBJECT_NAME,    /* username = <name> */
};

struct kw_config {
    enum kw_identity_scheme identity_scheme;

    /* Flags denied in additionalArgs on top of the built-in list. */
    char **extra_forbidden_args;
    size_t n_extra_forbidden_args;

    /* Multi-tenant hardening (SPEC §8), all off by default. */
    bool deny_actions;
    bool deny_foreign_hostname;       /* hostname must equal the namespace */
    bool deny_cross_namespace_source; /* sourceIdentity.sourceNamespace */
    char **allowed_source_namespaces; /* exceptions to the rule above */
    size_t n_allowed_source_namespaces;
    bool deny_identity_change; /* deny instead of warn after first sync */

    /* Compiled schemas; owned by whoever built the config. */
    const struct kw_schema_set *schemas;
};

/* Fills `cfg` with the defaults above (no schemas, no string arrays). */
void kw_config_defaults(struct kw_config *cfg);

/* Copies `src` into `dst`, duplicating its string arrays, so that the copy
 * can be owned and freed on its own (free it with kw_config_free_arrays);
 * the schemas pointer is shared, not copied. Returns -1 on allocation
 * failure, with `dst` holding no arrays. */
int kw_config_copy(struct kw_config *dst, const struct kw_config *src);
/* Frees the string arrays of a config that owns them (malloc'd arrays of
 * malloc'd strings, as kw_config_copy makes) and empties them; the rest of
 * `cfg` stays. */
void kw_config_free_arrays(struct kw_config *cfg);

#endif
