/* spec.kopia.additionalArgs through kw_validate_kopia: the item limit,
 * every forbidden flag in its three forms and -p, flags the mover already
 * passes, items `repository connect` refuses (from 0.16), empty and
 * multi-line items, the mover's separator characters, native-field
 * duplicates and extra flags from the configuration. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/kopia/args.h"
#include "kw/schema/schema.h"
#include "kw/kopia/validate.h"
#include "admission.h"

static struct kw_config cfg;

/* Defaults plus the compiled schemas, loaded once per test process. */
static void setup(void)
{
    kwt_config(&cfg);
}

TestSuite(validate_args, .init = setup);

/* Validates an RS (or RD) whose additionalArgs is `args` (borrowed). */
static void run_args(enum kw_kind kind, json_t *args, struct kw_result *res)
{
    json_t *obj = json_pack(
        kind == KW_KIND_RS ? "{s:{s:s,s:{s:s,s:O}}}" : "{s:{s:{s:s,s:s,s:O}}}", "spec",
        kind == KW_KIND_RS ? "sourcePVC" : "kopia", kind == KW_KIND_RS ? "data" : "repository",
        kind == KW_KIND_RS ? "kopia" : "repo", kind == KW_KIND_RS ? "repository" : "destinationPVC",
        kind == KW_KIND_RS ? "repo" : "restored", "additionalArgs", args);
    cr_assert(obj);
    struct kw_object_ctx ctx = {.cfg = &cfg,
                                .kind = kind,
                                .op = KW_OP_CREATE,
                                .name = "app",
                                .namespace = "prod",
                                .object = obj};
    kw_result_init(res);
    kw_validate_kopia(&ctx, res);
    json_decref(obj);
}

static json_t *args_of(const char *const *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    return a;
}

static size_t count(const struct kw_result *res, enum kw_rule_id rule, const char *field)
{
    size_t n = 0;
    for (size_t i = 0; i < res->ncauses; i++)
        n += res->causes[i].rule_id == rule && (!field || strcmp(res->causes[i].field, field) == 0);
    for (size_t i = 0; i < res->nwarnings; i++)
        n += res->warnings[i].rule_id == rule &&
             (!field || strncmp(res->warnings[i].text, field, strlen(field)) == 0);
    return n;
}

static const char *const forbidden[] = {
    "--password",
    "--config-file",
    "--config",
    "--repository",
    "--cache-directory",
    "--log-dir",
    "--override-username",
    "--override-hostname",
    "--username",
    "--hostname",
    "--access-key",
    "--secret-access-key",
    "--session-token",
    "--storage-account",
    "--storage-key",
    "--key-id",
    "--key",
    "--credentials-file",
    "--keyfile",
    "--rclone-config",
    "--override-source",
    "--log-file",
    "--sftp-password",
    "--webdav-password",
    "--key-data",
    "--sas-token",
    "--client-secret",
    "--rclone-exe",
    "--rclone-args",
    "--rclone-env",
    "--ssh-command",
    "--ssh-args",
    "--embed-rclone-config",
};
#define NFORBIDDEN (sizeof(forbidden) / sizeof(forbidden[0]))

Test(validate_args, twenty_items_pass_and_twenty_one_are_too_many)
{
    for (size_t n = 20; n <= 21; n++) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_string("--one-file-system"));
        struct kw_result res;
        run_args(KW_KIND_RS, a, &res);
        cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_TOO_MANY, "spec.kopia.additionalArgs"),
                     n == 21 ? 1 : 0, "n=%zu", n);
        if (n == 21) {
            char *b = kw_cause_body(&res.causes[0]);
            cr_expect_str_eq(b, "Too many: 21: must have at most 20 items");
            free(b);
        }
        kw_result_free(&res);
        json_decref(a);
    }
}

