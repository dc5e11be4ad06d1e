/* The reply encoder that built a jansson tree (see review_reference.c): the
 * reference kw_review_encode is compared with. */
#ifndef KWTEST_REVIEW_REFERENCE_H
#define KWTEST_REVIEW_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "kw/admission/review.h"

/* kw_review_encode's contract: malloc'd bytes (length in *out_len) or NULL. */
char *kwt_review_encode_reference(const struct kw_review *rv, const struct kw_result *res,
                                  bool with_patch, size_t *out_len);

#endif
