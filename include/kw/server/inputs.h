/* The inputs of a command that reads manifests (`check`): files, directories
 * searched recursively, and "-" for standard input, expanded into the list
 * of files to read, in a stable order. */
#ifndef KW_INPUTS_H
#define KW_INPUTS_H

#include <stddef.h>

struct kw_input_files {
    char **paths; /* owned, each malloc'd */
    size_t len, cap;
};

/* Appends the files `arg` names: `arg` itself when it is "-", a file or does
 * not exist (reading it reports the error); for a directory, every regular
 * file under it whose name ends in .yaml, .yml or .json, sorted byte-wise by
 * path ("DIR/sub/x.yaml"). Entries whose name starts with '.' (.git,
 * .github, editor files) are skipped, and symbolic links to directories are
 * not followed (so a link cannot make a loop); links to files are read.
 * Returns 0, or -1 with a one-line reason about `arg` in err ("no .yaml,
 * .yml or .json files in this directory", "cannot read DIR/sub: Permission
 * denied"); the files found besides an unreadable subdirectory are still
 * appended. */
int kw_inputs_add(struct kw_input_files *files, const char *arg, char *err, size_t errlen);

void kw_inputs_free(struct kw_input_files *files);

#endif
