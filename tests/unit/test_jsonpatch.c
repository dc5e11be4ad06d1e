/* Tests of RFC 6901 JSON Pointer and RFC 6902 JSON Patch (kw/json/patch.h):
 * the fixture files in tests/fixtures/jsonpatch/ (RFC 6902 appendix A and
 * one record per operation rule), the pointer functions, encoding the core's
 * operations, all-or-nothing application and the copy limit. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_pointer.h"
#include "kw/json/patch.h"
#include "kw/decision/result.h"

/* ---- fixtures ---- */

static json_t *load_fixture(const char *name)
{
    const char *root = getenv("KW_SOURCE_DIR");
    cr_assert_not_null(root, "KW_SOURCE_DIR is not set");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/jsonpatch/%s", root, name);
    json_error_t error;
    json_t *cases = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &error);
    cr_assert_not_null(cases, "%s:%d: %s", path, error.line, error.text);
    cr_assert(json_is_array(cases), "%s is not an array of records", path);
    return cases;
}

static char *dump(const json_t *value)
{
    return json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
}

/* The in-place API cannot change the root's type; every other outcome must
 * match kw_patch_apply_root. */
static void check_in_place(const json_t *doc, const json_t *patch, int root_rc,
                           const json_t *root_result, const char *comment)
{
    json_t *work = json_deep_copy(doc);
    char err[512] = "";
    int rc = kw_patch_apply(work, patch, err, sizeof(err));
    if (root_rc == 0 && json_typeof(root_result) != json_typeof(doc)) {
        cr_expect_eq(rc, -1, "%s: in place, a root type change must fail", comment);
        cr_expect(strstr(err, "cannot be done in place") != NULL, "%s: %s", comment, err);
        cr_expect(json_equal(work, doc), "%s: failed in-place apply changed doc", comment);
    } else if (root_rc == 0) {
        cr_expect_eq(rc, 0, "%s: in place: %s", comment, err);
        cr_expect(json_equal(work, root_result), "%s: in place result differs", comment);
    } else {
        cr_expect_eq(rc, -1, "%s: in place must fail too", comment);
        cr_expect(json_equal(work, doc), "%s: failed in-place apply changed doc", comment);
    }
    json_decref(work);
}

/* Runs one record; returns 1 when it was a test case, 0 for a note. */
static int run_record(const json_t *record, const char *file, size_t index)
{
    const json_t *doc = json_object_get(record, "doc");
    const json_t *patch = json_object_get(record, "patch");
    if (!doc || !patch || json_is_true(json_object_get(record, "disabled")))
        return 0;
    const json_t *expected = json_object_get(record, "expected");
    const json_t *error = json_object_get(record, "error");
    char comment[512];
    snprintf(comment, sizeof(comment), "%s[%zu] %s", file, index,
             json_string_value(json_object_get(record, "comment")) ?: "(no comment)");

    json_t *work = json_deep_copy(doc);
    char err[512] = "";
    int rc = kw_patch_apply_root(&work, patch, err, sizeof(err));
    if (error) {
        cr_expect_eq(rc, -1, "%s: should fail", comment);
        cr_expect(strstr(err, json_string_value(error)) != NULL,
                  "%s:\n  message  %s\n  expected %s", comment, err, json_string_value(error));
        cr_expect(json_equal(work, doc), "%s: a failed patch changed the document", comment);
    } else {
        const json_t *want = expected ? expected : doc;
        cr_expect_eq(rc, 0, "%s: %s", comment, err);
        char *got = dump(work), *wanted = dump(want);
        cr_expect(json_equal(work, want), "%s:\n  got      %s\n  expected %s", comment, got,
                  wanted);
        free(got);
        free(wanted);
    }
    check_in_place(doc, patch, rc, work, comment);
    json_decref(work);
    return 1;
}

static size_t run_fixture(const char *file)
{
    json_t *records = load_fixture(file);
    size_t ran = 0;
    for (size_t i = 0; i < json_array_size(records); i++)
        ran += (size_t)run_record(json_array_get(records, i), file, i);
    json_decref(records);
    return ran;
}

Test(jsonpatch_fixtures, rfc6902_appendix_a)
{
    /* A.1-A.16 without A.13 (a parser matter, see the file). */
    cr_expect_eq(run_fixture("rfc6902-appendix-a.json"), 15);
}

