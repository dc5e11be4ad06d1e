/* Strict single-pass JSON input: the request decoder (bytes -> jansson values)
 * and an event scanner that validates a document without building a tree
 * (the inline repositoryConfig). Both share one lexer and one grammar, so they
 * accept exactly the same language: RFC 8259 as jansson 2.14's json_loadb()
 * with flags 0 reads it (top-level array or object, no NaN/Infinity, comments,
 * trailing commas or BOM, valid UTF-8 only, no \u0000, integers within
 * json_int_t, finite reals, nesting up to 2048 levels), with the same error
 * texts and positions. Two deliberate differences: a NUL byte outside a
 * string is always an error (json_loadb skips one NUL right after a number or
 * a literal), and error texts are always printable UTF-8. Inputs are
 * length-delimited, never NUL-terminated. See docs/json.md. */
#ifndef KW_JSON_H
#define KW_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Deepest accepted nesting. kw_json_decode/kw_json_scan count a scalar as one
 * level, like jansson (2048 empty arrays nested are accepted, 2048 arrays
 * around a 1 are not); the _document variants count containers only (2048
 * nested containers are accepted whatever the deepest holds, a 2049th is not). */
#define KW_JSON_MAX_DEPTH 2048

/* Why a decode failed. */
enum kw_json_failure {
    KW_JSON_FAIL_SYNTAX,      /* not valid JSON: `text` says why, at `position` */
    KW_JSON_FAIL_NO_MEMORY,   /* an allocation failed ("not enough memory") */
    KW_JSON_FAIL_TOO_COMPLEX, /* more values than the caller's limit */
};

struct kw_json_error {
    /* Where the lexer stopped, jansson's convention: `position` is the number
     * of bytes consumed, `line` is 1-based, `column` is the 1-based column
     * (in characters) of the last character consumed (0 at a line start). */
    size_t line, column, position;
    char text[160]; /* "invalid token near 'x'"; always valid UTF-8, no control bytes */
    /* SYNTAX, or NO_MEMORY when the scanner's own buffers could not grow; the
     * decoders also report their allocations and the value limit. */
    enum kw_json_failure failure;
};

/* Decodes the one JSON array or object in buf[0..len) (whitespace around it
 * allowed, nothing else). Returns a new reference (caller owns it), or NULL
 * with `err` filled (also on allocation failure: "not enough memory").
 * Duplicate object keys: the last value wins, at the first key's position. */
json_t *kw_json_decode(const char *buf, size_t len, struct kw_json_error *err);

/* kw_json_decode that stops as soon as the document holds more than
 * `max_values` values (0: no limit). Every value counts, containers and
 * scalars alike (`{"a":[1,2]}` holds 4); object keys do not. The decoder
 * stops at the first value over the limit, before allocating it, so a body
 * of `{}` items never costs more than the limit's worth of values. Such a
 * failure has `err->failure` KW_JSON_FAIL_TOO_COMPLEX, the text "too many
 * values" and the position of that value. */
json_t *kw_json_decode_limited(const char *buf, size_t len, size_t max_values,
                               struct kw_json_error *err);

/* Limits of a kw_json_prune table: the deepest member it can name, the
 * members a kept object can list, and the rules one decode can apply. */
#define KW_JSON_PRUNE_DEPTH 6
#define KW_JSON_PRUNE_KEEP  4
#define KW_JSON_PRUNE_MAX   32

/* A member name with its length, as a table spells it: KW_JSON_NAME("spec"). */
struct kw_json_name {
    const char *s;
    size_t len;
};
#define KW_JSON_NAME(lit)                                                                          \
    {                                                                                              \
        lit, sizeof(lit) - 1                                                                       \
    }

/* One member that kw_json_decode_pruned does not build. `path` names it from
 * the top-level object, member by member (unused entries {NULL, 0}); it runs
 * through objects only, never into an array. With `keep` empty the member's
 * whole value is left out; otherwise the value is built, and when it is an
 * object only its members named in `keep` are (the others are left out).
 * Meant as a static table, rules with a common path next to each other:
 *   #define N KW_JSON_NAME
 *   {.path = {N("request"), N("options")}},
 *   {.path = {N("request"), N("userInfo")}, .keep = {N("username")}}, */
