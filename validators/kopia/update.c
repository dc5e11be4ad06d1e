/* UPDATE-only rules of an RS/RD: once the stored object has
 * synced (status.lastSyncTime set), a change of the effective identity,
 * sourcePathOverride, repository or repositoryPVC moves new backups (or the
 * restore) to another snapshot history: warned, or denied when the admin
 * switch deny_identity_change is on. A compression change is always only
 * warned: existing data keeps its old compression. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/kopia/identity.h"
#include "kw/decision/rules.h"
#include "kw/json/util.h"
#include "kw/kopia/validate.h"

/* Rendered values longer than this are cut with "..." to keep warnings short. */
#define SHOWN_MAX 48

static bool has_synced(const json_t *old_object)
{
    json_t *t = kw_path_get(old_object, "status.lastSyncTime");
    return t && !(json_is_string(t) && json_string_length(t) == 0);
}

/* What the change means for this kind, ending every message; `denied`
 * selects the conditional form for a Forbidden cause. */
static const char *consequence(const struct kw_object_ctx *ctx, bool denied)
{
    if (ctx->kind == KW_KIND_RD)
        return denied ? "restores would read another snapshot history"
                      : "restores now read another snapshot history";
    return denied ? "new backups would start a new snapshot history"
                  : "new backups start a new snapshot history";
}

/* Cuts JSON text to SHOWN_MAX bytes with "...", never inside a UTF-8
 * sequence. Takes over and returns `s` (NULL stays NULL). Strings are cut by
 * kw_quote_cut, which keeps escapes whole. */
static char *cut_json(char *s)
{
    if (!s || strlen(s) <= SHOWN_MAX)
        return s;
    size_t end = SHOWN_MAX - 3;
    while (end > 0 && ((unsigned char)s[end] & 0xC0) == 0x80)
        end--;
    strcpy(s + end, "...");
    return s;
}

/* A value as shown in a message: "quoted" for a string, JSON otherwise,
 * `unset` when absent. malloc'd, NULL on allocation failure. */
static char *shown(const json_t *v)
{
    if (!v)
        return strdup("unset");
    if (json_is_string(v))
        return kw_quote_cut(json_string_value(v), SHOWN_MAX);
    return cut_json(kw_json_dump(v, JSON_ENCODE_ANY | JSON_COMPACT, NULL));
}

/* Reports that `field` changed from `before` to `after` (rendered values;
 * `what` names the thing that changed, "" for the field itself): a Forbidden
 * cause under `deny_rule` unless it is KW_RULE_NONE, else a warning under
 * `warn_rule`; both end with `why`. */
static void report_change(struct kw_result *res, enum kw_rule_id warn_rule,
                          enum kw_rule_id deny_rule, const char *field, const char *what,
                          const char *before, const char *after, const char *why)
{
    const char *sep = what[0] ? " " : "";
    if (deny_rule != KW_RULE_NONE)
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, deny_rule, field, NULL,
                        "%s%smay not change after the first sync (from %s to %s): %s", what, sep,
                        before, after, why);
    else
        kw_result_warn(res, warn_rule, "%s: %s%schanged from %s to %s after the first sync; %s",
                       field, what, sep, before, after, why);
}

/* The field to name for a changed identity part: the part itself, or the
 * sourceIdentity block when both sides derive it from there. */
static const char *identity_field(enum kw_identity_origin before, enum kw_identity_origin after,
                                  const char *part_field)
{
    if (before == KW_IDENTITY_FROM_SOURCE_IDENTITY && after == KW_IDENTITY_FROM_SOURCE_IDENTITY)
        return "spec.kopia.sourceIdentity";
    return part_field;
}

/* Reports a changed identity, naming the first changed part's field. */
static void report_identity_change(const struct kw_object_ctx *ctx, bool deny,
                                   const struct kw_identity *old_id,
                                   const struct kw_identity *new_id, struct kw_result *res)
{
    bool user_changed = strcmp(old_id->username, new_id->username) != 0;
    const char *field = user_changed
                            ? identity_field(old_id->username_origin, new_id->username_origin,
                                             "spec.kopia.username")
                            : identity_field(old_id->hostname_origin, new_id->hostname_origin,
                                             "spec.kopia.hostname");
    char *before = kw_identity_string(old_id), *after = kw_identity_string(new_id);
    char *sb = before ? kw_quote_cut(before, SHOWN_MAX) : NULL;
    char *sa = after ? kw_quote_cut(after, SHOWN_MAX) : NULL;
    if (!sb || !sa)
        res->out_of_memory = true;
    else
        report_change(res, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                      deny ? KW_RULE_IDENTITY_CHANGE_FORBIDDEN : KW_RULE_NONE, field, "identity",
                      sb, sa, consequence(ctx, deny));
    free(sb);
    free(sa);
    free(before);
    free(after);
}

