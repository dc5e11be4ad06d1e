/* UPDATEs of an object being deleted (deletionTimestamp set, finalizers
 * pending) over real HTTPS: removing the finalizers with the stored spec
 * unchanged is let through untouched by both webhooks, even when that stored
 * spec would be denied now (the object could otherwise never go away); a spec
 * changed during the deletion is evaluated like any UPDATE (denied for a
 * forbidden change, defaulted by /mutate). Each answer is served quickly, and
 * the server's peak resident memory stays small. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "kwtest.h"

#define ANSWER_MS     200LL         /* one small review, scaled */
#define HWM_LIMIT_KIB (32L * 1024L) /* idle is ~11 MiB; these reviews are small */

static struct kwt_server srv;
static CURL *curl;

static void start(void)
{
    kwt_suite_start(&srv, &curl, NULL);
}

static void stop(void)
{
    kwt_suite_stop(&srv, &curl);
}

TestSuite(http_terminating, .init = start, .fini = stop, .timeout = 120);

/* A ReplicationSource being deleted: `finalizers` is a JSON array or "" for
 * none; `kopia` the spec.kopia object. */
static void deleting_rs(char *buf, size_t len, const char *finalizers, const char *kopia)
{
    snprintf(buf, len,
             "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\","
             "\"metadata\":{\"name\":\"app\",\"namespace\":\"prod\",\"uid\":\"6f1c\","
             "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\",\"deletionGracePeriodSeconds\":0%s%s},"
             "\"spec\":{\"sourcePVC\":\"data\",\"kopia\":%s}}",
             finalizers[0] ? ",\"finalizers\":" : "", finalizers, kopia);
}

/* The stored spec: an additionalArgs entry the validator forbids today (say,
 * stored before the webhook was installed). */
#define FORBIDDEN_KOPIA                                                                            \
    "{\"repository\":\"r\",\"copyMethod\":\"Direct\",\"additionalArgs\":[\"--password\"]}"
#define ALLOWED_KOPIA "{\"repository\":\"r\",\"copyMethod\":\"Direct\"}"
#define FINALIZERS    "[\"example.com/keep\"]"

struct answer {
    long status;
    long long ms;
    json_t *response; /* the AdmissionReview's response; json_decref */
};

static void post_update(const char *path, const char *uid, const char *new_obj, const char *old_obj,
                        struct answer *a)
{
    char body[4096];
    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
             "\"uid\":\"%s\",\"kind\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","
             "\"kind\":\"ReplicationSource\"},\"resource\":{\"group\":\"volsync.backube\","
             "\"version\":\"v1alpha1\",\"resource\":\"replicationsources\"},\"name\":\"app\","
             "\"namespace\":\"prod\",\"operation\":\"UPDATE\",\"userInfo\":{\"username\":"
             "\"system:serviceaccount:volsync-system:volsync\"},\"dryRun\":false,"
             "\"object\":%s,\"oldObject\":%s}}",
             uid, new_obj, old_obj);
    struct kwt_response r;
    long long t0 = kwt_now_ms();
    cr_assert_eq(kwt_post(curl, &srv, path, "application/json", body, strlen(body), &r), CURLE_OK);
    a->ms = kwt_now_ms() - t0;
    a->status = r.status;
    json_t *doc = json_loads(r.body, 0, NULL);
    cr_assert_not_null(doc, "%s: not JSON: %s", path, r.body);
    kwt_response_free(&r);
    a->response = json_incref(json_object_get(doc, "response"));
    json_decref(doc);
    cr_assert_not_null(a->response, "%s: no response", path);
    cr_expect_str_eq(json_string_value(json_object_get(a->response, "uid")), uid);
    if (kwt_memory_measurable())
        cr_expect_lt(a->ms, ANSWER_MS * kwt_time_scale(), "%s %s took %lld ms", path, uid, a->ms);
}

static void expect_legit_fast_and_memory_small(void)
{
    long status;
    long long ms = kwt_legit_review_ms(&srv, &status);
    cr_expect_eq(status, 200);
    if (!kwt_memory_measurable())
        return;
    cr_expect_lt(ms, 500LL * kwt_time_scale(), "legitimate review took %lld ms", ms);
    long hwm = kwt_proc_status_kib(srv.pid, "VmHWM");
    cr_expect(hwm > 0 && hwm < HWM_LIMIT_KIB, "VmHWM %ld KiB (limit %ld KiB)", hwm, HWM_LIMIT_KIB);
}

Test(http_terminating, finalizer_removal_with_the_spec_unchanged_passes_untouched)
{
    char old_obj[1024], new_obj[1024];
    deleting_rs(old_obj, sizeof(old_obj), FINALIZERS, FORBIDDEN_KOPIA);
    deleting_rs(new_obj, sizeof(new_obj), "", FORBIDDEN_KOPIA);
    const char *paths[] = {"/validate", "/mutate"};
    for (int i = 0; i < 2; i++) {
        struct answer a;
        post_update(paths[i], "uid-finalizer", new_obj, old_obj, &a);
        cr_expect_eq(a.status, 200);
        cr_expect(json_is_true(json_object_get(a.response, "allowed")), "%s denied", paths[i]);
        cr_expect_null(json_object_get(a.response, "patch"), "%s patched", paths[i]);
        cr_expect_null(json_object_get(a.response, "warnings"), "%s warned", paths[i]);
        json_decref(a.response);
    }
    /* A finalizer removed with an empty list left, as controllers do. */
    deleting_rs(new_obj, sizeof(new_obj), "[]", FORBIDDEN_KOPIA);
    struct answer a;
    post_update("/validate", "uid-empty-list", new_obj, old_obj, &a);
    cr_expect(json_is_true(json_object_get(a.response, "allowed")));
    json_decref(a.response);
    expect_legit_fast_and_memory_small();
}

Test(http_terminating, a_forbidden_spec_change_during_deletion_is_denied)
{
    char old_obj[1024], new_obj[1024];
    deleting_rs(old_obj, sizeof(old_obj), FINALIZERS, ALLOWED_KOPIA);
    deleting_rs(new_obj, sizeof(new_obj), FINALIZERS, FORBIDDEN_KOPIA);
    struct answer a;
    post_update("/validate", "uid-spec", new_obj, old_obj, &a);
    cr_expect_eq(a.status, 200);
    cr_expect(json_is_false(json_object_get(a.response, "allowed")), "spec change allowed");
    const char *msg =
        json_string_value(json_object_get(json_object_get(a.response, "status"), "message"));
    cr_expect(msg && strstr(msg, "additionalArgs"), "message: %s", msg ? msg : "(none)");
    json_decref(a.response);

    /* /mutate treats it as any UPDATE: allowed, with the defaulting patch. */
    post_update("/mutate", "uid-spec-mutate", new_obj, old_obj, &a);
    cr_expect(json_is_true(json_object_get(a.response, "allowed")));
    cr_expect_not_null(json_object_get(a.response, "patch"), "no defaulting patch");
    json_decref(a.response);

    /* The same change with the finalizers removed at once is still a change. */
    deleting_rs(new_obj, sizeof(new_obj), "", FORBIDDEN_KOPIA);
    post_update("/validate", "uid-spec-and-finalizer", new_obj, old_obj, &a);
    cr_expect(json_is_false(json_object_get(a.response, "allowed")));
    json_decref(a.response);
    expect_legit_fast_and_memory_small();
}
