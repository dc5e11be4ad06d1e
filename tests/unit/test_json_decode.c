/* The strict JSON decoder and scanner (kw/json/json.h): accept/reject per rule
 * class, jansson's json_loadb as the oracle on every case and on generated
 * documents, error positions, scanner events, and the review fixtures. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_oracle.h"
#include "kwtest.h"
#include "kw/json/json.h"

struct json_case {
    const char *text;
    size_t len;
    int ok; /* 1: accepted, 0: rejected */
};

#define ACCEPT(lit)                                                                                \
    {                                                                                              \
        lit, sizeof(lit) - 1, 1                                                                    \
    }
#define REJECT(lit)                                                                                \
    {                                                                                              \
        lit, sizeof(lit) - 1, 0                                                                    \
    }

/* One table per rule class; every case also goes through the oracle. */
static const struct json_case structure_cases[] = {
    ACCEPT("{}"),
    ACCEPT("[]"),
    ACCEPT(" \t\r\n{} \t\r\n"),
    ACCEPT("[1,\"a\",true,false,null,{},[]]"),
    ACCEPT("{\"a\":{\"b\":[1,{\"c\":null}]}}"),
    ACCEPT("{\"\":0}"),
    ACCEPT("[[],[[]],{}]"),
    REJECT(""),
    REJECT("   "),
    REJECT("\"x\""),
    REJECT("1"),
    REJECT("true"),
    REJECT("null"),
    REJECT("[1 2]"),
    REJECT("{\"a\" 1}"),
    REJECT("{\"a\":}"),
    REJECT("{a:1}"),
    REJECT("{1:1}"),
    REJECT("{\"a\":1 \"b\":2}"),
    REJECT("[}"),
    REJECT("{]"),
    REJECT("[1]]"),
    REJECT("{}{}"),
    REJECT("[] x"),
    REJECT("["),
    REJECT("{"),
    REJECT("{\"a\""),
    REJECT("{\"a\":"),
    REJECT("{\"a\":1"),
    REJECT("[1,"),
    REJECT("{,}"),
    REJECT("[:]"),
    REJECT("{\"a\"::1}"),
    REJECT("\f[]"),
    REJECT("[\v1]"),
    REJECT("[\xC2\xA0"
           "1]"),
};

static const struct json_case no_extension_cases[] = {
    REJECT("[NaN]"),          REJECT("[nan]"),
    REJECT("[Infinity]"),     REJECT("[-Infinity]"),
    REJECT("[1 /* c */]"),    REJECT("[1] // c"),
    REJECT("# c\n[]"),        REJECT("[1,]"),
    REJECT("{\"a\":1,}"),     REJECT("[,]"),
    REJECT("[1,,2]"),         REJECT("[,1]"),
    REJECT("\xEF\xBB\xBF{}"), REJECT("['a']"),
    REJECT("{'a':1}"),        REJECT("[undefined]"),
    REJECT("[True]"),         REJECT("[nul]"),
    REJECT("[nulll]"),        REJECT("[truefalse]"),
    REJECT("[0x10]"),         REJECT("[+1]"),
    REJECT("[.5]"),           REJECT("[1.]"),
    REJECT("[1.e3]"),         REJECT("[01]"),
    REJECT("[-01]"),          REJECT("[-]"),
    REJECT("[--1]"),          REJECT("[1e]"),
    REJECT("[1e+]"),          REJECT("[1_000]"),
    REJECT("[1.5.3]"),        REJECT("[aaaaaaaaaaaaaaaaaaaaaaaaaaaaa]"),
};

