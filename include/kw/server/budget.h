/* The memory model of `serve` (docs/operations.md, "Memory model"): what the
 * process may hold at worst, and the defaults derived from the container's
 * memory limit so that every limit reached together still fits under it:
 *
 *   base + threads x request memory + body budget
 *        + connections x KW_CONNECTION_COST_BYTES + headroom <= memory limit
 *
 * A pure calculation (no I/O), unit-tested in tests/unit/test_budget.c. */
#ifndef KW_BUDGET_H
#define KW_BUDGET_H

#include <stddef.h>

/* Resident memory of an idle server (code, libraries, the compiled schemas,
 * TLS, thread stacks touched, malloc arenas), measured at 10.5 MiB on a 2-core
 * Debian 12 VM (docs/operations.md), with margin. */
#define KW_BASE_RSS_BYTES (16u << 20)
/* What one open connection holds: libmicrohttpd's memory pool
 * (KW_CONNECTION_MEMORY_BYTES, 8 KiB), the GnuTLS session and the
 * connection's own state. Measured on a 2-core Debian 12 VM with 500
 * connections of each kind: 19 KiB for a TLS connection (handshake done, or
 * idle after a request), 13 KiB for a silent TCP one (docs/operations.md,
 * "Memory per connection"); counted as 20 KiB. */
#define KW_CONNECTION_COST_BYTES (20u * 1024u)
/* The derived connection cap never exceeds this (the file-descriptor limit
 * and libmicrohttpd's epoll loop stay comfortable below it). */
#define KW_MAX_CONNECTIONS_CAP 10000u
/* Below this many connections the server refuses to start: a cluster's API
 * servers alone keep dozens open. */
#define KW_MIN_CONNECTIONS 64u
/* The small-body reserve: a share (1/KW_BODY_RESERVE_DIVISOR) of the body
 * budget only bodies up to KW_SMALL_BODY_BYTES may use, so ordinary reviews
 * are served while large bodies hold the rest. */
#define KW_BODY_RESERVE_DIVISOR 8u
#define KW_SMALL_BODY_BYTES     (64u * 1024u)

struct kw_budget_input {
    size_t memory_limit;       /* bytes; the container's limit */
    unsigned threads;          /* 0: derive, up to `cores` */
    unsigned cores;            /* usable cores (the default thread count) */
    size_t max_body_bytes;     /* one request body at most */
    size_t max_request_values; /* the core's value limit (0: none) */
    size_t request_memory;     /* per-request arena budget; 0: derive */
    size_t body_budget;        /* all buffered bodies together; 0: derive */
    unsigned max_connections;  /* 0: derive */
};

struct kw_budget {
    size_t memory_limit;
    size_t base;           /* KW_BASE_RSS_BYTES */
    size_t headroom;       /* a sixteenth of the limit: fragmentation, logs, metrics */
    unsigned threads;      /* worker threads, each with one request in the core */
    size_t request_memory; /* per thread: the arena budget */
    size_t body_budget;    /* all buffered bodies */
    size_t body_reserve;   /* the part of it only small bodies may use */
    unsigned max_connections;
    size_t connection_cost; /* KW_CONNECTION_COST_BYTES */
    size_t worst_case;      /* the sum of the model's terms */
};

/* The per-request arena budget a value limit and a body limit need: every
 * value at its costliest (KW_ARENA_BYTES_PER_VALUE) plus twice the body (the
 * strings of the tree and the copies the rules and the response make),
 * rounded up to a MiB. With no value limit, the body's worth of `{}` values. */
size_t kw_budget_request_memory(size_t max_request_values, size_t max_body_bytes);

/* Derives what `in` leaves at 0 and checks that the whole fits. Returns 0
 * with `out` filled, or -1 with a message naming the settings in err (such
 * as "--memory-limit 64 MiB cannot hold ...: base 16 MiB + 2 threads x 22
 * MiB + ..."). */
int kw_budget_derive(const struct kw_budget_input *in, struct kw_budget *out, char *err,
                     size_t errlen);

#endif
