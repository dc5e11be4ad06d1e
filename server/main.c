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
                "  serve       run the admission webhook server (HTTPS)\n"
                "  check       validate and default manifests offline (CI, GitOps)\n"
                "  review      answer one AdmissionReview from standard input\n"
                "  gen-certs   make a CA and a serving certificate for the webhook\n"
                "  version     print the version, commit and build date\n"
                "  help        print this, or 'help <command>' the help of a command\n"
                "  completion  print a bash completion script ('completion bash')\n"
                "\n"
                "Run 'kopia-webhook <command> --help' for the flags of a command.\n");
    return to == stdout ? 0 : 2;
}

typedef int (*command_fn)(int argc, char **argv);

static command_fn find_command(const char *name)
{
    if (strcmp(name, "serve") == 0)
        return kw_cmd_serve;
    if (strcmp(name, "check") == 0)
        return kw_cmd_check;
    if (strcmp(name, "review") == 0)
        return kw_cmd_review;
    if (strcmp(name, "gen-certs") == 0)
        return kw_cmd_gen_certs;
    if (strcmp(name, "version") == 0)
        return kw_cmd_version;
    if (strcmp(name, "completion") == 0)
        return kw_cmd_completion;
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "kopia-webhook: unknown command '%s'\n", name);
    return usage(stderr);
}

/* `help` alone is the usage; `help <command>` is `<command> --help`. */
static int help(int argc, char **argv)
{
    if (argc == 0)
        return usage(stdout);
    command_fn cmd = find_command(argv[0]);
    if (!cmd || argc > 1)
        return argc > 1 ? usage(stderr) : unknown_command(argv[0]);
    char flag[] = "--help";
    char *args[] = {flag, NULL};
    return cmd(1, args);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0)
        name = "version";
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help(argc - 2, argv + 2);
    command_fn cmd = find_command(name);
    return cmd ? cmd(argc - 2, argv + 2) : unknown_command(name);
}