Test(jsonpatch_fixtures, operations)
{
    cr_expect_geq(run_fixture("operations.json"), 100);
}

/* ---- JSON Pointer ---- */

static struct kw_pointer parse_ok(const char *text, size_t len)
{
    struct kw_pointer ptr;
    char err[128] = "";
    cr_assert_eq(kw_pointer_parse(text, len, &ptr, err, sizeof(err)), 0, "%s: %s", text, err);
    return ptr;
}

static void expect_parse_error(const char *text, size_t len, const char *message)
{
    struct kw_pointer ptr;
    char err[128] = "";
    cr_expect_eq(kw_pointer_parse(text, len, &ptr, err, sizeof(err)), -1, "%s parsed", text);
    cr_expect_str_eq(err, message);
    cr_expect_eq(ptr.ntokens, 0);
    kw_pointer_free(&ptr);
}

Test(jsonpointer, parse_unescapes_tokens)
{
    struct kw_pointer ptr = parse_ok("/a~1b/~0/~01/", 13);
    cr_assert_eq(ptr.ntokens, 4);
    cr_expect_str_eq(ptr.tokens[0].text, "a/b");
    cr_expect_str_eq(ptr.tokens[1].text, "~");
    cr_expect_str_eq(ptr.tokens[2].text, "~1", "~01 is ~ then 1, never /");
    cr_expect_eq(ptr.tokens[3].len, 0);
    kw_pointer_free(&ptr);

    ptr = parse_ok("", 0);
    cr_expect_eq(ptr.ntokens, 0, "\"\" is the whole document");
    kw_pointer_free(&ptr);

    ptr = parse_ok("/", 1);
    cr_expect_eq(ptr.ntokens, 1, "\"/\" is the member with the empty name");
    cr_expect_eq(ptr.tokens[0].len, 0);
    kw_pointer_free(&ptr);
}

Test(jsonpointer, parse_keeps_nul_bytes)
{
    struct kw_pointer ptr = parse_ok("/a\0b/c", 6);
    cr_assert_eq(ptr.ntokens, 2);
    cr_expect_eq(ptr.tokens[0].len, 3);
    cr_expect(memcmp(ptr.tokens[0].text, "a\0b", 3) == 0);
    cr_expect_str_eq(ptr.tokens[1].text, "c");
    kw_pointer_free(&ptr);
}

Test(jsonpointer, parse_rejects_bad_pointers)
{
    expect_parse_error("a/b", 3, "must be empty or start with \"/\"");
    expect_parse_error("/a~", 3, "reference token 0: \"~\" must be followed by \"0\" or \"1\"");
    expect_parse_error("/a/~2", 5, "reference token 1: \"~\" must be followed by \"0\" or \"1\"");
    expect_parse_error("/~/", 3, "reference token 0: \"~\" must be followed by \"0\" or \"1\"");
    expect_parse_error("/a\xff", 3, "not valid UTF-8 (byte 2)");
    expect_parse_error("/\xc0\xaf", 3, "not valid UTF-8 (byte 1)");         /* overlong "/" */
    expect_parse_error("/\xed\xa0\x80", 4, "not valid UTF-8 (byte 1)");     /* surrogate */
    expect_parse_error("/\xe2\x82", 3, "not valid UTF-8 (byte 1)");         /* truncated */
    expect_parse_error("/\xe0\x80\x80", 4, "not valid UTF-8 (byte 1)");     /* overlong */
    expect_parse_error("/\xf4\x90\x80\x80", 5, "not valid UTF-8 (byte 1)"); /* > U+10FFFF */
    expect_parse_error("/\xe2\x82\x28", 4, "not valid UTF-8 (byte 1)");     /* bad 3rd byte */
    expect_parse_error("/\xf0\x9f\x98", 4, "not valid UTF-8 (byte 1)");     /* truncated */
    expect_parse_error("/\x80", 2, "not valid UTF-8 (byte 1)");             /* lone tail */
    struct kw_pointer ptr = parse_ok("/\xc3\xa9\xf0\x9f\x98\x80/\xf4\x8f\xbf\xbf\xe0\xa0\x80", 15);
    cr_expect_eq(ptr.tokens[0].len, 6);
    cr_expect_eq(ptr.tokens[1].len, 7);
    kw_pointer_free(&ptr);
    kw_pointer_free(NULL);
}

