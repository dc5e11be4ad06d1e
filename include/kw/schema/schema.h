/* The schema engine: JSON-Schema-like documents kept as YAML data in
 * validators/kopia/schemas/, compiled once at start into a kw_schema_set
 * (patterns compiled and JIT-compiled there), then used read-only by any
 * number of threads to validate jansson values into kw_result causes and
 * warnings with Kubernetes field paths and rule ids.
 *
 * The document format (keywords, per-variant fields, stale names, rule ids)
 * is described at the top of validators/kopia/schemas/kopia.yaml and in
 * docs/rules.md ("Schema format"). */
#ifndef KW_SCHEMA_H
#define KW_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/decision/result.h"

struct kw_schema_set; /* every compiled schema, by name */
struct kw_schema;     /* one named schema ("replicationsource.spec") */

/* An empty set, to which documents are added. NULL on allocation failure. */
struct kw_schema_set *kw_schema_set_new(void);
void kw_schema_set_free(struct kw_schema_set *set);

/* Compiles every schema of one schema document. `doc_stolen` is kept by the
 * set (names and messages borrow from it) even on failure. `source` names the
 * document in errors ("kopia.yaml"). Returns 0, or -1 with a one-line reason
 * in err ("kopia.yaml: schemas.x.root.type: unknown type \"strin\""); on
 * failure the set keeps the schemas of earlier documents only. */
int kw_schema_set_add(struct kw_schema_set *set, const char *source, json_t *doc_stolen, char *err,
                      size_t errlen);

/* Same, for a YAML (or JSON) text: parsed with kw_yaml_load_one. */
int kw_schema_set_add_yaml(struct kw_schema_set *set, const char *source, const char *buf,
                           size_t len, char *err, size_t errlen);

/* Loads and compiles every file of kw_embedded_schemas[] (include/kw/schema/embedded.h)
 * and checks that the schemas the validators look up exist. NULL with a reason
 * in err on failure; caller frees with kw_schema_set_free. */
struct kw_schema_set *kw_schema_set_load(char *err, size_t errlen);

/* The schema called `name`, or NULL. Borrowed from the set. */
const struct kw_schema *kw_schema_find(const struct kw_schema_set *set, const char *name);

/* Validates `value` (borrowed) against `schema`, with field paths starting at
 * `path` ("spec"; "" for none). Appends every error found to res->causes and
 * every warning (unknown fields) to res->warnings, each with the rule id the
 * schema names. Thread-safe: the schema is only read. */
void kw_schema_validate(const struct kw_schema *schema, const json_t *value, const char *path,
                        struct kw_result *res);

/* What a validation is checked against. A property with `since`/`until`
 * (the versions of the consumer that have it) that is present while
 * `version` is outside them is warned (rule: the schema's versionRule), and
 * still validated: offline (`offline`: the value has not been through the
 * API server yet) as "dropped by the API server on <product> <version>";
 * otherwise as a sign that `setting` is wrong (the API server prunes fields
 * the installed version lacks, so one that arrives means another version is
 * installed). */
struct kw_schema_context {
    const char *version; /* "0.16"; NULL: every property applies */
    bool offline;
    const char *product; /* "operator" */
    const char *setting; /* "operatorVersion" */
};

/* kw_schema_validate against a version (ctx borrowed; NULL: none). */
void kw_schema_validate_in(const struct kw_schema *schema, const json_t *value, const char *path,
                           const struct kw_schema_context *ctx, struct kw_result *res);
/* Whether the document key key[0..len) (not NUL-terminated) names the field
 * `name` (ASCII) as Go's encoding/json matches keys without an exact match:
 * ASCII case folded, U+017F (long s) = s, U+212A (Kelvin sign) = k. What a
 * schema with caseInsensitiveKeys uses. */
bool kw_schema_go_key_equal(const char *key, size_t len, const char *name);

/* Names of the schemas the Kopia validator uses (validators/kopia/schemas/kopia.yaml). */
#define KW_SCHEMA_RS_SPEC "replicationsource.spec"
#define KW_SCHEMA_RD_SPEC "replicationdestination.spec"
#define KW_SCHEMA_KM_SPEC "kopiamaintenance.spec"
/* ... the policy files (validators/kopia/schemas/global-policy.yaml and
 * repository-config.yaml) and the inline repositoryConfig, a Kopia
 * connection file (connection-config.yaml). */
#define KW_SCHEMA_GLOBAL_POLICY     "global-policy"
#define KW_SCHEMA_REPOSITORY_CONFIG "repository-config"
#define KW_SCHEMA_CONNECTION_CONFIG "connection-config"

/* At most this many unknown-field warnings per validated value; the rest are
 * counted in one summary warning. */
#define KW_SCHEMA_MAX_UNKNOWN_WARNINGS 16

#endif
