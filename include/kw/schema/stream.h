/* One-pass schema validation of JSON *text*: the compiled schemas of
 * include/kw/schema/schema.h applied while kw_json_scan_document reads the
 * text (at most 2048 nested containers, include/kw/json/json.h), without
 * building a tree or copying the input (the inline repositoryConfig
 * of up to 1 MiB). Values outside the schema's nodes (unknown or ignored
 * members) are only lexed.
 *
 * KW_TEXT_AS_TREE reports exactly what kw_schema_validate reports for the
 * decoded document (same causes and warnings, same order) — with one
 * deliberate difference: a key repeated inside one object is validated at
 * every occurrence (and an unknown one warned each time), where the decoded
 * tree keeps only the last value. tests/unit/test_policy_stream.c compares
 * the two validators on thousands of documents. */
#ifndef KW_SCHEMA_STREAM_H
#define KW_SCHEMA_STREAM_H

#include <stddef.h>

#include "kw/json/json.h"
#include "kw/decision/result.h"
#include "kw/schema/schema.h"

enum kw_text_style {
    /* As kw_schema_validate(schema, kw_json_decode_document(text), path):
     * field paths start at `path` ("" for none). */
    KW_TEXT_AS_TREE,
    /* For a JSON document held in one Kubernetes string field, `path`
     * ("spec.kopia.policyConfig.repositoryConfig", "data[global-policy.json]"):
     * every cause names that field, and its detail names the member
     * inside the document ("retention.keepDaily in body should be ...") and
     * ends with " (line L, column C)" of the value; every warning starts with
     * "<path>: ". No value of the document is ever shown: a cause shows the
     * JSON type name for type errors and no value otherwise; warnings show
     * key names (cut to 40 bytes) only. */
    KW_TEXT_EMBEDDED,
};

struct kw_text_stats {
    size_t unknown_fields; /* unknown members found (warned up to the cap) */
};

/* Validates buf[0..len) (borrowed; not NUL-terminated) against `schema`.
 * Returns 0 when the text is valid JSON: every finding is appended to res.
 * Returns -1 when it is not (err filled as kw_json_scan fills it, nothing
 * appended to res), and also on allocation failure (err->text "not enough
 * memory", res->out_of_memory set). `stats` may be NULL. Thread-safe: the
 * schema is only read. */
int kw_schema_validate_text(const struct kw_schema *schema, const char *buf, size_t len,
                            const char *path, enum kw_text_style style, struct kw_result *res,
                            struct kw_json_error *err, struct kw_text_stats *stats);

/* kw_schema_validate_text, and in the same pass every token of the text also
 * goes to observe(observe_ud, token) before the schema sees it: a caller
 * that needs facts of its own from the text (policy.c: the storage of a
 * repositoryConfig) reads a large text once. observe returning non-zero
 * stops the scan as an allocation failure does. */
int kw_schema_validate_text_observed(const struct kw_schema *schema, const char *buf, size_t len,
                                     const char *path, enum kw_text_style style,
                                     struct kw_result *res, struct kw_json_error *err,
                                     struct kw_text_stats *stats, kw_json_visit_fn observe,
                                     void *observe_ud);

#endif