/* The test helper the fuzz target re-escapes parsed tokens with. */
Test(jsonpointer, escape)
{
    size_t len = 0;
    char *escaped = kwt_pointer_escape("a/b~c", 5, &len);
    cr_expect_str_eq(escaped, "a~1b~0c");
    cr_expect_eq(len, 7);
    free(escaped);
    escaped = kwt_pointer_escape("~1", 2, NULL);
    cr_expect_str_eq(escaped, "~01");
    free(escaped);
}

Test(jsonpointer, array_indices)
{
    size_t index = 99;
    cr_expect(kw_pointer_index("0", 1, &index));
    cr_expect_eq(index, 0);
    cr_expect(kw_pointer_index("120", 3, &index));
    cr_expect_eq(index, 120);
    cr_expect(kw_pointer_index("99999999999999999999999", 23, &index));
    cr_expect_eq(index, SIZE_MAX, "an index past size_t is out of every array's bounds");
    cr_expect_not(kw_pointer_index("-", 1, &index));
    cr_expect_not(kw_pointer_index("01", 2, &index));
    cr_expect_not(kw_pointer_index("-1", 2, &index));
    cr_expect_not(kw_pointer_index("+1", 2, &index));
    cr_expect_not(kw_pointer_index("1e0", 3, &index));
    cr_expect_not(kw_pointer_index(" 1", 2, &index));
    cr_expect_not(kw_pointer_index("", 0, &index));
}

Test(jsonpointer, join_escapes_the_token)
{
    char *p = kwt_pointer_join("/metadata/annotations", "volsync.backube/kopia~x");
    cr_expect_str_eq(p, "/metadata/annotations/volsync.backube~1kopia~0x");
    free(p);
    p = kwt_pointer_join("", "");
    cr_expect_str_eq(p, "/");
    free(p);
}

Test(jsonpointer, get_and_walk)
{
    json_t *doc = json_loads("{\"a\":[{\"b/c\":1},2],\"\":{\"\":3},\"m~n\":4}", 0, NULL);
    cr_assert_not_null(doc);
    cr_expect_eq(kwt_pointer_get(doc, ""), doc);
    cr_expect_eq(json_integer_value(kwt_pointer_get(doc, "/a/0/b~1c")), 1);
    cr_expect_eq(json_integer_value(kwt_pointer_get(doc, "/a/1")), 2);
    cr_expect_eq(json_integer_value(kwt_pointer_get(doc, "//")), 3);
    cr_expect_eq(json_integer_value(kwt_pointer_get(doc, "/m~0n")), 4);
    cr_expect_null(kwt_pointer_get(doc, "/a/2"));
    cr_expect_null(kwt_pointer_get(doc, "/a/-"));
    cr_expect_null(kwt_pointer_get(doc, "/a/01"));
    cr_expect_null(kwt_pointer_get(doc, "/a/1/x"), "a scalar has no children");
    cr_expect_null(kwt_pointer_get(doc, "a"), "not a pointer");
    cr_expect_null(kwt_pointer_get(doc, "/m~2n"), "not a pointer");
    cr_expect_null(kwt_pointer_get(NULL, "/a"));
    cr_expect_null(kwt_pointer_get(doc, NULL));

    struct kw_pointer ptr = parse_ok("/a/0/x/y", 8);
    size_t stop = 99;
    cr_expect_null(kw_pointer_walk(doc, &ptr, ptr.ntokens, &stop));
    cr_expect_eq(stop, 2, "token 2 (x) is the first that names nothing");
    cr_expect_eq(kw_pointer_walk(doc, &ptr, 2, &stop), kwt_pointer_get(doc, "/a/0"));
    stop = 99;
    cr_expect_null(kw_pointer_walk(NULL, &ptr, ptr.ntokens, &stop));
    cr_expect_eq(stop, 0, "without a document the first token names nothing");
    kw_pointer_free(&ptr);
    json_decref(doc);
}

Test(jsonpointer, get_member_with_nul_in_its_name)
{
    json_t *doc = json_object();
    json_object_setn_new(doc, "a\0b", 3, json_integer(7));
    struct kw_pointer ptr = parse_ok("/a\0b", 4);
    cr_expect_eq(json_integer_value(kw_pointer_walk(doc, &ptr, ptr.ntokens, NULL)), 7);
    kw_pointer_free(&ptr);
    cr_expect_null(kwt_pointer_get(doc, "/a"), "\"a\" is another member");
    json_decref(doc);
}