static const struct json_case string_cases[] = {
    ACCEPT("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
    ACCEPT("[\"\\u0041\\u00e9\\u20AC\\uFFFF\"]"),
    ACCEPT("[\"\x7f\"]"),
    ACCEPT("[\" ~\"]"),
    REJECT("[\"a\tb\"]"),
    REJECT("[\"a\nb\"]"),
    REJECT("[\"\x01\"]"),
    REJECT("[\"\x1f\"]"),
    REJECT("[\"a\0b\"]"),
    REJECT("[\"\\x41\"]"),
    REJECT("[\"\\a\"]"),
    REJECT("[\"\\'\"]"),
    REJECT("[\"\\U0041\"]"),
    REJECT("[\"\\u12\"]"),
    REJECT("[\"\\u12G4\"]"),
    REJECT("[\"\\"),
    REJECT("[\"\\u"),
    REJECT("[\"\\u00"),
    REJECT("[\"abc"),
    REJECT("[\"\\\xC3\xA9\"]"),
    REJECT("[\"\\\n\"]"),
    REJECT("[\"\\\t\"]"),
    /* \u0000 (jansson's default): in values and in keys */
    REJECT("[\"\\u0000\"]"),
    REJECT("[\"a\\u0000b\"]"),
    REJECT("{\"\\u0000\":1}"),
    REJECT("{\"a\":\"\\u0000\"}"),
};

static const struct json_case surrogate_cases[] = {
    ACCEPT("[\"\\uD83D\\uDE00\"]"),
    ACCEPT("[\"\\ud83d\\ude00\"]"),
    ACCEPT("[\"\\uD800\\uDC00\"]"),
    ACCEPT("[\"\\uDBFF\\uDFFF\"]"),
    ACCEPT("[\"\\uD7FF\\uE000\"]"),
    REJECT("[\"\\uD800\"]"),
    REJECT("[\"\\uD800x\"]"),
    REJECT("[\"\\uDBFF\"]"),
    REJECT("[\"\\uD800\\uD800\"]"),
    REJECT("[\"\\uD800\\u0041\"]"),
    REJECT("[\"\\uD800\\n\"]"),
    REJECT("[\"\\uDC00\"]"),
    REJECT("[\"\\uDFFF\"]"),
    REJECT("[\"\\uDC00\\uD800\"]"),
    REJECT("{\"\\uD800\":1}"),
    /* a raw error later in the string wins over a bad surrogate */
    REJECT("[\"\\uD800\x01\"]"),
    REJECT("[\"\\uD800\\u12"),
    REJECT("[\"\\uDC00\\q\"]"),
};

static const struct json_case utf8_cases[] = {
    ACCEPT("[\"\xC2\x80\"]"),
    ACCEPT("[\"\xC3\xA9\"]"),
    ACCEPT("[\"\xDF\xBF\"]"),
    ACCEPT("[\"\xE0\xA0\x80\"]"),
    ACCEPT("[\"\xE2\x82\xAC\"]"),
    ACCEPT("[\"\xED\x9F\xBF\"]"),
    ACCEPT("[\"\xEE\x80\x80\"]"),
    ACCEPT("[\"\xEF\xBF\xBF\"]"),
    ACCEPT("[\"\xF0\x90\x80\x80\"]"),
    ACCEPT("[\"\xF0\x9F\x98\x80\"]"),
    ACCEPT("[\"\xF4\x8F\xBF\xBF\"]"),
    ACCEPT("{\"\xE6\x9D\xB1\xE4\xBA\xAC\":\"\xC3\xA9t\xC3\xA9\"}"),
    /* stray continuation bytes and invalid lead bytes */
    REJECT("[\"\x80\"]"),
    REJECT("[\"\xBF\"]"),
    REJECT("[\"\xFE\"]"),
    REJECT("[\"\xFF\"]"),
    REJECT("[\"\xF5\x80\x80\x80\"]"),
    REJECT("[\"\xF8\x88\x80\x80\x80\"]"),
    /* overlong forms */
    REJECT("[\"\xC0\x80\"]"),
    REJECT("[\"\xC1\xBF\"]"),
    REJECT("[\"\xE0\x80\x80\"]"),
    REJECT("[\"\xE0\x9F\xBF\"]"),
    REJECT("[\"\xF0\x80\x80\x80\"]"),
    REJECT("[\"\xF0\x8F\xBF\xBF\"]"),
    /* UTF-16 surrogates encoded in UTF-8, and beyond U+10FFFF */
    REJECT("[\"\xED\xA0\x80\"]"),
    REJECT("[\"\xED\xBF\xBF\"]"),
    REJECT("[\"\xF4\x90\x80\x80\"]"),
    /* truncated sequences, before the quote and at the end of input */
    REJECT("[\"\xC3\"]"),
    REJECT("[\"\xE2\x82\"]"),
    REJECT("[\"\xF0\x9F\x98\"]"),
    REJECT("[\"\xC3"),
    REJECT("[\"\xE2\x82"),
    REJECT("[\"\xC3\x28\"]"),
    /* outside strings: invalid, or valid but not a token */
    REJECT("[\xFF]"),
    REJECT("[1\xFF]"),
    REJECT("[true\xC3]"),
    REJECT("[-\x80]"),
    REJECT("[1.\xFF]"),
    REJECT("[1e\xFF]"),
    REJECT("[0\xFF]"),
    REJECT("[]\xFF"),
    REJECT("[\xC3\xA9]"),
    REJECT("[1\xC3\xA9]"),
    REJECT("{\"a\\\xFF\":1}"),
};

static const struct json_case nul_cases[] = {
    REJECT("[\0]"),      REJECT("\0[]"),     REJECT("[]\0"),
    REJECT("[1\0]"),     REJECT("[true\0]"), REJECT("{\"a\":null\0}"),
    REJECT("[1.5\0,2]"), REJECT("[1\0\0]"),  REJECT("{\0}"),
};

static const struct json_case number_cases[] = {
    ACCEPT("[0]"),
    ACCEPT("[-0]"),
    ACCEPT("[1.0]"),
    ACCEPT("[1e3]"),
    ACCEPT("[1E+3]"),
    ACCEPT("[1e-3]"),
    ACCEPT("[-1.5e-10]"),
    ACCEPT("[0.0]"),
    ACCEPT("[-0.0]"),
    ACCEPT("[123456789012345678]"),
    ACCEPT("[9223372036854775807]"),
    ACCEPT("[-9223372036854775808]"),
    ACCEPT("[1e308]"),
    ACCEPT("[1.7976931348623157e308]"),
    ACCEPT("[1e-400]"),
    ACCEPT("[4.9e-324]"),
    ACCEPT("[0.1e1]"),
    ACCEPT("[100000000000000000000000000000000.5]"),
    REJECT("[9223372036854775808]"),
    REJECT("[-9223372036854775809]"),
    REJECT("[10000000000000000000]"),
    REJECT("[99999999999999999999999999999]"),
    REJECT("[18446744073709551617]"),
    REJECT("[-18446744073709551617]"),
    REJECT("[1e400]"),
    REJECT("[-1e400]"),
    REJECT("[1.7976931348623159e308]"),
};

static void check_cases(const struct json_case *cases, size_t n)
{
    char why[512];
    for (size_t i = 0; i < n; i++) {
        const struct json_case *c = &cases[i];
        struct kw_json_error err;
        json_t *v = kw_json_decode(c->text, c->len, &err);
        cr_expect_eq(v != NULL, c->ok, "case %zu '%.*s': expected %s, got %s", i, (int)c->len,
                     c->text, c->ok ? "accept" : "reject", v ? "accept" : err.text);
        cr_expect_eq(kw_json_scan(c->text, c->len, NULL, NULL, NULL) == 0, c->ok,
                     "case %zu: scanner", i);
        json_decref(v);
        cr_expect_eq(kw_json_oracle_check(c->text, c->len, why, sizeof why), 0,
                     "case %zu '%.*s': %s", i, (int)c->len, c->text, why);
    }
}

#define CHECK_TABLE(t) check_cases(t, sizeof(t) / sizeof(t[0]))

Test(json_decode, structure)
{
    CHECK_TABLE(structure_cases);
}

Test(json_decode, no_extensions)
{
    CHECK_TABLE(no_extension_cases);
}

Test(json_decode, strings_and_escapes)
{
    CHECK_TABLE(string_cases);
}

Test(json_decode, surrogate_escapes)
{
    CHECK_TABLE(surrogate_cases);
}

Test(json_decode, utf8)
{
    CHECK_TABLE(utf8_cases);
}

/* The string scanner reads 16 bytes at a time (8, then 1, near the end):
 * every byte that needs attention, at every offset across those blocks, in
 * strings that end at every offset too, must decode as jansson decodes it. */
/* Every special of `specials` after `at` plain bytes (0 <= at < max_at) and
 * before `tail` more (0, step, 2 * step, ... below max_tail), in a string in
 * an array: the decoder must agree with jansson on each. */
static void expect_specials_everywhere(const char *const *specials, size_t count, size_t max_at,
                                       size_t max_tail, size_t step)
{
    char why[512], text[400];
    for (size_t k = 0; k < count; k++)
        for (size_t at = 0; at < max_at; at++)
            for (size_t tail = 0; tail < max_tail; tail += step) {
                size_t n = 0;
                text[n++] = '[';
                text[n++] = '"';
                for (size_t i = 0; i < at; i++)
                    text[n++] = (char)('a' + i % 26);
                size_t slen = strlen(specials[k]);
                memcpy(text + n, specials[k], slen);
                n += slen;
                for (size_t i = 0; i < tail; i++)
                    text[n++] = 'z';
                text[n++] = '"';
                text[n++] = ']';
                cr_expect_eq(kw_json_oracle_check(text, n, why, sizeof why), 0,
                             "special %zu at %zu, tail %zu: %s", k, at, tail, why);
            }
}

Test(json_decode, special_bytes_at_every_offset)
{
    static const char *const specials[] = {"\"",   "\\n",      "\\u00e9",      "\x01", "\x1f", "\n",
                                           "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xff", "\xc3", " "};
    expect_specials_everywhere(specials, sizeof(specials) / sizeof(specials[0]), 40, 20, 3);
}

/* Past its first sixteen bytes a string is scanned 64 bytes at a time
 * (four blocks of sixteen), then sixteen, eight and one near the end of
 * input: a byte that needs attention at every offset of those blocks, in
 * strings and documents ending at every distance from it. */
Test(json_decode, special_bytes_at_every_offset_of_the_64_byte_blocks)
{
    static const char *const specials[] = {"\"",       "\\n",  "\x01", "\x7f",
                                           "\xc3\xa9", "\xff", "\n",   "\\u00e9"};
    expect_specials_everywhere(specials, sizeof(specials) / sizeof(specials[0]), 200, 90, 11);
}

Test(json_decode, nul_bytes_outside_strings)
{
    CHECK_TABLE(nul_cases);
}

Test(json_decode, numbers)
{
    CHECK_TABLE(number_cases);
}

/*** values ***/

static json_t *decode_ok(const char *text)
{
    struct kw_json_error err;
    json_t *v = kw_json_decode(text, strlen(text), &err);
    cr_assert_not_null(v, "'%s': %s", text, err.text);
    return v;
}

Test(json_decode, integer_or_real_like_jansson)
{
    json_t *v = decode_ok("[-0, 1.0, 1e3, 7, -9223372036854775808, 0.5e-1]");
    cr_expect(json_is_integer(json_array_get(v, 0)));
    cr_expect_eq(json_integer_value(json_array_get(v, 0)), 0);
    cr_expect(json_is_real(json_array_get(v, 1)));
    cr_expect(json_is_real(json_array_get(v, 2)));
    cr_expect_eq(json_real_value(json_array_get(v, 2)), 1000.0);
    cr_expect(json_is_integer(json_array_get(v, 3)));
    cr_expect_eq(json_integer_value(json_array_get(v, 4)), INT64_MIN);
    cr_expect_eq(json_real_value(json_array_get(v, 5)), strtod("0.5e-1", NULL));
    json_decref(v);
}

Test(json_decode, duplicate_keys_last_value_first_position)
{
    json_t *v = decode_ok("{\"a\":1,\"b\":2,\"a\":{\"x\":[3]}}");
    cr_expect_eq(json_object_size(v), 2);
    void *it = json_object_iter(v);
    cr_expect_str_eq(json_object_iter_key(it), "a");
    cr_expect(json_is_object(json_object_iter_value(it)));
    it = json_object_iter_next(v, it);
    cr_expect_str_eq(json_object_iter_key(it), "b");
    json_decref(v);
}

Test(json_decode, escapes_decode_to_utf8)
{
    json_t *v = decode_ok("{\"k\\n\\u00e9\":\"\\uD83D\\uDE00 \\\"q\\\" \\/\"}");
    const char *value = json_string_value(json_object_get(v, "k\n\xC3\xA9"));
    cr_assert_not_null(value);
    cr_expect_str_eq(value, "\xF0\x9F\x98\x80 \"q\" /");
    json_decref(v);
}

Test(json_decode, input_is_length_delimited)
{
    /* The byte after `len` is never read: a valid prefix of a longer buffer. */
    const char text[] = "[1,2]garbage";
    struct kw_json_error err;
    json_t *v = kw_json_decode(text, 5, &err);
    cr_assert_not_null(v, "%s", err.text);
    cr_expect_eq(json_array_size(v), 2);
    json_decref(v);
    cr_expect_null(kw_json_decode(NULL, 0, &err));
    cr_expect_str_eq(err.text, "'[' or '{' expected near end of file");
}

/*** depth ***/

/* `levels` nested arrays, optionally with a scalar in the innermost. */
static char *nested_arrays(size_t levels, int with_scalar, size_t *len)
{
    char *buf = malloc(2 * levels + 2);
    cr_assert_not_null(buf);
    size_t n = 0;
    for (size_t i = 0; i < levels; i++)
        buf[n++] = '[';
    if (with_scalar)
        buf[n++] = '1';
    for (size_t i = 0; i < levels; i++)
        buf[n++] = ']';
    *len = n;
    return buf;
}

static void expect_depth(size_t levels, int with_scalar, int ok)
{
    size_t len;
    char *buf = nested_arrays(levels, with_scalar, &len);
    struct kw_json_error err;
    json_t *v = kw_json_decode(buf, len, &err);
    cr_expect_eq(v != NULL, ok, "%zu levels%s", levels, with_scalar ? " + scalar" : "");
    if (!ok) {
        cr_expect_eq(err.position, KW_JSON_MAX_DEPTH + 1);
        cr_expect(strncmp(err.text, "maximum parsing depth reached", 29) == 0, "%s", err.text);
    }
    char why[512];
    cr_expect_eq(kw_json_oracle_check(buf, len, why, sizeof why), 0, "%s", why);
    json_decref(v);
    free(buf);
}

Test(json_decode, depth_limit_matches_jansson)
{
    /* A scalar is one level too: 2048 arrays may be empty, not hold one. */
    expect_depth(2047, 1, 1);
    expect_depth(2048, 0, 1);
    expect_depth(2048, 1, 0);
    expect_depth(2049, 0, 0);
}

/* The _document variants count containers only: `levels` arrays with or
 * without a scalar inside are accepted up to 2048, and the 2049th '[' is the
 * error, with jansson's text. */
static void expect_document_depth(size_t levels, int with_scalar)
{
    size_t len;
    char *buf = nested_arrays(levels, with_scalar, &len);
    int ok = levels <= KW_JSON_MAX_DEPTH;
    struct kw_json_error err, scan_err;
    json_t *v = kw_json_decode_document(buf, len, &err);
    cr_expect_eq(v != NULL, ok, "%zu levels%s", levels, with_scalar ? " + scalar" : "");
    cr_expect_eq(kw_json_scan_document(buf, len, NULL, NULL, &scan_err) == 0, ok);
    if (!ok) {
        cr_expect_eq(err.position, KW_JSON_MAX_DEPTH + 1);
        cr_expect_eq(scan_err.position, KW_JSON_MAX_DEPTH + 1);
        cr_expect(strncmp(err.text, "maximum parsing depth reached", 29) == 0, "%s", err.text);
    } else {
        json_t *innermost = v;
        for (size_t i = 1; i < levels; i++)
            innermost = json_array_get(innermost, 0);
        cr_expect_eq(json_array_size(innermost), (size_t)with_scalar);
    }
    json_decref(v);
    free(buf);
}

Test(json_decode, document_depth_limit_counts_containers)
{
    for (size_t levels = KW_JSON_MAX_DEPTH - 1; levels <= KW_JSON_MAX_DEPTH + 1; levels++) {
        expect_document_depth(levels, 0);
        expect_document_depth(levels, 1);
    }
    /* Otherwise the same language: a top-level scalar is still refused. */
    struct kw_json_error err;
    cr_expect_null(kw_json_decode_document("42", 2, &err));
    cr_expect(strncmp(err.text, "'[' or '{' expected", 19) == 0, "%s", err.text);
}

Test(json_decode, object_depth_limit)
{
    size_t levels = KW_JSON_MAX_DEPTH;
    char *buf = malloc(6 * (levels + 1) + 8);
    cr_assert_not_null(buf);
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = 0, open = levels - 1 + (size_t)extra;
        for (size_t i = 0; i < open; i++)
            n += (size_t)sprintf(buf + n, "{\"a\":");
        n += (size_t)sprintf(buf + n, "{}");
        for (size_t i = 0; i < open; i++)
            buf[n++] = '}';
        json_t *v = kw_json_decode(buf, n, NULL);
        cr_expect_eq(v != NULL, !extra, "%zu objects", open + 1);
        json_decref(v);
        char why[512];
        cr_expect_eq(kw_json_oracle_check(buf, n, why, sizeof why), 0, "%s", why);
    }
    free(buf);
}

