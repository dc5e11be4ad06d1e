/* Splitting a YAML stream into its documents at the column-0 markers
 * (kw_yaml_split, include/kw/json/yaml.h), so that each document is parsed
 * on its own and one bad document does not hide the others. Text only: no
 * YAML is parsed here. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"
#include "kw/json/yaml.h"

enum line_kind { LINE_TRIVIA, LINE_CONTENT, LINE_START, LINE_END };

/* "---" or "..." then a blank, a line end or the end of the stream. */
static bool is_marker(const char *line, size_t n, char c)
{
    if (n < 3 || line[0] != c || line[1] != c || line[2] != c)
        return false;
    return n == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r';
}

/* What a line (n bytes, with its line end if any) is. Comments, blank lines
 * and directives are trivia: they belong to the document that follows. */
static enum line_kind classify(const char *line, size_t n)
{
    if (is_marker(line, n, '-'))
        return LINE_START;
    if (is_marker(line, n, '.'))
        return LINE_END;
    if (n > 0 && line[0] == '%')
        return LINE_TRIVIA;
    size_t blank = 0;
    while (blank < n && (line[blank] == ' ' || line[blank] == '\t'))
        blank++;
    if (blank == n || line[blank] == '\n' || line[blank] == '\r' || line[blank] == '#')
        return LINE_TRIVIA;
    return LINE_CONTENT;
}

struct splitter {
    struct kw_yaml_part *parts;
    size_t nparts, cap;
    size_t start, start_line; /* of the open part */
    bool has_document;        /* the open part holds more than trivia */
};

static int close_part(struct splitter *s, size_t end, size_t next_line)
{
    if (KW_ARRAY_RESERVE(s->parts, s->cap, s->nparts + 1))
        return -1;
    s->parts[s->nparts++] = (struct kw_yaml_part){s->start, end - s->start, s->start_line};
    s->start = end;
    s->start_line = next_line;
    s->has_document = false;
    return 0;
}

int kw_yaml_split(const char *buf, size_t len, struct kw_yaml_part **parts_out, size_t *nparts_out)
{
    struct splitter s = {.start_line = 1};
    size_t pos = 0, line_no = 1;
    /* A byte order mark does not hide a marker on the first line. */
    size_t skip = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos + skip, '\n', len - pos - skip);
        size_t end = nl ? (size_t)(nl - buf) + 1 : len;
        enum line_kind kind = classify(buf + pos + skip, end - pos - skip);
        skip = 0;
        if (kind == LINE_START && s.has_document && close_part(&s, pos, line_no) != 0)
            goto oom;
        if (kind != LINE_TRIVIA)
            s.has_document = true;
        if (kind == LINE_END && close_part(&s, end, line_no + 1) != 0)
            goto oom;
        pos = end;
        line_no++;
    }
    if ((s.start < len || s.nparts == 0) && close_part(&s, len, line_no) != 0)
        goto oom;
    *parts_out = s.parts;
    *nparts_out = s.nparts;
    return 0;
oom:
    free(s.parts);
    *parts_out = NULL;
    *nparts_out = 0;
    return -1;
}
