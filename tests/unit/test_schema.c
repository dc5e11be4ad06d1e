/* The schema engine on its own (validators/schema/schema.c): compile errors of bad
 * schema documents, every keyword's check with its path and wording, unknown
 * fields, variants, the embedded kopia.yaml, and concurrent use of one set. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/schema/schema.h"

/* A document with one schema "t" whose root is `root_json`; the schema's
 * rule ids are existing table rows. */
static int compile(struct kw_schema_set *set, const char *defs_json, const char *root_json,
                   const char *extra_schema_keys, char *err, size_t errlen)
{
    char doc[8192];
    snprintf(doc, sizeof(doc),
             "{%s%s%s \"schemas\": {\"t\": {\"variant\": \"ReplicationSource\","
             "\"rule\": \"field-type\", \"typeRule\": \"field-type\","
             "\"unknownRule\": \"unknown-field\"%s, \"root\": %s}}}",
             defs_json ? "\"definitions\": " : "", defs_json ? defs_json : "", defs_json ? "," : "",
             extra_schema_keys ? extra_schema_keys : "", root_json);
    json_error_t jerr;
    json_t *d = json_loads(doc, 0, &jerr);
    cr_assert(d, "bad test JSON: %s in %s", jerr.text, doc);
    return kw_schema_set_add(set, "test.yaml", d, err, errlen);
}

static struct kw_schema_set *set_of(const char *root_json)
{
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    cr_assert_eq(compile(set, NULL, root_json, NULL, err, sizeof(err)), 0, "%s", err);
    return set;
}

