/* additionalArgs: each item is checked on its own against what Kopia's
 * parser (kingpin, docs/operator.md c.4, d.2, d.3) does with it. A flag's
 * value may be the next item, so `--flag value` is caught by the item
 * `--flag` itself. Kopia turns kingpin's `@file` expansion off, so an item
 * starting with `@` is a plain argument. Values are never echoed (they may
 * be credentials). */
#include "kw/kopia/args.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/json/util.h"

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
    {"--override-source", "it changes the path snapshots are recorded under; use "
                          "spec.kopia.sourcePathOverride"},
    {"--log-file", "it writes a file where the mover does not expect one"},
    {"--sftp-password", "credentials belong in the repository Secret"},
    {"--webdav-password", "credentials belong in the repository Secret"},
    {"--key-data", "credentials belong in the repository Secret"},
    {"--sas-token", "credentials belong in the repository Secret"},
    {"--client-secret", "credentials belong in the repository Secret"},
    {"--rclone-exe", "it runs another program"},
    {"--rclone-args", "it runs another program"},
    {"--rclone-env", "it runs another program"},
    {"--ssh-command", "it runs another program"},
    {"--ssh-args", "it runs another program"},
    {"--embed-rclone-config", "credentials belong in the repository Secret"},
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

/* Kopia's only short flag among these: -p is --password, and kingpin reads
 * `-pVALUE` (any item starting with -p) as -p with the value VALUE. */
static bool is_short_password(const char *arg, size_t len)
{
    return len >= 2 && arg[0] == '-' && arg[1] == 'p';
}

/* The forbidden flag `arg` is, and why; NULL when it is none. */
static const char *forbidden_flag(const struct kw_config *cfg, const char *arg, size_t len,
                                  const char **why)
{
    if (is_short_password(arg, len)) {
        *why = "-p is Kopia's short form of --password, which the mover sets from the "
               "repository Secret";
        return "-p";
    }
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

/* Flags the mover passes itself (docs/operator.md c.4 point 4): given again
 * in additionalArgs, Kopia's parser refuses the command. `since`: the first
 * operator version that passes it; `kinds`: where. */
static const struct {
    const char *flag;
    enum kw_operator_version since;
    unsigned kinds;
    const char *when_field; /* only when this spec.kopia field is set; NULL: always */
} mover_flags[] = {
    {"--file-log-level", KW_OPERATOR_0_15, KW_KB_KOPIA, NULL},
    {"--log-dir-max-files", KW_OPERATOR_0_15, KW_KB_KOPIA, NULL},
    {"--log-dir-max-age", KW_OPERATOR_0_15, KW_KB_KOPIA, NULL},
    {"--log-level", KW_OPERATOR_0_16, KW_KB_KOPIA, NULL},
    {"--write-files-atomically", KW_OPERATOR_0_15, KW_KB_RD, NULL},
    {"--ignore-permission-errors", KW_OPERATOR_0_15, KW_KB_RD, NULL},
    {"--parallel", KW_OPERATOR_0_15, KW_KB_RS, "parallelism"},
};

/* `arg` names `flag` (--flag, --flag=..., or --no-flag for a boolean). */
static bool names_flag(const char *arg, size_t len, const char *flag)
{
    if (is_flag(arg, len, flag))
        return true;
    size_t n = strlen(flag);
    return len == n + 3 && memcmp(arg, "--no-", 5) == 0 && memcmp(arg + 5, flag + 2, n - 2) == 0;
}

static const char *repeated_flag(const struct kw_object_ctx *ctx, const char *s, size_t len)
{
    const json_t *kopia = kw_path_get(ctx->object, "spec.kopia");
    for (size_t i = 0; i < sizeof(mover_flags) / sizeof(mover_flags[0]); i++) {
        if (ctx->cfg->operator_version < mover_flags[i].since ||
            !(mover_flags[i].kinds & (1u << ctx->kind)) || !names_flag(s, len, mover_flags[i].flag))
            continue;
        const json_t *field =
            mover_flags[i].when_field ? kw_obj_get(kopia, mover_flags[i].when_field) : NULL;
        if (!mover_flags[i].when_field || (field && !json_is_null(field)))
            return mover_flags[i].flag;
    }
    return NULL;
}

/* Kopia's global flags (kopia:cli/app.go, internal/logfile/logfile.go,
 * cli/observability_flags.go, cli/cli_progress.go, cli/profile.go,
 * cli/password_linux.go @v0.22.3), accepted by every command; and
 * --description, which repository connect/create and snapshot create all
 * have. Without the leading "--". */
static const char *const everywhere_flags[] = {
    "help",
    "help-full",
    "auto-maintenance",
    "initial-update-check-delay",
    "update-check-interval",
    "update-available-notify-interval",
    "trace-storage",
    "timezone",
    "persist-credentials",
    "disable-repository-log",
    "dangerous-commands",
    "track-releasable",
    "upgrade-owner-id",
    "upgrade-no-block",
    "error-notifications",
    "content-log-file",
    "disable-file-logging",
    "disable-content-log",
    "log-dir-max-total-size-mb",
    "max-log-file-segment-size",
    "wait-for-log-sweep",
    "content-log-dir-max-files",
    "content-log-dir-max-age",
    "content-log-dir-max-total-size-mb",
    "json-log-console",
    "json-log-file",
    "file-log-local-tz",
    "force-color",
    "disable-color",
    "console-timestamps",
    "log-level",
    "file-log-level",
    "log-dir-max-files",
    "log-dir-max-age",
    "dump-allocator-stats",
    "metrics-listen-addr",
    "enable-pprof",
    "metrics-push-addr",
    "metrics-push-interval",
    "metrics-push-job",
    "metrics-push-grouping",
    "metrics-push-username",
    "metrics-push-password",
    "otlp-trace",
    "metrics-push-format",
    "diagnostics-output-directory",
    "metrics-store-on-exit",
    "progress",
    "progress-estimation-type",
    "progress-update-interval",
    "adaptive-estimation-threshold",
    "use-keyring",
    "profile-store-on-exit",
    "profile-go-gc-before-dump",
    "profile-blocking-rate",
    "profile-cpu",
    "profile-memory-rate",
    "profile-mutex-fraction",
    "description",
};

static bool accepted_everywhere(const char *s, size_t len)
{
    const char *name = s + 2;
    size_t n = len - 2;
    const char *eq = memchr(name, '=', n);
    if (eq)
        n = (size_t)(eq - name);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sizeof(everywhere_flags) / sizeof(everywhere_flags[0]); i++)
            if (strlen(everywhere_flags[i]) == n && memcmp(everywhere_flags[i], name, n) == 0)
                return true;
        if (n <= 3 || memcmp(name, "no-", 3) != 0)
            break;
        name += 3; /* --no-<boolean flag> */
        n -= 3;
    }
    return false;
}

