/* `kopia-webhook completion bash`: prints a bash completion script for the
 * binary's commands, their flags and the values those flags take. The
 * flags of `serve` come from the settings table (include/kw/server/
 * settings.h); the other commands' flags are the rows below, which
 * tests/scripts/test_completion.sh compares with each command's --help. */
#include <stdio.h>
#include <string.h>

#include "kw/kopia/config.h"
#include "kw/server/cli.h"
#include "kw/server/log.h"
#include "kw/server/settings.h"

/* What follows a flag on the command line. */
enum arg_kind {
    ARG_NONE,  /* a switch */
    ARG_VALUE, /* a value nothing can suggest (a name, a number) */
    ARG_FILE,  /* a file name */
    ARG_DIR,   /* a directory name */
    ARG_WORDS, /* one of `words` */
};

struct flag_row {
    const char *command; /* "check" */
    const char *names;   /* "-o --output": every spelling, space-separated */
    enum arg_kind kind;
    const char *words; /* ARG_WORDS: the values, space-separated */
};

#define OPERATOR_WORDS(id, minor, tag) minor " " tag " "

/* Every command's flags but serve's (from the settings table) and the
 * -h/--help every command has. */
static const struct flag_row flag_rows[] = {
    {"check", "-o --output", ARG_WORDS, "text json junit sarif patched"},
    {"check", "-n --namespace", ARG_VALUE, NULL},
    {"check", "--config", ARG_FILE, NULL},
    {"check", "--operator-version", ARG_WORDS, KW_OPERATOR_VERSION_LIST(OPERATOR_WORDS)},
    {"review", "--mutate", ARG_NONE, NULL},
    {"review", "--config", ARG_FILE, NULL},
    {"gen-certs", "--service", ARG_VALUE, NULL},
    {"gen-certs", "--namespace", ARG_VALUE, NULL},
    {"gen-certs", "--out", ARG_DIR, NULL},
    {"gen-certs", "--host", ARG_VALUE, NULL},
    {"gen-certs", "--days", ARG_VALUE, NULL},
    {"gen-certs", "--force", ARG_NONE, NULL},
    {"gen-certs", "--renew", ARG_NONE, NULL},
    {"gen-certs", "--secret", ARG_VALUE, NULL},
    {"gen-certs", "--ca-secret", ARG_VALUE, NULL},
    {"gen-certs", "--renew-before", ARG_VALUE, NULL},
    {"gen-certs", "--api-server", ARG_VALUE, NULL},
    {"gen-certs", "--token-file", ARG_FILE, NULL},
    {"gen-certs", "--api-ca-file", ARG_FILE, NULL},
    {"gen-certs", "--timeout", ARG_VALUE, NULL},
    {"version", "-o --output", ARG_WORDS, "text json"},
    {"completion", "", ARG_NONE, NULL},
};

/* The commands, in the order of the top-level usage. */
static const char *const commands[] = {"serve",   "check", "review",    "gen-certs",
                                       "version", "help",  "completion"};

static const char help_text[] =
    "usage: kopia-webhook completion bash\n"
    "\n"
    "Prints a bash completion script for kopia-webhook: its commands, each\n"
    "command's flags, and the values of flags that take files, directories or one\n"
    "of a few words (--output, --log-level, --operator-version). `make install`\n"
    "installs it where bash-completion finds it.\n"
    "\n"
    "flags:\n"
    "  -h, --help   print this help\n"
    "\n"
    "exit status:\n"
    "  0  printed\n"
    "  2  usage error (no shell, or a shell other than bash)\n"
    "\n"
    "examples:\n"
    "  source <(kopia-webhook completion bash)\n"
    "  kopia-webhook completion bash > /etc/bash_completion.d/kopia-webhook\n";

static enum arg_kind serve_arg_kind(const struct kw_setting *row)
{
    if (!row->arg)
        return ARG_NONE;
    if (row->type == KW_SETTING_LOG_LEVEL)
        return ARG_WORDS;
    return strcmp(row->arg, "FILE") == 0 ? ARG_FILE : ARG_VALUE;
}

/* The case label of `command` with each of `names` after `prev`:
 * "check:-o|check:--output". */
