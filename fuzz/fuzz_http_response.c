/* libFuzzer target: kw_http_response_parse (the API client's response
 * parser, include/kw/server/kubeclient.h) on arbitrary bytes, with a small
 * and the real body bound. Checks that it never crashes, that a success
 * returns a NUL-terminated body within the bound and a status of 100..999,
 * and that a failure sets a non-empty message and leaves nothing to free. */
#include "kw/server/kubeclient.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *buf, size_t size, size_t max)
{
    struct kw_http_response r;
    char err[256];
    memset(err, 0, sizeof(err));
    if (kw_http_response_parse(buf, size, max, &r, err, sizeof(err)) == 0) {
        if (!r.body || r.body_len > max || r.body[r.body_len] != '\0' || r.status < 100 ||
            r.status > 999 || strnlen(r.reason, sizeof(r.reason)) == sizeof(r.reason))
            abort();
        kw_http_response_free(&r);
    } else if (err[0] == '\0' || r.body != NULL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so a read past the end is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    one(buf, size, 16);
    one(buf, size, KW_KUBE_MAX_RESPONSE);
    free(buf);
    return 0;
}
