/* Policy ConfigMaps and Secrets: which keys are policy files and
 * which schema each gets, the global-policy schema key by key (strict
 * integers, ranges, every ignored key), the 1 MiB limit and the empty file,
 * ConfigMap data/binaryData and Secret data/stringData with base64, shape
 * errors, and a Secret whose content must not appear in the response, the
 * summary the server logs, or the CLI's output. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission.h"
#include "kw/admission/core.h"
#include "kw/json/util.h"
#include "kw/schema/schema.h"
#include "kw/json/yaml.h"

static struct kw_config cfg;

/* Defaults plus the compiled schemas, loaded once per test process. */
static void setup(void)
{
    kwt_config(&cfg);
}

TestSuite(policy_objects, .init = setup);

static void evaluate(json_t *obj, enum kw_webhook hook, struct kw_result *res)
{
    const char *kind = kw_obj_str(obj, "kind");
    struct kw_review rv = {.kind_group = "",
                           .kind_name = kind,
                           .kind = kw_kind_of("", kind),
                           .operation = "CREATE",
                           .op = KW_OP_CREATE,
                           .name = "policies",
                           .namespace = "prod",
                           .object = obj};
    kw_result_init(res);
    kw_evaluate(&cfg, hook, &rv, res);
}

/* A labelled ConfigMap or Secret whose `member` holds {key: value}. */
static json_t *policy_object(const char *kind, const char *member, const char *key,
                             const char *value, size_t len)
{
    json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{}}", "apiVersion", "v1", "kind",
                            kind, "metadata", "name", "policies", "namespace", "prod", "labels",
                            "kopia.volsync.backube/policy", "true", member);
    cr_assert(obj);
    json_object_set_new(json_object_get(obj, member), key, json_stringn_nocheck(value, len));
    return obj;
}

static char *base64(const char *raw, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    cr_assert(out);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)raw, (int)len);
    return out;
}

static char *cause_line(const struct kw_cause *c)
{
    char *b = kw_cause_body(c), *out = NULL;
    cr_assert(asprintf(&out, "[%s] %s: %s", kw_rule_id_string(c->rule_id), c->field, b) > 0);
    free(b);
    return out;
}

static void expect_result(const struct kw_result *res, const char *const *causes, size_t ncauses,
                          const char *const *warnings, size_t nwarnings)
{
    cr_expect_null(res->bad_request, "bad request: %s", res->bad_request);
    cr_expect_eq(res->ncauses, ncauses, "%zu causes, want %zu", res->ncauses, ncauses);
    for (size_t i = 0; i < res->ncauses; i++) {
        char *got = cause_line(&res->causes[i]);
        cr_expect(i < ncauses && strcmp(got, causes[i]) == 0, "cause %zu: got\n  %s\nwant\n  %s", i,
                  got, i < ncauses ? causes[i] : "(none)");
        free(got);
    }
    cr_expect_eq(res->nwarnings, nwarnings, "%zu warnings, want %zu", res->nwarnings, nwarnings);
    for (size_t i = 0; i < res->nwarnings; i++) {
        char *tagged = NULL;
        cr_assert(asprintf(&tagged, "[%s] %s", kw_rule_id_string(res->warnings[i].rule_id),
                           res->warnings[i].text) > 0);
        cr_expect(i < nwarnings && strcmp(tagged, warnings[i]) == 0,
                  "warning %zu: got\n  %s\nwant\n  %s", i, tagged,
                  i < nwarnings ? warnings[i] : "(none)");
        free(tagged);
    }
}

/* One file `key` = `value` in a ConfigMap's data. */
static void expect_file(const char *key, const char *value, const char *const *causes,
                        size_t ncauses, const char *const *warnings, size_t nwarnings)
{
    json_t *obj = policy_object("ConfigMap", "data", key, value, strlen(value));
    struct kw_result res;
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    expect_result(&res, causes, ncauses, warnings, nwarnings);
    kw_result_free(&res);
    json_decref(obj);
}

#define NONE NULL, 0
#define LIST(...)                                                                                  \
    (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)
#define GP "data[global-policy.json]"

/* ---- the global-policy schema --------------------------------------- */