Test(json_decode, very_deep_input_fails_cleanly)
{
    size_t len;
    char *buf = nested_arrays(100000, 1, &len);
    struct kw_json_error err;
    cr_expect_null(kw_json_decode(buf, len, &err));
    cr_expect_eq(err.position, KW_JSON_MAX_DEPTH + 1);
    cr_expect_eq(kw_json_scan(buf, len, NULL, NULL, &err), -1);
    cr_expect_eq(kw_json_scan(buf, 100000, NULL, NULL, &err), -1); /* only '[' */
    free(buf);
}

/*** error positions and texts ***/

struct error_case {
    const char *text;
    size_t len;
    size_t line, column, position;
    const char *message;
};

#define ERR(lit, l, c, p, m)                                                                       \
    {                                                                                              \
        lit, sizeof(lit) - 1, l, c, p, m                                                           \
    }

static const struct error_case error_cases[] = {
    ERR("{\n  \"a\": x\n}", 2, 8, 10, "invalid token near 'x'"),
    ERR("[\"\xC3\xA9\", x]", 1, 7, 8, "invalid token near 'x'"),
    ERR("[1,\n", 2, 0, 4, "']' expected near end of file"),
    ERR("[\"\\uD800\"]", 1, 9, 9, "invalid Unicode '\\uD800' near '\"\\uD800\"'"),
    ERR("[\"ab\xFF\"]", 1, 4, 4, "unable to decode byte 0xff near '\"ab'"),
    ERR("[\xFF]", 1, 1, 1, "unable to decode byte 0xff"),
    ERR("[1\0]", 1, 3, 3, "NUL byte outside a string"),
    ERR("[\"a\nb\"]", 1, 3, 3, "unexpected newline near '\"a'"),
    ERR("{\"a\":1,}", 1, 8, 8, "string or '}' expected near '}'"),
    ERR("[9223372036854775808]", 1, 20, 20, "too big integer near '9223372036854775808'"),
    ERR("[1e400]", 1, 6, 6, "real number overflow near '1e400'"),
    ERR("[\"\\u0000\"]", 1, 9, 9,
        "\\u0000 is not allowed without JSON_ALLOW_NUL near '\"\\u0000\"'"),
    ERR("[\"0123456789abcdefghij\" x]", 1, 25, 25, "']' expected near 'x'"),
    ERR("[\"0123456789abcdefghij\",\"\\x\"]", 1, 27, 27, "invalid escape near '\"\\x'"),
    ERR("[\"0123456789abcdefghij\\x\"]", 1, 24, 24, "invalid escape"),
    /* jansson would print the first byte of 'é' here; the text stays UTF-8 */
    ERR("[\"\\\xC3\xA9\"]", 1, 4, 4, "invalid escape near '\"\\'"),
};

