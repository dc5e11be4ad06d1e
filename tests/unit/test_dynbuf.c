/* The growable buffer and arrays of the base layer (include/kw/base/dynbuf.h):
 * growth, the hard limit, overflow of size arithmetic, printf appends of long
 * strings, taking ownership, and a buffer that stays intact after a refused
 * growth (the limit stands in for a failed allocation). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"

/* The invariants every operation keeps. */
static void assert_valid(const struct kw_dynbuf *b)
{
    cr_assert_leq(b->len, b->limit);
    if (!b->buf) {
        cr_assert_eq(b->len, 0);
        cr_assert_str_eq(kw_dynbuf_ptr(b), "");
        return;
    }
    cr_assert_lt(b->len, b->cap);
    cr_assert_eq(b->buf[b->len], 0, "not NUL-terminated at len");
    cr_assert_eq(strlen(b->buf), b->len);
}

Test(dynbuf, starts_empty_without_allocating)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_null(b.buf);
    cr_assert_eq(kw_dynbuf_len(&b), 0);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "");
    cr_assert_eq(kw_dynbuf_room(&b), 0);
    kw_dynbuf_free(&b);
    cr_assert_null(b.buf);
}

Test(dynbuf, grows_byte_by_byte_and_keeps_contents)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    char want[5001];
    for (size_t i = 0; i < 5000; i++) {
        want[i] = (char)('a' + i % 26);
        cr_assert_eq(kw_dynbuf_append(&b, &want[i], 1), KW_DYNBUF_OK);
        assert_valid(&b);
    }
    want[5000] = 0;
    cr_assert_eq(kw_dynbuf_len(&b), 5000);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), want);
    cr_assert_eq(kw_dynbuf_append(&b, "", 0), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_len(&b), 5000);
    kw_dynbuf_free(&b);
    cr_assert_eq(kw_dynbuf_len(&b), 0);
}

Test(dynbuf, a_large_first_reservation_is_allocated_exactly)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_eq(kw_dynbuf_reserve(&b, 100000), KW_DYNBUF_OK);
    cr_assert_eq(b.cap, 100001);
    cr_assert_geq(kw_dynbuf_room(&b), 100000);
    char *before = b.buf;
    cr_assert_eq(kw_dynbuf_reserve(&b, 100000), KW_DYNBUF_OK); /* fits: no growth */
    cr_assert_eq(b.buf, before);
    kw_dynbuf_free(&b);
}

/* What a reservation will allocate is known before it is made (the server
 * charges request bodies against a budget first). */
Test(dynbuf, capacity_after_predicts_every_growth)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, 100000);
    cr_expect_eq(kw_dynbuf_capacity_after(&b, 10), 64, "the first allocation");
    size_t steps[] = {10, 60, 1, 200, 5000, 0, 3, 40000};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        size_t want = kw_dynbuf_capacity_after(&b, steps[i]);
        cr_assert_eq(kw_dynbuf_reserve(&b, steps[i]), KW_DYNBUF_OK);
        cr_expect_eq(b.cap, want, "step %zu: predicted %zu, allocated %zu", i, want, b.cap);
        kw_dynbuf_commit(&b, steps[i]);
    }
    /* Within the room: the capacity stays. */
    cr_expect_eq(kw_dynbuf_capacity_after(&b, 0), b.cap);
    /* Up to the limit (and its NUL), and 0 past it. */
    cr_expect_eq(kw_dynbuf_capacity_after(&b, 100000 - b.len), 100001);
    cr_expect_eq(kw_dynbuf_capacity_after(&b, 100000 - b.len + 1), 0);
    kw_dynbuf_free(&b);
    /* A large first reservation is exact. */
    cr_expect_eq(kw_dynbuf_capacity_after(&b, 70000), 70001);
}

Test(dynbuf, writes_in_place_after_reserve)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_eq(kw_dynbuf_append(&b, "ab", 2), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_reserve(&b, 3), KW_DYNBUF_OK);
    cr_assert_geq(kw_dynbuf_room(&b), 3);
    memcpy(kw_dynbuf_tail(&b), "cde", 3);
    kw_dynbuf_commit(&b, 3);
    assert_valid(&b);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "abcde");
    kw_dynbuf_free(&b);
}

Test(dynbuf, reset_keeps_the_memory)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_eq(kw_dynbuf_appendf(&b, "%d", 12345), KW_DYNBUF_OK);
    char *mem = b.buf;
    kw_dynbuf_reset(&b);
    assert_valid(&b);
    cr_assert_eq(b.buf, mem);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "");
    cr_assert_eq(kw_dynbuf_appendf(&b, "x"), KW_DYNBUF_OK);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "x");
    kw_dynbuf_free(&b);
}

