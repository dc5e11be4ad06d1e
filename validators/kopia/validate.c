/* kw_validate_kopia (include/kw/kopia/validate.h): the deny and warning rules of a
 * ReplicationSource/ReplicationDestination with spec.kopia. One schema pass
 * over spec (validators/kopia/schemas/kopia.yaml: types, formats, ranges, unknown
 * fields), then additionalArgs (args.c), the cross-field rules
 * and the warnings (the UPDATE-only ones live with defaulting; docs/rules.md).
 *
 * The cross-field rules read a handful of members by key; a member with the
 * wrong JSON type counts as "set" here so that it is reported once, by the
 * schema pass, and not again as missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/kopia/args.h"
#include "kw/formats/formats.h"
#include "kw/json/util.h"
#include "kw/decision/rules.h"
#include "kw/schema/schema.h"
#include "kw/kopia/validate.h"

#define DEBUG_MOVER_ANNOTATION "volsync.backube/enable-debug-mover"

/* Present and not null. */
static bool has(const json_t *obj, const char *key)
{
    return kw_obj_has(obj, key);
}

/* Present, not null and not "" (for the fields where the operator treats an empty
 * string counts as absent). */
static bool given(const json_t *obj, const char *key)
{
    const json_t *v = kw_obj_get(obj, key);
    return v && !(json_is_string(v) && json_string_length(v) == 0);
}

static bool str_is(const json_t *obj, const char *key, const char *want)
{
    const char *s = kw_obj_str(obj, key);
    return s && strcmp(s, want) == 0;
}

/* A JSON number equal to zero (integers, and reals the schema accepts). */
static bool is_zero(const json_t *v)
{
    return json_is_number(v) && json_number_value(v) == 0.0;
}

/* ---- both kinds ----------------------------------------------------- */

/* secretName/configMapName exclusivity, shared by customCA and policyConfig. */
static bool check_exclusive_sources(const json_t *block, const char *path, enum kw_rule_id rule,
                                    struct kw_result *res)
{
    if (!given(block, "secretName") || !given(block, "configMapName"))
        return false;
    kw_result_cause(res, KW_CAUSE_FORBIDDEN, rule, path, NULL,
                    "secretName and configMapName are mutually exclusive; set only one");
    return true;
}

static void check_custom_ca(const json_t *kopia, struct kw_result *res)
{
    const json_t *ca = kw_obj_get(kopia, "customCA");
    if (!json_is_object(ca))
        return;
    check_exclusive_sources(ca, "spec.kopia.customCA", KW_RULE_CUSTOMCA_EXCLUSIVE, res);
    bool source = given(ca, "secretName") || given(ca, "configMapName");
    if (source && !given(ca, "key"))
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_CUSTOMCA_KEY_REQUIRED,
                        "spec.kopia.customCA.key", NULL,
                        "the key that holds the CA bundle in the %s",
                        given(ca, "secretName") ? "Secret" : "ConfigMap");
}

static void check_policy_config(const json_t *kopia, struct kw_result *res)
{
    const json_t *pc = kw_obj_get(kopia, "policyConfig");
    if (!json_is_object(pc))
        return;
    check_exclusive_sources(pc, "spec.kopia.policyConfig", KW_RULE_POLICYCONFIG_EXCLUSIVE, res);
    if (given(pc, "secretName") || given(pc, "configMapName"))
        return;
    const char *names[] = {"globalPolicyFilename", "repositoryConfigFilename"};
    for (size_t i = 0; i < 2; i++)
        if (given(pc, names[i]))
            kw_result_warn(res, KW_RULE_POLICYCONFIG_FILENAME_WITHOUT_SOURCE,
                           "spec.kopia.policyConfig.%s: has no effect without secretName or "
                           "configMapName",
                           names[i]);
}

/* A quantity member as the schema accepted it; false when it is not one. */
static bool quantity_of(const json_t *v, struct kw_quantity *q)
{
    char msg[KW_MSGLEN];
    if (json_is_integer(v)) {
        kw_quantity_from_int(json_integer_value(v), q);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != (double)(long long)d)
            return false;
        kw_quantity_from_int((long long)d, q);
        return true;
    }
    return json_is_string(v) && kw_quantity_parse(json_string_value(v), q, msg, sizeof(msg));
}

static void render_quantity(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, len, "%.15g", json_number_value(v));
}

