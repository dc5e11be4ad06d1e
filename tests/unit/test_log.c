/* The JSON-lines logger: every line is one valid JSON object with time,
 * level and msg, fields typed, strings escaped (quotes, control characters,
 * invalid UTF-8) byte for byte as a reference escaper does, over-long lines
 * cut but still valid, levels filtered. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kw/server/log.h"

/* Runs fn with stderr redirected to a temporary file; returns its lines. */
static json_t *capture(void (*fn)(void))
{
    char path[] = "/tmp/kw-log-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    FILE *f = fopen(path, "r");
    json_t *lines = json_array();
    char buf[20000];
    while (fgets(buf, sizeof(buf), f)) {
        json_error_t err;
        json_t *line = json_loads(buf, 0, &err);
        cr_assert(line, "not JSON: %s (%s)", buf, err.text);
        json_array_append_new(lines, line);
    }
    fclose(f);
    unlink(path);
    return lines;
}

static void log_fields(void)
{
    kw_log_set_level(KW_LOG_INFO);
    kw_log(KW_LOG_INFO, "review", KW_LS("uid", "a\"b\\c\n\x01"), KW_LI("count", -42),
           KW_LB("allowed", 1), KW_LD("durationMs", 0.0846351), KW_LS("missing", NULL),
           KW_LS("badUtf8", "x\xff\xc3\xa9y"), KW_LEND);
    kw_log(KW_LOG_DEBUG, "hidden", KW_LEND);
    kw_log(KW_LOG_ERROR, "shown", KW_LEND);
}

Test(log, lines_are_json_with_typed_escaped_fields)
{
    json_t *lines = capture(log_fields);
    cr_assert_eq(json_array_size(lines), 2, "debug must be filtered at level info");
    json_t *l = json_array_get(lines, 0);
    cr_assert(json_is_string(json_object_get(l, "time")));
    cr_assert_str_eq(json_string_value(json_object_get(l, "level")), "info");
    cr_assert_str_eq(json_string_value(json_object_get(l, "msg")), "review");
    cr_assert_str_eq(json_string_value(json_object_get(l, "uid")), "a\"b\\c\n\x01");
    cr_assert_eq(json_integer_value(json_object_get(l, "count")), -42);
    cr_assert(json_is_true(json_object_get(l, "allowed")));
    /* Measures are written with three decimals. */
    cr_assert_float_eq(json_number_value(json_object_get(l, "durationMs")), 0.085, 1e-9);
    cr_assert(json_is_null(json_object_get(l, "missing")));
    cr_assert_str_eq(json_string_value(json_object_get(l, "badUtf8")), "x\xef\xbf\xbd\xc3\xa9y");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(lines, 1), "level")),
                     "error");
    json_decref(lines);
}

static void log_arrays(void)
{
    static const char *const rules[] = {"mover-required", "a\"b", NULL};
    kw_log(KW_LOG_INFO, "arrays", KW_LA("deniedRules", rules, 3), KW_LA("warningRules", rules, 0),
           KW_LS(NULL, "left out"), KW_LI(NULL, 7), KW_LA("none", NULL, 2), KW_LEND);
}

/* A list of strings is a JSON array (empty when there are none); a field
 * without a key is left out. */
