/* The operator-version rules (docs/operator.md b): fields per version in the
 * cluster and offline, int32/int64 widths, KopiaMaintenance, moverVolumes and
 * the retain advice per version. Every rule both ways: an object that
 * triggers it and the boundary next to it that must not. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/decision/rules.h"
#include "kw/kopia/validate.h"
#include "admission.h"

static struct kw_config cfg;

static void setup(void)
{
    kwt_config(&cfg);
}

TestSuite(versions, .init = setup);

/* Validates `json` (an object of `kind`) at operator `version`, offline or
 * not; caller frees res. Defaulting runs first for a KopiaMaintenance, as in
 * the cluster (the API server applies the CRD's defaults). */
static void run(enum kw_kind kind, const char *json, enum kw_operator_version version, bool offline,
                struct kw_result *res)
{
    json_error_t jerr;
    json_t *obj = json_loads(json, 0, &jerr);
    cr_assert(obj, "bad test JSON (%s): %s", jerr.text, json);
    struct kw_config c = cfg;
    c.operator_version = version;
    c.offline = offline;
    struct kw_review rv = {.kind = kind,
                           .op = KW_OP_CREATE,
                           .operation = "CREATE",
                           .name = "app",
                           .namespace = "prod",
                           .object = obj};
    kw_result_init(res);
    kw_evaluate(&c, KW_HOOK_VALIDATE, &rv, res);
    json_decref(obj);
}

static const struct kw_cause *cause_of(const struct kw_result *res, enum kw_rule_id rule,
                                       const char *field)
{
    for (size_t i = 0; i < res->ncauses; i++)
        if (res->causes[i].rule_id == rule && (!field || strcmp(res->causes[i].field, field) == 0))
            return &res->causes[i];
    return NULL;
}

static const char *warning_of(const struct kw_result *res, enum kw_rule_id rule)
{
    for (size_t i = 0; i < res->nwarnings; i++)
        if (res->warnings[i].rule_id == rule)
            return res->warnings[i].text;
    return NULL;
}

#define RS_OBJ(kopia)                                                                              \
    "{\"spec\":{\"sourcePVC\":\"data\",\"kopia\":{\"repository\":\"repo\",\"copyMethod\":"         \
    "\"Direct\"" kopia "}}}"
#define RD_OBJ(kopia)                                                                              \
    "{\"spec\":{\"kopia\":{\"repository\":\"repo\",\"destinationPVC\":\"restored\"" kopia "}}}"
#define KM_OBJ(spec) "{\"spec\":{\"repository\":{\"repository\":\"repo\"}" spec "}}"

#define V15 KW_OPERATOR_0_15
#define V16 KW_OPERATOR_0_16
#define V17 KW_OPERATOR_0_17

struct deny_case {
    enum kw_kind kind;
    const char *bad, *good;
    enum kw_rule_id rule;
    const char *field;
};

static void check_deny(const struct deny_case *c)
{
    struct kw_result res;
    run(c->kind, c->bad, V17, false, &res);
    cr_expect(cause_of(&res, c->rule, c->field), "%s not raised on %s by %s",
              kw_rule_id_string(c->rule), c->field, c->bad);
    kw_result_free(&res);
    run(c->kind, c->good, V17, false, &res);
    cr_expect(!cause_of(&res, c->rule, NULL), "%s raised by the boundary %s",
              kw_rule_id_string(c->rule), c->good);
    kw_result_free(&res);
}

