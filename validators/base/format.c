/* printf-style formatting with a direct path for the plain conversions the
 * per-request texts use (include/kw/base/format.h); libc for the rest. */
#include "kw/base/format.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the plain path writes: at most cap - 1 bytes, then a NUL; `len`
 * counts the whole text. */
struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

/* `v` in decimal, with its sign. */
static void put_decimal(struct out *o, long long v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* `v` in decimal. */
static void put_unsigned(struct out *o, size_t v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Formats with the plain conversions only; false (with `o` partly written)
 * at the first other one or a NULL string, for libc to do it all. */
static bool plain(struct out *o, const char *fmt, va_list *ap)
{
    for (const char *p = fmt;;) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            put(o, p, strlen(p));
            break;
        }
        put(o, p, (size_t)(pct - p));
        const char *c = pct + 1;
        if (*c == 's') {
            const char *s = va_arg(*ap, const char *);
            if (!s)
                return false;
            put(o, s, strlen(s));
        } else if (*c == 'd') {
            put_decimal(o, va_arg(*ap, int));
        } else if (*c == '%') {
            put(o, "%", 1);
        } else if (c[0] == 'z' && c[1] == 'u') {
            put_unsigned(o, va_arg(*ap, size_t));
            c++;
        } else if (c[0] == 'l' && c[1] == 'l' && c[2] == 'd') {
            put_decimal(o, va_arg(*ap, long long));
            c += 2;
        } else {
            return false;
        }
        p = c + 1;
    }
    if (o->cap > 0)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->len <= INT_MAX;
}

int kw_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};
    va_list args;
    va_copy(args, ap);
    bool done = plain(&o, fmt, &args);
    va_end(args);
    return done ? (int)o.len : vsnprintf(buf, size, fmt, ap);
}

int kw_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kw_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

char *kw_vasprintf(const char *fmt, va_list ap)
{
    /* One pass into the stack when the text fits (most do), a second one
     * into the exact allocation when it does not. */
    char first[512];
    struct out o = {first, sizeof(first), 0};
    va_list args;
    va_copy(args, ap);
    bool done = plain(&o, fmt, &args);
    va_end(args);
    char *text = NULL;
    if (!done)
        return vasprintf(&text, fmt, ap) < 0 ? NULL : text;
    text = malloc(o.len + 1);
    if (!text)
        return NULL;
    if (o.len < sizeof(first)) {
        memcpy(text, first, o.len + 1);
        return text;
    }
    o = (struct out){text, o.len + 1, 0};
    va_copy(args, ap);
    plain(&o, fmt, &args);
    va_end(args);
    return text;
}

char *kw_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = kw_vasprintf(fmt, ap);
    va_end(ap);
    return text;
}
