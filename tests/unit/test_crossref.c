/* The cross-object checks of a set of manifests (validators/kopia/crossref.c):
 * each check warns when the other object is in the set and wrong, is silent
 * when it is right, and is silent when the other object is not in the set
 * (a SealedSecret, an ExternalSecret, another repository), except for the
 * same name of the other kind or in another namespace. Secret values never
 * reach a message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/json/util.h"
#include "kw/json/yaml.h"
#include "kw/kopia/crossref.h"

#include "kwtest.h"

#define MAX_OBJECTS 16

/* The warnings of each object of a YAML stream, one string per object:
 * "rule-id: text\n" per warning. */
struct outcome {
    size_t n;
    char *warnings[MAX_OBJECTS];
};

static void outcome_free(struct outcome *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->warnings[i]);
}

static struct outcome run(const char *yaml)
{
    struct kw_yaml_error err;
    json_t *docs = kw_yaml_load_all(yaml, strlen(yaml), &err);
    cr_assert(docs, "%s", err.text);
    struct outcome out = {.n = json_array_size(docs)};
    cr_assert(out.n <= MAX_OBJECTS);
    struct kw_crossref_object objs[MAX_OBJECTS];
    struct kw_result res[MAX_OBJECTS];
    for (size_t i = 0; i < out.n; i++) {
        json_t *o = json_array_get(docs, i);
        const char *api = kw_obj_str(o, "apiVersion");
        const char *kind = kw_obj_str(o, "kind");
        json_t *meta = kw_obj_get(o, "metadata");
        const char *ns = kw_obj_str(meta, "namespace");
        const char *name = kw_obj_str(meta, "name");
        objs[i] = (struct kw_crossref_object){
            /* no apiVersion, as in docs/rules.md: a VolSync kind */
            .kind = kw_kind_of(api && !strchr(api, '/') ? "" : "volsync.backube", kind),
            .kind_name = kind,
            .namespace = ns ? ns : "default",
            .name = name ? name : "",
            .object = o,
        };
        kw_result_init(&res[i]);
    }
    kw_crossref_check(objs, out.n, res);
    for (size_t i = 0; i < out.n; i++) {
        cr_assert(!res[i].out_of_memory);
        cr_assert_eq(res[i].ncauses, 0, "cross-object checks never deny");
        size_t len = 1;
        for (size_t w = 0; w < res[i].nwarnings; w++)
            len += strlen(res[i].warnings[w].text) + 64;
        out.warnings[i] = calloc(1, len);
        for (size_t w = 0; w < res[i].nwarnings; w++) {
            char *end = out.warnings[i] + strlen(out.warnings[i]);
            snprintf(end, len - (size_t)(end - out.warnings[i]), "%s: %s\n",
                     kw_rule_id_string(res[i].warnings[w].rule_id), res[i].warnings[w].text);
        }
        kw_result_free(&res[i]);
    }
    json_decref(docs);
    return out;
}

/* Object `i` of `yaml` gets exactly `want` ("" for nothing); every other
 * object gets nothing. */
static void expect(const char *yaml, size_t i, const char *want)
{
    struct outcome out = run(yaml);
    cr_assert_lt(i, out.n);
    for (size_t k = 0; k < out.n; k++)
        cr_expect_str_eq(out.warnings[k], k == i ? want : "", "object %zu of:\n%s", k, yaml);
    outcome_free(&out);
}

#define RS_HEAD                                                                                    \
    "apiVersion: volsync.backube/v1alpha1\nkind: ReplicationSource\n"                              \
    "metadata: {name: app-backup, namespace: prod}\n"
#define RD_HEAD                                                                                    \
    "apiVersion: volsync.backube/v1alpha1\nkind: ReplicationDestination\n"                         \
    "metadata: {name: app-restore, namespace: prod}\n"
