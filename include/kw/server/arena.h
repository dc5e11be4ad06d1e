/* A per-request memory arena for jansson, so that what the core builds for
 * one review (the decoded tree, its copies and the response tree) is bounded
 * by a byte budget and goes back to the operating system in one step.
 *
 * kw_arena_install() makes kw_arena_malloc/kw_arena_free jansson's allocator
 * (json_set_alloc_funcs), once at start, before any jansson value exists. A
 * thread then sets a "current arena" around the core's work
 * (kw_arena_enter ... kw_arena_leave) and releases it afterwards:
 *
 *   - with a current arena, an allocation bumps from the arena's chunks
 *     (mmap'd; the first one is the thread's cached chunk, so an ordinary
 *     review maps nothing), and NULL comes back once the chunks would pass
 *     the budget; kw_arena_free of such memory does nothing;
 *   - without one (config, schemas, other threads), it is malloc'd and
 *     kw_arena_free frees it.
 *
 * Every allocation carries a 16-byte header saying which it is, so a value
 * may be freed on any thread whether or not an arena is current there. A
 * pointer whose header is neither (memory corruption, a second free of
 * malloc'd memory) stops the process with abort(), after a line on stderr
 * giving the pointer and the tag found. A value from an arena must not be
 * used after kw_arena_release, which is what frees the request's trees: the
 * server calls the core through kw_handle_bulk
 * (include/kw/admission/core.h), which leaves them to it rather than freeing
 * them value by value, and the core's response text is malloc'd. */
#ifndef KW_ARENA_H
#define KW_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* The size of the chunk each thread keeps between requests, and the least a
 * chunk is mapped with. */
#define KW_ARENA_CHUNK_BYTES (256u * 1024u)
/* The most each thread's cache of larger chunks keeps between requests. */
#define KW_ARENA_CACHE_BYTES (4u * 1024u * 1024u)

/* The most a decoded JSON value costs in an arena (jansson 2.14, headers
 * and the arrays' growth included): an empty object, measured 266 bytes
 * (tests/unit/test_arena.c cost_per_value); an empty array costs 170, a
 * number 74, an 8-byte string 106. The memory model sizes the per-request
 * budget with it (include/kw/server/budget.h). */
#define KW_ARENA_BYTES_PER_VALUE 272u

struct kw_arena_chunk;

struct kw_arena {
    struct kw_arena_chunk *chunks; /* owned, newest first */
    char *next, *end;              /* the free part of the newest chunk */
    size_t budget;                 /* the most bytes its chunks may map */
    size_t mapped;                 /* bytes its chunks map now */
    size_t requested;              /* bytes asked for (headers and rounding included) */
    int failed;                    /* an allocation was refused */
    struct kw_arena_chunk *cached; /* owned: the thread's cached chunks not yet used */
    int took_cache;                /* `cached` was taken from the thread's cache */
};

/* Installs the allocator into jansson. Call once, before any jansson value
 * is made (they would otherwise be freed through the wrong function). */
void kw_arena_install(void);

/* An empty arena with a budget of `budget_bytes` (one standard chunk is
 * always allowed, whatever the budget). Maps nothing yet. */
void kw_arena_init(struct kw_arena *a, size_t budget_bytes);

/* Makes `a` the calling thread's current arena (borrowed until leave). */
void kw_arena_enter(struct kw_arena *a);
/* The calling thread has no current arena again. */
void kw_arena_leave(void);

/* Returns every chunk of `a`: a standard chunk becomes the thread's spare
 * for the next request (when the thread has none); larger chunks go to the
 * thread's cache, up to KW_ARENA_CACHE_BYTES (the rest is unmapped), so that
 * a stream of large reviews does not fault in fresh pages for each one. `a`
 * is empty afterwards and may be used again. */
void kw_arena_release(struct kw_arena *a);

/* Unmaps every thread's cache of larger chunks (not the standard spares):
 * the server calls it once a second, so memory a burst of large reviews
 * used goes back within a second of it. Safe from any thread. */
void kw_arena_trim(void);

/* Whether `p` points into one of the chunks `a` maps now: for checks that a
 * tree lives wholly in an arena (tests/unit/test_bulk_release.c). */
bool kw_arena_holds(const struct kw_arena *a, const void *p);

/* jansson's allocator (also usable directly): see above. */
void *kw_arena_malloc(size_t n);
void kw_arena_free(void *p);

#endif
