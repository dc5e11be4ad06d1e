/* Whole-file reads for the CLI (manifests, reviews on stdin, config files);
 * see include/kw/server/readfile.h. */
#include "kw/server/readfile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kw/base/dynbuf.h"

#define READ_CHUNK (64 * 1024)

/* Reads fd to its end, or to one byte past max_bytes, which tells a file
 * that is too large from one exactly max_bytes long (buf's limit allows that
 * byte). 0, an errno value of read(2), or -1 when memory runs out. */
static int read_all(int fd, struct kw_dynbuf *buf, size_t max_bytes)
{
    while (kw_dynbuf_len(buf) <= max_bytes) {
        size_t left = buf->limit - buf->len;
        if (kw_dynbuf_room(buf) == 0 &&
            kw_dynbuf_reserve(buf, left < READ_CHUNK ? left : READ_CHUNK) != KW_DYNBUF_OK)
            return -1;
        ssize_t n = read(fd, kw_dynbuf_tail(buf), kw_dynbuf_room(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            break;
        kw_dynbuf_commit(buf, (size_t)n);
    }
    return 0;
}

char *kw_read_file(const char *path, size_t max_bytes, size_t *len_out, char *err, size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    const char *shown = is_stdin ? "standard input" : path;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", shown, strerror(errno));
        return NULL;
    }
    struct kw_dynbuf buf;
    kw_dynbuf_init(&buf, max_bytes < SIZE_MAX ? max_bytes + 1 : SIZE_MAX);
    int rc = read_all(fd, &buf, max_bytes);
    if (!is_stdin)
        close(fd);
    char *out = NULL;
    if (rc > 0)
        snprintf(err, errlen, "%s: %s", shown, strerror(rc));
    else if (rc == 0 && kw_dynbuf_len(&buf) > max_bytes)
        snprintf(err, errlen, "%s: larger than %zu bytes", shown, max_bytes);
    else if (rc < 0 || !(out = kw_dynbuf_take(&buf, len_out)))
        snprintf(err, errlen, "%s: out of memory", shown);
    kw_dynbuf_free(&buf);
    return out;
}
