/* libFuzzer target: kw_cron_valid on arbitrary bytes (a NUL-terminated copy).
 * Checks that it never crashes and that a denial always comes with a
 * non-empty one-line message that fits the buffer. */
#include "kw/formats/formats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char msg[KW_MSGLEN];
    memset(msg, 'x', sizeof(msg));
    bool ok = kw_cron_valid(s, msg, sizeof(msg));
    size_t len = strnlen(msg, sizeof(msg));
    if (len == sizeof(msg) || (ok && len != 0) || (!ok && len == 0) || memchr(msg, '\n', len))
        abort();
    /* The verdict does not depend on whether a message is wanted. */
    if (kw_cron_valid(s, NULL, 0) != ok)
        abort();
    free(s);
    return 0;
}
