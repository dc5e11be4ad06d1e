/* kw_quote against Go's strconv.Quote (Kubernetes' %q of a bad value): the
 * table tests/fixtures/quote/go-quote.tsv (escape classes, every byte,
 * malformed UTF-8, chosen runes, pseudo-random strings) and every rune
 * 0..0x10FFFF from tests/fixtures/quote/go-runes.txt, both written by
 * tests/fixtures/quote/gen.go; plus the cases worth reading here. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/result.h"

static FILE *fixture(const char *name)
{
    const char *root = getenv("KW_SOURCE_DIR");
    cr_assert_not_null(root, "KW_SOURCE_DIR is not set");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/quote/%s", root, name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    return f;
}

/* Decodes the hex text [p, end) into out (room for (end - p) / 2 bytes). */
static size_t unhex(const char *p, const char *end, char *out)
{
    size_t n = 0;
    for (; p + 1 < end; p += 2) {
        unsigned v;
        cr_assert_eq(sscanf(p, "%2x", &v), 1, "bad hex: %.*s", (int)(end - p), p);
        out[n++] = (char)v;
    }
    return n;
}

static void expect_quote(const char *in, size_t len, const char *want, const char *label)
{
    char *got = kw_quote_len(in, len);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "%s: got %s, Go gives %s", label, got, want);
    free(got);
}

/* A literal input, NUL bytes and all. */
#define QUOTE(in, want, label) expect_quote(in, sizeof(in) - 1, want, label)

Test(quote, short_escapes_as_go_writes_them)
{
    QUOTE("\a\b\f\v", "\"\\a\\b\\f\\v\"", "bell..vt");
    QUOTE("a\"b\\c\nd\r\t\x01", "\"a\\\"b\\\\c\\nd\\r\\t\\x01\"", "mixed");
    QUOTE("\x7f", "\"\\x7f\"", "DEL");
    QUOTE("", "\"\"", "empty");
    QUOTE("a\0b", "\"a\\x00b\"", "NUL");
}

Test(quote, unicode_separators_and_format_characters_are_escaped)
{
    QUOTE("a\u2028b", "\"a\\u2028b\"", "U+2028");
    QUOTE("\u00a0", "\"\\u00a0\"", "U+00A0");
    QUOTE("\ufeffx", "\"\\ufeffx\"", "U+FEFF");
    QUOTE("\U000E0001", "\"\\U000e0001\"", "U+E0001");
    QUOTE("\xc2\x85", "\"\\u0085\"", "U+0085");
}

Test(quote, printable_runes_stay_as_utf8)
{
    QUOTE("na\xc3\xafve \xe4\xb8\xad \xf0\x9f\x98\x80 e\xcc\x81",
          "\"na\xc3\xafve \xe4\xb8\xad \xf0\x9f\x98\x80 e\xcc\x81\"", "letters");
    QUOTE("\xef\xbf\xbd", "\"\xef\xbf\xbd\"", "a real U+FFFD");
}

Test(quote, malformed_utf8_is_one_escape_per_byte)
{
    QUOTE("\xc0\x80", "\"\\xc0\\x80\"", "overlong NUL");
    QUOTE("\xed\xa0\x80", "\"\\xed\\xa0\\x80\"", "surrogate");
    QUOTE("\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\"", "above U+10FFFF");
    QUOTE("\xe2\x82x", "\"\\xe2\\x82x\"", "cut");
    QUOTE("\xe2\xe2\x82\xac", "\"\\xe2\xe2\x82\xac\"", "cut, then whole");
}

Test(quote, kw_quote_stops_at_nul)
{
    char *q = kw_quote("-x");
    cr_assert_str_eq(q, "\"-x\"");
    free(q);
}

static void expect_cut(const char *in, size_t max, const char *want)
{
    char *got = kw_quote_cut(in, max);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "kw_quote_cut(%s, %zu)", in, max);
    cr_expect_leq(strlen(got), max < 5 ? strlen(got) : max);
    free(got);
}