#define KM_HEAD                                                                                    \
    "apiVersion: volsync.backube/v1alpha1\nkind: KopiaMaintenance\n"                               \
    "metadata: {name: maint, namespace: prod}\n"
#define RS_PLAIN RS_HEAD "spec: {sourcePVC: data, kopia: {repository: kopia-config}}\n"
#define SECRET_OK                                                                                  \
    "---\napiVersion: v1\nkind: Secret\nmetadata: {name: kopia-config, namespace: prod}\n"         \
    "data: {KOPIA_REPOSITORY: czM6Ly9i, KOPIA_PASSWORD: cHc=}\n"

/* ---- repository Secret ---- */

Test(crossref, repository_secret_without_password_warns_naming_the_secret)
{
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: kopia-config, namespace: prod}\n"
                    "stringData: {KOPIA_REPOSITORY: s3://bucket}\n",
           0,
           "crossref-repository-secret: spec.kopia.repository: Secret prod/kopia-config in the "
           "manifests has no KOPIA_PASSWORD; the operator requires both keys and stops every sync "
           "without them\n");
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: kopia-config, namespace: prod}\n"
                    "data: {KOPIA_PASSWORD: cHc=, KOPIA_REPOSITORY: null}\n",
           0,
           "crossref-repository-secret: spec.kopia.repository: Secret prod/kopia-config in the "
           "manifests has no KOPIA_REPOSITORY; the operator requires both keys and stops every "
           "sync without them\n");
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: kopia-config, namespace: prod}\ntype: Opaque\n",
           0,
           "crossref-repository-secret: spec.kopia.repository: Secret prod/kopia-config in the "
           "manifests has neither KOPIA_REPOSITORY nor KOPIA_PASSWORD; the operator requires both "
           "keys and stops every sync without them\n");
}

Test(crossref, repository_secret_with_both_keys_or_absent_is_silent)
{
    expect(RS_PLAIN SECRET_OK, 0, "");
    /* data and stringData together, as the API server merges them */
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: kopia-config, namespace: prod}\n"
                    "data: {KOPIA_REPOSITORY: czM6Ly9i}\nstringData: {KOPIA_PASSWORD: pw}\n",
           0, "");
    /* not in the manifests at all: made by a controller, or elsewhere */
    expect(RS_PLAIN, 0, "");
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: other, namespace: prod}\ndata: {}\n",
           0, "");
}

Test(crossref, repository_volume_still_needs_the_key)
{
    expect(RS_HEAD "spec:\n  sourcePVC: data\n  kopia: {repository: kopia-config, repositoryPVC: "
                   "repo}\n"
                   "---\napiVersion: v1\nkind: Secret\n"
                   "metadata: {name: kopia-config, namespace: prod}\n"
                   "stringData: {KOPIA_PASSWORD: pw}\n",
           0,
           "crossref-repository-secret: spec.kopia.repository: Secret prod/kopia-config in the "
           "manifests has no KOPIA_REPOSITORY; the operator requires both keys and stops every "
           "sync without them (it requires KOPIA_REPOSITORY although spec.kopia.repositoryPVC "
           "replaces its value)\n");
    expect(RS_HEAD
           "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
           "    moverVolumes:\n    - {mountPath: cfg, volumeSource: {secret: {secretName: "
           "x}}}\n"
           "    - {mountPath: repo, volumeSource: {persistentVolumeClaim: {claimName: r}}}\n"
           "---\napiVersion: v1\nkind: Secret\n"
           "metadata: {name: kopia-config, namespace: prod}\n"
           "stringData: {KOPIA_PASSWORD: pw}\n",
           0,
           "crossref-repository-secret: spec.kopia.repository: Secret prod/kopia-config in the "
           "manifests has no KOPIA_REPOSITORY; the operator requires both keys and stops every "
           "sync without them (it requires KOPIA_REPOSITORY although spec.kopia.moverVolumes[1] "
           "replaces its value)\n");
}