/* Requests may not exceed limits (exact quantity comparison). Linear: one
 * lookup of the request per limit. */
static void check_mover_resources(const json_t *kopia, struct kw_result *res)
{
    const json_t *mr = kw_obj_get(kopia, "moverResources");
    const json_t *limits = kw_obj_get(mr, "limits");
    const json_t *requests = kw_obj_get(mr, "requests");
    if (!json_is_object(limits) || !json_is_object(requests))
        return;
    const char *name;
    const json_t *lim;
    json_object_foreach((json_t *)limits, name, lim)
    {
        const json_t *req = kw_obj_get(requests, name);
        struct kw_quantity ql, qr;
        if (!req || !quantity_of(lim, &ql) || !quantity_of(req, &qr) ||
            kw_quantity_cmp(&qr, &ql) <= 0)
            continue;
        char path[64 + 256], shown_req[128], shown_lim[128];
        snprintf(path, sizeof(path), "spec.kopia.moverResources.requests[%.256s]", name);
        render_quantity(req, shown_req, sizeof(shown_req));
        render_quantity(lim, shown_lim, sizeof(shown_lim));
        kw_result_cause_str(res, KW_CAUSE_INVALID, KW_RULE_MOVER_RESOURCES_REQUEST_EXCEEDS_LIMIT,
                            path, shown_req, "must be less than or equal to %.256s limit of %s",
                            name, shown_lim);
    }
}

static void warn_cache(const json_t *kopia, struct kw_result *res)
{
    bool capacity = has(kopia, "cacheCapacity");
    bool sc = has(kopia, "cacheStorageClassName"), modes = has(kopia, "cacheAccessModes");
    if (capacity && !sc && !modes)
        kw_result_warn(res, KW_RULE_CACHE_CAPACITY_EMPTYDIR,
                       "spec.kopia.cacheCapacity: alone it sizes an emptyDir cache; set "
                       "cacheStorageClassName or cacheAccessModes for a PVC");
    if (!capacity && (sc || modes))
        kw_result_warn(res, KW_RULE_CACHE_WITHOUT_CAPACITY,
                       "spec.kopia.%s: without cacheCapacity the cache PVC gets the default 1Gi; "
                       "set cacheCapacity",
                       sc ? "cacheStorageClassName" : "cacheAccessModes");
}

static void warn_common(const struct kw_object_ctx *ctx, const json_t *kopia, struct kw_result *res)
{
    warn_cache(kopia, res);
    if (str_is(kopia, "copyMethod", "None"))
        kw_result_warn(res, KW_RULE_COPYMETHOD_NONE_DEPRECATED,
                       "spec.kopia.copyMethod: None is deprecated; use Direct");
    const json_t *annotations = kw_path_get(ctx->object, "metadata.annotations");
    if (kw_obj_has(annotations, DEBUG_MOVER_ANNOTATION))
        kw_result_warn(res, KW_RULE_DEBUG_MOVER_ANNOTATION,
                       "metadata.annotations[" DEBUG_MOVER_ANNOTATION "]: the mover sleeps "
                       "instead of running; remove it when done debugging");
}

/* ---- ReplicationSource ---------------------------------------------- */

/* The names Kopia registers. */
static const char *const kopia_compressors[] = {
    "s2-default",
    "s2-better",
    "s2-parallel-4",
    "s2-parallel-8",
    "zstd",
    "zstd-fastest",
    "zstd-better-compression",
    "zstd-best-compression",
    "gzip",
    "gzip-best-speed",
    "gzip-best-compression",
    "pgzip",
    "pgzip-best-speed",
    "pgzip-best-compression",
    "deflate-best-speed",
    "deflate-default",
    "deflate-best-compression",
    "lz4",
    "none",
    NULL,
};

/* The value quoted as Kubernetes would (64 bytes of it at most, `..."`
 * after a cut). */
static void warn_unknown_compression(const char *c, struct kw_result *res)
{
    char *shown = kw_quote_cut(c, 69);
    if (!shown) {
        res->out_of_memory = true;
        return;
    }
    kw_result_warn(res, KW_RULE_COMPRESSION_UNKNOWN,
                   "spec.kopia.compression: %s is not a known Kopia algorithm (e.g. zstd, "
                   "s2-default, none): the mover's kopia policy set fails and no backup runs",
                   shown);
    free(shown);
}

