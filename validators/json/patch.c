/* RFC 6902 JSON Patch on jansson values: decoding a patch document (or the
 * core's kw_patch_op list) into checked operations, applying the six
 * operations all or nothing, RFC 6902 value equality for "test", and
 * encoding the core's operations as a patch array (a jansson value, or JSON
 * text written straight by a kw_json_writer).
 *
 * Decisions where RFC 6902 leaves room:
 * - All or nothing: the whole patch is decoded and every pointer parsed
 *   before anything is touched; the operations then run on a deep copy of
 *   the document, which takes the original's place only when all succeeded.
 * - "test" compares numbers mathematically (§4.6 "numerically equal"):
 *   integer 1 equals real 1.0, integer 1 does not equal real 1.5; strings,
 *   arrays, objects and literals as json_equal (member order never matters).
 * - "remove" of the whole document (path "") is an error: a document cannot
 *   become nothing. "add" and "replace" with path "" replace the document.
 * - "-" (the element after the last of an array) is only meaningful as the
 *   last token of the target of add, move and copy; anywhere else it names
 *   nothing, like any other missing element.
 * - Moving a value onto itself (from == path) is a no-op once the value is
 *   found; moving a value into one of its own children is an error (§4.4).
 * - Members an operation does not use are ignored (§4), e.g. "value" on
 *   remove. Duplicate member names (§4, A.13) are the parser's concern: load
 *   patches with JSON_REJECT_DUPLICATES to refuse them.
 * - "copy" may copy at most KW_PATCH_COPY_LIMIT values per patch, and no
 *   operation may nest the document deeper than KW_PATCH_MAX_DEPTH levels
 *   (copying the document into its deepest member doubles its depth).
 * - Messages number operations from 0, as a pointer into the patch does. */
#include "kw/json/patch.h"
#include "kw/json/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SHOWN 160 /* bytes for one pointer rendered in a message */

static const char *const kind_names[] = {
    [KW_PATCH_ADD] = "add",   [KW_PATCH_REMOVE] = "remove", [KW_PATCH_REPLACE] = "replace",
    [KW_PATCH_MOVE] = "move", [KW_PATCH_COPY] = "copy",     [KW_PATCH_TEST] = "test",
};
#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* One checked operation. Strings and value are borrowed from the patch. */
struct op {
    enum kw_patch_kind kind;
    const char *path; /* escaped pointer text, pathlen bytes */
    size_t pathlen;
    const char *from; /* move/copy only */
    size_t fromlen;
    const json_t *value;   /* add/replace/test only */
    struct kw_pointer to;  /* parsed path */
    struct kw_pointer src; /* parsed from */
};

/* State of one patch application. */
struct run {
    size_t index;       /* operation being applied, for messages */
    size_t copy_budget; /* values "copy" may still copy */
    char *err;
    size_t errlen;
};

static bool uses_from(enum kw_patch_kind kind)
{
    return kind == KW_PATCH_MOVE || kind == KW_PATCH_COPY;
}

static bool uses_value(enum kw_patch_kind kind)
{
    return kind == KW_PATCH_ADD || kind == KW_PATCH_REPLACE || kind == KW_PATCH_TEST;
}