Test(json_decode, error_positions)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *c = &error_cases[i];
        struct kw_json_error err, scan_err;
        cr_expect_null(kw_json_decode(c->text, c->len, &err), "case %zu", i);
        cr_expect_eq(err.line, c->line, "case %zu: line %zu", i, err.line);
        cr_expect_eq(err.column, c->column, "case %zu: column %zu", i, err.column);
        cr_expect_eq(err.position, c->position, "case %zu: position %zu", i, err.position);
        cr_expect_str_eq(err.text, c->message, "case %zu", i);
        cr_expect_eq(kw_json_scan(c->text, c->len, NULL, NULL, &scan_err), -1);
        cr_expect_eq(scan_err.line, err.line);
        cr_expect_eq(scan_err.column, err.column);
        cr_expect_eq(scan_err.position, err.position);
        cr_expect_str_eq(scan_err.text, err.text);
    }
}

/*** scanner ***/

struct recorded {
    char log[1024];
    size_t n;
    int stop_at; /* event index at which to stop (1-based), 0: never */
    const char *last_key;
    size_t last_key_len;
    int key_survived; /* the previous key's text was intact at the value */
};

static int log_event(void *ud, const struct kw_json_token *tok)
{
    static const char *names[] = {"{",   "}",    "[",    "]",     "key", "str",
                                  "int", "real", "true", "false", "null"};
    struct recorded *r = ud;
    size_t used = strlen(r->log);
    snprintf(r->log + used, sizeof r->log - used, "%s%s:%zu:%zu:%zu:%zu=%.*s", used ? " " : "",
             names[tok->ev], tok->line, tok->column, tok->offset, tok->depth, (int)tok->len,
             tok->text);
    r->n++;
    return r->stop_at && (int)r->n == r->stop_at ? 42 : 0;
}

