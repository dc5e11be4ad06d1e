/* Test helpers for RFC 6901 JSON Pointers, over the core's parser
 * (kw_pointer_parse, kw_pointer_walk in kw/json/patch.h): escaping a token,
 * building a pointer, reading the value a pointer names. The product builds
 * its (constant) pointers already escaped; the tests need these to check
 * patches and as the inverse of the parser. Shared by the unit tests and the
 * fuzz target fuzz/fuzz_jsonpatch.c. */
#ifndef KW_TEST_JSON_POINTER_H
#define KW_TEST_JSON_POINTER_H

#include <jansson.h>
#include <stddef.h>

/* Escapes one reference token ("~" -> "~0", "/" -> "~1"). Returns a malloc'd
 * NUL-terminated string (caller frees) and its length in *outlen (may be
 * NULL), or NULL on allocation failure. */
char *kwt_pointer_escape(const char *token, size_t len, size_t *outlen);

/* Appends `token` to `base` as one escaped reference token:
 * kwt_pointer_join("/metadata/annotations", "a/b") ->
 * "/metadata/annotations/a~1b". malloc'd, NULL on allocation failure. */
char *kwt_pointer_join(const char *base, const char *token);

/* Resolves a JSON Pointer in `doc` (borrowed result) or NULL: not found, or
 * not a valid pointer. */
json_t *kwt_pointer_get(json_t *doc, const char *pointer);

#endif