Test(crossref, kopia_maintenance_repository_secret)
{
    const char *km = KM_HEAD "spec: {repository: {repository: kopia-config}}\n"
                             "---\napiVersion: v1\nkind: Secret\n"
                             "metadata: {name: kopia-config, namespace: prod}\n"
                             "stringData: {KOPIA_REPOSITORY: s3://b}\n";
    expect(km, 0,
           "crossref-repository-secret: spec.repository.repository: Secret prod/kopia-config in "
           "the manifests has no KOPIA_PASSWORD; the maintenance Job connects with these keys and "
           "fails without them\n");
    expect(KM_HEAD "spec: {repository: {repository: kopia-config}}\n" SECRET_OK, 0, "");
    /* a PVC in moverVolumes is the repository of a KopiaMaintenance */
    expect(KM_HEAD "spec:\n  repository: {repository: kopia-config}\n  moverVolumes:\n"
                   "  - {mountPath: repo, volumeSource: {persistentVolumeClaim: {claimName: r}}}\n"
                   "---\napiVersion: v1\nkind: Secret\n"
                   "metadata: {name: kopia-config, namespace: prod}\n"
                   "stringData: {KOPIA_PASSWORD: pw}\n",
           0, "");
}

/* ---- not in the set, but something of that name is ---- */

Test(crossref, same_name_of_the_other_kind_warns)
{
    expect(RS_PLAIN "---\napiVersion: v1\nkind: ConfigMap\n"
                    "metadata: {name: kopia-config, namespace: prod}\n"
                    "data: {KOPIA_REPOSITORY: s3://b}\n",
           0,
           "crossref-reference-elsewhere: spec.kopia.repository: no Secret prod/kopia-config in "
           "the manifests, but ConfigMap prod/kopia-config is; the operator reads a Secret\n");
}

Test(crossref, same_name_in_another_namespace_warns)
{
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: kopia-config}\ndata: {}\n",
           0,
           "crossref-reference-elsewhere: spec.kopia.repository: no Secret prod/kopia-config in "
           "the manifests, but Secret default/kopia-config is, in another namespace; the operator "
           "reads it from the object's own namespace\n");
}

Test(crossref, a_generator_of_that_name_silences_the_reference_warning)
{
    const char *elsewhere = "---\napiVersion: v1\nkind: Secret\n"
                            "metadata: {name: kopia-config, namespace: staging}\ndata: {}\n";
    char yaml[2048];
    snprintf(yaml, sizeof(yaml),
             "%s%s---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
             "metadata: {name: kopia-config, namespace: prod}\n"
             "spec: {encryptedData: {KOPIA_PASSWORD: AgB}}\n",
             RS_PLAIN, elsewhere);
    expect(yaml, 0, "");
    snprintf(yaml, sizeof(yaml),
             "%s%s---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n"
             "metadata: {name: kopia, namespace: prod}\n"
             "spec: {target: {name: kopia-config}}\n",
             RS_PLAIN, elsewhere);
    expect(yaml, 0, "");
    /* a generator in another namespace does not count */
    snprintf(yaml, sizeof(yaml),
             "%s%s---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
             "metadata: {name: kopia-config, namespace: staging}\n",
             RS_PLAIN, elsewhere);
    struct outcome out = run(yaml);
    cr_expect(strstr(out.warnings[0], "crossref-reference-elsewhere"), "%s", out.warnings[0]);
    outcome_free(&out);
}

/* ---- policyConfig files ---- */

#define RS_POLICY(extra)                                                                           \
    RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"                   \
            "    policyConfig: {configMapName: kopia-policy" extra "}\n"

