/* Strict JSON decoder (interim declaration; replaced by the decoder module). */
#ifndef KW_JSON_H
#define KW_JSON_H
#include <jansson.h>
#include <stddef.h>
struct kw_json_error {
    size_t line, column, position;
    char text[160];
};
json_t *kw_json_decode(const char *buf, size_t len, struct kw_json_error *err);
#endif
