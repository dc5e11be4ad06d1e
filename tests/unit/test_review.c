/* The AdmissionReview protocol through kw_handle(): versions, uid
 * echo, transport-level 400s, pass-through cases, the dispatcher's mover
 * rules, Status/causes encoding, warning cleaning and patch encoding. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/decision/rules.h"

static struct kw_config cfg;

static void setup(void)
{
    kw_config_defaults(&cfg);
}

TestSuite(review, .init = setup);

/* Builds a review around `request_fields` (a JSON fragment). */
static char *review_json(const char *api, const char *request_fields)
{
    char *out = NULL;
    cr_assert(asprintf(&out,
                       "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\","
                       "\"request\":{%s}}",
                       api, request_fields) > 0);
    return out;
}

#define RS_KIND                                                                                    \
    "\"kind\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","                            \
    "\"kind\":\"ReplicationSource\"}"

static json_t *handle(enum kw_webhook hook, const char *body, int want_status)
{
    struct kw_outcome out;
    kw_handle(&cfg, hook, body, strlen(body), &out);
    cr_assert_eq(out.http_status, want_status, "status %d, body %s", out.http_status, out.body);
    json_t *doc = NULL;
    if (want_status == 200) {
        json_error_t jerr;
        doc = json_loadb(out.body, out.body_len, 0, &jerr);
        cr_assert(doc, "response is not JSON: %s", jerr.text);
        cr_assert_str_eq(out.content_type, "application/json");
    } else {
        cr_assert(out.body && out.body_len > 0);
        cr_assert_null(strchr(out.body, '\n') == out.body + out.body_len - 1 ? NULL : "x",
                       "error body must be one line");
    }
    kw_outcome_free(&out);
    return doc;
}

static json_t *response_of(json_t *doc)
{
    json_t *r = json_object_get(doc, "response");
    cr_assert(json_is_object(r));
    return r;
}

static json_t *rs_review(enum kw_webhook hook, const char *api, const char *op,
                         const char *spec_json)
{
    char fields[4096];
    snprintf(fields, sizeof(fields),
             "\"uid\":\"u-1\",%s,\"operation\":\"%s\",\"name\":\"mydata-backup\","
             "\"namespace\":\"default\",\"object\":{\"apiVersion\":\"volsync.backube/v1alpha1\","
             "\"kind\":\"ReplicationSource\",\"metadata\":{\"name\":\"mydata-backup\","
             "\"namespace\":\"default\"},\"spec\":%s}",
             RS_KIND, op, spec_json);
    char *body = review_json(api, fields);
    json_t *doc = handle(hook, body, 200);
    free(body);
    return doc;
}