Test(validate_args, every_forbidden_flag_in_every_form)
{
    for (size_t i = 0; i < NFORBIDDEN; i++) {
        char with_value[64];
        snprintf(with_value, sizeof(with_value), "%s=secret-value", forbidden[i]);
        /* --flag, --flag=value, and --flag followed by its value. */
        const char *forms[][3] = {{"--one-file-system", forbidden[i], NULL},
                                  {"--one-file-system", with_value, NULL},
                                  {"--one-file-system", forbidden[i], "secret-value"}};
        for (size_t f = 0; f < 3; f++) {
            size_t n = forms[f][2] ? 3 : 2;
            json_t *a = args_of(forms[f], n);
            for (enum kw_kind k = KW_KIND_RS; k <= KW_KIND_RD; k++) {
                struct kw_result res;
                run_args(k, a, &res);
                cr_expect_eq(
                    count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, "spec.kopia.additionalArgs[1]"),
                    1, "%s form %zu", forbidden[i], f);
                cr_expect(kw_result_denied(&res));
                for (size_t c = 0; c < res.ncauses; c++)
                    cr_expect(!strstr(res.causes[c].detail, "secret-value"),
                              "a forbidden flag's value is echoed: %s", res.causes[c].detail);
                kw_result_free(&res);
            }
            json_decref(a);
        }
    }
}

Test(validate_args, matching_is_exact_and_case_sensitive)
{
    const char *allowed[] = {
        "--passwordless", "--Password",          "--keys",     "-P", "--config-files=x",
        "--hostnames",    "--override-uid=1000", "--parallel", "8",  "@/data/more-args"};
    json_t *a = args_of(allowed, sizeof(allowed) / sizeof(allowed[0]));
    struct kw_result res;
    run_args(KW_KIND_RD, a, &res);
    cr_expect_eq(res.ncauses, 0, "%s", res.ncauses ? res.causes[0].detail : "");
    kw_result_free(&res);
    json_decref(a);

    /* A value that looks like a forbidden flag is judged on its own. */
    const char *exclude[] = {"--exclude", "--password"};
    a = args_of(exclude, 2);
    run_args(KW_KIND_RS, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, "spec.kopia.additionalArgs[1]"), 1);
    cr_expect_eq(res.ncauses, 1);
    char *b = kw_cause_body(&res.causes[0]);
    cr_expect_str_eq(b, "Forbidden: --password may not be passed in additionalArgs: the mover sets "
                        "it from the repository Secret");
    free(b);
    kw_result_free(&res);
    json_decref(a);
}

Test(validate_args, the_short_password_flag_in_every_spelling)
{
    /* kingpin reads -pVALUE, -p=VALUE and even -password as -p (--password)
     * with a value. */
    const char *items[] = {"-p", "-psecret-value", "-p=secret-value", "-password"};
    json_t *a = args_of(items, 4);
    struct kw_result res;
    run_args(KW_KIND_RS, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, NULL), 4);
    cr_expect_eq(res.ncauses, 4);
    char *b = kw_cause_body(&res.causes[1]);
    cr_expect_str_eq(b, "Forbidden: -p may not be passed in additionalArgs: -p is Kopia's short "
                        "form of --password, which the mover sets from the repository Secret");
    free(b);
    for (size_t c = 0; c < res.ncauses; c++)
        cr_expect(!strstr(res.causes[c].detail, "secret-value"), "%s", res.causes[c].detail);
    kw_result_free(&res);
    json_decref(a);
}

/* Validates an object of `kind` whose spec.kopia is `kopia_json` plus
 * additionalArgs `args` (borrowed), with operator version `v`. */
