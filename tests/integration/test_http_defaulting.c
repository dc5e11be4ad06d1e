/* Defaulting through the real HTTPS server: each patch case is sent
 * to /mutate, the patch is decoded and applied to the request object, the
 * patched object must then be allowed by /validate and get no further patch
 * from /mutate (idempotence). Also the UPDATE warnings, a username the CRD
 * refuses (annotated, not pinned), and the name-namespace identity scheme
 * chosen in a config file. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_pointer.h"
#include "kw/json/patch.h"
#include "kwtest.h"

static struct kwt_server server;
static CURL *curl;

static void start_with(const char *const *args)
{
    cr_assert_eq(kwt_server_start(&server, args), 0, "server did not start");
    curl = kwt_curl(&server);
}

static void stop(void)
{
    curl_easy_cleanup(curl);
    kwt_server_finish(&server);
}

static void start_default(void)
{
    start_with(NULL);
}

/* Wraps an object in a v1 AdmissionReview (CREATE, or UPDATE with old). */
static char *review_for(const json_t *object, const json_t *old, const char *kind)
{
    const char *ns =
        json_string_value(json_object_get(json_object_get(object, "metadata"), "namespace"));
    const char *name =
        json_string_value(json_object_get(json_object_get(object, "metadata"), "name"));
    json_t *request = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:O}", "uid", "it-1",
                                "kind", "group", "volsync.backube", "version", "v1alpha1", "kind",
                                kind, "operation", old ? "UPDATE" : "CREATE", "namespace",
                                ns ? ns : "", "name", name ? name : "", "object", object);
    if (old)
        json_object_set(request, "oldObject", (json_t *)old);
    json_t *review = json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                               "AdmissionReview", "request", request);
    char *text = json_dumps(review, JSON_COMPACT);
    json_decref(review);
    return text;
}

/* POSTs and returns the decoded response object (new reference). */
static json_t *post(const char *path, const char *body)
{
    struct kwt_response r;
    cr_assert_eq(kwt_post(curl, &server, path, "application/json", body, strlen(body), &r),
                 CURLE_OK);
    cr_assert_eq(r.status, 200, "%s: HTTP %ld %s", path, r.status, r.body);
    json_t *doc = json_loads(r.body, 0, NULL);
    cr_assert(doc, "not JSON: %s", r.body);
    kwt_response_free(&r);
    json_t *response = json_incref(json_object_get(doc, "response"));
    json_decref(doc);
    return response;
}

static json_t *decode_patch(const json_t *response)
{
    const char *b64 = json_string_value(json_object_get(response, "patch"));
    if (!b64)
        return NULL;
    cr_assert_str_eq(json_string_value(json_object_get(response, "patchType")), "JSONPatch");
    size_t n = strlen(b64);
    unsigned char *raw = malloc(n + 1);
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    cr_assert_geq(len, 0);
    while (n > 0 && b64[n - 1] == '=')
        len--, n--;
    json_t *patch = json_loadb((const char *)raw, (size_t)len, 0, NULL);
    free(raw);
    cr_assert(json_is_array(patch));
    return patch;
}

/* Mutates over HTTPS, applies the patch, validates and re-mutates the
 * result; returns the patched object (new reference). */
static json_t *mutate_round_trip(const char *kind, const char *object_json)
{
    json_t *object = json_loads(object_json, 0, NULL);
    cr_assert(object, "bad test object %s", object_json);
    char *body = review_for(object, NULL, kind);
    json_t *response = post("/mutate", body);
    free(body);
    cr_assert(json_is_true(json_object_get(response, "allowed")));
    json_t *patch = decode_patch(response);
    json_decref(response);
    if (patch) {
        char err[256];
        cr_assert_eq(kw_patch_apply(object, patch, err, sizeof(err)), 0, "patch: %s", err);
        json_decref(patch);
    }
    body = review_for(object, NULL, kind);
    response = post("/validate", body);
    cr_assert(json_is_true(json_object_get(response, "allowed")), "patched object denied: %s",
              json_string_value(json_object_get(json_object_get(response, "status"), "message")));
    json_decref(response);
    response = post("/mutate", body);
    cr_assert_null(json_object_get(response, "patch"), "mutating twice patched again");
    json_decref(response);
    free(body);
    return object;
}

