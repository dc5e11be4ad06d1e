/* A JSON text writer: compact JSON appended straight to a kw_dynbuf, with
 * no jansson tree in between. Its output is byte for byte what jansson
 * 2.14's json_dumps(value, JSON_COMPACT) writes for the same value: no
 * whitespace, members in the order written, strings escaped as jansson
 * escapes them (`"` `\\` \b \f \n \r \t, every other byte below 0x20 as
 * \u00XX with upper-case hex, everything else, '/', 0x7f and UTF-8 included,
 * as it is) and refused when they are not valid UTF-8, as jansson refuses
 * them. tests/unit/test_json_writer.c checks it against jansson.
 *
 * Commas are automatic: the writer knows whether a value is the first of
 * its object or array. Failure is sticky: the first one (memory, the
 * buffer's limit, a string that is not valid UTF-8) is remembered, every
 * later call does nothing, and the caller checks kw_json_writer_status()
 * once at the end. After a failure the buffer holds an unspecified prefix
 * of the text; discard it. One writer writes one top-level value. */
#ifndef KW_JSON_WRITER_H
#define KW_JSON_WRITER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/base/dynbuf.h"

enum kw_json_writer_rc {
    KW_JSON_WRITER_OK = KW_DYNBUF_OK,
    KW_JSON_WRITER_NO_MEMORY = KW_DYNBUF_NO_MEMORY, /* an allocation failed */
    KW_JSON_WRITER_TOO_BIG = KW_DYNBUF_TOO_BIG,     /* the buffer's limit was reached */
    /* Nothing jansson would write: a string that is not valid UTF-8, a NULL
     * string or value, a value json_dump_callback refused (or whose own
     * allocations failed), or a caller's kw_json_writer_fail. */
    KW_JSON_WRITER_INVALID = -3,
};

struct kw_json_writer {
    struct kw_dynbuf *out; /* borrowed; the text is appended to it */
    int rc;                /* the first failure, or KW_JSON_WRITER_OK */
    bool first;            /* no value written yet in the current object/array */
    bool after_key;        /* a key was written; its value comes next */
};

/* A writer appending to `out` (borrowed; it must outlive the writer).
 * What `out` already holds is kept. */
void kw_json_writer_init(struct kw_json_writer *w, struct kw_dynbuf *out);

/* KW_JSON_WRITER_OK, or the first failure. */
static inline int kw_json_writer_status(const struct kw_json_writer *w)
{
    return w->rc;
}

/* Records a failure of the caller's own (one of enum kw_json_writer_rc
 * other than OK); ignored when the writer failed already. */
void kw_json_writer_fail(struct kw_json_writer *w, int rc);

void kw_json_write_object_begin(struct kw_json_writer *w);
void kw_json_write_object_end(struct kw_json_writer *w);
void kw_json_write_array_begin(struct kw_json_writer *w);
void kw_json_write_array_end(struct kw_json_writer *w);

/* A member name (borrowed, NUL-terminated); its value must follow. */
void kw_json_write_key(struct kw_json_writer *w, const char *key);

/* A string value: `s` is borrowed and NUL-terminated (NULL fails, as
 * json_pack's "s" does); the n form takes `len` bytes, NUL bytes included
 * (written as \u0000). */
void kw_json_write_string(struct kw_json_writer *w, const char *s);
void kw_json_write_stringn(struct kw_json_writer *w, const char *s, size_t len);

void kw_json_write_bool(struct kw_json_writer *w, bool value);
void kw_json_write_integer(struct kw_json_writer *w, long long value);

/* Any jansson value (borrowed), as json_dump_callback(value, JSON_COMPACT |
 * JSON_ENCODE_ANY) writes it. Strings, integers and literals are written
 * by the writer itself; objects, arrays and reals by jansson, into the
 * same buffer. */
void kw_json_write_value(struct kw_json_writer *w, const json_t *value);

/* A string value holding the standard base64 (RFC 4648, padded, no line
 * breaks) of data[0..len) (borrowed), encoded in place in the buffer. */
void kw_json_write_base64(struct kw_json_writer *w, const void *data, size_t len);

#endif
