/* kw_validate_kopia, rule by rule: for every rule id a
 * violating object and, next to it, the boundary case that must pass. The
 * additionalArgs rules have their own file (test_validate_args.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/schema/schema.h"
#include "kw/kopia/validate.h"
#include "admission.h"

static struct kw_config cfg;

/* Defaults plus the compiled schemas, loaded once per test process. */
static void setup(void)
{
    kwt_config(&cfg);
}

TestSuite(validate_kopia, .init = setup);

/* Validates `object_json` as `kind` in namespace "prod"; caller frees res. */
static void run(enum kw_kind kind, const char *object_json, struct kw_result *res)
{
    json_error_t jerr;
    json_t *obj = json_loads(object_json, 0, &jerr);
    cr_assert(obj, "bad test JSON (%s): %s", jerr.text, object_json);
    struct kw_object_ctx ctx = {.cfg = &cfg,
                                .kind = kind,
                                .op = KW_OP_CREATE,
                                .name = "app",
                                .namespace = "prod",
                                .object = obj};
    kw_result_init(res);
    kw_validate_kopia(&ctx, res);
    json_decref(obj);
}

/* The first cause of `rule` (on `field` when not NULL), or NULL. */
static const struct kw_cause *cause_of(const struct kw_result *res, enum kw_rule_id rule,
                                       const char *field)
{
    for (size_t i = 0; i < res->ncauses; i++)
        if (res->causes[i].rule_id == rule && (!field || strcmp(res->causes[i].field, field) == 0))
            return &res->causes[i];
    return NULL;
}

static const struct kw_warning *warning_of(const struct kw_result *res, enum kw_rule_id rule)
{
    for (size_t i = 0; i < res->nwarnings; i++)
        if (res->warnings[i].rule_id == rule)
            return &res->warnings[i];
    return NULL;
}

/* The message body of the first cause of `rule`; fails the test when none. */
static char *body_of(const struct kw_result *res, enum kw_rule_id rule, const char *field)
{
    const struct kw_cause *c = cause_of(res, rule, field);
    cr_assert(c, "no cause %s", kw_rule_id_string(rule));
    return kw_cause_body(c);
}

static char *dump(const struct kw_result *res)
{
    size_t cap = 8192, o = 0;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < res->ncauses && o < cap; i++) {
        char *b = kw_cause_body(&res->causes[i]);
        o += (size_t)snprintf(s + o, cap - o, "\n  [%s] %s: %s",
                              kw_rule_id_string(res->causes[i].rule_id), res->causes[i].field, b);
        free(b);
    }
    for (size_t i = 0; i < res->nwarnings && o < cap; i++)
        o += (size_t)snprintf(s + o, cap - o, "\n  W[%s] %s",
                              kw_rule_id_string(res->warnings[i].rule_id), res->warnings[i].text);
    return s;
}

#define RS_OBJ(kopia)                                                                              \
    "{\"spec\":{\"sourcePVC\":\"data\",\"kopia\":{\"repository\":\"repo\"" kopia "}}}"
#define RD_OBJ(kopia)                                                                              \
    "{\"spec\":{\"kopia\":{\"repository\":\"repo\",\"destinationPVC\":\"restored\"" kopia "}}}"

struct rule_case {
    enum kw_rule_id rule;
    enum kw_kind kind;
    const char *bad;   /* object that triggers the rule */
    const char *good;  /* the boundary next to it: must not trigger it */
    const char *field; /* the cause's field (deny rules); NULL for warnings */
};

static void check_case(const struct rule_case *c, bool deny)
{
    struct kw_result res;
    run(c->kind, c->bad, &res);
    char *d = dump(&res);
    if (deny) {
        cr_expect(cause_of(&res, c->rule, c->field), "%s not raised on %s by %s%s",
                  kw_rule_id_string(c->rule), c->field, c->bad, d);
        cr_expect(kw_result_denied(&res), "%s: not denied", c->bad);
    } else {
        cr_expect(warning_of(&res, c->rule), "%s not warned by %s%s", kw_rule_id_string(c->rule),
                  c->bad, d);
    }
    free(d);
    kw_result_free(&res);
    run(c->kind, c->good, &res);
    d = dump(&res);
    cr_expect(!cause_of(&res, c->rule, NULL) && !warning_of(&res, c->rule),
              "%s raised by the boundary %s%s", kw_rule_id_string(c->rule), c->good, d);
    free(d);
    kw_result_free(&res);
}

#define RS KW_KIND_RS
#define RD KW_KIND_RD