static const char *str_at(json_t *object, const char *pointer)
{
    return json_string_value(kwt_pointer_get(object, pointer));
}

#define RS_BASE                                                                                    \
    "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\","                 \
    "\"metadata\":{\"name\":\"mydata-backup\",\"namespace\":\"production\"%s},"                    \
    "\"spec\":{\"sourcePVC\":\"mydata\",\"kopia\":{\"repository\":\"kopia-config\"%s}}}"

static json_t *rs(const char *meta_extra, const char *kopia_extra)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), RS_BASE, meta_extra, kopia_extra);
    return mutate_round_trip("ReplicationSource", buf);
}

TestSuite(defaulting_https, .init = start_default, .fini = stop, .timeout = 120);

Test(defaulting_https, replication_source_identity_copy_method_and_annotation)
{
    json_t *o = rs("", "");
    cr_assert_str_eq(str_at(o, "/spec/kopia/username"), "mydata-backup");
    cr_assert_str_eq(str_at(o, "/spec/kopia/hostname"), "production");
    cr_assert_str_eq(str_at(o, "/spec/kopia/copyMethod"), "Direct");
    cr_assert_str_eq(str_at(o, "/metadata/annotations/kopia-webhook.io~1identity"),
                     "mydata-backup@production");
    json_decref(o);
}

Test(defaulting_https, empty_strings_are_replaced_and_existing_annotations_kept)
{
    json_t *o = rs(",\"annotations\":{\"team\":\"a/b\"}",
                   ",\"username\":\"\",\"hostname\":\"custom-host\",\"copyMethod\":\"Snapshot\"");
    cr_assert_str_eq(str_at(o, "/spec/kopia/username"), "mydata-backup");
    cr_assert_str_eq(str_at(o, "/spec/kopia/hostname"), "custom-host");
    cr_assert_str_eq(str_at(o, "/spec/kopia/copyMethod"), "Snapshot");
    cr_assert_str_eq(str_at(o, "/metadata/annotations/team"), "a/b");
    cr_assert_str_eq(str_at(o, "/metadata/annotations/kopia-webhook.io~1identity"),
                     "mydata-backup@custom-host");
    json_decref(o);
}

Test(defaulting_https, policy_filenames_are_defaulted_with_a_source)
{
    json_t *o = rs("", ",\"policyConfig\":{\"configMapName\":\"policies\"}");
    cr_assert_str_eq(str_at(o, "/spec/kopia/policyConfig/globalPolicyFilename"),
                     "global-policy.json");
    cr_assert_str_eq(str_at(o, "/spec/kopia/policyConfig/repositoryConfigFilename"),
                     "repository.config");
    json_decref(o);
}

Test(defaulting_https, destination_without_source_identity_gets_both_parts)
{
    json_t *o = mutate_round_trip(
        "ReplicationDestination",
        "{\"metadata\":{\"name\":\"restore\",\"namespace\":\"staging\"},\"spec\":{\"kopia\":"
        "{\"repository\":\"kopia-config\",\"destinationPVC\":\"data\",\"copyMethod\":\"Direct\","
        "\"restoreAsOf\":\"2024-01-02t05:04:05.250+02:00\"}}}");
    cr_assert_str_eq(str_at(o, "/spec/kopia/username"), "restore");
    cr_assert_str_eq(str_at(o, "/spec/kopia/hostname"), "staging");
    cr_assert_str_eq(str_at(o, "/spec/kopia/restoreAsOf"), "2024-01-02T03:04:05.250Z");
    json_decref(o);
}

Test(defaulting_https, destination_with_source_identity_is_not_pinned)
{
    json_t *o = mutate_round_trip(
        "ReplicationDestination",
        "{\"metadata\":{\"name\":\"restore\",\"namespace\":\"staging\"},\"spec\":{\"kopia\":"
        "{\"destinationPVC\":\"data\",\"copyMethod\":\"Direct\",\"sourceIdentity\":"
        "{\"sourceName\":\"webapp-backup\"}}}}");
    cr_assert_null(kwt_pointer_get(o, "/spec/kopia/username"));
    cr_assert_null(kwt_pointer_get(o, "/spec/kopia/hostname"));
    cr_assert_str_eq(str_at(o, "/spec/kopia/sourceIdentity/sourceNamespace"), "staging");
    cr_assert_str_eq(str_at(o, "/metadata/annotations/kopia-webhook.io~1identity"),
                     "webapp-backup@staging");
    json_decref(o);
}