static void warn_compression(const json_t *kopia, struct kw_result *res)
{
    const char *c = kw_obj_str(kopia, "compression");
    if (!c)
        return;
    bool known = false;
    for (const char *const *k = kopia_compressors; *k && !known; k++)
        known = strcmp(*k, c) == 0;
    if (!known)
        warn_unknown_compression(c, res);
    else if (strcmp(c, "lz4") == 0)
        kw_result_warn(res, KW_RULE_COMPRESSION_DEPRECATED,
                       "spec.kopia.compression: \"lz4\" is refused by Kopia 0.23 and later; use "
                       "zstd or s2-default");
    else if (strcmp(c, "zstd-best-compression") == 0)
        kw_result_warn(res, KW_RULE_COMPRESSION_DEPRECATED,
                       "spec.kopia.compression: \"zstd-best-compression\" is deprecated by Kopia; "
                       "use zstd-better-compression");
}

static bool retain_set(const json_t *kopia)
{
    const json_t *retain = kw_obj_get(kopia, "retain");
    const char *key;
    const json_t *v;
    if (!json_is_object(retain))
        return false;
    json_object_foreach((json_t *)retain, key, v) if (!json_is_null(v)) return true;
    return false;
}

/* Kopia deletes expired snapshots at each backup; their data leaves the
 * repository only when maintenance runs, which no ReplicationSource starts
 * (docs/operator.md c.5, c.10): the advice depends on the operator version. */
static void warn_retain(const struct kw_config *cfg, struct kw_result *res)
{
    const char *v = kw_operator_version_name(cfg->operator_version);
    if (cfg->operator_version < KW_OPERATOR_0_16)
        kw_result_warn(res, KW_RULE_RETAIN_WITHOUT_MAINTENANCE,
                       "spec.kopia.retain: expired snapshots are deleted at each backup, but their "
                       "data is freed only by Kopia maintenance, which operator %s never runs "
                       "(maintenanceIntervalDays does not start it): run kopia maintenance "
                       "yourself, or use a KopiaMaintenance on operator 0.16 or later",
                       v);
    else
        kw_result_warn(res, KW_RULE_RETAIN_WITHOUT_MAINTENANCE,
                       "spec.kopia.retain: expired snapshots are deleted at each backup, but their "
                       "data is freed only by Kopia maintenance, which operator %s runs only from "
                       "a KopiaMaintenance: create one for this repository if none exists",
                       v);
}

/* docs/operator.md c.5: the mover runs `kopia policy set /data --keep-...`,
 * while snapshot create records the snapshot under --override-source and
 * applies the retention of that path (the global policy), at every tag. */
static void warn_retain_with_override(const json_t *kopia, struct kw_result *res)
{
    if (!retain_set(kopia) || !kw_obj_str_set(kopia, "sourcePathOverride"))
        return;
    kw_result_warn(res, KW_RULE_RETAIN_WITH_SOURCE_PATH_OVERRIDE,
                   "spec.kopia.retain: never applies with sourcePathOverride: the mover sets "
                   "retention on /data, but snapshots are recorded under the override path, "
                   "which keeps the global policy's retention; put the counts in a global "
                   "policy file instead");
}

static void validate_source(const struct kw_config *cfg, const json_t *spec, const json_t *kopia,
                            struct kw_result *res)
{
    if (!given(kopia, "repository"))
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_REPOSITORY_REQUIRED,
                        "spec.kopia.repository", NULL, "%s",
                        given(kopia, "repositoryPVC")
                            ? "the Secret with the repository password is needed with "
                              "repositoryPVC too"
                            : "the Secret with the repository location and password");

    warn_compression(kopia, res);
    const char *rpvc = kw_obj_str(kopia, "repositoryPVC");
    const char *spvc = kw_obj_str(spec, "sourcePVC");
    if (rpvc && spvc && rpvc[0] && strcmp(rpvc, spvc) == 0)
        kw_result_warn(res, KW_RULE_REPOSITORYPVC_EQUALS_SOURCEPVC,
                       "spec.kopia.repositoryPVC: is the volume being backed up (spec.sourcePVC); "
                       "use a separate PVC");
    if (retain_set(kopia))
        warn_retain(cfg, res);
    warn_retain_with_override(kopia, res);
    const json_t *actions = kw_obj_get(kopia, "actions");
    if (kw_obj_str_set(actions, "beforeSnapshot") || kw_obj_str_set(actions, "afterSnapshot"))
        kw_result_warn(res, KW_RULE_ACTIONS_PRESENT,
                       "spec.kopia.actions: run shell commands in the mover with the repository "
                       "credentials; review them");
}

