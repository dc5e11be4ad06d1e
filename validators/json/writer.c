/* The JSON text writer (include/kw/json/writer.h): compact JSON appended to
 * a kw_dynbuf with jansson 2.14's escaping and UTF-8 rules, automatic
 * commas and a sticky first failure. */
#include "kw/json/writer.h"
#include "internal.h"

#include <limits.h>
#include <openssl/evp.h>
#include <string.h>

void kw_json_writer_init(struct kw_json_writer *w, struct kw_dynbuf *out)
{
    w->out = out;
    w->rc = KW_JSON_WRITER_OK;
    w->first = true;
    w->after_key = false;
}

void kw_json_writer_fail(struct kw_json_writer *w, int rc)
{
    if (w->rc == KW_JSON_WRITER_OK)
        w->rc = rc == KW_JSON_WRITER_OK ? KW_JSON_WRITER_INVALID : rc;
}

/* Appends bytes, unless the writer failed already. */
static void put(struct kw_json_writer *w, const char *text, size_t len)
{
    if (w->rc != KW_JSON_WRITER_OK)
        return;
    int rc = kw_dynbuf_append(w->out, text, len);
    if (rc != KW_DYNBUF_OK)
        kw_json_writer_fail(w, rc);
}

/* Starts a value (or a key): the comma between it and the one before. */
static bool begin_item(struct kw_json_writer *w)
{
    if (w->rc != KW_JSON_WRITER_OK)
        return false;
    if (!w->first && !w->after_key)
        put(w, ",", 1);
    w->first = false;
    w->after_key = false;
    return w->rc == KW_JSON_WRITER_OK;
}

static void open_container(struct kw_json_writer *w, const char *bracket)
{
    if (!begin_item(w))
        return;
    put(w, bracket, 1);
    w->first = true;
}

static void close_container(struct kw_json_writer *w, const char *bracket)
{
    if (w->rc != KW_JSON_WRITER_OK)
        return;
    put(w, bracket, 1);
    w->first = false; /* the container is a value of the one around it */
    w->after_key = false;
}

void kw_json_write_object_begin(struct kw_json_writer *w)
{
    open_container(w, "{");
}

void kw_json_write_object_end(struct kw_json_writer *w)
{
    close_container(w, "}");
}

void kw_json_write_array_begin(struct kw_json_writer *w)
{
    open_container(w, "[");
}

void kw_json_write_array_end(struct kw_json_writer *w)
{
    close_container(w, "]");
}

/* The escape of an ASCII byte that needs one, written into esc (at least
 * 7 bytes); its length, or 0 when the byte is written as it is. */
static size_t escape_of(unsigned char c, char *esc)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char short_form[0x20] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    }
    if (c >= 0x20)
        return 0;
    esc[0] = '\\';
    if (short_form[c]) {
        esc[1] = short_form[c];
        return 2;
    }
    memcpy(esc + 1, "u00", 3);
    esc[4] = hex[c >> 4];
    esc[5] = hex[c & 0xF];
    return 6;
}

/* A quoted, escaped string; runs of bytes that need no escape are copied
 * in one append. */
static void put_string(struct kw_json_writer *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
    int rc = kw_dynbuf_reserve(w->out, len + 2);
    if (rc != KW_DYNBUF_OK) {
        kw_json_writer_fail(w, rc);
        return;
    }
    put(w, "\"", 1);
    while (p < end && w->rc == KW_JSON_WRITER_OK) {
        char esc[8];
        size_t n;
        p = kw_json_skip_plain(p, end); /* the bytes written as they are */
        if (p == end)
            break;
        if (*p >= 0x80) {
            n = kw_json_utf8_length(p, end);
            if (n == 0)
                kw_json_writer_fail(w, KW_JSON_WRITER_INVALID);
            p += n;
        } else if ((n = escape_of(*p, esc)) == 0) {
            p++;
        } else {
            put(w, (const char *)run, (size_t)(p - run));
            put(w, esc, n);
            run = ++p;
        }
    }
    put(w, (const char *)run, (size_t)(p - run));
    put(w, "\"", 1);
}

