/* kopia-webhook command line: dispatches to the subcommands (include/kw/server/cli.h).
 * The only place that ends the process. */
#include <stdio.h>
#include <string.h>

#include "kw/server/cli.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: kopia-webhook <command> [flags]\n"
                "\n"
                "commands:\n"
                "  serve      run the admission webhook server (HTTPS)\n"
                "  check      validate and default manifests offline (CI, GitOps)\n"
                "  review     answer one AdmissionReview from standard input\n"
                "  gen-certs  make a CA and a serving certificate for the webhook\n"
                "  version    print the version\n"
                "\n"
                "Run 'kopia-webhook <command> --help' for the flags of a command.\n");
    return to == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("kopia-webhook %s\n", KW_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return usage(stdout);
    if (strcmp(cmd, "serve") == 0)
        return kw_cmd_serve(sub_argc, sub_argv);
    if (strcmp(cmd, "check") == 0)
        return kw_cmd_check(sub_argc, sub_argv);
    if (strcmp(cmd, "review") == 0)
        return kw_cmd_review(sub_argc, sub_argv);
    if (strcmp(cmd, "gen-certs") == 0)
        return kw_cmd_gen_certs(sub_argc, sub_argv);
    fprintf(stderr, "kopia-webhook: unknown command '%s'\n", cmd);
    return usage(stderr);
}