Test(crossref, policy_source_without_any_named_file_warns)
{
    expect(RS_POLICY(", globalPolicyFilename: global-policy.json, repositoryConfigFilename: "
                     "repository.config") "---\napiVersion: v1\nkind: ConfigMap\n"
                                          "metadata: {name: kopia-policy, namespace: prod}\n"
                                          "data: {policy.json: \"{}\"}\n",
           0,
           "crossref-policy-files: spec.kopia.policyConfig.configMapName: ConfigMap "
           "prod/kopia-policy in the manifests holds neither \"global-policy.json\" nor "
           "\"repository.config\"; the mover finds no policy file and applies none\n");
}

Test(crossref, policy_file_with_a_chosen_name_missing_warns)
{
    expect(RS_POLICY(", globalPolicyFilename: global.json") "---\napiVersion: v1\nkind: ConfigMap\n"
                                                            "metadata: {name: kopia-policy, "
                                                            "namespace: prod}\n"
                                                            "data: {repository.config: \"{}\"}\n",
           0,
           "crossref-policy-files: spec.kopia.policyConfig.globalPolicyFilename: ConfigMap "
           "prod/kopia-policy in the manifests has no key \"global.json\"; the mover finds no "
           "such file and skips it\n");
}

Test(crossref, policy_files_present_or_default_one_missing_is_silent)
{
    /* only the global policy, default names: a choice, not a slip */
    expect(RS_POLICY("") "---\napiVersion: v1\nkind: ConfigMap\n"
                         "metadata: {name: kopia-policy, namespace: prod}\n"
                         "data: {global-policy.json: \"{}\"}\n",
           0, "");
    /* binaryData is mounted as files too */
    expect(RS_POLICY("") "---\napiVersion: v1\nkind: ConfigMap\n"
                         "metadata: {name: kopia-policy, namespace: prod}\n"
                         "binaryData: {repository.config: e30=}\n",
           0, "");
    /* a Secret source with stringData */
    expect(RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                   "    policyConfig: {secretName: kopia-policy}\n"
                   "---\napiVersion: v1\nkind: Secret\n"
                   "metadata: {name: kopia-policy, namespace: prod}\n"
                   "stringData: {repository.config: \"{}\"}\n",
           0, "");
    expect(RS_POLICY(", globalPolicyFilename: global.json"), 0, "");
}

/* ---- customCA ---- */

Test(crossref, customca_key_missing_warns)
{
    expect(RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                   "    customCA: {secretName: ca, key: ca.crt}\n"
                   "---\napiVersion: v1\nkind: Secret\nmetadata: {name: ca, namespace: prod}\n"
                   "data: {tls.crt: eA==}\n",
           0,
           "crossref-customca-key: spec.kopia.customCA.key: Secret prod/ca in the manifests has "
           "no key \"ca.crt\"; the operator stops every sync until it does\n");
    expect(KM_HEAD "spec:\n  repository:\n    repository: kopia-config\n"
                   "    customCA: {configMapName: ca, key: ca.crt}\n"
                   "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: prod}\n"
                   "data: {tls.crt: x}\n",
           0,
           "crossref-customca-key: spec.repository.customCA.key: ConfigMap prod/ca in the "
           "manifests has no key \"ca.crt\"; the maintenance pod cannot mount it and never "
           "starts\n");
}

Test(crossref, customca_key_in_binary_data_is_not_read_by_the_operator)
{
    const char *cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: prod}\n"
                     "binaryData: {ca.crt: eA==}\n";
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                     "    customCA: {configMapName: ca, key: ca.crt}\n%s",
             cm);
    expect(
        yaml, 0,
        "crossref-customca-key: spec.kopia.customCA.key: ConfigMap prod/ca in the manifests "
        "has \"ca.crt\" only in binaryData, which the operator does not read; move it to data\n");
    /* a KopiaMaintenance mounts it as a volume, which projects binaryData */
    snprintf(yaml, sizeof(yaml),
             KM_HEAD "spec:\n  repository:\n    repository: kopia-config\n"
                     "    customCA: {configMapName: ca, key: ca.crt}\n%s",
             cm);
    expect(yaml, 0, "");
}