/* ---- ReplicationDestination ----------------------------------------- */

static void check_destination_identity(const json_t *kopia, struct kw_result *res)
{
    bool user = given(kopia, "username"), host = given(kopia, "hostname");
    if (user == host)
        return;
    kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_IDENTITY_ALL_OR_NOTHING,
                    user ? "spec.kopia.hostname" : "spec.kopia.username", NULL,
                    "a ReplicationDestination needs both username and hostname, or neither to "
                    "use the automatic identity");
}

/* The operator discovers repository from the ReplicationSource
 * named in sourceIdentity, unless sourcePVCName or an explicit identity is
 * given. */
static bool repository_discoverable(const json_t *kopia)
{
    const json_t *si = kw_obj_get(kopia, "sourceIdentity");
    return kw_obj_str_set(si, "sourceName") && !given(si, "sourcePVCName") &&
           !given(kopia, "username") && !given(kopia, "hostname");
}

static void check_destination_repository(const struct kw_object_ctx *ctx, const json_t *kopia,
                                         struct kw_result *res)
{
    if (given(kopia, "repository"))
        return;
    if (!repository_discoverable(kopia)) {
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_REPOSITORY_REQUIRED,
                        "spec.kopia.repository", NULL,
                        "set repository, or give sourceIdentity.sourceName without "
                        "sourcePVCName, username or hostname so the operator can discover it");
        return;
    }
    const json_t *si = kw_obj_get(kopia, "sourceIdentity");
    const char *ns = kw_obj_str_set(si, "sourceNamespace");
    if (ns && ctx->namespace && ctx->namespace[0] && strcmp(ns, ctx->namespace) != 0)
        kw_result_warn(res, KW_RULE_DISCOVERY_CROSS_NAMESPACE,
                       "spec.kopia.repository: discovered from namespace %s; a Secret of that "
                       "name must exist in %s too",
                       ns, ctx->namespace);
}

static void check_destination_volume(const json_t *kopia, struct kw_result *res)
{
    bool capacity = has(kopia, "capacity"), modes = has(kopia, "accessModes");
    if (given(kopia, "destinationPVC")) {
        if (capacity)
            kw_result_warn(res, KW_RULE_DESTINATIONPVC_IGNORES_CAPACITY,
                           "spec.kopia.capacity: ignored because destinationPVC is set (the "
                           "existing PVC is used as is)");
        if (modes)
            kw_result_warn(res, KW_RULE_DESTINATIONPVC_IGNORES_CAPACITY,
                           "spec.kopia.accessModes: ignored because destinationPVC is set (the "
                           "existing PVC is used as is)");
        if (json_is_true(kw_obj_get(kopia, "cleanupTempPVC")))
            kw_result_warn(res, KW_RULE_CLEANUP_TEMP_PVC_NO_EFFECT,
                           "spec.kopia.cleanupTempPVC: has no effect with destinationPVC (no "
                           "temporary PVC is made)");
        return;
    }
    if (capacity && modes)
        return;
    const char *field = capacity ? "spec.kopia.accessModes"
                        : modes  ? "spec.kopia.capacity"
                                 : "spec.kopia.destinationPVC";
    kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_DESTINATION_VOLUME_REQUIRED, field, NULL,
                    "set destinationPVC, or both capacity and accessModes for a new volume");
}

static void warn_destination(const json_t *kopia, struct kw_result *res)
{
    const json_t *si = kw_obj_get(kopia, "sourceIdentity");
    if (si && (given(kopia, "username") || given(kopia, "hostname")))
        kw_result_warn(res, KW_RULE_IDENTITY_WITH_SOURCEIDENTITY,
                       "spec.kopia.sourceIdentity: ignored because username/hostname are set; "
                       "keep only one of the two");
    if (given(si, "sourcePVCName"))
        kw_result_warn(res, KW_RULE_SOURCEPVCNAME_SET,
                       "spec.kopia.sourceIdentity.sourcePVCName: does not change the identity "
                       "and turns off discovery; remove it");
    const json_t *shallow = kw_obj_get(kopia, "shallow");
    if (is_zero(shallow))
        kw_result_warn(res, KW_RULE_SHALLOW_ZERO,
                       "spec.kopia.shallow: 0 restores nothing; remove it or set 1 or more");
    if (shallow && has(kopia, "restoreAsOf"))
        kw_result_warn(res, KW_RULE_SHALLOW_WITH_RESTOREASOF,
                       "spec.kopia.shallow: ignored because restoreAsOf is set");
    if (json_is_true(kw_obj_get(kopia, "enableFileDeletion")))
        kw_result_warn(res, KW_RULE_ENABLE_FILE_DELETION,
                       "spec.kopia.enableFileDeletion: deletes files on the destination before a "
                       "snapshot is even chosen");
}