static const struct rule_case deny_cases[] = {
    /* Wrong JSON types anywhere. */
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"parallelism\":\"4\""), RS_OBJ(",\"parallelism\":4"),
     "spec.kopia.parallelism"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"parallelism\":1.5"), RS_OBJ(",\"parallelism\":2.0"),
     "spec.kopia.parallelism"},
    {KW_RULE_FIELD_TYPE, RD, RD_OBJ(",\"previous\":\"1\""), RD_OBJ(",\"previous\":1"),
     "spec.kopia.previous"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"retain\":[1]"), RS_OBJ(",\"retain\":{\"daily\":1}"),
     "spec.kopia.retain"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"actions\":{\"beforeSnapshot\":true}"),
     RS_OBJ(",\"actions\":{\"beforeSnapshot\":\"true\"}"), "spec.kopia.actions.beforeSnapshot"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"storageClassName\":1"),
     RS_OBJ(",\"storageClassName\":\"1\""), "spec.kopia.storageClassName"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"additionalArgs\":[\"--a\",7]"),
     RS_OBJ(",\"additionalArgs\":[\"--a\",\"7\"]"), "spec.kopia.additionalArgs[1]"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"additionalArgs\":[null]"),
     RS_OBJ(",\"additionalArgs\":null"), "spec.kopia.additionalArgs[0]"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"moverPodLabels\":{\"app\":1}"),
     RS_OBJ(",\"moverPodLabels\":{\"app\":null}"), "spec.kopia.moverPodLabels[app]"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"moverSecurityContext\":{\"runAsUser\":\"1000\"}"),
     RS_OBJ(",\"moverSecurityContext\":{\"runAsUser\":1000}"),
     "spec.kopia.moverSecurityContext.runAsUser"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"moverAffinity\":{\"nodeAffinity\":[]}"),
     RS_OBJ(",\"moverAffinity\":{\"nodeAffinity\":{\"x\":1}}"),
     "spec.kopia.moverAffinity.nodeAffinity"},
    {KW_RULE_FIELD_TYPE, RD, RD_OBJ(",\"enableFileDeletion\":\"true\""),
     RD_OBJ(",\"enableFileDeletion\":false"), "spec.kopia.enableFileDeletion"},
    {KW_RULE_FIELD_TYPE, RS,
     "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":{\"manual\":1},\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":{\"manual\":\"1\"},\"kopia\":{\"repository\":"
     "\"r\"}}}",
     "spec.trigger.manual"},
    {KW_RULE_FIELD_TYPE, RS, "{\"spec\":{\"sourcePVC\":5,\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"five\",\"kopia\":{\"repository\":\"r\"}}}", "spec.sourcePVC"},
    /* spec.sourcePVC */
    {KW_RULE_SOURCEPVC_REQUIRED, RS, "{\"spec\":{\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\"}}}", "spec.sourcePVC"},
    {KW_RULE_SOURCEPVC_REQUIRED, RS,
     "{\"spec\":{\"sourcePVC\":\"\",\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\"}}}", "spec.sourcePVC"},
    {KW_RULE_SOURCEPVC_REQUIRED, RS,
     "{\"spec\":{\"sourcePVC\":null,\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\"}}}", "spec.sourcePVC"},
    {KW_RULE_SOURCEPVC_INVALID, RS,
     "{\"spec\":{\"sourcePVC\":\"Data\",\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"data.v1\",\"kopia\":{\"repository\":\"r\"}}}", "spec.sourcePVC"},
    /* spec.trigger.schedule */
    {KW_RULE_TRIGGER_SCHEDULE_INVALID, RS,
     "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":{\"schedule\":\"0 0 * * * *\"},\"kopia\":{"
     "\"repository\":\"r\"}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":{\"schedule\":\"0 0 * * *\"},\"kopia\":{"
     "\"repository\":\"r\"}}}",
     "spec.trigger.schedule"},
    {KW_RULE_TRIGGER_SCHEDULE_INVALID, RD,
     "{\"spec\":{\"trigger\":{\"schedule\":\"@every 1h\"},\"kopia\":{\"repository\":\"r\","
     "\"destinationPVC\":\"p\"}}}",
     "{\"spec\":{\"trigger\":{\"schedule\":\"@hourly\"},\"kopia\":{\"repository\":\"r\","
     "\"destinationPVC\":\"p\"}}}",
     "spec.trigger.schedule"},
    /* copyMethod */
    {KW_RULE_COPYMETHOD_INVALID, RS, RS_OBJ(",\"copyMethod\":\"direct\""),
     RS_OBJ(",\"copyMethod\":\"Direct\""), "spec.kopia.copyMethod"},
    {KW_RULE_COPYMETHOD_INVALID, RS, RS_OBJ(",\"copyMethod\":\"Copy\""),
     RS_OBJ(",\"copyMethod\":\"\""), "spec.kopia.copyMethod"},
    {KW_RULE_COPYMETHOD_CLONE_DESTINATION, RD, RD_OBJ(",\"copyMethod\":\"Clone\""),
     RD_OBJ(",\"copyMethod\":\"Snapshot\""), "spec.kopia.copyMethod"},
    /* Quantities */
    {KW_RULE_CAPACITY_INVALID, RS, RS_OBJ(",\"capacity\":\"0\""), RS_OBJ(",\"capacity\":\"1\""),
     "spec.kopia.capacity"},
    {KW_RULE_CAPACITY_INVALID, RS, RS_OBJ(",\"capacity\":0"), RS_OBJ(",\"capacity\":1"),
     "spec.kopia.capacity"},
    {KW_RULE_CAPACITY_INVALID, RS, RS_OBJ(",\"capacity\":\"-1Gi\""),
     RS_OBJ(",\"capacity\":\"1.5Gi\""), "spec.kopia.capacity"},
    {KW_RULE_CAPACITY_INVALID, RS, RS_OBJ(",\"capacity\":\"Gi\""), RS_OBJ(",\"capacity\":\"1e3\""),
     "spec.kopia.capacity"},
    {KW_RULE_CAPACITY_INVALID, RS, RS_OBJ(",\"capacity\":\"1e1.5\""),
     RS_OBJ(",\"capacity\":\"2e3\""), "spec.kopia.capacity"},
    {KW_RULE_CACHE_CAPACITY_INVALID, RD, RD_OBJ(",\"cacheCapacity\":\"0Gi\""),
     RD_OBJ(",\"cacheCapacity\":\"500M\""), "spec.kopia.cacheCapacity"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"capacity\":1.5"), RS_OBJ(",\"capacity\":1e3"),
     "spec.kopia.capacity"},
    /* Access modes */
    {KW_RULE_ACCESS_MODES_INVALID, RS, RS_OBJ(",\"accessModes\":[]"),
     RS_OBJ(",\"accessModes\":[\"ReadWriteOncePod\"]"), "spec.kopia.accessModes"},
    {KW_RULE_ACCESS_MODES_INVALID, RS, RS_OBJ(",\"accessModes\":[\"ReadWriteOnce\",\"RWO\"]"),
     RS_OBJ(",\"accessModes\":null"), "spec.kopia.accessModes[1]"},
    {KW_RULE_CACHE_ACCESS_MODES_INVALID, RS,
     RS_OBJ(",\"cacheCapacity\":\"1Gi\",\"cacheAccessModes\":[]"),
     RS_OBJ(",\"cacheCapacity\":\"1Gi\",\"cacheAccessModes\":[\"ReadWriteMany\"]"),
     "spec.kopia.cacheAccessModes"},
    /* repository */
    {KW_RULE_REPOSITORY_INVALID, RS, RS_OBJ(",\"repository\":\"Repo_1\""),
     RS_OBJ(",\"repository\":\"repo-1.backup\""), "spec.kopia.repository"},
    {KW_RULE_REPOSITORY_REQUIRED, RS, "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\"}}}", "spec.kopia.repository"},
    {KW_RULE_REPOSITORY_REQUIRED, RS,
     "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"\",\"repositoryPVC\":\"p\"}}}",
     "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\",\"repositoryPVC\":\"p\"}}}",
     "spec.kopia.repository"},
    /* RD discovery: sourceName without sourcePVCName/username/hostname. */
    {KW_RULE_REPOSITORY_REQUIRED, RD, "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\"}}}",
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":\"s\"}}}}",
     "spec.kopia.repository"},
    {KW_RULE_REPOSITORY_REQUIRED, RD,
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":\"s\","
     "\"sourcePVCName\":\"data\"}}}}",
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":\"s\","
     "\"sourcePVCName\":\"\"}}}}",
     "spec.kopia.repository"},
    {KW_RULE_REPOSITORY_REQUIRED, RD,
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"username\":\"u\",\"hostname\":\"h\","
     "\"sourceIdentity\":{\"sourceName\":\"s\"}}}}",
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"username\":\"\",\"hostname\":\"\","
     "\"sourceIdentity\":{\"sourceName\":\"s\"}}}}",
     "spec.kopia.repository"},
    /* customCA */
    {KW_RULE_CUSTOMCA_INVALID, RS, RS_OBJ(",\"customCA\":{\"secretName\":\"ca\",\"key\":\"a/b\"}"),
     RS_OBJ(",\"customCA\":{\"secretName\":\"ca\",\"key\":\"ca.crt\"}"), "spec.kopia.customCA.key"},
    {KW_RULE_CUSTOMCA_INVALID, RS, RS_OBJ(",\"customCA\":{\"configMapName\":\"CA\",\"key\":\"k\"}"),
     RS_OBJ(",\"customCA\":{\"configMapName\":\"ca\",\"key\":\"k\"}"),
     "spec.kopia.customCA.configMapName"},
    {KW_RULE_CUSTOMCA_EXCLUSIVE, RS,
     RS_OBJ(",\"customCA\":{\"secretName\":\"a\",\"configMapName\":\"b\",\"key\":\"k\"}"),
     RS_OBJ(",\"customCA\":{\"secretName\":\"a\",\"configMapName\":\"\",\"key\":\"k\"}"),
     "spec.kopia.customCA"},
    {KW_RULE_CUSTOMCA_KEY_REQUIRED, RD, RD_OBJ(",\"customCA\":{\"configMapName\":\"b\"}"),
     RD_OBJ(",\"customCA\":{\"configMapName\":\"b\",\"key\":\"ca.pem\"}"),
     "spec.kopia.customCA.key"},
    {KW_RULE_CUSTOMCA_KEY_REQUIRED, RD, RD_OBJ(",\"customCA\":{\"secretName\":\"b\",\"key\":\"\"}"),
     RD_OBJ(",\"customCA\":{\"key\":\"\"}"), "spec.kopia.customCA.key"},
    /* policyConfig */
    {KW_RULE_POLICYCONFIG_INVALID, RS, RS_OBJ(",\"policyConfig\":{\"secretName\":\"Pol\"}"),
     RS_OBJ(",\"policyConfig\":{\"secretName\":\"pol\"}"), "spec.kopia.policyConfig.secretName"},
    {KW_RULE_POLICYCONFIG_FILENAME_INVALID, RS,
     RS_OBJ(",\"policyConfig\":{\"configMapName\":\"p\",\"globalPolicyFilename\":\"../g.json\"}"),
     RS_OBJ(",\"policyConfig\":{\"configMapName\":\"p\",\"globalPolicyFilename\":\".g.json\"}"),
     "spec.kopia.policyConfig.globalPolicyFilename"},
    {KW_RULE_POLICYCONFIG_FILENAME_INVALID, RS,
     RS_OBJ(",\"policyConfig\":{\"configMapName\":\"p\",\"repositoryConfigFilename\":\"a/b\"}"),
     RS_OBJ(",\"policyConfig\":{\"configMapName\":\"p\",\"repositoryConfigFilename\":\"\"}"),
     "spec.kopia.policyConfig.repositoryConfigFilename"},
    {KW_RULE_POLICYCONFIG_EXCLUSIVE, RD,
     RD_OBJ(",\"policyConfig\":{\"secretName\":\"a\",\"configMapName\":\"b\"}"),
     RD_OBJ(",\"policyConfig\":{\"secretName\":\"a\",\"configMapName\":null}"),
     "spec.kopia.policyConfig"},
    {KW_RULE_FIELD_TYPE, RS, RS_OBJ(",\"policyConfig\":{\"repositoryConfig\":{}}"),
     RS_OBJ(",\"policyConfig\":{\"repositoryConfig\":\"\"}"),
     "spec.kopia.policyConfig.repositoryConfig"},
    /* ReplicationSource numbers */
    {KW_RULE_RETAIN_INVALID, RS, RS_OBJ(",\"retain\":{\"daily\":-1}"),
     RS_OBJ(",\"retain\":{\"daily\":0},\"maintenanceIntervalDays\":1"), "spec.kopia.retain.daily"},
    {KW_RULE_PARALLELISM_INVALID, RS, RS_OBJ(",\"parallelism\":-1"), RS_OBJ(",\"parallelism\":0"),
     "spec.kopia.parallelism"},
    {KW_RULE_MAINTENANCE_INTERVAL_INVALID, RS, RS_OBJ(",\"maintenanceIntervalDays\":-1"),
     RS_OBJ(",\"maintenanceIntervalDays\":0"), "spec.kopia.maintenanceIntervalDays"},
    /* Identity */
    {KW_RULE_IDENTITY_INVALID, RS, RS_OBJ(",\"username\":\"-x\""), RS_OBJ(",\"username\":\"x\""),
     "spec.kopia.username"},
    {KW_RULE_IDENTITY_INVALID, RS, RS_OBJ(",\"hostname\":\"a@b\""),
     RS_OBJ(",\"hostname\":\"a.b_c-d\""), "spec.kopia.hostname"},
    {KW_RULE_IDENTITY_ALL_OR_NOTHING, RD, RD_OBJ(",\"username\":\"u\""),
     RD_OBJ(",\"username\":\"u\",\"hostname\":\"h\""), "spec.kopia.hostname"},
    {KW_RULE_IDENTITY_ALL_OR_NOTHING, RD, RD_OBJ(",\"hostname\":\"h\",\"username\":\"\""),
     RD_OBJ(",\"hostname\":\"\",\"username\":\"\""), "spec.kopia.username"},
    {KW_RULE_SOURCE_PATH_OVERRIDE_INVALID, RS, RS_OBJ(",\"sourcePathOverride\":\"data\""),
     RS_OBJ(",\"sourcePathOverride\":\"/data\""), "spec.kopia.sourcePathOverride"},
    {KW_RULE_SOURCE_PATH_OVERRIDE_INVALID, RD,
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePathOverride\":\"x/\"}"),
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePathOverride\":\"/x\"}"),
     "spec.kopia.sourceIdentity.sourcePathOverride"},
    /* repositoryPVC */
    {KW_RULE_REPOSITORYPVC_INVALID, RS, RS_OBJ(",\"repositoryPVC\":\"\""),
     RS_OBJ(",\"repositoryPVC\":\"repo-pvc\""), "spec.kopia.repositoryPVC"},
    {KW_RULE_REPOSITORYPVC_ON_DESTINATION, RD, RD_OBJ(",\"repositoryPVC\":\"repo-pvc\""),
     RD_OBJ(",\"repositoryPVC\":null"), "spec.kopia.repositoryPVC"},
    /* ReplicationDestination */
    {KW_RULE_DESTINATIONPVC_INVALID, RD, RD_OBJ(",\"destinationPVC\":\"Restored\""),
     RD_OBJ(",\"destinationPVC\":\"restored\""), "spec.kopia.destinationPVC"},
    {KW_RULE_DESTINATION_VOLUME_REQUIRED, RD, "{\"spec\":{\"kopia\":{\"repository\":\"r\"}}}",
     "{\"spec\":{\"kopia\":{\"repository\":\"r\",\"capacity\":\"1Gi\",\"accessModes\":["
     "\"ReadWriteOnce\"]}}}",
     "spec.kopia.destinationPVC"},
    {KW_RULE_DESTINATION_VOLUME_REQUIRED, RD,
     "{\"spec\":{\"kopia\":{\"repository\":\"r\",\"destinationPVC\":\"\",\"capacity\":\"1Gi\"}}}",
     "{\"spec\":{\"kopia\":{\"repository\":\"r\",\"destinationPVC\":\"d\",\"capacity\":\"1Gi\"}}}",
     "spec.kopia.accessModes"},
    {KW_RULE_DESTINATION_VOLUME_REQUIRED, RD,
     "{\"spec\":{\"kopia\":{\"repository\":\"r\",\"accessModes\":[\"ReadWriteOnce\"]}}}",
     "{\"spec\":{\"kopia\":{\"repository\":\"r\",\"accessModes\":[\"ReadWriteOnce\"],"
     "\"capacity\":2}}}",
     "spec.kopia.capacity"},
    {KW_RULE_RESTOREASOF_INVALID, RD, RD_OBJ(",\"restoreAsOf\":\"2024-01-02T03:04:05\""),
     RD_OBJ(",\"restoreAsOf\":\"2024-01-02T03:04:05Z\""), "spec.kopia.restoreAsOf"},
    {KW_RULE_RESTOREASOF_INVALID, RD, RD_OBJ(",\"restoreAsOf\":\"2024-01-02 03:04:05Z\""),
     RD_OBJ(",\"restoreAsOf\":\"2024-01-02t03:04:05-04:00\""), "spec.kopia.restoreAsOf"},
    {KW_RULE_RESTOREASOF_INVALID, RD, RD_OBJ(",\"restoreAsOf\":\"0000-01-01T00:30:00+01:00\""),
     RD_OBJ(",\"restoreAsOf\":\"0000-01-01T00:30:00-01:00\""), "spec.kopia.restoreAsOf"},
    {KW_RULE_RESTOREASOF_INVALID, RD, RD_OBJ(",\"restoreAsOf\":\"2016-12-31T23:59:60Z\""),
     RD_OBJ(",\"restoreAsOf\":\"2016-12-31T23:59:59.999z\""), "spec.kopia.restoreAsOf"},
    {KW_RULE_RESTOREASOF_INVALID, RD, RD_OBJ(",\"restoreAsOf\":\"\""),
     RD_OBJ(",\"restoreAsOf\":null"), "spec.kopia.restoreAsOf"},
    {KW_RULE_PREVIOUS_INVALID, RD, RD_OBJ(",\"previous\":-1"), RD_OBJ(",\"previous\":0"),
     "spec.kopia.previous"},
    {KW_RULE_SHALLOW_INVALID, RD, RD_OBJ(",\"shallow\":-1"), RD_OBJ(",\"shallow\":1"),
     "spec.kopia.shallow"},
    /* No sourceName (or "") is not denied: the operator ignores the block
     * (sourceidentity-without-sourcename warns, test_identity_rules.c). */
    {KW_RULE_SOURCEIDENTITY_INVALID, RD, RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"My_App\"}"),
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"\"}"), "spec.kopia.sourceIdentity.sourceName"},
    {KW_RULE_SOURCEIDENTITY_INVALID, RD,
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"a.b\"}"),
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"\"}"),
     "spec.kopia.sourceIdentity.sourceNamespace"},
    {KW_RULE_SOURCEIDENTITY_INVALID, RD,
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePVCName\":\"A\"}"),
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePVCName\":\"a\"}"),
     "spec.kopia.sourceIdentity.sourcePVCName"},
    /* Mover pod settings */
    {KW_RULE_MOVER_SERVICE_ACCOUNT_INVALID, RS, RS_OBJ(",\"moverServiceAccount\":\"Mover\""),
     RS_OBJ(",\"moverServiceAccount\":\"mover\""), "spec.kopia.moverServiceAccount"},
    {KW_RULE_MOVER_POD_LABELS_INVALID, RS, RS_OBJ(",\"moverPodLabels\":{\"app\":\"-x\"}"),
     RS_OBJ(",\"moverPodLabels\":{\"app\":\"\"}"), "spec.kopia.moverPodLabels[app]"},
    {KW_RULE_MOVER_POD_LABELS_INVALID, RS, RS_OBJ(",\"moverPodLabels\":{\"a/b/c\":\"x\"}"),
     RS_OBJ(",\"moverPodLabels\":{\"example.com/b\":\"x\"}"), "spec.kopia.moverPodLabels"},
    {KW_RULE_MOVER_RESOURCES_INVALID, RS,
     RS_OBJ(",\"moverResources\":{\"requests\":{\"memory\":\"-1Mi\"}}"),
     RS_OBJ(",\"moverResources\":{\"requests\":{\"memory\":0}}"),
     "spec.kopia.moverResources.requests[memory]"},
    {KW_RULE_MOVER_RESOURCES_INVALID, RS,
     RS_OBJ(",\"moverResources\":{\"limits\":{\"cpu\":\"x\"}}"),
     RS_OBJ(",\"moverResources\":{\"limits\":{\"cpu\":\"500m\"}}"),
     "spec.kopia.moverResources.limits[cpu]"},
    {KW_RULE_MOVER_RESOURCES_REQUEST_EXCEEDS_LIMIT, RS,
     RS_OBJ(",\"moverResources\":{\"requests\":{\"cpu\":\"1001m\"},\"limits\":{\"cpu\":1}}"),
     RS_OBJ(",\"moverResources\":{\"requests\":{\"cpu\":\"1000m\"},\"limits\":{\"cpu\":1}}"),
     "spec.kopia.moverResources.requests[cpu]"},
    {KW_RULE_MOVER_RESOURCES_REQUEST_EXCEEDS_LIMIT, RD,
     RD_OBJ(",\"moverResources\":{\"requests\":{\"memory\":\"1025Mi\"},\"limits\":{\"memory\":"
            "\"1Gi\"}}"),
     RD_OBJ(",\"moverResources\":{\"requests\":{\"memory\":\"1024Mi\"},\"limits\":{\"memory\":"
            "\"1Gi\"}}"),
     "spec.kopia.moverResources.requests[memory]"},
    /* The mover image runs as root: runAsNonRoot needs a non-zero runAsUser. */
    {KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, RS,
     RS_OBJ(",\"moverSecurityContext\":{\"runAsNonRoot\":true,\"fsGroup\":1000}"),
     RS_OBJ(",\"moverSecurityContext\":{\"runAsNonRoot\":true,\"runAsUser\":1000}"),
     "spec.kopia.moverSecurityContext.runAsUser"},
    {KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, RD,
     RD_OBJ(",\"moverSecurityContext\":{\"runAsNonRoot\":true,\"runAsUser\":0}"),
     RD_OBJ(",\"moverSecurityContext\":{\"runAsNonRoot\":false,\"runAsUser\":0}"),
     "spec.kopia.moverSecurityContext.runAsUser"},
    {KW_RULE_MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, RD,
     RD_OBJ(",\"moverSecurityContext\":{\"runAsNonRoot\":true,\"runAsUser\":null}"),
     RD_OBJ(",\"moverSecurityContext\":{\"runAsNonRoot\":true,\"runAsUser\":1234.0}"),
     "spec.kopia.moverSecurityContext.runAsUser"},
};

