/* YAML (and JSON, a subset) to jansson values with libyaml, resolving plain
 * scalars the way kubectl does (YAML 1.1 booleans such as yes/no/on/off,
 * null/~, decimal/0x/0o integers, floats), rejecting duplicate mapping keys
 * like kubectl. Used by `check` for manifests and by the schema and config
 * loaders. Errors carry the line and column (1-based). */
#ifndef KW_YAML_H
#define KW_YAML_H

#include <jansson.h>
#include <stddef.h>

struct kw_yaml_error {
    size_t line, column; /* 1-based; 0 when unknown */
    char text[256];      /* "line 3, column 5: mapping key \"spec\" already defined" */
};

/* Parses every document of a multi-document stream. Returns a new array with
 * one value per non-empty document (empty documents are skipped), or NULL
 * with `err` filled. */
json_t *kw_yaml_load_all(const char *buf, size_t len, struct kw_yaml_error *err);

/* Parses a stream that must hold exactly one document (config files, schema
 * files). Returns a new reference, or NULL with `err` filled. */
json_t *kw_yaml_load_one(const char *buf, size_t len, struct kw_yaml_error *err);

/* Line/column of a mapping key path inside the last document loaded is not
 * kept: callers that need positions (the config loader) use the
 * kw_yaml_positions table returned by kw_yaml_load_one_with_positions. */
struct kw_yaml_position {
    char *path; /* "tls.certFile", "forbiddenArgs[2]" */
    size_t line, column;
};
struct kw_yaml_positions {
    struct kw_yaml_position *items; /* owned; kw_yaml_positions_free frees */
    size_t len, cap;                /* cap: items allocated */
};
json_t *kw_yaml_load_one_with_positions(const char *buf, size_t len,
                                        struct kw_yaml_positions *positions_out,
                                        struct kw_yaml_error *err);
void kw_yaml_positions_free(struct kw_yaml_positions *positions);

#endif
