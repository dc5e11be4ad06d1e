/* The review decoder leaves out the members nothing reads (kw_review_unread:
 * request.options, managedFields, status, ...): every review of the fuzz
 * corpus decides and answers byte for byte the same with them added; they
 * are not in the decoded tree and cost no allocation; a syntax error inside
 * them is the same 400, and they count toward the value limit as before. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_oracle.h"
#include "kw/admission/core.h"
#include "kwtest.h"

static struct kw_config cfg;

static void setup(void)
{
    kw_config_defaults(&cfg);
}

TestSuite(review_prune, .init = setup);

/* Two managedFields entries as the API server writes them: a client's
 * apply and the operator's status updates. */
static const char managed_fields[] =
    "[{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
    "\"apiVersion\":\"volsync.backube/v1alpha1\",\"time\":\"2024-01-02T03:04:05Z\","
    "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:annotations\":{\".\":{},"
    "\"f:kubectl.kubernetes.io/last-applied-configuration\":{}}},\"f:spec\":{\".\":{},"
    "\"f:kopia\":{\".\":{},\"f:repository\":{},\"f:retain\":{\".\":{},\"f:daily\":{}}},"
    "\"f:sourcePVC\":{},\"f:trigger\":{\".\":{},\"f:schedule\":{}}}}},"
    "{\"manager\":\"manager\",\"operation\":\"Update\",\"apiVersion\":\"volsync.backube/v1alpha1\","
    "\"time\":\"2024-01-02T03:05:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{"
    "\".\":{},\"f:conditions\":{},\"f:lastSyncDuration\":{},\"f:lastSyncTime\":{},"
    "\"f:nextSyncTime\":{}}},\"subresource\":\"status\"}]";

static const char status_members[] =
    "{\"conditions\":[{\"type\":\"Synchronizing\",\"status\":\"False\",\"reason\":"
    "\"WaitingForSchedule\",\"message\":\"Waiting for next scheduled synchronization\","
    "\"lastTransitionTime\":\"2024-01-02T03:05:00Z\"}],\"lastSyncDuration\":\"1m2.3s\","
    "\"nextSyncTime\":\"2024-01-02T04:00:00Z\",\"latestMoverStatus\":{\"result\":"
    "\"Successful\",\"logs\":\"Snapshot created\\nupload complete\"}}";

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    cr_assert_not_null(v, "%s: %s", text, e.text);
    return v;
}

/* Adds managedFields (when the object has metadata) and status members to
 * an object: its status is replaced, except a lastSyncTime, which the
 * rules read and which stays. */
static void add_unread_to_object(json_t *object)
{
    if (!json_is_object(object))
        return;
    json_t *meta = json_object_get(object, "metadata");
    if (json_is_object(meta))
        json_object_set_new(meta, "managedFields", parse(managed_fields));
    json_t *status = parse(status_members);
    json_t *old = json_object_get(object, "status");
    json_t *synced = json_is_object(old) ? json_object_get(old, "lastSyncTime") : NULL;
    if (synced)
        json_object_set(status, "lastSyncTime", synced);
    json_object_set_new(object, "status", status);
}

/* The review with every unread member the API server sends added. */
static char *with_unread_members(json_t *review)
{
    json_t *request = json_object_get(review, "request");
    json_object_set_new(request, "options",
                        parse("{\"kind\":\"UpdateOptions\",\"apiVersion\":\"meta.k8s.io/v1\","
                              "\"fieldManager\":\"kubectl-client-side-apply\"}"));
    json_object_set(request, "requestKind", json_object_get(request, "kind"));
    json_t *res = json_object_get(request, "resource");
    json_object_set_new(request, "requestResource",
                        res ? json_incref(res) : parse("{\"group\":\"g\",\"resource\":\"r\"}"));
    json_t *user = json_object_get(request, "userInfo");
    if (!json_is_object(user)) {
        user = json_object();
        json_object_set_new(request, "userInfo", user);
    }
    json_object_set_new(user, "uid", json_string("0a1b2c3d"));
    json_object_set_new(user, "groups", parse("[\"system:masters\",\"system:authenticated\"]"));
    json_object_set_new(user, "extra", parse("{\"scopes\":[\"a\",\"b\"]}"));
    add_unread_to_object(json_object_get(request, "object"));
    add_unread_to_object(json_object_get(request, "oldObject"));
    char *text = json_dumps(review, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_assert_not_null(text);
    return text;
}

static void expect_same_outcome(const char *name, const char *a, const char *b)
{
    for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
        struct kw_outcome x, y;
        kw_handle(&cfg, (enum kw_webhook)hook, a, strlen(a), &x);
        kw_handle(&cfg, (enum kw_webhook)hook, b, strlen(b), &y);
        cr_expect_eq(x.http_status, y.http_status, "%s", name);
        cr_expect(x.body_len == y.body_len && memcmp(x.body, y.body, x.body_len) == 0,
                  "%s hook %d: %.*s\nwith unread members: %.*s", name, hook, (int)x.body_len,
                  x.body, (int)y.body_len, y.body);
        cr_expect_str_eq(x.summary.user, y.summary.user, "%s", name);
        cr_expect_str_eq(x.summary.resource, y.summary.resource, "%s", name);
        cr_expect_eq(x.summary.ndeny, y.summary.ndeny, "%s", name);
        cr_expect_eq(x.summary.nwarn, y.summary.nwarn, "%s", name);
        kw_outcome_free(&x);
        kw_outcome_free(&y);
    }
}