Test(log, string_lists_are_json_arrays)
{
    json_t *lines = capture(log_arrays);
    cr_assert_eq(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    json_t *denied = json_object_get(l, "deniedRules");
    cr_assert(json_is_array(denied));
    cr_assert_eq(json_array_size(denied), 3);
    cr_assert_str_eq(json_string_value(json_array_get(denied, 0)), "mover-required");
    cr_assert_str_eq(json_string_value(json_array_get(denied, 1)), "a\"b");
    cr_assert(json_is_null(json_array_get(denied, 2)));
    json_t *warned = json_object_get(l, "warningRules");
    cr_assert(json_is_array(warned));
    cr_assert_eq(json_array_size(warned), 0);
    cr_assert(json_is_array(json_object_get(l, "none")));
    cr_assert_eq(json_array_size(json_object_get(l, "none")), 0);
    /* time, level, msg and the three arrays. */
    cr_assert_eq(json_object_size(l), 6);
    json_decref(lines);
}

static void log_numbers(void)
{
    kw_log(KW_LOG_INFO, "numbers", KW_LI("min", LLONG_MIN), KW_LI("max", LLONG_MAX),
           KW_LI("zero", 0), KW_LD("neg", -12.3456), KW_LD("round", 1.9996), KW_LD("big", 3e15),
           KW_LD("nan", NAN), KW_LD("tiny", -0.0001), KW_LEND);
}

Test(log, numbers_are_exact_json_numbers)
{
    json_t *lines = capture(log_numbers);
    cr_assert_eq(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    cr_assert_eq(json_integer_value(json_object_get(l, "min")), LLONG_MIN);
    cr_assert_eq(json_integer_value(json_object_get(l, "max")), LLONG_MAX);
    cr_assert_eq(json_integer_value(json_object_get(l, "zero")), 0);
    cr_assert_float_eq(json_number_value(json_object_get(l, "neg")), -12.346, 1e-9);
    cr_assert_float_eq(json_number_value(json_object_get(l, "round")), 2.0, 1e-9);
    cr_assert_float_eq(json_number_value(json_object_get(l, "big")), 3e15, 1.0);
    cr_assert(json_is_null(json_object_get(l, "nan")));
    cr_assert_float_eq(json_number_value(json_object_get(l, "tiny")), 0.0, 1e-9);
    /* The timestamp: RFC 3339 UTC with milliseconds. */
    const char *t = json_string_value(json_object_get(l, "time"));
    cr_assert_eq(strlen(t), 24, "%s", t);
    cr_assert_eq(t[10], 'T');
    cr_assert_eq(t[19], '.');
    cr_assert_eq(t[23], 'Z');
    json_decref(lines);
}

static void log_huge(void)
{
    static char big[12000];
    memset(big, 'a', sizeof(big) - 1);
    kw_log(KW_LOG_WARN, "huge", KW_LS("first", "kept"), KW_LS("big", big), KW_LEND);
}

Test(log, over_long_lines_are_cut_and_stay_valid)
{
    json_t *lines = capture(log_huge);
    cr_assert_eq(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    cr_assert_str_eq(json_string_value(json_object_get(l, "first")), "kept");
    cr_assert_null(json_object_get(l, "big"));
    cr_assert(json_is_true(json_object_get(l, "cut")));
    json_decref(lines);
}

/* The escaping written byte by byte, as a reference for the logger's, which
 * copies plain runs in one piece. */
static size_t reference_escape(const unsigned char *p, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    out[o++] = '"';
    while (*p) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p++;
        } else if (*p < 0x20) {
            o += (size_t)sprintf(out + o, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
            p++;
        } else if (*p < 0x80) {
            out[o++] = (char)*p++;
        } else {
            size_t n = 0;
            if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
                n = 2;
            else if ((*p & 0xf0) == 0xe0)
                n = 3;
            else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
                n = 4;
            for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                    n = 0;
            if (!n) {
                memcpy(out + o, "\xef\xbf\xbd", 3);
                o += 3;
                n = 1;
            } else {
                memcpy(out + o, p, n);
                o += n;
            }
            p += n;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

/* What the lines below log: plain text of every length up to 40 with one
 * special sequence at every position (around the 8- and 16-byte steps of the
 * plain-run scan). */
static const char *const specials[] = {
    "\"",           "\\",           "\n",
    "\x01",         "\x1f",         "\x7f",
    "\xc3\xa9",     "\xe2\x82\xac", "\xf0\x9f\x98\x80",
    "\xff",         "\xc3",         "\xe2\x82",
    "\xed\xa0\x80", "\xc0\xaf",
};
#define MAX_PLAIN 40

static char *escape_case(size_t len, size_t at, size_t k, char *buf)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + i % 26);
    buf[len] = '\0';
    if (at <= len) {
        size_t n = strlen(specials[k]);
        memmove(buf + at + n, buf + at, len - at + 1);
        memcpy(buf + at, specials[k], n);
    }
    return buf;
}

static void log_escapes(void)
{
    kw_log_set_level(KW_LOG_INFO);
    char buf[MAX_PLAIN + 8];
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++)
        for (size_t len = 0; len <= MAX_PLAIN; len++)
            for (size_t at = 0; at <= len + 1; at++)
                kw_log(KW_LOG_INFO, "e", KW_LS("s", escape_case(len, at, k, buf)), KW_LEND);
}

Test(log, strings_are_escaped_byte_for_byte)
{
    char path[] = "/tmp/kw-log-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_escapes();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[1024], buf[MAX_PLAIN + 8], want[512];
    size_t lines = 0;
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (size_t len = 0; len <= MAX_PLAIN; len++) {
            for (size_t at = 0; at <= len + 1; at++, lines++) {
                cr_assert_not_null(fgets(line, sizeof(line), f));
                const char *field = strstr(line, ",\"s\":");
                cr_assert_not_null(field, "%s", line);
                field += 5;
                size_t n =
                    reference_escape((const unsigned char *)escape_case(len, at, k, buf), want);
                cr_expect(strncmp(field, want, n) == 0 && strcmp(field + n, "}\n") == 0,
                          "special %zu at %zu of %zu: %s, want %s", k, at, len, field, want);
            }
        }
    }
    cr_expect_null(fgets(line, sizeof(line), f), "more lines than logged");
    cr_expect_gt(lines, 1000);
    fclose(f);
    unlink(path);
}

Test(log, level_names)
{
    cr_assert_eq(kw_log_set_level_name("warn"), 0);
    cr_assert(!kw_log_enabled(KW_LOG_INFO));
    cr_assert(kw_log_enabled(KW_LOG_ERROR));
    cr_assert_eq(kw_log_set_level_name("verbose"), -1);
    kw_log_set_level(KW_LOG_INFO);
}

Test(log, names_and_levels_round_trip)
{
    for (int i = 0; i < KW_LOG_LEVELS; i++) {
        enum kw_log_level level = KW_LOG_ERROR;
        const char *name = kw_log_level_name((enum kw_log_level)i);
        cr_assert_not_null(name);
        cr_assert_eq(kw_log_level_parse(name, &level), 0, "%s", name);
        cr_assert_eq((int)level, i);
    }
    cr_assert_str_eq(kw_log_level_name(KW_LOG_DEFAULT_LEVEL), "info");
    cr_assert_null(kw_log_level_name((enum kw_log_level)KW_LOG_LEVELS));
    enum kw_log_level untouched = KW_LOG_WARN;
    cr_assert_eq(kw_log_level_parse("Info", &untouched), -1);
    cr_assert_eq(untouched, KW_LOG_WARN);
}
