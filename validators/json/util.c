/* Read helpers over jansson values with the spec's absent-value rules. */
#include "kw/json/util.h"

#include <string.h>

#include "kw/base/dynbuf.h"

json_t *kw_obj_get(const json_t *obj, const char *key)
{
    if (!json_is_object(obj))
        return NULL;
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

json_t *kw_path_get(const json_t *root, const char *dotted)
{
    const json_t *cur = root;
    const char *p = dotted;
    char key[256];
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = 0;
        cur = kw_obj_get(cur, key);
        p += n + (dot ? 1 : 0);
    }
    return (json_t *)cur;
}

const char *kw_obj_str(const json_t *obj, const char *key)
{
    json_t *v = kw_obj_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *kw_obj_str_set(const json_t *obj, const char *key)
{
    const char *s = kw_obj_str(obj, key);
    return s && s[0] ? s : NULL;
}

bool kw_obj_has(const json_t *obj, const char *key)
{
    return kw_obj_get(obj, key) != NULL;
}

static int dump_to_buffer(const char *text, size_t size, void *data)
{
    return kw_dynbuf_append(data, text, size) == KW_DYNBUF_OK ? 0 : -1;
}

char *kw_json_dump(const json_t *value, size_t flags, size_t *len_out)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    if (json_dump_callback(value, dump_to_buffer, &b, flags) != 0) {
        kw_dynbuf_free(&b);
        return NULL;
    }
    size_t len;
    char *text = kw_dynbuf_take(&b, &len);
    if (len_out)
        *len_out = len;
    return text;
}