Test(review_prune, every_corpus_review_answers_the_same_with_unread_members)
{
    const char *src = getenv("KW_SOURCE_DIR");
    cr_assert_not_null(src, "KW_SOURCE_DIR is not set");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/review", src);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    size_t reviews = 0, updates = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char rel[512];
        snprintf(rel, sizeof rel, "fuzz/corpus/review/%s", e->d_name);
        size_t len;
        char *body = kwt_read_source(rel, &len);
        json_t *review = json_loadb(body, len, 0, NULL);
        json_t *request = json_object_get(review, "request");
        if (json_is_object(request)) {
            char *more = with_unread_members(review);
            expect_same_outcome(e->d_name, body, more);
            free(more);
            reviews++;
        }
        json_t *object = json_object_get(request, "object");
        if (json_is_object(object) && !json_object_get(request, "oldObject")) {
            /* the same object updated after its first sync */
            json_t *update = json_deep_copy(review);
            request = json_object_get(update, "request");
            json_object_set_new(request, "operation", json_string("UPDATE"));
            json_t *old = json_deep_copy(object);
            json_object_set_new(old, "status",
                                parse("{\"lastSyncTime\":\"2026-01-01T00:00:00Z\"}"));
            json_object_set_new(request, "oldObject", old);
            char *plain = json_dumps(update, JSON_COMPACT | JSON_PRESERVE_ORDER);
            char *more = with_unread_members(update);
            expect_same_outcome(e->d_name, plain, more);
            free(plain);
            free(more);
            json_decref(update);
            updates++;
        }
        json_decref(review);
        free(body);
    }
    closedir(d);
    cr_expect_gt(reviews, 50);
    cr_expect_gt(updates, 5);
}

#define UPDATE_REVIEW                                                                              \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"           \
    "\"uid\":\"u\",\"kind\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","              \
    "\"kind\":\"ReplicationSource\"},\"requestKind\":{\"kind\":\"ReplicationSource\"},"            \
    "\"requestSubResource\":\"\",\"operation\":\"UPDATE\",\"name\":\"b\",\"namespace\":\"ns\","    \
    "\"userInfo\":{\"username\":\"alice\",\"groups\":[\"g\"],\"uid\":\"1\"},"                      \
    "\"object\":{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"managedFields\":%s},"         \
    "\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"other\",\"copyMethod\":"            \
    "\"Direct\"}},\"status\":%s},"                                                                 \
    "\"oldObject\":{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"managedFields\":%s},"      \
    "\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\",\"copyMethod\":\"Direct\"}},"   \
    "\"status\":{\"conditions\":[],\"lastSyncTime\":\"2026-01-01T00:00:00Z\",\"x\":{}}},"          \
    "\"dryRun\":false,\"options\":{\"kind\":\"UpdateOptions\"}}}"

static char *update_review(void)
{
    char *body = NULL;
    cr_assert(asprintf(&body, UPDATE_REVIEW, managed_fields, status_members, managed_fields) > 0);
    return body;
}

