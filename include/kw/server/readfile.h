/* Whole-file reads for the server and the commands: a file or standard
 * input into one buffer, with a size limit. The one place the program opens
 * a file to read it whole (settings, certificates, keys, CA bundles, the
 * commands' inputs). */
#ifndef KW_READFILE_H
#define KW_READFILE_H

#include <stddef.h>

/* What kw_read_file accepts besides a regular file. */
enum kw_read_mode {
    /* Regular files only, opened so that the open never blocks (O_NONBLOCK):
     * a FIFO, directory or device is refused at once ("PATH is not a
     * regular file (a FIFO)"). For everything the server reads. */
    KW_READ_REGULAR,
    /* Also "-" (standard input), pipes, FIFOs and devices, read as streams
     * (a FIFO waits for its writer): the commands' inputs. */
    KW_READ_STREAM,
};

/* Reads a whole file into a malloc'd, NUL-terminated buffer of *len_out
 * bytes (caller frees). Returns NULL with a one-line reason naming the path
 * in err ("cannot read PATH: ...", "PATH: larger than N bytes"). Refuses
 * inputs larger than max_bytes. Every intermediate buffer is wiped before
 * it is freed, so the result may hold key material (wipe it in turn). */
char *kw_read_file(const char *path, enum kw_read_mode mode, size_t max_bytes, size_t *len_out,
                   char *err, size_t errlen);

#endif