Test(review, v1_and_v1beta1_are_answered_in_their_version_with_uid_echoed)
{
    const char *apis[] = {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"};
    for (size_t i = 0; i < 2; i++) {
        json_t *doc = rs_review(KW_HOOK_VALIDATE, apis[i], "CREATE", "{\"restic\":{}}");
        cr_assert_str_eq(json_string_value(json_object_get(doc, "apiVersion")), apis[i]);
        cr_assert_str_eq(json_string_value(json_object_get(doc, "kind")), "AdmissionReview");
        json_t *r = response_of(doc);
        cr_assert_str_eq(json_string_value(json_object_get(r, "uid")), "u-1");
        cr_assert(json_is_true(json_object_get(r, "allowed")));
        cr_assert_null(json_object_get(r, "patch"));
        json_decref(doc);
    }
}

Test(review, transport_errors_are_400_with_a_reason)
{
    struct {
        const char *body, *needle;
    } cases[] = {
        {"", "not valid JSON"},
        {"not json", "not valid JSON"},
        {"[1,2]", "must be a JSON object"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
         "request is required"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":null}",
         "request is required"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
         "\"request\":{\"operation\":\"CREATE\"}}",
         "uid is required"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
         "\"request\":{\"uid\":\"\"}}",
         "uid is required"},
        {"{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\","
         "\"request\":{\"uid\":\"a\"}}",
         "apiVersion"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\",\"request\":{\"uid\":\"a\"}}",
         "kind must be AdmissionReview"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
         "\"request\":{\"uid\":\"a\",\"operation\":\"CREATE\"}}",
         "request.kind"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
         "\"request\":{\"uid\":\"a\",\"kind\":{\"kind\":\"X\"}}}",
         "operation is required"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
         "\"request\":{\"uid\":\"a\",\"kind\":{\"kind\":\"X\"},\"operation\":\"CREATE\","
         "\"dryRun\":\"yes\"}}",
         "dryRun"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"} trailing",
         "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kw_outcome out;
        kw_handle(&cfg, KW_HOOK_VALIDATE, cases[i].body, strlen(cases[i].body), &out);
        cr_assert_eq(out.http_status, 400, "case %zu: status %d", i, out.http_status);
        cr_assert(strstr(out.body, cases[i].needle), "case %zu: %s", i, out.body);
        cr_assert(!out.summary.decoded);
        kw_outcome_free(&out);
    }
}

Test(review, a_malformed_body_is_never_quoted_back)
{
    /* Truncated inside a Secret's data: the 400 reason gives the position only. */
    const char *body = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                       "\"request\":{\"object\":{\"data\":{\"k\":\"TOPSECRETVALUE x";
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_assert_eq(out.http_status, 400);
    cr_assert(strstr(out.body, "line 1, column"), "%s", out.body);
    cr_assert_null(strstr(out.body, "TOPSECRET"), "%s", out.body);
    kw_outcome_free(&out);
    const char *bad_token = "{\"apiVersion\": SECRETTOKEN}";
    kw_handle(&cfg, KW_HOOK_VALIDATE, bad_token, strlen(bad_token), &out);
    cr_assert_eq(out.http_status, 400);
    cr_assert_null(strstr(out.body, "SECRET"), "%s", out.body);
    kw_outcome_free(&out);
}

Test(review, hundred_thousand_levels_of_nesting_are_400)
{
    size_t depth = 100000;
    const char *prefix = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                         "\"request\":{\"uid\":\"a\",\"object\":";
    size_t plen = strlen(prefix);
    char *body = malloc(plen + 2 * depth + 3);
    memcpy(body, prefix, plen);
    memset(body + plen, '[', depth);
    memset(body + plen + depth, ']', depth);
    memcpy(body + plen + 2 * depth, "}}", 3);
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_assert_eq(out.http_status, 400);
    cr_assert(strstr(out.body, "maximum parsing depth reached"), "%s", out.body);
    kw_outcome_free(&out);
    free(body);
}

Test(review, nul_bytes_and_invalid_utf8_are_400)
{
    const char body[] = "{\"apiVersion\":\"admission.k8s.io/v1\",\0\"kind\":\"AdmissionReview\"}";
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, sizeof(body) - 1, &out);
    cr_assert_eq(out.http_status, 400);
    kw_outcome_free(&out);
    const char *bad = "{\"apiVersion\":\"admission.k8s.io/v1\xff\"}";
    kw_handle(&cfg, KW_HOOK_VALIDATE, bad, strlen(bad), &out);
    cr_assert_eq(out.http_status, 400);
    kw_outcome_free(&out);
}

Test(review, delete_connect_subresource_and_other_kinds_pass_untouched)
{
    const char *cases[] = {
        "\"uid\":\"a\"," RS_KIND ",\"operation\":\"DELETE\",\"oldObject\":{\"spec\":{}}",
        "\"uid\":\"a\"," RS_KIND ",\"operation\":\"CONNECT\"",
        "\"uid\":\"a\"," RS_KIND ",\"operation\":\"UPDATE\",\"subResource\":\"status\","
        "\"object\":{\"spec\":{}}",
        "\"uid\":\"a\",\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
        "\"operation\":\"CREATE\",\"object\":{\"spec\":{}}",
        /* Same kind name in another group is not ours. */
        "\"uid\":\"a\",\"kind\":{\"group\":\"example.com\",\"version\":\"v1\","
        "\"kind\":\"ReplicationSource\"},\"operation\":\"CREATE\",\"object\":{\"spec\":{}}",
        /* Finalizer removal on an object being deleted is never blocked. */
        "\"uid\":\"a\"," RS_KIND ",\"operation\":\"UPDATE\",\"object\":{\"metadata\":"
        "{\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{}},\"oldObject\":{\"spec\":{}}",
        /* An unlabelled ConfigMap is not a policy object. */
        "\"uid\":\"a\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"ConfigMap\"},"
        "\"operation\":\"CREATE\",\"object\":{\"data\":{\"x.json\":\"{\"}}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
            char *body = review_json("admission.k8s.io/v1", cases[i]);
            json_t *doc = handle((enum kw_webhook)hook, body, 200);
            json_t *r = response_of(doc);
            cr_assert(json_is_true(json_object_get(r, "allowed")), "case %zu", i);
            cr_assert_null(json_object_get(r, "patch"), "case %zu", i);
            cr_assert_null(json_object_get(r, "status"), "case %zu", i);
            json_decref(doc);
            free(body);
        }
    }
}

