/* The one-pass text validator (include/kw/schema/stream.h) against the tree
 * validator: every keyword on its own, min/maxItems order, the unknown-field
 * cap, syntax errors, repeated keys, and thousands of documents generated
 * from every embedded schema (kopia.yaml, global-policy.yaml,
 * repository-config.yaml, connection-config.yaml) with wrong types, nulls, unknown keys and values
 * at the bounds; then the embedded style's wording (the field, positions,
 * no value shown). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/schema/embedded.h"
#include "kw/json/json.h"
#include "kw/schema/schema.h"
#include "kw/schema/stream.h"
#include "kw/json/yaml.h"
#include "schema_oracle.h"

/* ---- helpers -------------------------------------------------------- */

/* A set with one schema "t" (rule ids of the policy rules). */
static struct kw_schema_set *one_schema(const char *root_json, const char *extra)
{
    char doc[8192];
    snprintf(doc, sizeof(doc),
             "{\"schemas\": {\"t\": {\"rule\": \"policy-value-invalid\","
             "\"typeRule\": \"policy-field-type\", \"unknownRule\": \"policy-unknown-key\","
             "\"ignoredRule\": \"policy-key-ignored\"%s, \"root\": %s}}}",
             extra ? extra : "", root_json);
    json_error_t jerr;
    json_t *d = json_loads(doc, 0, &jerr);
    cr_assert(d, "bad test JSON: %s in %s", jerr.text, doc);
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    cr_assert_eq(kw_schema_set_add(set, "test", d, err, sizeof(err)), 0, "%s", err);
    return set;
}

static void expect_same(const struct kw_schema *s, const char *text, const char *path)
{
    char why[2048];
    cr_expect_eq(kw_schema_oracle_check(s, text, strlen(text), path, why, sizeof(why)), 0,
                 "%s\n  document: %.300s", why, text);
}

/* Every document of `docs` through both validators, and at least `min_findings`
 * findings in all (so the comparison is not between two empty results). */
static void expect_same_all(const char *root, const char *extra, const char *const *docs, size_t n,
                            size_t min_findings)
{
    struct kw_schema_set *set = one_schema(root, extra);
    const struct kw_schema *s = kw_schema_find(set, "t");
    size_t findings = 0;
    for (size_t i = 0; i < n; i++) {
        expect_same(s, docs[i], "spec");
        expect_same(s, docs[i], "");
        struct kw_result r;
        kw_result_init(&r);
        kw_schema_validate_text(s, docs[i], strlen(docs[i]), "spec", KW_TEXT_AS_TREE, &r, NULL,
                                NULL);
        findings += r.ncauses + r.nwarnings;
        kw_result_free(&r);
    }
    cr_expect_geq(findings, min_findings, "only %zu findings", findings);
    kw_schema_set_free(set);
}

#define DOCS(...)                                                                                  \
    (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

/* ---- each keyword --------------------------------------------------- */

Test(stream, type_in_every_combination)
{
    expect_same_all("{\"type\": \"object\", \"properties\": {"
                    "\"i\": {\"type\": \"integer\"}, \"n\": {\"type\": \"number\"},"
                    "\"s\": {\"type\": \"string\"}, \"b\": {\"type\": \"boolean\"},"
                    "\"a\": {\"type\": \"array\"}, \"o\": {\"type\": \"object\"},"
                    "\"q\": {\"type\": [\"integer\", \"string\"]}, \"any\": {}}}",
                    NULL,
                    DOCS("{\"i\": 1, \"n\": 1.5, \"s\": \"x\", \"b\": true, \"a\": [], \"o\": {}}",
                         "{\"i\": 1.0, \"n\": \"1\", \"s\": 1, \"b\": null, \"a\": {}, \"o\": []}",
                         "{\"i\": 1e3, \"n\": true, \"s\": [1], \"b\": \"true\", \"a\": 1}",
                         "{\"q\": 1.5, \"any\": [1, {\"x\": null}], \"o\": \"{}\"}",
                         "{\"q\": {}, \"i\": -0, \"n\": -0.0, \"s\": \"\"}", "[1, 2]", "[]"),
                    12);
}

Test(stream, integral_reals_follow_the_schema_setting)
{
    const char *root = "{\"type\": \"object\", \"properties\": {\"i\": {\"type\": \"integer\", "
                       "\"minimum\": 2}}}";
    const char *const *docs =
        (const char *const[]){"{\"i\": 1.0}", "{\"i\": 3e0}", "{\"i\": 1e19}", "{\"i\": 2.5}"};
    expect_same_all(root, NULL, docs, 4, 4);
    expect_same_all(root, ", \"integralRealsAreIntegers\": true", docs, 4, 3);
}

Test(stream, enum_of_strings_and_numbers)
{
    expect_same_all("{\"type\": \"object\", \"properties\": {"
                    "\"e\": {\"type\": \"string\", \"enum\": [\"a\", \"b\"]},"
                    "\"n\": {\"type\": \"integer\", \"enum\": [1, 2]},"
                    "\"x\": {\"enum\": [\"a\", 3]}}}",
                    NULL,
                    DOCS("{\"e\": \"a\", \"n\": 2, \"x\": 3}", "{\"e\": \"c\", \"n\": 3}",
                         "{\"e\": \"\", \"x\": 3.0, \"n\": 1.0}", "{\"x\": true}", "{\"x\": null}",
                         "{\"x\": [1], \"e\": \"A\"}", "{\"x\": \"a\\u0062\"}"),
                    6);
}

Test(stream, minimum_and_maximum_inclusive_and_exclusive)
{
    expect_same_all("{\"type\": \"object\", \"properties\": {"
                    "\"a\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 10},"
                    "\"b\": {\"type\": \"integer\", \"minimum\": 0, \"exclusiveMinimum\": true,"
                    "        \"maximum\": 10, \"exclusiveMaximum\": true}}}",
                    NULL,
                    DOCS("{\"a\": 0, \"b\": 1}", "{\"a\": -1, \"b\": 0}",
                         "{\"a\": 10.5, \"b\": 10}", "{\"a\": -0.001, \"b\": 9}",
                         "{\"a\": 1e300, \"b\": -9223372036854775808}"),
                    6);
}

Test(stream, string_length_pattern_and_formats)
{
    expect_same_all("{\"type\": \"object\", \"properties\": {"
                    "\"l\": {\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3},"
                    "\"p\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"},"
                    "\"d\": {\"type\": \"string\", \"format\": \"dns1123-subdomain\"},"
                    "\"t\": {\"type\": \"string\", \"format\": \"date-time\"},"
                    "\"c\": {\"type\": \"string\", \"format\": \"cron\"},"
                    "\"q\": {\"type\": [\"integer\", \"string\"], \"format\": \"quantity\","
                    "       \"minimum\": 0, \"exclusiveMinimum\": true}}}",
                    NULL,
                    DOCS("{\"l\": \"ab\", \"p\": \"abc\", \"d\": \"a.b\", \"q\": \"1Gi\"}",
                         "{\"l\": \"a\", \"p\": \"aB\", \"d\": \"-a\", \"q\": \"0\"}",
                         "{\"l\": \"abcd\", \"p\": \"\", \"d\": \"\", \"q\": 0}",
                         "{\"l\": \"\\u00e9\\u00e9\", \"t\": \"2024-01-02T03:04:05Z\"}",
                         "{\"l\": \"\\u65e5\\u672c\\u8a9e\\u3067\", \"t\": \"2024-13-02\"}",
                         "{\"c\": \"0 2 * * *\", \"q\": \"Gi\"}", "{\"c\": \"* * *\", \"q\": -1}",
                         "{\"q\": \"1e1.5\", \"p\": \"a\\nb\"}"),
                    12);
}

