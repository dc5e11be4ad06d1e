/* The inline spec.kopia.policyConfig.repositoryConfig: the 1 MiB boundary
 * in UTF-8 bytes, the empty string, the environment-size warning, each
 * class of JSON syntax error with its line and column, "must be a JSON
 * object", and the document as the Kopia connection file it is
 * (docs/operator.md c.2, d.1: Go types, keys matched as encoding/json
 * matches them, storage, identity, credentials, the admin switch), through
 * a whole ReplicationSource on /validate; and the 780 KB benchmark
 * document. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kwtest.h"
#include "kw/admission/core.h"
#include "kw/json/util.h"
#include "kw/schema/schema.h"
#include "kw/kopia/validate.h"
#include "admission.h"

#define FIELD "spec.kopia.policyConfig.repositoryConfig"

static struct kw_config cfg;

/* Defaults plus the compiled schemas, loaded once per test process. */
static void setup(void)
{
    kwt_config(&cfg);
}

TestSuite(inline_config, .init = setup);

/* A valid ReplicationSource carrying `config` (len bytes) inline, through
 * the core's validating path. */
static void validate_rs(const char *config, size_t len, struct kw_result *res)
{
    json_t *rc = json_stringn_nocheck(config, len);
    json_t *obj =
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:{s:s, s:s, s:{s:o}}}}", "apiVersion",
                  "volsync.backube/v1alpha1", "kind", "ReplicationSource", "metadata", "name",
                  "app", "namespace", "prod", "spec", "sourcePVC", "data", "kopia", "repository",
                  "kopia-config", "copyMethod", "Direct", "policyConfig", "repositoryConfig", rc);
    cr_assert(obj);
    struct kw_review rv = {.kind_group = "volsync.backube",
                           .kind_name = "ReplicationSource",
                           .kind = KW_KIND_RS,
                           .operation = "CREATE",
                           .op = KW_OP_CREATE,
                           .name = "app",
                           .namespace = "prod",
                           .object = obj};
    kw_result_init(res);
    kw_evaluate(&cfg, KW_HOOK_VALIDATE, &rv, res);
    json_decref(obj);
}

static char *cause_line(const struct kw_cause *c)
{
    char *b = kw_cause_body(c), *out = NULL;
    cr_assert(asprintf(&out, "%s: %s", c->field, b) > 0);
    free(b);
    return out;
}

/* The object gets exactly these causes and warnings ("[rule] text"). */
static void expect_findings(const char *config, size_t len, const char *const *causes,
                            size_t ncauses, const char *const *warnings, size_t nwarnings)
{
    struct kw_result res;
    validate_rs(config, len, &res);
    cr_expect_null(res.bad_request, "bad request: %s", res.bad_request);
    cr_expect_eq(res.ncauses, ncauses, "%.80s: %zu causes, want %zu", config, res.ncauses, ncauses);
    for (size_t i = 0; i < res.ncauses; i++) {
        char *got = cause_line(&res.causes[i]), *tagged = NULL;
        cr_assert(asprintf(&tagged, "[%s] %s", kw_rule_id_string(res.causes[i].rule_id), got) > 0);
        cr_expect(i < ncauses && strcmp(tagged, causes[i]) == 0, "cause %zu: got\n  %s\nwant\n  %s",
                  i, tagged, i < ncauses ? causes[i] : "(none)");
        free(tagged);
        free(got);
    }
    cr_expect_eq(res.nwarnings, nwarnings, "%.80s: %zu warnings, want %zu", config, res.nwarnings,
                 nwarnings);
    for (size_t i = 0; i < res.nwarnings; i++) {
        char *tagged = NULL;
        cr_assert(asprintf(&tagged, "[%s] %s", kw_rule_id_string(res.warnings[i].rule_id),
                           res.warnings[i].text) > 0);
        cr_expect(i < nwarnings && strcmp(tagged, warnings[i]) == 0,
                  "warning %zu: got\n  %s\nwant\n  %s", i, tagged,
                  i < nwarnings ? warnings[i] : "(none)");
        free(tagged);
    }
    kw_result_free(&res);
}