Test(crossref, customca_present_absent_or_unused_is_silent)
{
    expect(RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                   "    customCA: {configMapName: ca, key: ca.crt}\n"
                   "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: prod}\n"
                   "data: {ca.crt: x}\n",
           0, "");
    expect(RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                   "    customCA: {configMapName: ca, key: ca.crt}\n",
           0, "");
    /* no key: the operator uses no CA at all (customca-key-required says so) */
    expect(RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                   "    customCA: {configMapName: ca}\n"
                   "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: prod}\n"
                   "data: {other: x}\n",
           0, "");
}

/* ---- sourceIdentity ---- */

#define RD_FROM(si)                                                                                \
    RD_HEAD "spec:\n  kopia:\n    repository: kopia-config\n    destinationPVC: restored\n"        \
            "    sourceIdentity: " si "\n"

Test(crossref, source_not_in_the_set_is_silent)
{
    expect(RD_FROM("{sourceName: app-backup}"), 0, "");
    /* a ReplicationSource in another namespace of another name says nothing */
    expect(RD_FROM("{sourceName: app-backup}") "---\napiVersion: volsync.backube/v1alpha1\n"
                                               "kind: ReplicationSource\n"
                                               "metadata: {name: db, namespace: staging}\n"
                                               "spec: {sourcePVC: d, kopia: {repository: k}}\n",
           0, "");
}

Test(crossref, source_of_that_name_in_another_namespace_warns)
{
    expect(RD_FROM("{sourceName: app-backup}") "---\napiVersion: volsync.backube/v1alpha1\n"
                                               "kind: ReplicationSource\n"
                                               "metadata: {name: app-backup, namespace: "
                                               "production}\n"
                                               "spec: {sourcePVC: d, kopia: {repository: k}}\n",
           0,
           "crossref-source-missing: spec.kopia.sourceIdentity.sourceNamespace: no "
           "ReplicationSource prod/app-backup in the manifests, but ReplicationSource "
           "production/app-backup is, in another namespace; set sourceNamespace to restore its "
           "snapshots\n");
}

Test(crossref, source_missing_from_a_namespace_the_set_covers_warns)
{
    expect(RD_FROM("{sourceName: app-bakup}") "---\n" RS_PLAIN, 0,
           "crossref-source-missing: spec.kopia.sourceIdentity.sourceName: no ReplicationSource "
           "prod/app-bakup in the manifests, which hold ReplicationSource prod/app-backup in that "
           "namespace; check the name, or the restore finds no snapshots\n");
}

Test(crossref, identities_that_match_are_silent)
{
    expect(RD_FROM("{sourceName: app-backup}") "---\n" RS_PLAIN, 0, "");
    /* pinned to the operator's own values, as the mutating webhook does */
    expect(
        RD_FROM("{sourceName: app-backup, sourceNamespace: prod}") "---\n" RS_HEAD
                                                                   "spec: {sourcePVC: d, kopia: "
                                                                   "{repository: k, username: "
                                                                   "app-backup, hostname: prod}}\n",
        0, "");
    /* a sourceIdentity without sourceName is ignored by the operator */
    expect(RD_FROM("{sourceNamespace: prod}") "---\n" RS_PLAIN, 0, "");
}

Test(crossref, source_with_its_own_identity_warns_on_the_destination)
{
    expect(RD_FROM("{sourceName: app-backup}") "---\n" RS_HEAD
                                               "spec: {sourcePVC: d, kopia: {repository: k, "
                                               "username: custom, hostname: prod}}\n",
           0,
           "crossref-identity-mismatch: spec.kopia.sourceIdentity.sourceName: this restore looks "
           "for snapshots of \"app-backup@prod\", but ReplicationSource prod/app-backup in the "
           "manifests backs up as \"custom@prod\"; the restore will find none of them\n");
    /* an explicit identity on the destination is compared as well */
    expect(RD_HEAD "spec:\n  kopia:\n    repository: kopia-config\n    destinationPVC: r\n"
                   "    username: app\n    hostname: prod\n"
                   "    sourceIdentity: {sourceName: app-backup}\n"
                   "---\n" RS_PLAIN,
           0,
           "crossref-identity-mismatch: spec.kopia.username: this restore looks for snapshots of "
           "\"app@prod\", but ReplicationSource prod/app-backup in the manifests backs up as "
           "\"app-backup@prod\"; the restore will find none of them\n");
}