Test(review, no_mover_is_denied_with_a_field_error)
{
    json_t *doc =
        rs_review(KW_HOOK_VALIDATE, "admission.k8s.io/v1", "CREATE", "{\"sourcePVC\":\"data\"}");
    json_t *r = response_of(doc);
    cr_assert(json_is_false(json_object_get(r, "allowed")));
    json_t *status = json_object_get(r, "status");
    cr_assert_eq(json_integer_value(json_object_get(status, "code")), 422);
    cr_assert_str_eq(json_string_value(json_object_get(status, "reason")), "Invalid");
    cr_assert_str_eq(json_string_value(json_object_get(status, "message")),
                     "ReplicationSource.volsync.backube \"mydata-backup\" is invalid: spec: "
                     "Required value: a replication method must be specified");
    json_t *cause =
        json_array_get(json_object_get(json_object_get(status, "details"), "causes"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(cause, "reason")), "FieldValueRequired");
    cr_assert_str_eq(json_string_value(json_object_get(cause, "field")), "spec");
    cr_assert_str_eq(json_string_value(json_object_get(cause, "message")),
                     "Required value: a replication method must be specified");
    json_decref(doc);

    /* spec: null and no spec at all mean no mover too. */
    doc = rs_review(KW_HOOK_VALIDATE, "admission.k8s.io/v1", "CREATE", "null");
    cr_assert(json_is_false(json_object_get(response_of(doc), "allowed")));
    json_decref(doc);
    /* kopia: null counts as absent. */
    doc = rs_review(KW_HOOK_VALIDATE, "admission.k8s.io/v1", "UPDATE", "{\"kopia\":null}");
    cr_assert(json_is_false(json_object_get(response_of(doc), "allowed")));
    json_decref(doc);
}

Test(review, kopia_with_another_mover_is_denied_and_other_movers_alone_pass)
{
    const char *others[] = {"rsync", "rsyncTLS", "rclone", "restic", "syncthing", "external"};
    for (size_t i = 0; i < 6; i++) {
        char spec[256];
        snprintf(spec, sizeof(spec), "{\"kopia\":{},\"%s\":{}}", others[i]);
        json_t *doc = rs_review(KW_HOOK_VALIDATE, "admission.k8s.io/v1", "CREATE", spec);
        json_t *status = json_object_get(response_of(doc), "status");
        cr_assert(strstr(json_string_value(json_object_get(status, "message")),
                         "spec: Forbidden: only one replication method can be supplied"),
                  "%s", json_string_value(json_object_get(status, "message")));
        json_decref(doc);
        snprintf(spec, sizeof(spec), "{\"%s\":{\"anything\":1}}", others[i]);
        doc = rs_review(KW_HOOK_VALIDATE, "admission.k8s.io/v1", "CREATE", spec);
        cr_assert(json_is_true(json_object_get(response_of(doc), "allowed")), "%s", others[i]);
        json_decref(doc);
    }
    /* The mutating webhook never patches an object that is not ours. */
    json_t *doc =
        rs_review(KW_HOOK_MUTATE, "admission.k8s.io/v1", "CREATE", "{\"kopia\":{},\"restic\":{}}");
    cr_assert_null(json_object_get(response_of(doc), "patch"));
    json_decref(doc);
}

