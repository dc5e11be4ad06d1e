/* The AdmissionReview reply written directly (kw_review_encode) is byte for
 * byte the reply of the encoder that built a jansson tree and dumped it
 * (tests/support/review_reference.c): allowed, warnings, denials with every
 * cause type, 400 and 500 Statuses, patches of every operation and value
 * type, DELETE, /validate, both API versions, hostile bytes in every string
 * the reply carries, failures both refuse, every review of the repository's
 * fixtures and seeds through both webhooks; and a reply buffer limited at
 * every offset fails cleanly. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/admission/review.h"
#include "kw/json/util.h"
#include "kw/json/yaml.h"
#include "kw/schema/schema.h"
#include "kwtest.h"
#include "review_reference.h"

/* Both encoders give the same bytes, or both fail; returns how many replies
 * were compared (0 or 1). A reply must also be JSON. */
static int assert_same_reply(const struct kw_review *rv, const struct kw_result *res,
                             bool with_patch, const char *what)
{
    size_t want_len = 0, got_len = 0;
    char *want = kwt_review_encode_reference(rv, res, with_patch, &want_len);
    char *got = kw_review_encode(rv, res, with_patch, &got_len);
    if (!want) {
        cr_assert_null(got, "%s: the reference fails, the writer gave %s", what, got);
        return 0;
    }
    cr_assert_not_null(got, "%s: the writer fails, the reference gave %s", what, want);
    cr_assert(got_len == want_len && memcmp(got, want, want_len) == 0,
              "%s:\nreference %s\nwriter    %s", what, want, got);
    json_error_t jerr;
    json_t *doc = json_loadb(got, got_len, 0, &jerr);
    cr_assert_not_null(doc, "%s: reply is not JSON: %s", what, jerr.text);
    json_decref(doc);
    free(want);
    free(got);
    return 1;
}

/* Every combination of webhook and operation that changes the reply. */
static void assert_same_everywhere(struct kw_review *rv, const struct kw_result *res,
                                   const char *what)
{
    const char *apis[] = {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"};
    enum kw_operation ops[] = {KW_OP_CREATE, KW_OP_DELETE};
    enum kw_operation op = rv->op;
    const char *api = rv->api_version;
    for (size_t a = 0; a < 2; a++)
        for (size_t o = 0; o < 2; o++)
            for (int patch = 0; patch < 2; patch++) {
                char label[256];
                snprintf(label, sizeof(label), "%s (%s, op %d, patch %d)", what, apis[a],
                         (int)ops[o], patch);
                rv->api_version = apis[a];
                rv->op = ops[o];
                assert_same_reply(rv, res, patch, label);
            }
    rv->api_version = api;
    rv->op = op;
}

static struct kw_review sample_review(void)
{
    return (struct kw_review){.api_version = "admission.k8s.io/v1",
                              .uid = "705ab4f5-6393-11e8-b7cc-42010a800002",
                              .kind_group = "volsync.backube",
                              .kind_version = "v1alpha1",
                              .kind_name = "ReplicationSource",
                              .kind = KW_KIND_RS,
                              .operation = "CREATE",
                              .op = KW_OP_CREATE,
                              .name = "mydata-backup",
                              .namespace = "default"};
}

/* Every byte 0x01-0x1f, 0x7f, quotes, backslashes, a slash and UTF-8 of
 * two, three and four bytes (NUL cannot be in a C string: the writer's
 * tests cover it). */
static char *hostile_text(const char *prefix)
{
    char text[256];
    size_t n = (size_t)snprintf(text, sizeof(text), "%s", prefix);
    for (int c = 1; c < 0x20; c++)
        text[n++] = (char)c;
    const char *rest = "\x7f \"q\" \\b\\ / é € 😀 end";
    strcpy(text + n, rest);
    char *out = strdup(text);
    cr_assert(out);
    return out;
}

/* Replaces warning i's text (kw_result_warn cleans control bytes away; the
 * encoder must carry whatever a warning holds). */
static void set_warning_text(struct kw_result *res, size_t i, char *text_owned)
{
    free(res->warnings[i].text);
    res->warnings[i].text = text_owned;
}

Test(review_writer, allowed_with_and_without_warnings)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    assert_same_everywhere(&rv, &res, "allowed");
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "spec.kopia.copyMethod: defaulted");
    assert_same_everywhere(&rv, &res, "one warning");
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "second %s", "warning");
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "third");
    set_warning_text(&res, 2, hostile_text("raw "));
    assert_same_everywhere(&rv, &res, "warnings");
    kw_result_free(&res);
}