Test(stream, items_and_item_counts_in_tree_order)
{
    expect_same_all("{\"type\": \"object\", \"properties\": {"
                    "\"a\": {\"type\": \"array\", \"minItems\": 2, \"maxItems\": 3,"
                    "       \"items\": {\"type\": \"integer\", \"minimum\": 0}},"
                    "\"odd\": {\"type\": \"array\", \"minItems\": 3, \"maxItems\": 1,"
                    "         \"items\": {\"type\": \"string\"}},"
                    "\"free\": {\"type\": \"array\"}}}",
                    NULL,
                    DOCS("{\"a\": [1, 2]}", "{\"a\": [-1]}", "{\"a\": [1, \"x\", -2, null]}",
                         "{\"odd\": [1, 2], \"a\": []}", "{\"free\": [1, [2], {\"x\": 3}]}",
                         "{\"a\": [[1], {}, 1.5, true]}"),
                    10);
}

Test(stream, properties_required_and_empty_is_absent)
{
    expect_same_all("{\"type\": \"object\", \"required\": [\"r\", \"e\"], \"properties\": {"
                    "\"r\": {\"type\": \"string\", \"requiredMessage\": \"give r\"},"
                    "\"e\": {\"type\": \"string\", \"emptyIsAbsent\": true,"
                    "       \"requiredRule\": \"policy-too-large\"},"
                    "\"o\": {\"type\": \"object\", \"required\": [\"x\"],"
                    "       \"properties\": {\"x\": {\"type\": \"integer\"}}}}}",
                    NULL,
                    DOCS("{\"r\": \"x\", \"e\": \"y\"}", "{}", "{\"r\": null, \"e\": \"\"}",
                         "{\"o\": {}}", "{\"o\": {\"x\": null}, \"r\": 1}",
                         "{\"e\": \"\", \"o\": {\"x\": 1}}"),
                    9);
}

Test(stream, unknown_fields_suggestions_stale_names_and_ignore)
{
    expect_same_all("{\"type\": \"object\", \"staleNames\": {\"old\": \"fresh\"},"
                    " \"properties\": {\"fresh\": {}, \"keepDaily\": {},"
                    " \"quiet\": {\"type\": \"object\", \"unknownProperties\": \"ignore\"}}}",
                    NULL,
                    DOCS("{\"old\": 1, \"keepDayly\": 2, \"zzz\": 3}",
                         "{\"quiet\": {\"a\": 1}, \"KEEPDAILY\": null, \"k\": {\"x\": 1}}",
                         "{\"a-very-long-unknown-key-name-that-goes-on-and-on-and-on\": 1}",
                         "{\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                         "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                         "\\u00e9\\u00e9\\u00e9\\u00e9\": true}"),
                    5);
}

Test(stream, unknown_field_cap_and_summary)
{
    char doc[2048] = "{";
    for (int i = 0; i < 40; i++)
        snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s\"unknown%02d\": %d",
                 i ? ", " : "", i, i);
    strcat(doc, ", \"inner\": {\"deep1\": 1, \"deep2\": 2}}");
    expect_same_all("{\"type\": \"object\", \"properties\": {\"inner\": {\"type\": \"object\"}}}",
                    NULL, (const char *const[]){doc}, 1, 17);
}

Test(stream, maps_with_key_formats)
{
    expect_same_all(
        "{\"type\": \"object\", \"properties\": {"
        "\"labels\": {\"type\": \"object\", \"keyFormat\": \"label-key\","
        "  \"additionalProperties\": {\"type\": \"string\", \"format\": \"label-value\"}},"
        "\"keys\": {\"type\": \"object\", \"keyFormat\": \"dns1123-label\"},"
        "\"vals\": {\"type\": \"object\", \"additionalProperties\": "
        "  {\"type\": \"integer\", \"minimum\": 0}}}}",
        NULL,
        DOCS("{\"labels\": {\"app\": \"x\", \"-bad\": \"y\", \"ok\": \"-bad\"}}",
             "{\"labels\": {\"a/b/c\": 1, \"n\": null}, \"keys\": {\"A_B\": {}}}",
             "{\"vals\": {\"a\": -1, \"b\": 2, \"c\": \"3\", \"d\": null}}"),
        6);
}

