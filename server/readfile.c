/* Whole-file reads (include/kw/server/readfile.h): a regular file opened
 * without blocking and checked with fstat before a byte is read, or a stream,
 * read into one buffer up to a size limit. A FIFO opened for reading would
 * wait for a writer for ever, so the server never opens one as a file. */
#include "kw/server/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

/* A buffer that is wiped whenever its memory is given back. */
struct rbuf {
    char *data;
    size_t len, cap; /* cap includes the byte kept for the NUL */
};

static void rbuf_free(struct rbuf *b)
{
    if (b->data) {
        explicit_bzero(b->data, b->cap);
        free(b->data);
    }
    *b = (struct rbuf){0};
}

/* Moves the contents into a new allocation of cap bytes, wiping the old. */
static bool rbuf_resize(struct rbuf *b, size_t cap)
{
    char *p = malloc(cap);
    if (!p)
        return false;
    size_t len = b->len;
    if (len)
        memcpy(p, b->data, len);
    rbuf_free(b);
    *b = (struct rbuf){p, len, cap};
    return true;
}

static void fail_errno(char *err, size_t errlen, const char *shown, int e)
{
    char eb[128];
    snprintf(err, errlen, "cannot read %s: %s", shown, strerror_r(e, eb, sizeof(eb)));
}

static const char *type_name(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "of an unknown type";
}

/* Opens a regular file: O_NONBLOCK makes the open of a FIFO or device return
 * at once, and fstat then refuses it before any read. *size_out is the size
 * the file has now. Returns the descriptor, or -1 with the reason in err. */
static int open_regular(const char *path, size_t *size_out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        fail_errno(err, errlen, path, errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        fail_errno(err, errlen, path, e);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s is not a regular file (%s)", path, type_name(st.st_mode));
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK); /* for filesystems that would honour it */
    *size_out = st.st_size > 0 ? (size_t)st.st_size : 0;
    return fd;
}

/* Reads fd to its end, or to one byte past max_bytes, which tells a file
 * that is too large from one exactly max_bytes long. 0, an errno value of
 * read(2), or -1 when memory runs out. */
static int read_all(int fd, struct rbuf *b, size_t max_bytes)
{
    while (b->len <= max_bytes) {
        if (b->len + 1 >= b->cap) {
            size_t want = b->cap < READ_CHUNK ? READ_CHUNK : b->cap * 2;
            if (!rbuf_resize(b, want < max_bytes + 2 ? want : max_bytes + 2))
                return -1;
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - 1 - b->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            break;
        b->len += (size_t)n;
    }
    return 0;
}

char *kw_read_file(const char *path, enum kw_read_mode mode, size_t max_bytes, size_t *len_out,
                   char *err, size_t errlen)
{
    bool is_stdin = mode == KW_READ_STREAM && strcmp(path, "-") == 0;
    const char *shown = is_stdin ? "standard input" : path;
    if (max_bytes > SIZE_MAX / 4)
        max_bytes = SIZE_MAX / 4;
    size_t size = 0;
    int fd = is_stdin                  ? STDIN_FILENO
             : mode == KW_READ_REGULAR ? open_regular(path, &size, err, errlen)
                                       : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (mode == KW_READ_STREAM)
            fail_errno(err, errlen, shown, errno);
        return NULL;
    }
    /* A regular file gets one allocation of its size (and the byte that
     * shows it grew); a key is then never copied between buffers. */
    struct rbuf b = {0};
    int rc = 0;
    if (mode == KW_READ_REGULAR && !rbuf_resize(&b, (size < max_bytes ? size : max_bytes) + 2))
        rc = -1;
    if (rc == 0)
        rc = read_all(fd, &b, max_bytes);
    if (!is_stdin)
        close(fd);
    if (rc == 0 && b.len <= max_bytes) {
        b.data[b.len] = '\0';
        *len_out = b.len;
        return b.data;
    }
    if (rc > 0)
        fail_errno(err, errlen, shown, rc);
    else if (rc == 0)
        snprintf(err, errlen, "%s: larger than %zu bytes", shown, max_bytes);
    else
        snprintf(err, errlen, "cannot read %s: out of memory", shown);
    rbuf_free(&b);
    return NULL;
}
