/* The rule table (see include/kw/decision/rules.h). One row per rule id; docs/rules.md
 * documents the same ids and tests/unit/test_rules.c keeps the two in step.
 * Sections follow the spec: dispatch, spec.kopia schema and cross-field
 * rules, additionalArgs, warnings, defaulting, policy JSON, admin policy. */
#include "kw/decision/rules.h"

#include <string.h>

#define RS      KW_KB_RS
#define RD      KW_KB_RD
#define KOPIA   KW_KB_KOPIA
#define POLICY  KW_KB_POLICY
#define DENY    KW_SEV_DENY
#define WARN    KW_SEV_WARN
#define DEFAULT KW_SEV_DEFAULT

const struct kw_rule kw_rules[] = {
    /* Dispatch (SPEC §2, §3) */
    {KW_RULE_DECODE, KOPIA | POLICY, DENY,
     "the object cannot be decoded into the expected shape (code 400)"},
    {KW_RULE_MOVER_REQUIRED, KOPIA, DENY, "no replication method is set in spec"},
    {KW_RULE_MOVER_EXCLUSIVE, KOPIA, DENY, "spec.kopia is set together with another mover"},

    /* spec.kopia schema and cross-field rules (SPEC §4.1, §4.2) */
    {KW_RULE_FIELD_TYPE, KOPIA, DENY,
     "a field of spec.kopia, spec.trigger or spec.sourcePVC has the wrong JSON type"},
    {"sourcepvc-required", RS, DENY, "spec.sourcePVC is missing or empty"},
    {"sourcepvc-invalid", RS, DENY, "spec.sourcePVC is not a DNS-1123 subdomain"},
    {"trigger-schedule-invalid", KOPIA, DENY,
     "spec.trigger.schedule is not a 5-field cron expression or an @ macro"},
    {"copymethod-invalid", KOPIA, DENY, "copyMethod is not Direct, None, Clone or Snapshot"},
    {"copymethod-clone-destination", RD, DENY, "a ReplicationDestination uses copyMethod: Clone"},
    {"capacity-invalid", KOPIA, DENY, "capacity is not a Kubernetes quantity greater than 0"},
    {"cache-capacity-invalid", KOPIA, DENY,
     "cacheCapacity is not a Kubernetes quantity greater than 0"},
    {"access-modes-invalid", KOPIA, DENY, "accessModes is empty or holds an unknown access mode"},
    {"cache-access-modes-invalid", KOPIA, DENY,
     "cacheAccessModes is an empty list or holds an unknown access mode"},
    {"repository-invalid", KOPIA, DENY, "repository is not a DNS-1123 subdomain (a Secret name)"},
    {"repository-required", KOPIA, DENY,
     "repository is missing (RS always; RD unless the operator can discover it)"},
    {"customca-invalid", KOPIA, DENY, "a customCA name or key is not valid"},
    {"customca-exclusive", KOPIA, DENY, "customCA sets both secretName and configMapName"},
    {"customca-key-required", KOPIA, DENY, "customCA names a Secret or ConfigMap but no key"},
    {"policyconfig-invalid", KOPIA, DENY,
     "policyConfig.secretName or configMapName is not a DNS-1123 subdomain"},
    {"policyconfig-filename-invalid", KOPIA, DENY,
     "a policyConfig filename is not a valid ConfigMap key"},
    {"policyconfig-exclusive", KOPIA, DENY, "policyConfig sets both secretName and configMapName"},
    {"retain-invalid", RS, DENY, "a retain count is negative"},
    {"parallelism-invalid", RS, DENY, "parallelism is less than 1"},
    {"maintenance-interval-invalid", RS, DENY, "maintenanceIntervalDays is negative"},
    {"identity-invalid", KOPIA, DENY, "username or hostname does not match the identity pattern"},
    {"identity-all-or-nothing", RD, DENY,
     "a ReplicationDestination sets only one of username and hostname"},
    {"source-path-override-invalid", KOPIA, DENY, "a sourcePathOverride does not start with /"},
    {"repositorypvc-invalid", RS, DENY, "repositoryPVC is not a non-empty DNS-1123 subdomain"},
    {"repositorypvc-on-destination", RD, DENY, "a ReplicationDestination sets repositoryPVC"},
    {"destinationpvc-invalid", RD, DENY, "destinationPVC is not a DNS-1123 subdomain"},
    {"destination-volume-required", RD, DENY,
     "a ReplicationDestination has neither destinationPVC nor both capacity and accessModes"},
    {"restoreasof-invalid", RD, DENY, "restoreAsOf is not an RFC 3339 date-time with a zone"},
    {"previous-invalid", RD, DENY, "previous is negative"},
    {"shallow-invalid", RD, DENY, "shallow is negative"},
    {"sourceidentity-invalid", RD, DENY,
     "sourceIdentity lacks sourceName, or a name in it is not valid"},
    {"mover-service-account-invalid", KOPIA, DENY,
     "moverServiceAccount is not a DNS-1123 subdomain"},
    {"mover-pod-labels-invalid", KOPIA, DENY, "a moverPodLabels key or value is not a valid label"},
    {"mover-resources-invalid", KOPIA, DENY,
     "a moverResources request or limit is not a quantity >= 0"},
    {"mover-resources-request-exceeds-limit", KOPIA, DENY,
     "a moverResources request is greater than its limit"},

    /* additionalArgs (SPEC §4.4) */
    {"additional-args-too-many", KOPIA, DENY, "additionalArgs has more than 20 items"},
    {"additional-args-forbidden", KOPIA, DENY,
     "additionalArgs passes a flag the mover sets itself or a credential flag"},
    {"additional-args-empty", KOPIA, DENY, "an additionalArgs item is the empty string"},
    {"additional-args-newline", KOPIA, DENY,
     "an additionalArgs item holds a newline or a NUL character"},
    {"additional-args-separator", KOPIA, WARN,
     "an additionalArgs item holds a character the mover splits arguments on"},
    {"additional-args-native-field", RS, WARN,
     "an additionalArgs item duplicates a native field (--parallel, --compression)"},

    /* Warnings (SPEC §7) */
    {KW_RULE_UNKNOWN_FIELD, KOPIA, WARN,
     "a field the schema does not know (stale spelling, typo or the other kind's field)"},
    {"compression-unknown", RS, WARN, "compression is not an algorithm Kopia registers"},
    {"compression-deprecated", RS, WARN, "compression is lz4 or zstd-best-compression"},
    {"repositorypvc-equals-sourcepvc", RS, WARN, "repositoryPVC is the volume being backed up"},
    {"destinationpvc-ignores-capacity", RD, WARN,
     "capacity/accessModes are set together with destinationPVC"},
    {"cleanup-temp-pvc-no-effect", RD, WARN, "cleanupTempPVC: true together with destinationPVC"},
    {"identity-with-sourceidentity", RD, WARN,
     "username/hostname set together with sourceIdentity"},
    {"sourcepvcname-set", RD, WARN, "sourceIdentity.sourcePVCName is set"},
    {"discovery-cross-namespace", RD, WARN,
     "repository is left to discovery from a ReplicationSource in another namespace"},
    {"shallow-zero", RD, WARN, "shallow: 0 restores nothing"},
    {"shallow-with-restoreasof", RD, WARN, "shallow is ignored when restoreAsOf is set"},
    {"enable-file-deletion", RD, WARN, "enableFileDeletion: true deletes files before restoring"},
    {"retain-without-maintenance", RS, WARN, "retain is set but maintenanceIntervalDays is not"},
    {"actions-present", RS, WARN, "actions run shell commands with the repository credentials"},
    {"cache-capacity-emptydir", KOPIA, WARN,
     "cacheCapacity alone gives an emptyDir cache, not a PVC"},
    {"cache-without-capacity", KOPIA, WARN,
     "cacheStorageClassName/cacheAccessModes without cacheCapacity give a 1 GiB cache PVC"},
    {"copymethod-none-deprecated", KOPIA, WARN, "copyMethod: None is deprecated"},
    {"debug-mover-annotation", KOPIA, WARN,
     "the volsync.backube/enable-debug-mover annotation makes the mover sleep forever"},
    {"policyconfig-filename-without-source", KOPIA, WARN,
     "policyConfig filenames are set but neither secretName nor configMapName"},

    /* Defaulting (SPEC §5) and UPDATE rules (SPEC §7) */
    {"identity-pinned", KOPIA, DEFAULT,
     "a missing or empty username/hostname is pinned to the computed identity (RS; RD without "
     "sourceIdentity and without either part); an RD's unpinned empty part is removed"},
    {"identity-annotation", KOPIA, DEFAULT,
     "the effective identity is written to the annotation kopia-webhook.io/identity"},
    {"source-namespace-defaulted", RD, DEFAULT,
     "spec.kopia.sourceIdentity.sourceNamespace defaults to the object's namespace"},
    {"copymethod-defaulted", KOPIA, DEFAULT,
     "spec.kopia.copyMethod defaults to Direct, with a warning (Snapshot gives a point-in-time "
     "copy)"},
    {"policy-filenames-defaulted", KOPIA, DEFAULT,
     "policyConfig with a Secret or ConfigMap gets global-policy.json and repository.config as "
     "file names"},
    {"restoreasof-normalized", RD, DEFAULT,
     "spec.kopia.restoreAsOf with an offset or lower-case t/z is rewritten to UTC, with a "
     "warning"},
    {"identity-change-after-sync", KOPIA, WARN,
     "the effective identity changes after the first sync (a new snapshot history)"},
    {"identity-change-forbidden", KOPIA, DENY,
     "the effective identity changes after the first sync with tenancy.denyIdentityChange "
     "on"},
    {"source-path-change-after-sync", KOPIA, WARN,
     "sourcePathOverride changes after the first sync (a new snapshot history)"},
    {"source-path-change-forbidden", KOPIA, DENY,
     "sourcePathOverride changes after the first sync with tenancy.denyIdentityChange on"},
    {"repository-change-after-sync", KOPIA, WARN,
     "repository or repositoryPVC changes after the first sync (a new snapshot history)"},
    {"repository-change-forbidden", KOPIA, DENY,
     "repository or repositoryPVC changes after the first sync with "
     "tenancy.denyIdentityChange on"},
    {"compression-change-after-sync", RS, WARN,
     "compression changes after the first sync (existing data keeps its old compression)"},

    /* Policy JSON (SPEC §4.3, §6) */
    {"policy-too-large", KOPIA | POLICY, DENY,
     "an inline repositoryConfig or a policy file is larger than 1 MiB (1,048,576 bytes)"},
    {"policy-invalid-json", KOPIA | POLICY, DENY,
     "an inline repositoryConfig or a policy file is not valid JSON (RFC 8259), or a policy file "
     "is empty"},
    {"policy-not-object", KOPIA | POLICY, DENY,
     "an inline repositoryConfig or a policy file is a JSON array, not an object"},
    {"policy-field-type", KOPIA | POLICY, DENY,
     "a key the mover reads from policy JSON has the wrong JSON type"},
    {"policy-value-invalid", KOPIA | POLICY, DENY,
     "a key the mover reads from policy JSON is out of range (a negative count or speed)"},
    {"policy-unknown-key", KOPIA | POLICY, WARN,
     "policy JSON holds a key the policy schemas do not know (typo or unsupported setting)"},
    {"policy-key-ignored", KOPIA | POLICY, WARN,
     "policy JSON holds a documented key that the mover does not read"},
    {"repository-config-env-too-large", KOPIA, WARN,
     "the inline repositoryConfig exceeds what Linux accepts in one environment variable"},
    {"policy-base64-invalid", POLICY, DENY,
     "a policy file in Secret data or ConfigMap binaryData is not valid base64"},

    /* Admin policy (SPEC §8) */
    {KW_RULE_ADMIN_ACTIONS, RS, DENY, "tenancy.denyActions: spec.kopia.actions is refused"},
    {KW_RULE_ADMIN_HOSTNAME, KOPIA, DENY,
     "tenancy.denyForeignHostname: spec.kopia.hostname must equal the namespace"},
    {KW_RULE_ADMIN_SOURCE_NAMESPACE, RD, DENY,
     "tenancy.denyCrossNamespaceSource: sourceIdentity.sourceNamespace must be the own "
     "namespace or listed in tenancy.allowedSourceNamespaces"},
};

const size_t kw_nrules = sizeof(kw_rules) / sizeof(kw_rules[0]);

const struct kw_rule *kw_rule_find(const char *id)
{
    for (size_t i = 0; i < kw_nrules; i++)
        if (strcmp(kw_rules[i].id, id) == 0)
            return &kw_rules[i];
    return NULL;
}
