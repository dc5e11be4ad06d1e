/* Fuzz target: the review handler, both webhooks, on arbitrary bytes. Every
 * input must yield a 200 with JSON (the reply written directly by
 * kw_review_encode must parse with json_loadb), a 400 or a 413, never a crash
 * or a leak. fuzz_reply.c compares that reply with the reference encoder.
 * The review decoder leaves out what nothing reads (kw_review_unread): its
 * tree must be the plain decoder's without those members, with the same
 * verdict, error and value-limit position (seeds with managedFields, status
 * and options in fuzz/corpus/review/). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kw/admission/core.h"
#include "kw/server/runtime.h"

/* The oracle is test support code; the fuzz build has no test library. */
#include "../tests/support/json_oracle.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kw_runtime rt;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        char err[256];
        if (kw_runtime_init(&rt, NULL, err, sizeof(err)) != 0)
            abort();
        ready = 1;
    }
    for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
        struct kw_outcome out;
        kw_handle(&rt.cfg, (enum kw_webhook)hook, (const char *)data, size, &out);
        if (out.http_status != 200 && out.http_status != 400 && out.http_status != 413)
            abort();
        if (out.http_status == 200) {
            json_t *doc = json_loadb(out.body, out.body_len, 0, NULL);
            if (!doc)
                abort();
            json_decref(doc);
        }
        kw_outcome_free(&out);
    }
    char why[512];
    size_t limits[] = {0, rt.cfg.max_request_values, size % 64 + 1};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (kw_json_prune_oracle_check((const char *)data, size, limits[i], kw_review_unread,
                                       kw_review_unread_count, why, sizeof why) != 0) {
            fprintf(stderr, "pruned review decoder disagrees (limit %zu): %s\n", limits[i], why);
            abort();
        }
    return 0;
}