static void validate(const struct kw_schema_set *set, const char *value_json, struct kw_result *res)
{
    json_t *v = json_loads(value_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    cr_assert(v, "bad value JSON %s", value_json);
    kw_result_init(res);
    kw_schema_validate(kw_schema_find(set, "t"), v, "spec", res);
    json_decref(v);
}

/* "field: body" of cause i. */
static char *line(const struct kw_result *res, size_t i)
{
    cr_assert(i < res->ncauses, "only %zu causes", res->ncauses);
    char *b = kw_cause_body(&res->causes[i]);
    char *out = NULL;
    cr_assert(asprintf(&out, "%s: %s", res->causes[i].field, b) > 0);
    free(b);
    return out;
}

static void expect_lines(const char *root, const char *value, const char *const *want, size_t nwant)
{
    struct kw_schema_set *set = set_of(root);
    struct kw_result res;
    validate(set, value, &res);
    cr_expect_eq(res.ncauses, nwant, "%s: %zu causes, want %zu", value, res.ncauses, nwant);
    for (size_t i = 0; i < nwant && i < res.ncauses; i++) {
        char *l = line(&res, i);
        cr_expect_str_eq(l, want[i], "value %s: got %s", value, l);
        free(l);
    }
    kw_result_free(&res);
    kw_schema_set_free(set);
}

#define LINES(...)                                                                                 \
    (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

Test(schema, compile_errors_name_the_place)
{
    struct {
        const char *defs, *root, *want;
    } cases[] = {
        {NULL, "{\"tpye\": \"string\"}", "test.yaml: schemas.t.root.tpye: unknown keyword"},
        {NULL, "{\"type\": \"strin\"}", "test.yaml: schemas.t.root.type: unknown type \"strin\""},
        {NULL, "{\"type\": \"string\", \"rule\": \"no-such-rule\"}",
         "test.yaml: schemas.t.root.rule: rule id \"no-such-rule\" is not in the rule table"},
        {NULL, "{\"type\": \"string\", \"pattern\": \"([a-z\"}",
         "test.yaml: schemas.t.root.pattern: pattern does not compile"},
        {NULL, "{\"$ref\": \"missing\"}", "test.yaml: schemas.t.root: $ref names no definition"},
        {NULL, "{\"type\": \"string\", \"format\": \"email\"}",
         "test.yaml: schemas.t.root.format: unknown format \"email\""},
        {NULL, "{\"type\": \"integer\", \"format\": \"cron\"}",
         "test.yaml: schemas.t.root: format cron takes type string"},
        {NULL, "{\"type\": \"object\", \"required\": [\"a\"]}",
         "test.yaml: schemas.t.root: required names an undeclared property"},
        {NULL,
         "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"otherVariant\": "
         "\"forbid\"}}}",
         "test.yaml: schemas.t.root.properties.a: otherVariant: forbid needs only and "
         "otherVariantRule"},
        {NULL, "{\"type\": \"integer\", \"minimum\": 0.5}",
         "test.yaml: schemas.t.root.minimum: bounds must be whole numbers"},
        {"{\"d\": {\"$ref\": \"d\"}}", "{\"$ref\": \"d\"}",
         "test.yaml: definitions.d: a definition must be a schema node, not a bare $ref"},
        {"{\"d\": {\"type\": \"string\"}}", "{\"$ref\": \"d\", \"type\": \"string\"}",
         "test.yaml: schemas.t.root: $ref cannot be combined with \"type\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kw_schema_set *set = kw_schema_set_new();
        char err[512] = "";
        cr_expect_eq(compile(set, cases[i].defs, cases[i].root, NULL, err, sizeof(err)), -1,
                     "case %zu compiled", i);
        cr_expect(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, "case %zu: %s", i, err);
        cr_expect_null(kw_schema_find(set, "t"));
        kw_schema_set_free(set);
    }
}

/* The schema files name rules by id; the compiler resolves each id to the
 * rule list (include/kw/decision/rules.h) once, so a misspelt rule fails the
 * compile, naming the place, wherever a rule can be named. */
Test(schema, an_unknown_rule_id_is_a_compile_error_wherever_a_rule_is_named)
{
    const char *defs = "{\"name\": {\"type\": \"string\"}}";
    struct {
        const char *root, *extra, *want;
    } cases[] = {
        {"{\"type\": \"string\", \"rule\": \"sourcepvc_invalid\"}", NULL,
         "test.yaml: schemas.t.root.rule: rule id \"sourcepvc_invalid\" is not in the rule table"},
        {"{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"name\", \"rule\": "
         "\"Repository-Invalid\"}}}",
         NULL,
         "test.yaml: schemas.t.root.properties.a: rule id \"Repository-Invalid\" is not in the "
         "rule table"},
        {"{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"only\": "
         "\"ReplicationDestination\", \"otherVariant\": \"forbid\", \"otherVariantRule\": "
         "\"repositorypvc-on-destinaton\"}}}",
         NULL,
         "test.yaml: schemas.t.root.properties.a: rule id \"repositorypvc-on-destinaton\" is not "
         "in the rule table"},
        {"{\"type\": \"object\", \"required\": [\"a\"], \"properties\": {\"a\": {\"type\": "
         "\"string\", \"requiredRule\": \"sourcepvc-requried\"}}}",
         NULL,
         "test.yaml: schemas.t.root.properties.a: rule id \"sourcepvc-requried\" is not in the "
         "rule table"},
        {"{\"type\": \"string\"}", ", \"ignoredRule\": \"policy-key-ignore\"",
         "test.yaml: schemas.t.ignoredRule: rule id \"policy-key-ignore\" is not in the rule "
         "table"},
        {"{\"type\": \"string\", \"rule\": 7}", NULL,
         "test.yaml: schemas.t.root.rule: a rule id must be a string"},
        {"{\"type\": \"string\", \"rule\": \"\"}", NULL,
         "test.yaml: schemas.t.root.rule: rule id \"\" is not in the rule table"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kw_schema_set *set = kw_schema_set_new();
        char err[512] = "";
        cr_expect_eq(compile(set, defs, cases[i].root, cases[i].extra, err, sizeof(err)), -1,
                     "case %zu compiled", i);
        cr_expect_str_eq(err, cases[i].want, "case %zu", i);
        cr_expect_null(kw_schema_find(set, "t"));
        kw_schema_set_free(set);
    }
    /* The schema-level rules, which the helper above writes correctly. */
    const char *keys[] = {"rule", "typeRule", "unknownRule"};
    for (size_t i = 0; i < 3; i++) {
        char doc[512], want[256];
        snprintf(doc, sizeof(doc),
                 "{\"schemas\": {\"t\": {\"rule\": \"field-type\", \"typeRule\": \"field-type\", "
                 "\"unknownRule\": \"unknown-field\", \"%s\": \"field-typo\", \"root\": "
                 "{\"type\": \"string\"}}}}",
                 keys[i]);
        snprintf(want, sizeof(want),
                 "test.yaml: schemas.t.%s: rule id \"field-typo\" is not in the rule table",
                 keys[i]);
        json_t *d = json_loads(doc, 0, NULL);
        cr_assert(d, "%s", doc);
        struct kw_schema_set *set = kw_schema_set_new();
        char err[512] = "";
        cr_expect_eq(kw_schema_set_add(set, "test.yaml", d, err, sizeof(err)), -1, "%s", keys[i]);
        cr_expect_str_eq(err, want);
        kw_schema_set_free(set);
    }
}

/* A resolved id becomes the rule's enum value in what the schema reports. */
Test(schema, rule_ids_resolve_to_the_rule_enum)
{
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    cr_assert_eq(compile(set, NULL,
                         "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": "
                         "\"integer\", \"minimum\": 0, \"rule\": \"policy-value-invalid\"}}}",
                         ", \"ignoredRule\": \"policy-key-ignored\"", err, sizeof(err)),
                 0, "%s", err);
    struct kw_result res;
    validate(set, "{\"n\": -1, \"m\": 1}", &res);
    cr_assert_eq(res.ncauses, 1);
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_POLICY_VALUE_INVALID);
    cr_assert_eq(res.nwarnings, 1);
    cr_expect_eq(res.warnings[0].rule_id, KW_RULE_UNKNOWN_FIELD);
    kw_result_free(&res);
    validate(set, "{\"n\": \"x\"}", &res);
    cr_assert_eq(res.ncauses, 1);
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_FIELD_TYPE);
    kw_result_free(&res);
    kw_schema_set_free(set);
}

Test(schema, document_level_errors)
{
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    cr_expect_eq(kw_schema_set_add(set, "a.yaml", json_loads("[]", 0, NULL), err, sizeof(err)), -1);
    cr_expect_str_eq(err, "a.yaml: (top): a schema document must be a mapping");
    cr_expect_eq(kw_schema_set_add(set, "b.yaml", json_loads("{\"schemas\": {}}", 0, NULL), err,
                                   sizeof(err)),
                 -1);
    cr_expect_eq(kw_schema_set_add_yaml(set, "c.yaml", "a: [", 4, err, sizeof(err)), -1);
    cr_expect(strncmp(err, "c.yaml: ", 8) == 0, "%s", err);
    /* The same schema name twice is an error; the first one stays usable. */
    cr_assert_eq(compile(set, NULL, "{\"type\": \"string\"}", NULL, err, sizeof(err)), 0, "%s",
                 err);
    cr_expect_eq(compile(set, NULL, "{\"type\": \"string\"}", NULL, err, sizeof(err)), -1);
    cr_expect(strstr(err, "defined twice"), "%s", err);
    cr_expect_not_null(kw_schema_find(set, "t"));
    kw_schema_set_free(set);
}

Test(schema, types_follow_kubernetes_wording)
{
    const char *root =
        "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"},"
        "\"s\": {\"type\": \"string\"}, \"q\": {\"type\": [\"integer\", \"string\"]},"
        "\"b\": {\"type\": \"boolean\"}, \"o\": {\"type\": \"object\"},"
        "\"a\": {\"type\": \"array\"}, \"x\": {\"type\": \"number\"}}}";
    expect_lines(
        root,
        "{\"n\": \"1\", \"s\": 1, \"q\": true, \"b\": {}, \"o\": [], \"a\": 1.5, \"x\": \"1\"}",
        LINES("spec.n: Invalid value: \"string\": spec.n in body must be of type "
              "integer: \"string\"",
              "spec.s: Invalid value: \"integer\": spec.s in body must be of type string: "
              "\"integer\"",
              "spec.q: Invalid value: \"boolean\": spec.q in body must be of type integer "
              "or string: \"boolean\"",
              "spec.b: Invalid value: \"object\": spec.b in body must be of type boolean: "
              "\"object\"",
              "spec.o: Invalid value: \"array\": spec.o in body must be of type object: "
              "\"array\"",
              "spec.a: Invalid value: \"number\": spec.a in body must be of type array: "
              "\"number\"",
              "spec.x: Invalid value: \"string\": spec.x in body must be of type number: "
              "\"string\""));
    /* A number field takes integers; null members are absent. */
    expect_lines(root, "{\"x\": 3, \"n\": null, \"s\": null}", NULL, 0);
    /* The value itself may have the wrong type. */
    expect_lines(root, "[]",
                 LINES("spec: Invalid value: \"array\": spec in body must be of type object: "
                       "\"array\""));
}

Test(schema, integers_strict_unless_the_schema_says_kubernetes)
{
    const char *root = "{\"type\": \"integer\"}";
    expect_lines(root, "1.0",
                 LINES("spec: Invalid value: \"number\": spec in body must be of type integer: "
                       "\"number\""));
    expect_lines(root, "7", NULL, 0);
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    cr_assert_eq(compile(set, NULL, root, ", \"integralRealsAreIntegers\": true", err, sizeof(err)),
                 0, "%s", err);
    struct kw_result res;
    validate(set, "1.0", &res);
    cr_expect_eq(res.ncauses, 0);
    kw_result_free(&res);
    validate(set, "1e3", &res);
    cr_expect_eq(res.ncauses, 0);
    kw_result_free(&res);
    validate(set, "1.5", &res);
    cr_expect_eq(res.ncauses, 1);
    kw_result_free(&res);
    kw_schema_set_free(set);
}

Test(schema, numeric_bounds_and_enums)
{
    const char *root = "{\"type\": \"object\", \"rule\": \"previous-invalid\", \"properties\": {"
                       "\"a\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 10},"
                       "\"b\": {\"type\": \"number\", \"minimum\": 0, \"exclusiveMinimum\": true},"
                       "\"c\": {\"type\": \"integer\", \"maximum\": 5, \"exclusiveMaximum\": true},"
                       "\"e\": {\"type\": \"string\", \"enum\": [\"x\", \"y\"]},"
                       "\"i\": {\"type\": \"integer\", \"enum\": [1, 2]}}}";
    expect_lines(root, "{\"a\": 0, \"b\": 0.5, \"c\": 4, \"e\": \"y\", \"i\": 2}", NULL, 0);
    expect_lines(root, "{\"a\": -1, \"b\": 0, \"c\": 5, \"e\": \"X\", \"i\": 3}",
                 LINES("spec.a: Invalid value: -1: spec.a in body should be greater than or equal "
                       "to 0",
                       "spec.b: Invalid value: 0: spec.b in body should be greater than 0",
                       "spec.c: Invalid value: 5: spec.c in body should be less than 5",
                       "spec.e: Unsupported value: \"X\": supported values: \"x\", \"y\"",
                       "spec.i: Unsupported value: 3: supported values: 1, 2"));
    expect_lines(root, "{\"a\": 11}",
                 LINES("spec.a: Invalid value: 11: spec.a in body should be less than or equal "
                       "to 10"));
}

Test(schema, strings_lengths_patterns_and_formats)
{
    const char *root =
        "{\"type\": \"object\", \"rule\": \"repository-invalid\", \"properties\": {"
        "\"l\": {\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3},"
        "\"p\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"},"
        "\"d\": {\"type\": \"string\", \"format\": \"dns1123-label\"},"
        "\"f\": {\"type\": \"string\", \"format\": \"absolute-path\"},"
        "\"q\": {\"type\": [\"integer\", \"string\"], \"format\": \"quantity\", \"minimum\": 0}}}";
    /* Lengths count characters: "äöü" is three. */
    expect_lines(root,
                 "{\"l\": \"\\u00e4\\u00f6\\u00fc\", \"p\": \"abc\", \"d\": \"a-b\", \"f\": \"/x\","
                 "\"q\": \"0\"}",
                 NULL, 0);
    expect_lines(root, "{\"l\": \"a\", \"p\": \"ab1\", \"f\": \"x\", \"q\": \"-1Gi\"}",
                 LINES("spec.l: Invalid value: \"a\": spec.l in body should be at least 2 chars "
                       "long",
                       "spec.p: Invalid value: \"ab1\": spec.p in body should match '^[a-z]+$'",
                       "spec.f: Invalid value: \"x\": must be an absolute path (start with \"/\")",
                       "spec.q: Invalid value: \"-1Gi\": spec.q in body should be greater than or "
                       "equal to 0"));
    expect_lines(root, "{\"l\": \"abcd\"}", LINES("spec.l: Too long: may not be longer than 3"));
    expect_lines(root, "{\"q\": -1}",
                 LINES("spec.q: Invalid value: -1: spec.q in body should be greater than or "
                       "equal to 0"));
    /* Format messages come from formats.h; a NUL inside is never cut off. */
    struct kw_schema_set *set = set_of(root);
    struct kw_result res;
    validate(set, "{\"d\": \"a.b\", \"f\": \"/a\\u0000b\"}", &res);
    cr_expect_eq(res.ncauses, 2);
    cr_expect_str_eq(res.causes[0].field, "spec.d");
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_REPOSITORY_INVALID);
    cr_expect_str_eq(res.causes[1].detail, "must not contain a NUL character");
    kw_result_free(&res);
    kw_schema_set_free(set);
}

