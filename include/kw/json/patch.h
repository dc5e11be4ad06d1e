/* RFC 6902 JSON Patch and RFC 6901 JSON Pointer on jansson values: encoding
 * the core's patch operations, applying them (`check --output patched`), and
 * applying any patch document (the tests that prove every patch applies as
 * the API server would, and the fuzz target).
 *
 * Pointers are handled as (bytes, length): a JSON string may contain NUL, and
 * so may a member name. Every pointer must be valid UTF-8. Error texts are
 * written into `err` (always NUL-terminated when errlen > 0; err may be NULL). */
#ifndef KW_JSONPATCH_H
#define KW_JSONPATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/json/writer.h"

/* ---- JSON Patch operations as the core builds them ---- */

/* One operation as a defaulter builds it (path already escaped); the
 * decision type (include/kw/decision/result.h) holds a list of these. */
enum kw_patch_kind {
    KW_PATCH_ADD,
    KW_PATCH_REMOVE,
    KW_PATCH_REPLACE,
    KW_PATCH_MOVE,
    KW_PATCH_COPY,
    KW_PATCH_TEST
};

struct kw_patch_op {
    enum kw_patch_kind op;
    char *path;    /* JSON Pointer, already escaped */
    char *from;    /* JSON Pointer for move/copy, else NULL */
    json_t *value; /* owned reference for add/replace/test, else NULL */
};

/* ---- RFC 6901 JSON Pointer ---- */

/* One unescaped reference token. `text` points into the owning kw_pointer's
 * storage and is NUL-terminated, but may itself contain NUL bytes: use len. */
struct kw_pointer_token {
    const char *text;
    size_t len;
};

/* A parsed pointer. Owns `tokens` and `storage`; ntokens == 0 is the whole
 * document (the pointer ""). A zeroed struct is a valid empty pointer. */
struct kw_pointer {
    struct kw_pointer_token *tokens;
    size_t ntokens;
    char *storage;
};

/* Parses `len` bytes at `text` (borrowed) into unescaped tokens: "" or "/"
 * followed by tokens separated by "/", where "~0" is "~", "~1" is "/" and any
 * other "~" is an error. Returns 0, or -1 with a reason in err (syntax,
 * invalid UTF-8, allocation failure); on failure `out` is left empty, so
 * kw_pointer_free is always safe. */
int kw_pointer_parse(const char *text, size_t len, struct kw_pointer *out, char *err,
                     size_t errlen);
void kw_pointer_free(struct kw_pointer *ptr);

/* RFC 6901 array index: "0", or a digit 1-9 followed by digits (no sign, no
 * leading zero, no exponent). Returns true and the index; an index too large
 * for size_t gives SIZE_MAX, which is out of bounds of every array. "-" (the
 * element after the last) is not an index: false. */
bool kw_pointer_index(const char *token, size_t len, size_t *index);

/* Resolves the first `depth` tokens of `ptr` (depth <= ptr->ntokens) in
 * `doc`. Returns the value (borrowed from doc) or NULL; on NULL, *stop (when
 * non-NULL) is the index of the first token that names nothing: a missing
 * member, an array token that is not an index or is out of bounds ("-"
 * included), or any token under a scalar. */
json_t *kw_pointer_walk(json_t *doc, const struct kw_pointer *ptr, size_t depth, size_t *stop);

/* Renders `len` bytes of pointer text for a message into buf (always
 * NUL-terminated when size > 0): `""` for the empty pointer, control bytes
 * and bytes that are not valid UTF-8 as \xNN, cut with "..." at a character
 * boundary when longer than buf. Returns buf. */
const char *kw_pointer_show(const char *text, size_t len, char *buf, size_t size);

/* ---- RFC 6902 JSON Patch ---- */

/* Most values one patch may copy (the sum over its "copy" operations of the
 * JSON values in each copied subtree). Without a limit, copying the document
 * into itself doubles it with every operation. */
#define KW_PATCH_COPY_LIMIT ((size_t)1 << 20)

/* Deepest nesting (containers inside containers) an operation may leave at
 * its target; twice the 2048 levels jansson's parser accepts. Deeper values
 * would make the recursive copy, compare and free overflow the stack. */
#define KW_PATCH_MAX_DEPTH 4096

/* The RFC 6902 array for ops (new reference): objects with members in the
 * order op, path, from (move/copy), value (add/replace/test); the values are
 * deep copies. NULL on allocation failure or for an op that is not valid: an
 * unknown kind, a member its kind needs is missing (path; from for
 * move/copy; value for add/replace/test), or path/from is no JSON Pointer. */
json_t *kw_patch_to_json(const struct kw_patch_op *ops, size_t nops);

/* The same array written as JSON text by `w`, byte for byte what
 * json_dumps(kw_patch_to_json(ops, nops), JSON_COMPACT) gives, with no
 * tree built. An op kw_patch_to_json refuses fails the writer with
 * KW_JSON_WRITER_INVALID; check kw_json_writer_status(w) afterwards. */
void kw_patch_write(struct kw_json_writer *w, const struct kw_patch_op *ops, size_t nops);

/* RFC 6902 §4.6 equality, as used by "test": json_equal, except that numbers
 * are equal when mathematically equal, so integer 1 equals real 1.0. */
bool kw_patch_values_equal(const json_t *a, const json_t *b);

/* Applies an RFC 6902 patch array to `doc` in place (all or nothing: on
 * failure `doc` is unchanged). Returns 0, or -1 with a reason in err naming
 * the failing operation by its 0-based index in the patch array:
 * `operation 2 (add /spec/kopia/x): parent /spec/kopia does not exist`.
 * In place, an operation on the root ("" path) may not change the root's
 * type (a jansson value cannot change type); kw_patch_apply_root can. One
 * exception to all-or-nothing: if memory runs out while the finished result
 * is moved into a root object or array, `doc` may be left partly emptied. */
int kw_patch_apply(json_t *doc, const json_t *patch, char *err, size_t errlen);

/* Same, for the core's own operations. */
int kw_patch_apply_ops(json_t *doc, const struct kw_patch_op *ops, size_t nops, char *err,
                       size_t errlen);

/* Applies a patch to the document `*doc` (one owned reference). On success
 * *doc is the patched document (possibly a new value, the old reference is
 * released); on failure *doc is untouched. Fully all or nothing. */
int kw_patch_apply_root(json_t **doc, const json_t *patch, char *err, size_t errlen);

#endif