Test(review_prune, unread_members_are_not_in_the_decoded_review)
{
    char *body = update_review();
    struct kw_review rv;
    char err[KW_ERRLEN];
    cr_assert_eq(kw_review_decode(body, strlen(body), &rv, err), 0, "%s", err);
    json_t *want = parse(
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"u\",\"kind\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","
        "\"kind\":\"ReplicationSource\"},\"operation\":\"UPDATE\",\"name\":\"b\",\"namespace\":"
        "\"ns\",\"userInfo\":{\"username\":\"alice\"},\"object\":{\"metadata\":{\"name\":\"b\","
        "\"namespace\":\"ns\"},\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"other\","
        "\"copyMethod\":\"Direct\"}}},\"oldObject\":{\"metadata\":{\"name\":\"b\",\"namespace\":"
        "\"ns\"},\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\",\"copyMethod\":"
        "\"Direct\"}},\"status\":{\"lastSyncTime\":\"2026-01-01T00:00:00Z\"}},\"dryRun\":false}}");
    char *got = json_dumps(rv.root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_expect(json_equal(rv.root, want), "decoded %s", got);
    free(got);
    cr_expect_str_eq(rv.user, "alice");
    json_decref(want);
    kw_review_free(&rv);

    /* ... and the rules still see the old object's lastSyncTime */
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_assert_eq(out.http_status, 200);
    cr_expect_not_null(strstr(out.body, "spec.kopia.repository: changed from"), "%s", out.body);
    kw_outcome_free(&out);
    free(body);
}

/* kw_review_unread is the table the decoder applies; the prune oracle holds
 * the decoded tree to json_loadb's minus the table's members. */
Test(review_prune, the_decoded_review_is_the_full_tree_without_the_table)
{
    char *body = update_review();
    char why[512];
    cr_expect_eq(kw_json_prune_oracle_check(body, strlen(body), 0, kw_review_unread,
                                            kw_review_unread_count, why, sizeof why),
                 0, "%s", why);
    free(body);
}

static size_t allocations;
static void *counting_alloc(size_t n)
{
    allocations++;
    return malloc(n);
}

static size_t decode_allocations(const char *body)
{
    struct kw_review rv;
    char err[KW_ERRLEN];
    json_set_alloc_funcs(counting_alloc, free);
    allocations = 0;
    int rc = kw_review_decode(body, strlen(body), &rv, err);
    size_t n = allocations;
    json_set_alloc_funcs(malloc, free);
    cr_assert_eq(rc, 0, "%s", err);
    kw_review_free(&rv);
    return n;
}

Test(review_prune, unread_members_allocate_nothing)
{
    /* 500 managedFields entries on both objects, against an empty list */
    size_t cap = 500 * (sizeof managed_fields) + 16, at = 1;
    char *many = malloc(cap);
    cr_assert(many);
    many[0] = '[';
    for (int i = 0; i < 500; i++)
        at += (size_t)snprintf(many + at, cap - at, "%s%.*s", i ? "," : "",
                               (int)(sizeof managed_fields - 3), managed_fields + 1);
    snprintf(many + at, cap - at, "]");
    char *big = NULL, *small = NULL;
    cr_assert(asprintf(&big, UPDATE_REVIEW, many, status_members, many) > 0);
    cr_assert(asprintf(&small, UPDATE_REVIEW, "[]", "{}", "[]") > 0);
    cr_expect_eq(decode_allocations(big), decode_allocations(small));
    free(big);
    free(small);
    free(many);
}

/* A syntax error inside an unread member is the same 400 as before: the
 * text and position of the plain decoder's error. */
Test(review_prune, a_syntax_error_inside_an_unread_member_is_the_same_400)
{
    static const char *damaged[] = {
        "\"fieldsV1\":{\"f:status\":{\".\":{]", "\"fieldsV1\":{\"f:status\":{\".\":{},}",
        "\"fieldsV1\":{\"f:\xff\":{}", "\"fieldsV1\":{\"f:\\u0000\":{}"};
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
        char *body = update_review();
        char *at = strstr(body, "\"fieldsV1\":{\"f:status\":{\".\":{}");
        cr_assert_not_null(at);
        char *broken = NULL;
        cr_assert(asprintf(&broken, "%.*s%s%s", (int)(at - body), body, damaged[i],
                           at + strlen("\"fieldsV1\":{\"f:status\":{\".\":{}")) > 0);
        struct kw_json_error plain;
        cr_assert_null(kw_json_decode(broken, strlen(broken), &plain));
        char *near = strstr(plain.text, " near ");
        if (near)
            *near = 0;
        char want[512];
        snprintf(want, sizeof want, "request body is not valid JSON: line %zu, column %zu: %s\n",
                 plain.line, plain.column, plain.text);
        struct kw_outcome out;
        kw_handle(&cfg, KW_HOOK_VALIDATE, broken, strlen(broken), &out);
        cr_expect_eq(out.http_status, 400);
        cr_expect_str_eq(out.body, want);
        kw_outcome_free(&out);
        free(broken);
        free(body);
    }
}

/* Values in unread members count toward --max-request-values as if they
 * were built: the limit at the body's count passes, one less is 413. */
Test(review_prune, unread_members_count_toward_the_value_limit)
{
    char *body = update_review();
    size_t values = 0;
    for (size_t limit = 1;; limit++) { /* the smallest limit that passes */
        json_t *v = kw_json_decode_limited(body, strlen(body), limit, NULL);
        json_decref(v);
        if (v) {
            values = limit;
            break;
        }
    }
    cr_assert_gt(values, 100);
    cfg.max_request_values = values;
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_expect_eq(out.http_status, 200, "%s", out.body);
    kw_outcome_free(&out);
    cfg.max_request_values = values - 1;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_expect_eq(out.http_status, 413);
    char want[128];
    snprintf(want, sizeof want,
             "request too complex: more than %zu values (limit --max-request-values)\n",
             values - 1);
    cr_expect_str_eq(out.body, want);
    kw_outcome_free(&out);
    free(body);
}