/* Compares the effective identities as the operator computes them (a part
 * the object does not write is the operator's default; for an RD also as
 * derived from sourceIdentity), so pinning a value the operator did not use
 * is a change; skipped when either is not determinable. */
static void compare_identity(const struct kw_object_ctx *ctx, bool deny, struct kw_result *res)
{
    struct kw_identity old_id, new_id;
    enum kw_identity_status st_old =
        kw_identity_effective(ctx->kind, ctx->name, ctx->namespace, ctx->old_object, &old_id);
    enum kw_identity_status st_new =
        kw_identity_effective(ctx->kind, ctx->name, ctx->namespace, ctx->object, &new_id);
    if (st_old == KW_IDENTITY_NOMEM || st_new == KW_IDENTITY_NOMEM)
        res->out_of_memory = true;
    if (st_old == KW_IDENTITY_OK && st_new == KW_IDENTITY_OK &&
        (strcmp(old_id.username, new_id.username) != 0 ||
         strcmp(old_id.hostname, new_id.hostname) != 0))
        report_identity_change(ctx, deny, &old_id, &new_id, res);
    if (st_old == KW_IDENTITY_OK)
        kw_identity_free(&old_id);
    if (st_new == KW_IDENTITY_OK)
        kw_identity_free(&new_id);
}

/* A compared value: the member at `dotted` under the object; with
 * `empty_is_absent` an empty string counts as absent. */
static const json_t *compared(const json_t *object, const char *dotted, bool empty_is_absent)
{
    json_t *v = kw_path_get(object, dotted);
    if (empty_is_absent && json_is_string(v) && json_string_length(v) == 0)
        return NULL;
    return v;
}

/* Compares one field of the old and new object and reports a change. */
static void compare_field(const struct kw_object_ctx *ctx, const char *dotted, bool empty_is_absent,
                          enum kw_rule_id warn_rule, enum kw_rule_id deny_rule, const char *why,
                          struct kw_result *res)
{
    const json_t *before = compared(ctx->old_object, dotted, empty_is_absent);
    const json_t *after = compared(ctx->object, dotted, empty_is_absent);
    if ((!before && !after) || (before && after && json_equal(before, after)))
        return;
    char *sb = shown(before), *sa = shown(after);
    if (!sb || !sa)
        res->out_of_memory = true;
    else
        report_change(res, warn_rule, deny_rule, dotted, "", sb, sa, why);
    free(sb);
    free(sa);
}

void kw_validate_kopia_update(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    if (!ctx->old_object || !has_synced(ctx->old_object))
        return;
    bool deny = ctx->cfg->deny_identity_change;
    bool rs = ctx->kind == KW_KIND_RS;
    const char *why = consequence(ctx, deny);
    compare_identity(ctx, deny, res);
    compare_field(
        ctx, rs ? "spec.kopia.sourcePathOverride" : "spec.kopia.sourceIdentity.sourcePathOverride",
        false, KW_RULE_SOURCE_PATH_CHANGE_AFTER_SYNC,
        deny ? KW_RULE_SOURCE_PATH_CHANGE_FORBIDDEN : KW_RULE_NONE, why, res);
    compare_field(ctx, "spec.kopia.repository", true, KW_RULE_REPOSITORY_CHANGE_AFTER_SYNC,
                  deny ? KW_RULE_REPOSITORY_CHANGE_FORBIDDEN : KW_RULE_NONE, why, res);
    if (!rs)
        return;
    compare_field(ctx, "spec.kopia.repositoryPVC", false, KW_RULE_REPOSITORY_CHANGE_AFTER_SYNC,
                  deny ? KW_RULE_REPOSITORY_CHANGE_FORBIDDEN : KW_RULE_NONE, why, res);
    compare_field(ctx, "spec.kopia.compression", false, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC,
                  KW_RULE_NONE, "existing data keeps its old compression", res);
}