Test(review, undecodable_objects_are_denied_with_code_400_inside_200)
{
    const char *specs[] = {"{\"kopia\":\"yes\"}", "{\"kopia\":[1]}", "\"text\"", "[]"};
    for (size_t i = 0; i < 4; i++) {
        for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
            json_t *doc =
                rs_review((enum kw_webhook)hook, "admission.k8s.io/v1", "CREATE", specs[i]);
            json_t *r = response_of(doc);
            cr_assert(json_is_false(json_object_get(r, "allowed")));
            json_t *status = json_object_get(r, "status");
            cr_assert_eq(json_integer_value(json_object_get(status, "code")), 400, "%s", specs[i]);
            cr_assert_str_eq(json_string_value(json_object_get(status, "reason")), "BadRequest");
            json_decref(doc);
        }
    }
    char fields[512];
    snprintf(fields, sizeof(fields), "\"uid\":\"a\",%s,\"operation\":\"CREATE\",\"object\":42",
             RS_KIND);
    char *body = review_json("admission.k8s.io/v1", fields);
    json_t *doc = handle(KW_HOOK_VALIDATE, body, 200);
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(response_of(doc), "status"), "code")),
        400);
    json_decref(doc);
    free(body);
}

Test(review, dry_run_gets_the_same_answer)
{
#define DRY_FIELDS(v)                                                                              \
    "\"uid\":\"a\"," RS_KIND ",\"operation\":\"CREATE\",\"dryRun\":" v                             \
    ",\"object\":{\"metadata\":{\"name\":\"x\"},\"spec\":{}}"
    char *a = review_json("admission.k8s.io/v1", DRY_FIELDS("true"));
    char *b = review_json("admission.k8s.io/v1", DRY_FIELDS("false"));
    json_t *da = handle(KW_HOOK_VALIDATE, a, 200), *db = handle(KW_HOOK_VALIDATE, b, 200);
    cr_assert(json_equal(da, db));
    json_decref(da);
    json_decref(db);
    free(a);
    free(b);
}

static struct kw_review sample_review(void)
{
    return (struct kw_review){.api_version = "admission.k8s.io/v1",
                              .uid = "u-9",
                              .kind_group = "volsync.backube",
                              .kind_name = "ReplicationDestination",
                              .kind = KW_KIND_RD,
                              .op = KW_OP_CREATE,
                              .name = "r",
                              .namespace = "ns"};
}

Test(review, several_causes_are_listed_in_the_message_and_details)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    kw_result_cause_str(&res, KW_CAUSE_INVALID, KW_RULE_IDENTITY_INVALID, "spec.kopia.username",
                        "-x", "must start and end with an alphanumeric character");
    kw_result_cause(&res, KW_CAUSE_TOO_MANY, KW_RULE_ADDITIONAL_ARGS_TOO_MANY,
                    "spec.kopia.additionalArgs", "21", "must have at most 20 items");
    size_t len;
    char *text = kw_review_encode(&rv, &res, false, &len);
    json_t *doc = json_loads(text, 0, NULL);
    json_t *status = json_object_get(response_of(doc), "status");
    cr_assert_str_eq(json_string_value(json_object_get(status, "message")),
                     "ReplicationDestination.volsync.backube \"r\" is invalid: "
                     "[spec.kopia.username: Invalid value: \"-x\": must start and end with an "
                     "alphanumeric character, spec.kopia.additionalArgs: Too many: 21: must have "
                     "at most 20 items]");
    json_t *causes = json_object_get(json_object_get(status, "details"), "causes");
    cr_assert_eq(json_array_size(causes), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(causes, 1), "reason")),
                     "FieldValueTooMany");
    json_decref(doc);
    free(text);
    kw_result_free(&res);
}

static char *decode_base64(const char *b64)
{
    size_t n = strlen(b64);
    unsigned char *out = malloc(n + 1);
    int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
    cr_assert_geq(len, 0);
    while (n > 0 && b64[n - 1] == '=') {
        len--;
        n--;
    }
    out[len] = 0;
    return (char *)out;
}

