/* kw_snprintf and kw_asprintf (include/kw/base/format.h) against libc: the
 * same text and length for the plain conversions they write themselves, for
 * the formats they hand to libc, and at every truncation. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/format.h"

/* Both functions against snprintf for one format and its arguments, at
 * every buffer size from 0 to past the text. */
#define SAME_AS_LIBC(fmt, ...)                                                                     \
    do {                                                                                           \
        char want[512], got[512];                                                                  \
        int n = snprintf(want, sizeof(want), fmt, __VA_ARGS__);                                    \
        cr_assert(n >= 0 && (size_t)n < sizeof(want));                                             \
        for (size_t size = 0; size <= (size_t)n + 2; size++) {                                     \
            memset(got, 'x', sizeof(got));                                                         \
            char cut[512];                                                                         \
            memset(cut, 'x', sizeof(cut));                                                         \
            snprintf(size ? cut : NULL, size, fmt, __VA_ARGS__);                                   \
            cr_expect_eq(kw_snprintf(size ? got : NULL, size, fmt, __VA_ARGS__), n, "%s", fmt);    \
            cr_expect_eq(memcmp(got, cut, size + 1), 0, "%s at size %zu", fmt, size);              \
        }                                                                                          \
        char *text = kw_asprintf(fmt, __VA_ARGS__);                                                \
        cr_assert_not_null(text);                                                                  \
        cr_expect_str_eq(text, want);                                                              \
        free(text);                                                                                \
    } while (0)

Test(base_format, plain_conversions_are_written_as_libc_writes_them)
{
    SAME_AS_LIBC("%s", "");
    SAME_AS_LIBC("%s", "spec.kopia.retain");
    SAME_AS_LIBC("%s: %s", "spec.kopia.compression", "unknown algorithm");
    SAME_AS_LIBC("added in %s", "0.16");
    SAME_AS_LIBC("%d.%d", 0, 17);
    SAME_AS_LIBC("%d|%d|%d", INT_MIN, INT_MAX, -1);
    SAME_AS_LIBC("%lld and %lld", LLONG_MIN, LLONG_MAX);
    SAME_AS_LIBC("%zu items, %zu", (size_t)0, SIZE_MAX);
    SAME_AS_LIBC("100%% of %s%%", "it");
    SAME_AS_LIBC("%s/%s", "replicationsources", "status");
    SAME_AS_LIBC("no conversion at all%s", "");
    SAME_AS_LIBC("ends with a percent sign %s %%", "x");
}

Test(base_format, other_formats_go_to_libc)
{
    SAME_AS_LIBC("%5s|%-5s|%.2s", "a", "b", "cde");
    SAME_AS_LIBC("%s then %c and %g", "text", 'c', 2.5);
    SAME_AS_LIBC("%u %x %ld %zd %03d", 7u, 255u, -5L, (ssize_t)-3, 4);
    SAME_AS_LIBC("%.*s", 3, "abcdef");
}

Test(base_format, a_null_string_is_written_as_libc_writes_it)
{
    const char *volatile none = NULL; /* unknown to the compiler */
    char want[64], got[64];
    int n = snprintf(want, sizeof(want), "a %s b", none);
    cr_expect_eq(kw_snprintf(got, sizeof(got), "a %s b", none), n);
    cr_expect_str_eq(got, want);
}

/* Texts longer than kw_asprintf's first buffer, around its size too. */
Test(base_format, long_texts_are_whole)
{
    char part[2048];
    for (size_t len = 500; len < sizeof(part); len += len < 520 ? 1 : 500) {
        memset(part, 'a', len);
        part[len] = '\0';
        char *want = NULL;
        cr_assert_geq(asprintf(&want, "[%s] %d", part, 7), 0);
        char *got = kw_asprintf("[%s] %d", part, 7);
        cr_assert_not_null(got);
        cr_expect_str_eq(got, want, "length %zu", len);
        free(want);
        free(got);
    }
}