static const struct deny_case deny_cases[] = {
    /* int32 fields of every kind, at the edge of the range. */
    {KW_KIND_RS, RS_OBJ(",\"parallelism\":2147483648"), RS_OBJ(",\"parallelism\":2147483647"),
     KW_RULE_INTEGER_OUT_OF_RANGE, "spec.kopia.parallelism"},
    {KW_KIND_RS, RS_OBJ(",\"retain\":{\"latest\":2147483648}"),
     RS_OBJ(",\"retain\":{\"latest\":2147483647}"), KW_RULE_INTEGER_OUT_OF_RANGE,
     "spec.kopia.retain.latest"},
    {KW_KIND_RS, RS_OBJ(",\"retain\":{\"daily\":3e9}"), RS_OBJ(",\"retain\":{\"daily\":2e9}"),
     KW_RULE_INTEGER_OUT_OF_RANGE, "spec.kopia.retain.daily"},
    {KW_KIND_RD, RD_OBJ(",\"previous\":4294967296"), RD_OBJ(",\"previous\":5"),
     KW_RULE_INTEGER_OUT_OF_RANGE, "spec.kopia.previous"},
    {KW_KIND_RD, RD_OBJ(",\"shallow\":2147483648"), RD_OBJ(",\"shallow\":1"),
     KW_RULE_INTEGER_OUT_OF_RANGE, "spec.kopia.shallow"},
    {KW_KIND_RD, RD_OBJ(",\"metadataCacheSizeLimitMB\":2147483648"),
     RD_OBJ(",\"metadataCacheSizeLimitMB\":0"), KW_RULE_INTEGER_OUT_OF_RANGE,
     "spec.kopia.metadataCacheSizeLimitMB"},
    {KW_KIND_RS,
     RS_OBJ(",\"moverAffinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecut"
            "ion\":[{\"weight\":2147483648}]}}"),
     RS_OBJ(",\"moverAffinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecut"
            "ion\":[{\"weight\":1}]}}"),
     KW_RULE_INTEGER_OUT_OF_RANGE,
     "spec.kopia.moverAffinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
     "weight"},
    {KW_KIND_KM, KM_OBJ(",\"successfulJobsHistoryLimit\":2147483648"),
     KM_OBJ(",\"successfulJobsHistoryLimit\":2147483647"), KW_RULE_INTEGER_OUT_OF_RANGE,
     "spec.successfulJobsHistoryLimit"},
    /* Cache limits: negative denied, 0 ("unlimited") allowed. */
    {KW_KIND_RS, RS_OBJ(",\"contentCacheSizeLimitMB\":-1"),
     RS_OBJ(",\"contentCacheSizeLimitMB\":0"), KW_RULE_CACHE_CAPACITY_INVALID,
     "spec.kopia.contentCacheSizeLimitMB"},
    /* KopiaMaintenance. */
    {KW_KIND_KM, "{\"spec\":{\"schedule\":\"0 2 * * *\"}}", KM_OBJ(""),
     KW_RULE_MAINTENANCE_FIELD_INVALID, "spec.repository"},
    {KW_KIND_KM, KM_OBJ(",\"activeDeadlineSeconds\":599"), KM_OBJ(",\"activeDeadlineSeconds\":600"),
     KW_RULE_MAINTENANCE_FIELD_INVALID, "spec.activeDeadlineSeconds"},
    {KW_KIND_KM, KM_OBJ(",\"failedJobsHistoryLimit\":-1"), KM_OBJ(",\"failedJobsHistoryLimit\":0"),
     KW_RULE_MAINTENANCE_FIELD_INVALID, "spec.failedJobsHistoryLimit"},
    {KW_KIND_KM, KM_OBJ(",\"schedule\":\"@daily\""), KM_OBJ(",\"schedule\":\"0 0 * * *\""),
     KW_RULE_MAINTENANCE_SCHEDULE_INVALID, "spec.schedule"},
    {KW_KIND_KM, KM_OBJ(",\"trigger\":{\"schedule\":\"@hourly\"}"),
     KM_OBJ(",\"trigger\":{\"schedule\":\"0 * * * *\"}"), KW_RULE_MAINTENANCE_SCHEDULE_INVALID,
     "spec.trigger.schedule"},
    {KW_KIND_KM, KM_OBJ(",\"trigger\":{\"schedule\":\"0 * * *\"}"),
     KM_OBJ(",\"trigger\":{\"manual\":\"now\"}"), KW_RULE_MAINTENANCE_SCHEDULE_INVALID,
     "spec.trigger.schedule"},
    {KW_KIND_KM, KM_OBJ(",\"trigger\":{\"schedule\":\"0 * * * *\",\"manual\":\"now\"}"),
     KM_OBJ(",\"trigger\":{\"schedule\":\"0 * * * *\",\"manual\":\"\"}"),
     KW_RULE_MAINTENANCE_SCHEDULE_INVALID, "spec.trigger"},
    {KW_KIND_KM, KM_OBJ(",\"resources\":{\"limits\":{\"memory\":\"101Gi\"}}"),
     KM_OBJ(",\"resources\":{\"limits\":{\"memory\":\"100Gi\"}}"),
     KW_RULE_MAINTENANCE_RESOURCES_INVALID, "spec.resources.limits[memory]"},
    {KW_KIND_KM, KM_OBJ(",\"resources\":{\"limits\":{\"cpu\":\"33\"}}"),
     KM_OBJ(",\"resources\":{\"limits\":{\"cpu\":\"32\"}}"), KW_RULE_MAINTENANCE_RESOURCES_INVALID,
     "spec.resources.limits[cpu]"},
    {KW_KIND_KM, KM_OBJ(",\"resources\":{\"requests\":{\"cpu\":0}}"),
     KM_OBJ(",\"resources\":{\"requests\":{\"cpu\":\"1m\"}}"),
     KW_RULE_MAINTENANCE_RESOURCES_INVALID, "spec.resources.requests[cpu]"},
    {KW_KIND_KM,
     KM_OBJ(",\"resources\":{\"limits\":{\"memory\":\"1Gi\"},\"requests\":{\"memory\":\"2Gi\"}}"),
     KM_OBJ(",\"resources\":{\"limits\":{\"memory\":\"1Gi\"},\"requests\":{\"memory\":\"1Gi\"}}"),
     KW_RULE_MAINTENANCE_RESOURCES_INVALID, "spec.resources.requests[memory]"},
    {KW_KIND_KM, KM_OBJ(",\"resources\":{\"limits\":{\"nvidia.com/gpu\":1}}"),
     KM_OBJ(",\"resources\":{\"limits\":{\"hugepages-2Mi\":\"1Gi\"}}"),
     KW_RULE_MAINTENANCE_RESOURCES_INVALID, "spec.resources.limits[nvidia.com/gpu]"},
    /* moverVolumes (RS, RD and KopiaMaintenance). */
    {KW_KIND_RS,
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"\",\"volumeSource\":{\"nfs\":{\"server\":\"s\","
            "\"path\":\"/x\"}}}]"),
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"n\",\"volumeSource\":{\"nfs\":{\"server\":\"s\","
            "\"path\":\"/x\"}}}]"),
     KW_RULE_MOVER_VOLUMES_INVALID, "spec.kopia.moverVolumes[0].mountPath"},
    {KW_KIND_RD,
     RD_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a/b\",\"volumeSource\":{\"secret\":{"
            "\"secretName\":\"s\"}}}]"),
     RD_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a-b\",\"volumeSource\":{\"secret\":{"
            "\"secretName\":\"s\"}}}]"),
     KW_RULE_MOVER_VOLUMES_INVALID, "spec.kopia.moverVolumes[0].mountPath"},
    {KW_KIND_KM,
     KM_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a..b\",\"volumeSource\":{\"secret\":{"
            "\"secretName\":\"s\"}}}]"),
     KM_OBJ(",\"moverVolumes\":[{\"mountPath\":\"ab\",\"volumeSource\":{\"secret\":{"
            "\"secretName\":\"s\"}}}]"),
     KW_RULE_MOVER_VOLUMES_INVALID, "spec.moverVolumes[0].mountPath"},
    {KW_KIND_KM,
     KM_OBJ(",\"moverVolumes\":[{\"mountPath\":\"Data\",\"volumeSource\":{\"secret\":{"
            "\"secretName\":\"s\"}}}]"),
     KM_OBJ(",\"moverVolumes\":[{\"mountPath\":\"data\",\"volumeSource\":{\"secret\":{"
            "\"secretName\":\"s\"}}}]"),
     KW_RULE_MOVER_VOLUMES_INVALID, "spec.moverVolumes[0].mountPath"},
    {KW_KIND_RS,
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a\",\"volumeSource\":{\"secret\":{\"secretName\":"
            "\"s\"}}},{\"mountPath\":\"a\",\"volumeSource\":{\"secret\":{\"secretName\":\"t\"}}}]"),
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a\",\"volumeSource\":{\"secret\":{\"secretName\":"
            "\"s\"}}},{\"mountPath\":\"b\",\"volumeSource\":{\"secret\":{\"secretName\":\"t\"}}}]"),
     KW_RULE_MOVER_VOLUMES_INVALID, "spec.kopia.moverVolumes[1].mountPath"},
    {KW_KIND_RS,
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a\",\"volumeSource\":{\"secret\":{\"secretName\":"
            "\"s\"},\"nfs\":{\"server\":\"s\",\"path\":\"/x\"}}}]"),
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a\",\"volumeSource\":{\"secret\":{\"secretName\":"
            "\"s\"},\"nfs\":null}}]"),
     KW_RULE_MOVER_VOLUMES_INVALID, "spec.kopia.moverVolumes[0].volumeSource"},
    {KW_KIND_RS, RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"a\"}]"),
     RS_OBJ(",\"moverVolumes\":[]"), KW_RULE_MOVER_VOLUMES_INVALID,
     "spec.kopia.moverVolumes[0].volumeSource"},
    /* KopiaMaintenance security contexts (docs/operator.md c.8): a pod
     * context replaces the default UID 1000, the container keeps
     * runAsNonRoot: true. */
    {KW_KIND_KM, KM_OBJ(",\"podSecurityContext\":{\"fsGroup\":2000}"),
     KM_OBJ(",\"podSecurityContext\":{\"fsGroup\":2000,\"runAsUser\":1000}"),
     KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, "spec.podSecurityContext.runAsUser"},
    {KW_KIND_KM, KM_OBJ(",\"podSecurityContext\":{\"fsGroup\":2000}"),
     KM_OBJ(",\"podSecurityContext\":{\"fsGroup\":2000},\"containerSecurityContext\":{"
            "\"runAsUser\":1234}"),
     KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, "spec.podSecurityContext.runAsUser"},
    {KW_KIND_KM, KM_OBJ(",\"containerSecurityContext\":{\"runAsNonRoot\":true,\"runAsUser\":0}"),
     KM_OBJ(",\"containerSecurityContext\":{\"runAsNonRoot\":true,\"runAsUser\":1}"),
     KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, "spec.containerSecurityContext.runAsUser"},
    {KW_KIND_KM, KM_OBJ(",\"podSecurityContext\":{\"runAsUser\":0}"),
     KM_OBJ(",\"podSecurityContext\":{\"runAsUser\":0},\"containerSecurityContext\":{"
            "\"readOnlyRootFilesystem\":true}"),
     KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, "spec.podSecurityContext.runAsUser"},
};