Test(review, patches_are_base64_json_patch_on_mutate_only)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "/metadata/annotations/kopia-webhook.io~1identity", NULL,
                    json_string("r-ns@ns"));
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED,
                   "spec.kopia.copyMethod: defaulted\nto \"Direct\"\x01");
    size_t len;
    char *text = kw_review_encode(&rv, &res, true, &len);
    json_t *doc = json_loads(text, 0, NULL);
    json_t *r = response_of(doc);
    cr_assert_str_eq(json_string_value(json_object_get(r, "patchType")), "JSONPatch");
    char *patch = decode_base64(json_string_value(json_object_get(r, "patch")));
    json_t *ops = json_loads(patch, 0, NULL);
    json_t *want = json_loads("[{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                              "kopia-webhook.io~1identity\",\"value\":\"r-ns@ns\"}]",
                              0, NULL);
    cr_assert(json_equal(ops, want), "patch %s", patch);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)),
                     "spec.kopia.copyMethod: defaulted to \"Direct\"");
    json_decref(ops);
    json_decref(want);
    json_decref(doc);
    free(patch);
    free(text);

    /* Never on /validate, never for DELETE. */
    text = kw_review_encode(&rv, &res, false, &len);
    cr_assert_null(strstr(text, "patch"));
    free(text);
    rv.op = KW_OP_DELETE;
    text = kw_review_encode(&rv, &res, true, &len);
    cr_assert_null(strstr(text, "patch"));
    free(text);
    kw_result_free(&res);
}

Test(review, warning_lines_have_no_control_characters)
{
    char *s = kw_clean_line("  spec.x:\tbad\r\nvalue \x7f end  ");
    cr_assert_str_eq(s, "spec.x: bad value end");
    free(s);
}

/* The cleaning rule written plainly: control bytes and spaces collapse into
 * one space between words, none at either end. */
static void clean_reference(const char *in, char *out)
{
    size_t o = 0;
    bool pending = false;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == ' ') {
            pending = o > 0;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = false;
        out[o++] = (char)*p;
    }
    out[o] = 0;
}

/* kw_clean_line leaves the clean start of a line untouched without copying
 * it: every string of up to 7 bytes over a small alphabet, then long random
 * ones, against the plain rule. */
Test(review, warning_cleaning_equals_the_plain_rule)
{
    static const char alphabet[] = {'a', ' ', '\t', '\n', 0x7f, (char)0xc3, 'z'};
    enum { K = sizeof(alphabet) };
    char in[80], want[80];
    for (int len = 0; len <= 7; len++) {
        long total = 1;
        for (int i = 0; i < len; i++)
            total *= K;
        for (long n = 0; n < total; n++) {
            long v = n;
            for (int i = 0; i < len; i++, v /= K)
                in[i] = alphabet[v % K];
            in[len] = 0;
            clean_reference(in, want);
            char *got = kw_clean_line(in);
            cr_assert_not_null(got);
            cr_assert_str_eq(got, want, "input #%ld of length %d", n, len);
            free(got);
        }
    }
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        int len = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 79;
        for (int i = 0; i < len; i++)
            in[i] = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) % K];
        in[len] = 0;
        clean_reference(in, want);
        char *got = kw_clean_line(in);
        cr_assert_not_null(got);
        cr_assert_str_eq(got, want, "random input %d", round);
        free(got);
    }
}

Test(review, quoting_follows_go)
{
    char *q = kw_quote("a\"b\\c\nd\x01");
    cr_assert_str_eq(q, "\"a\\\"b\\\\c\\nd\\x01\"");
    free(q);
}

Test(review, summary_reports_rule_ids)
{
    char fields[1024];
    snprintf(fields, sizeof(fields),
             "\"uid\":\"sum-1\",%s,\"operation\":\"CREATE\",\"namespace\":\"ns\","
             "\"object\":{\"metadata\":{\"name\":\"x\"},\"spec\":{}}",
             RS_KIND);
    char *body = review_json("admission.k8s.io/v1", fields);
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_assert(out.summary.decoded);
    cr_assert_str_eq(out.summary.uid, "sum-1");
    cr_assert_str_eq(out.summary.name, "x");
    cr_assert_str_eq(out.summary.namespace, "ns");
    cr_assert(!out.summary.allowed);
    cr_assert_eq(out.summary.ndeny, 1);
    cr_assert_eq(out.summary.deny_rules[0], KW_RULE_MOVER_REQUIRED);
    cr_assert_eq(out.summary.kind_id, KW_KIND_RS);
    cr_assert_eq(out.summary.op_id, KW_OP_CREATE);
    kw_outcome_free(&out);
    free(body);
}

/* What the review log line says about who asked for what: the user and the
 * resource (with its subresource), as sent; absent or mistyped ones are
 * empty, never a reason to refuse the review. */
