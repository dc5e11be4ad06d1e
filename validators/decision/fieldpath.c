/* Incremental Kubernetes field paths (include/kw/decision/fieldpath.h). */
#include "kw/decision/fieldpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"

void kw_fieldpath_init(struct kw_fieldpath *p, const char *base)
{
    p->buf = p->inline_buf;
    p->cap = sizeof(p->inline_buf);
    p->len = 0;
    p->out_of_memory = false;
    p->buf[0] = 0;
    size_t n = strlen(base);
    if (n >= p->cap)
        n = p->cap - 1; /* bases are short literals; never cut in practice */
    memcpy(p->buf, base, n);
    p->len = n;
    p->buf[n] = 0;
}

void kw_fieldpath_free(struct kw_fieldpath *p)
{
    if (p->buf != p->inline_buf)
        free(p->buf);
    p->buf = p->inline_buf;
    p->cap = sizeof(p->inline_buf);
    p->len = 0;
    p->buf[0] = 0;
}

/* Makes room for `extra` more bytes plus the NUL (the sum cannot overflow:
 * the path and `extra` are lengths of strings in memory). The buffer starts
 * inline in the struct, so a walk allocates only for paths past
 * KW_FIELDPATH_INLINE bytes; the first growth moves it to the heap. */
static bool reserve(struct kw_fieldpath *p, size_t extra)
{
    if (KW_ARRAY_RESERVE_INLINE(p->buf, p->cap, p->len + extra + 1, p->inline_buf) == KW_DYNBUF_OK)
        return true;
    p->out_of_memory = true;
    return false;
}

static size_t append3(struct kw_fieldpath *p, const char *pre, const char *s, const char *post)
{
    size_t mark = p->len;
    size_t a = strlen(pre), b = strlen(s), c = strlen(post);
    if (!reserve(p, a + b + c))
        return mark;
    memcpy(p->buf + p->len, pre, a);
    memcpy(p->buf + p->len + a, s, b);
    memcpy(p->buf + p->len + a + b, post, c);
    p->len += a + b + c;
    p->buf[p->len] = 0;
    return mark;
}

size_t kw_fieldpath_push_field(struct kw_fieldpath *p, const char *name)
{
    return append3(p, p->len ? "." : "", name, "");
}

size_t kw_fieldpath_push_key(struct kw_fieldpath *p, const char *key)
{
    return append3(p, "[", key, "]");
}

size_t kw_fieldpath_push_index(struct kw_fieldpath *p, size_t index)
{
    char num[24];
    snprintf(num, sizeof(num), "%zu", index);
    return append3(p, "[", num, "]");
}

void kw_fieldpath_pop(struct kw_fieldpath *p, size_t mark)
{
    if (mark <= p->len) {
        p->len = mark;
        p->buf[mark] = 0;
    }
}
