/* Differential check of the strict JSON decoder and scanner (kw/json/json.h)
 * against jansson's json_loadb(..., 0, ...), shared by the unit tests and the
 * fuzz target. */
#ifndef KW_TEST_JSON_ORACLE_H
#define KW_TEST_JSON_ORACLE_H

#include <jansson.h>
#include <stddef.h>

#include "kw/json/json.h"

/* Runs buf[0..len) through json_loadb, kw_json_decode and kw_json_scan and
 * requires: the same accept/reject; equal values with the same key order and
 * the same integer/real split; the same error line, column, position and
 * text (text only where jansson's is printable UTF-8; nothing but
 * accept/reject when the input holds a NUL byte); decoder and scanner agree
 * on errors; the scanner's events are a walk of the decoded tree. The one
 * accepted disagreement is a NUL byte right after a number or literal, which
 * jansson skips: the check is then repeated without that byte.
 * Returns 0 when all hold, else -1 with a description in why[0..whylen). */
int kw_json_oracle_check(const char *buf, size_t len, char *why, size_t whylen);

/* The pruned decoder against the plain one: kw_json_decode_pruned(buf, len,
 * max_values, rules) must accept and reject exactly as
 * kw_json_decode_limited(buf, len, max_values) (same failure, text, line,
 * column and position, the value limit included), and on success give the
 * plain decoder's tree with kw_json_prune_tree applied, key order and
 * number types included. Returns 0 when all hold, else -1 with why. */
int kw_json_prune_oracle_check(const char *buf, size_t len, size_t max_values,
                               const struct kw_json_prune *rules, size_t nrules, char *why,
                               size_t whylen);

/* Removes from `root` (borrowed, changed in place) what the rules leave out,
 * by walking their paths in the decoded tree: the reference the pruned
 * decoder is held to. */
void kw_json_prune_tree(json_t *root, const struct kw_json_prune *rules, size_t nrules);

#endif