/* "an object", "a string", ... for messages. */
static const char *type_words(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* `"text"` for a message: a reference token or an op name. */
static const char *quoted(const char *text, size_t len, char *buf, size_t size)
{
    char shown[SHOWN];
    if (len == 0)
        snprintf(buf, size, "\"\"");
    else
        snprintf(buf, size, "\"%s\"", kw_pointer_show(text, len, shown, sizeof(shown)));
    return buf;
}

/* "add /a/b" or "move from /a to /b": how messages name an operation. */
static void op_label(const struct op *op, char *buf, size_t size)
{
    char path[SHOWN], from[SHOWN];
    const char *name = kind_names[op->kind];
    if (!op->path) {
        snprintf(buf, size, "%s", name);
        return;
    }
    kw_pointer_show(op->path, op->pathlen, path, sizeof(path));
    if (uses_from(op->kind) && op->from) {
        kw_pointer_show(op->from, op->fromlen, from, sizeof(from));
        snprintf(buf, size, "%s from %s to %s", name, from, path);
    } else {
        snprintf(buf, size, "%s %s", name, path);
    }
}

/* Writes `operation N (label): detail` and returns -1. */
__attribute__((format(printf, 5, 6))) static int op_error(char *err, size_t errlen, size_t index,
                                                          const struct op *op, const char *fmt, ...)
{
    char label[2 * SHOWN + 32], detail[3 * SHOWN + 64];
    op_label(op, label, sizeof(label));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    kw_json_set_err(err, errlen, "operation %zu (%s): %s", index, label, detail);
    return -1;
}

#define FAIL(run, op, ...) op_error((run)->err, (run)->errlen, (run)->index, (op), __VA_ARGS__)

/* A deep copy that keeps member names containing NUL bytes whole (jansson
 * 2.14's json_deep_copy cuts them at the NUL). NULL on allocation failure. */
static json_t *copy_value(const json_t *value)
{
    json_t *v = (json_t *)value; /* jansson's iterators take non-const */
    json_t *copy = NULL;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        copy = json_object();
        for (void *it = json_object_iter(v); copy && it; it = json_object_iter_next(v, it)) {
            if (json_object_setn_new_nocheck(copy, json_object_iter_key(it),
                                             json_object_iter_key_len(it),
                                             copy_value(json_object_iter_value(it))) != 0) {
                json_decref(copy);
                copy = NULL;
            }
        }
        return copy;
    case JSON_ARRAY:
        copy = json_array();
        for (size_t i = 0; copy && i < json_array_size(v); i++) {
            if (json_array_append_new(copy, copy_value(json_array_get(v, i))) != 0) {
                json_decref(copy);
                copy = NULL;
            }
        }
        return copy;
    case JSON_STRING:
        return json_stringn_nocheck(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return json_integer(json_integer_value(v));
    case JSON_REAL:
        return json_real(json_real_value(v));
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        break;
    }
    return json_incref(v); /* shared singletons */
}

/* ---- decoding ---- */

static void free_ops(struct op *ops, size_t nops)
{
    for (size_t i = 0; ops && i < nops; i++) {
        kw_pointer_free(&ops[i].to);
        kw_pointer_free(&ops[i].src);
    }
    free(ops);
}

/* Parses path and from of a decoded operation. */
static int parse_pointers(struct op *op, size_t index, char *err, size_t errlen)
{
    char why[128];
    if (kw_pointer_parse(op->path, op->pathlen, &op->to, why, sizeof(why)) != 0)
        return op_error(err, errlen, index, op, "invalid path: %s", why);
    if (uses_from(op->kind) &&
        kw_pointer_parse(op->from, op->fromlen, &op->src, why, sizeof(why)) != 0)
        return op_error(err, errlen, index, op, "invalid from: %s", why);
    return 0;
}

/* A required string member of a patch operation object. */
static int string_member(const json_t *item, const char *name, const char **text, size_t *len,
                         size_t index, const struct op *op, char *err, size_t errlen)
{
    const json_t *member = json_object_get(item, name);
    if (!member)
        return op_error(err, errlen, index, op, "\"%s\" is required", name);
    if (!json_is_string(member))
        return op_error(err, errlen, index, op, "\"%s\" must be a string, not %s", name,
                        type_words(member));
    *text = json_string_value(member);
    *len = json_string_length(member);
    return 0;
}

static int decode_kind(const json_t *item, size_t index, enum kw_patch_kind *kind, char *err,
                       size_t errlen)
{
    const json_t *name = json_object_get(item, "op");
    if (!name) {
        kw_json_set_err(err, errlen, "operation %zu: \"op\" is required", index);
        return -1;
    }
    if (!json_is_string(name)) {
        kw_json_set_err(err, errlen, "operation %zu: \"op\" must be a string, not %s", index,
                        type_words(name));
        return -1;
    }
    const char *text = json_string_value(name);
    size_t len = json_string_length(name);
    for (size_t k = 0; k < NKINDS; k++) {
        if (strlen(kind_names[k]) == len && memcmp(kind_names[k], text, len) == 0) {
            *kind = (enum kw_patch_kind)k;
            return 0;
        }
    }
    char shown[SHOWN + 2];
    kw_json_set_err(err, errlen,
                    "operation %zu: Unsupported value: \"op\" %s: supported values: add, remove, "
                    "replace, move, copy, test",
                    index, quoted(text, len, shown, sizeof(shown)));
    return -1;
}

static int decode_json_op(const json_t *item, size_t index, struct op *op, char *err, size_t errlen)
{
    if (!json_is_object(item)) {
        kw_json_set_err(err, errlen, "operation %zu: must be an object, not %s", index,
                        type_words(item));
        return -1;
    }
    if (decode_kind(item, index, &op->kind, err, errlen) != 0)
        return -1;
    if (string_member(item, "path", &op->path, &op->pathlen, index, op, err, errlen) != 0)
        return -1;
    if (uses_from(op->kind) &&
        string_member(item, "from", &op->from, &op->fromlen, index, op, err, errlen) != 0)
        return -1;
    if (uses_value(op->kind)) {
        op->value = json_object_get(item, "value");
        if (!op->value)
            return op_error(err, errlen, index, op, "\"value\" is required");
    }
    return parse_pointers(op, index, err, errlen);
}

/* Checks a patch document and parses all its pointers. *ops is malloc'd
 * (free_ops) and borrows from `patch`. */
static int decode_json_patch(const json_t *patch, struct op **ops, size_t *nops, char *err,
                             size_t errlen)
{
    *ops = NULL;
    *nops = 0;
    if (!patch || !json_is_array(patch)) {
        kw_json_set_err(err, errlen, "patch must be an array of operations, not %s",
                        patch ? type_words(patch) : "nothing");
        return -1;
    }
    size_t n = json_array_size(patch);
    if (n == 0)
        return 0;
    struct op *decoded = calloc(n, sizeof(*decoded));
    if (!decoded) {
        kw_json_set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (decode_json_op(json_array_get(patch, i), i, &decoded[i], err, errlen) != 0) {
            free_ops(decoded, n);
            return -1;
        }
    }
    *ops = decoded;
    *nops = n;
    return 0;
}

static int decode_struct_op(const struct kw_patch_op *in, size_t index, struct op *op, char *err,
                            size_t errlen)
{
    if ((unsigned)in->op >= NKINDS) {
        kw_json_set_err(err, errlen, "operation %zu: unsupported operation kind %d", index,
                        (int)in->op);
        return -1;
    }
    op->kind = in->op;
    if (!in->path)
        return op_error(err, errlen, index, op, "\"path\" is required");
    op->path = in->path;
    op->pathlen = strlen(in->path);
    if (uses_from(op->kind)) {
        if (!in->from)
            return op_error(err, errlen, index, op, "\"from\" is required");
        op->from = in->from;
        op->fromlen = strlen(in->from);
    }
    if (uses_value(op->kind)) {
        if (!in->value)
            return op_error(err, errlen, index, op, "\"value\" is required");
        op->value = in->value;
    }
    return parse_pointers(op, index, err, errlen);
}

static int decode_struct_ops(const struct kw_patch_op *in, size_t n, struct op **ops, size_t *nops,
                             char *err, size_t errlen)
{
    *ops = NULL;
    *nops = 0;
    if (n == 0)
        return 0;
    if (!in) {
        kw_json_set_err(err, errlen, "no operations given");
        return -1;
    }
    struct op *decoded = calloc(n, sizeof(*decoded));
    if (!decoded) {
        kw_json_set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (decode_struct_op(&in[i], i, &decoded[i], err, errlen) != 0) {
            free_ops(decoded, n);
            return -1;
        }
    }
    *ops = decoded;
    *nops = n;
    return 0;
}

/* ---- locations and messages ---- */

/* Length of the escaped text of the first `ntokens` tokens of pointer text. */
static size_t prefix_len(const char *text, size_t len, size_t ntokens)
{
    size_t seen = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '/' && seen++ == ntokens)
            return i;
    }
    return len;
}