Test(review_writer, denials_with_one_and_with_several_causes_of_every_type)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    kw_result_cause_str(&res, KW_CAUSE_REQUIRED, KW_RULE_IDENTITY_INVALID, "spec.kopia.repository",
                        NULL, "a repository Secret is required");
    assert_same_everywhere(&rv, &res, "one cause");
    static const enum kw_cause_type types[] = {
        KW_CAUSE_INVALID,  KW_CAUSE_REQUIRED,    KW_CAUSE_FORBIDDEN, KW_CAUSE_TOO_LONG,
        KW_CAUSE_TOO_MANY, KW_CAUSE_UNSUPPORTED, KW_CAUSE_DUPLICATE, KW_CAUSE_TYPE,
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        kw_result_cause_str(&res, types[i], KW_RULE_IDENTITY_INVALID, "spec.kopia.username", "-x",
                            "must start and end with %s", "an alphanumeric character");
        kw_result_cause(&res, types[i], KW_RULE_ADDITIONAL_ARGS_TOO_MANY,
                        "spec.kopia.additionalArgs", i % 2 ? "21" : NULL, "detail %zu", i);
    }
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "warned as well");
    kw_result_patch(&res, KW_PATCH_ADD, "/spec/x", NULL, json_string("not sent when denied"));
    assert_same_everywhere(&rv, &res, "several causes");
    /* Out of memory after causes were recorded: still the 422 with them. */
    res.out_of_memory = true;
    assert_same_everywhere(&rv, &res, "causes and out of memory");
    /* A review without name, group or kind name. */
    rv.name = NULL;
    rv.kind_group = NULL;
    rv.kind_name = NULL;
    rv.kind = KW_KIND_OTHER;
    assert_same_everywhere(&rv, &res, "no name, group or kind");
    kw_result_free(&res);
}

Test(review_writer, bad_request_and_out_of_memory_statuses)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    kw_result_bad_request(&res, "spec must be an object, not %s", "a string");
    assert_same_everywhere(&rv, &res, "400");
    kw_result_cause(&res, KW_CAUSE_INVALID, KW_RULE_IDENTITY_INVALID, "spec", NULL, "also");
    assert_same_everywhere(&rv, &res, "400 with a cause");
    kw_result_free(&res);

    kw_result_init(&res);
    res.out_of_memory = true;
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "a warning");
    assert_same_everywhere(&rv, &res, "500");
    kw_result_free(&res);
}

/* One operation of every kind, with values of every type. */
static void add_every_op(struct kw_result *res)
{
    json_t *nested = json_pack("{s:[i,f,b,n,{s:s}],s:{}}", "list", 1, 2.5, true, "k", "v", "e");
    json_object_setn_new(nested, "nul\0key", 7, json_stringn("a\0b", 3));
    json_t *values[] = {
        json_string("mydata-backup@default"),
        json_string(""),
        json_integer(0),
        json_integer(LLONG_MIN),
        json_real(0.1),
        json_real(1e300),
        json_true(),
        json_false(),
        json_null(),
        json_object(),
        json_array(),
        json_pack("[s,i,[]]", "x", 3),
        nested,
        json_pack("{s:s}", "kopia-webhook.io/identity", "a@b"),
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        kw_result_patch(res, KW_PATCH_ADD, "/spec/kopia/v", NULL, values[i]);
    kw_result_patch(res, KW_PATCH_REPLACE, "/metadata/annotations/kopia-webhook.io~1identity", NULL,
                    json_string("x"));
    kw_result_patch(res, KW_PATCH_TEST, "/spec/kopia/username", NULL, json_string("u"));
    kw_result_patch(res, KW_PATCH_REMOVE, "/spec/kopia/hostname", NULL, NULL);
    kw_result_patch(res, KW_PATCH_MOVE, "/spec/a", "/spec/b", NULL);
    kw_result_patch(res, KW_PATCH_COPY, "/spec/c", "/spec/a~0b", NULL);
    kw_result_patch(res, KW_PATCH_ADD, "", NULL, json_object());
    kw_result_patch(res, KW_PATCH_ADD, "/spec/é\"\\", NULL, json_string("é € 😀"));
}

Test(review_writer, patches_of_every_operation_and_value_type)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "/metadata/annotations/kopia-webhook.io~1identity", NULL,
                    json_string("mydata-backup@default"));
    assert_same_everywhere(&rv, &res, "one op");
    add_every_op(&res);
    assert_same_everywhere(&rv, &res, "every op");
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "with a warning");
    assert_same_everywhere(&rv, &res, "ops and a warning");
    kw_result_free(&res);
}