struct kw_json_prune {
    struct kw_json_name path[KW_JSON_PRUNE_DEPTH];
    struct kw_json_name keep[KW_JSON_PRUNE_KEEP];
};

/* kw_json_decode_limited that leaves out the members `prune[0..nprune)`
 * name (at most KW_JSON_PRUNE_MAX rules; any further ones are ignored).
 * What it leaves out is still scanned and validated, and still counts toward
 * `max_values`, exactly as if it were built: the verdict, the error (text,
 * line, column, position, failure) and the value at which the limit stops
 * are kw_json_decode_limited's. Only nothing is allocated for it. On success
 * the result is kw_json_decode's with those members removed. */
json_t *kw_json_decode_pruned(const char *buf, size_t len, size_t max_values,
                              const struct kw_json_prune *prune, size_t nprune,
                              struct kw_json_error *err);

/* kw_json_decode for a document embedded in a string field: the same
 * language, errors and positions, except that only objects and arrays count
 * toward KW_JSON_MAX_DEPTH (the 2049th nested container is "maximum parsing
 * depth reached"); what the mover's readers (Go's encoding/json, jq) call
 * nesting. */
json_t *kw_json_decode_document(const char *buf, size_t len, struct kw_json_error *err);

enum kw_json_event {
    KW_JSON_OBJECT_BEGIN,
    KW_JSON_OBJECT_END,
    KW_JSON_ARRAY_BEGIN,
    KW_JSON_ARRAY_END,
    KW_JSON_KEY,
    KW_JSON_STRING,
    KW_JSON_INTEGER,
    KW_JSON_REAL,
    KW_JSON_TRUE,
    KW_JSON_FALSE,
    KW_JSON_NULL
};

struct kw_json_token {
    enum kw_json_event ev;
    /* KEY/STRING: the decoded bytes (valid UTF-8, no NUL, not terminated).
     * Borrowed: valid during the callback; a KEY's text stays valid through
     * the callback of the event that follows it (its value's first event).
     * Other events: the raw token bytes inside the input ("12.5e3", "true",
     * "{"). */
    const char *text;
    size_t len;
    long long integer;   /* KW_JSON_INTEGER */
    double real;         /* KW_JSON_REAL: strtod of the token, as jansson */
    size_t line, column; /* of the token's first character, both 1-based */
    size_t offset;       /* byte offset of the token's first character */
    /* Nesting level: 1 for the top-level container and its END event, 2 for
     * its members (a KEY has the level of its value), and so on. */
    size_t depth;
};

/* Called once per event, in document order. Returns 0 to continue, or a
 * positive value to stop the scan (kw_json_scan then returns it). `ud` is the
 * caller's pointer, passed through. */
typedef int (*kw_json_visit_fn)(void *ud, const struct kw_json_token *tok);

/* Scans buf[0..len) with the same rules as kw_json_decode, without building
 * values. `visit` may be NULL (validation only), `err` may be NULL. Returns 0 when the document
 * is valid and fully visited, -1 on a syntax error (`err` filled; events
 * before the error have been visited), or the visitor's positive value.
 * Allocates only for strings with escapes and numbers over 63 bytes. */
int kw_json_scan(const char *buf, size_t len, kw_json_visit_fn visit, void *ud,
                 struct kw_json_error *err);

/* kw_json_scan with kw_json_decode_document's depth rule. */
int kw_json_scan_document(const char *buf, size_t len, kw_json_visit_fn visit, void *ud,
                          struct kw_json_error *err);

/* The JSON type an event starts, as messages name it: "object", "array",
 * "string", "integer", "number", "boolean" or "null". */
const char *kw_json_event_type_name(enum kw_json_event ev);

#endif