#define NONE NULL, 0
#define LIST(...)                                                                                  \
    (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

static void expect_str(const char *config, const char *const *causes, size_t ncauses,
                       const char *const *warnings, size_t nwarnings)
{
    expect_findings(config, strlen(config), causes, ncauses, warnings, nwarnings);
}

/* A JSON object of exactly `size` bytes: {"readonly":true,"x-pad":"<fill>"}
 * with the fill made of `unit` (1 or 2 UTF-8 bytes per character). */
static char *object_of_size(size_t size, const char *unit)
{
    const char *head = "{\"readonly\":true,\"x-pad\":\"", *tail = "\"}";
    size_t fixed = strlen(head) + strlen(tail), ulen = strlen(unit);
    cr_assert(size >= fixed && (size - fixed) % ulen == 0);
    char *buf = malloc(size + 1);
    cr_assert(buf);
    memcpy(buf, head, strlen(head));
    size_t o = strlen(head);
    while (o < size - strlen(tail)) {
        memcpy(buf + o, unit, ulen);
        o += ulen;
    }
    memcpy(buf + o, tail, strlen(tail) + 1);
    cr_assert_eq(strlen(buf), size);
    return buf;
}

/* ---- sizes ---------------------------------------------------------- */

#define ENV_WARNING(n)                                                                             \
    "[repository-config-env-too-large] " FIELD ": " n " bytes exceed the environment limit "       \
    "(131036); the mover would not start"
#define PAD_WARNING                                                                                \
    "[repository-config-unknown-key] " FIELD ": x-pad: unknown field; it has no effect, check "    \
    "the spelling"
#define NO_STORAGE(why)                                                                            \
    "[repository-config-no-storage] " FIELD ": has no effect: " why "; the mover connects with "   \
    "the repository Secret (spec.kopia.repository) instead"
#define NO_STORAGE_KEY                                                                             \
    NO_STORAGE("it has no storage {type, config}, the only part Kopia reads from it")

Test(inline_config, exactly_one_mebibyte_is_allowed_one_byte_more_is_denied)
{
    char *at = object_of_size(1048576, "a");
    expect_findings(at, 1048576, NONE, LIST(ENV_WARNING("1048576"), PAD_WARNING, NO_STORAGE_KEY));
    free(at);
    char *over = object_of_size(1048577, "a");
    expect_findings(over, 1048577,
                    LIST("[policy-too-large] " FIELD ": Too long: policy configuration too "
                         "large (1048577 bytes, max 1048576)"),
                    NONE);
    free(over);
}

Test(inline_config, size_is_counted_in_utf8_bytes)
{
    /* 524,278 characters, 1,048,578 bytes. */
    char *two = object_of_size(1048578, "\xc3\xa9");
    expect_findings(two, 1048578,
                    LIST("[policy-too-large] " FIELD ": Too long: policy configuration too "
                         "large (1048578 bytes, max 1048576)"),
                    NONE);
    free(two);
}

Test(inline_config, the_empty_string_is_allowed)
{
    expect_findings("", 0, NONE, NONE);
}

Test(inline_config, the_environment_warning_starts_above_131036_bytes)
{
    char *fits = object_of_size(131036, "a");
    expect_findings(fits, 131036, NONE, LIST(PAD_WARNING, NO_STORAGE_KEY));
    free(fits);
    char *over = object_of_size(131037, "a");
    expect_findings(over, 131037, NONE, LIST(ENV_WARNING("131037"), PAD_WARNING, NO_STORAGE_KEY));
    free(over);
}

/* ---- JSON syntax ---------------------------------------------------- */

#define BAD(where)                                                                                 \
    "[policy-invalid-json] " FIELD ": Invalid value: invalid JSON in repositoryConfig at " where

Test(inline_config, each_syntax_error_class_with_its_line_and_column)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *want;
    } cases[] = {
        {"{\"uploadSpeed\": 1,}", 0, BAD("line 1, column 19: string or '}' expected")},
        {"{\"a\": [1, 2,]}", 0, BAD("line 1, column 13: unexpected token")},
        {"{\"a\": NaN}", 0, BAD("line 1, column 9: invalid token")},
        {"{\"a\": -Infinity}", 0, BAD("line 1, column 7: invalid token")},
        {"{\"a\": 1} // note", 0, BAD("line 1, column 10: end of file expected")},
        {"{\"a\": /* c */ 1}", 0, BAD("line 1, column 7: invalid token")},
        {"{'a': 1}", 0, BAD("line 1, column 2: string or '}' expected")},
        {"{\"a\": \"\\ud800\"}", 0,
         BAD("line 1, column 14: invalid \\u escape (a lone or "
             "unpaired surrogate)")},
        {"{\"a\": \"\\udc00\"}", 0,
         BAD("line 1, column 14: invalid \\u escape (a lone or "
             "unpaired surrogate)")},
        {"{\"a\": \"\xff\"}", 0, BAD("line 1, column 7: invalid UTF-8")},
        {"{\"a\": \"\xc0\xaf\"}", 0, BAD("line 1, column 7: invalid UTF-8")},
        {"{\"a\": \"\xed\xa0\x80\"}", 0, BAD("line 1, column 7: invalid UTF-8")},
        {"\xef\xbb\xbf{}", 0, BAD("line 1, column 1: '[' or '{' expected")},
        {"{\"a\": \"x\ty\"}", 0, BAD("line 1, column 8: control character 0x9")},
        {"{\"a\": \"x\ny\"}", 0, BAD("line 1, column 8: unexpected newline")},
        {"{\"a\": \"\\q\"}", 0, BAD("line 1, column 9: invalid escape")},
        {"{\"a\": \"abc", 0, BAD("line 1, column 10: premature end of input")},
        {"{\"a\" 1}", 0, BAD("line 1, column 6: ':' expected")},
        {"{\"a\": 1 \"b\": 2}", 0, BAD("line 1, column 11: '}' expected")},
        {"{\n  \"a\": 1", 0, BAD("line 2, column 8: '}' expected")},
        {"{}\n{}", 0, BAD("line 2, column 1: end of file expected")},
        {"1, 2", 0, BAD("line 1, column 1: '[' or '{' expected")},
        {"nul", 0, BAD("line 1, column 3: '[' or '{' expected")},
        {"{\"uploadSpeed\": 1e400}", 0, BAD("line 1, column 21: real number overflow")},
        {"{\"a\": 9223372036854775808}", 0, BAD("line 1, column 25: too big integer")},
        {"{\"a\": \"\\u0000\"}", 0, BAD("line 1, column 14: \\u0000 is not allowed")},
        {"{\"a\": 01}", 0, BAD("line 1, column 7: invalid token")},
        {"{\"a\": tru}", 0, BAD("line 1, column 9: invalid token")},
        {"{\"a\": 1}\0", 9, BAD("line 1, column 9: NUL byte outside a string")},
        {"{\n  \"uploadSpeed\": [1,\n    2,]\n}", 0, BAD("line 3, column 7: unexpected token")},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        expect_findings(cases[i].text, len, (const char *const[]){cases[i].want}, 1, NONE);
    }
}