Test(review, summary_names_the_user_and_the_resource)
{
    static const struct {
        const char *extra, *user, *group, *version, *resource;
    } cases[] = {
        {",\"userInfo\":{\"username\":\"system:serviceaccount:ci:deployer\",\"groups\":[\"a\"]},"
         "\"resource\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","
         "\"resource\":\"replicationsources\"}",
         "system:serviceaccount:ci:deployer", "volsync.backube", "v1alpha1", "replicationsources"},
        {",\"userInfo\":{\"username\":\"alice\"},\"subResource\":\"status\","
         "\"resource\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","
         "\"resource\":\"replicationsources\"}",
         "alice", "volsync.backube", "v1alpha1", "replicationsources/status"},
        {",\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"configmaps\"}", "", "",
         "v1", "configmaps"},
        {"", "", "", "", ""},
        {",\"userInfo\":\"alice\",\"resource\":[1]", "", "", "", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char fields[1024];
        snprintf(fields, sizeof(fields),
                 "\"uid\":\"u\",%s,\"operation\":\"CREATE\",\"namespace\":\"ns\","
                 "\"object\":{\"metadata\":{\"name\":\"x\"},\"spec\":{}}%s",
                 RS_KIND, cases[i].extra);
        char *body = review_json("admission.k8s.io/v1", fields);
        struct kw_outcome out;
        kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
        cr_assert_eq(out.http_status, 200, "case %zu: %s", i, out.body);
        cr_expect_str_eq(out.summary.user, cases[i].user, "case %zu", i);
        cr_expect_str_eq(out.summary.group, cases[i].group, "case %zu", i);
        cr_expect_str_eq(out.summary.version, cases[i].version, "case %zu", i);
        cr_expect_str_eq(out.summary.resource, cases[i].resource, "case %zu", i);
        kw_outcome_free(&out);
        free(body);
    }
}

/* Fields longer than the summary holds are cut to fit, byte for byte their
 * beginning (the resource after its join with the subresource). */
Test(review, summary_fields_are_cut_to_fit)
{
    struct kw_summary s;
    char uid[sizeof(s.uid) + 10], res[sizeof(s.resource) - 4], sub[16];
    memset(uid, 'u', sizeof(uid) - 1);
    uid[sizeof(uid) - 1] = '\0';
    memset(res, 'r', sizeof(res) - 1);
    res[sizeof(res) - 1] = '\0';
    strcpy(sub, "status");
    char fields[2048];
    snprintf(fields, sizeof(fields),
             "\"uid\":\"%s\",%s,\"operation\":\"CREATE\",\"namespace\":\"ns\","
             "\"subResource\":\"%s\",\"resource\":{\"group\":\"g\",\"version\":\"v1\","
             "\"resource\":\"%s\"},\"object\":{\"metadata\":{\"name\":\"x\"},\"spec\":{}}",
             uid, RS_KIND, sub, res);
    char *body = review_json("admission.k8s.io/v1", fields);
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_assert_eq(out.http_status, 200, "%s", out.body);
    cr_expect_eq(strlen(out.summary.uid), sizeof(s.uid) - 1);
    cr_expect_eq(strncmp(out.summary.uid, uid, sizeof(s.uid) - 1), 0);
    char joined[sizeof(res) + sizeof(sub) + 1];
    snprintf(joined, sizeof(joined), "%s/%s", res, sub);
    cr_expect_eq(strlen(out.summary.resource), sizeof(s.resource) - 1);
    cr_expect_eq(strncmp(out.summary.resource, joined, sizeof(s.resource) - 1), 0);
    cr_expect_str_eq(out.summary.group, "g");
    kw_outcome_free(&out);
    free(body);
}

/* What metrics count by: the kind and operation as the core classified them,
 * next to the strings as sent (for logs). */
Test(review, summary_classifies_kind_and_operation)
{
    static const struct {
        const char *kind, *op;
        enum kw_kind kind_id;
        enum kw_operation op_id;
    } cases[] = {
        {"{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\",\"kind\":"
         "\"ReplicationDestination\"}",
         "UPDATE", KW_KIND_RD, KW_OP_UPDATE},
        {"{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Secret\"}", "DELETE", KW_KIND_SECRET,
         KW_OP_DELETE},
        {"{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}", "PATCH", KW_KIND_OTHER,
         KW_OP_OTHER},
        /* Another group's kind of the same name is not the one handled. */
        {"{\"group\":\"example.com\",\"version\":\"v1\",\"kind\":\"ReplicationSource\"}", "CONNECT",
         KW_KIND_OTHER, KW_OP_CONNECT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char fields[1024];
        snprintf(fields, sizeof(fields),
                 "\"uid\":\"k\",\"kind\":%s,\"operation\":\"%s\",\"namespace\":\"ns\","
                 "\"object\":{\"metadata\":{\"name\":\"x\"}}",
                 cases[i].kind, cases[i].op);
        char *body = review_json("admission.k8s.io/v1", fields);
        struct kw_outcome out;
        kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
        cr_assert(out.summary.decoded, "%s", fields);
        cr_expect_eq(out.summary.kind_id, cases[i].kind_id, "%s", fields);
        cr_expect_eq(out.summary.op_id, cases[i].op_id, "%s", fields);
        cr_expect_str_eq(out.summary.operation, cases[i].op);
        kw_outcome_free(&out);
        free(body);
    }
}

/* A review whose object holds `n` empty objects: 4 values of envelope
 * (root, request, uid, operation... counted below) plus `n` + 2. */
static char *review_with_items(size_t n, size_t *values_out)
{
    static const char head[] =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
        "\"request\":{\"uid\":\"u\",\"operation\":\"CREATE\"," RS_KIND ",\"object\":{\"items\":[";
    size_t len = sizeof(head) - 1 + 3 * n + 8;
    char *buf = malloc(len);
    cr_assert(buf);
    size_t at = (size_t)snprintf(buf, len, "%s", head);
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s{}", i ? "," : "");
    snprintf(buf + at, len - at, "]}}}");
    /* root, apiVersion, kind, request, uid, operation, kind{group,version,
     * kind} (4), object, items: 12, then the n items. */
    *values_out = 12 + n;
    return buf;
}

Test(review, a_review_at_the_value_limit_passes_and_one_more_is_413)
{
    size_t values;
    char *body = review_with_items(1000, &values);
    cfg.max_request_values = values;
    json_decref(handle(KW_HOOK_VALIDATE, body, 200));
    cfg.max_request_values = values - 1;
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    cr_assert_eq(out.http_status, 413);
    char want[128];
    snprintf(want, sizeof want,
             "request too complex: more than %zu values (limit --max-request-values)\n",
             values - 1);
    cr_assert_str_eq(out.body, want);
    cr_assert_str_eq(out.content_type, "text/plain; charset=utf-8");
    kw_outcome_free(&out);
    free(body);
}

Test(review, the_default_value_limit_refuses_a_body_of_empty_objects)
{
    size_t values;
    char *body = review_with_items(KW_DEFAULT_MAX_REQUEST_VALUES, &values);
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_MUTATE, body, strlen(body), &out);
    cr_assert_eq(out.http_status, 413, "%s", out.body);
    cr_assert(strstr(out.body, "request too complex: more than 50000 values"));
    kw_outcome_free(&out);
    free(body);
}

/* The decoder's allocation failing (the server's per-request budget) is a
 * 413 naming the memory limit, not a 400 or a 500. */
static size_t fail_after;
static void *failing_malloc(size_t n)
{
    if (fail_after == 0)
        return NULL;
    fail_after--;
    return malloc(n);
}

Test(review, running_out_of_memory_while_decoding_is_413)
{
    size_t values;
    char *body = review_with_items(2000, &values);
    json_malloc_t old_malloc;
    json_free_t old_free;
    json_get_alloc_funcs(&old_malloc, &old_free);
    fail_after = 500;
    json_set_alloc_funcs(failing_malloc, free);
    struct kw_outcome out;
    kw_handle(&cfg, KW_HOOK_VALIDATE, body, strlen(body), &out);
    json_set_alloc_funcs(old_malloc, old_free);
    cr_assert_eq(out.http_status, 413, "%s", out.body);
    cr_assert_str_eq(out.body, "request too complex: its values need more memory than one "
                               "request may use (limit --request-memory-bytes)\n");
    kw_outcome_free(&out);
    free(body);
}