Test(quote, a_cut_keeps_escapes_and_runes_whole)
{
    expect_cut("short", 10, "\"short\"");
    expect_cut("abcdefghi", 10, "\"abcde...\"");
    expect_cut("abcdefgh", 10, "\"abcdefgh\"");
    expect_cut("ab\u2028cdefgh", 10, "\"ab...\"");
    expect_cut("ab\u2028cdefgh", 13, "\"ab\\u2028...\"");
    expect_cut("a\xc3\xa9\xc3\xa9xyz", 9, "\"a\xc3\xa9...\"");
    expect_cut("a\U000E0001bcdefghijklm", 14, "\"a...\"");
    expect_cut("a\U000E0001bcdefghijklm", 16, "\"a\\U000e0001...\"");
    expect_cut("abcdefgh", 4, "\"abcdefgh\"");
}

Test(quote, matches_go_over_the_generated_table)
{
    FILE *f = fixture("go-quote.tsv");
    char *line = NULL;
    size_t cap = 0, cases = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[0] == '#')
            continue;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab, "no tab in: %s", line);
        char in[4096];
        cr_assert_lt((size_t)(tab - line) / 2, sizeof(in));
        size_t n = unhex(line, tab, in);
        expect_quote(in, n, tab + 1, line);
        cases++;
    }
    free(line);
    fclose(f);
    cr_expect_gt(cases, 3000, "only %zu cases read", cases);
}

/* Any value below 2^21 as UTF-8, surrogates too (as gen.go encodes). */
static size_t encode(uint32_t r, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (r < 0x80) {
        o[0] = (unsigned char)r;
        return 1;
    }
    if (r < 0x800) {
        o[0] = (unsigned char)(0xC0 | r >> 6);
        o[1] = (unsigned char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        o[0] = (unsigned char)(0xE0 | r >> 12);
        o[1] = (unsigned char)(0x80 | (r >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (r & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | r >> 18);
    o[1] = (unsigned char)(0x80 | (r >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (r >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (r & 0x3F));
    return 4;
}

/* The quoted text go-runes.txt's `kind` stands for, into want. */
static void expected_form(uint32_t r, const char *kind, const char *enc, size_t n, char *want)
{
    char *w = want;
    *w++ = '"';
    if (strcmp(kind, "raw") == 0) {
        memcpy(w, enc, n);
        w += n;
    } else if (strcmp(kind, "x") == 0) {
        for (size_t i = 0; i < n; i++)
            w += sprintf(w, "\\x%02x", (unsigned char)enc[i]);
    } else if (strcmp(kind, "u") == 0) {
        w += sprintf(w, "\\u%04x", r);
    } else {
        cr_assert_str_eq(kind, "U", "unknown kind %s", kind);
        w += sprintf(w, "\\U%08x", r);
    }
    strcpy(w, "\"");
}

static void check_rune(uint32_t r, const char *kind, const char *literal_hex)
{
    char enc[4], want[64], label[32];
    size_t n = encode(r, enc);
    if (literal_hex)
        want[unhex(literal_hex, literal_hex + strlen(literal_hex), want)] = '\0';
    else
        expected_form(r, kind, enc, n, want);
    snprintf(label, sizeof(label), "rune 0x%x", r);
    char *got = kw_quote_len(enc, n);
    cr_assert_not_null(got);
    if (strcmp(got, want) != 0)
        cr_assert_fail("%s: got %s, Go gives %s", label, got, want);
    free(got);
}

Test(quote, matches_go_for_every_rune)
{
    FILE *f = fixture("go-runes.txt");
    char line[256], kind[8], literal[64];
    uint32_t next = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#')
            continue;
        unsigned lo, hi;
        int fields = sscanf(line, "%x %x %7s %63s", &lo, &hi, kind, literal);
        bool is_literal = strcmp(kind, "=") == 0;
        cr_assert(fields == 3 || (fields == 4 && is_literal), "bad line: %s", line);
        cr_assert_eq(lo, next, "runs do not follow on at %s", line);
        for (uint32_t r = lo; r <= hi; r++)
            check_rune(r, kind, is_literal ? literal : NULL);
        next = hi + 1;
    }
    fclose(f);
    cr_assert_eq(next, 0x110000, "the runs stop at 0x%x", next);
}
