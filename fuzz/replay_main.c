/* Replay driver: a main() for a fuzz target built without libFuzzer (any
 * compiler), so that ctest runs every target over its seed corpus, also under
 * the sanitizers and valgrind. Each argument is a file or a directory (its
 * regular files, in name order, not recursive); every input is read into a
 * buffer of exactly its size and passed to LLVMFuzzerTestOneInput, after
 * LLVMFuzzerInitialize when the target defines it. A target reports a finding
 * by aborting (or a sanitizer does), which fails the replay.
 * Usage: replay_<name> FILE_OR_DIR...  Exit status 0, or 1 on a usage or I/O
 * error or when there was no input at all. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target: a weak reference is NULL when it is not defined. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads a whole file into *out, a buffer of exactly its size (caller frees;
 * never NULL on success, even for an empty file), so that a read past the
 * input is out of bounds for AddressSanitizer and valgrind, as under
 * libFuzzer. Returns 0, or -1 with errno set. */
static int read_input(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    uint8_t *buf = NULL;
    int rc = -1;
    if (fstat(fileno(f), &st) == 0 && (buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        size_t n = fread(buf, 1, (size_t)st.st_size, f);
        if (n == (size_t)st.st_size && getc(f) == EOF && !ferror(f)) {
            *out = buf;
            *len = n;
            rc = 0;
        } else {
            free(buf);
            errno = EIO; /* unreadable, or changed while read */
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    return rc;
}

static int run_file(const char *path)
{
    uint8_t *data;
    size_t len;
    if (read_input(path, &data, &len) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("replay: %s (%zu bytes)\n", path, len);
    fflush(stdout); /* names the input if the target crashes on it */
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_entry(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Runs every regular file of `dir`; adds their number to *count. */
static int run_dir(const char *dir, long *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, skip_entry, by_name);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (rc == 0 && (w < 0 || (size_t)w >= sizeof(path))) {
            fprintf(stderr, "replay: %s/%s: path too long\n", dir, names[i]->d_name);
            rc = -1;
        } else if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(path);
            *count += rc == 0;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 1;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i]);
        if (rc != 0)
            return 1;
        count += !S_ISDIR(st.st_mode);
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs (seeds belong in fuzz/corpus/<name>/)\n");
        return 1;
    }
    printf("replay: %ld inputs, no finding\n", count);
    return 0;
}