Test(policy_objects, a_complete_global_policy_is_allowed_without_warnings)
{
    expect_file("global-policy.json",
                "{\"retention\": {\"keepHourly\": 24, \"keepDaily\": 7, \"keepWeekly\": 4,"
                " \"keepMonthly\": 12, \"keepYearly\": 0},"
                " \"compression\": {\"compressor\": \"zstd\"},"
                " \"scheduling\": {\"interval\": \"4h\"},"
                " \"files\": {\"ignore\": [\".git\", \"*.tmp\"], \"ignoreCacheDirs\": true}}",
                NONE, NONE);
}

Test(policy_objects, retention_counts_are_strict_json_integers_of_at_least_zero)
{
    expect_file("global-policy.json",
                "{\"retention\": {\n"
                "  \"keepHourly\": 1.0,\n"
                "  \"keepDaily\": 1e2,\n"
                "  \"keepWeekly\": \"4\",\n"
                "  \"keepMonthly\": -1,\n"
                "  \"keepYearly\": 2.5}}",
                LIST("[policy-field-type] " GP ": Invalid value: \"number\": retention.keepHourly "
                     "in body must be of type integer: \"number\" (line 2, column 17)",
                     "[policy-field-type] " GP ": Invalid value: \"number\": retention.keepDaily "
                     "in body must be of type integer: \"number\" (line 3, column 16)",
                     "[policy-field-type] " GP ": Invalid value: \"string\": retention.keepWeekly "
                     "in body must be of type integer: \"string\" (line 4, column 17)",
                     "[policy-value-invalid] " GP ": Invalid value: retention.keepMonthly in body "
                     "should be greater than or equal to 0 (line 5, column 18)",
                     "[policy-field-type] " GP ": Invalid value: \"number\": retention.keepYearly "
                     "in body must be of type integer: \"number\" (line 6, column 17)"),
                NONE);
}

Test(policy_objects, every_key_the_mover_reads_is_type_checked)
{
    expect_file("global-policy.json",
                "{\"retention\": [], \"compression\": {\"compressor\": 3},"
                " \"scheduling\": {\"interval\": 3600},"
                " \"files\": {\"ignore\": [\".git\", 7, null], \"ignoreCacheDirs\": \"true\"}}",
                LIST("[policy-field-type] " GP ": Invalid value: \"array\": retention in body "
                     "must be of type object: \"array\" (line 1, column 15)",
                     "[policy-field-type] " GP ": Invalid value: \"integer\": "
                     "compression.compressor in body must be of type string: \"integer\" "
                     "(line 1, column 49)",
                     "[policy-field-type] " GP ": Invalid value: \"integer\": scheduling.interval "
                     "in body must be of type string: \"integer\" (line 1, column 80)",
                     "[policy-field-type] " GP ": Invalid value: \"integer\": files.ignore[1] in "
                     "body must be of type string: \"integer\" (line 1, column 116)",
                     "[policy-field-type] " GP ": Invalid value: \"null\": files.ignore[2] in "
                     "body must be of type string: \"null\" (line 1, column 119)",
                     "[policy-field-type] " GP ": Invalid value: \"string\": files.ignoreCacheDirs "
                     "in body must be of type boolean: \"string\" (line 1, column 145)"),
                NONE);
    expect_file("global-policy.json",
                "{\"files\": {\"ignore\": \".git\"}, \"compression\": \"zstd\"}",
                LIST("[policy-field-type] " GP ": Invalid value: \"string\": files.ignore in body "
                     "must be of type array: \"string\" (line 1, column 22)",
                     "[policy-field-type] " GP ": Invalid value: \"string\": compression in body "
                     "must be of type object: \"string\" (line 1, column 46)"),
                NONE);
}