Test(validate_kopia, every_deny_rule_with_its_boundary)
{
    for (size_t i = 0; i < sizeof(deny_cases) / sizeof(deny_cases[0]); i++)
        check_case(&deny_cases[i], true);
}

static const struct rule_case warn_cases[] = {
    {KW_RULE_UNKNOWN_FIELD, RS, RS_OBJ(",\"sourcePath\":\"/x\""),
     RS_OBJ(",\"sourcePathOverride\":\"/x\""), NULL},
    {KW_RULE_COMPRESSION_UNKNOWN, RS, RS_OBJ(",\"compression\":\"s2\""),
     RS_OBJ(",\"compression\":\"s2-default\""), NULL},
    {KW_RULE_COMPRESSION_UNKNOWN, RS, RS_OBJ(",\"compression\":\"\""),
     RS_OBJ(",\"compression\":null"), NULL},
    {KW_RULE_COMPRESSION_DEPRECATED, RS, RS_OBJ(",\"compression\":\"lz4\""),
     RS_OBJ(",\"compression\":\"zstd\""), NULL},
    {KW_RULE_COMPRESSION_DEPRECATED, RS, RS_OBJ(",\"compression\":\"zstd-best-compression\""),
     RS_OBJ(",\"compression\":\"zstd-better-compression\""), NULL},
    {KW_RULE_REPOSITORYPVC_EQUALS_SOURCEPVC, RS, RS_OBJ(",\"repositoryPVC\":\"data\""),
     RS_OBJ(",\"repositoryPVC\":\"data2\""), NULL},
    {KW_RULE_DESTINATIONPVC_IGNORES_CAPACITY, RD, RD_OBJ(",\"capacity\":\"1Gi\""),
     "{\"spec\":{\"kopia\":{\"repository\":\"r\",\"destinationPVC\":\"\",\"capacity\":\"1Gi\","
     "\"accessModes\":[\"ReadWriteOnce\"]}}}",
     NULL},
    {KW_RULE_DESTINATIONPVC_IGNORES_CAPACITY, RD, RD_OBJ(",\"accessModes\":[\"ReadWriteOnce\"]"),
     RD_OBJ(",\"accessModes\":null"), NULL},
    {KW_RULE_CLEANUP_TEMP_PVC_NO_EFFECT, RD, RD_OBJ(",\"cleanupTempPVC\":true"),
     RD_OBJ(",\"cleanupTempPVC\":false"), NULL},
    {KW_RULE_IDENTITY_WITH_SOURCEIDENTITY, RD,
     RD_OBJ(",\"username\":\"u\",\"hostname\":\"h\",\"sourceIdentity\":{\"sourceName\":\"s\"}"),
     RD_OBJ(",\"username\":\"\",\"hostname\":\"\",\"sourceIdentity\":{\"sourceName\":\"s\"}"),
     NULL},
    {KW_RULE_SOURCEPVCNAME_SET, RD,
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePVCName\":\"d\"}"),
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePVCName\":\"\"}"), NULL},
    {KW_RULE_DISCOVERY_CROSS_NAMESPACE, RD,
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":\"s\","
     "\"sourceNamespace\":\"other\"}}}}",
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":\"s\","
     "\"sourceNamespace\":\"prod\"}}}}",
     NULL},
    {KW_RULE_DISCOVERY_CROSS_NAMESPACE, RD,
     "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":\"s\","
     "\"sourceNamespace\":\"other\"}}}}",
     RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"other\"}"), NULL},
    {KW_RULE_SHALLOW_ZERO, RD, RD_OBJ(",\"shallow\":0"), RD_OBJ(",\"shallow\":1"), NULL},
    {KW_RULE_SHALLOW_WITH_RESTOREASOF, RD,
     RD_OBJ(",\"shallow\":2,\"restoreAsOf\":\"2024-01-02T03:04:05Z\""),
     RD_OBJ(",\"shallow\":2,\"restoreAsOf\":null"), NULL},
    {KW_RULE_ENABLE_FILE_DELETION, RD, RD_OBJ(",\"enableFileDeletion\":true"),
     RD_OBJ(",\"enableFileDeletion\":false"), NULL},
    {KW_RULE_RETAIN_WITHOUT_MAINTENANCE, RS, RS_OBJ(",\"retain\":{\"daily\":7}"),
     RS_OBJ(",\"retain\":{}"), NULL},
    {KW_RULE_RETAIN_WITHOUT_MAINTENANCE, RS,
     RS_OBJ(",\"retain\":{\"daily\":7},\"maintenanceIntervalDays\":0"),
     RS_OBJ(",\"retain\":{\"daily\":null}"), NULL},
    {KW_RULE_RETAIN_WITH_SOURCE_PATH_OVERRIDE, RS,
     RS_OBJ(",\"retain\":{\"daily\":7},\"sourcePathOverride\":\"/var/lib/app\""),
     RS_OBJ(",\"retain\":{\"daily\":7},\"sourcePathOverride\":\"\""), NULL},
    {KW_RULE_RETAIN_WITH_SOURCE_PATH_OVERRIDE, RS,
     RS_OBJ(",\"retain\":{\"hourly\":1},\"sourcePathOverride\":\"/x\""),
     RS_OBJ(",\"retain\":{\"hourly\":null},\"sourcePathOverride\":\"/x\""), NULL},
    {KW_RULE_ACTIONS_PRESENT, RS, RS_OBJ(",\"actions\":{\"afterSnapshot\":\"sync\"}"),
     RS_OBJ(",\"actions\":{\"afterSnapshot\":\"\"}"), NULL},
    {KW_RULE_CACHE_CAPACITY_EMPTYDIR, RS, RS_OBJ(",\"cacheCapacity\":\"2Gi\""),
     RS_OBJ(",\"cacheCapacity\":\"2Gi\",\"cacheStorageClassName\":\"fast\""), NULL},
    {KW_RULE_CACHE_WITHOUT_CAPACITY, RS, RS_OBJ(",\"cacheAccessModes\":[\"ReadWriteOnce\"]"),
     RS_OBJ(",\"cacheAccessModes\":[\"ReadWriteOnce\"],\"cacheCapacity\":\"1Gi\""), NULL},
    {KW_RULE_CACHE_WITHOUT_CAPACITY, RD, RD_OBJ(",\"cacheStorageClassName\":\"fast\""),
     RD_OBJ(",\"cacheStorageClassName\":null"), NULL},
    {KW_RULE_COPYMETHOD_NONE_DEPRECATED, RS, RS_OBJ(",\"copyMethod\":\"None\""),
     RS_OBJ(",\"copyMethod\":\"Direct\""), NULL},
    {KW_RULE_DEBUG_MOVER_ANNOTATION, RD,
     "{\"metadata\":{\"annotations\":{\"volsync.backube/enable-debug-mover\":\"true\"}},"
     "\"spec\":{\"kopia\":{\"repository\":\"r\",\"destinationPVC\":\"p\"}}}",
     "{\"metadata\":{\"annotations\":{\"volsync.backube/other\":\"true\"}},"
     "\"spec\":{\"kopia\":{\"repository\":\"r\",\"destinationPVC\":\"p\"}}}",
     NULL},
    {KW_RULE_POLICYCONFIG_FILENAME_WITHOUT_SOURCE, RS,
     RS_OBJ(",\"policyConfig\":{\"globalPolicyFilename\":\"g.json\"}"),
     RS_OBJ(",\"policyConfig\":{\"globalPolicyFilename\":\"g.json\",\"secretName\":\"s\"}"), NULL},
};

