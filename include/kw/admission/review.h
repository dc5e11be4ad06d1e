/* AdmissionReview codec: request bytes -> struct kw_review, and a kw_result ->
 * response bytes, for admission.k8s.io/v1 and v1beta1 (SPEC §3). */
#ifndef KW_REVIEW_H
#define KW_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/base/dynbuf.h"
#include "kw/base/kinds.h"
#include "kw/decision/result.h"
#include "kw/json/json.h"

/* A decoded request. `root` is owned; every other pointer borrows from it. */
struct kw_review {
    json_t *root;
    const char *api_version; /* "admission.k8s.io/v1" or ".../v1beta1" */
    const char *uid;
    const char *kind_group, *kind_version, *kind_name; /* request.kind */
    enum kw_kind kind;
    const char *operation; /* as sent, for logs */
    enum kw_operation op;
    const char *name;        /* request.name, else object metadata.name; "" if none */
    const char *namespace;   /* request.namespace, else metadata.namespace; "" */
    const char *subresource; /* NULL or "" when none */
    /* request.resource (group, version, resource) and request.userInfo.username,
     * for logs only; "" when absent or not strings (nothing decides by them). */
    const char *resource_group, *resource_version, *resource;
    const char *user;
    bool dry_run;
    json_t *object;     /* request.object or NULL */
    json_t *old_object; /* request.oldObject or NULL */
};

/* The members of a review the decoder leaves out (validated and counted
 * toward the value limit, never built): request.options, requestKind,
 * requestResource, requestSubResource, userInfo but its username, the
 * object's status and metadata.managedFields, and the oldObject's
 * metadata.managedFields and status but its lastSyncTime. kw_review's
 * `root` lacks them. */
extern const struct kw_json_prune kw_review_unread[];
extern const size_t kw_review_unread_count;

/* Error text buffer size for kw_review_decode. */
#define KW_ERRLEN 256

/* Decodes an AdmissionReview. On failure returns -1 and writes a one-line
 * reason to err (the HTTP 400 body); `out` then owns nothing. On success
 * returns 0 and the caller must kw_review_free(out). */
int kw_review_decode(const char *body, size_t len, struct kw_review *out, char err[KW_ERRLEN]);

/* What kw_review_decode_limited returns besides 0 and -1 (a 400): the body
 * holds more than `max_values` JSON values, or its values need more memory
 * than there is for this request (the shell bounds each request's memory).
 * The answer is a 413; `err` says which limit was passed. */
#define KW_REVIEW_TOO_COMPLEX (-2)

/* kw_review_decode with a limit on the number of JSON values (0: none; see
 * kw_json_decode_limited). Returns 0, -1 or KW_REVIEW_TOO_COMPLEX. */
int kw_review_decode_limited(const char *body, size_t len, size_t max_values, struct kw_review *out,
                             char err[KW_ERRLEN]);
void kw_review_free(struct kw_review *rv);

/* Encodes the response for `rv` from `res`. Patches are included only when
 * `with_patch` (the /mutate webhook, never for DELETE) and `res` has ops.
 * Returns malloc'd bytes (length in *out_len) or NULL on allocation failure. */
char *kw_review_encode(const struct kw_review *rv, const struct kw_result *res, bool with_patch,
                       size_t *out_len);

/* kw_review_encode appending to `out` (borrowed), which may have a limit
 * (include/kw/base/dynbuf.h); the patch's JSON text is held under the same
 * limit while it is encoded. Returns KW_JSON_WRITER_OK, or the first
 * failure (enum kw_json_writer_rc): then `out` holds an unspecified prefix
 * of the reply and the caller discards it. */
int kw_review_encode_into(const struct kw_review *rv, const struct kw_result *res, bool with_patch,
                          struct kw_dynbuf *out);

/* The Status.message for a denial: `ReplicationSource.volsync.backube "x" is
 * invalid: [a, b]`. malloc'd. */
char *kw_denial_message(const struct kw_review *rv, const struct kw_result *res);

#endif