static void run_spec(enum kw_kind kind, const char *kopia_json, json_t *args,
                     enum kw_operator_version v, struct kw_result *res)
{
    json_t *kopia = json_loads(kopia_json, 0, NULL);
    cr_assert(kopia);
    json_object_set(kopia, "additionalArgs", args);
    json_t *obj = kind == KW_KIND_RS
                      ? json_pack("{s:{s:s, s:o}}", "spec", "sourcePVC", "data", "kopia", kopia)
                      : json_pack("{s:{s:o}}", "spec", "kopia", kopia);
    cr_assert(obj);
    struct kw_config c = cfg;
    c.operator_version = v;
    struct kw_object_ctx ctx = {.cfg = &c,
                                .kind = kind,
                                .op = KW_OP_CREATE,
                                .name = "app",
                                .namespace = "prod",
                                .object = obj};
    kw_result_init(res);
    kw_validate_kopia(&ctx, res);
    json_decref(obj);
}

#define RS_KOPIA    "{\"repository\": \"repo\"}"
#define RS_PARALLEL "{\"repository\": \"repo\", \"parallelism\": 4}"
#define RD_KOPIA    "{\"repository\": \"repo\", \"destinationPVC\": \"restored\"}"

Test(validate_args, flags_the_mover_already_passes_cannot_be_repeated)
{
    struct kw_result res;
    const char *rd_items[] = {"--ignore-permission-errors", "--write-files-atomically",
                              "--no-write-files-atomically", "--file-log-level=info",
                              "--log-level=debug"};
    json_t *a = args_of(rd_items, 5);
    run_spec(KW_KIND_RD, RD_KOPIA, a, KW_OPERATOR_0_17, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_REPEATED, NULL), 5);
    char *b = kw_cause_body(&res.causes[0]);
    cr_expect_str_eq(b, "Forbidden: the mover already passes --ignore-permission-errors to Kopia, "
                        "which fails with \"flag cannot be repeated\"");
    free(b);
    kw_result_free(&res);
    /* --log-level is passed from 0.16 on. */
    run_spec(KW_KIND_RD, RD_KOPIA, a, KW_OPERATOR_0_15, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_REPEATED, NULL), 4);
    kw_result_free(&res);
    /* The restore flags are not passed to a backup. */
    run_spec(KW_KIND_RS, RS_KOPIA, a, KW_OPERATOR_0_17, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_REPEATED, NULL), 2);
    kw_result_free(&res);
    json_decref(a);

    /* --parallel repeats only when parallelism is set; else it duplicates
     * the field (a warning). */
    const char *par[] = {"--parallel=8"};
    a = args_of(par, 1);
    run_spec(KW_KIND_RS, RS_PARALLEL, a, KW_OPERATOR_0_17, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_REPEATED, "spec.kopia.additionalArgs[0]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD, NULL), 0);
    kw_result_free(&res);
    run_spec(KW_KIND_RS, RS_KOPIA, a, KW_OPERATOR_0_17, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_REPEATED, NULL), 0);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD, NULL), 1);
    kw_result_free(&res);
    json_decref(a);
}

Test(validate_args, from_0_16_items_connect_refuses_warn)
{
    const char *items[] = {"--one-file-system",
                           "--no-progress",
                           "--timezone",
                           "utc",
                           "--description=nightly",
                           "--log-dir-max-total-size-mb=5",
                           "stray",
                           "--tags=a:b"};
    json_t *a = args_of(items, 8);
    struct kw_result res;
    run_spec(KW_KIND_RS, RS_KOPIA, a, KW_OPERATOR_0_16, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_CONNECT, "spec.kopia.additionalArgs[0]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_CONNECT, "spec.kopia.additionalArgs[6]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_CONNECT, "spec.kopia.additionalArgs[7]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_CONNECT, NULL), 3);
    cr_expect_eq(res.ncauses, 0);
    cr_expect_str_eq(res.nwarnings ? res.warnings[0].text : "",
                     "spec.kopia.additionalArgs[0]: from operator 0.16 the mover also passes "
                     "additionalArgs to `kopia repository connect` and `create`, which accept only "
                     "Kopia's global flags and --description: this flag makes every connection "
                     "fail");
    kw_result_free(&res);
    /* 0.15 passes them to snapshot create/restore only. */
    run_spec(KW_KIND_RS, RS_KOPIA, a, KW_OPERATOR_0_15, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_CONNECT, NULL), 0);
    kw_result_free(&res);
    json_decref(a);
}