Test(validate_kopia, every_warning_with_its_boundary)
{
    for (size_t i = 0; i < sizeof(warn_cases) / sizeof(warn_cases[0]); i++)
        check_case(&warn_cases[i], false);
}

/* Validates and returns the one warning text of `rule`. */
static void expect_warning(enum kw_kind kind, const char *obj, enum kw_rule_id rule,
                           const char *text)
{
    struct kw_result res;
    run(kind, obj, &res);
    const struct kw_warning *w = warning_of(&res, rule);
    cr_assert(w, "no %s for %s", kw_rule_id_string(rule), obj);
    cr_expect_str_eq(w->text, text);
    kw_result_free(&res);
}

Test(validate_kopia, every_stale_field_name_suggests_its_replacement)
{
    expect_warning(RS, RS_OBJ(",\"sourcePath\":\"/x\""), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.sourcePath: unknown field; did you mean sourcePathOverride?");
    expect_warning(RS, RS_OBJ(",\"filesystemDestination\":\"p\""), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.filesystemDestination: unknown field; did you mean repositoryPVC?");
    expect_warning(RD, RD_OBJ(",\"enable_file_deletion\":true"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.enable_file_deletion: unknown field; did you mean "
                   "enableFileDeletion?");
    expect_warning(RD, RD_OBJ(",\"cleanupTempDestinationPVC\":true"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.cleanupTempDestinationPVC: unknown field; did you mean "
                   "cleanupTempPVC?");
    expect_warning(RD, RD_OBJ(",\"actions\":{\"beforeSnapshot\":\"x\"}"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.actions: unknown field; actions is only supported on "
                   "ReplicationSource");
    expect_warning(RD, RD_OBJ(",\"parallelism\":4"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.parallelism: unknown field; parallelism is only supported on "
                   "ReplicationSource");
    expect_warning(RS, RS_OBJ(",\"previous\":1"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.previous: unknown field; previous is only supported on "
                   "ReplicationDestination");
    /* A typo gets the closest field; nothing close gets no suggestion. */
    expect_warning(RS, RS_OBJ(",\"compresion\":\"zstd\""), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.compresion: unknown field; did you mean compression?");
    expect_warning(RS, RS_OBJ(",\"CopyMethod\":\"Direct\""), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.CopyMethod: unknown field; did you mean copyMethod?");
    expect_warning(RS, RS_OBJ(",\"frobnicate\":1"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.frobnicate: unknown field; it has no effect, check the spelling");
    /* enableFileDeletion exists on an RD only: no advice to use it on an RS. */
    expect_warning(RS, RS_OBJ(",\"enable_file_deletion\":true"), KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.enable_file_deletion: unknown field; it has no effect, check the "
                   "spelling");
    /* Unknown fields inside blocks and in spec.trigger. */
    expect_warning(RS, RS_OBJ(",\"retain\":{\"dayly\":1},\"maintenanceIntervalDays\":1"),
                   KW_RULE_UNKNOWN_FIELD,
                   "spec.kopia.retain.dayly: unknown field; did you mean daily?");
    expect_warning(RS,
                   "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":{\"cron\":\"x\"},\"kopia\":{"
                   "\"repository\":\"r\"}}}",
                   KW_RULE_UNKNOWN_FIELD,
                   "spec.trigger.cron: unknown field; it has no effect, check the "
                   "spelling");
}

Test(validate_kopia, messages_use_kubernetes_wording)
{
    struct kw_result res;
    run(RD, RD_OBJ(",\"previous\":\"string\",\"shallow\":-1,\"copyMethod\":\"Clone\""), &res);
    char *b = body_of(&res, KW_RULE_FIELD_TYPE, "spec.kopia.previous");
    cr_expect_str_eq(b, "Invalid value: \"string\": spec.kopia.previous in body must be of type "
                        "integer: \"string\"");
    free(b);
    b = body_of(&res, KW_RULE_SHALLOW_INVALID, NULL);
    cr_expect_str_eq(b, "Invalid value: -1: spec.kopia.shallow in body should be greater than or "
                        "equal to 0");
    free(b);
    b = body_of(&res, KW_RULE_COPYMETHOD_CLONE_DESTINATION, NULL);
    cr_expect_str_eq(b, "Unsupported value: \"Clone\": supported values: \"Direct\", \"None\", "
                        "\"Snapshot\"");
    free(b);
    kw_result_free(&res);

    run(RS, RS_OBJ(",\"capacity\":\"0\",\"copyMethod\":\"Copy\",\"accessModes\":[]"), &res);
    b = body_of(&res, KW_RULE_CAPACITY_INVALID, NULL);
    cr_expect_str_eq(b, "Invalid value: \"0\": spec.kopia.capacity in body should be greater "
                        "than 0");
    free(b);
    b = body_of(&res, KW_RULE_COPYMETHOD_INVALID, NULL);
    cr_expect_str_eq(b, "Unsupported value: \"Copy\": supported values: \"Direct\", \"None\", "
                        "\"Clone\", \"Snapshot\"");
    free(b);
    b = body_of(&res, KW_RULE_ACCESS_MODES_INVALID, NULL);
    cr_expect_str_eq(b, "Invalid value: 0: spec.kopia.accessModes in body should have at least 1 "
                        "items");
    free(b);
    kw_result_free(&res);

    run(RD, RD_OBJ(",\"repositoryPVC\":\"p\""), &res);
    b = body_of(&res, KW_RULE_REPOSITORYPVC_ON_DESTINATION, "spec.kopia.repositoryPVC");
    cr_expect_str_eq(b, "Forbidden: repositoryPVC is only supported on ReplicationSource");
    free(b);
    kw_result_free(&res);
}

Test(validate_kopia, all_errors_of_an_object_are_reported)
{
    struct kw_result res;
    run(RD,
        "{\"spec\":{\"kopia\":{\"username\":\"-u\",\"previous\":-1,\"shallow\":\"x\","
        "\"restoreAsOf\":\"yesterday\",\"copyMethod\":\"Clone\",\"repositoryPVC\":\"p\","
        "\"accessModes\":[\"Bad\"],\"customCA\":{\"secretName\":\"a\",\"configMapName\":\"b\"}}}}",
        &res);
    enum kw_rule_id want[] = {KW_RULE_IDENTITY_INVALID,
                              KW_RULE_PREVIOUS_INVALID,
                              KW_RULE_FIELD_TYPE,
                              KW_RULE_RESTOREASOF_INVALID,
                              KW_RULE_COPYMETHOD_CLONE_DESTINATION,
                              KW_RULE_REPOSITORYPVC_ON_DESTINATION,
                              KW_RULE_ACCESS_MODES_INVALID,
                              KW_RULE_CUSTOMCA_EXCLUSIVE,
                              KW_RULE_CUSTOMCA_KEY_REQUIRED,
                              KW_RULE_IDENTITY_ALL_OR_NOTHING,
                              KW_RULE_REPOSITORY_REQUIRED,
                              KW_RULE_DESTINATION_VOLUME_REQUIRED};
    char *d = dump(&res);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(cause_of(&res, want[i], NULL), "missing %s in%s", kw_rule_id_string(want[i]), d);
    cr_expect_eq(res.ncauses, sizeof(want) / sizeof(want[0]), "%s", d);
    free(d);
    kw_result_free(&res);
}

Test(validate_kopia, null_means_absent_and_listed_empty_strings_too)
{
    struct kw_result res;
    /* Every member null: only the required-field rules speak. */
    run(RS,
        "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":null,\"kopia\":{\"repository\":\"r\","
        "\"copyMethod\":null,\"capacity\":null,\"retain\":null,\"username\":null,"
        "\"customCA\":{\"secretName\":null,\"key\":null},\"policyConfig\":{\"secretName\":\"\","
        "\"configMapName\":\"\",\"globalPolicyFilename\":\"\"},\"username\":\"\","
        "\"hostname\":\"\",\"copyMethod\":\"\"}}}",
        &res);
    char *d = dump(&res);
    cr_expect_eq(res.ncauses + res.nwarnings, 0, "%s", d);
    free(d);
    kw_result_free(&res);
    /* Fields not on the list are validated as written. */
    run(RS, RS_OBJ(",\"moverServiceAccount\":\"\",\"sourcePathOverride\":\"\""), &res);
    cr_expect(
        cause_of(&res, KW_RULE_MOVER_SERVICE_ACCOUNT_INVALID, "spec.kopia.moverServiceAccount"));
    cr_expect(
        cause_of(&res, KW_RULE_SOURCE_PATH_OVERRIDE_INVALID, "spec.kopia.sourcePathOverride"));
    kw_result_free(&res);
}

Test(validate_kopia, integral_reals_count_as_integers_like_kubernetes)
{
    struct kw_result res;
    run(RD, RD_OBJ(",\"previous\":1.0,\"shallow\":1e3,\"capacity\":1e9"), &res);
    char *d = dump(&res);
    cr_expect_eq(res.ncauses, 0, "%s", d);
    free(d);
    kw_result_free(&res);
    run(RD, RD_OBJ(",\"previous\":0.5"), &res);
    cr_expect(cause_of(&res, KW_RULE_FIELD_TYPE, "spec.kopia.previous"));
    kw_result_free(&res);
}

Test(validate_kopia, cron_six_fields_gets_its_own_message)
{
    struct kw_result res;
    run(RS,
        "{\"spec\":{\"sourcePVC\":\"d\",\"trigger\":{\"schedule\":\"0 0 2 * * *\"},\"kopia\":{"
        "\"repository\":\"r\"}}}",
        &res);
    const struct kw_cause *c =
        cause_of(&res, KW_RULE_TRIGGER_SCHEDULE_INVALID, "spec.trigger.schedule");
    cr_assert(c);
    cr_expect(strstr(c->detail, "seconds") || strstr(c->detail, "6"), "%s", c->detail);
    kw_result_free(&res);
}

/* An unknown algorithm is shown as Go's %q shows it, cut after 64 bytes. */
Test(validate_kopia, an_unknown_compression_is_quoted_as_kubernetes_quotes)
{
    const char *tail =
        " is not a known Kopia algorithm (e.g. zstd, s2-default, none): the mover's kopia "
        "policy set fails and no backup runs";
    char want[256];
    snprintf(want, sizeof(want), "spec.kopia.compression: \"s2\\\"\\u2028\\t\"%s", tail);
    expect_warning(RS,
                   "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\","
                   "\"compression\":\"s2\\\"\\u2028\\t\"}}}",
                   KW_RULE_COMPRESSION_UNKNOWN, want);
    snprintf(want, sizeof(want), "spec.kopia.compression: \"%.64s...\"%s",
             "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", tail);
    expect_warning(RS,
                   "{\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\","
                   "\"compression\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
                   "zzzzzzzzzzzzzzzz\"}}}",
                   KW_RULE_COMPRESSION_UNKNOWN, want);
}

Test(validate_kopia, a_server_without_schemas_fails_closed)
{
    struct kw_config bare;
    kw_config_defaults(&bare);
    json_t *obj = json_loads(RS_OBJ(""), 0, NULL);
    struct kw_object_ctx ctx = {
        .cfg = &bare, .kind = RS, .op = KW_OP_CREATE, .name = "a", .namespace = "b", .object = obj};
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_kopia(&ctx, &res);
    cr_expect(kw_result_denied(&res));
    cr_expect(res.bad_request != NULL);
    kw_result_free(&res);
    json_decref(obj);
}
