/* Small read helpers over jansson values that encode the spec's "absent"
 * rules: a JSON null counts as absent everywhere, and for some fields an
 * empty string does too. All return borrowed references. */
#ifndef KW_JSONUTIL_H
#define KW_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>

/* obj[key], or NULL when obj is not an object, key is missing or null. */
json_t *kw_obj_get(const json_t *obj, const char *key);
/* Walks a dotted path ("spec.kopia.sourceIdentity"), NULL as above. */
json_t *kw_path_get(const json_t *root, const char *dotted);
/* obj[key] when it is a string, else NULL. */
const char *kw_obj_str(const json_t *obj, const char *key);
/* obj[key] when it is a non-empty string, else NULL (empty = absent). */
const char *kw_obj_str_set(const json_t *obj, const char *key);
/* True when obj[key] is present and not null. */
bool kw_obj_has(const json_t *obj, const char *key);

/* json_dumps(value, flags), but the text is malloc'd (free() it), whatever
 * allocator jansson was given (json_set_alloc_funcs): the server gives each
 * request an arena, and text that outlives the tree, or is freed with
 * free(), must not come from it. Sets *len_out when not NULL; NULL on
 * allocation failure. */
char *kw_json_dump(const json_t *value, size_t flags, size_t *len_out);

#endif
