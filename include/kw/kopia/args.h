/* The additionalArgs rules: forbidden flags in all three forms
 * (also smuggled through the mover's separator characters), empty and
 * multi-line items, the separator warning and native-field duplicates. The
 * JSON types and the 20-item limit are in the schema (kopia.yaml). */
#ifndef KW_ARGS_H
#define KW_ARGS_H

#include <jansson.h>

#include "kw/decision/result.h"
#include "kw/kopia/validate.h"

/* The separator the mover joins arguments with; bash splits on each of its
 * characters. */
#define KW_MOVER_ARG_SEPARATOR "|VOLSYNC_ARG_SEP|"

/* Checks spec.kopia.additionalArgs (`args`, borrowed; NULL or not an array:
 * nothing to do). Extra forbidden flags come from ctx->cfg. */
void kw_validate_additional_args(const struct kw_object_ctx *ctx, const json_t *args,
                                 struct kw_result *res);

#endif