Test(stream, variants_only_and_forbidden)
{
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    const char *doc =
        "{\"definitions\": {\"k\": {\"type\": \"object\", \"properties\": {"
        "  \"both\": {\"type\": \"string\"},"
        "  \"src\": {\"type\": \"integer\", \"only\": \"ReplicationSource\"},"
        "  \"dst\": {\"type\": \"integer\", \"only\": \"ReplicationDestination\","
        "          \"otherVariant\": \"forbid\", \"otherVariantRule\": \"policy-too-large\"}}}},"
        " \"schemas\": {"
        "  \"rs\": {\"variant\": \"ReplicationSource\", \"rule\": \"policy-value-invalid\","
        "          \"typeRule\": \"policy-field-type\", \"unknownRule\": \"policy-unknown-key\","
        "          \"root\": {\"$ref\": \"k\"}},"
        "  \"rd\": {\"variant\": \"ReplicationDestination\", \"rule\": \"policy-value-invalid\","
        "          \"typeRule\": \"policy-field-type\", \"unknownRule\": \"policy-unknown-key\","
        "          \"root\": {\"$ref\": \"k\"}}}}";
    cr_assert_eq(kw_schema_set_add(set, "t", json_loads(doc, 0, NULL), err, sizeof(err)), 0, "%s",
                 err);
    const char *docs[] = {"{\"src\": 1, \"dst\": 2}", "{\"src\": \"x\", \"dst\": \"y\"}",
                          "{\"src\": null, \"dst\": null}", "{\"sr\": 1, \"dts\": 1}"};
    for (size_t i = 0; i < 4; i++) {
        expect_same(kw_schema_find(set, "rs"), docs[i], "spec.kopia");
        expect_same(kw_schema_find(set, "rd"), docs[i], "spec.kopia");
    }
    kw_schema_set_free(set);
}

Test(stream, ignored_keys_warn_without_looking_at_the_value)
{
    expect_same_all(
        "{\"type\": \"object\", \"properties\": {"
        "\"old\": {\"ignored\": \"use new\"},"
        "\"o\": {\"type\": \"object\", \"properties\": {\"x\": {\"ignored\": \"y\"}}}}}",
        NULL,
        DOCS("{\"old\": 1}", "{\"old\": {\"deep\": [1, {\"a\": \"b\"}]}}", "{\"old\": null}",
             "{\"o\": {\"x\": [\"anything\"]}}"),
        3);
}

/* A set holding "t": the recursive definition "n" (an object with members
 * "c" -> n, "v" an integer, "l" an array of n). Free with kw_schema_set_free. */
static struct kw_schema_set *recursive_set(void)
{
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    const char *doc =
        "{\"definitions\": {\"n\": {\"type\": \"object\", \"properties\": {"
        "  \"c\": {\"$ref\": \"n\"}, \"v\": {\"type\": \"integer\"},"
        "  \"l\": {\"type\": \"array\", \"items\": {\"$ref\": \"n\"}}}}},"
        " \"schemas\": {\"t\": {\"rule\": \"policy-value-invalid\","
        "  \"typeRule\": \"policy-field-type\", \"unknownRule\": \"policy-unknown-key\","
        "  \"root\": {\"$ref\": \"n\"}}}}";
    cr_assert_eq(kw_schema_set_add(set, "t", json_loads(doc, 0, NULL), err, sizeof(err)), 0, "%s",
                 err);
    return set;
}

Test(stream, nested_definitions_and_deep_documents)
{
    /* A recursive definition: the stack of open containers grows past its
     * first allocation. */
    struct kw_schema_set *set = recursive_set();
    size_t depth = 1000, cap = depth * 24 + 64, o = 0;
    char *deep = malloc(cap);
    cr_assert(deep);
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(deep + o, cap - o, i % 2 ? "{\"l\": [" : "{\"c\": ");
    o += (size_t)snprintf(deep + o, cap - o, "{\"v\": \"x\", \"u\": 1}");
    for (size_t i = depth; i-- > 0;)
        o += (size_t)snprintf(deep + o, cap - o, i % 2 ? "]}" : "}");
    expect_same(kw_schema_find(set, "t"), deep, "");
    free(deep);
    kw_schema_set_free(set);
}

/* `levels` nested containers of the recursive schema "n": objects ("c"
 * members) or, with `lists`, object/array pairs ("l" members); the deepest
 * holds a value, a scalar or an object of scalars. */
static char *nested_n(size_t levels, bool lists)
{
    size_t cap = levels * 8 + 64, o = 0, k = lists ? levels / 2 : levels - 1;
    char *doc = malloc(cap);
    cr_assert(doc);
    bool scalar = lists && levels % 2 == 0;
    for (size_t i = 0; i < k; i++)
        o += (size_t)snprintf(doc + o, cap - o, lists ? "{\"l\": [" : "{\"c\": ");
    o += (size_t)snprintf(doc + o, cap - o, scalar ? "1" : "{\"v\": \"x\"}");
    for (size_t i = 0; i < k; i++)
        o += (size_t)snprintf(doc + o, cap - o, lists ? "]}" : "}");
    return doc;
}