Test(validate_args, empty_and_multi_line_items_are_denied)
{
    const char *items[] = {"", "--tags=a\nb", " ", "--tags=a\r"};
    json_t *a = args_of(items, 4);
    json_array_append_new(a, json_stringn("--x\0y", 5));
    struct kw_result res;
    run_args(KW_KIND_RS, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_EMPTY, "spec.kopia.additionalArgs[0]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NEWLINE, "spec.kopia.additionalArgs[1]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NEWLINE, "spec.kopia.additionalArgs[4]"), 1);
    cr_expect_eq(res.ncauses, 2, "the empty item is skipped by the mover: only a warning");
    kw_result_free(&res);
    json_decref(a);
}

Test(validate_args, separator_characters_warn_and_smuggled_flags_deny)
{
    const char *items[] = {"--tags=a_b", "--tags=x|--password=hunter2", "--exclude=*.LOG",
                           "--tags=aVb", "--tags=lower-case-only"};
    json_t *a = args_of(items, 5);
    struct kw_result res;
    run_args(KW_KIND_RS, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_SEPARATOR, "spec.kopia.additionalArgs[0]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, "spec.kopia.additionalArgs[1]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_SEPARATOR, "spec.kopia.additionalArgs[1]"), 0);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_SEPARATOR, "spec.kopia.additionalArgs[2]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_SEPARATOR, "spec.kopia.additionalArgs[3]"), 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_SEPARATOR, "spec.kopia.additionalArgs[4]"), 0);
    for (size_t c = 0; c < res.ncauses; c++)
        cr_expect(!strstr(res.causes[c].detail, "hunter2"), "%s", res.causes[c].detail);
    for (size_t w = 0; w < res.nwarnings; w++)
        cr_expect(res.warnings[w].rule_id != KW_RULE_ADDITIONAL_ARGS_SEPARATOR ||
                      strlen(res.warnings[w].text) <= 120,
                  "%s", res.warnings[w].text);
    kw_result_free(&res);
    json_decref(a);

    /* Every character of the separator splits: "E", "P" and "_" hide a flag here
     * ("--key_id" reaches Kopia as "--key" and "id"). */
    const char *hidden[] = {"xE--key=k", "xP--key-id", "--key_id"};
    a = args_of(hidden, 3);
    run_args(KW_KIND_RD, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, NULL), 3);
    kw_result_free(&res);
    json_decref(a);
}

Test(validate_args, native_field_duplicates_warn_on_a_source)
{
    const char *items[] = {"--parallel=8", "--compression", "zstd", "--parallelism=2"};
    json_t *a = args_of(items, 4);
    struct kw_result res;
    run_args(KW_KIND_RS, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD, "spec.kopia.additionalArgs[0]"),
                 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD, "spec.kopia.additionalArgs[1]"),
                 1);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD, NULL), 2);
    cr_expect_eq(res.ncauses, 0);
    kw_result_free(&res);
    /* A ReplicationDestination has no parallelism field to duplicate. */
    run_args(KW_KIND_RD, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_NATIVE_FIELD, NULL), 0);
    kw_result_free(&res);
    json_decref(a);
}

Test(validate_args, extra_forbidden_flags_come_from_the_configuration)
{
    char *extra[] = {"--max-upload-speed", ""};
    cfg.extra_forbidden_args = extra;
    cfg.n_extra_forbidden_args = 2;
    const char *items[] = {"--max-upload-speed=10", "--max-upload-speed", "--max-upload"};
    json_t *a = args_of(items, 3);
    struct kw_result res;
    run_args(KW_KIND_RS, a, &res);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, NULL), 2);
    cr_expect_eq(count(&res, KW_RULE_ADDITIONAL_ARGS_FORBIDDEN, "spec.kopia.additionalArgs[2]"), 0);
    kw_result_free(&res);
    json_decref(a);
}