/* `levels` nested containers with a 1 in the deepest: objects ("a" members),
 * or one object around arrays. */
static char *nested_doc(size_t levels, bool arrays, size_t *len)
{
    char *doc = malloc(levels * 6 + 16);
    cr_assert(doc);
    size_t o = 0;
    for (size_t i = 0; i < levels; i++)
        o += (size_t)sprintf(doc + o, "%s", arrays && i > 0 ? "[" : "{\"a\":");
    doc[o++] = '1';
    for (size_t i = levels; i-- > 0;)
        doc[o++] = arrays && i > 0 ? ']' : '}';
    *len = o;
    return doc;
}

/* No causes, and the two warnings: "a" is unknown, there is no storage. */
static void expect_valid_nesting(const char *doc, size_t len)
{
    struct kw_result res;
    validate_rs(doc, len, &res);
    cr_expect_eq(res.ncauses, 0, "%zu causes: %s", res.ncauses,
                 res.ncauses ? res.causes[0].detail : "");
    cr_expect_eq(res.nwarnings, 2);
    kw_result_free(&res);
}

Test(inline_config, nesting_deeper_than_2048_levels_is_invalid)
{
    /* Containers count, the value in the deepest does not (as Kopia's
     * encoding/json counts): 2048 are valid, the 2049th is refused where it
     * opens. */
    for (int arrays = 0; arrays <= 1; arrays++) {
        for (size_t levels = 2047; levels <= 2049; levels++) {
            size_t len;
            char *doc = nested_doc(levels, arrays, &len);
            if (levels <= 2048)
                expect_valid_nesting(doc, len);
            else if (arrays)
                expect_findings(doc, len,
                                LIST(BAD("line 1, column 2053: nested deeper than 2048 levels")),
                                NONE);
            else
                expect_findings(doc, len,
                                LIST(BAD("line 1, column 10241: nested deeper than 2048 levels")),
                                NONE);
            free(doc);
        }
    }
}

