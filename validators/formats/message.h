/* Building the one-line `msg` texts of the format checks (formats.h): parts
 * appended into a caller's fixed buffer, joined with "; ", cut to fit and
 * always NUL-terminated. Internal to the format validators. */
#ifndef KW_FORMAT_MSG_H
#define KW_FORMAT_MSG_H

#include <stdbool.h>
#include <stddef.h>

struct format_msg {
    char *buf;    /* borrowed: the caller's msg, may be NULL */
    size_t cap;   /* its size in bytes */
    size_t len;   /* bytes written so far (excluding the NUL) */
    size_t parts; /* number of parts started */
};

/* Starts an empty message in `buf` (NULL or cap 0: texts are dropped). */
void format_msg_init(struct format_msg *m, char *buf, size_t cap);
/* Starts a new part: "; " goes before every part but the first. */
void format_msg_part(struct format_msg *m);
/* Appends text (printf-style) to the current part, cut to fit. */
void format_msg_add(struct format_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A whole part at once: format_msg_part + format_msg_add. */
void format_msg_addpart(struct format_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends Kubernetes' RegexError text: `text (e.g. 'a',  or 'b', regex used
 * for validation is 're')`, word for word as apimachinery builds it. The
 * examples are a NULL-terminated list of static strings. */
void format_msg_regex(struct format_msg *m, const char *text, const char *regex,
                      const char *const *examples);

#endif