Test(versions, every_deny_rule_with_its_boundary)
{
    for (size_t i = 0; i < sizeof(deny_cases) / sizeof(deny_cases[0]); i++)
        check_deny(&deny_cases[i]);
}

Test(versions, the_int32_message_says_why)
{
    struct kw_result res;
    run(KW_KIND_RS, RS_OBJ(",\"parallelism\":2147483648"), V17, false, &res);
    const struct kw_cause *c =
        cause_of(&res, KW_RULE_INTEGER_OUT_OF_RANGE, "spec.kopia.parallelism");
    cr_assert(c);
    char *body = kw_cause_body(c);
    cr_expect_str_eq(body, "Invalid value: 2147483648: spec.kopia.parallelism in body should be "
                           "less than or equal to 2147483647 (int32): the operator would fail to "
                           "decode every ReplicationSource of the cluster and stop reconciling "
                           "them all");
    free(body);
    kw_result_free(&res);
}

/* Which warning (if any) a field gets at each version, in both contexts. */
struct version_case {
    enum kw_kind kind;
    const char *json;
    bool warned[KW_OPERATOR_VERSION_COUNT]; /* 0.15, 0.16, 0.17 */
    const char *offline_text_at_first_warned;
};

static const struct version_case version_cases[] = {
    {KW_KIND_RS,
     RS_OBJ(",\"retain\":{\"latest\":3}"),
     {true, false, false},
     "spec.kopia.retain.latest: dropped by the API server on operator 0.15: added in 0.16"},
    {KW_KIND_RS,
     RS_OBJ(",\"repositoryPVC\":\"repo\""),
     {false, false, true},
     "spec.kopia.repositoryPVC: dropped by the API server on operator 0.17: use moverVolumes"},
    {KW_KIND_RS,
     RS_OBJ(",\"maintenanceIntervalDays\":1"),
     {false, true, true},
     "spec.kopia.maintenanceIntervalDays: dropped by the API server on operator 0.16: "
     "maintenance runs only from a KopiaMaintenance"},
    {KW_KIND_RD,
     RD_OBJ(",\"additionalArgs\":[\"--one-file-system\"]"),
     {true, false, false},
     "spec.kopia.additionalArgs: dropped by the API server on operator 0.15: the 0.15.40 CRD has "
     "no additionalArgs"},
    {KW_KIND_RD,
     RD_OBJ(",\"contentCacheSizeLimitMB\":100"),
     {true, true, false},
     "spec.kopia.contentCacheSizeLimitMB: dropped by the API server on operator 0.15: added in "
     "0.17"},
    {KW_KIND_RS,
     RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"n\",\"volumeSource\":{\"nfs\":{\"server\":\"s\","
            "\"path\":\"/x\"}}}]"),
     {true, true, false},
     "spec.kopia.moverVolumes: dropped by the API server on operator 0.15: added in 0.17"},
    {KW_KIND_KM,
     KM_OBJ(",\"metadataCacheSizeLimitMB\":10"),
     {true, true, false},
     "spec.metadataCacheSizeLimitMB: dropped by the API server on operator 0.16: added in 0.17"
     /* a KopiaMaintenance on 0.15 is validated with the rules of 0.16 */},
};