Test(inline_config, a_json_array_is_not_an_object)
{
    expect_str("[{\"enableActions\": true}]",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"array\": must be a JSON "
                    "object"),
               NONE);
    expect_str(" \n[]",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"array\": must be a "
                    "JSON object"),
               NONE);
    /* RFC 8259 allows a scalar at the top: valid JSON, not an object. */
    expect_str("42",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"integer\": must be a "
                    "JSON object"),
               NONE);
    expect_str(" \"text\"\n",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"string\": "
                    "must be a JSON object"),
               NONE);
    expect_str("-1.5e3",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"number\": must be "
                    "a JSON object"),
               NONE);
    expect_str("true",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"boolean\": must be "
                    "a JSON object"),
               NONE);
    expect_str("null",
               LIST("[policy-not-object] " FIELD ": Invalid value: \"null\": must be a "
                    "JSON object"),
               NONE);
    /* Invalid JSON wins over the shape. */
    expect_str("[1,]", LIST(BAD("line 1, column 4: unexpected token")), NONE);
    expect_str("\"a\" \"b\"", LIST(BAD("line 1, column 3: '[' or '{' expected")), NONE);
}

/* ---- the Kopia connection file ------------------------------------- */

#define FALLBACK                                                                                   \
    "; Kopia cannot load a connection file with this error, so the mover ignores "                 \
    "repositoryConfig and connects with the repository Secret"
#define TYPE(where, what)                                                                          \
    "[repository-config-field-type] " FIELD ": " where " in body must be of type " what
#define S3 "\"storage\": {\"type\": \"s3\", \"config\": {\"bucket\": \"b\"}}"
#define IDENTITY_RS                                                                                \
    "[repository-config-identity] " FIELD ": connects with its own storage, and then the mover "   \
    "sets NO backup identity: snapshots are written as the container user at the mover pod's "     \
    "name, a new identity on every run (unless a cache PVC keeps the connection), so retention "   \
    "never prunes them and sourceIdentity restores never find them; the mover also skips the "     \
    "cache settings and the policy files; put the repository in the Secret named by "              \
    "spec.kopia.repository and remove repositoryConfig"
#define KEYS_IGNORED(names, verb)                                                                  \
    "[repository-config-key-ignored] " FIELD ": " names " " verb " no effect: `kopia repository "  \
    "connect from-config` reads only storage from the file (the rest comes from the mover's "      \
    "flags and Kopia's defaults)"