Test(review_writer, hostile_bytes_in_every_string_of_the_reply)
{
    char *uid = hostile_text("uid ");
    char *name = hostile_text("name ");
    char *group = hostile_text("group ");
    char *kind = hostile_text("Kind ");
    struct kw_review rv = sample_review();
    rv.uid = uid;
    rv.name = name;
    struct kw_result res;
    kw_result_init(&res);
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "w");
    set_warning_text(&res, 0, hostile_text("warning "));
    assert_same_everywhere(&rv, &res, "hostile uid and warning");
    char *patch_value = hostile_text("");
    kw_result_patch(&res, KW_PATCH_ADD, "/metadata/annotations/x", NULL, json_string(patch_value));
    free(patch_value);
    assert_same_everywhere(&rv, &res, "hostile patch value");

    char *field = hostile_text("spec.");
    char *value = hostile_text("value ");
    char *detail = hostile_text("detail ");
    kw_result_cause_str(&res, KW_CAUSE_INVALID, KW_RULE_IDENTITY_INVALID, field, value, "%s",
                        detail);
    kw_result_cause(&res, KW_CAUSE_TYPE, KW_RULE_IDENTITY_INVALID, field, value, "%s", detail);
    assert_same_everywhere(&rv, &res, "hostile causes");
    rv.kind = KW_KIND_OTHER;
    rv.kind_group = group;
    rv.kind_name = kind;
    assert_same_everywhere(&rv, &res, "hostile kind");
    kw_result_free(&res);

    kw_result_init(&res);
    kw_result_bad_request(&res, "%s", detail);
    assert_same_everywhere(&rv, &res, "hostile bad request");
    kw_result_free(&res);
    free(uid);
    free(name);
    free(group);
    free(kind);
    free(field);
    free(value);
    free(detail);
}

Test(review_writer, what_the_reference_refuses_the_writer_refuses)
{
    struct kw_review rv = sample_review();
    struct kw_result res;

    /* An op that is no valid JSON Patch operation. */
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "no-slash", NULL, json_string("x"));
    assert_same_reply(&rv, &res, true, "bad path");
    cr_assert_null(kw_review_encode(&rv, &res, true, NULL));
    kw_result_free(&res);
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "/a", NULL, NULL);
    kw_result_patch(&res, KW_PATCH_MOVE, "/a", NULL, NULL);
    cr_assert_null(kw_review_encode(&rv, &res, true, NULL));
    assert_same_reply(&rv, &res, true, "missing value and from");
    kw_result_free(&res);

    /* Strings that are not UTF-8, wherever they are. */
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "/a", NULL, json_stringn_nocheck("\xc3\x28", 2));
    cr_assert_null(kw_review_encode(&rv, &res, true, NULL));
    assert_same_reply(&rv, &res, true, "patch value not UTF-8");
    kw_result_patch(&res, KW_PATCH_ADD, "/a", NULL, json_pack("[s]", "x"));
    json_array_append_new(res.ops[1].value, json_stringn_nocheck("\xed\xa0\x80", 3));
    assert_same_reply(&rv, &res, true, "nested value not UTF-8");
    kw_result_free(&res);

    kw_result_init(&res);
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "w");
    set_warning_text(&res, 0, strdup("bad \xff"));
    cr_assert_null(kw_review_encode(&rv, &res, false, NULL));
    assert_same_reply(&rv, &res, false, "warning not UTF-8");
    kw_result_free(&res);

    kw_result_init(&res);
    rv.uid = "\xc0\xaf";
    cr_assert_null(kw_review_encode(&rv, &res, false, NULL));
    assert_same_reply(&rv, &res, false, "uid not UTF-8");
    rv.uid = NULL;
    assert_same_reply(&rv, &res, false, "no uid");
    kw_result_free(&res);
}

/* The reply of `res` with the reply buffer limited to each size below its
 * length: every one fails (nothing leaks), the full length succeeds. */
static void assert_limit_at_every_offset(const struct kw_review *rv, const struct kw_result *res,
                                         bool with_patch)
{
    size_t n;
    char *full = kw_review_encode(rv, res, with_patch, &n);
    cr_assert_not_null(full);
    for (size_t limit = 0; limit <= n; limit++) {
        struct kw_dynbuf out;
        kw_dynbuf_init(&out, limit);
        int rc = kw_review_encode_into(rv, res, with_patch, &out);
        if (limit < n) {
            cr_assert_eq(rc, KW_JSON_WRITER_TOO_BIG, "limit %zu of %zu: rc %d", limit, n, rc);
        } else {
            cr_assert_eq(rc, KW_JSON_WRITER_OK);
            cr_assert_eq(kw_dynbuf_len(&out), n);
            cr_assert_eq(memcmp(kw_dynbuf_ptr(&out), full, n), 0);
        }
        kw_dynbuf_free(&out);
    }
    free(full);
}

