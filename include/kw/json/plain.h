/* The plain-byte scan of JSON strings: how many bytes at the start of a text
 * a JSON string holds as they are (printable ASCII but '"' and '\\'), eight,
 * sixteen or sixty-four at a time. The scanner (validators/json/scan.c), the reply
 * writer (writer.c) and the server's log lines (server/log.c) copy such runs
 * in one piece and handle only the bytes after them one by one. Inline (but
 * for the loop over strings longer than 16 bytes): it runs over every string
 * byte of a request. */
#ifndef KW_JSON_PLAIN_H
#define KW_JSON_PLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
__attribute__((noinline, unused)) static const unsigned char *
kw_json_skip_plain64(const unsigned char *p, const unsigned char *end)
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
 * string holds as it is); returns the first byte that is not (or `end`). */
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
