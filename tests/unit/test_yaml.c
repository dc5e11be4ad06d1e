/* YAML loading as kubectl resolves it: scalars, documents, errors with
 * positions, duplicate keys, aliases, merge keys, limits. */
#include <criterion/criterion.h>
#include <string.h>

#include "kw/json/yaml.h"

static json_t *one(const char *text)
{
    struct kw_yaml_error err;
    json_t *v = kw_yaml_load_one(text, strlen(text), &err);
    cr_assert(v, "unexpected error: %s", err.text);
    return v;
}

static void expect_json(const char *yaml, const char *json)
{
    json_t *got = one(yaml);
    json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);
    cr_assert(want);
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    cr_assert(json_equal(got, want), "%s -> %s, want %s", yaml, g, json);
    free(g);
    json_decref(got);
    json_decref(want);
}

Test(yaml, scalars_resolve_like_kubectl)
{
    expect_json("a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: true",
                "{\"a\":true,\"b\":false,\"c\":true,"
                "\"d\":false,\"e\":true,\"f\":true}");
    expect_json("a: ~\nb: null\nc:\n", "{\"a\":null,\"b\":null,\"c\":null}");
    expect_json("a: 10\nb: -3\nc: 0x1f\nd: 0o17\ne: 017\nf: 1_000",
                "{\"a\":10,\"b\":-3,\"c\":31,"
                "\"d\":15,\"e\":15,\"f\":1000}");
    expect_json("a: 1.5\nb: 1.0\nc: 1e3\nd: .5", "{\"a\":1.5,\"b\":1,\"c\":1000,\"d\":0.5}");
    expect_json("a: '10'\nb: \"yes\"\nc: !!str 5\nd: 10Gi\ne: 1.2.3",
                "{\"a\":\"10\",\"b\":\"yes\","
                "\"c\":\"5\",\"d\":\"10Gi\",\"e\":\"1.2.3\"}");
    expect_json("a: 99999999999999999999", "{\"a\":1e20}");
}

Test(yaml, json_is_yaml)
{
    expect_json("{\"spec\": {\"kopia\": {\"previous\": 2, \"x\": [1, \"a\"]}}}",
                "{\"spec\":{\"kopia\":{\"previous\":2,\"x\":[1,\"a\"]}}}");
}

Test(yaml, multi_document_skips_empty)
{
    const char *text = "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n";
    struct kw_yaml_error err;
    json_t *docs = kw_yaml_load_all(text, strlen(text), &err);
    cr_assert(docs, "%s", err.text);
    cr_assert_eq(json_array_size(docs), 2);
    json_decref(docs);
}

Test(yaml, duplicate_key_is_an_error_with_position)
{
    const char *text = "spec:\n  a: 1\nspec:\n  b: 2\n";
    struct kw_yaml_error err;
    cr_assert_null(kw_yaml_load_all(text, strlen(text), &err));
    cr_assert_eq(err.line, 3);
    cr_assert_eq(err.column, 1);
    cr_assert(strstr(err.text, "mapping key \"spec\" already defined"), "%s", err.text);
}

Test(yaml, syntax_error_has_line_and_column)
{
    const char *text = "a: 1\nb: [1, 2\nc: 3\n";
    struct kw_yaml_error err;
    cr_assert_null(kw_yaml_load_all(text, strlen(text), &err));
    cr_assert_gt(err.line, 1);
    cr_assert(strstr(err.text, "line "), "%s", err.text);
}

Test(yaml, aliases_are_copies_and_merge_keys_work)
{
    expect_json(
        "base: &b {x: 1, z: 2}\nother:\n  <<: *b\n  z: 3\ncopy: *b",
        "{\"base\":{\"x\":1,\"z\":2},\"other\":{\"x\":1,\"z\":3},\"copy\":{\"x\":1,\"z\":2}}");
    /* YAML 1.1 as kubectl reads it: a bare y/on key is the boolean true. */
    expect_json("on: 2", "{\"true\":2}");
}

Test(yaml, billion_laughs_is_refused)
{
    char text[4096] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
        char line[128];
        snprintf(line, sizeof(line), "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
                 c, c, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev);
        strcat(text, line);
        prev = c;
    }
    struct kw_yaml_error err;
    cr_assert_null(kw_yaml_load_all(text, strlen(text), &err));
    cr_assert(strstr(err.text, "too large"), "%s", err.text);
}

Test(yaml, non_json_values_and_keys_are_errors)
{
    struct kw_yaml_error err;
    cr_assert_null(kw_yaml_load_all("a: .nan\n", 8, &err));
    cr_assert(strstr(err.text, "cannot be represented"), "%s", err.text);
    cr_assert_null(kw_yaml_load_all("? [a]\n: 1\n", 10, &err));
    cr_assert(strstr(err.text, "mapping keys must be strings"), "%s", err.text);
    cr_assert_null(kw_yaml_load_all("a: *nope\n", 9, &err));
}

Test(yaml, invalid_utf8_and_deep_nesting)
{
    struct kw_yaml_error err;
    cr_assert_null(kw_yaml_load_all("a: \xff\xfe\n", 6, &err));
    size_t n = 5000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = 0;
    cr_assert_null(kw_yaml_load_all(deep, 2 * n, &err));
    cr_assert(strstr(err.text, "nesting"), "%s", err.text);
    free(deep);
}

Test(yaml, one_document_required_and_positions_recorded)
{
    struct kw_yaml_error err;
    cr_assert_null(kw_yaml_load_one("a: 1\n---\nb: 2\n", 14, &err));
    cr_assert(strstr(err.text, "found 2"), "%s", err.text);
    const char *text = "tls:\n  certFile: /x\nforbiddenArgs:\n  - --a\n  - --b\n";
    struct kw_yaml_positions pos;
    json_t *v = kw_yaml_load_one_with_positions(text, strlen(text), &pos, &err);
    cr_assert(v, "%s", err.text);
    bool found_cert = false, found_item = false;
    for (size_t i = 0; i < pos.len; i++) {
        if (strcmp(pos.items[i].path, "tls.certFile") == 0)
            found_cert = pos.items[i].line == 2 && pos.items[i].column == 3;
        if (strcmp(pos.items[i].path, "forbiddenArgs[1]") == 0)
            found_item = pos.items[i].line == 5;
    }
    cr_assert(found_cert && found_item);
    kw_yaml_positions_free(&pos);
    json_decref(v);
}
