/* The read-only settings the pure core is evaluated with. Built at start (and
 * on SIGHUP) by the shell from flags and the config file, then never changed:
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

#define KW_DEFAULT_MAX_BODY_BYTES (7u * 1024u * 1024u)

struct kw_config {
    enum kw_identity_scheme identity_scheme;
    size_t max_body_bytes; /* request body limit (413 above it) */

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

/* Fills `cfg` with the defaults above (no schemas). */
void kw_config_defaults(struct kw_config *cfg);

#endif
