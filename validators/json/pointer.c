/* RFC 6901 JSON Pointer on jansson values: parsing a pointer into unescaped
 * reference tokens, RFC 6901 array indices, and walking a parsed pointer in a
 * document. A pointer is a Unicode string: bytes that are not valid UTF-8 are
 * rejected, NUL bytes are kept. */
#include "kw/json/patch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Length of the UTF-8 sequence starting at s[0] (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when it is not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* Offset of the first byte that is not valid UTF-8, or len. */
static size_t utf8_invalid_at(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

/* Unescapes one reference token of `len` bytes (the text between two "/")
 * into `out` (room for len bytes); returns the number of bytes written, or
 * (size_t)-1 with a reason in err. */
static size_t unescape_into(const char *in, size_t len, char *out, char *err, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '~') {
            char next = i + 1 < len ? in[i + 1] : '\0';
            if (next != '0' && next != '1') {
                kw_json_set_err(err, errlen, "\"~\" must be followed by \"0\" or \"1\"");
                return (size_t)-1;
            }
            c = next == '0' ? '~' : '/';
            i++;
        }
        out[n++] = c;
    }
    return n;
}

void kw_pointer_free(struct kw_pointer *ptr)
{
    if (!ptr)
        return;
    free(ptr->tokens);
    free(ptr->storage);
    memset(ptr, 0, sizeof(*ptr));
}

int kw_pointer_parse(const char *text, size_t len, struct kw_pointer *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return 0;
    if (text[0] != '/') {
        kw_json_set_err(err, errlen, "must be empty or start with \"/\"");
        return -1;
    }
    size_t bad = utf8_invalid_at(text, len);
    if (bad < len) {
        kw_json_set_err(err, errlen, "not valid UTF-8 (byte %zu)", bad);
        return -1;
    }
    size_t ntokens = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '/')
            ntokens++;
    /* Unescaped tokens never grow, and each one's NUL takes the place of
     * the "/" before it: len bytes hold them all. */
    out->tokens = calloc(ntokens, sizeof(*out->tokens));
    out->storage = malloc(len);
    if (!out->tokens || !out->storage) {
        kw_pointer_free(out);
        kw_json_set_err(err, errlen, "out of memory");
        return -1;
    }
    char *dst = out->storage;
    size_t start = 1;
    for (size_t t = 0; t < ntokens; t++) {
        size_t end = start;
        while (end < len && text[end] != '/')
            end++;
        char why[96];
        size_t n = unescape_into(text + start, end - start, dst, why, sizeof(why));
        if (n == (size_t)-1) {
            kw_json_set_err(err, errlen, "reference token %zu: %s", t, why);
            kw_pointer_free(out);
            return -1;
        }
        dst[n] = '\0';
        out->tokens[t].text = dst;
        out->tokens[t].len = n;
        dst += n + 1;
        start = end + 1;
    }
    out->ntokens = ntokens;
    return 0;
}

bool kw_pointer_index(const char *token, size_t len, size_t *index)
{
    if (len == 0 || token[0] < '0' || token[0] > '9')
        return false;
    if (token[0] == '0' && len > 1)
        return false;
    size_t value = 0;
    bool overflow = false;
    for (size_t i = 0; i < len; i++) {
        if (token[i] < '0' || token[i] > '9')
            return false;
        size_t digit = (size_t)(token[i] - '0');
        if (value > (SIZE_MAX - digit) / 10)
            overflow = true;
        else
            value = value * 10 + digit;
    }
    *index = overflow ? SIZE_MAX : value;
    return true;
}

/* The child of `container` named by `tok`, or NULL. */
static json_t *child(json_t *container, const struct kw_pointer_token *tok)
{
    if (json_is_object(container))
        return json_object_getn(container, tok->text, tok->len);
    size_t index;
    if (json_is_array(container) && kw_pointer_index(tok->text, tok->len, &index))
        return json_array_get(container, index);
    return NULL;
}

json_t *kw_pointer_walk(json_t *doc, const struct kw_pointer *ptr, size_t depth, size_t *stop)
{
    if (!doc) {
        if (stop)
            *stop = 0;
        return NULL;
    }
    json_t *cur = doc;
    for (size_t i = 0; cur && i < depth && i < ptr->ntokens; i++) {
        json_t *next = child(cur, &ptr->tokens[i]);
        if (!next && stop)
            *stop = i;
        cur = next;
    }
    return cur;
}

const char *kw_pointer_show(const char *text, size_t len, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (len == 0) {
        snprintf(buf, size, "\"\"");
        return buf;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t seq = utf8_sequence(s + i, len - i);
        bool escape = seq == 0 || s[i] < 0x20 || s[i] == 0x7F;
        size_t need = escape ? 4 : seq;
        /* Keep room for "..." and the NUL. */
        if (n + need + 4 > size) {
            snprintf(buf + n, size - n, "...");
            return buf;
        }
        if (escape) {
            snprintf(buf + n, size - n, "\\x%02X", s[i]);
            n += 4;
            i++;
        } else {
            memcpy(buf + n, s + i, seq);
            n += seq;
            i += seq;
        }
    }
    buf[n] = '\0';
    return buf;
}