/* Names the location of the first `ntokens` tokens for a message. */
static const char *location(const char *text, size_t len, size_t ntokens, char *buf, size_t size)
{
    if (ntokens == 0) {
        snprintf(buf, size, "the document root");
        return buf;
    }
    return kw_pointer_show(text, prefix_len(text, len, ntokens), buf, size);
}

static bool token_is(const struct kw_pointer_token *tok, const char *s)
{
    return tok->len == strlen(s) && memcmp(tok->text, s, tok->len) == 0;
}

static bool tokens_equal(const struct kw_pointer_token *a, const struct kw_pointer_token *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* True when the first a->ntokens tokens of b are a's. */
static bool pointer_starts_with(const struct kw_pointer *b, const struct kw_pointer *a)
{
    if (a->ntokens > b->ntokens)
        return false;
    for (size_t i = 0; i < a->ntokens; i++)
        if (!tokens_equal(&a->tokens[i], &b->tokens[i]))
            return false;
    return true;
}

/* Explains why token `stop` of the pointer names nothing in `container`. */
static int explain_missing(struct run *run, const struct op *op, const char *text, size_t len,
                           const struct kw_pointer *ptr, json_t *container, size_t stop)
{
    char where[SHOWN], tok[SHOWN + 2];
    const struct kw_pointer_token *t = &ptr->tokens[stop];
    location(text, len, stop, where, sizeof(where));
    quoted(t->text, t->len, tok, sizeof(tok));
    if (json_is_array(container)) {
        size_t index;
        if (token_is(t, "-"))
            return FAIL(run, op, "\"-\" names no existing element of %s", where);
        if (!kw_pointer_index(t->text, t->len, &index))
            return FAIL(run, op, "%s is an array and %s is not an array index", where, tok);
        return FAIL(run, op, "index %s is out of bounds (%s has %zu items)",
                    kw_pointer_show(t->text, t->len, tok, sizeof(tok)), where,
                    json_array_size(container));
    }
    if (json_is_object(container)) {
        char missing[SHOWN];
        location(text, len, stop + 1, missing, sizeof(missing));
        return FAIL(run, op, "%s does not exist", missing);
    }
    return FAIL(run, op, "%s is %s, not an object or array", where, type_words(container));
}

/* The existing value at path (or at from when `source`), or NULL after
 * writing why it does not exist. */
static json_t *find_target(struct run *run, const struct op *op, json_t *root, bool source)
{
    const struct kw_pointer *ptr = source ? &op->src : &op->to;
    size_t stop = 0;
    json_t *found = kw_pointer_walk(root, ptr, ptr->ntokens, &stop);
    if (!found) {
        const char *text = source ? op->from : op->path;
        size_t len = source ? op->fromlen : op->pathlen;
        explain_missing(run, op, text, len, ptr, kw_pointer_walk(root, ptr, stop, NULL), stop);
    }
    return found;
}

/* ---- the operations ---- */

/* Puts `value` (stolen) at the target of an add-like operation: the root,
 * an object member (replaced if present) or an array position ("-" appends). */
/* Nesting depth of a value (0 for a scalar, 1 for [] or {}); counting
 * stops past `limit`, so the recursion never goes deeper than the limit. */
static size_t depth_of(json_t *value, size_t limit)
{
    size_t deepest = 0;
    if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value) && deepest < limit; i++) {
            size_t d = depth_of(json_array_get(value, i), limit - 1);
            deepest = d > deepest ? d : deepest;
        }
    } else if (json_is_object(value)) {
        for (void *it = json_object_iter(value); it && deepest < limit;
             it = json_object_iter_next(value, it)) {
            size_t d = depth_of(json_object_iter_value(it), limit - 1);
            deepest = d > deepest ? d : deepest;
        }
    } else {
        return 0;
    }
    return 1 + deepest;
}