Test(defaulting_https, generate_name_skips_the_identity_on_create)
{
    json_t *o = mutate_round_trip(
        "ReplicationSource",
        "{\"metadata\":{\"generateName\":\"backup-\",\"namespace\":\"ns\"},\"spec\":{\"sourcePVC\":"
        "\"d\",\"kopia\":{\"repository\":\"r\"}}}");
    cr_assert_null(kwt_pointer_get(o, "/spec/kopia/username"));
    cr_assert_null(kwt_pointer_get(o, "/metadata/annotations"));
    cr_assert_str_eq(str_at(o, "/spec/kopia/copyMethod"), "Direct");
    json_decref(o);
}

/* The stored object as the API server sends it: managedFields and a full
 * status, of which the rules read only lastSyncTime. */
Test(defaulting_https, update_after_sync_warns_about_a_new_snapshot_history)
{
    json_t *old = json_loads(
        "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"managedFields\":["
        "{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\",\"apiVersion\":"
        "\"volsync.backube/v1alpha1\",\"time\":\"2025-12-31T23:00:00Z\",\"fieldsType\":"
        "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\".\":{},\"f:kopia\":{\".\":{},\"f:copyMethod\":{},"
        "\"f:repository\":{}},\"f:sourcePVC\":{}}}},{\"manager\":\"manager\",\"operation\":"
        "\"Update\",\"apiVersion\":\"volsync.backube/v1alpha1\",\"time\":"
        "\"2026-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{"
        "\".\":{},\"f:conditions\":{},\"f:lastSyncTime\":{}}},\"subresource\":\"status\"}]},"
        "\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\",\"username\":"
        "\"b-ns\",\"hostname\":\"ns\",\"copyMethod\":\"Direct\"}},"
        "\"status\":{\"conditions\":[{\"type\":\"Synchronizing\",\"status\":\"False\","
        "\"reason\":\"WaitingForSchedule\"}],\"lastSyncDuration\":\"12.5s\","
        "\"lastSyncTime\":\"2026-01-01T00:00:00Z\",\"latestMoverStatus\":{\"result\":"
        "\"Successful\",\"logs\":\"done\"}}}",
        0, NULL);
    cr_assert_not_null(old);
    json_t *now = json_deep_copy(old);
    json_object_set_new(json_object_get(json_object_get(now, "spec"), "kopia"), "repository",
                        json_string("other-repo"));
    char *body = review_for(now, old, "ReplicationSource");
    json_t *response = post("/validate", body);
    cr_assert(json_is_true(json_object_get(response, "allowed")));
    json_t *warnings = json_object_get(response, "warnings");
    bool found = false;
    for (size_t i = 0; i < json_array_size(warnings); i++)
        found |= strncmp(json_string_value(json_array_get(warnings, i)),
                         "spec.kopia.repository:", 22) == 0;
    cr_assert(found, "no repository-change warning");
    json_decref(response);
    free(body);
    json_decref(old);
    json_decref(now);
}

/* The operator's username for this name ends in '-' after its 50-character
 * cut: the CRD would refuse it, so it is annotated and warned, not pinned. */
