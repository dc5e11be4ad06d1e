/* Private to the json layer: what pointer.c and patch.c share. */
#ifndef KW_JSON_INTERNAL_H
#define KW_JSON_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

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

#endif
