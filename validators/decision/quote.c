/* kw_quote: a string rendered byte for byte as Go's strconv.Quote (the %q
 * with which Kubernetes shows a bad value in a field error). UTF-8 is decoded
 * as utf8.DecodeRuneInString does; printable runes (strconv.IsPrint, from the
 * generated table in printable.c) stay as they are, everything else is
 * escaped. kw_quote_cut shortens a quoted value without splitting an escape
 * or a rune. Linear in the input. */
#include "kw/decision/result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"

/* One step of decoding: a rune and its length in bytes; rune -1 with length
 * 1 for a byte that does not start a valid sequence. */
struct step {
    int32_t rune;
    size_t len;
};

/* The lead byte's sequence length and the range its second byte must be in,
 * which rules out overlong forms, surrogates and runes above U+10FFFF. */
static size_t lead(unsigned char b, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        return 2;
    if (b == 0xE0)
        *lo = 0xA0;
    else if (b == 0xED)
        *hi = 0x9F;
    if (b >= 0xE0 && b <= 0xEF)
        return 3;
    if (b == 0xF0)
        *lo = 0x90;
    else if (b == 0xF4)
        *hi = 0x8F;
    if (b >= 0xF0 && b <= 0xF4)
        return 4;
    return 0;
}

static bool continuation(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

/* utf8.DecodeRuneInString: a malformed or cut sequence is one bad byte. */
static struct step decode(const unsigned char *s, size_t n)
{
    const struct step bad = {-1, 1};
    if (s[0] < 0x80)
        return (struct step){s[0], 1};
    unsigned char lo, hi;
    size_t len = lead(s[0], &lo, &hi);
    if (len == 0 || n < len || s[1] < lo || s[1] > hi)
        return bad;
    int32_t r = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if (!continuation(s[i]))
            return bad;
        r = (r << 6) | (s[i] & 0x3F);
    }
    return (struct step){r, len};
}

/* strconv.IsPrint. */
static bool is_print(int32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    size_t lo = 0, hi = kw_printable_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uint32_t)r > kw_printable[mid].hi)
            lo = mid + 1;
        else if ((uint32_t)r < kw_printable[mid].lo)
            hi = mid;
        else
            return true;
    }
    return false;
}

/* `\` `kind` and `digits` lower-case hex digits of v. */
static char *put_hex(char *o, char kind, uint32_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    *o++ = kind;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
        *o++ = hex[(v >> shift) & 0xF];
    return o;
}

/* The letter of Go's short escape for r, or 0. */
static char short_escape(int32_t r)
{
    switch (r) {
    case '\a':
        return 'a';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\v':
        return 'v';
    case '"':
        return '"';
    case '\\':
        return '\\';
    default:
        return 0;
    }
}

/* strconv's appendEscapedRune for a valid rune spelt `len` bytes at src. */
static char *put_rune(char *o, int32_t r, const unsigned char *src, size_t len)
{
    char letter = short_escape(r);
    if (letter) {
        *o++ = '\\';
        *o++ = letter;
        return o;
    }
    if (is_print(r)) {
        memcpy(o, src, len);
        return o + len;
    }
    if (r < 0x20 || r == 0x7F)
        return put_hex(o, 'x', (uint32_t)r, 2);
    if (r < 0x10000)
        return put_hex(o, 'u', (uint32_t)r, 4);
    return put_hex(o, 'U', (uint32_t)r, 8);
}

char *kw_quote_len(const char *s, size_t n)
{
    /* At most 4 output bytes per input byte: `\xNN` for one byte, `\uXXXX`
     * for two or three, `\UXXXXXXXX` for four. */
    if (n > (SIZE_MAX - 3) / 4)
        return NULL;
    char *out = malloc(n * 4 + 3);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        struct step st = decode(p + i, n - i);
        if (st.rune < 0)
            o = put_hex(o, 'x', p[i], 2);
        else
            o = put_rune(o, st.rune, p + i, st.len);
        i += st.len;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

char *kw_quote(const char *s)
{
    return kw_quote_len(s, strlen(s));
}

/* The length of the unit of quoted text at q: one escape or one UTF-8 rune
 * (kw_quote writes only whole, valid runes). */
static size_t unit_len(const char *q)
{
    unsigned char b = (unsigned char)q[0];
    if (b == '\\')
        return q[1] == 'x' ? 4 : q[1] == 'u' ? 6 : q[1] == 'U' ? 10 : 2;
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

char *kw_quote_cut(const char *s, size_t max)
{
    char *q = kw_quote(s);
    size_t n = q ? strlen(q) : 0;
    if (!q || n <= max || max < 5)
        return q;
    /* Whole units after the opening quote while `..."` still fits. */
    size_t end = 1;
    while (end + unit_len(q + end) + 4 <= max)
        end += unit_len(q + end);
    memcpy(q + end, "...\"", 5);
    return q;
}