void kw_json_write_key(struct kw_json_writer *w, const char *key)
{
    if (!begin_item(w))
        return;
    if (!key) {
        kw_json_writer_fail(w, KW_JSON_WRITER_INVALID);
        return;
    }
    put_string(w, key, strlen(key));
    put(w, ":", 1);
    w->after_key = true;
}

void kw_json_write_stringn(struct kw_json_writer *w, const char *s, size_t len)
{
    if (!begin_item(w))
        return;
    if (!s) {
        kw_json_writer_fail(w, KW_JSON_WRITER_INVALID);
        return;
    }
    put_string(w, s, len);
}

void kw_json_write_string(struct kw_json_writer *w, const char *s)
{
    kw_json_write_stringn(w, s, s ? strlen(s) : 0);
}

void kw_json_write_bool(struct kw_json_writer *w, bool value)
{
    if (begin_item(w))
        put(w, value ? "true" : "false", value ? 4 : 5);
}

/* Decimal digits of a value, as printf's %lld. */
static void put_integer(struct kw_json_writer *w, long long value)
{
    char digits[24];
    char *p = digits + sizeof(digits);
    /* The magnitude as unsigned, so that LLONG_MIN needs no special case. */
    unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (value < 0)
        *--p = '-';
    put(w, p, (size_t)(digits + sizeof(digits) - p));
}

void kw_json_write_integer(struct kw_json_writer *w, long long value)
{
    if (begin_item(w))
        put_integer(w, value);
}

static int dump_into(const char *text, size_t size, void *data)
{
    struct kw_json_writer *w = data;
    put(w, text, size);
    return w->rc == KW_JSON_WRITER_OK ? 0 : -1;
}

void kw_json_write_value(struct kw_json_writer *w, const json_t *value)
{
    if (!begin_item(w))
        return;
    switch (value ? json_typeof(value) : JSON_NULL) {
    case JSON_STRING:
        put_string(w, json_string_value(value), json_string_length(value));
        return;
    case JSON_INTEGER:
        put_integer(w, json_integer_value(value));
        return;
    case JSON_TRUE:
        put(w, "true", 4);
        return;
    case JSON_FALSE:
        put(w, "false", 5);
        return;
    case JSON_NULL:
        if (value)
            put(w, "null", 4);
        else
            kw_json_writer_fail(w, KW_JSON_WRITER_INVALID);
        return;
    case JSON_OBJECT:
    case JSON_ARRAY:
    case JSON_REAL:
        break;
    }
    if (json_dump_callback(value, dump_into, w, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        kw_json_writer_fail(w, KW_JSON_WRITER_INVALID); /* unless put() failed first */
}

void kw_json_write_base64(struct kw_json_writer *w, const void *data, size_t len)
{
    if (!begin_item(w))
        return;
    /* EVP_EncodeBlock takes an int; so much text is no reply anyway. */
    if (len > (size_t)INT_MAX / 4 * 3) {
        kw_json_writer_fail(w, KW_JSON_WRITER_TOO_BIG);
        return;
    }
    size_t encoded = 4 * ((len + 2) / 3);
    /* The quotes, and the room EVP_EncodeBlock writes its NUL into (a
     * reservation always leaves one byte past it). */
    int rc = kw_dynbuf_reserve(w->out, encoded + 2);
    if (rc != KW_DYNBUF_OK) {
        kw_json_writer_fail(w, rc);
        return;
    }
    put(w, "\"", 1);
    int n = EVP_EncodeBlock((unsigned char *)kw_dynbuf_tail(w->out), data, (int)len);
    kw_dynbuf_commit(w->out, (size_t)n);
    put(w, "\"", 1);
}
