/* Test helper: objects through kw_handle() as AdmissionReviews (see
 * admission.h). */
#include "admission.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/patch.h"
#include "kw/schema/schema.h"

/* One compiled schema set per test process, kept reachable for its life. */
static struct kw_schema_set *test_schemas;
static pthread_once_t test_schemas_once = PTHREAD_ONCE_INIT;

static void load_test_schemas(void)
{
    char err[512];
    test_schemas = kw_schema_set_load(err, sizeof(err));
    cr_assert_not_null(test_schemas, "%s", err);
}

void kwt_config(struct kw_config *cfg)
{
    kw_config_defaults(cfg);
    pthread_once(&test_schemas_once, load_test_schemas);
    cfg->schemas = test_schemas;
}

static const char *group_of(const char *kind)
{
    return strcmp(kind, "ReplicationSource") == 0 || strcmp(kind, "ReplicationDestination") == 0
               ? "volsync.backube"
               : "";
}

static char *review_body(const char *kind, const char *operation, const char *name, const char *ns,
                         const json_t *object, const json_t *old_object)
{
    const char *group = group_of(kind);
    json_t *request = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:O}", "uid", "test-uid", "kind",
                                "group", group, "version", group[0] ? "v1alpha1" : "v1", "kind",
                                kind, "operation", operation, "object", object);
    cr_assert_not_null(request);
    if (name[0])
        json_object_set_new(request, "name", json_string(name));
    if (ns[0])
        json_object_set_new(request, "namespace", json_string(ns));
    if (old_object)
        json_object_set(request, "oldObject", (json_t *)old_object);
    json_t *review = json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                               "AdmissionReview", "request", request);
    cr_assert_not_null(review);
    char *body = json_dumps(review, JSON_COMPACT);
    cr_assert_not_null(body);
    json_decref(review);
    return body;
}

static json_t *decode_patch(const char *b64)
{
    size_t n = strlen(b64);
    unsigned char *raw = malloc(n + 1);
    cr_assert_not_null(raw);
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    cr_assert_geq(len, 0, "patch is not base64");
    while (n > 0 && b64[n - 1] == '=') {
        len--;
        n--;
    }
    json_error_t e;
    json_t *patch = json_loadb((const char *)raw, (size_t)len, 0, &e);
    cr_assert(json_is_array(patch), "patch is not a JSON array: %s", e.text);
    free(raw);
    return patch;
}

void kwt_admit(const struct kw_config *cfg, enum kw_webhook hook, const char *kind,
               const char *operation, const char *name, const char *ns, const json_t *object,
               const json_t *old_object, struct kwt_admission *out)
{
    memset(out, 0, sizeof(*out));
    char *body = review_body(kind, operation, name, ns, object, old_object);
    struct kw_outcome oc;
    kw_handle(cfg, hook, body, strlen(body), &oc);
    free(body);
    cr_assert_eq(oc.http_status, 200, "HTTP %d: %s", oc.http_status, oc.body);
    json_error_t e;
    out->doc = json_loadb(oc.body, oc.body_len, 0, &e);
    cr_assert_not_null(out->doc, "response is not JSON: %s", e.text);
    out->summary = oc.summary;
    kw_outcome_free(&oc);

    json_t *response = json_object_get(out->doc, "response");
    cr_assert(json_is_object(response));
    out->allowed = json_is_true(json_object_get(response, "allowed"));
    out->warnings = json_object_get(response, "warnings");
    json_t *patch = json_object_get(response, "patch");
    if (patch) {
        cr_assert_eq(hook, KW_HOOK_MUTATE, "a patch on /validate");
        cr_assert_str_eq(json_string_value(json_object_get(response, "patchType")), "JSONPatch");
        out->patch = decode_patch(json_string_value(patch));
    }
}

void kwt_admission_free(struct kwt_admission *a)
{
    json_decref(a->doc);
    json_decref(a->patch);
    memset(a, 0, sizeof(*a));
}

json_t *kwt_patched(const json_t *object, const struct kwt_admission *a)
{
    json_t *doc = json_deep_copy(object);
    cr_assert_not_null(doc);
    if (!a->patch)
        return doc;
    char err[256] = "";
    char *text = json_dumps(a->patch, JSON_COMPACT);
    cr_assert_eq(kw_patch_apply(doc, a->patch, err, sizeof(err)), 0,
                 "the patch does not apply: %s\npatch: %s", err, text);
    free(text);
    return doc;
}

size_t kwt_warn_count(const struct kwt_admission *a, enum kw_rule_id rule_id)
{
    size_t n = 0;
    for (size_t i = 0; i < a->summary.nwarn; i++)
        n += a->summary.warn_rules[i] == rule_id;
    return n;
}