/* From operator 0.16 the mover also passes additionalArgs to `kopia
 * repository connect` and `create` (docs/operator.md c.4 point 3): an item
 * those refuse breaks every connection. A non-flag item right after a flag
 * without "=" is taken to be its value. */
static void check_connect(const struct kw_object_ctx *ctx, const json_t *args,
                          struct kw_result *res)
{
    if (ctx->cfg->operator_version < KW_OPERATOR_0_16)
        return;
    char path[sizeof(ARGS_PATH) + 24];
    bool after_flag = false;
    size_t i;
    const json_t *item;
    json_array_foreach(args, i, item)
    {
        const char *s = json_string_value(item);
        size_t len = json_string_length(item);
        if (!s || len == 0)
            continue;
        bool flag = s[0] == '-';
        bool value = !flag && after_flag;
        after_flag = flag && len > 2 && s[1] == '-' && !memchr(s, '=', len);
        if (value || (flag && len > 2 && s[1] == '-' && accepted_everywhere(s, len)))
            continue;
        if (flag && !(len > 2 && s[1] == '-'))
            continue; /* a short flag: -p is denied; Kopia has no other here */
        snprintf(path, sizeof(path), ARGS_PATH "[%zu]", i);
        kw_result_warn(res, KW_RULE_ADDITIONAL_ARGS_CONNECT,
                       "%s: from operator 0.16 the mover also passes additionalArgs to `kopia "
                       "repository connect` and `create`, which accept only Kopia's global "
                       "flags and --description: this %s makes every connection fail",
                       path, flag ? "flag" : "argument");
    }
}

static void check_item(const struct kw_object_ctx *ctx, struct kw_result *res, const char *path,
                       const json_t *item)
{
    const char *s = json_string_value(item);
    size_t len = json_string_length(item);
    if (len == 0) {
        kw_result_warn(res, KW_RULE_ADDITIONAL_ARGS_EMPTY,
                       "%s: empty: the mover skips empty items; remove it", path);
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
    const char *repeated = flag ? NULL : repeated_flag(ctx, s, len);
    if (repeated)
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADDITIONAL_ARGS_REPEATED, path, NULL,
                        "the mover already passes %s to Kopia, which fails with \"flag cannot be "
                        "repeated\"",
                        repeated);
    if (ctx->kind == KW_KIND_RS && !repeated)
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
    check_connect(ctx, args, res);
}
