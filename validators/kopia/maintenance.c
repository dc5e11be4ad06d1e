/* kw_validate_maintenance and kw_mutate_maintenance
 * (include/kw/kopia/validate.h): a KopiaMaintenance (operator 0.16 and
 * later), docs/operator.md b.4 and c.16. One schema pass over spec
 * (kopiamaintenance.spec in validators/kopia/schemas/kopia.yaml), then what
 * the operator's Validate() refuses on every reconcile: schedules its
 * descriptor-less 5-field cron parser cannot read, schedule and manual
 * triggers together, and resources outside its limits; then moverVolumes
 * (movervolumes.c). Defaulting applies the CRD's defaults, which the API
 * server has already applied in a cluster, so that `check` sees the same. */
#include <stdio.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/formats/formats.h"
#include "kw/json/util.h"
#include "kw/kopia/validate.h"

/* ---- schedules ------------------------------------------------------ */

/* `path`'s schedule s: 5 cron fields, no "@daily" (no cron.Descriptor). */
static void check_schedule(const char *s, const char *path, struct kw_result *res)
{
    char msg[KW_MSGLEN];
    if (s[0] == '@')
        kw_result_cause_str(res, KW_CAUSE_INVALID, KW_RULE_MAINTENANCE_SCHEDULE_INVALID, path, s,
                            "the operator parses KopiaMaintenance schedules without descriptors "
                            "such as @daily: write 5 cron fields (e.g. \"0 2 * * *\")");
    else if (!kw_cron_valid(s, msg, sizeof(msg)))
        kw_result_cause_str(res, KW_CAUSE_INVALID, KW_RULE_MAINTENANCE_SCHEDULE_INVALID, path, s,
                            "%s", msg);
}

static void check_schedules(const json_t *spec, struct kw_result *res)
{
    const json_t *trigger = kw_obj_get(spec, "trigger");
    const char *ts = kw_obj_str_set(trigger, "schedule");
    if (ts && kw_obj_str_set(trigger, "manual"))
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_MAINTENANCE_SCHEDULE_INVALID,
                        "spec.trigger", NULL, "cannot specify both schedule and manual triggers");
    if (ts)
        check_schedule(ts, "spec.trigger.schedule", res);
    const char *s = kw_obj_str_set(spec, "schedule");
    if (s)
        check_schedule(s, "spec.schedule", res);
}

/* ---- resources (km_types.go:410-471@v0.17.11) ----------------------- */

static bool quantity_of(const json_t *v, struct kw_quantity *q)
{
    char msg[KW_MSGLEN];
    if (json_is_integer(v)) {
        kw_quantity_from_int(json_integer_value(v), q);
        return true;
    }
    return json_is_string(v) && kw_quantity_parse(json_string_value(v), q, msg, sizeof(msg));
}

static bool supported_resource(const char *name)
{
    return strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0 ||
           strcmp(name, "ephemeral-storage") == 0 || strncmp(name, "hugepages-", 10) == 0;
}

static void resource_cause(const char *block, const char *name, const char *detail,
                           struct kw_result *res)
{
    char path[300];
    snprintf(path, sizeof(path), "spec.resources.%s[%.200s]", block, name);
    kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_MAINTENANCE_RESOURCES_INVALID, path, NULL, "%s",
                    detail);
}

/* The checks of one of cpu/memory in one block; `max` NULL for requests. */
static void check_amount(const json_t *block_v, const char *block, const char *name,
                         const char *label, const char *max, const char *max_text,
                         const json_t *limits, struct kw_result *res)
{
    const json_t *v = kw_obj_get(block_v, name);
    struct kw_quantity q, zero, bound;
    if (!v || !quantity_of(v, &q))
        return;
    char detail[128];
    kw_quantity_from_int(0, &zero);
    if (kw_quantity_cmp(&q, &zero) <= 0) {
        snprintf(detail, sizeof(detail), "%s %s must be positive", label,
                 max ? "limit" : "request");
        resource_cause(block, name, detail, res);
    } else if (max && kw_quantity_parse(max, &bound, detail, sizeof(detail)) &&
               kw_quantity_cmp(&q, &bound) > 0) {
        snprintf(detail, sizeof(detail), "%s limit exceeds maximum allowed (%s)", label, max_text);
        resource_cause(block, name, detail, res);
    } else if (!max && quantity_of(kw_obj_get(limits, name), &bound) &&
               kw_quantity_cmp(&q, &bound) > 0) {
        snprintf(detail, sizeof(detail), "%s request exceeds %s limit", label, label);
        resource_cause(block, name, detail, res);
    }
}