/* False (after writing why) when `value` at the operation's path would nest
 * the document deeper than KW_PATCH_MAX_DEPTH. */
static bool depth_fits(struct run *run, const struct op *op, json_t *value)
{
    size_t above = op->to.ntokens;
    if (above <= KW_PATCH_MAX_DEPTH &&
        depth_of(value, KW_PATCH_MAX_DEPTH - above) <= KW_PATCH_MAX_DEPTH - above)
        return true;
    FAIL(run, op, "Too many: the document would nest more than %d levels deep", KW_PATCH_MAX_DEPTH);
    return false;
}

static int add_value(struct run *run, const struct op *op, json_t **root, json_t *value)
{
    const struct kw_pointer *to = &op->to;
    if (!depth_fits(run, op, value)) {
        json_decref(value);
        return -1;
    }
    if (to->ntokens == 0) {
        json_decref(*root);
        *root = value;
        return 0;
    }
    char where[SHOWN], tok[SHOWN + 2];
    size_t last = to->ntokens - 1;
    const struct kw_pointer_token *t = &to->tokens[last];
    json_t *parent = kw_pointer_walk(*root, to, last, NULL);
    location(op->path, op->pathlen, last, where, sizeof(where));
    int rc = 0;
    if (!parent) {
        rc = FAIL(run, op, "parent %s does not exist", where);
    } else if (json_is_object(parent)) {
        if (json_object_setn_new(parent, t->text, t->len, value) != 0)
            return FAIL(run, op, "out of memory"); /* setn_new released value */
        return 0;
    } else if (!json_is_array(parent)) {
        rc = FAIL(run, op, "%s is %s, not an object or array", where, type_words(parent));
    } else if (token_is(t, "-")) {
        if (json_array_append_new(parent, value) != 0)
            return FAIL(run, op, "out of memory");
        return 0;
    } else {
        size_t index;
        quoted(t->text, t->len, tok, sizeof(tok));
        if (!kw_pointer_index(t->text, t->len, &index)) {
            rc = FAIL(run, op, "%s is an array and %s is not an array index", where, tok);
        } else if (index > json_array_size(parent)) {
            rc = FAIL(run, op, "index %s is out of bounds (%s has %zu items)",
                      kw_pointer_show(t->text, t->len, tok, sizeof(tok)), where,
                      json_array_size(parent));
        } else {
            if (json_array_insert_new(parent, index, value) != 0)
                return FAIL(run, op, "out of memory");
            return 0;
        }
    }
    json_decref(value);
    return rc;
}

