/* libFuzzer target for JSON Pointer and JSON Patch (kw/json/patch.h). The
 * input is a document and a patch, separated by the first NUL byte (or,
 * without one, the first newline), each parsed with json_loadb. Checks:
 * - a failed patch leaves the document identical (all or nothing);
 * - in place (kw_patch_apply) and by reference (kw_patch_apply_root) agree,
 *   except that in place cannot change the root's type;
 * - the same patch given as core operations (kw_patch_apply_ops) and
 *   re-encoded (kw_patch_to_json) gives the same outcome;
 * - a patched document can be patched again without crashing;
 * - every path that parses re-escapes to exactly its own text.
 * A violated check aborts, which libFuzzer reports as a finding. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/patch.h"

/* Pointer helpers are test support code; the fuzz build has no test library. */
#include "../tests/support/json_pointer.c"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__);                      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Strict equality (types and bytes), keeping member names with NUL bytes
 * whole, unlike jansson's json_equal. */
static bool identical(json_t *a, json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b))
            return false;
        for (void *it = json_object_iter(a); it; it = json_object_iter_next(a, it)) {
            json_t *other =
                json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!other || !identical(json_object_iter_value(it), other))
                return false;
        }
        return true;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!identical(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL:
        return json_real_value(a) == json_real_value(b);
    default:
        return true;
    }
}

/* A fresh copy of `doc`: replacing the root by itself copies it, as every
 * value a patch puts into a document is copied. */
static json_t *snapshot(json_t *doc)
{
    json_t *copy = json_incref(doc);
    char err[256];
    json_t *replace = json_pack("[{s:s,s:s,s:O}]", "op", "replace", "path", "", "value", doc);
    CHECK(replace);
    CHECK(kw_patch_apply_root(&copy, replace, err, sizeof(err)) == 0);
    CHECK(copy != doc || json_is_boolean(doc) || json_is_null(doc));
    CHECK(identical(copy, doc));
    json_decref(replace);
    return copy;
}

/* The path and from strings of a patch: parse, re-escape, compare. */
static void check_pointer_text(const json_t *text, json_t *doc)
{
    if (!json_is_string(text))
        return;
    const char *s = json_string_value(text);
    size_t len = json_string_length(text);
    struct kw_pointer ptr;
    char err[256];
    char shown[24];
    kw_pointer_show(s, len, shown, sizeof(shown));
    if (kw_pointer_parse(s, len, &ptr, err, sizeof(err)) != 0) {
        CHECK(err[0] != '\0');
        CHECK(ptr.ntokens == 0 && !ptr.tokens && !ptr.storage);
        return;
    }
    size_t pos = 0;
    for (size_t i = 0; i < ptr.ntokens; i++) {
        size_t elen;
        char *escaped = kwt_pointer_escape(ptr.tokens[i].text, ptr.tokens[i].len, &elen);
        CHECK(escaped);
        CHECK(pos < len && s[pos] == '/');
        CHECK(pos + 1 + elen <= len && memcmp(s + pos + 1, escaped, elen) == 0);
        pos += 1 + elen;
        size_t index;
        (void)kw_pointer_index(ptr.tokens[i].text, ptr.tokens[i].len, &index);
        free(escaped);
    }
    CHECK(pos == len);
    size_t stop = 0;
    (void)kw_pointer_walk(doc, &ptr, ptr.ntokens, &stop);
    if (!memchr(s, '\0', len))
        CHECK(kwt_pointer_get(doc, s) == kw_pointer_walk(doc, &ptr, ptr.ntokens, NULL));
    kw_pointer_free(&ptr);
}

static const char *const kinds[] = {"add", "remove", "replace", "move", "copy", "test"};

/* A C string member without NUL bytes, or NULL. */
static char *plain_string(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v)))
        return NULL;
    return (char *)json_string_value(v);
}

/* The patch as core operations (borrowing its strings and values), or
 * false when it has an operation they cannot express. */
