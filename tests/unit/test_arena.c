/* The per-request arena (include/kw/server/arena.h): allocations within the
 * budget and NULL past it, free of arena memory does nothing, tagged frees of
 * malloc'd memory on any thread, release and the cached chunk, jansson
 * trees built through it, and the abort (with the pointer and tag on stderr)
 * on a block that is neither. */
#include <criterion/criterion.h>
#include <signal.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "kw/json/json.h"
#include "kw/server/arena.h"
#include "kwtest.h"

static void install(void)
{
    kw_arena_install();
}

static void uninstall(void)
{
    json_set_alloc_funcs(malloc, free);
}

TestSuite(arena, .init = install, .fini = uninstall);

Test(arena, allocations_bump_within_the_budget_and_fail_past_it)
{
    struct kw_arena a;
    kw_arena_init(&a, 1u << 20);
    kw_arena_enter(&a);
    size_t got = 0;
    void *p;
    while ((p = kw_arena_malloc(1000)) != NULL) {
        memset(p, 0xab, 1000);
        got += 1000;
        cr_assert_eq((uintptr_t)p % 16, 0, "16-byte aligned");
    }
    kw_arena_leave();
    cr_expect(a.failed);
    cr_expect_leq(a.mapped, 1u << 20, "mapped %zu", a.mapped);
    cr_expect_geq(got, (1u << 20) - 2 * KW_ARENA_CHUNK_BYTES, "got %zu", got);
    kw_arena_release(&a);
    cr_expect_eq(a.mapped, 0);
    cr_expect_null(a.chunks);
}

Test(arena, one_large_allocation_gets_its_own_chunk)
{
    struct kw_arena a;
    kw_arena_init(&a, 8u << 20);
    kw_arena_enter(&a);
    char *big = kw_arena_malloc(3u << 20);
    cr_assert_not_null(big);
    memset(big, 1, 3u << 20);
    cr_expect_null(kw_arena_malloc(6u << 20), "past the budget");
    kw_arena_leave();
    kw_arena_release(&a);
    /* Even as the first allocation, one past the budget is refused. */
    kw_arena_init(&a, 1u << 20);
    kw_arena_enter(&a);
    cr_expect_null(kw_arena_malloc(3u << 20));
    cr_expect_not_null(kw_arena_malloc(1000), "the standard chunk is still allowed");
    kw_arena_leave();
    kw_arena_release(&a);
}

Test(arena, free_of_arena_memory_does_nothing)
{
    struct kw_arena a;
    kw_arena_init(&a, 1u << 20);
    kw_arena_enter(&a);
    char *x = kw_arena_malloc(64);
    strcpy(x, "still here");
    kw_arena_free(x);
    char *y = kw_arena_malloc(64);
    cr_expect_neq(x, y, "freed arena memory is not reused");
    cr_expect_str_eq(x, "still here");
    kw_arena_leave();
    kw_arena_release(&a);
}

Test(arena, without_a_current_arena_memory_is_malloced_and_freed)
{
    char *p = kw_arena_malloc(100);
    cr_assert_not_null(p);
    memset(p, 0, 100);
    kw_arena_free(p); /* valgrind and ASan see this as free() of the block */
    kw_arena_free(NULL);
}

static void *free_elsewhere(void *ptr)
{
    kw_arena_free(ptr);
    return NULL;
}

static void *alloc_elsewhere(void *unused)
{
    (void)unused;
    return kw_arena_malloc(32);
}

/* A pointer knows what it is, whatever thread frees it and whatever arena
 * is current there. */
Test(arena, tagged_frees_work_across_threads)
{
    struct kw_arena a;
    kw_arena_init(&a, 1u << 20);
    kw_arena_enter(&a);
    void *in_arena = kw_arena_malloc(32);
    pthread_t t;
    void *from_thread = NULL;
    /* Another thread has no current arena: its memory is malloc'd. */
    cr_assert_eq(pthread_create(&t, NULL, alloc_elsewhere, NULL), 0);
    pthread_join(t, &from_thread);
    cr_assert_not_null(from_thread);
    kw_arena_free(from_thread); /* freed here, while this thread has an arena */
    cr_assert_eq(pthread_create(&t, NULL, free_elsewhere, in_arena), 0);
    pthread_join(t, NULL);
    kw_arena_leave();
    void *heap = kw_arena_malloc(48);
    cr_assert_eq(pthread_create(&t, NULL, free_elsewhere, heap), 0);
    pthread_join(t, NULL);
    kw_arena_release(&a);
}

Test(arena, the_standard_chunk_is_kept_for_the_next_request)
{
    struct kw_arena a;
    kw_arena_init(&a, 4u << 20);
    kw_arena_enter(&a);
    char *first = kw_arena_malloc(100);
    kw_arena_leave();
    kw_arena_release(&a);
    kw_arena_enter(&a);
    char *again = kw_arena_malloc(100);
    kw_arena_leave();
    cr_expect_eq(first, again, "the same cached chunk, no new mapping");
    cr_expect_eq(a.mapped, KW_ARENA_CHUNK_BYTES);
    kw_arena_release(&a);
}

/* A jansson tree built and freed in an arena; values made outside it (the
 * config) stay valid and are freed normally. */
Test(arena, jansson_trees_live_in_the_arena)
{
    json_t *kept = json_pack("{s:s}", "made", "outside");
    struct kw_arena a;
    kw_arena_init(&a, 64u << 20);
    kw_arena_enter(&a);
    static const char text[] = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\"}";
    json_t *v = kw_json_decode(text, sizeof text - 1, NULL);
    cr_assert_not_null(v);
    cr_expect_eq(json_array_size(json_object_get(v, "a")), 3);
    json_object_set(v, "outside", kept);
    json_decref(v);
    kw_arena_leave();
    kw_arena_release(&a);
    cr_expect_str_eq(json_string_value(json_object_get(kept, "made")), "outside");
    json_decref(kept);
}