#define CREDENTIALS(names, verb)                                                                   \
    "[repository-config-credentials] " FIELD ": " names " " verb " a credential in plain text: "   \
    "anyone who can read this ReplicationSource can read it; keep credentials in the "             \
    "repository Secret"

Test(inline_config, a_usable_storage_warns_that_the_identity_is_bypassed)
{
    expect_str("{" S3 "}", NONE, LIST(IDENTITY_RS));
    static const char *const types[] = {"filesystem", "s3",     "gcs",    "azureBlob", "b2",
                                        "sftp",       "webdav", "rclone", "gdrive"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char doc[128];
        snprintf(doc, sizeof(doc), "{\"storage\": {\"type\": \"%s\", \"config\": null}}", types[i]);
        expect_str(doc, NONE, LIST(IDENTITY_RS));
    }
    /* Client keys are read by Kopia (so type-checked) but not used here. */
    expect_str("{" S3 ", \"hostname\": \"h\", \"username\": \"u\", \"caching\": {}}", NONE,
               LIST(IDENTITY_RS, KEYS_IGNORED("hostname, username and caching", "have")));
    expect_str("{" S3 ", \"readonly\": false, \"hostname\": null}", NONE,
               LIST(IDENTITY_RS, KEYS_IGNORED("readonly", "has")));
}

Test(inline_config, the_admin_switch_denies_a_usable_storage_only)
{
    struct kw_config saved = cfg;
    cfg.deny_inline_repository_config = true;
    expect_str("{" S3 "}",
               LIST("[admin-deny-inline-repository-config] " FIELD ": Forbidden: the cluster's "
                    "admission policy refuses a repositoryConfig with storage (it bypasses the "
                    "backup identity); put the repository in the Secret named by "
                    "spec.kopia.repository"),
               NONE);
    expect_str("{\"enableActions\": true}", NONE, LIST(NO_STORAGE_KEY));
    cfg = saved;
}

Test(inline_config, without_a_usable_storage_it_has_no_effect)
{
    expect_str("{\"enableActions\": true}", NONE, LIST(NO_STORAGE_KEY));
    expect_str("{\"storage\": null}", NONE, LIST(NO_STORAGE_KEY));
    /* The last occurrence wins, as in encoding/json. */
    expect_str("{" S3 ", \"Storage\": null}", NONE, LIST(NO_STORAGE_KEY));
    expect_str("{\"storage\": {\"type\": \"S3\", \"config\": {}}}", NONE,
               LIST(NO_STORAGE("storage.type is not one of Kopia's storage types (filesystem, "
                               "s3, gcs, azureBlob, b2, sftp, webdav, rclone, gdrive; "
                               "case-sensitive)")));
    expect_str("{\"storage\": {\"type\": \"s3\"}}", NONE,
               LIST(NO_STORAGE("storage has no config")));
    expect_str("{" S3 ", \"permissiveCacheLoading\": true}", NONE,
               LIST(NO_STORAGE("permissiveCacheLoading: true makes Kopia refuse to load it")));
}

Test(inline_config, keys_match_case_insensitively_as_in_go)
{
    /* Storage, STORAGE, TYPE: all Kopia's fields. */
    expect_str("{\"Storage\": {\"TYPE\": \"s3\", \"Config\": {\"Bucket\": \"b\"}}}", NONE,
               LIST(IDENTITY_RS));
    /* A wrong type cannot hide behind the case of its key. */
    expect_str("{" S3 ", \"THROTTLINGLIMITS\": {\"ConcurrentReads\": \"many\"}}", NONE,
               LIST(TYPE("throttlingLimits.concurrentReads",
                         "integer: \"string\" (line 1, column 96)") FALLBACK));
    /* U+017F (long s) folds to s and U+212A (Kelvin sign) to k in Go. */
    expect_str(
        "{\"\xc5\xbftorage\": {\"type\": \"s3\", \"config\": {\"\xe2\x84\xaa"
        "eyID\": 1}}}",
        NONE,
        LIST(TYPE("storage.config.keyID", "string: \"integer\" (line 1, column 48)") FALLBACK));
}