Test(versions, fields_are_warned_on_the_versions_that_lack_them_and_never_unknown)
{
    for (size_t i = 0; i < sizeof(version_cases) / sizeof(version_cases[0]); i++) {
        const struct version_case *c = &version_cases[i];
        bool first = true;
        for (int v = 0; v < KW_OPERATOR_VERSION_COUNT; v++) {
            for (int offline = 0; offline < 2; offline++) {
                struct kw_result res;
                run(c->kind, c->json, (enum kw_operator_version)v, offline, &res);
                const char *w = warning_of(&res, KW_RULE_OPERATOR_VERSION_FIELD);
                cr_expect_eq(w != NULL, c->warned[v], "%s at %d (offline %d): %s", c->json, v,
                             offline, w ? w : "no warning");
                cr_expect(!warning_of(&res, KW_RULE_UNKNOWN_FIELD) &&
                              !warning_of(&res, KW_RULE_MAINTENANCE_UNKNOWN_FIELD),
                          "%s called unknown at %d", c->json, v);
                if (w && offline && first) {
                    cr_expect_str_eq(w, c->offline_text_at_first_warned);
                    first = false;
                }
                if (w && !offline)
                    cr_expect(strstr(w, "set operatorVersion to the version installed"), "%s", w);
                kw_result_free(&res);
            }
        }
    }
}

