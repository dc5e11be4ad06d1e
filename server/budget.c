/* The memory model's calculation (include/kw/server/budget.h). Order of
 * derivation: the fixed terms (base, headroom), the work of the threads, the
 * body budget (a third of what is left, at least two bodies' worth), then as
 * many connections as the rest holds. Explicit settings are taken as given
 * and only checked. */
#include "kw/server/budget.h"

#include <stdio.h>

#include "kw/server/arena.h"

#define MIB (1024u * 1024u)

static size_t round_up_mib(size_t n)
{
    return (n + MIB - 1) / MIB * MIB;
}

size_t kw_budget_request_memory(size_t max_request_values, size_t max_body_bytes)
{
    size_t values = max_request_values ? max_request_values : max_body_bytes / 3;
    return round_up_mib(values * KW_ARENA_BYTES_PER_VALUE + 2 * max_body_bytes);
}

static double mib(size_t n)
{
    return (double)n / MIB;
}

static size_t sum(const struct kw_budget *b)
{
    return b->base + b->headroom + (size_t)b->threads * b->request_memory + b->body_budget +
           (size_t)b->max_connections * b->connection_cost;
}

static int refuse(const struct kw_budget *b, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen,
             "--memory-limit %.0f MiB cannot hold %s: base %.0f MiB + %u threads x %.1f MiB "
             "(--threads, --request-memory-bytes) + bodies %.1f MiB (--body-budget-bytes) + "
             "%u connections x %zu KiB (--max-connections) + headroom %.0f MiB = %.1f MiB",
             mib(b->memory_limit), why, mib(b->base), b->threads, mib(b->request_memory),
             mib(b->body_budget), b->max_connections, b->connection_cost / 1024, mib(b->headroom),
             mib(sum(b)));
    return -1;
}

/* What is left of the limit after the terms fixed so far (0 when none). */
static size_t left(const struct kw_budget *b)
{
    size_t used = sum(b);
    return used < b->memory_limit ? b->memory_limit - used : 0;
}

static void derive_threads(const struct kw_budget_input *in, struct kw_budget *b)
{
    if (in->threads) {
        b->threads = in->threads;
        return;
    }
    /* One per core, but the threads' work may take at most half of what the
     * fixed terms leave: a node with many cores does not grow the process. */
    size_t share = left(b) / 2;
    size_t fit = b->request_memory ? share / b->request_memory : 1;
    unsigned cores = in->cores ? in->cores : 1;
    b->threads = fit < 1 ? 1 : fit < cores ? (unsigned)fit : cores;
}

static void derive_bodies(const struct kw_budget_input *in, struct kw_budget *b)
{
    if (in->body_budget) {
        b->body_budget = in->body_budget;
        return;
    }
    /* A third: ordinary reviews are a few KiB, so five largest bodies at
     * once are plenty, and the rest goes to connections (2,000 and more in a
     * 128 MiB pod). */
    size_t third = left(b) / 3 / MIB * MIB;
    size_t least = 2 * in->max_body_bytes;
    b->body_budget = third > least ? third : least;
}

static void derive_connections(const struct kw_budget_input *in, struct kw_budget *b)
{
    if (in->max_connections) {
        b->max_connections = in->max_connections;
        return;
    }
    size_t n = left(b) / b->connection_cost;
    b->max_connections = n > KW_MAX_CONNECTIONS_CAP ? KW_MAX_CONNECTIONS_CAP : (unsigned)n;
}

int kw_budget_derive(const struct kw_budget_input *in, struct kw_budget *out, char *err,
                     size_t errlen)
{
    struct kw_budget b = {
        .memory_limit = in->memory_limit,
        .base = KW_BASE_RSS_BYTES,
        .headroom = in->memory_limit / 16,
        .connection_cost = KW_CONNECTION_COST_BYTES,
    };
    b.request_memory = in->request_memory
                           ? in->request_memory
                           : kw_budget_request_memory(in->max_request_values, in->max_body_bytes);
    derive_threads(in, &b);
    derive_bodies(in, &b);
    derive_connections(in, &b);
    b.body_reserve = b.body_budget / KW_BODY_RESERVE_DIVISOR;
    b.worst_case = sum(&b);
    if (b.worst_case > b.memory_limit)
        return refuse(&b, "every limit reached at once", err, errlen);
    if (b.body_budget - b.body_reserve < in->max_body_bytes)
        return refuse(&b, "one body of --max-body-bytes outside the small-body reserve", err,
                      errlen);
    if (!in->max_connections && b.max_connections < KW_MIN_CONNECTIONS)
        return refuse(&b, "the least number of connections (64)", err, errlen);
    *out = b;
    return 0;
}