/* Removes the existing, non-root value at `ptr`. */
static void detach(json_t *root, const struct kw_pointer *ptr)
{
    size_t last = ptr->ntokens - 1;
    const struct kw_pointer_token *t = &ptr->tokens[last];
    json_t *parent = kw_pointer_walk(root, ptr, last, NULL);
    size_t index;
    if (json_is_object(parent))
        json_object_deln(parent, t->text, t->len);
    else if (kw_pointer_index(t->text, t->len, &index))
        json_array_remove(parent, index);
}

static int apply_add(struct run *run, const struct op *op, json_t **root)
{
    json_t *value = copy_value(op->value);
    if (!value)
        return FAIL(run, op, "out of memory");
    return add_value(run, op, root, value);
}

static int apply_remove(struct run *run, const struct op *op, json_t **root)
{
    if (op->to.ntokens == 0)
        return FAIL(run, op, "the document root cannot be removed");
    if (!find_target(run, op, *root, false))
        return -1;
    detach(*root, &op->to);
    return 0;
}

static int apply_replace(struct run *run, const struct op *op, json_t **root)
{
    if (!find_target(run, op, *root, false))
        return -1;
    /* The target exists, so "add" at it replaces exactly that value. An
     * array element is replaced in place rather than inserted. */
    json_t *value = copy_value(op->value);
    if (!value)
        return FAIL(run, op, "out of memory");
    if (op->to.ntokens > 0) {
        size_t last = op->to.ntokens - 1;
        json_t *parent = kw_pointer_walk(*root, &op->to, last, NULL);
        size_t index;
        if (json_is_array(parent) &&
            kw_pointer_index(op->to.tokens[last].text, op->to.tokens[last].len, &index)) {
            if (!depth_fits(run, op, value)) {
                json_decref(value);
                return -1;
            }
            if (json_array_set_new(parent, index, value) != 0)
                return FAIL(run, op, "out of memory");
            return 0;
        }
    }
    return add_value(run, op, root, value);
}