static bool as_core_ops(const json_t *patch, struct kw_patch_op *ops)
{
    for (size_t i = 0; i < json_array_size(patch); i++) {
        const json_t *item = json_array_get(patch, i);
        const char *op = plain_string(item, "op");
        struct kw_patch_op *out = &ops[i];
        memset(out, 0, sizeof(*out));
        size_t k = 0;
        while (op && k < 6 && strcmp(op, kinds[k]) != 0)
            k++;
        if (!op || k == 6)
            return false;
        out->op = (enum kw_patch_kind)k;
        out->path = plain_string(item, "path");
        if (!out->path)
            return false;
        if (out->op == KW_PATCH_MOVE || out->op == KW_PATCH_COPY) {
            out->from = plain_string(item, "from");
            if (!out->from)
                return false;
        }
        if (out->op == KW_PATCH_ADD || out->op == KW_PATCH_REPLACE || out->op == KW_PATCH_TEST) {
            out->value = json_object_get(item, "value");
            if (!out->value)
                return false;
        }
    }
    return true;
}

/* `rc` and `result` are those of kw_patch_apply (in place) on `doc`. */
static void check_core_ops(json_t *doc, const json_t *patch, int rc, json_t *result)
{
    size_t n = json_array_size(patch);
    struct kw_patch_op *ops = calloc(n ? n : 1, sizeof(*ops));
    CHECK(ops);
    if (!as_core_ops(patch, ops)) {
        free(ops);
        return;
    }
    char err[256];
    json_t *copy = snapshot(doc);
    int rc_ops = kw_patch_apply_ops(copy, ops, n, err, sizeof(err));
    CHECK(rc_ops == rc);
    CHECK(identical(copy, rc == 0 ? result : doc));
    json_decref(copy);

    json_t *encoded = kw_patch_to_json(ops, n);
    if (encoded) {
        copy = snapshot(doc);
        CHECK(kw_patch_apply(copy, encoded, err, sizeof(err)) == rc);
        CHECK(identical(copy, rc == 0 ? result : doc));
        json_decref(copy);
        json_decref(encoded);
    } else {
        CHECK(rc != 0); /* only ops with a bad pointer fail to encode */
    }
    free(ops);
}

static void check_patch(json_t *doc, const json_t *patch)
{
    char err_root[512] = "", err_place[512] = "";
    json_t *before = snapshot(doc);

    json_t *by_ref = snapshot(doc);
    json_t *kept = by_ref;
    int rc_root = kw_patch_apply_root(&by_ref, patch, err_root, sizeof(err_root));
    if (rc_root != 0) {
        CHECK(by_ref == kept);
        CHECK(identical(by_ref, before));
        CHECK(err_root[0] != '\0');
    }

    json_t *in_place = snapshot(doc);
    int rc_place = kw_patch_apply(in_place, patch, err_place, sizeof(err_place));
    if (rc_place != 0) {
        CHECK(identical(in_place, before));
        CHECK(err_place[0] != '\0');
    }
    if (rc_root != 0) {
        CHECK(rc_place != 0 && strcmp(err_root, err_place) == 0);
    } else if (rc_place != 0) {
        CHECK(strstr(err_place, "cannot be done in place") != NULL);
        CHECK(!identical(by_ref, doc) && json_typeof(by_ref) != json_typeof(doc));
    } else {
        CHECK(identical(in_place, by_ref));
    }
    CHECK(identical(doc, before));

    if (json_is_array(patch)) {
        check_core_ops(doc, patch, rc_place, in_place);
        for (size_t i = 0; i < json_array_size(patch); i++) {
            check_pointer_text(json_object_get(json_array_get(patch, i), "path"), doc);
            check_pointer_text(json_object_get(json_array_get(patch, i), "from"), doc);
        }
    }

    /* Patch the result again: success or an unchanged document. */
    if (rc_root == 0) {
        json_t *again = snapshot(by_ref);
        json_t *kept_again = again;
        if (kw_patch_apply_root(&again, patch, err_root, sizeof(err_root)) != 0) {
            CHECK(again == kept_again);
            CHECK(identical(again, by_ref));
        }
        json_decref(again);
    }
    json_decref(before);
    json_decref(by_ref);
    json_decref(in_place);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *sep = memchr(text, '\0', size);
    if (!sep)
        sep = memchr(text, '\n', size);
    if (!sep)
        return 0;
    size_t doclen = (size_t)(sep - text);
    const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
    json_t *doc = json_loadb(text, doclen, flags, NULL);
    json_t *patch = json_loadb(sep + 1, size - doclen - 1, flags, NULL);
    if (doc && patch)
        check_patch(doc, patch);
    json_decref(doc);
    json_decref(patch);
    return 0;
}
