/* Private to the json layer: what its modules share (messages of pointer.c
 * and patch.c; the UTF-8 rule and the plain-byte scan of scan.c and
 * writer.c). */
#ifndef KW_JSON_INTERNAL_H
#define KW_JSON_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Writes a printf-style message into err[errlen]; err may be NULL (then
 * nothing is written), as the JSON Pointer and Patch functions allow. */
__attribute__((format(printf, 3, 4))) static inline void kw_json_set_err(char *err, size_t errlen,
                                                                         const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Length of the valid UTF-8 sequence starting at p (2 to 4), or 0 when it is
 * not one: a bad lead byte, a missing continuation, an overlong form, a
 * UTF-16 surrogate, or beyond U+10FFFF -- where jansson's utf8_iterate stops,
 * so the scanner accepts and the reply writer emits what jansson would.
 * Inline: the scanner calls it for every non-ASCII byte. */
static inline size_t kw_json_utf8_length(const unsigned char *p, const unsigned char *end)
{
    size_t avail = (size_t)(end - p);
    unsigned c = p[0];
    if (c < 0xC2 || c > 0xF4)
        return 0;
    if (avail < 2 || (p[1] & 0xC0) != 0x80)
        return 0;
    if (c < 0xE0)
        return 2;
    if (avail < 3 || (p[2] & 0xC0) != 0x80)
        return 0;
    if (c < 0xF0) {
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (avail < 4 || (p[3] & 0xC0) != 0x80)
        return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return 4;
}

#define KW_JSON_ONES  0x0101010101010101ULL
#define KW_JSON_HIGHS 0x8080808080808080ULL

/* Non-zero when one of the eight bytes of v is '"', '\\', below 0x20 or
 * above 0x7F (the lowest flagged byte is the first such byte). */
static inline uint64_t kw_json_special_bytes(uint64_t v)
{
    uint64_t quote = v ^ (KW_JSON_ONES * '"');
    uint64_t backslash = v ^ (KW_JSON_ONES * '\\');
    uint64_t control = v - KW_JSON_ONES * 0x20;
    quote = quote - KW_JSON_ONES;
    backslash = backslash - KW_JSON_ONES;
    return ((control | quote | backslash) & ~v & KW_JSON_HIGHS) | (v & KW_JSON_HIGHS);
}

#ifdef __SSE2__
/* 0xFF in each byte of v that is '"', '\\', below 0x20 or above 0x7F: a
 * signed compare with 0x20 flags both the control bytes and every byte
 * above 0x7F (negative as signed). */
static inline __m128i kw_json_special16(__m128i v)
{
    __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    __m128i control = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    return _mm_or_si128(_mm_or_si128(quote, backslash), control);
}

static inline unsigned kw_json_special_mask16(const unsigned char *p)
{
    return (unsigned)_mm_movemask_epi8(
        kw_json_special16(_mm_loadu_si128((const __m128i *)(const void *)p)));
}

/* Sixteen more bytes, then 64 at a time: four blocks compared, their flags
 * OR'd, one test per 64 bytes (about half the instructions per byte of a
 * sixteen-byte loop: the lexer over a 780 KB repositoryConfig went from
 * 129 to 105 us); the byte is located only in the 64 bytes that hold it;
 * the input's last 64 bytes, sixteen at a time. Out of line, so that the
 * inline part stays small: only strings longer than sixteen bytes get
 * here, and those of 17 to 32 bytes (many keys and names of a review) are
 * found before the 64-byte loop. */
__attribute__((noinline)) static const unsigned char *kw_json_skip_plain64(const unsigned char *p,
                                                                           const unsigned char *end)
{
    if ((size_t)(end - p) >= 16) {
        unsigned m = kw_json_special_mask16(p);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
    while ((size_t)(end - p) >= 64) {
        const __m128i *q = (const __m128i *)(const void *)p;
        __m128i a = kw_json_special16(_mm_loadu_si128(q));
        __m128i b = kw_json_special16(_mm_loadu_si128(q + 1));
        __m128i c = kw_json_special16(_mm_loadu_si128(q + 2));
        __m128i d = kw_json_special16(_mm_loadu_si128(q + 3));
        if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d)))) {
            uint64_t m = (uint64_t)(unsigned)_mm_movemask_epi8(a) |
                         (uint64_t)(unsigned)_mm_movemask_epi8(b) << 16 |
                         (uint64_t)(unsigned)_mm_movemask_epi8(c) << 32 |
                         (uint64_t)(unsigned)_mm_movemask_epi8(d) << 48;
            return p + __builtin_ctzll(m);
        }
        p += 64;
    }
    while ((size_t)(end - p) >= 16) {
        unsigned m = kw_json_special_mask16(p);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
    return p;
}

/* The first sixteen bytes inline (most strings of a review are shorter),
 * the rest by kw_json_skip_plain64. */
static inline const unsigned char *kw_json_skip_plain16(const unsigned char *p,
                                                        const unsigned char *end)
{
    if ((size_t)(end - p) < 16)
        return p;
    unsigned m = kw_json_special_mask16(p);
    if (m)
        return p + __builtin_ctz(m);
    return kw_json_skip_plain64(p + 16, end);
}
#endif

/* Skips plain ASCII string bytes (0x20 to 0x7F but '"' and '\\': what a JSON
 * string holds as it is); returns the first byte that is not. The scanner's
 * strings and the reply writer's output run through it. */
static inline const unsigned char *kw_json_skip_plain(const unsigned char *p,
                                                      const unsigned char *end)
{
#ifdef __SSE2__
    p = kw_json_skip_plain16(p, end);
    if ((size_t)(end - p) >= 16)
        return p;
#endif
    while ((size_t)(end - p) >= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        uint64_t m = kw_json_special_bytes(v);
        if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return p + (__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
        p += 8;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}

#endif