Test(inline_config, a_wrong_type_in_a_known_key_warns_that_the_file_has_no_effect)
{
    expect_str("{\n  \"hostname\": 5,\n  " S3 "\n}", NONE,
               LIST(TYPE("hostname", "string: \"integer\" (line 2, column 15)") FALLBACK));
    expect_str("{\"formatBlobCacheDuration\": \"1h\", \"readonly\": \"yes\"}", NONE,
               LIST(TYPE("formatBlobCacheDuration", "integer: \"string\" (line 1, column 29)")
                        FALLBACK,
                    TYPE("readonly", "boolean: \"string\" (line 1, column 47)") FALLBACK));
    /* Integer fields take no fraction (time.Duration, int64, int). */
    expect_str(
        "{\"caching\": {\"maxCacheSize\": 1.5}}", NONE,
        LIST(TYPE("caching.maxCacheSize", "integer: \"number\" (line 1, column 30)") FALLBACK));
    /* DurationSeconds and throttling speeds are float64. */
    expect_str("{" S3 ", \"caching\": {\"minContentSweepAge\": 1.5}, \"throttlingLimits\": "
               "{\"maxUploadSpeedBytesPerSecond\": 1e6}}",
               NONE, LIST(IDENTITY_RS, KEYS_IGNORED("throttlingLimits and caching", "have")));
    expect_str(
        "{\"storage\": {\"type\": \"sftp\", \"config\": {\"port\": \"22\"}}}", NONE,
        LIST(TYPE("storage.config.port", "integer: \"string\" (line 1, column 49)") FALLBACK));
    /* os.FileMode is a uint32. */
    expect_str("{\"storage\": {\"type\": \"filesystem\", \"config\": {\"fileMode\": -1}}}", NONE,
               LIST("[repository-config-field-type] " FIELD ": storage.config.fileMode in body "
                    "should be greater than or equal to 0 (line 1, column 59)" FALLBACK));
}

Test(inline_config, keys_the_inline_path_never_reads_are_never_denied)
{
    /* The policy repository.config keys are not connection-file keys. */
    expect_str("{\"uploadSpeed\": \"10MB\", \"downloadSpeed\": -1, " S3 "}", NONE,
               LIST("[repository-config-unknown-key] " FIELD ": uploadSpeed: unknown field; it "
                    "has no effect, check the spelling",
                    "[repository-config-unknown-key] " FIELD ": downloadSpeed: unknown field; it "
                    "has no effect, check the spelling",
                    IDENTITY_RS));
    expect_str("{\"hostnme\": \"h\", " S3 "}", NONE,
               LIST("[repository-config-unknown-key] " FIELD ": hostnme: unknown field; did you "
                    "mean hostname?",
                    IDENTITY_RS));
}

Test(inline_config, plaintext_credentials_are_warned_by_key_never_by_value)
{
    expect_str(
        "{\"storage\": {\"type\": \"s3\", \"config\": {\"secretAccessKey\": \"hunter2\", "
        "\"SESSIONTOKEN\": \"tok\", \"accessKeyID\": \"AKIA\"}}}",
        NONE,
        LIST(CREDENTIALS("storage.config.secretAccessKey and storage.config.sessionToken", "hold"),
             IDENTITY_RS));
    /* Also when Kopia would not use them (no effect), and under names
     * Kopia ignores; an empty or null value holds nothing. */
    expect_str("{\"storage\": {\"type\": \"b2\", \"config\": {\"credentialsJSON\": {\"k\": 1}, "
               "\"key\": \"\", \"password\": null}}, \"hostname\": 1}",
               NONE,
               LIST(TYPE("hostname", "string: \"integer\" (line 1, column 111)") FALLBACK,
                    "[repository-config-unknown-key] " FIELD ": storage.config.credentialsJSON: "
                    "unknown field; it has no effect, check the spelling",
                    CREDENTIALS("storage.config.credentialsJSON", "holds")));
}

