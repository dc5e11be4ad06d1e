/* The rule table: every deny and warning rule with its stable id, the kinds it
 * applies to, its severity and a one-line summary. docs/rules.md, metrics and
 * tests enumerate this same list (a test checks the doc against it). */
#ifndef KW_RULES_H
#define KW_RULES_H

#include <stddef.h>

#include "kw/base/kinds.h"

/* One bit per enum kw_kind. */
enum kw_kind_bit {
    KW_KB_RS = 1u << KW_KIND_RS,
    KW_KB_RD = 1u << KW_KIND_RD,
    KW_KB_CONFIGMAP = 1u << KW_KIND_CONFIGMAP,
    KW_KB_SECRET = 1u << KW_KIND_SECRET,
};
#define KW_KB_KOPIA  (KW_KB_RS | KW_KB_RD)
#define KW_KB_POLICY (KW_KB_CONFIGMAP | KW_KB_SECRET)

enum kw_severity { KW_SEV_DENY, KW_SEV_WARN, KW_SEV_DEFAULT };

struct kw_rule {
    const char *id; /* stable, kebab-case: "mover-required" */
    unsigned kinds; /* enum kw_kind_bit mask */
    enum kw_severity severity;
    const char *summary; /* one line for docs */
};

extern const struct kw_rule kw_rules[];
extern const size_t kw_nrules;

/* NULL when unknown. */
const struct kw_rule *kw_rule_find(const char *id);

/* Rule ids used by the dispatcher; the validators define their own next to
 * their checks and list them in validators/decision/rules.c. */
#define KW_RULE_DECODE                 "object-decode"
#define KW_RULE_MOVER_REQUIRED         "mover-required"
#define KW_RULE_MOVER_EXCLUSIVE        "mover-exclusive"
#define KW_RULE_ADMIN_ACTIONS          "admin-deny-actions"
#define KW_RULE_ADMIN_HOSTNAME         "admin-hostname-is-namespace"
#define KW_RULE_ADMIN_SOURCE_NAMESPACE "admin-source-namespace"
/* Rule ids the schema files name for all their type errors and unknown fields. */
#define KW_RULE_FIELD_TYPE    "field-type"
#define KW_RULE_UNKNOWN_FIELD "unknown-field"

#endif
