/* kw_json_decode() and kw_json_decode_document(): build jansson values from
 * the events of kw_json_scan() / kw_json_scan_document(),
 * so the decoder and the scanner accept the same language. Each container is
 * attached to its parent when it opens (a parent holds the only reference),
 * so an error needs one json_decref of the root. Strings without escapes are
 * copied once, straight from the input, by jansson. A value limit stops the
 * scan at the first value over it, before that value is allocated. */
#include "kw/json/json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"

#define INLINE_LEVELS 32

struct builder {
    json_t *root;  /* owned until returned */
    json_t **open; /* borrowed: open containers, innermost last */
    size_t nopen, capopen;
    json_t *inline_open[INLINE_LEVELS];
    const char *key; /* borrowed from the scanner: valid through the next event */
    size_t key_len;
    size_t values, max_values;                        /* values built so far; the limit (0: none) */
    size_t failed_line, failed_column, failed_offset; /* where memory or the limit ran out */
};

#define OUT_OF_MEMORY 1
#define TOO_MANY      2

static int push_open(struct builder *b, json_t *container)
{
    /* The first INLINE_LEVELS levels live in the builder itself. */
    if (KW_ARRAY_RESERVE_INLINE(b->open, b->capopen, b->nopen + 1, b->inline_open))
        return -1;
    b->open[b->nopen++] = container;
    return 0;
}

/* Gives `value` (stolen) to the innermost open container, or makes it the
 * root. */
static int attach(struct builder *b, json_t *value)
{
    if (b->nopen == 0) {
        b->root = value;
        return 0;
    }
    json_t *parent = b->open[b->nopen - 1];
    if (json_is_array(parent))
        return json_array_append_new(parent, value);
    return json_object_setn_new_nocheck(parent, b->key, b->key_len, value);
}

static json_t *new_scalar(const struct kw_json_token *tok)
{
    switch (tok->ev) {
    case KW_JSON_STRING:
        return json_stringn_nocheck(tok->text, tok->len);
    case KW_JSON_INTEGER:
        return json_integer(tok->integer);
    case KW_JSON_REAL:
        return json_real(tok->real);
    case KW_JSON_TRUE:
        return json_true();
    case KW_JSON_FALSE:
        return json_false();
    default:
        return json_null();
    }
}

static int stop_at(struct builder *b, const struct kw_json_token *tok, int why)
{
    b->failed_line = tok->line;
    b->failed_column = tok->column;
    b->failed_offset = tok->offset;
    return why;
}

static int build(void *ud, const struct kw_json_token *tok)
{
    struct builder *b = ud;
    json_t *value;
    switch (tok->ev) {
    case KW_JSON_KEY:
        b->key = tok->text;
        b->key_len = tok->len;
        return 0;
    case KW_JSON_OBJECT_END:
    case KW_JSON_ARRAY_END:
        b->nopen--;
        return 0;
    default:
        break;
    }
    if (b->max_values && ++b->values > b->max_values)
        return stop_at(b, tok, TOO_MANY);
    switch (tok->ev) {
    case KW_JSON_OBJECT_BEGIN:
        value = json_object();
        break;
    case KW_JSON_ARRAY_BEGIN:
        value = json_array();
        break;
    default:
        value = new_scalar(tok);
        break;
    }
    int container = tok->ev == KW_JSON_OBJECT_BEGIN || tok->ev == KW_JSON_ARRAY_BEGIN;
    if (!value || attach(b, value) || (container && push_open(b, value)))
        return stop_at(b, tok, OUT_OF_MEMORY);
    return 0;
}

static void report_stop(const struct builder *b, int why, struct kw_json_error *err)
{
    if (!err)
        return;
    err->line = b->failed_line;
    err->column = b->failed_column;
    err->position = b->failed_offset;
    err->failure = why == TOO_MANY ? KW_JSON_FAIL_TOO_COMPLEX : KW_JSON_FAIL_NO_MEMORY;
    snprintf(err->text, sizeof err->text, "%s",
             why == TOO_MANY ? "too many values" : "not enough memory");
}

static json_t *decode(const char *buf, size_t len, bool document, size_t max_values,
                      struct kw_json_error *err)
{
    struct builder b = {.capopen = INLINE_LEVELS, .max_values = max_values};
    b.open = b.inline_open;
    int rc = document ? kw_json_scan_document(buf, len, build, &b, err)
                      : kw_json_scan(buf, len, build, &b, err);
    if (rc == OUT_OF_MEMORY || rc == TOO_MANY)
        report_stop(&b, rc, err);
    if (b.open != b.inline_open)
        free(b.open);
    if (rc != 0) {
        json_decref(b.root);
        return NULL;
    }
    return b.root;
}

json_t *kw_json_decode(const char *buf, size_t len, struct kw_json_error *err)
{
    return decode(buf, len, false, 0, err);
}

json_t *kw_json_decode_limited(const char *buf, size_t len, size_t max_values,
                               struct kw_json_error *err)
{
    return decode(buf, len, false, max_values, err);
}

json_t *kw_json_decode_document(const char *buf, size_t len, struct kw_json_error *err)
{
    return decode(buf, len, true, 0, err);
}
