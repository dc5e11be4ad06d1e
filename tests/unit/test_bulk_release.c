/* kw_handle_bulk (include/kw/admission/core.h) in the server's per-request
 * arena: every value of a decoded review and of its result lives in the
 * arena, so leaving them to kw_arena_release loses nothing; no reference to
 * a long-lived value (the compiled schemas) stays raised after a request,
 * whatever it ends with (200, 400, 413, the arena's budget exhausted); and
 * the replies are those of kw_handle. Inputs: the review fuzz corpus, both
 * webhooks. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/server/arena.h"
#include "kw/server/runtime.h"
#include "kwtest.h"

#define BUDGET (64u << 20)

/* jansson's allocator for these tests: the arena's, counting the blocks
 * that are malloc'd (made while no arena is current). */
static struct kw_arena arena;
static bool in_arena;
static long live_malloced;

static void *counting_malloc(size_t n)
{
    void *p = kw_arena_malloc(n);
    if (p && !in_arena)
        live_malloced++;
    return p;
}

static void counting_free(void *p)
{
    if (p && !(in_arena && kw_arena_holds(&arena, p)))
        live_malloced--;
    kw_arena_free(p);
}

static void install(void)
{
    json_set_alloc_funcs(counting_malloc, counting_free);
}

static void uninstall(void)
{
    json_set_alloc_funcs(malloc, free);
}

TestSuite(bulk_release, .init = install, .fini = uninstall);

static void enter(size_t budget)
{
    kw_arena_init(&arena, budget);
    kw_arena_enter(&arena);
    in_arena = true;
}

static void leave(void)
{
    kw_arena_leave();
    in_arena = false;
    kw_arena_release(&arena);
}

/* The review corpus: each file's bytes, `*n` of them. */
static char **corpus(size_t *n, size_t **lens)
{
    const char *source = getenv("KW_SOURCE_DIR");
    cr_assert_not_null(source, "KW_SOURCE_DIR is not set");
    char path[1024];
    snprintf(path, sizeof(path), "%s/fuzz/corpus/review", source);
    DIR *d = opendir(path);
    cr_assert_not_null(d, "%s", path);
    char **bodies = NULL;
    *n = 0;
    *lens = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char rel[512];
        snprintf(rel, sizeof(rel), "fuzz/corpus/review/%s", e->d_name);
        bodies = realloc(bodies, (*n + 1) * sizeof(*bodies));
        *lens = realloc(*lens, (*n + 1) * sizeof(**lens));
        cr_assert(bodies && *lens);
        bodies[*n] = kwt_read_source(rel, &(*lens)[*n]);
        (*n)++;
    }
    closedir(d);
    cr_assert_gt(*n, 50);
    return bodies;
}

static void free_corpus(char **bodies, size_t n, size_t *lens)
{
    for (size_t i = 0; i < n; i++)
        free(bodies[i]);
    free(bodies);
    free(lens);
}

/* Whether every value of `v` is in the arena (true, false and null are
 * jansson's static singletons, whose reference counts never change). */
static bool all_in_arena(json_t *v)
{
    if (!v || json_is_true(v) || json_is_false(v) || json_is_null(v))
        return true;
    if (!kw_arena_holds(&arena, v))
        return false;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) if (!all_in_arena(m)) return false;
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) if (!all_in_arena(m)) return false;
    }
    return true;
}

/* kw_handle_bulk's steps, keeping the trees to look at them. */
Test(bulk_release, every_value_of_a_review_and_its_result_lives_in_the_arena)
{
    struct kw_runtime rt;
    char err[512];
    cr_assert_eq(kw_runtime_init(&rt, NULL, err, sizeof(err)), 0, "%s", err);
    size_t n, *lens, checked = 0, ops = 0;
    char **bodies = corpus(&n, &lens);
    for (size_t i = 0; i < n; i++) {
        for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
            enter(BUDGET);
            struct kw_review rv;
            char rerr[KW_ERRLEN];
            if (kw_review_decode_limited(bodies[i], lens[i], rt.cfg.max_request_values, &rv,
                                         rerr) == 0) {
                struct kw_result res;
                kw_result_init(&res);
                kw_evaluate(&rt.cfg, (enum kw_webhook)hook, &rv, &res);
                cr_expect(all_in_arena(rv.root), "input %zu: the review", i);
                for (size_t k = 0; k < res.nops; k++, ops++)
                    cr_expect(all_in_arena(res.ops[k].value), "input %zu: patch value %zu", i, k);
                kw_result_forget_values(&res);
                kw_result_free(&res);
                checked++;
            }
            leave();
        }
    }
    cr_expect_gt(checked, 100);
    cr_expect_gt(ops, 20, "the corpus has patches to check");
    free_corpus(bodies, n, lens);
    kw_runtime_free(&rt);
}