Test(versions, the_in_cluster_warning_names_the_setting)
{
    struct kw_result res;
    run(KW_KIND_RS, RS_OBJ(",\"repositoryPVC\":\"repo\""), V17, false, &res);
    const char *w = warning_of(&res, KW_RULE_OPERATOR_VERSION_FIELD);
    cr_assert(w);
    cr_expect_str_eq(w, "spec.kopia.repositoryPVC: operator 0.17 has no such field (removed after "
                        "0.16), yet it reached the webhook, so the cluster runs another operator "
                        "version: set operatorVersion to the version installed");
    kw_result_free(&res);
}

/* A field of another version is still validated. */
Test(versions, fields_of_other_versions_are_validated)
{
    struct kw_result res;
    run(KW_KIND_RS, RS_OBJ(",\"retain\":{\"latest\":-1}"), V15, true, &res);
    cr_expect(cause_of(&res, KW_RULE_RETAIN_INVALID, "spec.kopia.retain.latest"));
    kw_result_free(&res);
}

Test(versions, kopiamaintenance_on_0_15_is_warned_and_validated_as_0_16)
{
    for (int offline = 0; offline < 2; offline++) {
        struct kw_result res;
        run(KW_KIND_KM, KM_OBJ(""), V15, offline, &res);
        const char *w = warning_of(&res, KW_RULE_OPERATOR_VERSION_KIND);
        cr_assert(w);
        cr_expect(strstr(w, offline ? "the API server refuses the object" : "set operatorVersion"),
                  "%s", w);
        cr_expect(!kw_result_denied(&res));
        cr_expect(!warning_of(&res, KW_RULE_OPERATOR_VERSION_FIELD));
        kw_result_free(&res);
        run(KW_KIND_KM, KM_OBJ(""), V16, offline, &res);
        cr_expect(!warning_of(&res, KW_RULE_OPERATOR_VERSION_KIND));
        cr_expect(!kw_result_denied(&res));
        kw_result_free(&res);
    }
}

