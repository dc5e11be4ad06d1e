/* The rule table (see include/kw/decision/rules.h), generated from the one list
 * of rules, KW_RULE_LIST; docs/rules.md documents the same ids and
 * tests/unit/test_rules.c keeps the two in step. */
#include "kw/decision/rules.h"

#include <string.h>

const struct kw_rule kw_rules[KW_RULE_COUNT] = {
#define KW_X_RULE_ROW(name, id, kinds, severity, summary)                                          \
    [KW_RULE_##name] = {id, kinds, severity, summary},
    KW_RULE_LIST(KW_X_RULE_ROW)
#undef KW_X_RULE_ROW
};

const char *kw_rule_id_string(enum kw_rule_id rule)
{
    return (unsigned)rule < KW_RULE_COUNT ? kw_rules[rule].id : "";
}

enum kw_rule_id kw_rule_find(const char *id)
{
    if (!id)
        return KW_RULE_NONE;
    for (int r = 0; r < KW_RULE_COUNT; r++)
        if (strcmp(kw_rules[r].id, id) == 0)
            return (enum kw_rule_id)r;
    return KW_RULE_NONE;
}
