/* The one entry point of the pure core: request bytes + read-only config ->
 * response bytes, shared by the HTTPS server, `kopia-webhook review` and the
 * fuzz targets. `kopia-webhook check` enters one level lower, at
 * kw_evaluate(), with reviews it builds itself from manifests. */
#ifndef KW_CORE_H
#define KW_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include "kw/base/kinds.h"
#include "kw/kopia/config.h"
#include "kw/decision/rules.h"
#include "kw/decision/result.h"
#include "kw/admission/review.h"

enum kw_webhook { KW_HOOK_VALIDATE, KW_HOOK_MUTATE };

#define KW_SUMMARY_RULES 16

/* What the shell logs and counts about one handled review (copied, so it
 * outlives the request). Never holds object contents. */
struct kw_summary {
    bool decoded; /* false: transport-level 400 */
    char uid[64];
    char kind[64];      /* request.kind.kind as sent (cut to fit), for logs */
    char operation[16]; /* request.operation as sent (cut to fit), for logs */
    /* The two as the core classified them (KW_KIND_OTHER, KW_OP_OTHER for
     * anything it does not handle): what metrics count by. Set when decoded. */
    enum kw_kind kind_id;
    enum kw_operation op_id;
    char namespace[64];
    char name[254];
    /* Who asked for what, as the API server sent it (cut to fit): the
     * requesting user (request.userInfo.username) and request.resource,
     * `resource` with "/" and request.subResource when one is set. */
    char user[256];
    char group[128];
    char version[64];
    char resource[192];
    bool dry_run;
    bool allowed;
    bool patched;
    enum kw_rule_id deny_rules[KW_SUMMARY_RULES]; /* KW_RULE_OBJECT_DECODE first if undecodable */
    size_t ndeny;
    enum kw_rule_id warn_rules[KW_SUMMARY_RULES];
    size_t nwarn;
};

struct kw_outcome {
    /* 200; 400 for an undecodable review; 413 for one with more values
     * than cfg->max_request_values, or whose values need more memory than
     * the allocator gives ("request too complex: ..."); 500 when the
     * response cannot be built. */
    int http_status;
    char *body; /* response JSON (200) or a one-line error; owned, malloc'd (never
                   from jansson's allocator, so it outlives a per-request arena) */
    size_t body_len;
    const char *content_type;
    struct kw_summary summary;
};

/* Handles one AdmissionReview body. Never fails to fill `out`; allocation
 * failure yields a 500 with a short body. Free with kw_outcome_free. Every
 * jansson value the call makes is freed before it returns. */
void kw_handle(const struct kw_config *cfg, enum kw_webhook hook, const char *body, size_t len,
               struct kw_outcome *out);

/* kw_handle for a caller whose jansson allocator releases all of one
 * request's values in one step after the call (the server's per-request
 * arena, include/kw/server/arena.h): the decoded review and the result's
 * patch values are left as they are instead of being walked and freed value
 * by value; what is not jansson's (the result's texts, `out`) is freed or
 * handed over as by kw_handle. Sound because of two facts:
 *   - the caller's allocator makes every jansson value of the call (the
 *     values of the review, the patch values and the core's temporaries);
 *   - the core never puts a reference to a value that outlives the request
 *     (nothing of the config or the compiled schemas) into the review or
 *     the result, so no reference count outside the request is left raised
 *     (tests/unit/test_bulk_release.c checks every value of the trees).
 * A request that fails midway (400, 413, out of memory) is left the same way:
 * the caller's release is what frees its values. */
void kw_handle_bulk(const struct kw_config *cfg, enum kw_webhook hook, const char *body, size_t len,
                    struct kw_outcome *out);
void kw_outcome_free(struct kw_outcome *out);

/* Evaluates a decoded review: pass-through rules, then mutate (KW_HOOK_MUTATE)
 * or validate (KW_HOOK_VALIDATE) the object into `res`. Pure. */
void kw_evaluate(const struct kw_config *cfg, enum kw_webhook hook, const struct kw_review *rv,
                 struct kw_result *res);

#endif