static void validate_destination(const struct kw_object_ctx *ctx, const json_t *kopia,
                                 struct kw_result *res)
{
    if (str_is(kopia, "copyMethod", "Clone"))
        kw_result_cause_str(res, KW_CAUSE_UNSUPPORTED, KW_RULE_COPYMETHOD_CLONE_DESTINATION,
                            "spec.kopia.copyMethod", "Clone",
                            "supported values: \"Direct\", \"None\", \"Snapshot\"");
    check_destination_identity(kopia, res);
    check_destination_repository(ctx, kopia, res);
    check_destination_volume(kopia, res);
    warn_destination(kopia, res);
}

/* ---- entry ---------------------------------------------------------- */

/* docs/operator.md c.8: moverSecurityContext becomes the pod's security
 * context, the mover image has no USER (it runs as UID 0) and the operator
 * sets no container runAsUser in an unprivileged namespace, so the kubelet
 * refuses runAsNonRoot: true without a non-zero runAsUser; the Job never
 * starts. */
static void check_run_as_non_root(const json_t *kopia, struct kw_result *res)
{
    const json_t *sc = kw_obj_get(kopia, "moverSecurityContext");
    if (!json_is_true(kw_obj_get(sc, "runAsNonRoot")))
        return;
    const json_t *user = kw_obj_get(sc, "runAsUser");
    if ((json_is_number(user) && json_number_value(user) != 0) ||
        (user && !json_is_number(user) && !json_is_null(user)))
        return; /* a UID, or a type error the schema reports */
    if (json_is_number(user))
        kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER,
                        "spec.kopia.moverSecurityContext.runAsUser", "0",
                        "runAsNonRoot: true forbids UID 0, so the kubelet never starts the mover; "
                        "set a non-zero UID");
    else if (!user || json_is_null(user))
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER,
                        "spec.kopia.moverSecurityContext.runAsUser", NULL,
                        "with runAsNonRoot: true: the mover image runs as root and the operator "
                        "sets no user, so the kubelet never starts the mover (\"container has "
                        "runAsNonRoot and image will run as root\"); set a non-zero UID");
}

void kw_validate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    bool source = ctx->kind == KW_KIND_RS;
    const struct kw_schema *schema =
        kw_schema_find(ctx->cfg->schemas, source ? KW_SCHEMA_RS_SPEC : KW_SCHEMA_RD_SPEC);
    if (!schema) {
        /* A server without its schemas must not allow anything. */
        kw_result_bad_request(res, "the webhook has no compiled schema for %s",
                              source ? "ReplicationSource" : "ReplicationDestination");
        return;
    }
    const json_t *spec = kw_obj_get(ctx->object, "spec");
    const json_t *kopia = kw_obj_get(spec, "kopia");
    struct kw_schema_context sctx = kw_kopia_schema_context(ctx->cfg);
    kw_schema_validate_in(schema, spec, "spec", &sctx, res);
    kw_validate_mover_volumes(ctx, kw_obj_get(kopia, "moverVolumes"), "spec.kopia", res);
    kw_validate_additional_args(ctx, kw_obj_get(kopia, "additionalArgs"), res);
    check_custom_ca(kopia, res);
    check_policy_config(kopia, res);
    kw_validate_repository_config(ctx, kw_path_get(kopia, "policyConfig.repositoryConfig"),
                                  "spec.kopia.policyConfig.repositoryConfig", res);
    check_mover_resources(kopia, res);
    check_run_as_non_root(kopia, res);
    if (source)
        validate_source(ctx->cfg, spec, kopia, res);
    else
        validate_destination(ctx, kopia, res);
    warn_common(ctx, kopia, res);
}
