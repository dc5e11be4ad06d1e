/* Building the one-line `msg` texts of the format checks (formats.h): parts
 * appended into a caller's fixed buffer, joined with "; ", cut to fit and
 * always NUL-terminated. Internal to the format validators. */
#ifndef KW_FORMATS_MESSAGE_H
#define KW_FORMATS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

struct kw_fmsg {
    char *buf;    /* borrowed: the caller's msg, may be NULL */
    size_t cap;   /* its size in bytes */
    size_t len;   /* bytes written so far (excluding the NUL) */
    size_t parts; /* number of parts started */
};

/* Starts an empty message in `buf` (NULL or cap 0: texts are dropped). */
void kw_fmsg_init(struct kw_fmsg *m, char *buf, size_t cap);
/* Starts a new part: "; " goes before every part but the first. */
void kw_fmsg_part(struct kw_fmsg *m);
/* Appends text (printf-style) to the current part, cut to fit. */
void kw_fmsg_add(struct kw_fmsg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A whole part at once: kw_fmsg_part + kw_fmsg_add. */
void kw_fmsg_addpart(struct kw_fmsg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends Kubernetes' RegexError text: `text (e.g. 'a',  or 'b', regex used
 * for validation is 're')`, word for word as apimachinery builds it. The
 * examples are a NULL-terminated list of static strings. */
void kw_fmsg_regex(struct kw_fmsg *m, const char *text, const char *regex,
                   const char *const *examples);

#endif