Test(schema, arrays_maps_and_paths)
{
    const char *root =
        "{\"type\": \"object\", \"properties\": {"
        "\"list\": {\"type\": \"array\", \"rule\": \"additional-args-too-many\", \"minItems\": 1,"
        " \"maxItems\": 2, \"items\": {\"type\": \"string\"}},"
        "\"labels\": {\"type\": \"object\", \"rule\": \"mover-pod-labels-invalid\", \"keyFormat\": "
        "\"label-key\", \"additionalProperties\": {\"type\": \"string\", \"format\": "
        "\"label-value\"}}}}";
    expect_lines(root, "{\"list\": [\"a\", 2, \"c\"]}",
                 LINES("spec.list: Too many: 3: must have at most 2 items",
                       "spec.list[1]: Invalid value: \"integer\": spec.list[1] in body must be of "
                       "type string: \"integer\""));
    expect_lines(root, "{\"list\": []}",
                 LINES("spec.list: Invalid value: 0: spec.list in body should have at least 1 "
                       "items"));
    struct kw_schema_set *set = set_of(root);
    struct kw_result res;
    validate(set, "{\"labels\": {\"app\": \"ok\", \"x\": \"-bad\", \"a b\": \"v\", \"n\": null}}",
             &res);
    cr_expect_eq(res.ncauses, 2);
    cr_expect_str_eq(res.causes[0].field, "spec.labels[x]");
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_MOVER_POD_LABELS_INVALID);
    cr_expect_str_eq(res.causes[1].field, "spec.labels");
    cr_expect_str_eq(res.causes[1].value, "\"a b\"");
    kw_result_free(&res);
    kw_schema_set_free(set);
}