Test(jsonpointer, show_for_messages)
{
    char buf[32];
    cr_expect_str_eq(kw_pointer_show("", 0, buf, sizeof(buf)), "\"\"");
    cr_expect_str_eq(kw_pointer_show("/a\nb", 4, buf, sizeof(buf)), "/a\\x0Ab");
    cr_expect_str_eq(kw_pointer_show("/\xff\xc3\xa9", 4, buf, sizeof(buf)), "/\\xFF\xc3\xa9");
    cr_expect_str_eq(kw_pointer_show("/0123456789012345678901234567890123", 35, buf, sizeof(buf)),
                     "/012345678901234567890123456...");
    /* A cut never splits a UTF-8 sequence. */
    char none[1] = {'x'};
    kw_pointer_show("/a", 2, none, 0);
    cr_expect_eq(none[0], 'x', "a zero-size buffer is not written");
    char small[8];
    cr_expect_str_eq(kw_pointer_show("/ab\xc3\xa9\xc3\xa9", 7, small, sizeof(small)), "/ab...");
}

/* ---- equality ---- */

static bool equal_text(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY, NULL), *y = json_loads(b, JSON_DECODE_ANY, NULL);
    cr_assert(x && y, "bad JSON in test: %s / %s", a, b);
    bool eq = kw_patch_values_equal(x, y);
    cr_expect_eq(eq, kw_patch_values_equal(y, x), "equality must be symmetric: %s %s", a, b);
    json_decref(x);
    json_decref(y);
    return eq;
}

Test(jsonpatch_equal, numbers_compare_mathematically)
{
    cr_expect(equal_text("1", "1.0"));
    cr_expect(equal_text("-0", "0.0"));
    cr_expect(equal_text("[1,{\"a\":2}]", "[1.0,{\"a\":2e0}]"));
    cr_expect(equal_text("100", "1e2"));
    cr_expect_not(equal_text("1", "1.5"));
    cr_expect_not(equal_text("9007199254740993", "9007199254740992.0"),
                  "2^53+1 is not the real 2^53 though (double)(2^53+1) is");
    cr_expect_not(equal_text("9223372036854775807", "9223372036854775808.0"));
    cr_expect_not(equal_text("-9223372036854775808", "-9223372036854777856.0"));
    cr_expect(equal_text("-9223372036854775808", "-9223372036854775808.0"));
    cr_expect_not(equal_text("1", "\"1\""));
    cr_expect_not(equal_text("1", "true"));
}

Test(jsonpatch_equal, structures)
{
    cr_expect(equal_text("{\"a\":1,\"b\":[null]}", "{\"b\":[null],\"a\":1}"));
    cr_expect_not(equal_text("{\"a\":1}", "{\"a\":1,\"b\":1}"));
    cr_expect_not(equal_text("{\"a\":1}", "{\"b\":1}"));
    cr_expect_not(equal_text("[1,2]", "[2,1]"));
    cr_expect_not(equal_text("[1]", "[1,1]"));
    cr_expect_not(equal_text("[]", "{}"));
    cr_expect_not(equal_text("null", "false"));
    cr_expect(equal_text("\"x\"", "\"x\""));
    json_t *a = json_stringn("a\0b", 3), *b = json_stringn("a\0c", 3);
    cr_expect_not(kw_patch_values_equal(a, b), "bytes after a NUL count");
    cr_expect_not(kw_patch_values_equal(a, NULL));
    cr_expect(kw_patch_values_equal(NULL, NULL));
    json_decref(a);
    json_decref(b);
}

/* ---- kw_patch_to_json ---- */

