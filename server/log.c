/* JSON-lines logger on stderr (see include/kw/server/log.h). Each line is built in
 * a local buffer and written with one write(2), so lines from different
 * threads never interleave. */
#include "kw/server/log.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kw/json/plain.h"

static atomic_int min_level = KW_LOG_DEFAULT_LEVEL;

/* The one list of level names (indexed by enum kw_log_level). */
static const char *const level_names[KW_LOG_LEVELS] = {"debug", "info", "warn", "error"};

const char *kw_log_level_name(enum kw_log_level level)
{
    return (unsigned)level < KW_LOG_LEVELS ? level_names[level] : NULL;
}

int kw_log_level_parse(const char *name, enum kw_log_level *level_out)
{
    for (int i = 0; i < KW_LOG_LEVELS; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level_out = (enum kw_log_level)i;
            return 0;
        }
    }
    return -1;
}

int kw_log_set_level_name(const char *name)
{
    enum kw_log_level level;
    if (kw_log_level_parse(name, &level) != 0)
        return -1;
    kw_log_set_level(level);
    return 0;
}

void kw_log_set_level(enum kw_log_level level)
{
    atomic_store(&min_level, (int)level);
}

bool kw_log_enabled(enum kw_log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

/* The line's timestamp, "2026-12-07T03:46:07.123Z". The date and time of day
 * are formatted once per second per thread (gmtime_r is the expensive part);
 * the milliseconds are three digits appended directly. */
static size_t iso_time(char buf[32])
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char cached[24];
    static _Thread_local size_t cached_len;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    memcpy(buf, cached, cached_len);
    long ms = ts.tv_nsec / 1000000;
    char *p = buf + cached_len;
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    *p++ = (char)('0' + ms / 10 % 10);
    *p++ = (char)('0' + ms % 10);
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - buf);
}

/* Decimal digits of v into buf (at least 21 bytes); returns the length. */
static size_t format_int(char *buf, long long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

/* A duration or other measure as a JSON number: three decimals for
 * ordinary magnitudes (formatted by hand, no printf on the request path),
 * "%.6g" for the rest; never NaN or Infinity (null instead). */
static size_t format_double(char *buf, size_t cap, double d)
{
    if (!isfinite(d))
        return (size_t)snprintf(buf, cap, "null");
    if (d > -1e12 && d < 1e12) {
        long long thousandths = llround(d * 1000.0);
        size_t len = 0;
        if (thousandths < 0) {
            buf[len++] = '-';
            thousandths = -thousandths;
        }
        len += format_int(buf + len, thousandths / 1000);
        long long frac = thousandths % 1000;
        buf[len++] = '.';
        buf[len++] = (char)('0' + frac / 100);
        buf[len++] = (char)('0' + frac / 10 % 10);
        buf[len++] = (char)('0' + frac % 10);
        return len;
    }
    return (size_t)snprintf(buf, cap, "%.6g", d);
}

/* A bounded line buffer: appends stop (and mark the line cut) when full. */
struct line {
    char buf[8192];
    size_t len;
    bool cut;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (l->len + n > sizeof(l->buf) - 2) { /* keep room for "}\n" */
        l->cut = true;
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

/* Appends s as a JSON string: quotes, escapes, control characters as \u00XX;
 * invalid UTF-8 bytes become U+FFFD so every line stays valid JSON. Runs of
 * plain bytes are found by the JSON layer's scan and copied in one piece. */
static void put_string(struct line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    const unsigned char *run_end = kw_json_skip_plain(p, end);
    size_t len = (size_t)(end - p);
    if (run_end == end && l->len + len + 2 <= sizeof(l->buf) - 2) {
        /* All plain (most strings): quoted in one copy. */
        char *o = l->buf + l->len;
        o[0] = '"';
        memcpy(o + 1, s, len);
        o[len + 1] = '"';
        l->len += len + 2;
        return;
    }
    put(l, "\"", 1);
    while (p < end) {
        const unsigned char *run = p;
        p = run == (const unsigned char *)s ? run_end : kw_json_skip_plain(p, end);
        put(l, (const char *)run, (size_t)(p - run));
        if (p == end)
            break;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p++};
            put(l, esc, 2);
        } else if (*p < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            put(l, esc, 6);
            p++;
        } else {
            size_t n = 0;
            if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
                n = 2;
            else if ((*p & 0xf0) == 0xe0)
                n = 3;
            else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
                n = 4;
            for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                    n = 0;
            if (n) {
                put(l, (const char *)p, n);
                p += n;
            } else {
                put(l, "\xef\xbf\xbd", 3);
                p++;
            }
        }
    }
    put(l, "\"", 1);
}

static void put_key(struct line *l, const char *key)
{
    put(l, ",", 1);
    put_string(l, key);
    put(l, ":", 1);
}

static void put_field(struct line *l, const struct kw_log_field *f)
{
    char num[64];
    put_key(l, f->key);
    switch (f->type) {
    case KW_LF_STR:
        if (f->s)
            put_string(l, f->s);
        else
            put(l, "null", 4);
        return;
    case KW_LF_INT:
        put(l, num, format_int(num, f->i));
        return;
    case KW_LF_BOOL:
        put(l, f->i ? "true" : "false", f->i ? 4 : 5);
        return;
    case KW_LF_DOUBLE:
        put(l, num, format_double(num, sizeof(num), f->d));
        return;
    case KW_LF_STRS:
        put(l, "[", 1);
        for (long long k = 0; k < f->i && f->list; k++) {
            if (k)
                put(l, ",", 1);
            if (f->list[k])
                put_string(l, f->list[k]);
            else
                put(l, "null", 4);
        }
        put(l, "]", 1);
        return;
    case KW_LF_END:
        return;
    }
}

void kw_log(enum kw_log_level level, const char *msg, ...)
{
    if (!kw_log_enabled(level))
        return;
    struct line l; /* no initializer: it would zero the whole buffer, per line */
    l.len = 0;
    l.cut = false;
    char when[32];
    size_t when_len = iso_time(when);
    put(&l, "{\"time\":\"", 9);
    put(&l, when, when_len);
    put(&l, "\"", 1);
    put_key(&l, "level");
    put_string(&l, level_names[level]);
    put_key(&l, "msg");
    put_string(&l, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        struct kw_log_field f = va_arg(ap, struct kw_log_field);
        if (f.type == KW_LF_END)
            break;
        if (!f.key)
            continue; /* a field left out */
        size_t before = l.len;
        put_field(&l, &f);
        if (l.cut) { /* drop the partial field, keep the line valid */
            l.len = before;
            break;
        }
    }
    va_end(ap);
    if (l.cut && l.len + 16 < sizeof(l.buf))
        put(&l, ",\"cut\":true", 11);
    l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    (void)w;
}