Test(schema, required_empty_is_absent_and_rule_inheritance)
{
    const char *defs = "{\"name\": {\"type\": \"string\", \"format\": \"dns1123-subdomain\"}}";
    const char *root =
        "{\"type\": \"object\", \"rule\": \"customca-invalid\", \"required\": [\"a\", \"b\"],"
        "\"properties\": {"
        "\"a\": {\"$ref\": \"name\", \"emptyIsAbsent\": true, \"requiredRule\": "
        "\"sourcepvc-required\", \"requiredMessage\": \"the volume\"},"
        "\"b\": {\"type\": \"string\"},"
        "\"c\": {\"$ref\": \"name\", \"rule\": \"repository-invalid\"},"
        "\"d\": {\"$ref\": \"name\"}}}";
    struct kw_schema_set *set = kw_schema_set_new();
    char err[512];
    cr_assert_eq(compile(set, defs, root, NULL, err, sizeof(err)), 0, "%s", err);
    struct kw_result res;
    validate(set, "{\"a\": \"\", \"b\": \"\", \"c\": \"C\", \"d\": \"D\"}", &res);
    cr_assert_eq(res.ncauses, 3);
    cr_expect_str_eq(res.causes[0].field, "spec.c");
    cr_expect_eq(res.causes[0].rule_id, KW_RULE_REPOSITORY_INVALID);
    cr_expect_str_eq(res.causes[1].field, "spec.d");
    cr_expect_eq(res.causes[1].rule_id, KW_RULE_CUSTOMCA_INVALID);
    char *l = line(&res, 2);
    cr_expect_str_eq(l, "spec.a: Required value: the volume");
    cr_expect_eq(res.causes[2].rule_id, KW_RULE_SOURCEPVC_REQUIRED);
    free(l);
    kw_result_free(&res);
    validate(set, "{\"b\": null}", &res);
    cr_expect_eq(res.ncauses, 2); /* a and b; null is absent */
    kw_result_free(&res);
    kw_schema_set_free(set);
}