Test(stream, the_depth_limit_counts_containers_in_both_validators)
{
    struct kw_schema_set *set = recursive_set();
    const struct kw_schema *s = kw_schema_find(set, "t");
    for (int lists = 0; lists <= 1; lists++) {
        for (size_t levels = KW_JSON_MAX_DEPTH - 1; levels <= KW_JSON_MAX_DEPTH + 1; levels++) {
            char *doc = nested_n(levels, lists);
            expect_same(s, doc, "");
            struct kw_result r;
            kw_result_init(&r);
            struct kw_json_error jerr;
            int rc =
                kw_schema_validate_text(s, doc, strlen(doc), "", KW_TEXT_AS_TREE, &r, &jerr, NULL);
            /* The deepest value is type-checked: "x" is not an integer, 1 not an object. */
            if (levels <= KW_JSON_MAX_DEPTH)
                cr_expect(rc == 0 && r.ncauses == 1, "%zu levels: rc %d, %zu causes", levels, rc,
                          r.ncauses);
            else
                cr_expect(rc == -1 && strncmp(jerr.text, "maximum parsing depth reached", 29) == 0,
                          "%zu levels: rc %d, %s", levels, rc, jerr.text);
            kw_result_free(&r);
            free(doc);
        }
    }
    kw_schema_set_free(set);
}

/* ---- syntax errors and repeated keys -------------------------------- */