Test(policy_objects, every_documented_key_the_mover_ignores_is_warned_by_name)
{
    static const struct {
        const char *block, *key, *hint;
    } ignored[] = {
        {"retention", "keepLatest", "it reads keepHourly to keepYearly only"},
        {"retention", "keepAnnual", "it reads keepYearly"},
        {"compression", "compressorName", "it reads compressor"},
        {"compression", "compressionLevel", "pick a compressor such as zstd-better-compression"},
        {"compression", "minSize", "it reads compressor only"},
        {"compression", "maxSize", "it reads compressor only"},
        {"compression", "onlyCompress", "it reads compressor only"},
        {"compression", "neverCompress", "it reads compressor only"},
        {"scheduling", "intervalSeconds", "it reads interval (a duration such as 4h)"},
        {"scheduling", "uploadParallelism", "set spec.kopia.parallelism"},
        {"scheduling", "downloadParallelism", "it reads interval only"},
        {"scheduling", "timeOfDay", "spec.trigger schedules the mover"},
        {"scheduling", "cron", "spec.trigger schedules the mover"},
        {"scheduling", "manual", "spec.trigger schedules the mover"},
        {"scheduling", "runMissed", "spec.trigger schedules the mover"},
        {"files", "dotIgnoreFiles", "it reads ignore and ignoreCacheDirs only"},
        {"files", "ignoreDotFiles", "it reads ignore and ignoreCacheDirs only"},
        {"files", "noParentIgnore", "it reads ignore and ignoreCacheDirs only"},
        {"files", "noParentDotFiles", "it reads ignore and ignoreCacheDirs only"},
        {"files", "oneFileSystem", "it reads ignore and ignoreCacheDirs only"},
        {"files", "maxFileSize", "it reads ignore and ignoreCacheDirs only"},
        {"files", "ignoreDeleted", "it reads ignore and ignoreCacheDirs only"},
        {NULL, "errorHandling", "it applies no error-handling policy"},
        {NULL, "splitter", "the splitter is fixed when the repository is created"},
        {NULL, "actions", "use spec.kopia.actions"},
    };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        char doc[256], want[512];
        /* Its value is not looked at: a number where Kopia wants a list. */
        if (ignored[i].block)
            snprintf(doc, sizeof(doc), "{\"%s\": {\"%s\": 3}}", ignored[i].block, ignored[i].key);
        else
            snprintf(doc, sizeof(doc), "{\"%s\": 3}", ignored[i].key);
        snprintf(want, sizeof(want),
                 "[policy-key-ignored] " GP ": %s%s%s: the mover ignores this key; %s",
                 ignored[i].block ? ignored[i].block : "", ignored[i].block ? "." : "",
                 ignored[i].key, ignored[i].hint);
        expect_file("global-policy.json", doc, NONE, (const char *const[]){want}, 1);
    }
}

Test(policy_objects, unknown_keys_warn_with_suggestions_and_nulls_are_absent)
{
    expect_file("global-policy.json",
                "{\"retension\": {\"keepDaily\": 1}, \"retention\": {\"keepDayly\": 7,"
                " \"keepHourly\": null}, \"compression\": null, \"upload\": {}}",
                NONE,
                LIST("[policy-unknown-key] " GP ": retension: unknown field; did you mean "
                     "retention?",
                     "[policy-unknown-key] " GP ": retention.keepDayly: unknown field; did you "
                     "mean keepDaily?",
                     "[policy-unknown-key] " GP ": upload: unknown field; it has no effect, check "
                     "the spelling"));
}

