/* The rule table: every deny and warning rule with its stable id, the kinds it
 * applies to, its severity and a one-line summary, written once as an X-macro
 * list (KW_RULE_LIST) from which the enum of rule ids and kw_rules[] are
 * generated. Code names a rule only through the enum, so a misspelt rule is a
 * compile error; the schema files name rules by id and are resolved to the
 * enum when compiled (an unknown id fails the compile). docs/rules.md, metrics
 * and tests enumerate this same list (a test checks the doc against it). */
#ifndef KW_RULES_H
#define KW_RULES_H

#include <stddef.h>

#include "kw/base/kinds.h"

/* One bit per enum kw_kind. */
enum kw_kind_bit {
    KW_KB_RS = 1u << KW_KIND_RS,
    KW_KB_RD = 1u << KW_KIND_RD,
    KW_KB_KM = 1u << KW_KIND_KM,
    KW_KB_CONFIGMAP = 1u << KW_KIND_CONFIGMAP,
    KW_KB_SECRET = 1u << KW_KIND_SECRET,
};
#define KW_KB_KOPIA  (KW_KB_RS | KW_KB_RD)
#define KW_KB_POLICY (KW_KB_CONFIGMAP | KW_KB_SECRET)

enum kw_severity { KW_SEV_DENY, KW_SEV_WARN, KW_SEV_DEFAULT };

/* X(NAME, id, kinds, severity, summary): the enum constant is KW_RULE_NAME,
 * NAME being the id in upper case with '_' for '-' (a test checks it); the id
 * is stable and kebab-case; kinds is an enum kw_kind_bit mask; the summary is
 * one line for docs. Sections follow the spec: dispatch, spec.kopia schema
 * and cross-field rules, additionalArgs, warnings, defaulting and UPDATE
 * rules, policy JSON, admin policy. The order is the order of the metrics
 * series. */