Test(stream, a_syntax_error_keeps_nothing_of_the_document)
{
    struct kw_schema_set *set = one_schema(
        "{\"type\": \"object\", \"properties\": {\"i\": {\"type\": \"integer\"}}}", NULL);
    const struct kw_schema *s = kw_schema_find(set, "t");
    const char *bad[] = {"{\"i\": \"x\", \"u\": 1, ",
                         "{\"i\": 1,}",
                         "{\"i\": NaN}",
                         "{\"i\": \"\\ud800\"}",
                         "{\"i\": 1e400}",
                         "{\"i\": \"\xff\"}",
                         "",
                         "{\"u\": 1} x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_same(s, bad[i], "spec");
    kw_schema_set_free(set);
}

struct seen_tokens {
    size_t n, stop_at; /* stop_at 0: never stop */
    char events[64];
};

static int note_token(void *ud, const struct kw_json_token *t)
{
    struct seen_tokens *seen = ud;
    if (seen->n < sizeof(seen->events) - 1)
        seen->events[seen->n] = (char)('0' + (int)t->ev);
    return ++seen->n == seen->stop_at;
}

/* The observer sees every token of the pass the schema makes, in order,
 * and the findings are those of the unobserved call; an observer that stops
 * the scan fails it the way an allocation failure does. */
Test(stream, observer_sees_every_token_of_the_same_pass)
{
    struct kw_schema_set *set = one_schema(
        "{\"type\": \"object\", \"properties\": {\"i\": {\"type\": \"integer\"}}}", NULL);
    const struct kw_schema *s = kw_schema_find(set, "t");
    const char *doc = "{\"i\": \"x\", \"u\": [1, {\"k\": null}], \"i\": 2}";
    struct seen_tokens by_scan = {0}, by_walk = {0};
    cr_assert_eq(kw_json_scan_document(doc, strlen(doc), note_token, &by_scan, NULL), 0);
    struct kw_result plain, observed;
    kw_result_init(&plain);
    kw_result_init(&observed);
    cr_assert_eq(
        kw_schema_validate_text(s, doc, strlen(doc), "", KW_TEXT_AS_TREE, &plain, NULL, NULL), 0);
    cr_assert_eq(kw_schema_validate_text_observed(s, doc, strlen(doc), "", KW_TEXT_AS_TREE,
                                                  &observed, NULL, NULL, note_token, &by_walk),
                 0);
    cr_expect_gt(by_walk.n, 10);
    cr_expect_eq(by_walk.n, by_scan.n);
    cr_expect_str_eq(by_walk.events, by_scan.events);
    cr_expect_eq(observed.ncauses, plain.ncauses);
    cr_expect_eq(observed.nwarnings, plain.nwarnings);
    kw_result_free(&plain);
    kw_result_free(&observed);

    struct seen_tokens stopper = {.stop_at = 3};
    struct kw_json_error err;
    struct kw_result r;
    kw_result_init(&r);
    cr_expect_eq(kw_schema_validate_text_observed(s, doc, strlen(doc), "", KW_TEXT_AS_TREE, &r,
                                                  &err, NULL, note_token, &stopper),
                 -1);
    cr_expect_eq(stopper.n, 3, "the scan stops at the observer's word");
    cr_expect(r.out_of_memory);
    cr_expect_eq(r.ncauses, 0, "a stopped pass appends nothing");
    kw_result_free(&r);
    kw_schema_set_free(set);
}

Test(stream, repeated_keys_are_checked_at_every_occurrence)
{
    struct kw_schema_set *set = one_schema(
        "{\"type\": \"object\", \"properties\": {\"i\": {\"type\": \"integer\"}}}", NULL);
    const struct kw_schema *s = kw_schema_find(set, "t");
    const char *doc = "{\"i\": \"x\", \"i\": 2, \"u\": 1, \"u\": 2}";
    struct kw_result r;
    kw_result_init(&r);
    cr_assert_eq(kw_schema_validate_text(s, doc, strlen(doc), "", KW_TEXT_AS_TREE, &r, NULL, NULL),
                 0);
    cr_expect_eq(r.ncauses, 1, "the first, overwritten value is still reported");
    cr_expect_eq(r.nwarnings, 2, "the unknown key is warned at each occurrence");
    kw_result_free(&r);
    expect_same(s, doc, ""); /* the oracle compares through the re-encoding */
    kw_schema_set_free(set);
}

Test(stream, case_insensitive_keys_match_as_go_does)
{
    const char *root = "{\"type\": \"object\", \"properties\": {\"storage\": {\"type\": "
                       "\"object\", \"properties\": {\"keyID\": {\"type\": \"string\"}}}, "
                       "\"port\": {\"type\": \"integer\", \"minimum\": 0}}}";
    const char *const *docs = (const char *const[]){
        "{\"Storage\": {\"KEYID\": 1}, \"PORT\": -1}",
        "{\"\xc5\xbftorage\": {\"\xe2\x84\xaa"
        "eyid\": 1}}", /* U+017F, U+212A */
        "{\"storag\": 1, \"Ports\": \"x\", \"storage\": {\"keyid\": []}}",
        "{\"\xc3\x9ftorage\": 1}", /* U+00DF folds to no ASCII letter */
    };
    /* Without the flag only exact keys match: the other spellings are
     * unknown fields. */
    expect_same_all(root, NULL, docs, 4, 6);
    expect_same_all(root, ", \"caseInsensitiveKeys\": true", docs, 4, 6);
    struct kw_schema_set *set = one_schema(root, ", \"caseInsensitiveKeys\": true");
    const struct kw_schema *s = kw_schema_find(set, "t");
    struct kw_result r;
    kw_result_init(&r);
    kw_schema_validate_text(s, docs[0], strlen(docs[0]), "", KW_TEXT_AS_TREE, &r, NULL, NULL);
    cr_expect_eq(r.ncauses, 2);
    cr_expect_eq(r.nwarnings, 0);
    cr_expect_str_eq(r.ncauses ? r.causes[0].field : "", "storage.keyID");
    kw_result_free(&r);
    kw_result_init(&r);
    kw_schema_validate_text(s, docs[3], strlen(docs[3]), "", KW_TEXT_AS_TREE, &r, NULL, NULL);
    cr_expect_eq(r.ncauses, 0);
    cr_expect_eq(r.nwarnings, 1);
    kw_result_free(&r);
    kw_schema_set_free(set);
}

/* ---- generated documents -------------------------------------------- */

struct gen {
    unsigned long long state;
    const json_t *defs;
};

static unsigned rnd(struct gen *g, unsigned n)
{
    g->state ^= g->state << 13;
    g->state ^= g->state >> 7;
    g->state ^= g->state << 17;
    return (unsigned)(g->state % n);
}

static const json_t *resolve(const struct gen *g, const json_t *spec)
{
    const char *ref = json_string_value(json_object_get(spec, "$ref"));
    return ref ? json_object_get(g->defs, ref) : spec;
}

static json_t *random_any(struct gen *g, int depth)
{
    switch (rnd(g, depth > 3 ? 8 : 11)) {
    case 0:
        return json_null();
    case 1:
        return json_true();
    case 2:
        return json_integer((json_int_t)rnd(g, 7) - 3);
    case 3:
        return json_real(rnd(g, 2) ? 1.5 : 2.0);
    case 4:
        return json_string(rnd(g, 2) ? "" : "zstd");
    case 5:
        return json_string("caf\xc3\xa9 \"q\" \\ \n");
    case 6:
        return json_integer(rnd(g, 2) ? INT64_MAX : INT64_MIN);
    case 7:
        return json_false();
    case 8:
        return json_pack("[i, s]", 1, "a");
    case 9:
        return json_pack("{s:i, s:n}", "k", 1, "z", "n");
    default:
        return json_array();
    }
}

static const char *const strings[] = {
    "",
    "x",
    "zstd",
    "1Gi",
    "0",
    "-1",
    "1e3",
    "Gi",
    "1.5",
    "+",
    "10Gi",
    "500M",
    "app-data",
    "-bad",
    "A_B",
    "a.b",
    "/data",
    "rel/path",
    "0 2 * * *",
    "@daily",
    "* * * * * *",
    "2024-01-02T03:04:05Z",
    "2024-01-02",
    "Direct",
    "Clone",
    "Snapshot",
    "ReadWriteOnce",
    "ReadWriteMany",
    "none",
    "caf\xc3\xa9",
    "a|b",
    "--password",
    "app.kubernetes.io/name",
};

static json_t *random_string(struct gen *g)
{
    if (rnd(g, 20) == 0) {
        char big[300];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        return json_string(big);
    }
    return json_string(strings[rnd(g, sizeof(strings) / sizeof(strings[0]))]);
}

static json_t *random_number(struct gen *g, bool integer)
{
    static const long long ints[] = {-1, 0, 1, 2, 5, 20, 21, 1048576, -9223372036854775807LL};
    static const double reals[] = {0.5, -0.5, 1.0, 1e3, 2.5e-3, -0.0, 1e19};
    if (integer || rnd(g, 2))
        return json_integer(ints[rnd(g, sizeof(ints) / sizeof(ints[0]))]);
    return json_real(reals[rnd(g, sizeof(reals) / sizeof(reals[0]))]);
}

static const char *pick_type(struct gen *g, const json_t *spec)
{
    const json_t *t = json_object_get(spec, "type");
    if (json_is_string(t))
        return json_string_value(t);
    if (json_is_array(t) && json_array_size(t))
        return json_string_value(json_array_get(t, rnd(g, (unsigned)json_array_size(t))));
    return NULL;
}

static json_t *gen_value(struct gen *g, const json_t *spec, int depth);

/* A key near a property name: a typo, a case change, or a random name. */
static void unknown_key_name(struct gen *g, const json_t *props, char *buf, size_t len)
{
    const char *k;
    json_t *v;
    size_t want = json_object_size(props) ? rnd(g, (unsigned)json_object_size(props)) : 0, i = 0;
    json_object_foreach((json_t *)props, k, v)
    {
        if (i++ != want)
            continue;
        snprintf(buf, len, "%s", k);
        size_t n = strlen(buf);
        switch (rnd(g, 4)) {
        case 0:
            if (n > 1)
                buf[rnd(g, (unsigned)n)] = 'x';
            break;
        case 1:
            buf[0] = (char)(buf[0] ^ 0x20);
            break;
        case 2:
            snprintf(buf + n, len - n, "s");
            break;
        default:
            snprintf(buf, len, "extra%u", rnd(g, 100));
        }
        return;
    }
    snprintf(buf, len, "unknown%u", rnd(g, 100));
}

static json_t *gen_object(struct gen *g, const json_t *spec, int depth)
{
    json_t *obj = json_object();
    const json_t *props = json_object_get(spec, "properties");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        if (rnd(g, 3) == 0)
            continue;
        json_object_set_new(obj, k, rnd(g, 12) == 0 ? json_null() : gen_value(g, v, depth + 1));
    }
    unsigned extra = rnd(g, 6) == 0 ? 1 + rnd(g, 3) : 0;
    if (rnd(g, 60) == 0)
        extra = 20; /* past the unknown-field cap */
    for (unsigned i = 0; i < extra; i++) {
        char name[96];
        unknown_key_name(g, props, name, sizeof(name));
        json_object_set_new(obj, name, random_any(g, depth));
    }
    const json_t *add = json_object_get(spec, "additionalProperties");
    if (add || json_object_get(spec, "keyFormat")) {
        static const char *const keys[] = {"app", "-bad", "a/b/c", "example.com/tier",
                                           "x_y", "cpu",  "memory"};
        for (unsigned i = rnd(g, 4); i > 0; i--)
            json_object_set_new(obj, keys[rnd(g, 7)],
                                add ? gen_value(g, add, depth + 1) : random_any(g, depth));
    }
    return obj;
}