Test(review_writer, a_reply_buffer_limited_at_every_offset_fails_cleanly)
{
    struct kw_review rv = sample_review();
    struct kw_result res;
    kw_result_init(&res);
    add_every_op(&res);
    kw_result_warn(&res, KW_RULE_COPYMETHOD_DEFAULTED, "a warning");
    assert_limit_at_every_offset(&rv, &res, true);
    kw_result_cause_str(&res, KW_CAUSE_INVALID, KW_RULE_IDENTITY_INVALID, "spec.kopia.username",
                        "-x", "must start and end with an alphanumeric character");
    kw_result_cause(&res, KW_CAUSE_TOO_MANY, KW_RULE_ADDITIONAL_ARGS_TOO_MANY,
                    "spec.kopia.additionalArgs", "21", "must have at most 20 items");
    assert_limit_at_every_offset(&rv, &res, true);
    kw_result_free(&res);
    kw_result_init(&res);
    kw_result_bad_request(&res, "bad");
    assert_limit_at_every_offset(&rv, &res, false);
    kw_result_free(&res);
}

/* ---- the repository's reviews ---- */

static struct kw_config fixture_cfg;
static struct kw_schema_set *fixture_schemas;

static void load_schemas(void)
{
    char err[512];
    fixture_schemas = kw_schema_set_load(err, sizeof(err));
    cr_assert(fixture_schemas, "%s", err);
    kw_config_defaults(&fixture_cfg);
    fixture_cfg.schemas = fixture_schemas;
}

static void free_schemas(void)
{
    kw_schema_set_free(fixture_schemas);
}

/* Evaluates a decoded review on both webhooks and compares the replies. */
static int compare_evaluated(struct kw_review *rv, const char *what)
{
    int compared = 0;
    for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
        struct kw_result res;
        kw_result_init(&res);
        kw_evaluate(&fixture_cfg, (enum kw_webhook)hook, rv, &res);
        compared += assert_same_reply(rv, &res, hook == KW_HOOK_MUTATE, what);
        kw_result_free(&res);
    }
    return compared;
}

/* Every AdmissionReview file of a directory (relative to the source tree)
 * whose name ends in `suffix`; returns the replies compared. */
static int compare_review_files(const char *rel_dir, const char *suffix)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", getenv("KW_SOURCE_DIR"), rel_dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int compared = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name), s = strlen(suffix);
        if (e->d_name[0] == '.' || n < s || strcmp(e->d_name + n - s, suffix) != 0)
            continue;
        char rel[4096];
        snprintf(rel, sizeof(rel), "%s/%s", rel_dir, e->d_name);
        size_t len;
        char *body = kwt_read_source(rel, &len);
        struct kw_review rv;
        char err[KW_ERRLEN];
        if (kw_review_decode(body, len, &rv, err) == 0) {
            compared += compare_evaluated(&rv, rel);
            kw_review_free(&rv);
        }
        free(body);
    }
    closedir(d);
    return compared;
}

/* Every Kopia object of the YAML files of a directory, as the CREATE review
 * the API server would send. */
static int compare_yaml_objects(const char *rel_dir)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", getenv("KW_SOURCE_DIR"), rel_dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int compared = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char rel[4096];
        snprintf(rel, sizeof(rel), "%s/%s", rel_dir, e->d_name);
        size_t len;
        char *text = kwt_read_source(rel, &len);
        struct kw_yaml_error yerr;
        json_t *docs = kw_yaml_load_all(text, len, &yerr);
        free(text);
        cr_assert_not_null(docs, "%s: %s", rel, yerr.text);
        size_t i;
        json_t *doc;
        json_array_foreach(docs, i, doc)
        {
            const char *kind = kw_obj_str(doc, "kind");
            json_t *meta = kw_obj_get(doc, "metadata");
            const char *name = kw_obj_str(meta, "name");
            const char *ns = kw_obj_str(meta, "namespace");
            struct kw_review rv = sample_review();
            rv.kind_name = kind ? kind : "";
            rv.kind = kw_kind_of("volsync.backube", rv.kind_name);
            rv.name = name ? name : "";
            rv.namespace = ns && ns[0] ? ns : "default";
            rv.object = doc;
            compared += compare_evaluated(&rv, rel);
        }
        json_decref(docs);
    }
    closedir(d);
    return compared;
}

Test(review_writer, every_review_of_the_fixtures_and_seeds, .init = load_schemas,
     .fini = free_schemas)
{
    int compared = compare_review_files("examples", ".json");
    compared += compare_review_files("tests/fixtures/json", ".json");
    compared += compare_review_files("fuzz/corpus/review", "");
    cr_assert_geq(compared, 150, "only %d replies compared", compared);
    int objects = compare_yaml_objects("tests/fixtures/upstream");
    char sub[256];
    const char *versions[] = {"v0.15.40", "v0.16.13", "v0.17.11"};
    for (size_t v = 0; v < 3; v++) {
        snprintf(sub, sizeof(sub), "tests/fixtures/operator/%s", versions[v]);
        objects += compare_yaml_objects(sub);
    }
    cr_assert_geq(objects, 2 * 97, "only %d replies of YAML objects compared", objects);
}