Test(policy_objects, the_upstream_documentation_s_policy_files)
{
    /* VolSync's backup-configuration page: a global policy and a repository
     * config, as users copy them. */
    const char *yaml =
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: kopia-policies\n"
        "  labels: {kopia.volsync.backube/policy: \"true\"}\n"
        "data:\n"
        "  global-policy.json: |\n"
        "    {\n"
        "      \"retention\": {\"keepDaily\": 7, \"keepWeekly\": 4, \"keepMonthly\": 12,\n"
        "                    \"keepYearly\": 3},\n"
        "      \"compression\": {\"compressor\": \"zstd\", \"compressionLevel\": 3},\n"
        "      \"files\": {\"ignore\": [\".git\", \"*.tmp\", \"node_modules\"],\n"
        "                \"dotIgnoreFiles\": [\".kopiaignore\"], \"maxFileSize\": 10737418240},\n"
        "      \"errorHandling\": {\"ignoreFileErrors\": true},\n"
        "      \"scheduling\": {\"uploadParallelism\": 4}\n"
        "    }\n"
        "  repository.config: |\n"
        "    {\n"
        "      \"enableActions\": true,\n"
        "      \"actionCommandTimeout\": \"5m\",\n"
        "      \"downloadSpeed\": 10485760,\n"
        "      \"downloadSpeed\": 20971520\n"
        "    }\n";
    struct kw_yaml_error yerr;
    json_t *obj = kw_yaml_load_one(yaml, strlen(yaml), &yerr);
    cr_assert(obj, "%s", yerr.text);
    struct kw_result res;
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    expect_result(&res, NONE,
                  LIST("[policy-key-ignored] " GP ": compression.compressionLevel: the mover "
                       "ignores this key; pick a compressor such as zstd-better-compression",
                       "[policy-key-ignored] " GP ": files.dotIgnoreFiles: the mover ignores this "
                       "key; it reads ignore and ignoreCacheDirs only",
                       "[policy-key-ignored] " GP ": files.maxFileSize: the mover ignores this "
                       "key; it reads ignore and ignoreCacheDirs only",
                       "[policy-key-ignored] " GP ": errorHandling: the mover ignores this key; it "
                       "applies no error-handling policy",
                       "[policy-key-ignored] " GP ": scheduling.uploadParallelism: the mover "
                       "ignores this key; set spec.kopia.parallelism",
                       "[policy-key-ignored] data[repository.config]: actionCommandTimeout: the "
                       "mover ignores this key; it reads enableActions, uploadSpeed and "
                       "downloadSpeed only"));
    kw_result_free(&res);
    json_decref(obj);
}

/* ---- which keys, which schema --------------------------------------- */

Test(policy_objects, repository_config_gets_the_repository_config_schema)
{
    expect_file("repository.config", "{\"enableActions\": \"yes\", \"retention\": {}}",
                LIST("[policy-field-type] data[repository.config]: Invalid value: \"string\": "
                     "enableActions in body must be of type boolean: \"string\" (line 1, column "
                     "19)"),
                LIST("[policy-unknown-key] data[repository.config]: retention: unknown field; it "
                     "has no effect, check the spelling"));
}

Test(policy_objects, other_json_keys_get_the_schema_that_knows_their_keys)
{
    /* Upstream's dev-config.json is a repository config, my-retention.json a
     * global policy: neither gets a warning. */
    expect_file("dev-config.json", "{\"enableActions\": true, \"downloadSpeed\": 1}", NONE, NONE);
    expect_file("my-retention.json", "{\"retention\": {\"keepDaily\": 30}}", NONE, NONE);
    expect_file("dev-config.json", "{\"enableActions\": \"on\"}",
                LIST("[policy-field-type] data[dev-config.json]: Invalid value: \"string\": "
                     "enableActions in body must be of type boolean: \"string\" (line 1, column "
                     "19)"),
                NONE);
    /* Equally unknown to both: the global policy is assumed. */
    expect_file("mixed.json", "{\"retention\": {\"keepDaily\": \"x\"}, \"enableActions\": true}",
                LIST("[policy-field-type] data[mixed.json]: Invalid value: \"string\": "
                     "retention.keepDaily in body must be of type integer: \"string\" (line 1, "
                     "column 29)"),
                LIST("[policy-unknown-key] data[mixed.json]: enableActions: unknown field; it has "
                     "no effect, check the spelling"));
    /* A syntax error is reported once. */
    expect_file("x.json", "{\"a\": }",
                LIST("[policy-invalid-json] data[x.json]: Invalid value: invalid JSON in x.json at "
                     "line 1, column 7: unexpected token"),
                NONE);
    expect_file("x.json", "[]",
                LIST("[policy-not-object] data[x.json]: Invalid value: \"array\": must be a JSON "
                     "object"),
                NONE);
}

Test(policy_objects, keys_that_are_not_policy_files_are_not_read)
{
    expect_file("notes.txt", "{not json", NONE, NONE);
    expect_file("repository.conf", "{not json", NONE, NONE);
    expect_file("policy.JSON", "{not json", NONE, NONE);
    expect_file("README", "", NONE, NONE);
}

