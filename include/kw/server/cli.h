/* The subcommands of the kopia-webhook binary. Each takes the arguments
 * after its name, prints its own errors and returns the process exit status;
 * server/main.c only dispatches. Each answers --help and -h with its help
 * (synopsis, flags, exit status, examples) on stdout and exit status 0, and
 * an unknown flag with the reason and its help on stderr and exit status 2.
 * docs/cli.md holds the same text. */
#ifndef KW_CLI_H
#define KW_CLI_H

int kw_cmd_serve(int argc, char **argv);
int kw_cmd_check(int argc, char **argv);
int kw_cmd_review(int argc, char **argv);
int kw_cmd_gen_certs(int argc, char **argv);
int kw_cmd_version(int argc, char **argv);
int kw_cmd_completion(int argc, char **argv);

#endif
