/* The subcommands of the kopia-webhook binary. Each takes the arguments
 * after its name, prints its own errors and returns the process exit status;
 * server/main.c only dispatches. */
#ifndef KW_CLI_H
#define KW_CLI_H

int kw_cmd_serve(int argc, char **argv);
int kw_cmd_check(int argc, char **argv);
int kw_cmd_review(int argc, char **argv);
int kw_cmd_gen_certs(int argc, char **argv);

#endif
