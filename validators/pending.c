/* Interim definitions until the decoder and rule modules land. */
#include <stdio.h>
#include <string.h>

#include "kw/json.h"
#include "kw/validate.h"

json_t *kw_json_decode(const char *buf, size_t len, struct kw_json_error *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(buf, len, 0, &jerr);
    if (!v) {
        err->line = (size_t)jerr.line;
        err->column = (size_t)jerr.column;
        err->position = (size_t)jerr.position;
        snprintf(err->text, sizeof(err->text), "%s", jerr.text);
    }
    return v;
}

void kw_validate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}

void kw_validate_policy_object(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}