Test(dynbuf, limit_is_exact)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, 10);
    cr_assert_eq(kw_dynbuf_append(&b, "0123456789", 10), KW_DYNBUF_OK);
    cr_assert_leq(b.cap, 11, "never allocates past the limit and its NUL");
    cr_assert_eq(kw_dynbuf_append(&b, "x", 1), KW_DYNBUF_TOO_BIG);
    cr_assert_eq(kw_dynbuf_reserve(&b, 1), KW_DYNBUF_TOO_BIG);
    cr_assert_eq(kw_dynbuf_appendf(&b, "%c", 'x'), KW_DYNBUF_TOO_BIG);
    cr_assert_eq(kw_dynbuf_append(&b, "", 0), KW_DYNBUF_OK);
    assert_valid(&b);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "0123456789");
    kw_dynbuf_free(&b);

    kw_dynbuf_init(&b, 0);
    cr_assert_eq(kw_dynbuf_append(&b, "x", 1), KW_DYNBUF_TOO_BIG);
    cr_assert_eq(kw_dynbuf_append(&b, "", 0), KW_DYNBUF_OK);
    assert_valid(&b);
    kw_dynbuf_free(&b);
}

Test(dynbuf, limit_grows_in_steps_up_to_the_limit)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, 1000);
    char chunk[100];
    memset(chunk, 'z', sizeof(chunk));
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(kw_dynbuf_append(&b, chunk, sizeof(chunk)), KW_DYNBUF_OK);
        assert_valid(&b);
        cr_assert_leq(b.cap, 1001);
    }
    cr_assert_eq(kw_dynbuf_len(&b), 1000);
    cr_assert_eq(kw_dynbuf_append(&b, chunk, 1), KW_DYNBUF_TOO_BIG);
    kw_dynbuf_free(&b);
}

Test(dynbuf, stays_valid_after_a_refused_growth)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, 8);
    cr_assert_eq(kw_dynbuf_append(&b, "abcd", 4), KW_DYNBUF_OK);
    /* The first formatting attempt writes into the spare room before it
     * learns the output does not fit; the buffer must not show it. */
    cr_assert_eq(kw_dynbuf_appendf(&b, "%s", "0123456789"), KW_DYNBUF_TOO_BIG);
    assert_valid(&b);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "abcd");
    cr_assert_eq(kw_dynbuf_append(&b, "0123456789", 10), KW_DYNBUF_TOO_BIG);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "abcd");
    /* ... and still takes what fits. */
    cr_assert_eq(kw_dynbuf_appendf(&b, "%s", "efgh"), KW_DYNBUF_OK);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "abcdefgh");
    kw_dynbuf_free(&b);
}

Test(dynbuf, size_arithmetic_does_not_overflow)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_eq(kw_dynbuf_reserve(&b, SIZE_MAX), KW_DYNBUF_NO_MEMORY); /* no room for the NUL */
    cr_assert_null(b.buf);
    cr_assert_eq(kw_dynbuf_append(&b, "abc", 3), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_reserve(&b, SIZE_MAX - 1), KW_DYNBUF_NO_MEMORY); /* len + extra wraps */
    cr_assert_eq(kw_dynbuf_reserve(&b, SIZE_MAX - 3), KW_DYNBUF_NO_MEMORY); /* + NUL wraps */
    assert_valid(&b);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "abc");
    kw_dynbuf_free(&b);

    kw_dynbuf_init(&b, SIZE_MAX - 1); /* a limit whose NUL just fits size_t */
    cr_assert_eq(kw_dynbuf_append(&b, "abc", 3), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_reserve(&b, SIZE_MAX - 3), KW_DYNBUF_TOO_BIG);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "abc");
    kw_dynbuf_free(&b);
}

Test(dynbuf, printf_appends_of_long_strings)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    size_t n = 100000;
    char *big = malloc(n + 1);
    cr_assert(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('A' + i % 26);
    big[n] = 0;
    cr_assert_eq(kw_dynbuf_appendf(&b, "[%s]", big), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_appendf(&b, " %d %s %.2f", 42, "x", 1.5), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_appendf(&b, "%s", big), KW_DYNBUF_OK);
    assert_valid(&b);
    cr_assert_eq(kw_dynbuf_len(&b), 2 * n + 2 + strlen(" 42 x 1.50"));
    const char *s = kw_dynbuf_ptr(&b);
    cr_assert_eq(s[0], '[');
    cr_assert_eq(memcmp(s + 1, big, n), 0);
    cr_assert_eq(strncmp(s + 1 + n, "] 42 x 1.50", 11), 0);
    cr_assert_eq(memcmp(s + n + 2 + 10, big, n), 0);
    free(big);
    kw_dynbuf_free(&b);
}