Test(policy_objects, an_empty_policy_file_is_invalid)
{
    expect_file("global-policy.json", "",
                LIST("[policy-invalid-json] " GP ": Invalid value: invalid JSON in "
                     "global-policy.json: the file is empty"),
                NONE);
    expect_file("repository.config", " \n",
                LIST("[policy-invalid-json] data[repository.config]: Invalid value: invalid JSON "
                     "in repository.config at line 2, column 0: '[' or '{' expected"),
                NONE);
}

/* `levels` nested objects ("a" members) with a 1 in the deepest. */
static char *nested_file(size_t levels)
{
    char *doc = malloc(levels * 5 + levels + 2);
    cr_assert(doc);
    size_t o = 0;
    for (size_t i = 0; i < levels; i++)
        o += (size_t)sprintf(doc + o, "{\"a\":");
    doc[o++] = '1';
    memset(doc + o, '}', levels);
    doc[o + levels] = 0;
    return doc;
}

Test(policy_objects, a_file_may_nest_2048_levels_and_not_one_more)
{
    const char *keys[] = {"global-policy.json", "repository.config"};
    for (size_t k = 0; k < 2; k++) {
        for (size_t levels = 2047; levels <= 2049; levels++) {
            char *doc = nested_file(levels);
            json_t *obj = policy_object("ConfigMap", "data", keys[k], doc, strlen(doc));
            struct kw_result res;
            evaluate(obj, KW_HOOK_VALIDATE, &res);
            char want[256];
            snprintf(want, sizeof(want),
                     "[policy-invalid-json] data[%s]: Invalid value: invalid JSON in %s at line 1, "
                     "column 10241: nested deeper than 2048 levels",
                     keys[k], keys[k]);
            if (levels <= 2048) /* "a" is an unknown key */
                cr_expect(res.ncauses == 0 && res.nwarnings == 1, "%s %zu: %zu causes", keys[k],
                          levels, res.ncauses);
            else
                expect_result(&res, (const char *const[]){want}, 1, NONE);
            kw_result_free(&res);
            json_decref(obj);
            free(doc);
        }
    }
}

static char *file_of_size(size_t size)
{
    const char *head = "{\"retention\":{\"keepDaily\":1},\"x\":\"", *tail = "\"}";
    char *buf = malloc(size + 1);
    cr_assert(buf);
    size_t h = strlen(head), t = strlen(tail);
    memcpy(buf, head, h);
    memset(buf + h, 'a', size - h - t);
    memcpy(buf + size - t, tail, t + 1);
    return buf;
}

Test(policy_objects, a_file_may_hold_one_mebibyte_and_not_a_byte_more)
{
    const char *unknown_x = "[policy-unknown-key] " GP ": x: unknown field; it has no effect, "
                            "check the spelling";
    for (size_t size = 1048575; size <= 1048577; size++) {
        char *doc = file_of_size(size);
        json_t *obj = policy_object("ConfigMap", "data", "global-policy.json", doc, size);
        struct kw_result res;
        evaluate(obj, KW_HOOK_VALIDATE, &res);
        if (size <= 1048576)
            expect_result(&res, NONE, (const char *const[]){unknown_x}, 1);
        else
            expect_result(&res,
                          LIST("[policy-too-large] " GP ": Too long: policy configuration too "
                               "large (1048577 bytes, max 1048576)"),
                          NONE);
        kw_result_free(&res);
        json_decref(obj);
        /* The same in binaryData: the limit applies to the decoded file. */
        char *b64 = base64(doc, size);
        obj = policy_object("ConfigMap", "binaryData", "global-policy.json", b64, strlen(b64));
        evaluate(obj, KW_HOOK_VALIDATE, &res);
        cr_expect_eq(res.ncauses, size <= 1048576 ? 0 : 1, "binaryData of %zu bytes", size);
        if (size > 1048576)
            cr_expect_str_eq(res.causes[0].field, "binaryData[global-policy.json]");
        kw_result_free(&res);
        json_decref(obj);
        free(b64);
        free(doc);
    }
}

/* ---- encodings ------------------------------------------------------ */