static json_t *gen_value(struct gen *g, const json_t *spec, int depth)
{
    spec = resolve(g, spec);
    if (!spec || json_object_get(spec, "ignored") || depth > 8 || rnd(g, 10) == 0)
        return random_any(g, depth);
    const json_t *en = json_object_get(spec, "enum");
    if (en && rnd(g, 4))
        return json_deep_copy(json_array_get(en, rnd(g, (unsigned)json_array_size(en))));
    const char *type = pick_type(g, spec);
    if (!type)
        return json_object_get(spec, "properties") ? gen_object(g, spec, depth)
                                                   : random_any(g, depth);
    if (strcmp(type, "object") == 0)
        return gen_object(g, spec, depth);
    if (strcmp(type, "array") == 0) {
        json_t *a = json_array();
        unsigned n = rnd(g, 8) == 0 ? 18 + rnd(g, 6) : rnd(g, 4);
        const json_t *items = json_object_get(spec, "items");
        for (unsigned i = 0; i < n; i++)
            json_array_append_new(a, rnd(g, 15) == 0 ? json_null()
                                     : items         ? gen_value(g, items, depth + 1)
                                                     : random_any(g, depth));
        return a;
    }
    if (strcmp(type, "string") == 0)
        return random_string(g);
    if (strcmp(type, "integer") == 0)
        return random_number(g, rnd(g, 4) != 0);
    if (strcmp(type, "number") == 0)
        return random_number(g, false);
    return rnd(g, 2) ? json_true() : json_false();
}

static json_t *schema_document(const char *file)
{
    for (const struct kw_embedded_file *f = kw_embedded_schemas; f->name; f++) {
        if (strcmp(f->name, file) != 0)
            continue;
        struct kw_yaml_error yerr;
        json_t *doc = kw_yaml_load_one(f->data, f->len, &yerr);
        cr_assert(doc, "%s: %s", file, yerr.text);
        return doc;
    }
    cr_assert_fail("no embedded schema file %s", file);
    return NULL;
}

static void generated_documents_agree(const char *file, const char *schema_name, unsigned count,
                                      unsigned long long seed)
{
    char err[512];
    struct kw_schema_set *set = kw_schema_set_load(err, sizeof(err));
    cr_assert(set, "%s", err);
    const struct kw_schema *s = kw_schema_find(set, schema_name);
    cr_assert(s, "no schema %s", schema_name);
    json_t *doc = schema_document(file);
    struct gen g = {.state = seed, .defs = json_object_get(doc, "definitions")};
    const json_t *root =
        json_object_get(json_object_get(json_object_get(doc, "schemas"), schema_name), "root");
    size_t findings = 0, failures = 0;
    for (unsigned i = 0; i < count && failures < 5; i++) {
        json_t *value = gen_value(&g, root, 0);
        if (!json_is_object(value) && !json_is_array(value)) {
            json_t *wrap = json_pack("[o]", value);
            value = wrap;
        }
        size_t flags = rnd(&g, 3) == 0 ? JSON_INDENT(2) : JSON_COMPACT;
        if (rnd(&g, 4) == 0)
            flags |= JSON_ENSURE_ASCII;
        char *text = json_dumps(value, flags);
        cr_assert(text);
        char why[2048];
        if (kw_schema_oracle_check(s, text, strlen(text), "spec", why, sizeof(why)) != 0) {
            failures++;
            cr_expect_fail("%s #%u: %s\n  document: %.600s", schema_name, i, why, text);
        }
        struct kw_result r;
        kw_result_init(&r);
        kw_schema_validate_text(s, text, strlen(text), "spec", KW_TEXT_AS_TREE, &r, NULL, NULL);
        findings += r.ncauses + r.nwarnings;
        kw_result_free(&r);
        free(text);
        json_decref(value);
    }
    /* The generator reaches the checks: on average well over one finding. */
    cr_expect_gt(findings, count, "%s: only %zu findings in %u documents", schema_name, findings,
                 count);
    json_decref(doc);
    kw_schema_set_free(set);
}

Test(stream, generated_replicationsource_specs_agree)
{
    generated_documents_agree("kopia.yaml", KW_SCHEMA_RS_SPEC, 3000, 0x9E3779B97F4A7C15ULL);
}

