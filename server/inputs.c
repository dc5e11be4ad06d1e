/* Expanding the inputs of `check` into files (include/kw/server/inputs.h):
 * directories walked recursively with readdir, hidden entries and symbolic
 * links to directories skipped, each directory's files sorted by path. */
#include "kw/server/inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kw/base/dynbuf.h"

static bool is_manifest_name(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(name + n - e, exts[i]) == 0)
            return true;
    }
    return false;
}

static int append(struct kw_input_files *files, char *path_owned)
{
    if (!path_owned || KW_ARRAY_RESERVE(files->paths, files->cap, files->len + 1)) {
        free(path_owned);
        return -1;
    }
    files->paths[files->len++] = path_owned;
    return 0;
}

/* "dir/name", without doubling a '/' the user wrote. malloc'd or NULL. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    char *out = NULL;
    if (asprintf(&out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
        return NULL;
    return out;
}

/* The walk's state: the first error wins; the walk goes on after one. */
struct walk {
    struct kw_input_files *files;
    char *err;
    size_t errlen;
    bool failed;
};

static void walk_error(struct walk *w, const char *path, int errnum)
{
    if (!w->failed)
        snprintf(w->err, w->errlen, "cannot read %s: %s", path, strerror(errnum));
    w->failed = true;
}

static void walk_dir(struct walk *w, const char *dir);

/* One directory entry: a subdirectory is walked, a manifest appended. */
static void walk_entry(struct walk *w, const char *dir, const char *name)
{
    if (name[0] == '.')
        return; /* ".", "..", and hidden entries such as .git */
    char *path = join(dir, name);
    if (!path) {
        walk_error(w, dir, ENOMEM);
        return;
    }
    struct stat st;
    if (lstat(path, &st) != 0) {
        walk_error(w, path, errno);
        free(path);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        walk_dir(w, path);
        free(path);
        return;
    }
    /* A link is read when it leads to a file, never followed to a directory. */
    if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
        st.st_mode = 0; /* dangling: skipped */
    if (S_ISREG(st.st_mode) && is_manifest_name(name)) {
        if (append(w->files, path) != 0)
            walk_error(w, dir, ENOMEM);
        return;
    }
    free(path);
}

static void walk_dir(struct walk *w, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        walk_error(w, dir, errno);
        return;
    }
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno)
                walk_error(w, dir, errno);
            break;
        }
        walk_entry(w, dir, e->d_name);
    }
    closedir(d);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kw_inputs_add(struct kw_input_files *files, const char *arg, char *err, size_t errlen)
{
    struct stat st;
    if (strcmp(arg, "-") == 0 || stat(arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (append(files, strdup(arg)) == 0)
            return 0;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t first = files->len;
    struct walk w = {.files = files, .err = err, .errlen = errlen};
    walk_dir(&w, arg);
    if (files->len > first)
        qsort(files->paths + first, files->len - first, sizeof(files->paths[0]), by_path);
    if (!w.failed && files->len == first) {
        snprintf(err, errlen, "no .yaml, .yml or .json files in this directory");
        return -1;
    }
    return w.failed ? -1 : 0;
}

void kw_inputs_free(struct kw_input_files *files)
{
    for (size_t i = 0; i < files->len; i++)
        free(files->paths[i]);
    free(files->paths);
    *files = (struct kw_input_files){0};
}