Test(policy_objects, configmap_binary_data_and_secret_data_are_base64)
{
    const char *doc = "{\"retention\": {\"keepDaily\": -1}}";
    char *b64 = base64(doc, strlen(doc));
    const struct {
        const char *kind, *member, *field;
    } where[] = {{"ConfigMap", "binaryData", "binaryData[global-policy.json]"},
                 {"Secret", "data", "data[global-policy.json]"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *obj =
            policy_object(where[i].kind, where[i].member, "global-policy.json", b64, strlen(b64));
        struct kw_result res;
        evaluate(obj, KW_HOOK_VALIDATE, &res);
        cr_assert_eq(res.ncauses, 1, "%s %s", where[i].kind, where[i].member);
        cr_expect_str_eq(res.causes[0].field, where[i].field);
        cr_expect_eq(res.causes[0].rule_id, KW_RULE_POLICY_VALUE_INVALID);
        kw_result_free(&res);
        json_decref(obj);
    }
    free(b64);
}

Test(policy_objects, base64_with_line_breaks_is_decoded)
{
    /* "{\"retention\":{\"keepDaily\":\"x\"}}" wrapped at 20 characters. */
    const char *b64 = "eyJyZXRlbnRpb24iOnsi\r\na2VlcERhaWx5IjoieCJ9\nfQ==";
    json_t *obj = policy_object("Secret", "data", "global-policy.json", b64, strlen(b64));
    struct kw_result res;
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    cr_assert_eq(res.ncauses, 1);
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_POLICY_FIELD_TYPE);
    kw_result_free(&res);
    json_decref(obj);
}

Test(policy_objects, invalid_base64_is_an_error_naming_the_key)
{
    static const struct {
        const char *kind, *member, *value, *want;
    } cases[] = {
        {"Secret", "data", "e30=!",
         "[policy-base64-invalid] data[repository.config]: Invalid value: not valid base64 at "
         "byte 4 (data values are base64; use stringData for plain text)"},
        {"Secret", "data", "{\"enableActions\": true}",
         "[policy-base64-invalid] data[repository.config]: Invalid value: not valid base64 at "
         "byte 0 (data values are base64; use stringData for plain text)"},
        {"Secret", "data", "e30",
         "[policy-base64-invalid] data[repository.config]: Invalid value: not valid base64 at "
         "byte 3 (data values are base64; use stringData for plain text)"},
        {"Secret", "data", "e3==0",
         "[policy-base64-invalid] data[repository.config]: Invalid value: not valid base64 at "
         "byte 4 (data values are base64; use stringData for plain text)"},
        {"Secret", "data", "e===",
         "[policy-base64-invalid] data[repository.config]: Invalid value: not valid base64 at "
         "byte 3 (data values are base64; use stringData for plain text)"},
        {"ConfigMap", "binaryData", "e30-",
         "[policy-base64-invalid] binaryData[repository.config]: Invalid value: not valid base64 "
         "at byte 3 (binaryData values are base64; use data for plain text)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = policy_object(cases[i].kind, cases[i].member, "repository.config",
                                    cases[i].value, strlen(cases[i].value));
        struct kw_result res;
        evaluate(obj, KW_HOOK_VALIDATE, &res);
        expect_result(&res, (const char *const[]){cases[i].want}, 1, NONE);
        kw_result_free(&res);
        json_decref(obj);
    }
}

Test(policy_objects, secret_string_data_is_plain_and_replaces_the_same_data_key)
{
    json_t *obj = policy_object("Secret", "stringData", "repository.config",
                                "{\"downloadSpeed\": \"fast\"}", 25);
    /* The stored Secret keeps stringData's value: data's is never read. */
    json_object_set_new(obj, "data", json_pack("{s:s}", "repository.config", "not base64!"));
    struct kw_result res;
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    expect_result(&res,
                  LIST("[policy-field-type] stringData[repository.config]: Invalid value: "
                       "\"string\": downloadSpeed in body must be of type number: \"string\" "
                       "(line 1, column 19)"),
                  NONE);
    kw_result_free(&res);
    json_decref(obj);
}