Test(dynbuf, printf_into_the_room_there_is)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_eq(kw_dynbuf_reserve(&b, 100), KW_DYNBUF_OK);
    char *mem = b.buf;
    for (int i = 0; i < 10; i++)
        cr_assert_eq(kw_dynbuf_appendf(&b, "%d,", i), KW_DYNBUF_OK);
    cr_assert_eq(b.buf, mem, "fits: no growth");
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "0,1,2,3,4,5,6,7,8,9,");
    cr_assert_eq(kw_dynbuf_appendf(&b, "%s", ""), KW_DYNBUF_OK);
    cr_assert_eq(kw_dynbuf_len(&b), 20);
    kw_dynbuf_free(&b);
}

Test(dynbuf, take_hands_over_the_contents)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, 64);
    cr_assert_eq(kw_dynbuf_appendf(&b, "%s-%d", "id", 7), KW_DYNBUF_OK);
    size_t len = 0;
    char *s = kw_dynbuf_take(&b, &len);
    cr_assert_str_eq(s, "id-7");
    cr_assert_eq(len, 4);
    cr_assert_null(b.buf);
    cr_assert_eq(kw_dynbuf_len(&b), 0);
    cr_assert_eq(b.limit, 64, "the limit stays");
    free(s);

    /* Reusable afterwards, and an untouched buffer gives a fresh "". */
    char *empty = kw_dynbuf_take(&b, &len);
    cr_assert_not_null(empty);
    cr_assert_str_eq(empty, "");
    cr_assert_eq(len, 0);
    free(empty);
    cr_assert_eq(kw_dynbuf_append(&b, "again", 5), KW_DYNBUF_OK);
    s = kw_dynbuf_take(&b, NULL);
    cr_assert_str_eq(s, "again");
    free(s);
    kw_dynbuf_free(&b);
}

/* ---- arrays --------------------------------------------------------- */

Test(array, grows_and_keeps_items)
{
    int *items = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 10000; i++) {
        cr_assert_eq(KW_ARRAY_RESERVE(items, cap, n + 1), KW_DYNBUF_OK);
        cr_assert_geq(cap, n + 1);
        items[n++] = i;
    }
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(items[i], i);
    int *before = items;
    cr_assert_eq(KW_ARRAY_RESERVE(items, cap, n), KW_DYNBUF_OK);
    cr_assert_eq(items, before, "fits: no growth");
    free(items);
}

Test(array, a_large_reservation_is_exact)
{
    long *items = NULL;
    size_t cap = 0;
    cr_assert_eq(KW_ARRAY_RESERVE(items, cap, 1000), KW_DYNBUF_OK);
    cr_assert_eq(cap, 1000);
    cr_assert_eq(KW_ARRAY_RESERVE(items, cap, 1001), KW_DYNBUF_OK);
    cr_assert_eq(cap, 2000, "then doubles");
    free(items);
}

Test(array, element_count_overflow_is_refused)
{
    int *items = NULL;
    size_t cap = 0;
    cr_assert_eq(KW_ARRAY_RESERVE(items, cap, 4), KW_DYNBUF_OK);
    int *before = items;
    size_t cap_before = cap;
    cr_assert_eq(KW_ARRAY_RESERVE(items, cap, SIZE_MAX / sizeof(int) + 1), KW_DYNBUF_NO_MEMORY);
    cr_assert_eq(KW_ARRAY_RESERVE(items, cap, SIZE_MAX), KW_DYNBUF_NO_MEMORY);
    cr_assert_eq(items, before);
    cr_assert_eq(cap, cap_before);
    free(items);
}

Test(array, moves_from_an_inline_array_to_the_heap)
{
    struct {
        char *buf;
        size_t cap;
        char inline_buf[8];
    } s;
    s.buf = s.inline_buf;
    s.cap = sizeof(s.inline_buf);
    memcpy(s.buf, "1234567", 8);
    cr_assert_eq(KW_ARRAY_RESERVE_INLINE(s.buf, s.cap, 8, s.inline_buf), KW_DYNBUF_OK);
    cr_assert_eq(s.buf, s.inline_buf, "fits: stays inline");
    cr_assert_eq(KW_ARRAY_RESERVE_INLINE(s.buf, s.cap, 9, s.inline_buf), KW_DYNBUF_OK);
    cr_assert_neq(s.buf, s.inline_buf);
    cr_assert_geq(s.cap, 9);
    cr_assert_str_eq(s.buf, "1234567", "contents moved along");
    cr_assert_eq(KW_ARRAY_RESERVE_INLINE(s.buf, s.cap, 1000, s.inline_buf), KW_DYNBUF_OK);
    cr_assert_str_eq(s.buf, "1234567", "then reallocated");
    free(s.buf);
}
