/* Long strings with escapes in the JSON scanner (kw/json/json.h): decoded as
 * jansson decodes them wherever the escapes are (at the start, in the
 * middle, at the end, nothing but escapes, \u escapes and surrogate pairs,
 * a string cut by the end of input), with the scanner's buffer for decoded
 * text sized without realloc copies at every doubling: at most one realloc
 * per string and no allocation larger than the input. The allocations are
 * counted by wrapping malloc and realloc in this test program (not in a
 * sanitizer build, whose allocator must see every call). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_oracle.h"
#include "kw/json/json.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* What the scanner allocated while `counting` was set. */
static struct {
    bool counting;
    size_t reallocs, largest;
} seen;

#if !SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n)
{
    if (seen.counting && n > seen.largest)
        seen.largest = n;
    return __libc_malloc(n);
}

void *realloc(void *p, size_t n)
{
    if (seen.counting) {
        seen.reallocs++;
        if (n > seen.largest)
            seen.largest = n;
    }
    return __libc_realloc(p, n);
}
#endif

/* The pieces of one test document: `[` + `"` + head + n x middle + tail
 * (+ `"` unless cut) + `]`. */
struct doc {
    char *text;
    size_t len;
};

static void put(struct doc *d, const char *s)
{
    size_t n = strlen(s);
    memcpy(d->text + d->len, s, n);
    d->len += n;
}

static struct doc make(const char *head, const char *middle, size_t times, const char *tail,
                       bool closed)
{
    struct doc d = {malloc(strlen(head) + strlen(middle) * times + strlen(tail) + 8), 0};
    cr_assert_not_null(d.text);
    put(&d, "[\"");
    put(&d, head);
    for (size_t i = 0; i < times; i++)
        put(&d, middle);
    put(&d, tail);
    if (closed)
        put(&d, "\"]");
    return d;
}

struct one_string {
    size_t strings;
    size_t len;
    char *copy; /* malloc'd copy of the decoded text */
};

static int keep_string(void *ud, const struct kw_json_token *t)
{
    struct one_string *s = ud;
    if (t->ev != KW_JSON_STRING)
        return 0;
    s->strings++;
    s->len = t->len;
    free(s->copy);
    s->copy = malloc(t->len ? t->len : 1);
    if (s->copy)
        memcpy(s->copy, t->text, t->len);
    return 0;
}

/* Scans d with allocations counted: the scan's result as json_loadb gives
 * it (the oracle, which also compares the decoded text), at most one
 * realloc, nothing allocated larger than the input. */
static void check(const struct doc *d, bool ok, const char *what)
{
    char why[512];
    cr_expect_eq(kw_json_oracle_check(d->text, d->len, why, sizeof(why)), 0, "%s: %s", what, why);
    struct kw_json_error err;
    seen.reallocs = seen.largest = 0;
    seen.counting = true;
    int rc = kw_json_scan(d->text, d->len, NULL, NULL, &err);
    seen.counting = false;
    cr_expect_eq(rc == 0, ok, "%s: %s", what, ok ? err.text : "accepted");
    if (SANITIZED)
        return;
    cr_expect_leq(seen.reallocs, 1, "%s: %zu reallocs", what, seen.reallocs);
    cr_expect_leq(seen.largest, d->len, "%s: %zu bytes allocated for %zu of input", what,
                  seen.largest, d->len);
}

#define LONG 300000

Test(json_long_strings, escape_at_the_start)
{
    struct doc d = make("\\n\\\"", "abcdefghij", LONG / 10, "", true);
    check(&d, true, "escape at the start");
    free(d.text);
}

Test(json_long_strings, escape_in_the_middle)
{
    char *half = malloc(LONG / 2 + 1);
    memset(half, 'x', LONG / 2);
    half[LONG / 2] = 0;
    struct doc d = make(half, "\\t", 1, half, true);
    check(&d, true, "escape in the middle");
    free(d.text);
    free(half);
}

Test(json_long_strings, escape_at_the_end)
{
    struct doc d = make("", "0123456789", LONG / 10, "\\\\", true);
    check(&d, true, "escape at the end");
    free(d.text);
}

Test(json_long_strings, only_escapes)
{
    struct doc d = make("", "\\\"", LONG / 2, "", true);
    check(&d, true, "only escapes");
    free(d.text);
}

/* \uXXXX gives 1 to 3 bytes for 6, a surrogate pair 4 for 12; raw UTF-8
 * between them stays as it is. */
Test(json_long_strings, unicode_escapes_and_pairs)
{
    struct doc d =
        make("\\u00e9", "\\ud83d\\udcbe\\u65e5 caf\xc3\xa9 \\u0041", LONG / 30, "", true);
    check(&d, true, "unicode escapes");
    free(d.text);
}

/* The escaped text is cut by the end of input: jansson's error, and still
 * no buffer larger than the input. */
Test(json_long_strings, premature_end)
{
    struct doc d = make("\\n", "abcdefghij", LONG / 10, "", false);
    check(&d, false, "premature end");
    free(d.text);
    struct doc e = make("\\n", "abcdefghij", LONG / 10, "\\", false);
    check(&e, false, "premature end after a backslash");
    free(e.text);
}

/* A long escaped string's text is the whole string, also after short ones
 * have used both of the scanner's buffers. */
Test(json_long_strings, long_after_short)
{
    char *big = malloc(LONG * 2 + 64);
    size_t n = (size_t)sprintf(big, "[\"a\\tb\", \"c\\nd\", \"");
    for (size_t i = 0; i < LONG; i++) {
        big[n++] = '\\';
        big[n++] = i % 2 ? 'n' : '/';
    }
    n += (size_t)sprintf(big + n, "\"]");
    struct one_string s = {0};
    cr_assert_eq(kw_json_scan(big, n, keep_string, &s, NULL), 0);
    cr_expect_eq(s.strings, 3);
    cr_assert_eq(s.len, LONG);
    for (size_t i = 0; i < LONG; i++)
        if (s.copy[i] != (i % 2 ? '\n' : '/'))
            cr_assert_fail("byte %zu is 0x%02x", i, (unsigned char)s.copy[i]);
    free(s.copy);
    struct doc d = {big, n};
    check(&d, true, "long after short");
    free(big);
}