Test(policy_objects, every_policy_file_of_an_object_is_checked)
{
    json_t *obj = policy_object("ConfigMap", "data", "global-policy.json", "{\"x\": 1}", 8);
    json_t *data = json_object_get(obj, "data");
    json_object_set_new(data, "repository.config", json_string("{\"enableActions\": 1}"));
    json_object_set_new(data, "weekly.json", json_string("{,}"));
    json_object_set_new(data, "absent.json", json_null());
    json_object_set_new(obj, "binaryData", json_pack("{s:s}", "extra.json", "W10="));
    struct kw_result res;
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    expect_result(&res,
                  LIST("[policy-field-type] data[repository.config]: Invalid value: \"integer\": "
                       "enableActions in body must be of type boolean: \"integer\" (line 1, "
                       "column 19)",
                       "[policy-invalid-json] data[weekly.json]: Invalid value: invalid JSON in "
                       "weekly.json at line 1, column 2: string or '}' expected",
                       "[policy-not-object] binaryData[extra.json]: Invalid value: \"array\": "
                       "must be a JSON object"),
                  LIST("[policy-unknown-key] " GP ": x: unknown field; it has no effect, check "
                       "the spelling"));
    kw_result_free(&res);
    json_decref(obj);
}

Test(policy_objects, shape_errors_are_bad_requests)
{
    json_t *obj = policy_object("ConfigMap", "data", "global-policy.json", "{}", 2);
    json_object_set_new(json_object_get(obj, "data"), "other.json", json_integer(3));
    struct kw_result res;
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    cr_expect_str_eq(res.bad_request, "data[other.json] must be a string");
    kw_result_free(&res);
    json_object_set_new(obj, "data", json_string("x"));
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    cr_expect_str_eq(res.bad_request, "data must be an object");
    kw_result_free(&res);
    json_decref(obj);
}

Test(policy_objects, only_labelled_objects_on_validate_are_checked)
{
    json_t *obj = policy_object("ConfigMap", "data", "global-policy.json", "{bad", 4);
    struct kw_result res;
    evaluate(obj, KW_HOOK_MUTATE, &res);
    cr_expect_eq(res.ncauses + res.nwarnings + res.nops, 0);
    kw_result_free(&res);
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    cr_expect_eq(res.ncauses, 1);
    kw_result_free(&res);
    json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "labels"),
                        "kopia.volsync.backube/policy", json_string("false"));
    evaluate(obj, KW_HOOK_VALIDATE, &res);
    cr_expect_eq(res.ncauses, 0);
    kw_result_free(&res);
    json_decref(obj);
}

Test(policy_objects, no_compiled_schemas_means_no_admission)
{
    struct kw_config bare;
    kwt_config(&bare);
    bare.schemas = NULL;
    json_t *obj = policy_object("Secret", "stringData", "global-policy.json", "{}", 2);
    struct kw_review rv = {.kind_group = "",
                           .kind_name = "Secret",
                           .kind = KW_KIND_SECRET,
                           .operation = "CREATE",
                           .op = KW_OP_CREATE,
                           .name = "p",
                           .namespace = "prod",
                           .object = obj};
    struct kw_result res;
    kw_result_init(&res);
    kw_evaluate(&bare, KW_HOOK_VALIDATE, &rv, &res);
    cr_expect(kw_result_denied(&res));
    cr_expect_not_null(res.bad_request);
    kw_result_free(&res);
    json_decref(obj);
}

/* ---- nothing of a Secret is echoed ---------------------------------- */

#define MARKER "s3cr3t-M4RK3R-7f2c"

/* A Secret whose every policy file is wrong in a way that could quote its
 * content: type errors, invalid JSON near the marker, an invalid \u escape
 * next to it, unknown and ignored keys with the marker as value, invalid
 * base64 around it. */
static json_t *marked_secret(void)
{
    json_t *s = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s}}",
        "apiVersion", "v1", "kind", "Secret", "metadata", "name", "policies", "namespace", "prod",
        "labels", "kopia.volsync.backube/policy", "true", "stringData", "global-policy.json",
        "{\"retention\": {\"keepDaily\": \"" MARKER "\", \"keepLatest\": \"" MARKER "\"},"
        " \"compression\": {\"compressor\": [\"" MARKER "\"]}, \"unknown\": \"" MARKER "\"}",
        "repository.config", "{\"enableActions\": " MARKER "}", "a.json",
        "{\"x\": \"" MARKER "\\ud800\"}", "b.json", "{\"k\": \"\\q" MARKER "\"}", "c.json",
        "{\"uploadSpeed\": \"" MARKER "\", \"downloadSpeed\": -1}", "data", "d.json", MARKER,
        "e.json", "e30=" MARKER);
    cr_assert(s);
    return s;
}