Test(json_scan, events_with_positions)
{
    const char text[] = "{\"k\\u00e9\": [1, -2.5e1, \"v\"],\n \"\xC3\xA9\": {\"n\": null,"
                        " \"t\": true, \"f\": false}}";
    struct recorded r = {0};
    cr_assert_eq(kw_json_scan(text, sizeof text - 1, log_event, &r, NULL), 0);
    cr_expect_str_eq(r.log, "{:1:1:0:1={ key:1:2:1:2=k\xC3\xA9 [:1:13:12:2=[ int:1:14:13:3=1 "
                            "real:1:17:16:3=-2.5e1 str:1:25:24:3=v ]:1:28:27:2=] "
                            "key:2:2:31:2=\xC3\xA9 {:2:7:37:2={ key:2:8:38:3=n "
                            "null:2:13:43:3=null key:2:19:49:3=t true:2:24:54:3=true "
                            "key:2:30:60:3=f false:2:35:65:3=false }:2:40:70:2=} "
                            "}:2:41:71:1=}");
}

Test(json_scan, visitor_stops_the_scan)
{
    const char text[] = "[1,2,3,4]";
    struct recorded r = {.stop_at = 3};
    cr_expect_eq(kw_json_scan(text, sizeof text - 1, log_event, &r, NULL), 42);
    cr_expect_eq(r.n, 3);
    /* a stopped scan reports no error even when the rest is invalid */
    struct recorded r2 = {.stop_at = 1};
    struct kw_json_error err;
    cr_expect_eq(kw_json_scan("[1,,", 4, log_event, &r2, &err), 42);
}

Test(json_scan, values_and_numbers)
{
    const char text[] = "[-9223372036854775808, 0.25]";
    struct recorded r = {0};
    cr_assert_eq(kw_json_scan(text, sizeof text - 1, log_event, &r, NULL), 0);
    cr_expect_str_eq(r.log, "[:1:1:0:1=[ int:1:2:1:2=-9223372036854775808 real:1:24:23:2=0.25 "
                            "]:1:28:27:1=]");
}

static int check_key_survives(void *ud, const struct kw_json_token *tok)
{
    struct recorded *r = ud;
    if (tok->ev == KW_JSON_KEY) {
        r->last_key = tok->text;
        r->last_key_len = tok->len;
    } else if (tok->ev == KW_JSON_STRING && r->last_key) {
        r->key_survived += r->last_key_len == 5 && memcmp(r->last_key, "key\n\t", 5) == 0;
    }
    return 0;
}

Test(json_scan, escaped_key_survives_escaped_value)
{
    const char text[] = "{\"key\\n\\t\": \"value\\n\\nwith escapes\", \"key\\n\\t\": \"x\\ty\"}";
    struct recorded r = {0};
    cr_assert_eq(kw_json_scan(text, sizeof text - 1, check_key_survives, &r, NULL), 0);
    cr_expect_eq(r.key_survived, 2);
}

/*** oracle on generated documents ***/

struct rng {
    uint64_t s;
};

