/* The per-request arena behind jansson's allocator (include/kw/server/arena.h):
 * tagged allocations, bump allocation from mmap'd chunks under a budget, one
 * standard chunk kept per thread (freed by a thread-exit destructor), and a
 * per-thread cache of larger chunks that kw_arena_trim empties. */
#include "kw/server/arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* What the 16 bytes before every pointer say about it. */
#define TAG_ARENA  UINT64_C(0x6b774172656e6121) /* "kwArena!" */
#define TAG_MALLOC UINT64_C(0x6b774d616c6c6f63) /* "kwMalloc" */
#define HEADER     16u

struct kw_arena_chunk {
    struct kw_arena_chunk *next;
    size_t size; /* bytes mapped, this header included */
};

/* The chunk data starts 16-byte aligned after the chunk header. */
#define CHUNK_HEADER ((sizeof(struct kw_arena_chunk) + 15u) & ~(size_t)15u)

static _Thread_local struct kw_arena *current;
static _Thread_local struct kw_arena_chunk *spare; /* this thread's cached chunk */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

/* The larger chunks each thread's last requests left, one list per thread:
 * only the owning thread puts a list in (kw_arena_release), and either it or
 * kw_arena_trim takes the whole list out, so a list always has one owner. */
#define MAX_CACHES 256
static _Atomic(struct kw_arena_chunk *) caches[MAX_CACHES];
static atomic_uint ncaches;
static _Thread_local int my_cache = -1; /* index in caches; -2: none left */

static void unmap(struct kw_arena_chunk *c)
{
    munmap(c, c->size);
}

/* At thread exit: the thread's cached chunk goes back. */
static void drop_spare(void *chunk)
{
    if (chunk)
        unmap(chunk);
}

static void make_spare_key(void)
{
    (void)pthread_key_create(&spare_key, drop_spare);
}

static void keep_spare(struct kw_arena_chunk *c)
{
    pthread_once(&spare_once, make_spare_key);
    spare = c;
    (void)pthread_setspecific(spare_key, c);
}

static struct kw_arena_chunk *take_spare(void)
{
    struct kw_arena_chunk *c = spare;
    if (c) {
        spare = NULL;
        (void)pthread_setspecific(spare_key, NULL);
    }
    return c;
}

/* This thread's cache list, or NULL when every slot is taken. */
static _Atomic(struct kw_arena_chunk *) *cache_slot(void)
{
    if (my_cache == -1) {
        unsigned i = atomic_fetch_add(&ncaches, 1);
        my_cache = i < MAX_CACHES ? (int)i : -2;
    }
    return my_cache >= 0 ? &caches[my_cache] : NULL;
}

static void unmap_list(struct kw_arena_chunk *c)
{
    while (c) {
        struct kw_arena_chunk *next = c->next;
        unmap(c);
        c = next;
    }
}

/* A chunk of the thread's cache (taken once per arena) with room for
 * `need` that the budget allows, or NULL. */
static struct kw_arena_chunk *take_cached(struct kw_arena *a, size_t need)
{
    if (!a->took_cache) {
        _Atomic(struct kw_arena_chunk *) *slot = cache_slot();
        a->cached = slot ? atomic_exchange(slot, NULL) : NULL;
        a->took_cache = 1;
    }
    for (struct kw_arena_chunk **p = &a->cached; *p; p = &(*p)->next) {
        struct kw_arena_chunk *c = *p;
        if (c->size - CHUNK_HEADER >= need && a->mapped + c->size <= a->budget) {
            *p = c->next;
            return c;
        }
    }
    return NULL;
}

static void *tagged(void *block, uint64_t tag)
{
    *(uint64_t *)block = tag;
    return (char *)block + HEADER;
}

static size_t page_round(size_t n)
{
    return (n + 4095u) & ~(size_t)4095u;
}

/* Maps a chunk for at least `need` more bytes; NULL past the budget. */
static struct kw_arena_chunk *new_chunk(struct kw_arena *a, size_t need)
{
    struct kw_arena_chunk *c = NULL;
    if (!a->chunks && need <= KW_ARENA_CHUNK_BYTES - CHUNK_HEADER)
        c = take_spare();
    if (!c && (a->chunks || need > KW_ARENA_CHUNK_BYTES - CHUNK_HEADER))
        c = take_cached(a, need);
    if (!c) {
        /* Each chunk at least doubles the arena, so a tree of N bytes maps
         * O(log N) chunks; never less than the standard chunk. */
        size_t size = a->mapped > KW_ARENA_CHUNK_BYTES ? a->mapped : KW_ARENA_CHUNK_BYTES;
        if (size < need + CHUNK_HEADER)
            size = need + CHUNK_HEADER;
        size = page_round(size);
        bool standard = !a->chunks && size == KW_ARENA_CHUNK_BYTES; /* always allowed */
        if (!standard && a->mapped + size > a->budget) {
            /* The last chunk may be smaller: whatever fits the budget. */
            size = a->budget > a->mapped ? page_round(need + CHUNK_HEADER) : SIZE_MAX;
            if (size == SIZE_MAX || a->mapped + size > a->budget)
                return NULL;
        }
        /* Cached chunks too small for this arena's needs count against its
         * budget while mapped: give them back before mapping more. */
        unmap_list(a->cached);
        a->cached = NULL;
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        c = m;
        c->size = size;
    }
    c->next = a->chunks;
    a->chunks = c;
    a->mapped += c->size;
    a->next = (char *)c + CHUNK_HEADER;
    a->end = (char *)c + c->size;
    return c;
}