static int apply_move(struct run *run, const struct op *op, json_t **root)
{
    bool same = op->src.ntokens == op->to.ntokens && pointer_starts_with(&op->to, &op->src);
    if (!same && pointer_starts_with(&op->to, &op->src))
        return FAIL(run, op, "a value cannot be moved into one of its own children");
    json_t *value = find_target(run, op, *root, true);
    if (!value)
        return -1;
    if (same)
        return 0;
    json_incref(value);
    detach(*root, &op->src);
    return add_value(run, op, root, value);
}

/* Number of JSON values in `value`, counting stops past `limit`. */
static size_t count_values(json_t *value, size_t limit)
{
    size_t n = 1;
    if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value) && n <= limit; i++)
            n += count_values(json_array_get(value, i), limit - n);
    } else if (json_is_object(value)) {
        for (void *it = json_object_iter(value); it && n <= limit;
             it = json_object_iter_next(value, it))
            n += count_values(json_object_iter_value(it), limit - n);
    }
    return n;
}

static int apply_copy(struct run *run, const struct op *op, json_t **root)
{
    json_t *source = find_target(run, op, *root, true);
    if (!source)
        return -1;
    size_t n = count_values(source, run->copy_budget);
    if (n > run->copy_budget)
        return FAIL(run, op,
                    "Too many: the patch would copy more than %zu values (the limit for one "
                    "patch)",
                    (size_t)KW_PATCH_COPY_LIMIT);
    run->copy_budget -= n;
    json_t *value = copy_value(source);
    if (!value)
        return FAIL(run, op, "out of memory");
    return add_value(run, op, root, value);
}

/* Compact JSON of a value for a message, cut to fit buf. */
static const char *render(const json_t *value, char *buf, size_t size)
{
    char *text = kw_json_dump(value, JSON_COMPACT | JSON_ENCODE_ANY, NULL);
    if (!text) {
        snprintf(buf, size, "%s", type_words(value));
        return buf;
    }
    kw_pointer_show(text, strlen(text), buf, size);
    free(text);
    return buf;
}

static int apply_test(struct run *run, const struct op *op, json_t **root)
{
    json_t *found = find_target(run, op, *root, false);
    if (!found)
        return -1;
    if (kw_patch_values_equal(found, op->value))
        return 0;
    char have[SHOWN / 2], want[SHOWN / 2];
    return FAIL(run, op, "test failed: the value is %s, not %s", render(found, have, sizeof(have)),
                render(op->value, want, sizeof(want)));
}

static int apply_one(struct run *run, const struct op *op, json_t **root)
{
    switch (op->kind) {
    case KW_PATCH_ADD:
        return apply_add(run, op, root);
    case KW_PATCH_REMOVE:
        return apply_remove(run, op, root);
    case KW_PATCH_REPLACE:
        return apply_replace(run, op, root);
    case KW_PATCH_MOVE:
        return apply_move(run, op, root);
    case KW_PATCH_COPY:
        return apply_copy(run, op, root);
    case KW_PATCH_TEST:
        return apply_test(run, op, root);
    }
    return FAIL(run, op, "unsupported operation");
}

