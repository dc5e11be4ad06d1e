/* Names of kinds and operations (include/kw/base/kinds.h), generated from
 * the one list of each. */
#include "kw/base/kinds.h"

#include <string.h>

static const struct {
    const char *group, *kind, *qualified;
} kinds[KW_KIND_COUNT] = {
#define KW_X_KIND_ROW(id, group, kind, qualified) [KW_KIND_##id] = {group, kind, qualified},
    KW_KIND_LIST(KW_X_KIND_ROW)
#undef KW_X_KIND_ROW
};

static const char *const operations[KW_OP_COUNT] = {
#define KW_X_OP_ROW(id, name) [KW_OP_##id] = name,
    KW_OPERATION_LIST(KW_X_OP_ROW)
#undef KW_X_OP_ROW
};

enum kw_kind kw_kind_of(const char *group, const char *kind)
{
    if (!kind)
        return KW_KIND_OTHER;
    for (int k = KW_KIND_OTHER + 1; k < KW_KIND_COUNT; k++)
        if (strcmp(kinds[k].group, group ? group : "") == 0 && strcmp(kinds[k].kind, kind) == 0)
            return (enum kw_kind)k;
    return KW_KIND_OTHER;
}

const char *kw_kind_label(enum kw_kind kind)
{
    return (unsigned)kind < KW_KIND_COUNT ? kinds[kind].kind : kinds[KW_KIND_OTHER].kind;
}

const char *kw_kind_qualified(enum kw_kind kind)
{
    return (unsigned)kind < KW_KIND_COUNT ? kinds[kind].qualified : "";
}

enum kw_operation kw_operation_of(const char *name)
{
    if (!name)
        return KW_OP_OTHER;
    for (int op = 0; op < KW_OP_OTHER; op++)
        if (strcmp(operations[op], name) == 0)
            return (enum kw_operation)op;
    return KW_OP_OTHER;
}

const char *kw_operation_label(enum kw_operation op)
{
    return (unsigned)op < KW_OP_COUNT ? operations[op] : operations[KW_OP_OTHER];
}