Test(versions, kopiamaintenance_gets_the_crd_defaults)
{
    json_t *obj = json_loads(KM_OBJ(""), 0, NULL);
    struct kw_review rv = {.kind = KW_KIND_KM,
                           .op = KW_OP_CREATE,
                           .operation = "CREATE",
                           .name = "m",
                           .namespace = "prod",
                           .object = obj};
    struct kw_result res;
    kw_result_init(&res);
    kw_evaluate(&cfg, KW_HOOK_MUTATE, &rv, &res);
    cr_expect_eq(res.nops, 5);
    kw_result_free(&res);
    json_decref(obj);
    obj = json_loads(KM_OBJ(",\"schedule\":\"0 3 * * *\",\"enabled\":false,"
                            "\"successfulJobsHistoryLimit\":1,\"failedJobsHistoryLimit\":1,"
                            "\"activeDeadlineSeconds\":600"),
                     0, NULL);
    rv.object = obj;
    kw_result_init(&res);
    kw_evaluate(&cfg, KW_HOOK_MUTATE, &rv, &res);
    cr_expect_eq(res.nops, 0);
    kw_result_free(&res);
    json_decref(obj);
}

Test(versions, the_first_pvc_volume_replaces_the_repository)
{
    struct kw_result res;
    run(KW_KIND_RS,
        RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"cfg\",\"volumeSource\":{\"secret\":{"
               "\"secretName\":\"s\"}}},{\"mountPath\":\"repo\",\"volumeSource\":{"
               "\"persistentVolumeClaim\":{\"claimName\":\"repo-pvc\"}}}]"),
        V17, false, &res);
    const char *w = warning_of(&res, KW_RULE_MOVER_VOLUMES_REPOSITORY);
    cr_assert(w);
    cr_expect_str_eq(w, "spec.kopia.moverVolumes[1]: the operator makes the first PVC volume the "
                        "repository filesystem:///mnt/repo, replacing KOPIA_REPOSITORY of the "
                        "Secret repo");
    cr_expect(!kw_result_denied(&res));
    kw_result_free(&res);
    /* No PVC: no warning; a KopiaMaintenance reads the Secret as is. */
    run(KW_KIND_RS,
        RS_OBJ(",\"moverVolumes\":[{\"mountPath\":\"cfg\",\"volumeSource\":{\"secret\":{"
               "\"secretName\":\"s\"}}}]"),
        V17, false, &res);
    cr_expect(!warning_of(&res, KW_RULE_MOVER_VOLUMES_REPOSITORY));
    kw_result_free(&res);
    run(KW_KIND_KM,
        KM_OBJ(",\"moverVolumes\":[{\"mountPath\":\"repo\",\"volumeSource\":{"
               "\"persistentVolumeClaim\":{\"claimName\":\"repo-pvc\"}}}]"),
        V17, false, &res);
    cr_expect(!warning_of(&res, KW_RULE_MOVER_VOLUMES_REPOSITORY));
    cr_expect(!kw_result_denied(&res));
    kw_result_free(&res);
}

Test(versions, the_retain_advice_is_true_for_the_version)
{
    struct kw_result res;
    run(KW_KIND_RS, RS_OBJ(",\"retain\":{\"daily\":7},\"maintenanceIntervalDays\":1"), V15, false,
        &res);
    const char *w = warning_of(&res, KW_RULE_RETAIN_WITHOUT_MAINTENANCE);
    cr_assert(w, "maintenanceIntervalDays never ran maintenance on 0.15");
    cr_expect(strstr(w, "operator 0.15 never runs"), "%s", w);
    kw_result_free(&res);
    run(KW_KIND_RS, RS_OBJ(",\"retain\":{\"daily\":7}"), V16, false, &res);
    w = warning_of(&res, KW_RULE_RETAIN_WITHOUT_MAINTENANCE);
    cr_assert(w);
    cr_expect(strstr(w, "only from a KopiaMaintenance"), "%s", w);
    cr_expect(!strstr(w, "maintenanceIntervalDays"), "%s", w);
    kw_result_free(&res);
}
