/* Private to the json layer: what its modules share (messages of pointer.c
 * and patch.c; the UTF-8 rule of scan.c and writer.c, whose plain-byte scan
 * is include/kw/json/plain.h). */
#ifndef KW_JSON_INTERNAL_H
#define KW_JSON_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kw/json/plain.h"

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

#endif
