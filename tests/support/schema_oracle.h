/* Differential check of the one-pass text validator
 * (kw_schema_validate_text, KW_TEXT_AS_TREE) against the tree validator
 * (kw_schema_validate on kw_json_decode_document's tree), shared by the
 * unit tests and the fuzz target fuzz/fuzz_policy.c. */
#ifndef KW_TEST_SCHEMA_ORACLE_H
#define KW_TEST_SCHEMA_ORACLE_H

#include <stddef.h>

#include "kw/schema/schema.h"

/* Validates buf[0..len) both ways with field paths from `path` and requires:
 * the same verdict on the syntax (and on an error, the same line, column,
 * position and text, with nothing appended to the result); otherwise the
 * same causes (type, rule id, field, value, detail) and warnings (rule id,
 * text) in the same order. A document that repeats a key inside an object
 * (the one documented difference) is compared through its re-encoding,
 * which has no repeats. Returns 0 when all hold, else -1 with a description
 * in why[0..whylen). */
int kw_schema_oracle_check(const struct kw_schema *schema, const char *buf, size_t len,
                           const char *path, char *why, size_t whylen);

#endif