#define KW_RULE_LIST(X)                                                                            \
    /* Dispatch */                                                                                 \
    X(OBJECT_DECODE, "object-decode", KW_KB_KOPIA | KW_KB_POLICY, KW_SEV_DENY,                     \
      "the object cannot be decoded into the expected shape (code 400)")                           \
    X(MOVER_REQUIRED, "mover-required", KW_KB_KOPIA, KW_SEV_DENY,                                  \
      "no replication method is set in spec")                                                      \
    X(MOVER_EXCLUSIVE, "mover-exclusive", KW_KB_KOPIA, KW_SEV_DENY,                                \
      "spec.kopia is set together with another mover")                                             \
    /* spec.kopia schema and cross-field rules */                                                  \
    X(FIELD_TYPE, "field-type", KW_KB_KOPIA, KW_SEV_DENY,                                          \
      "a field of spec.kopia, spec.trigger or spec.sourcePVC has the wrong JSON type")             \
    X(SOURCEPVC_REQUIRED, "sourcepvc-required", KW_KB_RS, KW_SEV_DENY,                             \
      "spec.sourcePVC is missing or empty")                                                        \
    X(SOURCEPVC_INVALID, "sourcepvc-invalid", KW_KB_RS, KW_SEV_DENY,                               \
      "spec.sourcePVC is not a DNS-1123 subdomain")                                                \
    X(TRIGGER_SCHEDULE_INVALID, "trigger-schedule-invalid", KW_KB_KOPIA, KW_SEV_DENY,              \
      "spec.trigger.schedule is not a 5-field cron expression or an @ macro")                      \
    X(COPYMETHOD_INVALID, "copymethod-invalid", KW_KB_KOPIA, KW_SEV_DENY,                          \
      "copyMethod is not Direct, None, Clone or Snapshot")                                         \
    X(COPYMETHOD_CLONE_DESTINATION, "copymethod-clone-destination", KW_KB_RD, KW_SEV_DENY,         \
      "a ReplicationDestination uses copyMethod: Clone")                                           \
    X(CAPACITY_INVALID, "capacity-invalid", KW_KB_KOPIA, KW_SEV_DENY,                              \
      "capacity is not a Kubernetes quantity greater than 0")                                      \
    X(CACHE_CAPACITY_INVALID, "cache-capacity-invalid", KW_KB_KOPIA, KW_SEV_DENY,                  \
      "cacheCapacity is not a Kubernetes quantity greater than 0")                                 \
    X(ACCESS_MODES_INVALID, "access-modes-invalid", KW_KB_KOPIA, KW_SEV_DENY,                      \
      "accessModes is empty or holds an unknown access mode")                                      \
    X(CACHE_ACCESS_MODES_INVALID, "cache-access-modes-invalid", KW_KB_KOPIA, KW_SEV_DENY,          \
      "cacheAccessModes is an empty list or holds an unknown access mode")                         \
    X(REPOSITORY_INVALID, "repository-invalid", KW_KB_KOPIA, KW_SEV_DENY,                          \
      "repository is not a DNS-1123 subdomain (a Secret name)")                                    \
    X(REPOSITORY_REQUIRED, "repository-required", KW_KB_KOPIA, KW_SEV_DENY,                        \
      "repository is missing (RS always; RD unless the operator can discover it)")                 \
    X(CUSTOMCA_INVALID, "customca-invalid", KW_KB_KOPIA, KW_SEV_DENY,                              \
      "a customCA name or key is not valid")                                                       \
    X(CUSTOMCA_EXCLUSIVE, "customca-exclusive", KW_KB_KOPIA, KW_SEV_DENY,                          \
      "customCA sets both secretName and configMapName")                                           \
    X(CUSTOMCA_KEY_REQUIRED, "customca-key-required", KW_KB_KOPIA, KW_SEV_DENY,                    \
      "customCA names a Secret or ConfigMap but no key")                                           \
    X(POLICYCONFIG_INVALID, "policyconfig-invalid", KW_KB_KOPIA, KW_SEV_DENY,                      \
      "policyConfig.secretName or configMapName is not a DNS-1123 subdomain")                      \
    X(POLICYCONFIG_FILENAME_INVALID, "policyconfig-filename-invalid", KW_KB_KOPIA, KW_SEV_DENY,    \
      "a policyConfig filename is not a valid ConfigMap key")                                      \
    X(POLICYCONFIG_EXCLUSIVE, "policyconfig-exclusive", KW_KB_KOPIA, KW_SEV_DENY,                  \
      "policyConfig sets both secretName and configMapName")                                       \
    X(RETAIN_INVALID, "retain-invalid", KW_KB_RS, KW_SEV_DENY, "a retain count is negative")       \
    X(PARALLELISM_INVALID, "parallelism-invalid", KW_KB_RS, KW_SEV_DENY,                           \
      "parallelism is negative (0 is Kopia's default)")                                            \
    X(MAINTENANCE_INTERVAL_INVALID, "maintenance-interval-invalid", KW_KB_RS, KW_SEV_DENY,         \
      "maintenanceIntervalDays is negative")                                                       \
    X(IDENTITY_INVALID, "identity-invalid", KW_KB_KOPIA, KW_SEV_DENY,                              \
      "username or hostname does not match the identity pattern")                                  \
    X(IDENTITY_ALL_OR_NOTHING, "identity-all-or-nothing", KW_KB_RD, KW_SEV_DENY,                   \
      "a ReplicationDestination sets only one of username and hostname")                           \
    X(SOURCE_PATH_OVERRIDE_INVALID, "source-path-override-invalid", KW_KB_KOPIA, KW_SEV_DENY,      \
      "a sourcePathOverride does not start with /")                                                \
    X(REPOSITORYPVC_INVALID, "repositorypvc-invalid", KW_KB_RS, KW_SEV_DENY,                       \
      "repositoryPVC is not a non-empty DNS-1123 subdomain")                                       \
    X(REPOSITORYPVC_ON_DESTINATION, "repositorypvc-on-destination", KW_KB_RD, KW_SEV_DENY,         \
      "a ReplicationDestination sets repositoryPVC")                                               \
    X(DESTINATIONPVC_INVALID, "destinationpvc-invalid", KW_KB_RD, KW_SEV_DENY,                     \
      "destinationPVC is not a DNS-1123 subdomain")                                                \
    X(DESTINATION_VOLUME_REQUIRED, "destination-volume-required", KW_KB_RD, KW_SEV_DENY,           \
      "a ReplicationDestination has neither destinationPVC nor both capacity and accessModes")     \
    X(RESTOREASOF_INVALID, "restoreasof-invalid", KW_KB_RD, KW_SEV_DENY,                           \
      "restoreAsOf is not an RFC 3339 date-time with a zone")                                      \
    X(PREVIOUS_INVALID, "previous-invalid", KW_KB_RD, KW_SEV_DENY, "previous is negative")         \
    X(SHALLOW_INVALID, "shallow-invalid", KW_KB_RD, KW_SEV_DENY, "shallow is negative")            \
    X(SOURCEIDENTITY_INVALID, "sourceidentity-invalid", KW_KB_RD, KW_SEV_DENY,                     \
      "a name in sourceIdentity is not valid")                                                     \
    X(MOVER_SERVICE_ACCOUNT_INVALID, "mover-service-account-invalid", KW_KB_KOPIA, KW_SEV_DENY,    \
      "moverServiceAccount is not a DNS-1123 subdomain")                                           \
    X(MOVER_POD_LABELS_INVALID, "mover-pod-labels-invalid", KW_KB_KOPIA, KW_SEV_DENY,              \
      "a moverPodLabels key or value is not a valid label")                                        \
    X(MOVER_RESOURCES_INVALID, "mover-resources-invalid", KW_KB_KOPIA, KW_SEV_DENY,                \
      "a moverResources request or limit is not a quantity >= 0")                                  \
    X(MOVER_RESOURCES_REQUEST_EXCEEDS_LIMIT, "mover-resources-request-exceeds-limit", KW_KB_KOPIA, \
      KW_SEV_DENY, "a moverResources request is greater than its limit")                           \
    /* additionalArgs */                                                                           \
    X(ADDITIONAL_ARGS_TOO_MANY, "additional-args-too-many", KW_KB_KOPIA, KW_SEV_DENY,              \
      "additionalArgs has more than 20 items")                                                     \
    X(ADDITIONAL_ARGS_FORBIDDEN, "additional-args-forbidden", KW_KB_KOPIA, KW_SEV_DENY,            \
      "additionalArgs passes a flag the mover sets itself or a credential flag")                   \
    X(ADDITIONAL_ARGS_EMPTY, "additional-args-empty", KW_KB_KOPIA, KW_SEV_WARN,                    \
      "an additionalArgs item is the empty string (the mover skips it)")                           \
    X(ADDITIONAL_ARGS_REPEATED, "additional-args-repeated", KW_KB_KOPIA, KW_SEV_DENY,              \
      "an additionalArgs item repeats a flag the mover already passes (Kopia refuses the "         \
      "command)")                                                                                  \
    X(ADDITIONAL_ARGS_CONNECT, "additional-args-connect", KW_KB_KOPIA, KW_SEV_WARN,                \
      "from operator 0.16, an additionalArgs item that kopia repository connect/create refuse")    \
    X(ADDITIONAL_ARGS_NEWLINE, "additional-args-newline", KW_KB_KOPIA, KW_SEV_DENY,                \
      "an additionalArgs item holds a newline or a NUL character")                                 \
    X(ADDITIONAL_ARGS_SEPARATOR, "additional-args-separator", KW_KB_KOPIA, KW_SEV_WARN,            \
      "an additionalArgs item holds a character the mover splits arguments on")                    \
    X(ADDITIONAL_ARGS_NATIVE_FIELD, "additional-args-native-field", KW_KB_RS, KW_SEV_WARN,         \
      "an additionalArgs item duplicates a native field (--parallel, --compression)")              \
    /* Warnings */                                                                                 \
    X(UNKNOWN_FIELD, "unknown-field", KW_KB_KOPIA, KW_SEV_WARN,                                    \
      "a field the schema does not know (stale spelling, typo or the other kind's field)")         \
    X(COMPRESSION_UNKNOWN, "compression-unknown", KW_KB_RS, KW_SEV_WARN,                           \
      "compression is not an algorithm Kopia registers")                                           \
    X(COMPRESSION_DEPRECATED, "compression-deprecated", KW_KB_RS, KW_SEV_WARN,                     \
      "compression is lz4 or zstd-best-compression")                                               \
    X(REPOSITORYPVC_EQUALS_SOURCEPVC, "repositorypvc-equals-sourcepvc", KW_KB_RS, KW_SEV_WARN,     \
      "repositoryPVC is the volume being backed up")                                               \
    X(DESTINATIONPVC_IGNORES_CAPACITY, "destinationpvc-ignores-capacity", KW_KB_RD, KW_SEV_WARN,   \
      "capacity/accessModes are set together with destinationPVC")                                 \
    X(CLEANUP_TEMP_PVC_NO_EFFECT, "cleanup-temp-pvc-no-effect", KW_KB_RD, KW_SEV_WARN,             \
      "cleanupTempPVC: true together with destinationPVC")                                         \
    X(IDENTITY_WITH_SOURCEIDENTITY, "identity-with-sourceidentity", KW_KB_RD, KW_SEV_WARN,         \
      "username/hostname set together with sourceIdentity")                                        \
    X(SOURCEPVCNAME_SET, "sourcepvcname-set", KW_KB_RD, KW_SEV_WARN,                               \
      "sourceIdentity.sourcePVCName is set")                                                       \
    X(IDENTITY_NOT_DEFAULT, "identity-not-default", KW_KB_KOPIA, KW_SEV_WARN,                      \
      "an explicit username/hostname differs from the operator's default for the object, which "   \
      "sourceIdentity restores look for")                                                          \
    X(NAMESPACE_DECIDES_IDENTITY, "namespace-decides-identity", KW_KB_KOPIA, KW_SEV_WARN,          \
      "the manifest names no namespace: the identity's hostname is the namespace it is applied "   \
      "to, pinned then")                                                                           \
    X(SOURCEIDENTITY_WITHOUT_SOURCENAME, "sourceidentity-without-sourcename", KW_KB_RD,            \
      KW_SEV_WARN, "sourceIdentity has no sourceName, so the operator ignores the block")          \
    X(SOURCEIDENTITY_PATH_IGNORED, "sourceidentity-path-ignored", KW_KB_RD, KW_SEV_WARN,           \
      "sourceIdentity.sourcePathOverride is ignored because username and hostname are set")        \
    X(DISCOVERY_CROSS_NAMESPACE, "discovery-cross-namespace", KW_KB_RD, KW_SEV_WARN,               \
      "repository is left to discovery from a ReplicationSource in another namespace")             \
    X(SHALLOW_ZERO, "shallow-zero", KW_KB_RD, KW_SEV_WARN, "shallow: 0 restores nothing")          \
    X(SHALLOW_WITH_RESTOREASOF, "shallow-with-restoreasof", KW_KB_RD, KW_SEV_WARN,                 \
      "shallow is ignored when restoreAsOf is set")                                                \
    X(ENABLE_FILE_DELETION, "enable-file-deletion", KW_KB_RD, KW_SEV_WARN,                         \
      "enableFileDeletion: true deletes files before restoring")                                   \
    X(RETAIN_WITHOUT_MAINTENANCE, "retain-without-maintenance", KW_KB_RS, KW_SEV_WARN,             \
      "retain is set: the space is freed only by Kopia maintenance, which a ReplicationSource "    \
      "never runs")                                                                                \
    X(RETAIN_WITH_SOURCE_PATH_OVERRIDE, "retain-with-source-path-override", KW_KB_RS, KW_SEV_WARN, \
      "retain with sourcePathOverride: retention is set on /data, never on the recorded path")     \
    X(MOVER_RUN_AS_NON_ROOT_WITHOUT_USER, "mover-run-as-non-root-without-user",                    \
      KW_KB_KOPIA | KW_KB_KM, KW_SEV_DENY,                                                         \
      "moverSecurityContext.runAsNonRoot: true without a non-zero runAsUser (the image runs as "   \
      "root)")                                                                                     \
    X(ACTIONS_PRESENT, "actions-present", KW_KB_RS, KW_SEV_WARN,                                   \
      "actions run shell commands with the repository credentials")                                \
    X(CACHE_CAPACITY_EMPTYDIR, "cache-capacity-emptydir", KW_KB_KOPIA, KW_SEV_WARN,                \
      "cacheCapacity alone gives an emptyDir cache, not a PVC")                                    \
    X(CACHE_WITHOUT_CAPACITY, "cache-without-capacity", KW_KB_KOPIA, KW_SEV_WARN,                  \
      "cacheStorageClassName/cacheAccessModes without cacheCapacity give a 1 GiB cache PVC")       \
    X(COPYMETHOD_NONE_DEPRECATED, "copymethod-none-deprecated", KW_KB_KOPIA, KW_SEV_WARN,          \
      "copyMethod: None is deprecated")                                                            \
    X(DEBUG_MOVER_ANNOTATION, "debug-mover-annotation", KW_KB_KOPIA, KW_SEV_WARN,                  \
      "the volsync.backube/enable-debug-mover annotation makes the mover sleep forever")           \
    X(POLICYCONFIG_FILENAME_WITHOUT_SOURCE, "policyconfig-filename-without-source", KW_KB_KOPIA,   \
      KW_SEV_WARN, "policyConfig filenames are set but neither secretName nor configMapName")      \
    /* Defaulting and UPDATE rules */                                                              \
    X(IDENTITY_PINNED, "identity-pinned", KW_KB_KOPIA, KW_SEV_DEFAULT,                             \
      "a missing or empty username/hostname is pinned to the computed identity (RS; RD without "   \
      "sourceIdentity and without either part); an unpinned empty part is removed")                \
    X(IDENTITY_UNPINNABLE, "identity-unpinnable", KW_KB_KOPIA, KW_SEV_WARN,                        \
      "the operator's username cannot be pinned (the CRD's pattern refuses it): nothing is "       \
      "pinned, the annotation holds it")                                                           \
    X(IDENTITY_ANNOTATION, "identity-annotation", KW_KB_KOPIA, KW_SEV_DEFAULT,                     \
      "the effective identity is written to the annotation kopia-webhook.io/identity")             \
    X(SOURCE_NAMESPACE_DEFAULTED, "source-namespace-defaulted", KW_KB_RD, KW_SEV_DEFAULT,          \
      "spec.kopia.sourceIdentity.sourceNamespace defaults to the object's namespace")              \
    X(COPYMETHOD_DEFAULTED, "copymethod-defaulted", KW_KB_KOPIA, KW_SEV_DEFAULT,                   \
      "spec.kopia.copyMethod defaults to Direct, with a warning (Snapshot gives a point-in-time "  \
      "copy)")                                                                                     \
    X(POLICY_FILENAMES_DEFAULTED, "policy-filenames-defaulted", KW_KB_KOPIA, KW_SEV_DEFAULT,       \
      "policyConfig with a Secret or ConfigMap gets global-policy.json and repository.config as "  \
      "file names")                                                                                \
    X(RESTOREASOF_NORMALIZED, "restoreasof-normalized", KW_KB_RD, KW_SEV_DEFAULT,                  \
      "spec.kopia.restoreAsOf with an offset or lower-case t/z is rewritten to UTC, with a "       \
      "warning")                                                                                   \
    X(IDENTITY_PINNED_AFTER_SYNC, "identity-pinned-after-sync", KW_KB_KOPIA, KW_SEV_WARN,          \
      "an UPDATE pins the identity of an object that has synced without one (earlier snapshots "   \
      "may be under another identity)")                                                            \
    X(IDENTITY_CHANGE_AFTER_SYNC, "identity-change-after-sync", KW_KB_KOPIA, KW_SEV_WARN,          \
      "the effective identity changes after the first sync (a new snapshot history)")              \
    X(IDENTITY_CHANGE_FORBIDDEN, "identity-change-forbidden", KW_KB_KOPIA, KW_SEV_DENY,            \
      "the effective identity changes after the first sync with tenancy.denyIdentityChange on")    \
    X(SOURCE_PATH_CHANGE_AFTER_SYNC, "source-path-change-after-sync", KW_KB_KOPIA, KW_SEV_WARN,    \
      "sourcePathOverride changes after the first sync (a new snapshot history)")                  \
    X(SOURCE_PATH_CHANGE_FORBIDDEN, "source-path-change-forbidden", KW_KB_KOPIA, KW_SEV_DENY,      \
      "sourcePathOverride changes after the first sync with tenancy.denyIdentityChange on")        \
    X(REPOSITORY_CHANGE_AFTER_SYNC, "repository-change-after-sync", KW_KB_KOPIA, KW_SEV_WARN,      \
      "repository or repositoryPVC changes after the first sync (a new snapshot history)")         \
    X(REPOSITORY_CHANGE_FORBIDDEN, "repository-change-forbidden", KW_KB_KOPIA, KW_SEV_DENY,        \
      "repository or repositoryPVC changes after the first sync with tenancy.denyIdentityChange "  \
      "on")                                                                                        \
    X(COMPRESSION_CHANGE_AFTER_SYNC, "compression-change-after-sync", KW_KB_RS, KW_SEV_WARN,       \
      "compression changes after the first sync (existing data keeps its old compression)")        \
    /* Policy JSON */                                                                              \
    X(POLICY_TOO_LARGE, "policy-too-large", KW_KB_KOPIA | KW_KB_POLICY, KW_SEV_DENY,               \
      "an inline repositoryConfig or a policy file is larger than 1 MiB (1,048,576 bytes)")        \
    X(POLICY_INVALID_JSON, "policy-invalid-json", KW_KB_KOPIA | KW_KB_POLICY, KW_SEV_DENY,         \
      "an inline repositoryConfig or a policy file is not valid JSON (RFC 8259), or a policy "     \
      "file is empty")                                                                             \
    X(POLICY_NOT_OBJECT, "policy-not-object", KW_KB_KOPIA | KW_KB_POLICY, KW_SEV_DENY,             \
      "an inline repositoryConfig or a policy file is a JSON array, not an object")                \
    X(POLICY_FIELD_TYPE, "policy-field-type", KW_KB_POLICY, KW_SEV_DENY,                           \
      "a key the mover reads from a policy file has the wrong JSON type")                          \
    X(POLICY_VALUE_INVALID, "policy-value-invalid", KW_KB_POLICY, KW_SEV_DENY,                     \
      "a key the mover reads from a policy file is out of range (a negative count or speed)")      \
    X(POLICY_UNKNOWN_KEY, "policy-unknown-key", KW_KB_POLICY, KW_SEV_WARN,                         \
      "a policy file holds a key the policy schemas do not know (typo or unsupported setting)")    \
    X(POLICY_KEY_IGNORED, "policy-key-ignored", KW_KB_POLICY, KW_SEV_WARN,                         \
      "a policy file holds a documented key that the mover does not read")                         \
    X(REPOSITORY_CONFIG_ENV_TOO_LARGE, "repository-config-env-too-large", KW_KB_KOPIA,             \
      KW_SEV_WARN,                                                                                 \
      "the inline repositoryConfig exceeds what Linux accepts in one environment variable")        \
    /* The inline repositoryConfig is a Kopia connection file (docs/operator.md c.2, d.1) */       \
    X(REPOSITORY_CONFIG_FIELD_TYPE, "repository-config-field-type", KW_KB_KOPIA, KW_SEV_WARN,      \
      "a key of Kopia's connection file has the wrong JSON type: Kopia cannot load it and the "    \
      "mover connects with the repository Secret")                                                 \
    X(REPOSITORY_CONFIG_UNKNOWN_KEY, "repository-config-unknown-key", KW_KB_KOPIA, KW_SEV_WARN,    \
      "the inline repositoryConfig holds a key Kopia's connection file does not have")             \
    X(REPOSITORY_CONFIG_NO_STORAGE, "repository-config-no-storage", KW_KB_KOPIA, KW_SEV_WARN,      \
      "the inline repositoryConfig has no usable storage {type, config}: it has no effect")        \
    X(REPOSITORY_CONFIG_IDENTITY, "repository-config-identity", KW_KB_KOPIA, KW_SEV_WARN,          \
      "the inline repositoryConfig connects with its own storage, bypassing the backup "           \
      "identity, cache settings and policy files")                                                 \
    X(REPOSITORY_CONFIG_KEY_IGNORED, "repository-config-key-ignored", KW_KB_KOPIA, KW_SEV_WARN,    \
      "a key of the inline repositoryConfig other than storage, which Kopia does not read there")  \
    X(REPOSITORY_CONFIG_CREDENTIALS, "repository-config-credentials", KW_KB_KOPIA, KW_SEV_WARN,    \
      "the inline repositoryConfig holds credentials in plain text")                               \
    X(POLICY_UPLOAD_SPEED, "policy-upload-speed", KW_KB_POLICY, KW_SEV_WARN,                       \
      "uploadSpeed in a repository config file makes every backup fail")                           \
    X(POLICY_BASE64_INVALID, "policy-base64-invalid", KW_KB_POLICY, KW_SEV_DENY,                   \
      "a policy file in Secret data or ConfigMap binaryData is not valid base64")                  \
    /* Operator versions, integer widths, KopiaMaintenance, moverVolumes (docs/operator.md b,      \
     * c.11, c.16) */                                                                              \
    X(INTEGER_OUT_OF_RANGE, "integer-out-of-range", KW_KB_KOPIA | KW_KB_KM, KW_SEV_DENY,           \
      "an integer the operator stores as int32 (or int64) is outside that range")                  \
    X(OPERATOR_VERSION_FIELD, "operator-version-field", KW_KB_KOPIA | KW_KB_KM, KW_SEV_WARN,       \
      "a field that the configured operatorVersion does not have is set")                          \
    X(OPERATOR_VERSION_KIND, "operator-version-kind", KW_KB_KM, KW_SEV_WARN,                       \
      "a KopiaMaintenance while operatorVersion is 0.15, which has no such kind")                  \
    X(MAINTENANCE_FIELD_INVALID, "maintenance-field-invalid", KW_KB_KM, KW_SEV_DENY,               \
      "a field of a KopiaMaintenance spec has the wrong type, format or range, or is missing")     \
    X(MAINTENANCE_UNKNOWN_FIELD, "maintenance-unknown-field", KW_KB_KM, KW_SEV_WARN,               \
      "a KopiaMaintenance spec holds a field no supported operator version has")                   \
    X(MAINTENANCE_SCHEDULE_INVALID, "maintenance-schedule-invalid", KW_KB_KM, KW_SEV_DENY,         \
      "a KopiaMaintenance schedule is not 5 cron fields (no @daily), or is set with a manual "     \
      "trigger")                                                                                   \
    X(MAINTENANCE_RESOURCES_INVALID, "maintenance-resources-invalid", KW_KB_KM, KW_SEV_DENY,       \
      "KopiaMaintenance resources break the operator's limits (positive, at most 100Gi and 32 "    \
      "CPUs, request within limit, known names)")                                                  \
    X(MOVER_VOLUMES_INVALID, "mover-volumes-invalid", KW_KB_KOPIA | KW_KB_KM, KW_SEV_DENY,         \
      "a moverVolumes item has a bad or repeated mountPath, or not exactly one volume source")     \
    X(MOVER_VOLUMES_REPOSITORY, "mover-volumes-repository", KW_KB_KOPIA, KW_SEV_WARN,              \
      "a PVC in moverVolumes replaces the repository location of the Secret")                      \
    /* Admin policy */                                                                             \
    X(ADMIN_DENY_ACTIONS, "admin-deny-actions", KW_KB_RS, KW_SEV_DENY,                             \
      "tenancy.denyActions: spec.kopia.actions is refused")                                        \
    X(ADMIN_HOSTNAME_IS_NAMESPACE, "admin-hostname-is-namespace", KW_KB_KOPIA, KW_SEV_DENY,        \
      "tenancy.denyForeignHostname: spec.kopia.hostname must equal the namespace")                 \
    X(ADMIN_SOURCE_NAMESPACE, "admin-source-namespace", KW_KB_RD, KW_SEV_DENY,                     \
      "tenancy.denyCrossNamespaceSource: sourceIdentity.sourceNamespace must be the own "          \
      "namespace or listed in tenancy.allowedSourceNamespaces")                                    \
    X(ADMIN_DENY_INLINE_REPOSITORY_CONFIG, "admin-deny-inline-repository-config", KW_KB_KOPIA,     \
      KW_SEV_DENY,                                                                                 \
      "tenancy.denyInlineRepositoryConfig: an inline repositoryConfig with storage is refused")    \
    /* Cross-object checks: only `check` sees the other objects (validators/kopia/crossref.c) */   \
    X(CROSSREF_SOURCE_MISSING, "crossref-source-missing", KW_KB_RD, KW_SEV_WARN,                   \
      "sourceIdentity names a ReplicationSource that the manifests lack although they cover its "  \
      "namespace or hold it in another namespace")                                                 \
    X(CROSSREF_IDENTITY_MISMATCH, "crossref-identity-mismatch", KW_KB_RD, KW_SEV_WARN,             \
      "the identity or path a restore looks for differs from what the named ReplicationSource in " \
      "the manifests backs up as")                                                                 \
    X(CROSSREF_REPOSITORY_SECRET, "crossref-repository-secret", KW_KB_KOPIA | KW_KB_KM,            \
      KW_SEV_WARN,                                                                                 \
      "the repository Secret in the manifests lacks KOPIA_REPOSITORY or KOPIA_PASSWORD")           \
    X(CROSSREF_POLICY_FILES, "crossref-policy-files", KW_KB_KOPIA, KW_SEV_WARN,                    \
      "the policyConfig ConfigMap/Secret in the manifests lacks the policy files it names")        \
    X(CROSSREF_CUSTOMCA_KEY, "crossref-customca-key", KW_KB_KOPIA | KW_KB_KM, KW_SEV_WARN,         \
      "the customCA ConfigMap/Secret in the manifests lacks the key")                              \
    X(CROSSREF_REFERENCE_ELSEWHERE, "crossref-reference-elsewhere", KW_KB_KOPIA | KW_KB_KM,        \
      KW_SEV_WARN,                                                                                 \
      "a referenced Secret/ConfigMap is not in the manifests, but one of that name is, of the "    \
      "other kind or in another namespace")

enum kw_rule_id {
#define KW_X_RULE_ENUM(name, id, kinds, severity, summary) KW_RULE_##name,
    KW_RULE_LIST(KW_X_RULE_ENUM)
#undef KW_X_RULE_ENUM
        KW_RULE_COUNT,
    /* No rule: a schema node that inherits its parent's, an id that is not in
     * the list. Never recorded in a kw_result. */
    KW_RULE_NONE = -1,
};

struct kw_rule {
    const char *id; /* stable, kebab-case: "mover-required" */
    unsigned kinds; /* enum kw_kind_bit mask */
    enum kw_severity severity;
    const char *summary; /* one line for docs */
};

/* Indexed by enum kw_rule_id. */
extern const struct kw_rule kw_rules[KW_RULE_COUNT];

/* The rule's id ("mover-required") for output; "" for a value outside the
 * list (KW_RULE_NONE). Static. */
const char *kw_rule_id_string(enum kw_rule_id rule);

/* The rule whose id is `id`; KW_RULE_NONE when unknown or NULL. */
enum kw_rule_id kw_rule_find(const char *id);

#endif
