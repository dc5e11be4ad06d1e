/* Whole-file reads for the commands and the config file: a file or standard
 * input into one buffer, with a size limit. */
#ifndef KW_READFILE_H
#define KW_READFILE_H

#include <stddef.h>

/* Reads a whole file ("-" = standard input) into a malloc'd, NUL-terminated
 * buffer (caller frees). Returns NULL with a one-line reason in err. Refuses
 * inputs larger than max_bytes. */
char *kw_read_file(const char *path, size_t max_bytes, size_t *len_out, char *err, size_t errlen);

#endif