/* Everything malloc'd for the config and schemas is freed with them: a
 * request that had raised a reference count of theirs and left its trees to
 * the arena would keep a schema value alive. */
Test(bulk_release, no_reference_outside_the_request_is_left_raised_and_replies_are_unchanged)
{
    long before = live_malloced;
    struct kw_runtime rt;
    char err[512];
    cr_assert_eq(kw_runtime_init(&rt, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_gt(live_malloced, before, "the schemas are jansson values");
    size_t n, *lens;
    char **bodies = corpus(&n, &lens);
    for (size_t i = 0; i < n; i++) {
        for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
            struct kw_outcome each, bulk;
            kw_handle(&rt.cfg, (enum kw_webhook)hook, bodies[i], lens[i], &each);
            enter(BUDGET);
            kw_handle_bulk(&rt.cfg, (enum kw_webhook)hook, bodies[i], lens[i], &bulk);
            leave();
            cr_expect_eq(bulk.http_status, each.http_status, "input %zu", i);
            cr_expect(bulk.body_len == each.body_len &&
                          memcmp(bulk.body, each.body, each.body_len) == 0,
                      "input %zu: %.*s", i, (int)bulk.body_len, bulk.body);
            kw_outcome_free(&each);
            kw_outcome_free(&bulk);
        }
    }
    free_corpus(bodies, n, lens);
    kw_runtime_free(&rt);
    cr_expect_eq(live_malloced, before, "jansson blocks outside the arena left: %ld",
                 live_malloced - before);
}

/* A request that fails midway leaves its partial trees to the arena too. */
Test(bulk_release, failed_requests_are_released_with_the_arena)
{
    long before = live_malloced;
    struct kw_runtime rt;
    char err[512];
    cr_assert_eq(kw_runtime_init(&rt, NULL, err, sizeof(err)), 0, "%s", err);
    /* 20000 empty objects: past the value limit, and past one chunk. */
    size_t items = 20000, len = 0;
    static const char head[] =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"u\",\"operation\":\"CREATE\",\"kind\":{\"group\":\"volsync.backube\","
        "\"version\":\"v1alpha1\",\"kind\":\"ReplicationSource\"},\"object\":{\"items\":[";
    char *big = malloc(sizeof(head) + 3 * items + 8);
    cr_assert_not_null(big);
    memcpy(big, head, sizeof(head) - 1);
    len = sizeof(head) - 1;
    for (size_t i = 0; i < items; i++, len += 3)
        memcpy(big + len, i + 1 < items ? "{}," : "{}]", 3);
    memcpy(big + len, "}}}", 3);
    len += 3;
    static const char broken[] = "{\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":[1,";
    struct {
        const char *body;
        size_t len, max_values, budget;
        int status;
    } cases[] = {
        {broken, sizeof(broken) - 1, 0, BUDGET, 400}, /* undecodable */
        {big, len, 1000, BUDGET, 413},                /* too many values */
        {big, len, 0, KW_ARENA_CHUNK_BYTES, 413},     /* the arena's budget */
        {big, len, 0, BUDGET, 200},                   /* fits: decoded and judged */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kw_config cfg = rt.cfg;
        cfg.max_request_values = cases[i].max_values;
        struct kw_outcome out;
        enter(cases[i].budget);
        kw_handle_bulk(&cfg, KW_HOOK_VALIDATE, cases[i].body, cases[i].len, &out);
        leave();
        cr_expect_eq(out.http_status, cases[i].status, "case %zu: %.*s", i, (int)out.body_len,
                     out.body);
        kw_outcome_free(&out);
    }
    free(big);
    kw_runtime_free(&rt);
    cr_expect_eq(live_malloced, before);
}
