/* Interim definitions until the decoder, JSON Patch and rule modules land. */
#include <stdio.h>
#include <string.h>

#include "kw/jsonpatch.h"
#include "kw/validate.h"

json_t *kw_patch_to_json(const struct kw_patch_op *ops, size_t nops)
{
    static const char *names[] = {"add", "remove", "replace", "move", "copy", "test"};
    json_t *a = json_array();
    for (size_t i = 0; i < nops; i++) {
        json_t *o = json_pack("{s:s, s:s}", "op", names[ops[i].op], "path", ops[i].path);
        if (ops[i].value)
            json_object_set(o, "value", ops[i].value);
        json_array_append_new(a, o);
    }
    return a;
}

void kw_validate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}
void kw_validate_kopia_update(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}
void kw_mutate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}
void kw_validate_policy_object(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}

int kw_patch_apply_ops(json_t *doc, const struct kw_patch_op *ops, size_t nops, char *err,
                       size_t errlen)
{
    (void)doc;
    (void)ops;
    (void)nops;
    snprintf(err, errlen, "JSON Patch is not available yet");
    return -1;
}
