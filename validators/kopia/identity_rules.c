/* The identity warnings of an RS/RD on /validate (* docs/operator.md §a.4): an explicit identity
 * that differs from the operator's default (sourceIdentity restores look for the default, never for
 * the source's username/hostname), a sourceIdentity the operator ignores for
 * want of a sourceName, and a sourceIdentity.sourcePathOverride it ignores
 * next to an explicit identity, and an identity left to the namespace of an
 * object that names none (offline). The defaulting-side identity warnings (a value
 * that cannot be pinned, a pin after the first sync) live in mutate.c. */
#include <stdlib.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/json/util.h"
#include "kw/kopia/identity.h"
#include "kw/kopia/validate.h"

/* Frees an identity that `st` says was filled; records an allocation
 * failure. */
static void done(enum kw_identity_status st, struct kw_identity *id, struct kw_result *res)
{
    if (st == KW_IDENTITY_OK)
        kw_identity_free(id);
    else if (st == KW_IDENTITY_NOMEM)
        res->out_of_memory = true;
}

/* An explicit username/hostname the validator accepts (others are denied by
 * identity-invalid and not warned about again). */
static bool explicit_part(const json_t *kopia, const char *key, bool *given)
{
    json_t *v = kw_obj_get(kopia, key);
    *given = json_is_string(v) && json_string_length(v) > 0;
    return !v || (json_is_string(v) && (!*given || kw_identity_pinnable(json_string_value(v))));
}

/* docs/operator.md §a.4: the operator's discovery computes the source's default identity
 * from its name, so snapshots written under any other identity are invisible
 * to `sourceIdentity: {sourceName: <name>}` restores. Not for an RD whose
 * default comes from its own sourceIdentity (identity-with-sourceidentity
 * covers that) or with a half identity (denied). */
static void warn_not_default(const struct kw_object_ctx *ctx, const json_t *kopia,
                             struct kw_result *res)
{
    bool user, host;
    if (!explicit_part(kopia, "username", &user) || !explicit_part(kopia, "hostname", &host) ||
        !(user || host) || (ctx->kind == KW_KIND_RD && user != host))
        return;
    struct kw_identity id, def;
    enum kw_identity_status st_id =
        kw_identity_effective(ctx->kind, ctx->name, ctx->namespace, ctx->object, &id);
    enum kw_identity_status st_def =
        kw_identity_operator_default(ctx->kind, ctx->name, ctx->namespace, ctx->object, &def);
    if (st_id == KW_IDENTITY_OK && st_def == KW_IDENTITY_OK &&
        def.username_origin == KW_IDENTITY_FROM_OBJECT) {
        bool user_differs = strcmp(id.username, def.username) != 0;
        bool host_differs = strcmp(id.hostname, def.hostname) != 0;
        if (user_differs || host_differs)
            kw_result_warn(res, KW_RULE_IDENTITY_NOT_DEFAULT,
                           "spec.kopia.%s: the identity \"%s@%s\" is not the operator's default "
                           "for this object (\"%s@%s\"): a restore using sourceIdentity: "
                           "{sourceName: %s} looks for \"%s@%s\" and will not find the snapshots "
                           "of \"%s@%s\"",
                           user_differs ? "username" : "hostname", id.username, id.hostname,
                           def.username, def.hostname, ctx->name, def.username, def.hostname,
                           id.username, id.hostname);
    }
    done(st_id, &id, res);
    done(st_def, &def, res);
}

/* docs/operator.md §a.4 item 2: useSourceIdentity needs a non-empty
 * sourceName; without it the whole block is ignored (and the operator's own
 * test expects the object to be accepted). */
static void warn_without_source_name(const struct kw_object_ctx *ctx, const json_t *kopia,
                                     struct kw_result *res)
{
    json_t *si = kw_obj_get(kopia, "sourceIdentity");
    json_t *name = kw_obj_get(si, "sourceName");
    if (!json_is_object(si) || (name && !(json_is_string(name) && json_string_length(name) == 0)))
        return;
    struct kw_identity id;
    enum kw_identity_status st =
        kw_identity_effective(ctx->kind, ctx->name, ctx->namespace, ctx->object, &id);
    if (st == KW_IDENTITY_OK)
        kw_result_warn(res, KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME,
                       "spec.kopia.sourceIdentity.sourceName: not set, so the operator ignores "
                       "sourceIdentity and this restore reads \"%s@%s\"; set sourceName to the "
                       "ReplicationSource whose snapshots to restore",
                       id.username, id.hostname);
    else
        kw_result_warn(res, KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME,
                       "spec.kopia.sourceIdentity.sourceName: not set, so the operator ignores "
                       "sourceIdentity; set sourceName to the ReplicationSource whose snapshots "
                       "to restore");
    done(st, &id, res);
}

/* docs/operator.md §a.4 item 8: the override is read only in the branch that
 * computes the hostname, which an explicit hostname skips. */
static void warn_path_ignored(const json_t *kopia, struct kw_result *res)
{
    json_t *path = kw_path_get(kopia, "sourceIdentity.sourcePathOverride");
    if (!json_is_string(path) || !kw_obj_str_set(kopia, "username") ||
        !kw_obj_str_set(kopia, "hostname"))
        return;
    kw_result_warn(res, KW_RULE_SOURCEIDENTITY_PATH_IGNORED,
                   "spec.kopia.sourceIdentity.sourcePathOverride: ignored because username and "
                   "hostname are set, so the restore looks for snapshots of /data; remove "
                   "username and hostname to restore through sourceIdentity");
}

/* An object checked without a namespace (a GitOps manifest that leaves it to
 * the namespace it is applied to): the identity's hostname comes from that
 * namespace, so it is not known here, and /mutate pins it only when the
 * object is applied. Only when the namespace is what is missing: the identity
 * is unknown with "" and known with any namespace. */
static void warn_namespace_decides(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    if (ctx->namespace[0] || !ctx->name[0])
        return;
    struct kw_identity id;
    enum kw_identity_status st = kw_identity_effective(ctx->kind, ctx->name, "", ctx->object, &id);
    if (st != KW_IDENTITY_UNKNOWN) {
        done(st, &id, res);
        return;
    }
    st = kw_identity_effective(ctx->kind, ctx->name, "namespace", ctx->object, &id);
    if (st == KW_IDENTITY_OK)
        kw_result_warn(res, KW_RULE_NAMESPACE_DECIDES_IDENTITY,
                       "metadata.namespace: not set, so the namespace the object is applied to "
                       "decides its Kopia identity: the hostname is that namespace, pinned by "
                       "the webhook when the object is applied; set metadata.namespace to fix "
                       "the identity in the manifest");
    done(st, &id, res);
}

void kw_validate_kopia_identity(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    const json_t *kopia = kw_path_get(ctx->object, "spec.kopia");
    if (!json_is_object(kopia))
        return;
    warn_not_default(ctx, kopia, res);
    warn_namespace_decides(ctx, res);
    if (ctx->kind != KW_KIND_RD)
        return;
    warn_without_source_name(ctx, kopia, res);
    warn_path_ignored(kopia, res);
}