Test(policy_objects, no_secret_content_in_the_response_or_the_log_summary)
{
    json_t *secret = marked_secret();
    struct kwt_admission a;
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "Secret", "CREATE", "policies", "prod", secret, NULL, &a);
    cr_expect(!a.allowed);
    char *body = json_dumps(a.doc, JSON_COMPACT);
    cr_assert(body);
    cr_expect_null(strstr(body, MARKER), "the response quotes the Secret: %s", body);
    json_t *causes = kw_path_get(a.doc, "response.status.details.causes");
    cr_expect_geq(json_array_size(causes), 7, "%s", body);
    size_t i;
    json_t *c;
    json_array_foreach(causes, i, c)
    {
        cr_expect_null(strstr(kw_obj_str(c, "message"), MARKER), "cause: %s",
                       kw_obj_str(c, "message"));
    }
    cr_expect_null(strstr(kw_obj_str(kw_path_get(a.doc, "response.status"), "message"), MARKER));
    json_array_foreach(a.warnings, i, c)
    {
        cr_expect_null(strstr(json_string_value(c), MARKER), "warning: %s", json_string_value(c));
    }
    for (size_t j = 0; j < a.summary.ndeny; j++)
        cr_expect_null(strstr(kw_rule_id_string(a.summary.deny_rules[j]), MARKER));
    free(body);
    kwt_admission_free(&a);
    json_decref(secret);
}

/* Runs the built binary with `args`, `input` on stdin; returns stdout and
 * stderr together (malloc'd). */
static char *run_binary(const char *args, const char *input)
{
    const char *bin = getenv("KW_BINARY");
    cr_assert(bin, "KW_BINARY is not set");
    char in[] = "/tmp/kw-policy-in-XXXXXX";
    int fd = mkstemp(in);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(f && fputs(input, f) >= 0);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' %s < '%s' 2>&1", bin, args, in);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    cr_assert(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            out = realloc(out, cap);
            cr_assert(out);
        }
    }
    out[len] = 0;
    pclose(p);
    unlink(in);
    return out;
}

Test(policy_objects, no_secret_content_in_the_cli_output)
{
    json_t *secret = marked_secret();
    char *manifest = json_dumps(secret, JSON_INDENT(2));
    json_t *review =
        json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:O}}", "apiVersion",
                  "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid", "u1", "kind",
                  "group", "", "version", "v1", "kind", "Secret", "operation", "CREATE", "name",
                  "policies", "namespace", "prod", "object", secret);
    char *body = json_dumps(review, JSON_COMPACT);
    cr_assert(manifest && body);
    /* (`check --output json` and `--output patched` print the object itself,
     * as asked.) */
    const char *runs[][2] = {{"check -", manifest}, {"review", body}};
    for (size_t i = 0; i < 2; i++) {
        char *out = run_binary(runs[i][0], runs[i][1]);
        /* The policy rules ran: their findings name the file. */
        cr_expect_not_null(strstr(out, "stringData[global-policy.json]"), "kopia-webhook %s:\n%s",
                           runs[i][0], out);
        cr_expect_null(strstr(out, MARKER), "kopia-webhook %s quotes the Secret:\n%s", runs[i][0],
                       out);
        free(out);
    }
    free(manifest);
    free(body);
    json_decref(review);
    json_decref(secret);
}

/* uploadSpeed is read, and breaks every backup: kopia snapshot create has no
 * --upload-speed flag (docs/operator.md c.7). Its value is still checked. */
Test(policy_objects, upload_speed_warns_that_every_backup_fails)
{
    expect_file("repository.config", "{\"uploadSpeed\": 1048576}", NONE,
                LIST("[policy-upload-speed] data[repository.config]: uploadSpeed: the mover passes "
                     "it to kopia snapshot create as --upload-speed, a flag that command does not "
                     "have, so every backup fails; remove it"));
    expect_file("repository.config", "{\"downloadSpeed\": 1048576}", NONE, NONE);
}