static void check_resources(const json_t *spec, struct kw_result *res)
{
    const json_t *r = kw_obj_get(spec, "resources");
    const json_t *limits = kw_obj_get(r, "limits"), *requests = kw_obj_get(r, "requests");
    const char *blocks[] = {"limits", "requests"};
    const json_t *values[] = {limits, requests};
    for (size_t b = 0; b < 2; b++) {
        if (!json_is_object(values[b]))
            continue;
        const char *name;
        const json_t *v;
        json_object_foreach((json_t *)values[b], name, v) if (!supported_resource(name))
        {
            char detail[400];
            snprintf(detail, sizeof(detail),
                     "unsupported resource %s: %.200s (the operator "
                     "accepts cpu, memory, ephemeral-storage and hugepages-*)",
                     b ? "request" : "limit", name);
            resource_cause(blocks[b], name, detail, res);
        }
    }
    if (json_is_object(limits)) {
        check_amount(limits, "limits", "memory", "memory", "100Gi", "100Gi", NULL, res);
        check_amount(limits, "limits", "cpu", "CPU", "32", "32 cores", NULL, res);
    }
    if (json_is_object(requests)) {
        check_amount(requests, "requests", "memory", "memory", NULL, NULL, limits, res);
        check_amount(requests, "requests", "cpu", "CPU", NULL, NULL, limits, res);
    }
}

/* ---- entry ---------------------------------------------------------- */

/* On 0.15 there is no KopiaMaintenance kind (docs/operator.md b.1). */
static bool warn_kind(const struct kw_config *cfg, struct kw_result *res)
{
    if (cfg->operator_version >= KW_OPERATOR_0_16)
        return false;
    const char *v = kw_operator_version_name(cfg->operator_version);
    if (cfg->offline)
        kw_result_warn(res, KW_RULE_OPERATOR_VERSION_KIND,
                       "KopiaMaintenance: operator %s has no such kind (added in 0.16): the API "
                       "server refuses the object, and nothing runs Kopia maintenance on %s",
                       v, v);
    else
        kw_result_warn(res, KW_RULE_OPERATOR_VERSION_KIND,
                       "KopiaMaintenance: operator %s has no such kind (added in 0.16), yet one "
                       "reached the webhook, so the cluster runs another operator version: set "
                       "operatorVersion to the version installed",
                       v);
    return true;
}

/* One security context's runAsUser and runAsNonRoot; `given` when the
 * block is an object. A runAsUser of another type is left to the schema. */
struct run_as {
    bool given;
    const json_t *user;     /* NULL: not set */
    const json_t *non_root; /* NULL: not set */
};

static struct run_as run_as_of(const json_t *sc)
{
    struct run_as r = {.given = json_is_object(sc)};
    r.user = kw_obj_get(sc, "runAsUser");
    r.non_root = kw_obj_get(sc, "runAsNonRoot");
    return r;
}

/* docs/operator.md c.8: the operator's pod default {runAsNonRoot: true,
 * runAsUser: 1000} is replaced whole by a podSecurityContext, while the
 * container default {runAsNonRoot: true} stays unless a
 * containerSecurityContext replaces it. The container's settings win over
 * the pod's. The mover image runs as root, so runAsNonRoot with no user (or
 * UID 0) is a pod the kubelet never starts. */
