/* Growable memory, written once for the whole tree (in the spirit of curl's
 * dynbuf): a byte buffer with an optional hard limit (struct kw_dynbuf) and
 * the growth step of typed arrays (kw_array_reserve). All size arithmetic is
 * overflow-checked; a failed allocation is a return code and leaves the
 * buffer or array as it was. Nothing here zeroes memory.
 *
 * The "it fits already" checks are static inline so that hot paths (the
 * JSON scanner, field paths) pay one comparison per call; growing is out of
 * line in validators/base/dynbuf.c. */
#ifndef KW_BASE_DYNBUF_H
#define KW_BASE_DYNBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum kw_dynbuf_rc {
    KW_DYNBUF_OK = 0,
    KW_DYNBUF_NO_MEMORY = -1, /* allocation failed, or the size overflows size_t */
    KW_DYNBUF_TOO_BIG = -2,   /* the buffer's limit would be passed */
};

/* ---- byte buffer ------------------------------------------------------ */

#define KW_DYNBUF_UNLIMITED SIZE_MAX

struct kw_dynbuf {
    char *buf;    /* owned; NULL until the first growth, then NUL-terminated at len */
    size_t len;   /* bytes held, not counting the NUL */
    size_t cap;   /* bytes allocated: len + 1 <= cap when buf is not NULL */
    size_t limit; /* the most bytes it may hold (KW_DYNBUF_UNLIMITED: no limit) */
};

/* An empty buffer that will hold at most `limit` bytes. Allocates nothing. */
void kw_dynbuf_init(struct kw_dynbuf *b, size_t limit);

/* Frees the memory; the buffer is empty again (same limit) and reusable. */
void kw_dynbuf_free(struct kw_dynbuf *b);

/* Empties the buffer but keeps its memory for reuse. */
void kw_dynbuf_reset(struct kw_dynbuf *b);

/* Out-of-line part of kw_dynbuf_reserve. */
int kw_dynbuf_grow(struct kw_dynbuf *b, size_t extra);

/* Makes room for `extra` more bytes (and the NUL after them); afterwards
 * kw_dynbuf_room(b) >= extra. KW_DYNBUF_TOO_BIG when len + extra would pass
 * the limit, KW_DYNBUF_NO_MEMORY when memory runs out; either way the buffer
 * is unchanged. */
static inline int kw_dynbuf_reserve(struct kw_dynbuf *b, size_t extra)
{
    if (b->buf && extra < b->cap - b->len)
        return KW_DYNBUF_OK;
    return kw_dynbuf_grow(b, extra);
}

/* The bytes the buffer will have allocated after kw_dynbuf_reserve(b,
 * extra) succeeds (its current capacity when it already has the room), so a
 * caller can account for memory before it is allocated; 0 when that
 * reservation would fail for the limit. */
size_t kw_dynbuf_capacity_after(const struct kw_dynbuf *b, size_t extra);

/* Appends n bytes (borrowed); on error the buffer is unchanged. */
int kw_dynbuf_append(struct kw_dynbuf *b, const void *data, size_t n);

/* Appends printf-style output of any length; on error the buffer is
 * unchanged (a formatting error counts as KW_DYNBUF_TOO_BIG). */
__attribute__((format(printf, 2, 3))) int kw_dynbuf_appendf(struct kw_dynbuf *b, const char *fmt,
                                                            ...);
__attribute__((format(printf, 2, 0))) int kw_dynbuf_vappendf(struct kw_dynbuf *b, const char *fmt,
                                                             va_list ap);

/* For writing in place (read(2) into the buffer): after kw_dynbuf_reserve,
 * write up to kw_dynbuf_room(b) bytes at kw_dynbuf_tail(b), then commit the
 * number written (which must not exceed the room). */
static inline char *kw_dynbuf_tail(struct kw_dynbuf *b)
{
    return b->buf + b->len;
}
static inline size_t kw_dynbuf_room(const struct kw_dynbuf *b)
{
    return b->buf ? b->cap - b->len - 1 : 0;
}
void kw_dynbuf_commit(struct kw_dynbuf *b, size_t n);

/* The contents, NUL-terminated ("" before anything was added); borrowed,
 * valid until the next change. */
static inline const char *kw_dynbuf_ptr(const struct kw_dynbuf *b)
{
    return b->buf ? b->buf : "";
}
static inline size_t kw_dynbuf_len(const struct kw_dynbuf *b)
{
    return b->len;
}

/* Hands the NUL-terminated contents to the caller, who frees them; the
 * buffer is empty again (same limit). An untouched buffer gives a fresh "".
 * NULL only when that allocation fails (the buffer is then unchanged). */
char *kw_dynbuf_take(struct kw_dynbuf *b, size_t *len_out);

/* ---- typed arrays ----------------------------------------------------- */

/* Grows the array *items of *cap elements of elem_size bytes so that at
 * least `need` fit (doubling, so appends cost amortised O(1)). The first
 * `*cap` elements are kept. When *items is `inline_items` (an array inside
 * the caller's struct, which must not be freed), the contents move to the
 * heap; pass NULL when there is none. On failure (KW_DYNBUF_NO_MEMORY, also
 * when need * elem_size overflows) *items and *cap are unchanged. */
int kw_array_grow(void **items, size_t *cap, size_t need, size_t elem_size,
                  const void *inline_items);

static inline int kw_array_reserve(void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return KW_DYNBUF_OK;
    return kw_array_grow(items, cap, need, elem_size, NULL);
}

/* The same for an array that starts in `inline_items` (see kw_array_grow). */
static inline int kw_array_reserve_inline(void **items, size_t *cap, size_t need, size_t elem_size,
                                          const void *inline_items)
{
    if (need <= *cap)
        return KW_DYNBUF_OK;
    return kw_array_grow(items, cap, need, elem_size, inline_items);
}

/* Typed forms: `items` is a T * lvalue, `cap` a size_t lvalue:
 *   if (KW_ARRAY_RESERVE(set->nodes, set->nodes_cap, set->nnodes + 1)) ...fail */
#define KW_ARRAY_RESERVE(items, cap, need)                                                         \
    kw_array_reserve((void **)&(items), &(cap), (need), sizeof(*(items)))
#define KW_ARRAY_RESERVE_INLINE(items, cap, need, inline_items)                                    \
    kw_array_reserve_inline((void **)&(items), &(cap), (need), sizeof(*(items)), (inline_items))

#endif