/* Properties are found by an index built when the schema is compiled:
 * names that share their length and several bytes (so that they land on
 * the same slot and are told apart by probing), many properties in one
 * node, and keys that are none of them. Causes come in the object's order,
 * then the missing required properties in name order. */
Test(schema, property_lookup_tells_apart_similar_names)
{
    char root[8192];
    size_t at =
        (size_t)snprintf(root, sizeof root,
                         "{\"type\": \"object\", \"unknownProperties\": \"warn\","
                         "\"required\": [\"zzzz\", \"abcd\", \"m\"], \"properties\": {"
                         "\"abcd\": {\"type\": \"integer\"}, \"axcd\": {\"type\": \"string\"},"
                         "\"aycd\": {\"type\": \"boolean\"}, \"zzzz\": {\"type\": \"string\"},"
                         "\"m\": {\"type\": \"string\"}, \"\": {\"type\": \"integer\"}");
    for (int i = 0; i < 70; i++)
        at += (size_t)snprintf(root + at, sizeof root - at, ", \"p%02d\": {\"type\": \"integer\"}",
                               i);
    snprintf(root + at, sizeof root - at, "}}");
    struct kw_schema_set *set = set_of(root);
    struct kw_result res;
    validate(set,
             "{\"aycd\": 1, \"axcd\": 2, \"abcd\": \"3\", \"p69\": \"x\", \"p07\": \"y\", "
             "\"\": \"e\", \"azcd\": 1, \"p70\": 1, \"abc\": 1, \"m\": \"ok\"}",
             &res);
    const char *want[] = {
        "spec.aycd: Invalid value: \"integer\": spec.aycd in body must be of type boolean: "
        "\"integer\"",
        "spec.axcd: Invalid value: \"integer\": spec.axcd in body must be of type string: "
        "\"integer\"",
        "spec.abcd: Invalid value: \"string\": spec.abcd in body must be of type integer: "
        "\"string\"",
        "spec.p69: Invalid value: \"string\": spec.p69 in body must be of type integer: "
        "\"string\"",
        "spec.p07: Invalid value: \"string\": spec.p07 in body must be of type integer: "
        "\"string\"",
        "spec.: Invalid value: \"string\": spec. in body must be of type integer: \"string\"",
        "spec.zzzz: Required value",
    };
    cr_expect_eq(res.ncauses, sizeof want / sizeof want[0], "%zu causes", res.ncauses);
    for (size_t i = 0; i < res.ncauses && i < sizeof want / sizeof want[0]; i++) {
        char *l = line(&res, i);
        cr_expect_str_eq(l, want[i]);
        free(l);
    }
    cr_expect_eq(res.nwarnings, 3, "azcd, p70 and abc are unknown: %zu", res.nwarnings);
    kw_result_free(&res);
    validate(set, "{}", &res);
    cr_expect_eq(res.ncauses, 3);
    for (size_t i = 0; i < res.ncauses; i++) {
        const char *fields[] = {"spec.abcd", "spec.m", "spec.zzzz"};
        cr_expect_str_eq(res.causes[i].field, fields[i]);
    }
    kw_result_free(&res);
    kw_schema_set_free(set);
}