Test(crossref, restore_path_against_the_source_path)
{
    const char *rs =
        "---\n" RS_HEAD "spec: {sourcePVC: d, kopia: {repository: k, sourcePathOverride: /srv}}\n";
    char yaml[2048];
    /* discovered: the source's own path */
    snprintf(yaml, sizeof(yaml), "%s%s", RD_FROM("{sourceName: app-backup}"), rs);
    expect(yaml, 0, "");
    snprintf(yaml, sizeof(yaml), "%s%s",
             RD_FROM("{sourceName: app-backup, sourcePathOverride: /srv}"), rs);
    expect(yaml, 0, "");
    snprintf(yaml, sizeof(yaml), "%s%s",
             RD_FROM("{sourceName: app-backup, sourcePathOverride: /var}"), rs);
    expect(yaml, 0,
           "crossref-identity-mismatch: spec.kopia.sourceIdentity.sourcePathOverride: this "
           "restore looks for snapshots of the path \"/var\", but ReplicationSource "
           "prod/app-backup in the manifests records them under \"/srv\"; the restore will find "
           "none of them\n");
    /* sourcePVCName turns discovery off: the restore looks for /data */
    snprintf(yaml, sizeof(yaml), "%s%s", RD_FROM("{sourceName: app-backup, sourcePVCName: d}"), rs);
    expect(yaml, 0,
           "crossref-identity-mismatch: spec.kopia.sourceIdentity.sourcePVCName: this restore "
           "looks for snapshots of the path \"/data\", but ReplicationSource prod/app-backup in "
           "the manifests records them under \"/srv\"; the restore will find none of them\n");
}

Test(crossref, discovered_repository_secret_is_read_in_the_destination_namespace)
{
    const char *rd = RD_HEAD "spec:\n  kopia:\n    destinationPVC: r\n"
                             "    sourceIdentity: {sourceName: app-backup}\n"
                             "---\n" RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                             "metadata: {name: kopia-config, namespace: prod}\n"
                             "stringData: {KOPIA_REPOSITORY: s3://b}\n";
    struct outcome out = run(rd);
    cr_expect_str_eq(out.warnings[0],
                     "crossref-repository-secret: spec.kopia.repository: Secret "
                     "prod/kopia-config in the manifests (the repository of ReplicationSource "
                     "prod/app-backup, found by discovery) has no KOPIA_PASSWORD; the operator "
                     "requires both keys and stops every sync without them\n");
    cr_expect(strstr(out.warnings[1], "has no KOPIA_PASSWORD"), "%s", out.warnings[1]);
    outcome_free(&out);
}

/* ---- what is never said ---- */

