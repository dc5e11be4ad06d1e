/* Policy Secrets through the real HTTPS server: a Secret
 * whose policy files are wrong in every way that could quote them is denied,
 * and neither the responses of /validate and /mutate nor the server's log
 * (at debug level) contain any of its content; nor do they quote the
 * credentials of an inline repositoryConfig. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "kwtest.h"

#define MARKER "p0l1cy-s3cr3t-9d41"

static struct kwt_server srv;
static CURL *curl;

static void start(void)
{
    const char *const args[] = {"--log-level", "debug", NULL};
    kwt_suite_start(&srv, &curl, args);
}

static void stop(void)
{
    kwt_suite_stop(&srv, &curl);
}

TestSuite(http_policy, .init = start, .fini = stop, .timeout = 120);

static char *secret_review(void)
{
    json_t *secret = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
        "Secret", "metadata", "name", "policies", "namespace", "prod", "labels",
        "kopia.volsync.backube/policy", "true", "stringData", "global-policy.json",
        "{\"retention\": {\"keepDaily\": \"" MARKER "\"}, \"unknown\": \"" MARKER "\"}",
        "repository.config", "{\"enableActions\": " MARKER "}", "x.json",
        "{\"a\": \"" MARKER "\\ud800\"}", "data", "b.json", MARKER);
    json_t *review =
        json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:o}}", "apiVersion",
                  "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid", "policy-uid",
                  "kind", "group", "", "version", "v1", "kind", "Secret", "operation", "CREATE",
                  "name", "policies", "namespace", "prod", "object", secret);
    cr_assert(review);
    char *body = json_dumps(review, JSON_COMPACT);
    cr_assert(body);
    json_decref(review);
    return body;
}

Test(http_policy, a_denied_secret_leaves_no_trace_of_its_content)
{
    char *body = secret_review();
    const char *paths[] = {"/validate?timeout=10s", "/mutate?timeout=10s"};
    for (size_t i = 0; i < 2; i++) {
        struct kwt_response r;
        cr_assert_eq(kwt_post(curl, &srv, paths[i], "application/json", body, strlen(body), &r),
                     CURLE_OK);
        cr_expect_eq(r.status, 200);
        cr_expect_null(strstr(r.body, MARKER), "%s answers with the Secret: %s", paths[i], r.body);
        if (i == 0)
            cr_expect_not_null(strstr(r.body, "stringData[global-policy.json]"), "%s", r.body);
        kwt_response_free(&r);
    }
    free(body);
    /* The log lines are written before the response is sent. */
    cr_expect(kwt_log_contains(&srv, "policy-uid"), "the review was not logged");
    cr_expect(!kwt_log_contains(&srv, MARKER), "the server's log holds the Secret's content");
}

/* The inline repositoryConfig of a ReplicationSource with credentials, a
 * wrong type and an unknown storage type, all carrying the marker: warned
 * by key name, never quoted, in the response and the log. */
Test(http_policy, inline_credentials_are_warned_without_their_value)
{
    json_t *rs = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:{s:s, s:s, s:{s:s}}}}", "apiVersion",
        "volsync.backube/v1alpha1", "kind", "ReplicationSource", "metadata", "name", "app",
        "namespace", "prod", "spec", "sourcePVC", "data", "kopia", "repository", "kopia-config",
        "copyMethod", "Direct", "policyConfig", "repositoryConfig",
        "{\"storage\": {\"type\": \"s3\", \"config\": {\"secretAccessKey\": \"" MARKER "\", "
        "\"PASSWORD\": \"" MARKER "\", \"port\": \"" MARKER "\"}}, \"hostname\": \"" MARKER "\"}");
    json_t *review = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:o}}",
                               "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
                               "request", "uid", "inline-uid", "kind", "group", "volsync.backube",
                               "version", "v1alpha1", "kind", "ReplicationSource", "operation",
                               "CREATE", "name", "app", "namespace", "prod", "object", rs);
    cr_assert(review);
    char *body = json_dumps(review, JSON_COMPACT);
    cr_assert(body);
    json_decref(review);
    const char *paths[] = {"/validate?timeout=10s", "/mutate?timeout=10s"};
    for (size_t i = 0; i < 2; i++) {
        struct kwt_response r;
        cr_assert_eq(kwt_post(curl, &srv, paths[i], "application/json", body, strlen(body), &r),
                     CURLE_OK);
        cr_expect_eq(r.status, 200);
        cr_expect_null(strstr(r.body, MARKER), "%s answers with the credential: %s", paths[i],
                       r.body);
        if (i == 0) {
            cr_expect_not_null(strstr(r.body, "storage.config.secretAccessKey and "
                                              "storage.config.password hold a credential"),
                               "%s", r.body);
            cr_expect_not_null(strstr(r.body, "storage.config.port in body must be of type"), "%s",
                               r.body);
        }
        kwt_response_free(&r);
    }
    free(body);
    cr_expect(kwt_log_contains(&srv, "inline-uid"), "the review was not logged");
    cr_expect(!kwt_log_contains(&srv, MARKER), "the server's log holds the credential");
}