static void check_security_contexts(const json_t *spec, struct kw_result *res)
{
    struct run_as pod = run_as_of(kw_obj_get(spec, "podSecurityContext"));
    struct run_as cont = run_as_of(kw_obj_get(spec, "containerSecurityContext"));
    if ((pod.user && !json_is_integer(pod.user)) || (cont.user && !json_is_integer(cont.user)))
        return; /* a type error the schema reports */
    /* The effective user: the container's, else the pod's (default 1000). */
    const json_t *user = cont.user ? cont.user : pod.user;
    bool default_user = !user && !pod.given;
    const char *user_path =
        cont.user ? "spec.containerSecurityContext.runAsUser" : "spec.podSecurityContext.runAsUser";
    /* The effective runAsNonRoot: the container's (default true), else the
     * pod's (default true). */
    bool non_root = cont.given && cont.non_root ? json_is_true(cont.non_root)
                    : !cont.given               ? true
                    : pod.given                 ? json_is_true(pod.non_root)
                                                : true;
    if (!non_root || default_user || (user && json_integer_value(user) != 0))
        return;
    if (user)
        kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER,
                        user_path, "0",
                        "runAsNonRoot: true forbids UID 0, so the kubelet never starts the "
                        "maintenance pod; set a non-zero UID");
    else
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER,
                        "spec.podSecurityContext.runAsUser", NULL,
                        "a podSecurityContext replaces the operator's default (runAsUser: 1000) "
                        "while the container keeps runAsNonRoot: true, and the mover image runs "
                        "as root, so the kubelet never starts the maintenance pod; set a non-zero "
                        "UID here or in containerSecurityContext.runAsUser");
}

void kw_validate_maintenance(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    const struct kw_schema *schema = kw_schema_find(ctx->cfg->schemas, KW_SCHEMA_KM_SPEC);
    if (!schema) {
        kw_result_bad_request(res, "the webhook has no compiled schema for KopiaMaintenance");
        return;
    }
    const json_t *spec_raw = json_object_get(ctx->object, "spec");
    if (spec_raw && !json_is_null(spec_raw) && !json_is_object(spec_raw)) {
        kw_result_bad_request(res, "spec must be an object");
        return;
    }
    struct kw_schema_context sctx = kw_kopia_schema_context(ctx->cfg);
    if (warn_kind(ctx->cfg, res))
        sctx.version = kw_operator_version_name(KW_OPERATOR_0_16); /* its first version's rules */
    const json_t *spec = kw_obj_get(ctx->object, "spec");
    if (!spec)
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_MAINTENANCE_FIELD_INVALID,
                        "spec.repository", NULL,
                        "the repository Secret, as {repository: <Secret "
                        "name>}");
    kw_schema_validate_in(schema, spec, "spec", &sctx, res);
    check_schedules(spec, res);
    check_resources(spec, res);
    check_security_contexts(spec, res);
    kw_validate_mover_volumes(ctx, kw_obj_get(spec, "moverVolumes"), "spec", res);
}

/* The CRD's defaults (docs/operator.md b.4). */
static const struct {
    const char *field;
    const char *text; /* a string default, or NULL */
    long long number; /* else this integer (or boolean for `enabled`) */
} crd_defaults[] = {
    {"schedule", "0 2 * * *", 0},
    {"enabled", NULL, 1},
    {"successfulJobsHistoryLimit", NULL, 3},
    {"failedJobsHistoryLimit", NULL, 1},
    {"activeDeadlineSeconds", NULL, 10800},
};

void kw_mutate_maintenance(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    const json_t *spec = json_object_get(ctx->object, "spec");
    if (!json_is_object(spec))
        return; /* validation reports it */
    for (size_t i = 0; i < sizeof(crd_defaults) / sizeof(crd_defaults[0]); i++) {
        if (kw_obj_get(spec, crd_defaults[i].field))
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/spec/%s", crd_defaults[i].field);
        json_t *v = crd_defaults[i].text ? json_string(crd_defaults[i].text)
                    : strcmp(crd_defaults[i].field, "enabled") == 0
                        ? json_true()
                        : json_integer(crd_defaults[i].number);
        if (!v) {
            res->out_of_memory = true;
            return;
        }
        kw_result_patch(res, KW_PATCH_ADD, path, NULL, v);
    }
}