Test(crossref, secret_values_never_reach_a_message)
{
    const char *marker = "UNIQUECROSSREFMARKER7";
    char yaml[4096];
    snprintf(yaml, sizeof(yaml),
             RS_HEAD "spec:\n  sourcePVC: data\n  kopia:\n    repository: kopia-config\n"
                     "    policyConfig: {secretName: pol, globalPolicyFilename: g.json}\n"
                     "    customCA: {secretName: ca, key: ca.crt}\n"
                     "---\napiVersion: v1\nkind: Secret\n"
                     "metadata: {name: kopia-config, namespace: prod}\n"
                     "stringData: {KOPIA_REPOSITORY: \"s3://%s\"}\n"
                     "---\napiVersion: v1\nkind: Secret\nmetadata: {name: pol, namespace: prod}\n"
                     "stringData: {repository.config: \"%s\"}\n"
                     "---\napiVersion: v1\nkind: Secret\nmetadata: {name: ca, namespace: prod}\n"
                     "stringData: {other: \"%s\"}\n",
             marker, marker, marker);
    struct outcome out = run(yaml);
    cr_expect(strstr(out.warnings[0], "crossref-repository-secret"), "%s", out.warnings[0]);
    cr_expect(strstr(out.warnings[0], "crossref-policy-files"), "%s", out.warnings[0]);
    cr_expect(strstr(out.warnings[0], "crossref-customca-key"), "%s", out.warnings[0]);
    for (size_t i = 0; i < out.n; i++)
        cr_expect(!strstr(out.warnings[i], marker), "%s", out.warnings[i]);
    outcome_free(&out);
}

Test(crossref, odd_names_are_quoted_and_unnamed_objects_skipped)
{
    expect(RS_PLAIN "---\napiVersion: v1\nkind: Secret\n"
                    "metadata: {name: kopia-config, namespace: \"we ird\"}\ndata: {}\n",
           0,
           "crossref-reference-elsewhere: spec.kopia.repository: no Secret prod/kopia-config in "
           "the manifests, but Secret \"we ird/kopia-config\" is, in another namespace; the "
           "operator reads it from the object's own namespace\n");
    /* generateName: nothing to look up from */
    expect("apiVersion: volsync.backube/v1alpha1\nkind: ReplicationSource\n"
           "metadata: {generateName: app-, namespace: prod}\n"
           "spec: {sourcePVC: data, kopia: {repository: kopia-config}}\n"
           "---\napiVersion: v1\nkind: Secret\nmetadata: {name: kopia-config, namespace: prod}\n",
           0, "");
}

Test(crossref, an_object_known_only_by_name_is_skipped)
{
    struct kw_crossref_object objs[1] = {
        {.kind = KW_KIND_RS, .kind_name = "ReplicationSource", .namespace = "prod", .name = "a"}};
    struct kw_result res[1];
    kw_result_init(&res[0]);
    kw_crossref_check(objs, 1, res);
    cr_expect_eq(res[0].nwarnings, 0);
    kw_result_free(&res[0]);
    kw_crossref_check(NULL, 0, NULL);
}

/* ---- docs/rules.md ---- */

/* The text of the block fenced with `open` in [from, limit), malloc'd. */
static char *block(const char *from, const char *limit, const char *open)
{
    const char *s = strstr(from, open);
    if (!s || (limit && s > limit))
        return NULL;
    s += strlen(open);
    const char *e = strstr(s, "\n```");
    cr_assert(e);
    return strndup(s, (size_t)(e - s) + 1);
}

/* Every crossref-* section of docs/rules.md has a set of manifests whose
 * first object gets exactly the documented warning under that id. */
Test(crossref, every_documented_example_gives_its_documented_warning)
{
    char *doc = kwt_read_source("docs/rules.md", NULL);
    size_t checked = 0;
    for (const char *p = doc; (p = strstr(p, "\n### `crossref-"));) {
        p += 6;
        const char *tick = strchr(p, '`');
        char id[64];
        snprintf(id, sizeof(id), "%.*s", (int)(tick - p), p);
        const char *next = strstr(tick, "\n### `");
        char *set = block(tick, next, "```yaml set\n");
        char *msg = block(tick, next, "```text warning\n");
        cr_assert(set && msg, "%s: no example set or warning", id);
        char want[2048];
        snprintf(want, sizeof(want), "%s: %s", id, msg);
        struct outcome out = run(set);
        cr_expect_str_eq(out.warnings[0], want, "%s", id);
        outcome_free(&out);
        free(set);
        free(msg);
        checked++;
    }
    cr_expect_eq(checked, 6);
    free(doc);
}