Test(stream, generated_replicationdestination_specs_agree)
{
    generated_documents_agree("kopia.yaml", KW_SCHEMA_RD_SPEC, 3000, 0xD1B54A32D192ED03ULL);
}

Test(stream, generated_global_policies_agree)
{
    generated_documents_agree("global-policy.yaml", KW_SCHEMA_GLOBAL_POLICY, 3000, 42);
}

Test(stream, generated_repository_configs_agree)
{
    generated_documents_agree("repository-config.yaml", KW_SCHEMA_REPOSITORY_CONFIG, 3000, 7);
}

Test(stream, generated_connection_configs_agree)
{
    generated_documents_agree("connection-config.yaml", KW_SCHEMA_CONNECTION_CONFIG, 3000, 11);
}

/* ---- the embedded style --------------------------------------------- */

static void embedded(const struct kw_schema *s, const char *text, struct kw_result *r)
{
    kw_result_init(r);
    struct kw_json_error err;
    cr_assert_eq(kw_schema_validate_text(s, text, strlen(text), "data[p.json]", KW_TEXT_EMBEDDED, r,
                                         &err, NULL),
                 0, "%s", err.text);
}

static char *cause_line(const struct kw_result *r, size_t i)
{
    cr_assert(i < r->ncauses, "only %zu causes", r->ncauses);
    char *b = kw_cause_body(&r->causes[i]), *out = NULL;
    cr_assert(asprintf(&out, "%s: %s", r->causes[i].field, b) > 0);
    free(b);
    return out;
}

static void expect_cause(const struct kw_result *r, size_t i, const char *want)
{
    char *got = cause_line(r, i);
    cr_expect_str_eq(got, want);
    free(got);
}

Test(stream, embedded_causes_name_the_field_the_member_and_its_position)
{
    struct kw_schema_set *set = one_schema(
        "{\"type\": \"object\", \"required\": [\"need\"], \"properties\": {"
        "\"i\": {\"type\": \"integer\", \"minimum\": 0},"
        "\"e\": {\"type\": \"string\", \"enum\": [\"a\"]},"
        "\"p\": {\"type\": \"string\", \"pattern\": \"^a$\", \"maxLength\": 3},"
        "\"l\": {\"type\": \"array\", \"maxItems\": 1, \"items\": {\"type\": \"string\"}},"
        "\"need\": {\"type\": \"string\"},"
        "\"old\": {\"ignored\": \"use i\"}}}",
        NULL);
    struct kw_result r;
    embedded(kw_schema_find(set, "t"),
             "{\n  \"i\": -1,\n  \"e\": \"SECRET1\",\n"
             "  \"p\": \"SECRET2\", \"l\": [\"a\", 2],\n"
             "  \"old\": 1, \"unk\": \"SECRET3\"\n}",
             &r);
    cr_assert_eq(r.ncauses, 6);
    expect_cause(&r, 0,
                 "data[p.json]: Invalid value: i in body should be greater than or equal to 0 "
                 "(line 2, column 8)");
    expect_cause(&r, 1,
                 "data[p.json]: Unsupported value: e: supported values: \"a\" (line 3, column 8)");
    expect_cause(&r, 2, "data[p.json]: Too long: p: may not be longer than 3 (line 4, column 8)");
    expect_cause(&r, 3, "data[p.json]: Too many: l: must have at most 1 items (line 4, column 24)");
    expect_cause(&r, 4,
                 "data[p.json]: Invalid value: \"integer\": l[1] in body must be of type string: "
                 "\"integer\" (line 4, column 30)");
    expect_cause(&r, 5, "data[p.json]: Required value: need (line 1, column 1)");
    cr_assert_eq(r.nwarnings, 2);
    cr_expect_str_eq(r.warnings[0].text, "data[p.json]: old: the mover ignores this key; use i");
    cr_expect_eq(r.warnings[0].rule_id, KW_RULE_POLICY_KEY_IGNORED);
    cr_expect_str_eq(r.warnings[1].text,
                     "data[p.json]: unk: unknown field; it has no effect, check the spelling");
    for (size_t i = 0; i < r.ncauses; i++) {
        cr_expect_null(strstr(r.causes[i].detail, "SECRET"));
        cr_expect(!r.causes[i].value || !strstr(r.causes[i].value, "SECRET"));
    }
    kw_result_free(&r);
    kw_schema_set_free(set);
}

Test(stream, embedded_type_error_of_the_document_itself)
{
    struct kw_schema_set *set = one_schema("{\"type\": \"object\"}", NULL);
    struct kw_result r;
    embedded(kw_schema_find(set, "t"), " [1]", &r);
    expect_cause(&r, 0,
                 "data[p.json]: Invalid value: \"array\": must be of type object: \"array\" "
                 "(line 1, column 2)");
    kw_result_free(&r);
    kw_schema_set_free(set);
}

Test(stream, embedded_unknown_field_summary_names_the_field)
{
    struct kw_schema_set *set = one_schema("{\"type\": \"object\"}", NULL);
    char doc[1024] = "{";
    for (int i = 0; i < 20; i++)
        snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s\"k%02d\": 1", i ? "," : "", i);
    strcat(doc, "}");
    struct kw_result r;
    struct kw_text_stats stats;
    kw_result_init(&r);
    cr_assert_eq(kw_schema_validate_text(kw_schema_find(set, "t"), doc, strlen(doc), "data[p.json]",
                                         KW_TEXT_EMBEDDED, &r, NULL, &stats),
                 0);
    cr_expect_eq(stats.unknown_fields, 20);
    cr_assert_eq(r.nwarnings, KW_SCHEMA_MAX_UNKNOWN_WARNINGS + 1);
    cr_expect_str_eq(r.warnings[KW_SCHEMA_MAX_UNKNOWN_WARNINGS].text,
                     "data[p.json]: 4 more unknown fields not listed");
    kw_result_free(&r);
    kw_schema_set_free(set);
}

