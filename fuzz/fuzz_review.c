/* Fuzz target: the review handler, both webhooks, on arbitrary bytes. Every
 * input must yield a 200 with JSON (the reply written directly by
 * kw_review_encode must parse with json_loadb), a 400 or a 413, never a crash
 * or a leak. fuzz_reply.c compares that reply with the reference encoder. */
#include <stdint.h>
#include <stdlib.h>

#include "kw/admission/core.h"
#include "kw/server/runtime.h"

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
    return 0;
}