/* Past its budget the arena makes the decoder fail with "not enough
 * memory", which the core turns into a 413. */
Test(arena, a_tree_over_the_budget_fails_to_decode)
{
    size_t n = 200000, len = 2 + 3 * n;
    char *buf = malloc(len);
    buf[0] = '[';
    for (size_t i = 0; i < n; i++)
        memcpy(buf + 1 + 3 * i, i + 1 < n ? "{}," : "{}]", 3);
    struct kw_arena a;
    kw_arena_init(&a, 4u << 20);
    kw_arena_enter(&a);
    struct kw_json_error err;
    json_t *v = kw_json_decode(buf, 1 + 3 * n, &err);
    kw_arena_leave();
    cr_expect_null(v);
    cr_expect_eq(err.failure, KW_JSON_FAIL_NO_MEMORY);
    cr_expect_leq(a.mapped, 4u << 20);
    kw_arena_release(&a);
    free(buf);
}

/* What a tree costs in the arena, for docs/operations.md's memory model. */
Test(arena, cost_per_value)
{
    const char *shapes[] = {"{}", "[]", "1", "\"abcdefgh\"", "{\"k\":\"v\"}"};
    const size_t values[] = {1, 1, 1, 1, 2};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t n = 20000, w = strlen(shapes[s]) + 1, len = 1 + w * n;
        char *buf = malloc(len + 1);
        buf[0] = '[';
        for (size_t i = 0; i < n; i++) {
            memcpy(buf + 1 + w * i, shapes[s], w - 1);
            buf[w * (i + 1)] = i + 1 < n ? ',' : ']';
        }
        struct kw_arena a;
        kw_arena_init(&a, 256u << 20);
        kw_arena_enter(&a);
        json_t *v = kw_json_decode(buf, len, NULL);
        kw_arena_leave();
        cr_assert_not_null(v);
        size_t per_value = a.requested / (n * values[s]);
        fprintf(stderr, "arena cost of %s: %zu bytes per value\n", shapes[s], per_value);
        cr_expect_leq(per_value, KW_ARENA_BYTES_PER_VALUE, "%s", shapes[s]);
        json_decref(v);
        kw_arena_release(&a);
        free(buf);
    }
}

/* Whether `p` lies in one of the process's mappings (/proc/self/maps). */
static bool mapped(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert(f);
    uintptr_t at = (uintptr_t)p;
    bool found = false;
    char line[512];
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && at >= lo && at < hi)
            found = true;
    }
    fclose(f);
    return found;
}

/* Larger chunks stay in the thread's cache for the next request (no fresh
 * pages to fault in), up to KW_ARENA_CACHE_BYTES, until kw_arena_trim. */
Test(arena, larger_chunks_are_cached_until_trimmed)
{
    kw_arena_trim();
    struct kw_arena a;
    kw_arena_init(&a, 64u << 20);
    kw_arena_enter(&a);
    char *big = kw_arena_malloc(1u << 20);
    kw_arena_leave();
    kw_arena_release(&a);
    cr_expect(mapped(big), "kept in the cache");
    kw_arena_enter(&a);
    char *again = kw_arena_malloc(1u << 20);
    kw_arena_leave();
    cr_expect_eq(again, big, "the cached chunk is used again");
    kw_arena_release(&a);
    kw_arena_trim();
    cr_expect_not(mapped(big), "unmapped by the trim");

    kw_arena_enter(&a);
    char *huge = kw_arena_malloc(KW_ARENA_CACHE_BYTES + (1u << 20));
    kw_arena_leave();
    kw_arena_release(&a);
    cr_expect_not(mapped(huge), "larger than the cache: unmapped at once");
}

/* A cached chunk too small for what the arena needs next does not stay
 * mapped beside a fresh one past the budget. */
Test(arena, cached_chunks_count_against_the_budget)
{
    kw_arena_trim();
    struct kw_arena a;
    kw_arena_init(&a, 4u << 20);
    kw_arena_enter(&a);
    char *small = kw_arena_malloc(1u << 20);
    kw_arena_leave();
    kw_arena_release(&a);
    cr_assert(mapped(small));
    kw_arena_enter(&a);
    char *big = kw_arena_malloc(3u << 20);
    kw_arena_leave();
    cr_expect_not_null(big);
    cr_expect_null(a.cached, "the unusable cached chunk was given back first");
    cr_expect_leq(a.mapped, 4u << 20);
    kw_arena_release(&a);
    kw_arena_trim();
}

/* A block with the tag `cls` points to, handed to kw_arena_free. */
static _Alignas(16) unsigned char foreign[64];

static void free_foreign(void *cls)
{
    memcpy(foreign, cls, sizeof(uint64_t));
    kw_arena_free(foreign + 16);
}

Test(arena, a_block_that_is_not_the_allocators_stops_the_process_and_says_why)
{
    uint64_t tag = UINT64_C(0x1122334455667788);
    char err[1024], pointer[32];
    int status = kwt_run_child(free_foreign, &tag, err, sizeof(err));
    cr_assert(WIFSIGNALED(status), "the free returned (status %d)", status);
    cr_expect_eq(WTERMSIG(status), SIGABRT);
    cr_expect(strstr(err, "0x1122334455667788"), "the tag found is not named: %s", err);
    snprintf(pointer, sizeof(pointer), "%p", (void *)(foreign + 16));
    cr_expect(strstr(err, pointer), "the pointer %s is not named: %s", pointer, err);
    cr_expect(strstr(err, "memory corruption"), "%s", err);
}