Test(schema, unknown_fields_variants_and_the_warning_cap)
{
    const char *root =
        "{\"type\": \"object\", \"staleNames\": {\"old\": \"newName\", \"gone\": \"rdOnly\"},"
        "\"properties\": {\"newName\": {\"type\": \"string\"},"
        "\"rdOnly\": {\"type\": \"string\", \"only\": \"ReplicationDestination\"},"
        "\"rdForbidden\": {\"type\": \"string\", \"only\": \"ReplicationDestination\","
        " \"otherVariant\": \"forbid\", \"otherVariantRule\": \"repositorypvc-on-destination\"},"
        "\"quiet\": {\"type\": \"object\", \"unknownProperties\": \"ignore\"}}}";
    struct kw_schema_set *set = set_of(root);
    struct kw_result res;
    validate(set,
             "{\"old\": 1, \"newname\": 1, \"rdOnly\": \"x\", \"rdForbidden\": \"x\", \"gone\": 1,"
             "\"quiet\": {\"anything\": 1}, \"zzzzzzzz\": 1}",
             &res);
    const char *want[] = {
        "spec.old: unknown field; did you mean newName?",
        "spec.newname: unknown field; did you mean newName?",
        "spec.rdOnly: unknown field; rdOnly is only supported on ReplicationDestination",
        "spec.gone: unknown field; it has no effect, check the spelling",
        "spec.zzzzzzzz: unknown field; it has no effect, check the spelling",
    };
    cr_assert_eq(res.nwarnings, 5);
    for (size_t i = 0; i < 5; i++) {
        cr_expect_str_eq(res.warnings[i].text, want[i]);
        cr_expect_eq(res.warnings[i].rule_id, KW_RULE_UNKNOWN_FIELD);
    }
    cr_assert_eq(res.ncauses, 1);
    char *l = line(&res, 0);
    cr_expect_str_eq(l, "spec.rdForbidden: Forbidden: rdForbidden is only supported on "
                        "ReplicationDestination");
    free(l);
    kw_result_free(&res);

    /* Many unknown fields: a capped list and one summary line. Long names are cut. */
    json_t *v = json_object();
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof(k), "unknown%02d", i);
        json_object_set_new(v, k, json_true());
    }
    char longkey[300];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = 0;
    json_t *w = json_object();
    json_object_set_new(w, longkey, json_true());
    kw_result_init(&res);
    kw_schema_validate(kw_schema_find(set, "t"), v, "spec", &res);
    cr_expect_eq(res.nwarnings, KW_SCHEMA_MAX_UNKNOWN_WARNINGS + 1);
    cr_expect_str_eq(res.warnings[res.nwarnings - 1].text,
                     "spec: 24 more unknown fields not listed");
    kw_result_free(&res);
    kw_result_init(&res);
    kw_schema_validate(kw_schema_find(set, "t"), w, "spec", &res);
    cr_assert_eq(res.nwarnings, 1);
    cr_expect(strlen(res.warnings[0].text) < 120, "%s", res.warnings[0].text);
    kw_result_free(&res);
    json_decref(v);
    json_decref(w);
    kw_schema_set_free(set);
}

