/* What the configured operator version means for the schema pass: the
 * context (version, offline or in the cluster) that the fields' since/until
 * bounds of validators/kopia/schemas/kopia.yaml are checked against
 * (docs/operator.md b.1). */
#include "kw/kopia/validate.h"

struct kw_schema_context kw_kopia_schema_context(const struct kw_config *cfg)
{
    return (struct kw_schema_context){
        .version = kw_operator_version_name(cfg->operator_version),
        .offline = cfg->offline,
        .product = "operator",
        .setting = "operatorVersion",
    };
}
