/* Whole-file reads for the CLI (manifests, reviews on stdin, config files);
 * see include/kw/server/readfile.h. */
#include "kw/server/readfile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *kw_read_file(const char *path, size_t max_bytes, size_t *len_out, char *err, size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    const char *shown = is_stdin ? "standard input" : path;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", shown, strerror(errno));
        return NULL;
    }
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (len == cap) {
            if (cap > max_bytes) {
                snprintf(err, errlen, "%s: larger than %zu bytes", shown, max_bytes);
                free(buf);
                buf = NULL;
                break;
            }
            cap *= 2;
            char *grown = realloc(buf, cap + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", shown, strerror(errno));
            free(buf);
            buf = NULL;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (!is_stdin)
        close(fd);
    if (!buf) {
        if (!err[0])
            snprintf(err, errlen, "%s: out of memory", shown);
        return NULL;
    }
    if (len > max_bytes) {
        snprintf(err, errlen, "%s: larger than %zu bytes", shown, max_bytes);
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    *len_out = len;
    return buf;
}
