/* The memory model's calculation (include/kw/server/budget.h): the defaults
 * derived from a 128 MiB limit, every derived value moving with the limit,
 * explicit settings taken as given, threads capped on many-core nodes, and
 * the refusals with the calculation in the message. */
#include <criterion/criterion.h>
#include <string.h>

#include "kw/kopia/config.h"
#include "kw/server/arena.h"
#include "kw/server/budget.h"
#include "kw/server/server.h"

#define MIB (1024u * 1024u)

static struct kw_budget_input defaults(size_t limit, unsigned cores)
{
    return (struct kw_budget_input){
        .memory_limit = limit,
        .cores = cores,
        .max_body_bytes = KW_DEFAULT_MAX_BODY_BYTES,
        .max_request_values = KW_DEFAULT_MAX_REQUEST_VALUES,
    };
}

static size_t total(const struct kw_budget *b)
{
    return b->base + b->headroom + b->threads * b->request_memory + b->body_budget +
           (size_t)b->max_connections * b->connection_cost;
}

Test(budget, the_defaults_of_a_128_MiB_pod)
{
    struct kw_budget_input in = defaults(128 * MIB, 2);
    struct kw_budget b;
    char err[512] = "";
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), 0, "%s", err);
    /* 50,000 values x 272 bytes + 2 x 4 MiB, rounded up. */
    cr_expect_eq(b.request_memory, 21 * MIB);
    cr_expect_eq(b.threads, 2);
    cr_expect_eq(b.headroom, 8 * MIB);
    cr_expect_eq(b.body_budget, 20 * MIB);
    cr_expect_eq(b.body_reserve, b.body_budget / 8);
    cr_expect_eq(b.max_connections, 2150);
    cr_expect_leq(total(&b), 128 * MIB);
    cr_expect_eq(b.worst_case, total(&b));
    cr_expect_geq(b.body_budget - b.body_reserve, KW_DEFAULT_MAX_BODY_BYTES,
                  "one largest body fits outside the reserve");
}

Test(budget, the_worst_case_never_passes_the_limit)
{
    for (size_t limit = 64 * MIB; limit <= 4096 * MIB; limit += 32 * MIB) {
        for (unsigned cores = 1; cores <= 64; cores *= 2) {
            struct kw_budget_input in = defaults(limit, cores);
            struct kw_budget b;
            char err[512];
            if (kw_budget_derive(&in, &b, err, sizeof err) != 0)
                continue;
            cr_expect_leq(total(&b), limit, "limit %zu MiB, %u cores", limit / MIB, cores);
            cr_expect_geq(b.threads, 1);
            cr_expect_leq(b.threads, cores);
            cr_expect_geq(b.max_connections, KW_MIN_CONNECTIONS);
            cr_expect_leq(b.max_connections, KW_MAX_CONNECTIONS_CAP);
        }
    }
}

Test(budget, many_cores_do_not_grow_the_process_past_the_limit)
{
    struct kw_budget_input in = defaults(128 * MIB, 64);
    struct kw_budget b;
    char err[512];
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), 0, "%s", err);
    cr_expect_eq(b.threads, 2, "threads %u", b.threads);
    in.memory_limit = 1024 * MIB;
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), 0, "%s", err);
    cr_expect_gt(b.threads, 2);
    cr_expect_gt(b.body_budget, 20 * MIB);
    cr_expect_gt(b.max_connections, 2150);
}

Test(budget, explicit_settings_are_kept)
{
    struct kw_budget_input in = defaults(256 * MIB, 2);
    in.threads = 3;
    in.request_memory = 10 * MIB;
    in.body_budget = 40 * MIB;
    in.max_connections = 1000;
    struct kw_budget b;
    char err[512];
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), 0, "%s", err);
    cr_expect_eq(b.threads, 3);
    cr_expect_eq(b.request_memory, 10 * MIB);
    cr_expect_eq(b.body_budget, 40 * MIB);
    cr_expect_eq(b.max_connections, 1000);
}

Test(budget, settings_that_cannot_fit_are_refused_with_the_calculation)
{
    struct kw_budget_input in = defaults(64 * MIB, 2);
    in.max_connections = 5000;
    struct kw_budget b;
    char err[512] = "";
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), -1);
    cr_expect(strstr(err, "--memory-limit 64 MiB cannot hold every limit reached at once: base 16 "
                          "MiB + 1 threads x 21.0 MiB"),
              "%s", err);
    cr_expect(strstr(err, "5000 connections x 20 KiB (--max-connections)"), "%s", err);

    in = defaults(128 * MIB, 2);
    in.body_budget = 4 * MIB; /* 7/8 of it cannot hold one 4 MiB body */
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), -1);
    cr_expect(strstr(err, "one body of --max-body-bytes outside the small-body reserve"), "%s",
              err);

    in = defaults(128 * MIB, 2);
    in.body_budget = 61 * MIB; /* leaves room for 25 connections */
    cr_assert_eq(kw_budget_derive(&in, &b, err, sizeof err), -1);
    cr_expect(strstr(err, "the least number of connections (64)"), "%s", err);
}

Test(budget, request_memory_follows_the_value_and_body_limits)
{
    cr_expect_eq(kw_budget_request_memory(50000, 4 * MIB), 21 * MIB);
    cr_expect_eq(kw_budget_request_memory(10000, 1 * MIB),
                 (10000 * KW_ARENA_BYTES_PER_VALUE + 2 * MIB + MIB - 1) / MIB * MIB);
    /* No value limit: the body's worth of `{}` values (3 bytes each). */
    cr_expect_geq(kw_budget_request_memory(0, 3 * MIB), MIB * KW_ARENA_BYTES_PER_VALUE);
}