Test(jsonpatch_encode, members_in_rfc_order)
{
    struct kw_result res;
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "/spec/kopia/username", NULL, json_string("u"));
    kw_result_patch(&res, KW_PATCH_REMOVE, "/a~1b", NULL, NULL);
    kw_result_patch(&res, KW_PATCH_MOVE, "/x", "/y", NULL);
    kw_result_patch(&res, KW_PATCH_COPY, "/x", "", NULL);
    kw_result_patch(&res, KW_PATCH_REPLACE, "", NULL, json_pack("{s:i}", "k", 1));
    kw_result_patch(&res, KW_PATCH_TEST, "/t", NULL, json_null());
    cr_assert_eq(res.nops, 6);
    json_t *patch = kw_patch_to_json(res.ops, res.nops);
    cr_assert_not_null(patch);
    char *text = json_dumps(patch, JSON_COMPACT);
    cr_expect_str_eq(text, "[{\"op\":\"add\",\"path\":\"/spec/kopia/username\",\"value\":\"u\"},"
                           "{\"op\":\"remove\",\"path\":\"/a~1b\"},"
                           "{\"op\":\"move\",\"path\":\"/x\",\"from\":\"/y\"},"
                           "{\"op\":\"copy\",\"path\":\"/x\",\"from\":\"\"},"
                           "{\"op\":\"replace\",\"path\":\"\",\"value\":{\"k\":1}},"
                           "{\"op\":\"test\",\"path\":\"/t\",\"value\":null}]");
    /* Values are copies: changing the result leaves the ops alone. */
    json_object_set_new(json_object_get(json_array_get(patch, 4), "value"), "k", json_integer(2));
    cr_expect_eq(json_integer_value(json_object_get(res.ops[4].value, "k")), 1);
    free(text);
    json_decref(patch);
    kw_result_free(&res);
}

