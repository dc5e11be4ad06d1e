/* The subcommands of the kopia-webhook binary. Each takes the arguments
 * after its name, prints its own errors and returns the process exit status;
 * server/main.c only dispatches. */
#ifndef KW_CLI_H
#define KW_CLI_H

#include <stddef.h>

int kw_cmd_serve(int argc, char **argv);
int kw_cmd_check(int argc, char **argv);
int kw_cmd_review(int argc, char **argv);
int kw_cmd_gen_certs(int argc, char **argv);

/* Reads a whole file ("-" = standard input) into a malloc'd, NUL-terminated
 * buffer (caller frees). Returns NULL with a one-line reason in err. Refuses
 * inputs larger than max_bytes. */
char *kw_read_file(const char *path, size_t max_bytes, size_t *len_out, char *err, size_t errlen);

#endif