static void *arena_alloc(struct kw_arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t need = (n + HEADER + 15u) & ~(size_t)15u;
    if ((size_t)(a->end - a->next) < need && !new_chunk(a, need)) {
        a->failed = 1;
        return NULL;
    }
    void *block = a->next;
    a->next += need;
    a->requested += need;
    return tagged(block, TAG_ARENA);
}

/* A block whose tag is neither: memory corruption (an arena value used
 * after its arena was released and its chunk reused, a double free, a
 * block from another allocator). Says what it found on stderr, with one
 * write(2) and no allocation since the heap may be what is broken, then
 * stops the process before the damage spreads. */
static _Noreturn void refuse_free(const void *p, uint64_t tag)
{
    char line[200];
    int n = snprintf(line, sizeof(line),
                     "kopia-webhook: fatal: jansson freed %p, whose tag 0x%016" PRIx64
                     " is neither the arena's (0x%016" PRIx64 ") nor malloc's (0x%016" PRIx64
                     "): memory corruption; aborting\n",
                     p, tag, TAG_ARENA, TAG_MALLOC);
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    abort();
}

void *kw_arena_malloc(size_t n)
{
    if (current)
        return arena_alloc(current, n);
    if (n > SIZE_MAX - HEADER)
        return NULL;
    void *block = malloc(n + HEADER);
    return block ? tagged(block, TAG_MALLOC) : NULL;
}

void kw_arena_free(void *p)
{
    if (!p)
        return;
    char *block = (char *)p - HEADER;
    if (*(uint64_t *)block == TAG_MALLOC) {
        *(uint64_t *)block = 0; /* a second free would be caught, not followed */
        free(block);
        return;
    }
    if (*(uint64_t *)block != TAG_ARENA)
        refuse_free(p, *(uint64_t *)block);
}

bool kw_arena_holds(const struct kw_arena *a, const void *p)
{
    for (const struct kw_arena_chunk *c = a->chunks; c; c = c->next)
        if ((const char *)p >= (const char *)c + CHUNK_HEADER &&
            (const char *)p < (const char *)c + c->size)
            return true;
    return false;
}

void kw_arena_install(void)
{
    json_set_alloc_funcs(kw_arena_malloc, kw_arena_free);
}

void kw_arena_init(struct kw_arena *a, size_t budget_bytes)
{
    *a = (struct kw_arena){.budget = budget_bytes};
}

void kw_arena_enter(struct kw_arena *a)
{
    current = a;
}

void kw_arena_leave(void)
{
    current = NULL;
}

void kw_arena_release(struct kw_arena *a)
{
    /* The standard chunk becomes the thread's spare; the others join what
     * is left of the cache, which keeps up to KW_ARENA_CACHE_BYTES. */
    struct kw_arena_chunk *keep = a->cached, *c = a->chunks;
    while (c) {
        struct kw_arena_chunk *next = c->next;
        if (!spare && c->size == KW_ARENA_CHUNK_BYTES) {
            keep_spare(c);
        } else {
            c->next = keep;
            keep = c;
        }
        c = next;
    }
    _Atomic(struct kw_arena_chunk *) *slot = keep ? cache_slot() : NULL;
    if (slot) {
        /* Whatever the slot still holds (an arena that never took it). */
        struct kw_arena_chunk *old = atomic_exchange(slot, NULL);
        while (old) {
            struct kw_arena_chunk *next = old->next;
            old->next = keep;
            keep = old;
            old = next;
        }
        size_t bytes = 0;
        struct kw_arena_chunk **p = &keep;
        while (*p && bytes + (*p)->size <= KW_ARENA_CACHE_BYTES) {
            bytes += (*p)->size;
            p = &(*p)->next;
        }
        unmap_list(*p);
        *p = NULL;
        atomic_store(slot, keep);
    } else {
        unmap_list(keep);
    }
    kw_arena_init(a, a->budget);
}

void kw_arena_trim(void)
{
    unsigned n = atomic_load(&ncaches);
    for (unsigned i = 0; i < n && i < MAX_CACHES; i++)
        unmap_list(atomic_exchange(&caches[i], NULL));
}
