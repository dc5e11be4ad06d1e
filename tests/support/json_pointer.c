/* Test helpers for JSON Pointers (see json_pointer.h). Also compiled into the
 * fuzz target fuzz/fuzz_jsonpatch.c. */
#include "json_pointer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/patch.h"

char *kwt_pointer_escape(const char *token, size_t len, size_t *outlen)
{
    size_t extra = 0;
    for (size_t i = 0; i < len; i++)
        if (token[i] == '~' || token[i] == '/')
            extra++;
    if (len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *out = malloc(len + extra + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '~' || token[i] == '/') {
            out[n++] = '~';
            out[n++] = token[i] == '~' ? '0' : '1';
        } else {
            out[n++] = token[i];
        }
    }
    out[n] = '\0';
    if (outlen)
        *outlen = n;
    return out;
}

char *kwt_pointer_join(const char *base, const char *token)
{
    size_t toklen;
    char *escaped = kwt_pointer_escape(token, strlen(token), &toklen);
    if (!escaped)
        return NULL;
    size_t baselen = strlen(base);
    char *out = malloc(baselen + 1 + toklen + 1);
    if (out) {
        memcpy(out, base, baselen);
        out[baselen] = '/';
        memcpy(out + baselen + 1, escaped, toklen + 1);
    }
    free(escaped);
    return out;
}

json_t *kwt_pointer_get(json_t *doc, const char *pointer)
{
    struct kw_pointer ptr;
    if (!doc || !pointer || kw_pointer_parse(pointer, strlen(pointer), &ptr, NULL, 0) != 0)
        return NULL;
    json_t *found = kw_pointer_walk(doc, &ptr, ptr.ntokens, NULL);
    kw_pointer_free(&ptr);
    return found;
}
