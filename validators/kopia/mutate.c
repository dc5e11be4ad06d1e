/* Defaulting of an RS/RD with spec.kopia: pins the identity
 * (unless the CRD's pattern would refuse the value, which is then only
 * annotated and warned), warns when an object that has synced is pinned only
 * now, defaults sourceIdentity.sourceNamespace, copyMethod and the policy file
 * names, rewrites restoreAsOf to UTC and writes the identity annotation.
 * Patches are minimal (only what changes, parents before children) and
 * always apply to the request object; it never denies: an object whose fields
 * it reads have the wrong JSON types is left untouched for the validator to
 * deny. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kw/formats/formats.h"
#include "kw/kopia/identity.h"
#include "kw/decision/rules.h"
#include "kw/json/util.h"
#include "kw/kopia/validate.h"

/* How a string field is written in an object. */
enum field_state {
    FIELD_ABSENT, /* no such key */
    FIELD_NULL,   /* JSON null */
    FIELD_EMPTY,  /* "" (absent for these fields, as for the operator) */
    FIELD_SET,    /* a non-empty string */
    FIELD_WRONG,  /* any other JSON type */
};

static enum field_state field_state(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v)
        return FIELD_ABSENT;
    if (json_is_null(v))
        return FIELD_NULL;
    if (!json_is_string(v))
        return FIELD_WRONG;
    return json_string_length(v) ? FIELD_SET : FIELD_EMPTY;
}

static bool field_is_set(const json_t *obj, const char *key)
{
    return field_state(obj, key) == FIELD_SET;
}

/* A member that must be absent, null or an object. */
static bool object_or_absent(const json_t *obj, const char *key)
{
    json_t *v = kw_obj_get(obj, key);
    return !v || json_is_object(v);
}

static bool strings_or_absent(const json_t *obj, const char *const *keys)
{
    for (; *keys; keys++)
        if (field_state(obj, *keys) == FIELD_WRONG)
            return false;
    return true;
}

/* True when every value this file reads or patches has the JSON type it
 * expects, so that each patch applies. */
static bool understood(const struct kw_object_ctx *ctx)
{
    static const char *const kopia_keys[] = {"username", "hostname", "copyMethod", "restoreAsOf",
                                             NULL};
    static const char *const source_keys[] = {"sourceName", "sourceNamespace", NULL};
    static const char *const policy_keys[] = {"secretName", "configMapName", "globalPolicyFilename",
                                              "repositoryConfigFilename", NULL};
    const json_t *obj = ctx->object;
    json_t *metadata = json_object_get(obj, "metadata");
    json_t *kopia = kw_path_get(obj, "spec.kopia");
    if (!json_is_object(metadata) || !object_or_absent(metadata, "annotations") ||
        !json_is_object(kopia) || !strings_or_absent(kopia, kopia_keys) ||
        !object_or_absent(kopia, "sourceIdentity") || !object_or_absent(kopia, "policyConfig"))
        return false;
    return strings_or_absent(kw_obj_get(kopia, "sourceIdentity"), source_keys) &&
           strings_or_absent(kw_obj_get(kopia, "policyConfig"), policy_keys);
}

/* Sets `path` to the string `value`: add when the member is absent, replace
 * when it is there (null or a string). */
static void patch_string(struct kw_result *res, enum field_state state, const char *path,
                         const char *value)
{
    json_t *v = json_string(value);
    if (!v) {
        res->out_of_memory = true;
        return;
    }
    kw_result_patch(res, state == FIELD_ABSENT ? KW_PATCH_ADD : KW_PATCH_REPLACE, path, NULL, v);
}

/* The identity parts this request pins (NULL = not pinned); owned. */
struct pins {
    char *username;
    char *hostname;
};

static const char *const identity_keys[2] = {"username", "hostname"};

static bool old_has_synced(const json_t *old_object)
{
    json_t *t = kw_path_get(old_object, "status.lastSyncTime");
    return t && !(json_is_string(t) && json_string_length(t) == 0);
}

/* The value to pin for identity_keys[part]: on UPDATE the old object's
 * non-empty value (a pinned identity survives updates that drop it), else the
 * value the configured scheme computes (*computed set). */
static char *pin_value(const struct kw_object_ctx *ctx, int part, bool *computed)
{
    const char *old =
        kw_obj_str_set(kw_path_get(ctx->old_object, "spec.kopia"), identity_keys[part]);
    *computed = !old;
    if (old)
        return strdup(old);
    if (part == 0)
        return kw_identity_username(ctx->name, ctx->namespace, ctx->cfg->identity_scheme);
    return kw_identity_hostname(ctx->namespace, ctx->name);
}

/* An empty-string identity part that is not pinned is removed: the operator
 * treats "" as absent, and an explicit identity, even an empty one, must not
 * stay in the object. */
static void remove_if_empty(const json_t *kopia, const char *key, struct kw_result *res)
{
    if (field_state(kopia, key) != FIELD_EMPTY)
        return;
    char path[32] = "/spec/kopia/";
    strcat(path, key);
    kw_result_patch(res, KW_PATCH_REMOVE, path, NULL, NULL);
}

