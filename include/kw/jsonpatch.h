/* RFC 6902 JSON Patch and RFC 6901 JSON Pointer on jansson values: encoding
 * the core's patch operations, and applying any patch document (used by
 * `check --output patched` and by the tests that prove every patch applies). */
#ifndef KW_JSONPATCH_H
#define KW_JSONPATCH_H

#include <jansson.h>
#include <stddef.h>

#include "kw/result.h"

/* Appends `token` to `base` as one escaped reference token ("~" -> "~0",
 * "/" -> "~1"): kw_pointer_join("/metadata/annotations", "a/b") ->
 * "/metadata/annotations/a~1b". malloc'd, NULL on allocation failure. */
char *kw_pointer_join(const char *base, const char *token);

/* Resolves a JSON Pointer in `doc` (borrowed result) or NULL. */
json_t *kw_pointer_get(json_t *doc, const char *pointer);

/* The RFC 6902 array for ops (new reference), or NULL on allocation failure. */
json_t *kw_patch_to_json(const struct kw_patch_op *ops, size_t nops);

/* Applies an RFC 6902 patch array to `doc` in place (all or nothing: on
 * failure `doc` is unchanged). Returns 0, or -1 with a reason in err. */
int kw_patch_apply(json_t *doc, const json_t *patch, char *err, size_t errlen);

/* Same, for the core's own operations. */
int kw_patch_apply_ops(json_t *doc, const struct kw_patch_op *ops, size_t nops, char *err,
                       size_t errlen);

#endif
