/* printf-style formatting for the texts built on every request (field
 * errors, warnings, summaries): a format whose conversions are only %s, %d,
 * %zu, %lld and %% (no flags, width or precision) is written by direct
 * appends, without going through stdio; any other format, and a NULL %s
 * argument, goes to libc's vsnprintf/vasprintf. Either way the text is byte
 * for byte what libc writes (tests/unit/test_base_format.c compares the two). */
#ifndef KW_BASE_FORMAT_H
#define KW_BASE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf: writes at most size - 1 bytes and a NUL (nothing when size is
 * 0); returns the length of the whole text, or a negative value on error. */
__attribute__((format(printf, 3, 0))) int kw_vsnprintf(char *buf, size_t size, const char *fmt,
                                                       va_list ap);
__attribute__((format(printf, 3, 4))) int kw_snprintf(char *buf, size_t size, const char *fmt, ...);

/* The whole text, malloc'd; NULL when out of memory. */
__attribute__((format(printf, 1, 0))) char *kw_vasprintf(const char *fmt, va_list ap);
__attribute__((format(printf, 1, 2))) char *kw_asprintf(const char *fmt, ...);

#endif