/* The operator's value cannot be written back (docs/operator.md §a.2: its
 * 50-byte cut may end in '-' or '_', which the CRD's pattern refuses). */
static void warn_unpinnable(const char *key, const char *value, struct kw_result *res)
{
    size_t n = strlen(value);
    char why[48] = "is one";
    if (n && (value[n - 1] == '-' || value[n - 1] == '_'))
        snprintf(why, sizeof(why), "ends in \"%c\", which", value[n - 1]);
    kw_result_warn(
        res, KW_RULE_IDENTITY_UNPINNABLE,
        "spec.kopia.%s: not pinned: the operator's value \"%s\" %s the CRD's pattern "
        "refuses; the operator uses it as it is (see the annotation " KW_IDENTITY_ANNOTATION
        "); set username and hostname explicitly to pin an identity",
        key, value, why);
}

/* docs/identity.md: a synced object gets its identity pinned only now. */
static void warn_pinned_after_sync(const struct kw_object_ctx *ctx, const json_t *kopia,
                                   const struct pins *pins, const char *field,
                                   struct kw_result *res)
{
    const char *user = pins->username ? pins->username : kw_obj_str_set(kopia, "username");
    const char *host = pins->hostname ? pins->hostname : kw_obj_str_set(kopia, "hostname");
    bool rd = ctx->kind == KW_KIND_RD;
    kw_result_warn(res, KW_RULE_IDENTITY_PINNED_AFTER_SYNC,
                   "spec.kopia.%s: identity pinned to \"%s@%s\" after the object has synced "
                   "without one: earlier %s the default identity of the operator version that ran "
                   "them, so if that used another scheme %s; check with kopia snapshot list --all",
                   field, user ? user : "", host ? host : "",
                   rd ? "restores read" : "snapshots were written under",
                   rd ? "restores now read another snapshot history"
                      : "new backups start a new, empty snapshot history");
}

/* docs/identity.md: an RS pins each missing part; an RD without sourceIdentity pins
 * both when neither is given; an RD with sourceIdentity pins nothing. A
 * value that the CRD's pattern refuses is never written: then nothing is
 * pinned and the annotation alone records the operator's value. */
static void pin_identity(const struct kw_object_ctx *ctx, const json_t *kopia, struct pins *pins,
                         struct kw_result *res)
{
    bool known = ctx->name[0] && ctx->namespace[0];
    bool pin;
    if (ctx->kind == KW_KIND_RS)
        pin = true;
    else
        pin = !kw_obj_has(kopia, "sourceIdentity") && !field_is_set(kopia, "username") &&
              !field_is_set(kopia, "hostname");
    if (!pin || !known) {
        if (ctx->kind == KW_KIND_RD)
            for (int part = 0; part < 2; part++)
                remove_if_empty(kopia, identity_keys[part], res);
        return;
    }
    char *values[2] = {NULL, NULL};
    bool computed[2] = {false, false}, pinnable = true;
    for (int part = 0; part < 2; part++) {
        if (field_state(kopia, identity_keys[part]) == FIELD_SET)
            continue;
        values[part] = pin_value(ctx, part, &computed[part]);
        if (!values[part]) {
            res->out_of_memory = true;
            free(values[0]);
            return;
        }
        if (!kw_identity_pinnable(values[part])) {
            pinnable = false;
            warn_unpinnable(identity_keys[part], values[part], res);
        }
    }
    if (!pinnable) {
        for (int part = 0; part < 2; part++) {
            free(values[part]);
            remove_if_empty(kopia, identity_keys[part], res);
        }
        return;
    }
    for (int part = 0; part < 2; part++) {
        if (!values[part])
            continue;
        char path[32] = "/spec/kopia/";
        strcat(path, identity_keys[part]);
        patch_string(res, field_state(kopia, identity_keys[part]), path, values[part]);
    }
    pins->username = values[0];
    pins->hostname = values[1];
    if ((computed[0] || computed[1]) && ctx->op == KW_OP_UPDATE && ctx->old_object &&
        old_has_synced(ctx->old_object))
        warn_pinned_after_sync(ctx, kopia, pins, identity_keys[computed[0] ? 0 : 1], res);
}

/* RD with sourceIdentity: sourceNamespace defaults to the RD's namespace. */
static void default_source_namespace(const struct kw_object_ctx *ctx, const json_t *kopia,
                                     struct kw_result *res)
{
    json_t *si = kw_obj_get(kopia, "sourceIdentity");
    if (ctx->kind != KW_KIND_RD || !si || !ctx->namespace[0])
        return;
    enum field_state state = field_state(si, "sourceNamespace");
    if (state != FIELD_SET)
        patch_string(res, state, "/spec/kopia/sourceIdentity/sourceNamespace", ctx->namespace);
}

