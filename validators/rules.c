/* The rule table (see include/kw/rules.h). One row per rule id; docs/rules.md
 * documents the same ids and tests/unit/test_rules.c keeps the two in step.
 * Sections follow the spec: dispatch, spec.kopia schema and cross-field
 * rules, additionalArgs, warnings, defaulting, policy JSON, admin policy. */
#include "kw/rules.h"

#include <string.h>

#define RS KW_KB_RS
#define RD KW_KB_RD
#define KOPIA KW_KB_KOPIA
#define POLICY KW_KB_POLICY
#define DENY KW_SEV_DENY
#define WARN KW_SEV_WARN
#define DEFAULT KW_SEV_DEFAULT

const struct kw_rule kw_rules[] = {
    /* Dispatch (SPEC §2, §3) */
    {KW_RULE_DECODE, KOPIA | POLICY, DENY,
     "the object cannot be decoded into the expected shape (code 400)"},
    {KW_RULE_MOVER_REQUIRED, KOPIA, DENY, "no replication method is set in spec"},
    {KW_RULE_MOVER_EXCLUSIVE, KOPIA, DENY, "spec.kopia is set together with another mover"},

    /* spec.kopia schema and cross-field rules (SPEC §4.1, §4.2) */

    /* additionalArgs (SPEC §4.4) */

    /* Warnings (SPEC §7) */

    /* Defaulting (SPEC §5) and UPDATE rules (SPEC §7) */

    /* Policy JSON (SPEC §4.3, §6) */

    /* Admin policy (SPEC §8) */
    {KW_RULE_ADMIN_ACTIONS, RS, DENY,
     "tenancy.denyActions: spec.kopia.actions is refused"},
    {KW_RULE_ADMIN_HOSTNAME, KOPIA, DENY,
     "tenancy.denyForeignHostname: spec.kopia.hostname must equal the namespace"},
    {KW_RULE_ADMIN_SOURCE_NAMESPACE, RD, DENY,
     "tenancy.denyCrossNamespaceSource: sourceIdentity.sourceNamespace must be the own "
     "namespace or listed in tenancy.allowedSourceNamespaces"},
};

const size_t kw_nrules = sizeof(kw_rules) / sizeof(kw_rules[0]);

const struct kw_rule *kw_rule_find(const char *id)
{
    for (size_t i = 0; i < kw_nrules; i++)
        if (strcmp(kw_rules[i].id, id) == 0)
            return &kw_rules[i];
    return NULL;
}
