/* One-line message assembly for the format checks: bounded appends into the
 * caller's buffer, parts joined with "; ". See message.h. */
#include "message.h"

#include <stdarg.h>
#include <stdio.h>

void kw_fmsg_init(struct kw_fmsg *m, char *buf, size_t cap)
{
    m->buf = cap > 0 ? buf : NULL;
    m->cap = buf ? cap : 0;
    m->len = 0;
    m->parts = 0;
    if (m->buf)
        m->buf[0] = '\0';
}

__attribute__((format(printf, 2, 0))) static void msg_vappend(struct kw_fmsg *m, const char *fmt,
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

void kw_fmsg_part(struct kw_fmsg *m)
{
    if (m->parts++ > 0)
        kw_fmsg_add(m, "; ");
}

void kw_fmsg_add(struct kw_fmsg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msg_vappend(m, fmt, ap);
    va_end(ap);
}

void kw_fmsg_addpart(struct kw_fmsg *m, const char *fmt, ...)
{
    kw_fmsg_part(m);
    va_list ap;
    va_start(ap, fmt);
    msg_vappend(m, fmt, ap);
    va_end(ap);
}

void kw_fmsg_regex(struct kw_fmsg *m, const char *text, const char *regex,
                   const char *const *examples)
{
    kw_fmsg_add(m, "%s", text);
    if (!examples || !examples[0]) {
        kw_fmsg_add(m, " (regex used for validation is '%s')", regex);
        return;
    }
    kw_fmsg_add(m, " (e.g. ");
    for (size_t i = 0; examples[i]; i++)
        kw_fmsg_add(m, "%s'%s', ", i > 0 ? " or " : "", examples[i]);
    kw_fmsg_add(m, "regex used for validation is '%s')", regex);
}