static void print_case_label(FILE *out, const char *command, const char *names)
{
    const char *p = names;
    int first = 1;
    while (*p) {
        size_t n = strcspn(p, " ");
        fprintf(out, "%s%s:%.*s", first ? "    " : "|", command, (int)n, p);
        first = 0;
        p += n;
        p += strspn(p, " ");
    }
}

static void print_value_case(FILE *out, const char *command, const char *names, enum arg_kind kind,
                             const char *words)
{
    if (kind == ARG_NONE || !names[0])
        return;
    print_case_label(out, command, names);
    switch (kind) {
    case ARG_FILE:
        fputs(")\n        COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", out);
        break;
    case ARG_DIR:
        fputs(")\n        COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", out);
        break;
    case ARG_WORDS:
        fprintf(out, ")\n        COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", words);
        break;
    default:
        fputs(")\n        return ;;\n", out);
        break;
    }
}

static void print_log_levels(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int level = 0; level <= KW_LOG_ERROR && at < len; level++) {
        int w = snprintf(buf + at, len - at, "%s%s", level ? " " : "",
                         kw_log_level_name((enum kw_log_level)level));
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

/* Every flag of `command`, space-separated, after "-h --help". */
static void print_flags(FILE *out, const char *command)
{
    fputs("-h --help", out);
    if (strcmp(command, "serve") == 0) {
        for (size_t i = 0; i < kw_settings_table_len; i++)
            if (kw_settings_table[i].flag)
                fprintf(out, " %s", kw_settings_table[i].flag);
        return;
    }
    for (size_t i = 0; i < sizeof(flag_rows) / sizeof(flag_rows[0]); i++)
        if (strcmp(flag_rows[i].command, command) == 0 && flag_rows[i].names[0])
            fprintf(out, " %s", flag_rows[i].names);
}

static void print_bash(FILE *out)
{
    char levels[64];
    print_log_levels(levels, sizeof(levels));
    fputs("# bash completion for kopia-webhook, printed by `kopia-webhook completion bash`.\n"
          "_kopia_webhook() {\n"
          "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "  local commands=\"",
          out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "%s%s", i ? " " : "", commands[i]);
    fputs("\"\n"
          "  COMPREPLY=()\n"
          "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "    COMPREPLY=($(compgen -W \"$commands --help --version\" -- \"$cur\"))\n"
          "    return\n"
          "  fi\n"
          "  local command=${COMP_WORDS[1]}\n"
          "  case \"$command:$prev\" in\n",
          out);
    for (size_t i = 0; i < kw_settings_table_len; i++) {
        const struct kw_setting *row = &kw_settings_table[i];
        if (row->flag)
            print_value_case(out, "serve", row->flag, serve_arg_kind(row), levels);
    }
    for (size_t i = 0; i < sizeof(flag_rows) / sizeof(flag_rows[0]); i++)
        print_value_case(out, flag_rows[i].command, flag_rows[i].names, flag_rows[i].kind,
                         flag_rows[i].words);
    fputs("  esac\n"
          "  local flags\n"
          "  case \"$command\" in\n",
          out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i], "help") == 0)
            continue;
        fprintf(out, "    %s) flags=\"", commands[i]);
        print_flags(out, commands[i]);
        fputs("\" ;;\n", out);
    }
    fputs("    help) COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")); return ;;\n"
          "    *) return ;;\n"
          "  esac\n"
          "  if [[ $cur == -* ]]; then\n"
          "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
          "  elif [ \"$command\" = check ]; then\n"
          "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "  elif [ \"$command\" = completion ]; then\n"
          "    COMPREPLY=($(compgen -W \"bash\" -- \"$cur\"))\n"
          "  fi\n"
          "}\n"
          "complete -o filenames -o bashdefault -F _kopia_webhook kopia-webhook\n",
          out);
}

int kw_cmd_completion(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(help_text, stdout);
        return 0;
    }
    if (argc != 1 || strcmp(argv[0], "bash") != 0) {
        fprintf(stderr, "kopia-webhook completion: %s\n",
                argc == 0   ? "name a shell: bash"
                : argc == 1 ? "only bash is supported"
                            : "one shell only");
        fputs(help_text, stderr);
        return 2;
    }
    print_bash(stdout);
    return 0;
}
