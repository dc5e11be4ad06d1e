/* The growth of kw_dynbuf byte buffers and of typed arrays
 * (include/kw/base/dynbuf.h): capacity arithmetic that cannot overflow, one
 * realloc per doubling, and buffers left intact when memory runs out. */
#include "kw/base/dynbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DYNBUF_FIRST      64  /* bytes of a buffer's first allocation */
#define ARRAY_FIRST_BYTES 256 /* an array's first allocation, at least 8 items */

/* The capacity to grow to from `cap` for at least `need` (<= most): double
 * the old one, or `first` when empty, or `need` when that is more; never
 * above `most`. A large first reservation is allocated exactly. */
static size_t next_cap(size_t cap, size_t need, size_t first, size_t most)
{
    size_t ncap = cap == 0 ? first : cap > most / 2 ? most : cap * 2;
    if (ncap < need)
        ncap = need;
    return ncap < most ? ncap : most;
}

/* ---- byte buffer ---------------------------------------------------- */

void kw_dynbuf_init(struct kw_dynbuf *b, size_t limit)
{
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

void kw_dynbuf_free(struct kw_dynbuf *b)
{
    free(b->buf);
    kw_dynbuf_init(b, b->limit);
}

void kw_dynbuf_reset(struct kw_dynbuf *b)
{
    b->len = 0;
    if (b->buf)
        b->buf[0] = 0;
}

/* The capacity a reservation of `extra` more bytes needs (the buffer's own
 * when it has room), or 0 with the reason in *rc. */
static size_t wanted_cap(const struct kw_dynbuf *b, size_t extra, int *rc)
{
    *rc = KW_DYNBUF_OK;
    if (extra > b->limit - b->len) { /* unlimited: len + extra overflows */
        *rc = b->limit == KW_DYNBUF_UNLIMITED ? KW_DYNBUF_NO_MEMORY : KW_DYNBUF_TOO_BIG;
        return 0;
    }
    size_t need = b->len + extra; /* <= limit, so no overflow */
    if (need == SIZE_MAX) {
        *rc = KW_DYNBUF_NO_MEMORY; /* no room for the NUL */
        return 0;
    }
    need++;
    if (b->buf && need <= b->cap)
        return b->cap;
    size_t most = b->limit < SIZE_MAX ? b->limit + 1 : SIZE_MAX;
    return next_cap(b->cap, need, DYNBUF_FIRST, most);
}

size_t kw_dynbuf_capacity_after(const struct kw_dynbuf *b, size_t extra)
{
    int rc;
    return wanted_cap(b, extra, &rc);
}

int kw_dynbuf_grow(struct kw_dynbuf *b, size_t extra)
{
    int rc;
    size_t ncap = wanted_cap(b, extra, &rc);
    if (rc != KW_DYNBUF_OK)
        return rc;
    if (b->buf && ncap == b->cap)
        return KW_DYNBUF_OK;
    char *p = realloc(b->buf, ncap);
    if (!p)
        return KW_DYNBUF_NO_MEMORY;
    if (!b->buf)
        p[0] = 0;
    b->buf = p;
    b->cap = ncap;
    return KW_DYNBUF_OK;
}

int kw_dynbuf_append(struct kw_dynbuf *b, const void *data, size_t n)
{
    int rc = kw_dynbuf_reserve(b, n);
    if (rc != KW_DYNBUF_OK)
        return rc;
    if (n)
        memcpy(b->buf + b->len, data, n);
    kw_dynbuf_commit(b, n);
    return KW_DYNBUF_OK;
}

void kw_dynbuf_commit(struct kw_dynbuf *b, size_t n)
{
    if (!b->buf)
        return; /* nothing was reserved, so nothing was written */
    b->len += n;
    b->buf[b->len] = 0;
}

int kw_dynbuf_vappendf(struct kw_dynbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    /* First try the room there is; most appends fit. */
    size_t room = kw_dynbuf_room(b);
    int n = vsnprintf(b->buf ? kw_dynbuf_tail(b) : NULL, b->buf ? room + 1 : 0, fmt, ap);
    int rc = KW_DYNBUF_OK;
    if (n < 0) {
        rc = KW_DYNBUF_TOO_BIG;
    } else if ((size_t)n > room) {
        rc = kw_dynbuf_reserve(b, (size_t)n);
        if (rc == KW_DYNBUF_OK)
            vsnprintf(kw_dynbuf_tail(b), (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (rc != KW_DYNBUF_OK) {
        if (b->buf)
            b->buf[b->len] = 0; /* undo a cut-off first attempt */
        return rc;
    }
    kw_dynbuf_commit(b, (size_t)n);
    return KW_DYNBUF_OK;
}

int kw_dynbuf_appendf(struct kw_dynbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kw_dynbuf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *kw_dynbuf_take(struct kw_dynbuf *b, size_t *len_out)
{
    char *out = b->buf;
    if (!out) {
        out = malloc(1);
        if (!out)
            return NULL;
        out[0] = 0;
    }
    if (len_out)
        *len_out = b->len;
    kw_dynbuf_init(b, b->limit);
    return out;
}

/* ---- typed arrays --------------------------------------------------- */

int kw_array_grow(void **items, size_t *cap, size_t need, size_t elem_size,
                  const void *inline_items)
{
    if (need <= *cap)
        return KW_DYNBUF_OK;
    if (elem_size == 0)
        elem_size = 1;
    size_t most = SIZE_MAX / elem_size;
    if (need > most)
        return KW_DYNBUF_NO_MEMORY;
    size_t first = ARRAY_FIRST_BYTES / elem_size > 8 ? ARRAY_FIRST_BYTES / elem_size : 8;
    size_t ncap = next_cap(*cap, need, first, most);
    void *p;
    if (inline_items && *items == inline_items) {
        p = malloc(ncap * elem_size);
        if (p && *cap)
            memcpy(p, inline_items, *cap * elem_size);
    } else {
        p = realloc(*items, ncap * elem_size);
    }
    if (!p)
        return KW_DYNBUF_NO_MEMORY;
    *items = p;
    *cap = ncap;
    return KW_DYNBUF_OK;
}