Test(defaulting_https, a_username_the_crd_refuses_is_annotated_not_pinned)
{
    const char *object =
        "{\"metadata\":{\"name\":\"a23456789-123456789-123456789-123456789-123456789-12\","
        "\"namespace\":\"ns\"},\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":"
        "\"r\",\"copyMethod\":\"Direct\"}}}";
    json_t *o = mutate_round_trip("ReplicationSource", object);
    cr_assert_null(kwt_pointer_get(o, "/spec/kopia/username"));
    cr_assert_null(kwt_pointer_get(o, "/spec/kopia/hostname"));
    cr_assert_str_eq(str_at(o, "/metadata/annotations/kopia-webhook.io~1identity"),
                     "a23456789-123456789-123456789-123456789-123456789-@ns");
    json_decref(o);

    json_t *request = json_loads(object, 0, NULL);
    char *body = review_for(request, NULL, "ReplicationSource");
    json_t *response = post("/mutate", body);
    json_t *warnings = json_object_get(response, "warnings");
    cr_assert_eq(json_array_size(warnings), 1);
    cr_assert(strncmp(json_string_value(json_array_get(warnings, 0)),
                      "spec.kopia.username: not pinned: the operator's value "
                      "\"a23456789-123456789-123456789-123456789-123456789-\" ends in \"-\"",
                      100) == 0,
              "%s", json_string_value(json_array_get(warnings, 0)));
    json_decref(response);
    free(body);
    json_decref(request);
}

/* An object that synced before the webhook pinned anything: the first UPDATE
 * pins the operator's identity and says how to check the earlier snapshots. */
Test(defaulting_https, first_update_after_a_sync_pins_and_warns)
{
    json_t *old = json_loads("{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\"},\"spec\":"
                             "{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\","
                             "\"copyMethod\":\"Direct\"}},"
                             "\"status\":{\"lastSyncTime\":\"2026-01-01T00:00:00Z\"}}",
                             0, NULL);
    json_t *now = json_deep_copy(old);
    json_object_del(now, "status");
    char *body = review_for(now, old, "ReplicationSource");
    json_t *response = post("/mutate", body);
    cr_assert(json_is_true(json_object_get(response, "allowed")));
    json_t *patch = decode_patch(response);
    cr_assert_not_null(patch);
    char err[256];
    cr_assert_eq(kw_patch_apply(now, patch, err, sizeof(err)), 0, "patch: %s", err);
    cr_assert_str_eq(str_at(now, "/spec/kopia/username"), "b");
    json_t *warnings = json_object_get(response, "warnings");
    cr_assert_eq(json_array_size(warnings), 1);
    cr_assert_not_null(
        strstr(json_string_value(json_array_get(warnings, 0)), "kopia snapshot list --all"));
    json_decref(patch);
    json_decref(response);
    free(body);
    json_decref(old);
    json_decref(now);
}

static void start_name_namespace(void)
{
    static char config_arg[256];
    static char path[200];
    snprintf(path, sizeof(path), "/tmp/kw-defaulting-config-%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("identityScheme: name-namespace\n", f);
    fclose(f);
    snprintf(config_arg, sizeof(config_arg), "%s", path);
    const char *args[] = {"--config", config_arg, NULL};
    start_with(args);
}

static void stop_name_namespace(void)
{
    char path[200];
    snprintf(path, sizeof(path), "/tmp/kw-defaulting-config-%d.yaml", (int)getpid());
    unlink(path);
    stop();
}

TestSuite(defaulting_https_name_namespace, .init = start_name_namespace,
          .fini = stop_name_namespace, .timeout = 120);

Test(defaulting_https_name_namespace, the_config_file_switches_the_scheme)
{
    json_t *o = rs("", "");
    cr_assert_str_eq(str_at(o, "/spec/kopia/username"), "mydata-backup-production");
    cr_assert_str_eq(str_at(o, "/metadata/annotations/kopia-webhook.io~1identity"),
                     "mydata-backup-production@production");
    json_decref(o);
}

/* An RD with sourceIdentity gets what the operator's discovery computes,
 * whatever the scheme. */
Test(defaulting_https_name_namespace, source_identity_annotation_ignores_the_scheme)
{
    json_t *o = mutate_round_trip(
        "ReplicationDestination",
        "{\"metadata\":{\"name\":\"restore\",\"namespace\":\"staging\"},\"spec\":{\"kopia\":"
        "{\"destinationPVC\":\"data\",\"copyMethod\":\"Direct\",\"sourceIdentity\":"
        "{\"sourceName\":\"webapp-backup\"}}}}");
    cr_assert_str_eq(str_at(o, "/metadata/annotations/kopia-webhook.io~1identity"),
                     "webapp-backup@staging");
    json_decref(o);
}
