/* One-line message assembly for the format checks: bounded appends into the
 * caller's buffer, parts joined with "; ". See format_msg.h. */
#include "message.h"

#include <stdarg.h>
#include <stdio.h>

void format_msg_init(struct format_msg *m, char *buf, size_t cap)
{
    m->buf = cap > 0 ? buf : NULL;
    m->cap = buf ? cap : 0;
    m->len = 0;
    m->parts = 0;
    if (m->buf)
        m->buf[0] = '\0';
}

__attribute__((format(printf, 2, 0))) static void msg_vappend(struct format_msg *m, const char *fmt,
                                                              va_list ap)
{
    if (!m->buf || m->len + 1 >= m->cap)
        return;
    size_t room = m->cap - m->len;
    int n = vsnprintf(m->buf + m->len, room, fmt, ap);
    if (n < 0) {
        m->buf[m->len] = '\0';
        return;
    }
    m->len += (size_t)n < room ? (size_t)n : room - 1;
}

void format_msg_part(struct format_msg *m)
{
    if (m->parts++ > 0)
        format_msg_add(m, "; ");
}

void format_msg_add(struct format_msg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msg_vappend(m, fmt, ap);
    va_end(ap);
}

void format_msg_addpart(struct format_msg *m, const char *fmt, ...)
{
    format_msg_part(m);
    va_list ap;
    va_start(ap, fmt);
    msg_vappend(m, fmt, ap);
    va_end(ap);
}

void format_msg_regex(struct format_msg *m, const char *text, const char *regex,
                      const char *const *examples)
{
    format_msg_add(m, "%s", text);
    if (!examples || !examples[0]) {
        format_msg_add(m, " (regex used for validation is '%s')", regex);
        return;
    }
    format_msg_add(m, " (e.g. ");
    for (size_t i = 0; examples[i]; i++)
        format_msg_add(m, "%s'%s', ", i > 0 ? " or " : "", examples[i]);
    format_msg_add(m, "regex used for validation is '%s')", regex);
}