/* ---- the engine's `ignored` keyword --------------------------------- */

Test(stream, ignored_needs_a_hint)
{
    const char *bad[] = {"3", "\"\"", "true"};
    for (size_t i = 0; i < 3; i++) {
        char doc[512], err[512];
        snprintf(doc, sizeof(doc),
                 "{\"schemas\": {\"t\": {\"rule\": \"policy-value-invalid\", \"typeRule\": "
                 "\"policy-field-type\", \"unknownRule\": \"policy-unknown-key\", \"root\": "
                 "{\"type\": \"object\", \"properties\": {\"k\": {\"ignored\": %s}}}}}}",
                 bad[i]);
        struct kw_schema_set *set = kw_schema_set_new();
        cr_expect_eq(kw_schema_set_add(set, "t.yaml", json_loads(doc, 0, NULL), err, sizeof(err)),
                     -1);
        cr_expect_str_eq(err, "t.yaml: schemas.t.root.properties.k: ignored must be a non-empty "
                              "hint (what is read instead)");
        kw_schema_set_free(set);
    }
}

Test(stream, ignored_warnings_default_to_the_unknown_rule)
{
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    const char *doc =
        "{\"schemas\": {\"t\": {\"rule\": \"policy-value-invalid\", \"typeRule\": "
        "\"policy-field-type\", \"unknownRule\": \"policy-unknown-key\", \"root\": "
        "{\"type\": \"object\", \"properties\": {\"k\": {\"ignored\": \"use j\"}}}}}}";
    cr_assert_eq(kw_schema_set_add(set, "t", json_loads(doc, 0, NULL), err, sizeof(err)), 0, "%s",
                 err);
    json_t *v = json_pack("{s:i}", "k", 1);
    struct kw_result r;
    kw_result_init(&r);
    kw_schema_validate(kw_schema_find(set, "t"), v, "spec", &r);
    cr_assert_eq(r.nwarnings, 1);
    cr_expect_eq(r.warnings[0].rule_id, KW_RULE_POLICY_UNKNOWN_KEY);
    cr_expect_str_eq(r.warnings[0].text, "spec.k: the mover ignores this key; use j");
    kw_result_free(&r);
    json_decref(v);
    expect_same(kw_schema_find(set, "t"), "{\"k\": [1]}", "spec");
    kw_schema_set_free(set);
}

/* ---- the engine's `warning` keyword --------------------------------- */

static struct kw_schema_set *warning_schema(const char *prop, char *err, size_t errlen, int *rc)
{
    char doc[512];
    snprintf(doc, sizeof(doc),
             "{\"schemas\": {\"t\": {\"rule\": \"policy-value-invalid\", \"typeRule\": "
             "\"policy-field-type\", \"unknownRule\": \"policy-unknown-key\", \"root\": "
             "{\"type\": \"object\", \"properties\": {\"k\": %s}}}}}",
             prop);
    struct kw_schema_set *set = kw_schema_set_new();
    *rc = kw_schema_set_add(set, "t.yaml", json_loads(doc, 0, NULL), err, errlen);
    return set;
}

Test(stream, warning_and_its_rule_go_together)
{
    const char *bad[] = {"{\"type\": \"number\", \"warning\": \"harm\"}",
                         "{\"type\": \"number\", \"warningRule\": \"policy-upload-speed\"}",
                         ("{\"type\": \"number\", \"warning\": \"\", \"warningRule\": "
                          "\"policy-upload-speed\"}")};
    for (size_t i = 0; i < 3; i++) {
        char err[512] = "";
        int rc;
        struct kw_schema_set *set = warning_schema(bad[i], err, sizeof(err), &rc);
        cr_expect_eq(rc, -1, "accepted %s", bad[i]);
        cr_expect(strstr(err, "t.yaml: schemas.t.root.properties.k: warning"), "%s", err);
        kw_schema_set_free(set);
    }
}

/* Both validators warn a present `warning` key with its rule, and still
 * check its value. */
Test(stream, warning_is_warned_and_the_value_still_checked)
{
    char err[512] = "";
    int rc;
    struct kw_schema_set *set = warning_schema(
        "{\"type\": \"number\", \"minimum\": 0, \"warning\": \"does harm\", \"warningRule\": "
        "\"policy-upload-speed\"}",
        err, sizeof(err), &rc);
    cr_assert_eq(rc, 0, "%s", err);
    const struct kw_schema *sc = kw_schema_find(set, "t");
    const char *text = "{\"k\": -1}";
    struct kw_result tree, stream;
    kw_result_init(&tree);
    kw_result_init(&stream);
    json_t *v = json_loads(text, 0, NULL);
    kw_schema_validate(sc, v, "f", &tree);
    cr_assert_eq(
        kw_schema_validate_text(sc, text, strlen(text), "f", KW_TEXT_EMBEDDED, &stream, NULL, NULL),
        0);
    const struct kw_result *both[] = {&tree, &stream};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(both[i]->nwarnings, 1, "validator %zu", i);
        cr_expect_eq(both[i]->warnings[0].rule_id, KW_RULE_POLICY_UPLOAD_SPEED);
        /* The text validator names an embedded document's inner path after
         * the field ("f: k"), as for its other findings. */
        cr_expect_str_eq(both[i]->warnings[0].text, i == 0 ? "f.k: does harm" : "f: k: does harm");
        cr_expect_eq(both[i]->ncauses, 1, "validator %zu: the value is still checked", i);
    }
    json_decref(v);
    kw_result_free(&tree);
    kw_result_free(&stream);
    kw_schema_set_free(set);
}