Test(schema, embedded_kopia_schemas_load)
{
    char err[512];
    struct kw_schema_set *set = kw_schema_set_load(err, sizeof(err));
    cr_assert(set, "%s", err);
    cr_expect_not_null(kw_schema_find(set, KW_SCHEMA_RS_SPEC));
    cr_expect_not_null(kw_schema_find(set, KW_SCHEMA_RD_SPEC));
    cr_expect_null(kw_schema_find(set, "nope"));
    kw_schema_set_free(set);
}

struct thread_arg {
    const struct kw_schema *schema;
    const json_t *value;
    size_t causes;
};

static void *validate_many(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 2000; i++) {
        struct kw_result res;
        kw_result_init(&res);
        kw_schema_validate(a->schema, a->value, "spec", &res);
        if (i == 0)
            a->causes = res.ncauses;
        else if (res.ncauses != a->causes)
            a->causes = (size_t)-1;
        kw_result_free(&res);
    }
    return NULL;
}

Test(schema, one_set_serves_several_threads)
{
    struct kw_schema_set *set =
        set_of("{\"type\": \"object\", \"properties\": {\"p\": {\"type\": \"string\", \"pattern\": "
               "\"^[a-z]+$\"}, \"d\": {\"type\": \"string\", \"format\": \"dns1123-subdomain\"}}}");
    json_t *v = json_loads("{\"p\": \"abc1\", \"d\": \"Bad\"}", 0, NULL);
    struct thread_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){kw_schema_find(set, "t"), v, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, validate_many, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].causes, 2);
    }
    json_decref(v);
    kw_schema_set_free(set);
}
