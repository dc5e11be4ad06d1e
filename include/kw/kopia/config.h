/* The read-only settings the pure core is evaluated with. Built at start (and
 * on SIGHUP) by the shell from the config file, then never changed:
 * a reload builds a new one and swaps the pointer. */
#ifndef KW_CONFIG_H
#define KW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct kw_schema_set; /* compiled schemas, include/kw/schema/schema.h */

/* How the webhook computes the username it pins (docs/identity.md). The
 * default is zero, so a zeroed config computes what the operator does. */
enum kw_identity_scheme {
    KW_IDENTITY_OBJECT_NAME,    /* username = <name>: the operator's rule (default) */
    KW_IDENTITY_NAME_NAMESPACE, /* username = <name>-<namespace>: no operator release */
};

/* The VolSync operator versions whose behaviour the rules predict, oldest
 * first: X(ID, "major.minor", the tag whose code the field tables and rules
 * were read from; docs/operator.md). */
#define KW_OPERATOR_VERSION_LIST(X)                                                                \
    X(0_15, "0.15", "0.15.40")                                                                     \
    X(0_16, "0.16", "0.16.13")                                                                     \
    X(0_17, "0.17", "0.17.11")

enum kw_operator_version {
#define KW_X_OPERATOR_ENUM(id, minor, tag) KW_OPERATOR_##id,
    KW_OPERATOR_VERSION_LIST(KW_X_OPERATOR_ENUM)
#undef KW_X_OPERATOR_ENUM
        KW_OPERATOR_VERSION_COUNT
};

/* The default: the newest supported version. */
#define KW_OPERATOR_NEWEST ((enum kw_operator_version)(KW_OPERATOR_VERSION_COUNT - 1))
/* The first release with the Kopia mover. */
#define KW_OPERATOR_FIRST_KOPIA_PATCH 32 /* 0.15.32 */

/* Parses an operator version as users write it: "0.17", "0.17.11",
 * "v0.17.11". Every patch release of a supported minor version maps to it
 * (0.15 from 0.15.32, the first with the Kopia mover). Returns 0, or -1 with
 * a one-line reason in `err` (which names the supported versions). */
int kw_operator_version_parse(const char *text, enum kw_operator_version *out, char *err,
                              size_t errlen);
/* "0.17"; static. */
const char *kw_operator_version_name(enum kw_operator_version v);
/* "0.17.11": the tag the rules for `v` were read from; static. */
const char *kw_operator_version_tag(enum kw_operator_version v);

struct kw_config {
    enum kw_identity_scheme identity_scheme;
    /* The operator release the cluster runs (config key operatorVersion,
     * check --operator-version): which fields each kind has, and which of
     * the operator's behaviours the rules predict. */
    enum kw_operator_version operator_version;
    /* True for `check` (server/cmd_check.c): the objects have not been
     * through the API server yet, so a field the operator version lacks
     * will be dropped by it; false in the cluster, where such a field means
     * operator_version is wrong (docs/operator.md b.1). */
    bool offline;

    /* Flags denied in additionalArgs on top of the built-in list. */
    char **extra_forbidden_args;
    size_t n_extra_forbidden_args;

    /* Multi-tenant hardening, all off by default. */
    bool deny_actions;
    bool deny_foreign_hostname;       /* hostname must equal the namespace */
    bool deny_cross_namespace_source; /* sourceIdentity.sourceNamespace */
    char **allowed_source_namespaces; /* exceptions to the rule above */
    size_t n_allowed_source_namespaces;
    bool deny_identity_change; /* deny instead of warn after first sync */
    /* Deny an inline policyConfig.repositoryConfig with storage (it bypasses
     * the backup identity, docs/operator.md c.2) instead of warning. */
    bool deny_inline_repository_config;

    /* The most JSON values one AdmissionReview body may hold (containers and
     * scalars; keys not counted); more is a 413 "request too complex". 0: no
     * limit. Default KW_DEFAULT_MAX_REQUEST_VALUES (docs/operations.md,
     * "Memory model"). */
    size_t max_request_values;

    /* Compiled schemas; owned by whoever built the config. */
    const struct kw_schema_set *schemas;
};

/* A large VolSync object (a few thousand labels, annotations and
 * managedFields entries) holds 10,000-20,000 JSON values; an UPDATE carries
 * it twice, as object and oldObject. At the costliest value (an empty
 * object, ~270 bytes decoded) 50,000 values stay under 14 MB, so two worker
 * threads fit a 128 MiB pod (docs/operations.md, "Memory model"). */
#define KW_DEFAULT_MAX_REQUEST_VALUES 50000u

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