/* Applies decoded operations to a deep copy of `doc`. Returns the patched
 * copy (new reference) or NULL with a reason in err. */
static json_t *apply_to_copy(const json_t *doc, const struct op *ops, size_t nops, char *err,
                             size_t errlen)
{
    if (!doc) {
        kw_json_set_err(err, errlen, "no document to patch");
        return NULL;
    }
    json_t *root = copy_value(doc);
    if (!root) {
        kw_json_set_err(err, errlen, "out of memory");
        return NULL;
    }
    struct run run = {.copy_budget = KW_PATCH_COPY_LIMIT, .err = err, .errlen = errlen};
    for (size_t i = 0; i < nops; i++) {
        run.index = i;
        if (apply_one(&run, &ops[i], &root) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

/* "true", "false" or the type words: booleans differ by value in jansson. */
static const char *literal_or_type(const json_t *value)
{
    if (json_is_true(value))
        return "true";
    if (json_is_false(value))
        return "false";
    return type_words(value);
}

/* Makes `doc` hold what `result` holds; same type required, as a jansson
 * value cannot change type. */
static int adopt_root(json_t *doc, json_t *result, char *err, size_t errlen)
{
    if (json_typeof(doc) != json_typeof(result)) {
        kw_json_set_err(err, errlen,
                        "the patch turns the document root from %s into %s, which cannot be done "
                        "in place",
                        literal_or_type(doc), literal_or_type(result));
        return -1;
    }
    int rc = 0;
    switch (json_typeof(doc)) {
    case JSON_OBJECT:
        rc = json_object_clear(doc);
        for (void *it = json_object_iter(result); rc == 0 && it;
             it = json_object_iter_next(result, it))
            rc = json_object_setn_nocheck(doc, json_object_iter_key(it),
                                          json_object_iter_key_len(it), json_object_iter_value(it));
        break;
    case JSON_ARRAY:
        rc = json_array_clear(doc) || json_array_extend(doc, result);
        break;
    case JSON_STRING:
        rc = json_string_setn(doc, json_string_value(result), json_string_length(result));
        break;
    case JSON_INTEGER:
        rc = json_integer_set(doc, json_integer_value(result));
        break;
    case JSON_REAL:
        rc = json_real_set(doc, json_real_value(result));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        break; /* shared singletons: same type means same value */
    }
    if (rc != 0) {
        kw_json_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int apply_in_place(json_t *doc, const struct op *ops, size_t nops, char *err, size_t errlen)
{
    if (doc && nops == 0)
        return 0;
    json_t *result = apply_to_copy(doc, ops, nops, err, errlen);
    if (!result)
        return -1;
    int rc = adopt_root(doc, result, err, errlen);
    json_decref(result);
    return rc;
}

/* ---- public ---- */

int kw_patch_apply(json_t *doc, const json_t *patch, char *err, size_t errlen)
{
    struct op *ops;
    size_t nops;
    if (decode_json_patch(patch, &ops, &nops, err, errlen) != 0)
        return -1;
    int rc = apply_in_place(doc, ops, nops, err, errlen);
    free_ops(ops, nops);
    return rc;
}

int kw_patch_apply_ops(json_t *doc, const struct kw_patch_op *ops, size_t nops, char *err,
                       size_t errlen)
{
    struct op *decoded;
    size_t ndecoded;
    if (decode_struct_ops(ops, nops, &decoded, &ndecoded, err, errlen) != 0)
        return -1;
    int rc = apply_in_place(doc, decoded, ndecoded, err, errlen);
    free_ops(decoded, ndecoded);
    return rc;
}

int kw_patch_apply_root(json_t **doc, const json_t *patch, char *err, size_t errlen)
{
    struct op *ops;
    size_t nops;
    if (!doc) {
        kw_json_set_err(err, errlen, "no document to patch");
        return -1;
    }
    if (decode_json_patch(patch, &ops, &nops, err, errlen) != 0)
        return -1;
    if (*doc && nops == 0)
        return 0;
    json_t *result = apply_to_copy(*doc, ops, nops, err, errlen);
    free_ops(ops, nops);
    if (!result)
        return -1;
    json_decref(*doc);
    *doc = result;
    return 0;
}

/* Integer and real compare as the numbers they denote. */
static bool numbers_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    const json_t *integer = json_is_integer(a) ? a : b;
    double real = json_real_value(json_is_real(a) ? a : b);
    /* json_int_t is 64-bit: reals outside [-2^63, 2^63) equal no integer. */
    if (!(real >= -9223372036854775808.0 && real < 9223372036854775808.0))
        return false;
    json_int_t whole = (json_int_t)real;
    return (double)whole == real && whole == json_integer_value(integer);
}

static bool objects_equal(const json_t *a, const json_t *b)
{
    if (json_object_size(a) != json_object_size(b))
        return false;
    for (void *it = json_object_iter((json_t *)a); it;
         it = json_object_iter_next((json_t *)a, it)) {
        const json_t *other =
            json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
        if (!other || !kw_patch_values_equal(json_object_iter_value(it), other))
            return false;
    }
    return true;
}

bool kw_patch_values_equal(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return numbers_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        return objects_equal(a, b);
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!kw_patch_values_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default:
        return true; /* true, false, null: same type, same value */
    }
}

/* True when kw_patch_to_json can encode the operation: a known kind, the
 * members it needs, path and from valid pointers. */
static bool encodable(const struct kw_patch_op *in)
{
    struct op op = {0};
    int rc = decode_struct_op(in, 0, &op, NULL, 0);
    kw_pointer_free(&op.to);
    kw_pointer_free(&op.src);
    return rc == 0;
}

/* One operation as an RFC 6902 object, or NULL (see kw_patch_to_json). */
static json_t *op_to_json(const struct kw_patch_op *in)
{
    if (!encodable(in))
        return NULL;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    bool ok = json_object_set_new(obj, "op", json_string(kind_names[in->op])) == 0 &&
              json_object_set_new(obj, "path", json_string(in->path)) == 0;
    if (ok && uses_from(in->op))
        ok = json_object_set_new(obj, "from", json_string(in->from)) == 0;
    if (ok && uses_value(in->op))
        ok = json_object_set_new(obj, "value", copy_value(in->value)) == 0;
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *kw_patch_to_json(const struct kw_patch_op *ops, size_t nops)
{
    if (nops > 0 && !ops)
        return NULL;
    json_t *array = json_array();
    for (size_t i = 0; array && i < nops; i++) {
        if (json_array_append_new(array, op_to_json(&ops[i])) != 0) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

/* The members in op_to_json's order: op, path, from, value. */
static void write_op(struct kw_json_writer *w, const struct kw_patch_op *in)
{
    if (!encodable(in)) {
        kw_json_writer_fail(w, KW_JSON_WRITER_INVALID);
        return;
    }
    kw_json_write_object_begin(w);
    kw_json_write_key(w, "op");
    kw_json_write_string(w, kind_names[in->op]);
    kw_json_write_key(w, "path");
    kw_json_write_string(w, in->path);
    if (uses_from(in->op)) {
        kw_json_write_key(w, "from");
        kw_json_write_string(w, in->from);
    }
    if (uses_value(in->op)) {
        kw_json_write_key(w, "value");
        kw_json_write_value(w, in->value);
    }
    kw_json_write_object_end(w);
}

void kw_patch_write(struct kw_json_writer *w, const struct kw_patch_op *ops, size_t nops)
{
    if (nops > 0 && !ops) {
        kw_json_writer_fail(w, KW_JSON_WRITER_INVALID);
        return;
    }
    kw_json_write_array_begin(w);
    for (size_t i = 0; i < nops && kw_json_writer_status(w) == KW_JSON_WRITER_OK; i++)
        write_op(w, &ops[i]);
    kw_json_write_array_end(w);
}