static void default_copy_method(const struct kw_object_ctx *ctx, const json_t *kopia,
                                struct kw_result *res)
{
    enum field_state state = field_state(kopia, "copyMethod");
    if (state == FIELD_SET)
        return;
    patch_string(res, state, "/spec/kopia/copyMethod", "Direct");
    /* The operator has no default: without one it fails every sync with
     * "unsupported copyMethod" (docs/operator.md c.13). */
    kw_result_warn(res, KW_RULE_COPYMETHOD_DEFAULTED,
                   "spec.kopia.copyMethod: defaulted to Direct (the operator fails every sync "
                   "without one), which %s the live volume; Snapshot gives a point-in-time copy",
                   ctx->kind == KW_KIND_RD ? "restores into" : "backs up");
}

/* policyConfig with a Secret or ConfigMap: the two file names. */
static void default_policy_filenames(const json_t *kopia, struct kw_result *res)
{
    json_t *pc = kw_obj_get(kopia, "policyConfig");
    if (!field_is_set(pc, "secretName") && !field_is_set(pc, "configMapName"))
        return;
    enum field_state state = field_state(pc, "globalPolicyFilename");
    if (state != FIELD_SET)
        patch_string(res, state, "/spec/kopia/policyConfig/globalPolicyFilename",
                     "global-policy.json");
    state = field_state(pc, "repositoryConfigFilename");
    if (state != FIELD_SET)
        patch_string(res, state, "/spec/kopia/policyConfig/repositoryConfigFilename",
                     "repository.config");
}

/* RD restoreAsOf with an offset or lower-case t/z: the same instant in UTC.
 * A value that does not parse is left for the validator to deny. */
static void normalize_restore_as_of(const struct kw_object_ctx *ctx, const json_t *kopia,
                                    struct kw_result *res)
{
    const char *value = kw_obj_str_set(kopia, "restoreAsOf");
    struct kw_datetime dt;
    char msg[KW_MSGLEN], utc[64];
    if (ctx->kind != KW_KIND_RD || !value || !kw_datetime_parse(value, &dt, msg, sizeof(msg)) ||
        !kw_datetime_needs_rewrite(&dt) || !kw_datetime_utc(&dt, utc, sizeof(utc)))
        return;
    patch_string(res, FIELD_SET, "/spec/kopia/restoreAsOf", utc);
    kw_result_warn(res, KW_RULE_RESTOREASOF_NORMALIZED,
                   "spec.kopia.restoreAsOf: rewritten from \"%s\" to \"%s\": the mover compares "
                   "timestamps as text in UTC",
                   value, utc);
}

/* The effective identity after this request's pins. Caller frees. */
static char *patched_identity(const struct kw_object_ctx *ctx, struct pins *pins,
                              struct kw_result *res)
{
    struct kw_identity id;
    enum kw_identity_status st =
        kw_identity_effective(ctx->kind, ctx->name, ctx->namespace, ctx->object, &id);
    if (st != KW_IDENTITY_OK) {
        res->out_of_memory = res->out_of_memory || st == KW_IDENTITY_NOMEM;
        return NULL;
    }
    if (pins->username) {
        free(id.username);
        id.username = pins->username;
        pins->username = NULL;
    }
    if (pins->hostname) {
        free(id.hostname);
        id.hostname = pins->hostname;
        pins->hostname = NULL;
    }
    char *s = kw_identity_string(&id);
    kw_identity_free(&id);
    if (!s)
        res->out_of_memory = true;
    return s;
}

/* The identity annotation: the whole annotations map when there is none, else
 * just the key; replaced when different, untouched when equal. */
static void annotate_identity(const struct kw_object_ctx *ctx, struct pins *pins,
                              struct kw_result *res)
{
    if (!ctx->name[0] || !ctx->namespace[0])
        return;
    char *identity = patched_identity(ctx, pins, res);
    if (!identity)
        return;
    json_t *annotations = kw_path_get(ctx->object, "metadata.annotations");
    json_t *current = kw_obj_get(annotations, KW_IDENTITY_ANNOTATION);
    if (!annotations) {
        json_t *map = json_pack("{ss}", KW_IDENTITY_ANNOTATION, identity);
        if (!map)
            res->out_of_memory = true;
        else
            kw_result_patch(res, KW_PATCH_ADD, "/metadata/annotations", NULL, map);
    } else if (!json_is_string(current) || strcmp(json_string_value(current), identity) != 0) {
        patch_string(
            res, json_object_get(annotations, KW_IDENTITY_ANNOTATION) ? FIELD_SET : FIELD_ABSENT,
            KW_IDENTITY_ANNOTATION_POINTER, identity);
    }
    free(identity);
}

void kw_mutate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    if (!understood(ctx))
        return;
    const json_t *kopia = kw_path_get(ctx->object, "spec.kopia");
    struct pins pins = {0};
    pin_identity(ctx, kopia, &pins, res);
    default_source_namespace(ctx, kopia, res);
    default_copy_method(ctx, kopia, res);
    default_policy_filenames(kopia, res);
    normalize_restore_as_of(ctx, kopia, res);
    annotate_identity(ctx, &pins, res);
    free(pins.username);
    free(pins.hostname);
}