Test(jsonpatch_encode, empty_and_invalid_ops)
{
    json_t *empty = kw_patch_to_json(NULL, 0);
    cr_assert_not_null(empty);
    cr_expect_eq(json_array_size(empty), 0);
    json_decref(empty);

    struct kw_patch_op one = {.op = KW_PATCH_REMOVE, .path = "/a"};
    cr_expect_null(kw_patch_to_json(NULL, 1), "ops NULL with nops 1");
    json_t *single = kw_patch_to_json(&one, 1);
    cr_expect_eq(json_array_size(single), 1);
    json_decref(single);

    json_t *v = json_true();
    struct kw_patch_op bad[] = {
        {.op = KW_PATCH_ADD, .path = "/a", .value = NULL},
        {.op = KW_PATCH_MOVE, .path = "/a", .from = NULL},
        {.op = KW_PATCH_ADD, .path = NULL, .value = v},
        {.op = KW_PATCH_ADD, .path = "a", .value = v},
        {.op = KW_PATCH_COPY, .path = "/a", .from = "/~x"},
        {.op = (enum kw_patch_kind)17, .path = "/a", .value = v},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_null(kw_patch_to_json(&bad[i], 1), "invalid op %zu encoded", i);
}

/* ---- kw_patch_apply_ops and in-place behaviour ---- */

Test(jsonpatch_apply, core_ops_and_their_json_apply_alike)
{
    json_t *doc =
        json_loads("{\"metadata\":{\"annotations\":{}},\"spec\":{\"kopia\":{}}}", 0, NULL);
    json_t *same = json_deep_copy(doc);
    struct kw_result res;
    kw_result_init(&res);
    kw_result_patch(&res, KW_PATCH_ADD, "/spec/kopia/username", NULL,
                    json_string("mydata-default"));
    char *ann = kwt_pointer_join("/metadata/annotations", "volsync.backube/identity");
    kw_result_patch(&res, KW_PATCH_ADD, ann, NULL, json_string("mydata-default@default"));
    free(ann);
    char err[256] = "";
    cr_assert_eq(kw_patch_apply_ops(doc, res.ops, res.nops, err, sizeof(err)), 0, "%s", err);
    json_t *patch = kw_patch_to_json(res.ops, res.nops);
    cr_assert_eq(kw_patch_apply(same, patch, err, sizeof(err)), 0, "%s", err);
    cr_expect(json_equal(doc, same));
    cr_expect_str_eq(
        json_string_value(kwt_pointer_get(doc, "/metadata/annotations/volsync.backube~1identity")),
        "mydata-default@default");
    json_decref(patch);
    json_decref(doc);
    json_decref(same);
    kw_result_free(&res);
}

Test(jsonpatch_apply, core_op_errors_name_the_operation)
{
    json_t *doc = json_loads("{\"spec\":{}}", 0, NULL);
    json_t *before = json_deep_copy(doc);
    json_t *v = json_string("x");
    struct kw_patch_op ops[] = {
        {.op = KW_PATCH_TEST, .path = "/spec", .value = json_object()},
        {.op = KW_PATCH_ADD, .path = "/spec/a", .value = v},
        {.op = KW_PATCH_ADD, .path = "/spec/kopia/x", .value = v},
    };
    char err[256] = "";
    cr_expect_eq(kw_patch_apply_ops(doc, ops, 3, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 2 (add /spec/kopia/x): parent /spec/kopia does not exist");
    cr_expect(json_equal(doc, before));

    struct kw_patch_op missing[] = {
        {.op = KW_PATCH_ADD, .path = "/a", .value = v},
        {.op = KW_PATCH_COPY, .path = "/b", .from = NULL},
    };
    cr_expect_eq(kw_patch_apply_ops(doc, missing, 2, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 1 (copy /b): \"from\" is required");
    struct kw_patch_op no_path = {.op = KW_PATCH_REMOVE};
    cr_expect_eq(kw_patch_apply_ops(doc, &no_path, 1, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 0 (remove): \"path\" is required");
    struct kw_patch_op no_value = {.op = KW_PATCH_REPLACE, .path = "/spec"};
    cr_expect_eq(kw_patch_apply_ops(doc, &no_value, 1, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 0 (replace /spec): \"value\" is required");
    struct kw_patch_op bad_kind = {.op = (enum kw_patch_kind)9, .path = "/spec"};
    cr_expect_eq(kw_patch_apply_ops(doc, &bad_kind, 1, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 0: unsupported operation kind 9");
    struct kw_patch_op bad_utf8 = {.op = KW_PATCH_ADD, .path = "/\xff", .value = v};
    cr_expect_eq(kw_patch_apply_ops(doc, &bad_utf8, 1, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 0 (add /\\xFF): invalid path: not valid UTF-8 (byte 1)");
    cr_expect(json_equal(doc, before));
    cr_expect_eq(kw_patch_apply_ops(doc, NULL, 2, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "no operations given");
    cr_expect_eq(kw_patch_apply_ops(doc, NULL, 0, err, sizeof(err)), 0, "no ops, no change");
    cr_expect(json_equal(doc, before));

    json_decref(ops[0].value);
    json_decref(v);
    json_decref(doc);
    json_decref(before);
}

Test(jsonpatch_apply, in_place_keeps_the_root_and_member_order)
{
    json_t *doc = json_loads("{\"z\":1,\"a\":{\"y\":1,\"b\":2},\"m\":[3]}", 0, NULL);
    json_t *patch = json_loads("[{\"op\":\"add\",\"path\":\"/a/c\",\"value\":3},"
                               "{\"op\":\"replace\",\"path\":\"/z\",\"value\":0}]",
                               0, NULL);
    char err[256] = "";
    cr_assert_eq(kw_patch_apply(doc, patch, err, sizeof(err)), 0, "%s", err);
    char *text = json_dumps(doc, JSON_COMPACT);
    cr_expect_str_eq(text, "{\"z\":0,\"a\":{\"y\":1,\"b\":2,\"c\":3},\"m\":[3]}");
    free(text);
    json_decref(patch);

    /* A failed patch leaves the same text, member order included. */
    patch = json_loads("[{\"op\":\"remove\",\"path\":\"/z\"},{\"op\":\"add\",\"path\":\"/z\","
                       "\"value\":5},{\"op\":\"test\",\"path\":\"/m/0\",\"value\":4}]",
                       0, NULL);
    char *before = json_dumps(doc, JSON_COMPACT);
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 2 (test /m/0): test failed: the value is 3, not 4");
    char *after = json_dumps(doc, JSON_COMPACT);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
    json_decref(patch);
    json_decref(doc);
}

Test(jsonpatch_apply, in_place_root_replacement_of_the_same_type)
{
    const char *cases[][3] = {
        /* doc, patch value for "", expected */
        {"[1,2]", "[3]", "[3]"}, {"\"a\"", "\"b\"", "\"b\""}, {"1", "2", "2"},
        {"1.5", "2.5", "2.5"},   {"null", "null", "null"},    {"true", "true", "true"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = json_loads(cases[i][0], JSON_DECODE_ANY, NULL);
        json_t *value = json_loads(cases[i][1], JSON_DECODE_ANY, NULL);
        json_t *want = json_loads(cases[i][2], JSON_DECODE_ANY, NULL);
        json_t *patch = json_pack("[{s:s,s:s,s:O}]", "op", "replace", "path", "", "value", value);
        char err[256] = "";
        cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), 0, "%s: %s", cases[i][0], err);
        cr_expect(json_equal(doc, want), "%s", cases[i][0]);
        json_decref(doc);
        json_decref(value);
        json_decref(want);
        json_decref(patch);
    }
    json_t *doc = json_true();
    json_t *patch = json_loads("[{\"op\":\"replace\",\"path\":\"\",\"value\":false}]", 0, NULL);
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "the patch turns the document root from true into false, "
                          "which cannot be done in place");
    json_decref(patch);
}

Test(jsonpatch_apply, apply_root_replaces_the_reference)
{
    json_t *doc = json_loads("{\"a\":[1]}", 0, NULL);
    json_t *patch = json_loads("[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]", 0, NULL);
    char err[256] = "";
    cr_assert_eq(kw_patch_apply_root(&doc, patch, err, sizeof(err)), 0, "%s", err);
    cr_expect(json_is_array(doc));
    cr_expect_eq(json_integer_value(json_array_get(doc, 0)), 1);
    json_decref(patch);

    json_t *kept = doc;
    patch = json_loads("[{\"op\":\"remove\",\"path\":\"/5\"}]", 0, NULL);
    cr_expect_eq(kw_patch_apply_root(&doc, patch, err, sizeof(err)), -1);
    cr_expect_eq(doc, kept, "on failure the caller keeps its reference");
    cr_expect_eq(kw_patch_apply_root(NULL, patch, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "no document to patch");
    json_decref(patch);
    json_decref(doc);
}

Test(jsonpatch_apply, null_arguments_and_no_err_buffer)
{
    json_t *doc = json_object();
    json_t *patch = json_loads("[{\"op\":\"remove\",\"path\":\"/x\"}]", 0, NULL);
    char err[128] = "";
    cr_expect_eq(kw_patch_apply(doc, NULL, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "patch must be an array of operations, not nothing");
    cr_expect_eq(kw_patch_apply(NULL, patch, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "no document to patch");
    cr_expect_eq(kw_patch_apply(doc, patch, NULL, 0), -1, "a NULL err is allowed");
    char tiny[8];
    cr_expect_eq(kw_patch_apply(doc, patch, tiny, sizeof(tiny)), -1);
    cr_expect_str_eq(tiny, "operati", "messages are cut to errlen");
    json_decref(patch);
    json_decref(doc);
}

Test(jsonpatch_apply, path_with_nul_reaches_member_with_nul)
{
    json_t *doc = json_object();
    json_object_setn_new(doc, "k\0x", 3, json_integer(1));
    json_t *patch = json_array();
    json_t *op = json_pack("{s:s,s:i}", "op", "replace", "value", 2);
    json_object_set_new(op, "path", json_stringn("/k\0x", 4));
    json_array_append_new(patch, op);
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(json_integer_value(json_object_getn(doc, "k\0x", 3)), 2);
    cr_expect_null(json_object_get(doc, "k"), "no member \"k\" created");
    json_decref(patch);
    json_decref(doc);
}

Test(jsonpatch_apply, messages_show_control_characters_escaped)
{
    json_t *doc = json_object();
    json_t *patch = json_loads("[{\"op\":\"remove\",\"path\":\"/a\\nb\"}]", 0, NULL);
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 0 (remove /a\\x0Ab): /a\\x0Ab does not exist");
    json_decref(patch);
    json_decref(doc);
}

/* ---- the copy limit ---- */

/* {"src": [1023 zeros], "dst": []}: "/src" is 1024 values, so 1024 copies
 * of it reach KW_PATCH_COPY_LIMIT exactly. */
static json_t *copy_limit_doc(void)
{
    json_t *src = json_array();
    for (int i = 0; i < 1023; i++)
        json_array_append_new(src, json_integer(0));
    return json_pack("{s:o,s:[]}", "src", src, "dst");
}

static json_t *copies(size_t n)
{
    json_t *patch = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            patch, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "/src", "path", "/dst/-"));
    return patch;
}

Test(jsonpatch_limits, copies_up_to_the_limit_succeed)
{
    cr_assert_eq(KW_PATCH_COPY_LIMIT, 1024 * 1024);
    json_t *doc = copy_limit_doc();
    json_t *patch = copies(1024);
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(json_array_size(json_object_get(doc, "dst")), 1024);
    json_decref(patch);
    json_decref(doc);
}

Test(jsonpatch_limits, one_value_more_fails)
{
    json_t *doc = copy_limit_doc();
    json_t *patch = copies(1024);
    json_array_append_new(
        patch, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "/src/0", "path", "/one"));
    json_t *before = json_deep_copy(doc);
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 1024 (copy from /src/0 to /one): Too many: the patch would "
                          "copy more than 1048576 values (the limit for one patch)");
    cr_expect(json_equal(doc, before));
    json_decref(before);
    json_decref(patch);
    json_decref(doc);
}

Test(jsonpatch_limits, doubling_the_document_stops)
{
    json_t *doc = json_pack("{s:i}", "a", 1);
    json_t *patch = json_array();
    for (int i = 0; i < 64; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/k%d", i);
        json_array_append_new(patch,
                              json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "", "path", path));
    }
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect(strstr(err, "operation 19 (copy from \"\" to /k19): Too many") == err, "%s", err);
    json_decref(patch);
    json_decref(doc);
}

/* ---- the depth limit ---- */

/* `levels` arrays nested in each other around 0: [[[0]]] for 3. */
static json_t *nested(size_t levels)
{
    json_t *value = json_integer(0);
    for (size_t i = 0; i < levels; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, value);
        value = outer;
    }
    return value;
}

static int add_at(json_t *doc, const char *path, json_t *value, char *err, size_t errlen)
{
    json_t *patch = json_pack("[{s:s,s:s,s:O}]", "op", "add", "path", path, "value", value);
    int rc = kw_patch_apply(doc, patch, err, errlen);
    json_decref(patch);
    return rc;
}

Test(jsonpatch_limits, nesting_up_to_the_limit_succeeds)
{
    cr_assert_eq(KW_PATCH_MAX_DEPTH, 4096);
    json_t *doc = json_object();
    json_t *value = nested(KW_PATCH_MAX_DEPTH - 1); /* plus the root object: 4096 */
    char err[256] = "";
    cr_expect_eq(add_at(doc, "/a", value, err, sizeof(err)), 0, "%s", err);
    json_decref(value);
    json_decref(doc);
}

Test(jsonpatch_limits, nesting_past_the_limit_fails)
{
    json_t *doc = json_object();
    json_t *value = nested(KW_PATCH_MAX_DEPTH);
    char err[256] = "";
    cr_expect_eq(add_at(doc, "/a", value, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "operation 0 (add /a): Too many: the document would nest more than "
                          "4096 levels deep");
    cr_expect_eq(json_object_size(doc), 0);
    json_decref(value);
    json_decref(doc);
}

Test(jsonpatch_limits, replacing_an_array_element_checks_depth)
{
    json_t *doc = json_pack("[i]", 1);
    json_t *value = nested(KW_PATCH_MAX_DEPTH);
    json_t *patch = json_pack("[{s:s,s:s,s:O}]", "op", "replace", "path", "/0", "value", value);
    char err[256] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect(strstr(err, "operation 0 (replace /0): Too many: the document would nest") == err,
              "%s", err);
    cr_expect_eq(json_integer_value(json_array_get(doc, 0)), 1);
    json_decref(patch);
    json_decref(value);
    json_decref(doc);
}

Test(jsonpatch_limits, copying_the_document_into_its_deepest_member_stops)
{
    /* Operation k copies the document (64 * 2^k levels) into its innermost
     * array, doubling the depth while adding few values: the depth limit
     * stops operation 6 (4096 + 4096 levels), long before the copy limit. */
    json_t *doc = nested(64);
    json_t *patch = json_array();
    for (size_t k = 0, depth = 64; k < 8; k++, depth *= 2) {
        char *path = calloc(2 * depth + 1, 1);
        for (size_t i = 0; i < depth; i++)
            memcpy(path + 2 * i, "/0", 2);
        json_array_append_new(patch,
                              json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "", "path", path));
        free(path);
    }
    char err[512] = "";
    cr_expect_eq(kw_patch_apply(doc, patch, err, sizeof(err)), -1);
    cr_expect(strncmp(err, "operation 6 ", 12) == 0, "%s", err);
    cr_expect(strstr(err, "Too many: the document would nest more than 4096 levels deep") != NULL,
              "%s", err);
    json_decref(patch);
    json_decref(doc);
}