Test(inline_config, a_wrong_json_type_of_repository_config_itself_is_the_spec_schema_s)
{
    /* Not a string: reported once, by the spec.kopia schema. */
    json_t *obj = json_pack("{s:{s:s, s:{s:s, s:s, s:{s:i}}}}", "spec", "sourcePVC", "data",
                            "kopia", "repository", "kopia-config", "copyMethod", "Direct",
                            "policyConfig", "repositoryConfig", 5);
    struct kw_object_ctx ctx = {.cfg = &cfg, .kind = KW_KIND_RS, .object = obj};
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_repository_config(
        &ctx, kw_path_get(obj, "spec.kopia.policyConfig.repositoryConfig"), FIELD, &res);
    cr_expect_eq(res.ncauses + res.nwarnings, 0);
    kw_validate_kopia(&ctx, &res);
    cr_assert_eq(res.ncauses, 1);
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_FIELD_TYPE);
    kw_result_free(&res);
    json_decref(obj);
}

Test(inline_config, no_compiled_schema_means_no_admission)
{
    struct kw_config bare;
    kw_config_defaults(&bare);
    struct kw_object_ctx ctx = {.cfg = &bare, .kind = KW_KIND_RS};
    json_t *s = json_string("{}");
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_repository_config(&ctx, s, FIELD, &res);
    cr_expect(kw_result_denied(&res));
    cr_expect_not_null(res.bad_request);
    kw_result_free(&res);
    json_decref(s);
}

/* ---- the upstream examples and the benchmark document --------------- */

Test(inline_config, the_780_kb_review_is_validated_in_one_pass)
{
    size_t len;
    char *body = kwt_read_source("tests/fixtures/json/large-review.json", &len);
    json_error_t jerr;
    json_t *review = json_loadb(body, len, 0, &jerr);
    cr_assert(review, "%s", jerr.text);
    json_t *rc = kw_path_get(review, "request.object.spec.kopia.policyConfig.repositoryConfig");
    cr_assert(json_is_string(rc));
    cr_expect_gt(json_string_length(rc), 700000);
    struct kw_object_ctx ctx = {.cfg = &cfg, .kind = KW_KIND_RS};
    struct kw_result res;
    kw_result_init(&res);
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    kw_validate_repository_config(&ctx, rc, FIELD, &res);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_log_info("%zu-byte repositoryConfig validated in %.2f ms CPU", json_string_length(rc), ms);
    cr_expect_eq(res.ncauses, 0);
    /* Over the environment limit; uploadSpeed, downloadSpeed, policies and
     * caching.metadataCacheSize are unknown; storage is usable; caching,
     * enableActions and description are not read on this path. */
    size_t env = 0, ignored = 0, unknown = 0, identity = 0;
    for (size_t i = 0; i < res.nwarnings; i++) {
        env += res.warnings[i].rule_id == KW_RULE_REPOSITORY_CONFIG_ENV_TOO_LARGE;
        ignored += res.warnings[i].rule_id == KW_RULE_REPOSITORY_CONFIG_KEY_IGNORED;
        unknown += res.warnings[i].rule_id == KW_RULE_REPOSITORY_CONFIG_UNKNOWN_KEY;
        identity += res.warnings[i].rule_id == KW_RULE_REPOSITORY_CONFIG_IDENTITY;
    }
    cr_expect_eq(env, 1);
    cr_expect_eq(ignored, 1);
    cr_expect_eq(unknown, 4);
    cr_expect_eq(identity, 1);
    kw_result_free(&res);
    json_decref(review);
    free(body);
}