static uint32_t next_random(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

static uint32_t below(struct rng *r, uint32_t n)
{
    return next_random(r) % n;
}

struct text {
    char *buf;
    size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        t->buf = realloc(t->buf, t->cap);
        cr_assert_not_null(t->buf);
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void random_space(struct rng *r, struct text *t)
{
    static const char *spaces[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    puts_(t, spaces[below(r, 7)]);
}

/* When set, keys come from a few names, some of them escaped, so that the
 * pruning rules below meet their paths often. */
static int prune_vocabulary;

static void random_string(struct rng *r, struct text *t, int key)
{
    if (key && prune_vocabulary) {
        static const char *names[] = {"\"a\"",    "\"b\"",          "\"go\"",      "\"skip\"",
                                      "\"keep\"", "\"k\\u0065ep\"", "\"sk\\/ip\"", "\"x\""};
        puts_(t, names[below(r, sizeof names / sizeof names[0])]);
        return;
    }
    static const char *pieces[] = {"a",       "b",        "key",          "metadata",
                                   " ",       "\xC3\xA9", "\xE6\x9D\xB1", "\xF0\x9F\x98\x80",
                                   "\\n",     "\\\"",     "\\\\",         "\\/",
                                   "\\t",     "\\u00e9",  "\\u20ac",      "\\uD83D\\uDE00",
                                   "\\uFFFF", "\x7f",     "\\b\\f\\r"};
    puts_(t, "\"");
    size_t n = below(r, key ? 3 : 12);
    for (size_t i = 0; i < n; i++)
        puts_(t, pieces[below(r, sizeof pieces / sizeof pieces[0])]);
    if (!key && below(r, 8) == 0) { /* a long plain run for the word-at-a-time scan */
        for (size_t i = below(r, 40); i > 0; i--)
            puts_(t, "abcdefgh");
    }
    puts_(t, "\"");
}

static void random_number(struct rng *r, struct text *t)
{
    static const char *fixed[] = {"0",
                                  "-0",
                                  "9223372036854775807",
                                  "-9223372036854775808",
                                  "1e308",
                                  "1e-400",
                                  "0.1",
                                  "-1.5E+3",
                                  "2.5e-3",
                                  "1.0"};
    char buf[64];
    switch (below(r, 4)) {
    case 0:
        puts_(t, fixed[below(r, sizeof fixed / sizeof fixed[0])]);
        return;
    case 1:
        snprintf(buf, sizeof buf, "%lld", (long long)next_random(r) * (below(r, 2) ? 1 : -1));
        break;
    case 2:
        snprintf(buf, sizeof buf, "%llu%09u", (unsigned long long)next_random(r),
                 (unsigned)below(r, 1000000000));
        break;
    default:
        snprintf(buf, sizeof buf, "%s%u.%ue%s%u", below(r, 2) ? "-" : "", below(r, 1000),
                 below(r, 100000), below(r, 2) ? "-" : "+", below(r, 330));
        break;
    }
    puts_(t, buf);
}

static void random_value(struct rng *r, struct text *t, int depth)
{
    /* containers are likely near the root and absent below level 6 */
    uint32_t kind = depth > 6 ? below(r, 5) : depth < 3 ? 3 + below(r, 5) : below(r, 8);
    random_space(r, t);
    switch (kind) {
    case 0:
        random_string(r, t, 0);
        break;
    case 1:
        random_number(r, t);
        break;
    case 2:
        puts_(t, (const char *[]){"true", "false", "null"}[below(r, 3)]);
        break;
    case 3:
    case 4:
        random_number(r, t);
        break;
    case 5:
    case 6: {
        puts_(t, "{");
        size_t n = below(r, 7);
        for (size_t i = 0; i < n; i++) {
            if (i)
                puts_(t, ",");
            random_space(r, t);
            random_string(r, t, 1);
            random_space(r, t);
            puts_(t, ":");
            random_value(r, t, depth + 1);
        }
        random_space(r, t);
        puts_(t, "}");
        break;
    }
    default: {
        puts_(t, "[");
        size_t n = below(r, 7);
        for (size_t i = 0; i < n; i++) {
            if (i)
                puts_(t, ",");
            random_value(r, t, depth + 1);
        }
        random_space(r, t);
        puts_(t, "]");
        break;
    }
    }
    random_space(r, t);
}

/* Damages a document: truncation, a byte changed, or a byte inserted. */
static void mutate(struct rng *r, struct text *t)
{
    static const char bytes[] = {'\0',       '"',        '\\',       ',',        ']', '}',
                                 '\n',       'x',        '0',        '-',        '.', 'e',
                                 (char)0x80, (char)0xC3, (char)0xFF, (char)0xED, 0x1f};
    if (t->len == 0)
        return;
    size_t at = below(r, (uint32_t)t->len);
    char b = bytes[below(r, sizeof bytes)];
    switch (below(r, 3)) {
    case 0:
        t->len = at;
        break;
    case 1:
        t->buf[at] = b;
        break;
    default:
        put(t, &b, 1);
        memmove(t->buf + at + 1, t->buf + at, t->len - at - 1);
        t->buf[at] = b;
        break;
    }
}

Test(json_decode, oracle_on_generated_documents)
{
    struct rng r = {0x9E3779B97F4A7C15ULL};
    struct text t = {0};
    char why[512];
    size_t accepted = 0, rejected = 0;
    for (int i = 0; i < 4000; i++) {
        t.len = 0;
        puts_(&t, below(&r, 2) ? "[" : "{\"root\":");
        random_value(&r, &t, 0);
        puts_(&t, t.buf[0] == '[' ? "]" : "}");
        if (i % 2)
            mutate(&r, &t);
        int rc = kw_json_oracle_check(t.buf, t.len, why, sizeof why);
        cr_assert_eq(rc, 0, "document %d '%.*s': %s", i, (int)t.len, t.buf, why);
        json_t *v = kw_json_decode(t.buf, t.len, NULL);
        v ? accepted++ : rejected++;
        json_decref(v);
    }
    /* both outcomes are well represented */
    cr_expect_gt(accepted, 1000);
    cr_expect_gt(rejected, 1000);
    free(t.buf);
}

/*** review fixtures ***/

static char *read_fixture(const char *name, size_t *len)
{
    char rel[512];
    snprintf(rel, sizeof rel, "tests/fixtures/json/%s", name);
    return kwt_read_source(rel, len);
}

Test(json_decode, review_fixtures_match_jansson)
{
    const char *names[] = {"replicationsource-review.json", "large-review.json"};
    char why[512];
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *buf = read_fixture(names[i], &len);
        cr_expect_eq(kw_json_oracle_check(buf, len, why, sizeof why), 0, "%s: %s", names[i], why);
        free(buf);
    }
}

Test(json_scan, large_repository_config_validates_in_place)
{
    size_t len;
    char *buf = read_fixture("large-review.json", &len);
    json_t *review = kw_json_decode(buf, len, NULL);
    cr_assert_not_null(review);
    json_t *cfg = json_object_get(
        json_object_get(
            json_object_get(
                json_object_get(json_object_get(json_object_get(review, "request"), "object"),
                                "spec"),
                "kopia"),
            "policyConfig"),
        "repositoryConfig");
    cr_assert(json_is_string(cfg));
    size_t cfg_len = json_string_length(cfg);
    cr_expect_gt(cfg_len, 700000);
    struct kw_json_error err;
    cr_expect_eq(kw_json_scan(json_string_value(cfg), cfg_len, NULL, NULL, &err), 0, "%s",
                 err.text);
    char why[512];
    cr_expect_eq(kw_json_oracle_check(json_string_value(cfg), cfg_len, why, sizeof why), 0, "%s",
                 why);
    /* cut inside the ignore list: the error names the line */
    cr_expect_eq(kw_json_scan(json_string_value(cfg), cfg_len / 2, NULL, NULL, &err), -1);
    cr_expect_gt(err.line, 1000);
    json_decref(review);
    free(buf);
}

/* The value limit: every value counts (containers and scalars), keys do not;
 * the limit itself passes, one more is refused at that value's position. */
Test(json_decode, value_limit_counts_every_value_but_keys)
{
    static const char text[] = "{\"a\":[1,\"x\",{},null],\"b\":true}"; /* 7 values */
    struct kw_json_error err;
    json_t *v = kw_json_decode_limited(text, sizeof text - 1, 7, &err);
    cr_assert_not_null(v, "%s", err.text);
    json_decref(v);
    cr_assert_null(kw_json_decode_limited(text, sizeof text - 1, 6, &err));
    cr_expect_eq(err.failure, KW_JSON_FAIL_TOO_COMPLEX);
    cr_expect_str_eq(err.text, "too many values");
    cr_expect_eq(err.position, 25, "position %zu", err.position); /* at `true` */
    v = kw_json_decode_limited(text, sizeof text - 1, 0, &err);
    cr_assert_not_null(v, "0 means no limit");
    json_decref(v);
}

Test(json_decode, value_limit_leaves_syntax_errors_as_they_were)
{
    static const char text[] = "[1,2,]";
    struct kw_json_error limited, plain;
    cr_assert_null(kw_json_decode_limited(text, sizeof text - 1, 100, &limited));
    cr_assert_null(kw_json_decode(text, sizeof text - 1, &plain));
    cr_expect_eq(limited.failure, KW_JSON_FAIL_SYNTAX);
    cr_expect_str_eq(limited.text, plain.text);
    cr_expect_eq(limited.position, plain.position);
}

/* A body of a million empty arrays stops at the limit: the decoder never
 * builds more than the limit's worth of values. */
static size_t live_allocations;
static void *counting_malloc(size_t n)
{
    live_allocations++;
    return malloc(n);
}
static void counting_free(void *p)
{
    if (p)
        live_allocations--;
    free(p);
}

Test(json_decode, value_limit_stops_before_building_the_rest)
{
    size_t n = 1000000, len = 2 + 3 * n;
    char *buf = malloc(len);
    cr_assert(buf);
    buf[0] = '[';
    for (size_t i = 0; i < n; i++)
        memcpy(buf + 1 + 3 * i, i + 1 < n ? "[]," : "[]]", 3);
    len = 1 + 3 * n;
    json_set_alloc_funcs(counting_malloc, counting_free);
    size_t peak = 0;
    struct kw_json_error err;
    /* Count what is live when the limit hits, from inside the decoder's
     * own failure path: the tree is freed before return, so measure the
     * peak through a second, allowed decode of the same size. */
    json_t *v = kw_json_decode_limited(buf, len, 1000, &err);
    peak = live_allocations;
    json_set_alloc_funcs(malloc, free);
    cr_assert_null(v);
    cr_expect_eq(err.failure, KW_JSON_FAIL_TOO_COMPLEX);
    cr_expect_eq(err.position, 1 + 3 * 999, "position %zu", err.position);
    cr_expect_eq(peak, 0, "everything built was freed");
    free(buf);
}

/*** pruning (kw_json_decode_pruned) ***/

#define N KW_JSON_NAME
static const struct kw_json_prune prune_rules[] = {
    {.path = {N("root"), N("skip")}},
    {.path = {N("root"), N("a")}},
    {.path = {N("root"), N("go"), N("skip")}},
    {.path = {N("root"), N("go"), N("keep")}, .keep = {N("a"), N("b")}},
    {.path = {N("root"), N("keep")}, .keep = {N("go")}},
    {.path = {N("root"), N("go"), N("go"), N("go"), N("go"), N("skip")}},
};
#undef N
#define NPRUNE (sizeof prune_rules / sizeof prune_rules[0])

/* Half of the generated documents (damaged or not) under the plain
 * decoder's limit and a small one that often stops inside a pruned value:
 * the pruned decoder agrees on every verdict, error and limit position, and
 * builds the plain tree without the rules' members. */
Test(json_prune, oracle_on_generated_documents)
{
    struct rng r = {0xD1B54A32D192ED03ULL};
    struct text t = {0};
    char why[512];
    size_t pruned = 0, stopped = 0;
    prune_vocabulary = 1;
    for (int i = 0; i < 4000; i++) {
        t.len = 0;
        puts_(&t, below(&r, 4) ? "{\"root\":" : "[");
        random_value(&r, &t, 0);
        puts_(&t, t.buf[0] == '[' ? "]" : "}");
        if (i % 2)
            mutate(&r, &t);
        size_t limit = below(&r, 2) ? 0 : 1 + below(&r, 40);
        int rc =
            kw_json_prune_oracle_check(t.buf, t.len, limit, prune_rules, NPRUNE, why, sizeof why);
        cr_assert_eq(rc, 0, "document %d (limit %zu) '%.*s': %s", i, limit, (int)t.len, t.buf, why);
        json_t *v = kw_json_decode_limited(t.buf, t.len, limit, NULL);
        if (v) {
            json_t *copy = json_deep_copy(v);
            kw_json_prune_tree(copy, prune_rules, NPRUNE);
            pruned += !json_equal(v, copy);
            json_decref(copy);
        }
        struct kw_json_error err;
        json_t *p = kw_json_decode_pruned(t.buf, t.len, limit, prune_rules, NPRUNE, &err);
        stopped += !p && err.failure == KW_JSON_FAIL_TOO_COMPLEX;
        json_decref(p);
        json_decref(v);
    }
    prune_vocabulary = 0;
    cr_expect_gt(pruned, 100, "only %zu documents had something pruned", pruned);
    cr_expect_gt(stopped, 100, "only %zu documents hit the limit", stopped);
    free(t.buf);
}

static json_t *pruned_ok(const char *text)
{
    struct kw_json_error err;
    json_t *v = kw_json_decode_pruned(text, strlen(text), 0, prune_rules, NPRUNE, &err);
    cr_assert_not_null(v, "%s: %s", text, err.text);
    return v;
}

static void expect_pruned(const char *text, const char *want)
{
    json_t *v = pruned_ok(text);
    json_t *w = json_loads(want, 0, NULL);
    cr_assert_not_null(w);
    char *got = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_expect(json_equal(v, w), "%s: got %s, want %s", text, got, want);
    free(got);
    json_decref(v);
    json_decref(w);
    char why[512];
    cr_expect_eq(
        kw_json_prune_oracle_check(text, strlen(text), 0, prune_rules, NPRUNE, why, sizeof why), 0,
        "%s: %s", text, why);
}

Test(json_prune, members_left_out_and_kept)
{
    /* a whole member, in any JSON type */
    expect_pruned("{\"root\":{\"skip\":{\"x\":[1,{\"y\":null}]},\"b\":1}}", "{\"root\":{\"b\":1}}");
    expect_pruned("{\"root\":{\"skip\":\"s\",\"a\":[],\"b\":2}}", "{\"root\":{\"b\":2}}");
    /* a kept object keeps only its listed members; a kept non-object stays */
    expect_pruned("{\"root\":{\"keep\":{\"go\":1,\"a\":{\"b\":2},\"gone\":3}}}",
                  "{\"root\":{\"keep\":{\"go\":1}}}");
    expect_pruned("{\"root\":{\"keep\":[1,{\"a\":1}]}}", "{\"root\":{\"keep\":[1,{\"a\":1}]}}");
    /* one level down, and the deepest path a rule may have */
    expect_pruned("{\"root\":{\"go\":{\"skip\":1,\"keep\":{\"a\":1,\"c\":2},\"x\":3}}}",
                  "{\"root\":{\"go\":{\"keep\":{\"a\":1},\"x\":3}}}");
    expect_pruned("{\"root\":{\"go\":{\"go\":{\"go\":{\"go\":{\"skip\":1,\"x\":2}}}}}}",
                  "{\"root\":{\"go\":{\"go\":{\"go\":{\"go\":{\"x\":2}}}}}}");
}

Test(json_prune, paths_match_decoded_keys_through_objects_only)
{
    /* escaped keys are compared decoded */
    expect_pruned("{\"r\\u006fot\":{\"sk\\u0069p\":1,\"b\":2}}", "{\"root\":{\"b\":2}}");
    expect_pruned("{\"root\":{\"sk\\/ip\":1,\"b\":2}}", "{\"root\":{\"sk/ip\":1,\"b\":2}}");
    /* an array on the path stops it: its elements' members are kept */
    expect_pruned("{\"root\":[{\"skip\":1}],\"x\":{\"skip\":2}}",
                  "{\"root\":[{\"skip\":1}],\"x\":{\"skip\":2}}");
    expect_pruned("[{\"root\":{\"skip\":1}}]", "[{\"root\":{\"skip\":1}}]");
    /* the same name elsewhere, or as a prefix, is not the path */
    expect_pruned("{\"root\":{\"x\":{\"skip\":1},\"skipped\":2,\"ski\":3}}",
                  "{\"root\":{\"x\":{\"skip\":1},\"skipped\":2,\"ski\":3}}");
    /* duplicates: every occurrence is left out; a kept duplicate's last
     * value wins at its first position, as in the plain decoder */
    expect_pruned("{\"root\":{\"a\":1,\"b\":0,\"a\":{\"x\":2}},\"root\":{\"a\":3,\"c\":4}}",
                  "{\"root\":{\"c\":4}}");
    expect_pruned("{\"root\":{\"keep\":{\"go\":1,\"x\":2,\"g\\u006f\":3}}}",
                  "{\"root\":{\"keep\":{\"go\":3}}}");
}

/* What is left out is still JSON that must be valid: an error inside it is
 * the plain decoder's, text and position. */
Test(json_prune, errors_inside_left_out_values_are_reported)
{
    static const char *bad[] = {
        "{\"root\":{\"skip\":{\"x\":[1,2,]}}}",       "{\"root\":{\"skip\":[1,\"\\q\"]}}",
        "{\"root\":{\"skip\":{\"x\":\"\xC3\x28\"}}}", "{\"root\":{\"keep\":{\"x\":tru}}}",
        "{\"root\":{\"skip\":{\"x\":1e400}}}",        "{\"root\":{\"skip\":{\"x\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct kw_json_error pe, fe;
        cr_expect_null(kw_json_decode_pruned(bad[i], strlen(bad[i]), 0, prune_rules, NPRUNE, &pe),
                       "%s", bad[i]);
        cr_assert_null(kw_json_decode(bad[i], strlen(bad[i]), &fe));
        cr_expect_eq(pe.failure, KW_JSON_FAIL_SYNTAX);
        cr_expect_str_eq(pe.text, fe.text, "%s", bad[i]);
        cr_expect_eq(pe.line, fe.line);
        cr_expect_eq(pe.column, fe.column);
        cr_expect_eq(pe.position, fe.position, "%s", bad[i]);
    }
}

/* Values left out count toward the limit as built ones: the same limit
 * passes and one less stops at the same value. */
Test(json_prune, left_out_values_count_toward_the_limit)
{
    static const char text[] = "{\"root\":{\"skip\":[1,{\"a\":2},[]],\"b\":true}}"; /* 8 values */
    struct kw_json_error err;
    json_t *v = kw_json_decode_pruned(text, sizeof text - 1, 8, prune_rules, NPRUNE, &err);
    cr_assert_not_null(v, "%s", err.text);
    json_decref(v);
    cr_assert_null(kw_json_decode_pruned(text, sizeof text - 1, 7, prune_rules, NPRUNE, &err));
    cr_expect_eq(err.failure, KW_JSON_FAIL_TOO_COMPLEX);
    cr_expect_str_eq(err.text, "too many values");
    cr_expect_eq(err.position, 35, "position %zu", err.position); /* at `true` */
    cr_assert_null(kw_json_decode_pruned(text, sizeof text - 1, 5, prune_rules, NPRUNE, &err));
    cr_expect_eq(err.position, 24, "position %zu", err.position); /* the 2, left out */
    char why[512];
    for (size_t limit = 0; limit < 10; limit++)
        cr_expect_eq(kw_json_prune_oracle_check(text, sizeof text - 1, limit, prune_rules, NPRUNE,
                                                why, sizeof why),
                     0, "limit %zu: %s", limit, why);
}

/* Nothing is allocated for what is left out: a document with a large
 * pruned member costs the allocations of the same document without it. */
static size_t allocations;
static void *counting_alloc(size_t n)
{
    allocations++;
    return malloc(n);
}

static size_t allocations_of(const char *text, size_t len)
{
    json_set_alloc_funcs(counting_alloc, free);
    allocations = 0;
    json_t *v = kw_json_decode_pruned(text, len, 0, prune_rules, NPRUNE, NULL);
    size_t n = allocations;
    json_set_alloc_funcs(malloc, free);
    cr_assert_not_null(v);
    json_decref(v);
    return n;
}

Test(json_prune, left_out_values_allocate_nothing)
{
    struct text t = {0};
    puts_(&t, "{\"root\":{\"b\":[1,\"x\"],\"skip\":[");
    for (int i = 0; i < 2000; i++)
        puts_(&t, i ? ",{\"k\":\"value with \\\"escapes\\\"\",\"n\":[1,2.5,null]}" : "{}");
    puts_(&t, "],\"keep\":{\"go\":{\"z\":1},\"gone\":{\"x\":[1,2,3]}}}}");
    static const char without[] = "{\"root\":{\"b\":[1,\"x\"],\"keep\":{\"go\":{\"z\":1}}}}";
    cr_expect_eq(allocations_of(t.buf, t.len), allocations_of(without, sizeof without - 1));
    free(t.buf);
}
