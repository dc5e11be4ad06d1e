/* additionalArgs (SPEC §4.4): each item is checked on its own. A flag's value
 * may be the next item, so `--flag value` is caught by the item `--flag`
 * itself. Values of forbidden flags are never echoed (they are credentials). */
#include "kw/kopia/args.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kw/decision/rules.h"

#define ARGS_PATH "spec.kopia.additionalArgs"

struct flag_rule {
    const char *flag;
    const char *why;
};

/* Flags the mover sets itself, and credential flags (those belong in the
 * repository Secret). */
static const struct flag_rule builtin_forbidden[] = {
    {"--password", "the mover sets it from the repository Secret"},
    {"--config-file", "the mover sets it"},
    {"--config", "the mover sets it"},
    {"--repository", "the mover sets it"},
    {"--cache-directory", "the mover sets it"},
    {"--log-dir", "the mover sets it"},
    {"--override-username", "the identity comes from spec.kopia.username"},
    {"--override-hostname", "the identity comes from spec.kopia.hostname"},
    {"--username", "the identity comes from spec.kopia.username"},
    {"--hostname", "the identity comes from spec.kopia.hostname"},
    {"--access-key", "credentials belong in the repository Secret"},
    {"--secret-access-key", "credentials belong in the repository Secret"},
    {"--session-token", "credentials belong in the repository Secret"},
    {"--storage-account", "credentials belong in the repository Secret"},
    {"--storage-key", "credentials belong in the repository Secret"},
    {"--key-id", "credentials belong in the repository Secret"},
    {"--key", "credentials belong in the repository Secret"},
    {"--credentials-file", "credentials belong in the repository Secret"},
    {"--keyfile", "credentials belong in the repository Secret"},
    {"--rclone-config", "credentials belong in the repository Secret"},
};
#define NBUILTIN (sizeof(builtin_forbidden) / sizeof(builtin_forbidden[0]))

/* Flags that duplicate a ReplicationSource field. */
static const struct {
    const char *flag, *field;
} native_fields[] = {
    {"--parallel", "spec.kopia.parallelism"},
    {"--compression", "spec.kopia.compression"},
};

/* `arg[0..len)` is `flag` or `flag=...` (exact, case-sensitive). */
static bool is_flag(const char *arg, size_t len, const char *flag)
{
    size_t n = strlen(flag);
    return len >= n && memcmp(arg, flag, n) == 0 && (len == n || arg[n] == '=');
}

/* The forbidden flag `arg` is, and why; NULL when it is none. */
static const char *forbidden_flag(const struct kw_config *cfg, const char *arg, size_t len,
                                  const char **why)
{
    for (size_t i = 0; i < NBUILTIN; i++) {
        if (is_flag(arg, len, builtin_forbidden[i].flag)) {
            *why = builtin_forbidden[i].why;
            return builtin_forbidden[i].flag;
        }
    }
    for (size_t i = 0; cfg && i < cfg->n_extra_forbidden_args; i++) {
        const char *flag = cfg->extra_forbidden_args[i];
        if (flag && flag[0] && is_flag(arg, len, flag)) {
            *why = "the webhook configuration forbids it";
            return flag;
        }
    }
    return NULL;
}

static bool is_separator_char(char c)
{
    return c != 0 && strchr(KW_MOVER_ARG_SEPARATOR, c) != NULL;
}

/* The first separator character in the item, or 0. */
static char first_separator(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (is_separator_char(s[i]))
            return s[i];
    return 0;
}

/* A forbidden flag among the pieces the mover's split produces, or NULL. */
static const char *smuggled_flag(const struct kw_config *cfg, const char *s, size_t len)
{
    size_t start = 0;
    const char *why;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && !is_separator_char(s[i]))
            continue;
        const char *flag = forbidden_flag(cfg, s + start, i - start, &why);
        if (flag)
            return flag;
        start = i + 1;
    }
    return NULL;
}

static void check_native_field(struct kw_result *res, const char *path, const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(native_fields) / sizeof(native_fields[0]); i++) {
        if (is_flag(s, len, native_fields[i].flag))
            kw_result_warn(res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD,
                           "%s: %s duplicates %s; use the field", path, native_fields[i].flag,
                           native_fields[i].field);
    }
}

static void check_item(const struct kw_object_ctx *ctx, struct kw_result *res, const char *path,
                       const json_t *item)
{
    const char *s = json_string_value(item);
    size_t len = json_string_length(item);
    if (len == 0) {
        kw_result_cause_str(res, KW_CAUSE_INVALID, KW_RULE_ADDITIONAL_ARGS_EMPTY, path, "",
                            "must not be empty");
        return;
    }
    const char *why;
    const char *flag = forbidden_flag(ctx->cfg, s, len, &why);
    if (flag)
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, path, NULL,
                        "%s may not be passed in additionalArgs: %s", flag, why);
    if (memchr(s, '\n', len) || memchr(s, 0, len))
        kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_ADDITIONAL_ARGS_NEWLINE, path, NULL,
                        "must be one line without NUL characters (the mover reads only the first "
                        "line)");
    char sep = first_separator(s, len);
    if (sep && !flag) {
        const char *hidden = smuggled_flag(ctx->cfg, s, len);
        if (hidden)
            kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, path, NULL,
                            "the mover splits this item at each character of %s, and one piece "
                            "is the forbidden flag %s",
                            KW_MOVER_ARG_SEPARATOR, hidden);
        else
            kw_result_warn(res, KW_RULE_ADDITIONAL_ARGS_SEPARATOR,
                           "%s: would be split by the mover at \"%c\" (it splits on each "
                           "character of %s)",
                           path, sep, KW_MOVER_ARG_SEPARATOR);
    }
    if (ctx->kind == KW_KIND_RS)
        check_native_field(res, path, s, len);
}

void kw_validate_additional_args(const struct kw_object_ctx *ctx, const json_t *args,
                                 struct kw_result *res)
{
    if (!json_is_array(args))
        return;
    char path[sizeof(ARGS_PATH) + 24];
    size_t i;
    const json_t *item;
    json_array_foreach(args, i, item)
    {
        if (!json_is_string(item))
            continue; /* a type error, reported by the schema */
        snprintf(path, sizeof(path), ARGS_PATH "[%zu]", i);
        check_item(ctx, res, path, item);
    }
}
