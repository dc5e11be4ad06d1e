/* Interim definitions until the rule modules land. */
#include "kw/validate.h"

void kw_validate_policy_object(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    (void)ctx;
    (void)res;
}
