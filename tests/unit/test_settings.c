/* The config file: every key, unknown keys and bad values with file, line
 * and column, a failed parse leaves the settings untouched. */
#include <criterion/criterion.h>
#include <string.h>

#include "kw/server/settings.h"

static int parse(struct kw_settings *s, const char *text, char *err)
{
    return kw_settings_parse(s, "config.yaml", text, strlen(text), err, 512);
}

Test(settings, every_key_is_read)
{
    const char *text = "listen: 0.0.0.0:9443\n"
                       "healthListen: 127.0.0.1:9080\n"
                       "threads: 4\n"
                       "maxBodyBytes: 1048576\n"
                       "logLevel: debug\n"
                       "identityScheme: name-namespace\n"
                       "operatorVersion: v0.16.13\n"
                       "tls:\n"
                       "  certFile: /tls/tls.crt\n"
                       "  keyFile: /tls/tls.key\n"
                       "  clientCAFile: /tls/ca.crt\n"
                       "  pollSeconds: 30\n"
                       "timeouts:\n"
                       "  idleSeconds: 200\n"
                       "  requestSeconds: 5\n"
                       "  drainSeconds: 15\n"
                       "forbiddenArgs: [--no-progress, --parallel]\n"
                       "tenancy:\n"
                       "  denyActions: true\n"
                       "  denyForeignHostname: yes\n"
                       "  denyCrossNamespaceSource: true\n"
                       "  allowedSourceNamespaces: [shared]\n"
                       "  denyIdentityChange: true\n"
                       "  denyInlineRepositoryConfig: true\n";
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char err[512] = "";
    cr_assert_eq(parse(&s, text, err), 0, "%s", err);
    cr_assert_str_eq(s.server.listen, "0.0.0.0:9443");
    cr_assert_str_eq(s.server.health_listen, "127.0.0.1:9080");
    cr_assert_eq(s.server.threads, 4);
    cr_assert_eq(s.server.max_body_bytes, 1048576);
    cr_assert_eq(s.log_level, KW_LOG_DEBUG);
    cr_assert_eq(s.core.identity_scheme, KW_IDENTITY_NAME_NAMESPACE);
    cr_assert_eq(s.core.operator_version, KW_OPERATOR_0_16);
    cr_assert_str_eq(s.server.tls_cert, "/tls/tls.crt");
    cr_assert_str_eq(s.server.tls_key, "/tls/tls.key");
    cr_assert_str_eq(s.server.client_ca, "/tls/ca.crt");
    cr_assert_eq(s.server.cert_poll_s, 30);
    cr_assert_eq(s.server.idle_timeout_s, 200);
    cr_assert_eq(s.server.request_timeout_s, 5);
    cr_assert_eq(s.server.drain_s, 15);
    cr_assert_eq(s.core.n_extra_forbidden_args, 2);
    cr_assert_str_eq(s.core.extra_forbidden_args[1], "--parallel");
    cr_assert(s.core.deny_actions && s.core.deny_foreign_hostname &&
              s.core.deny_cross_namespace_source && s.core.deny_identity_change &&
              s.core.deny_inline_repository_config);
    cr_assert_eq(s.core.n_allowed_source_namespaces, 1);
    cr_assert_str_eq(s.core.allowed_source_namespaces[0], "shared");
    kw_settings_free(&s);
}

Test(settings, operator_version_unquoted_is_read_as_written)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char err[512] = "";
    cr_assert_eq(parse(&s, "operatorVersion: 0.15\n", err), 0, "%s", err);
    cr_assert_eq(s.core.operator_version, KW_OPERATOR_0_15);
    cr_assert_eq(parse(&s, "operatorVersion: 0.17.11\n", err), 0, "%s", err);
    cr_assert_eq(s.core.operator_version, KW_OPERATOR_0_17);
    kw_settings_free(&s);
}

Test(settings, defaults_when_silent_and_empty_file)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char err[512] = "";
    cr_assert_eq(parse(&s, "", err), 0, "%s", err);
    cr_assert_eq(parse(&s, "# only comments\n", err), 0, "%s", err);
    cr_assert_eq(parse(&s, "tls:\n", err), 0, "%s", err);
    cr_assert_str_eq(s.server.listen, KW_SERVER_DEFAULT_LISTEN);
    cr_assert_null(s.server.health_listen);
    cr_assert_eq(s.server.threads, 0);
    cr_assert_eq(s.server.max_body_bytes, KW_DEFAULT_MAX_BODY_BYTES);
    cr_assert_eq(s.log_level, KW_LOG_DEFAULT_LEVEL);
    cr_assert_eq(s.core.identity_scheme, KW_IDENTITY_OBJECT_NAME);
    cr_assert_eq(s.core.operator_version, KW_OPERATOR_NEWEST);
    cr_assert(!s.core.deny_actions);
    kw_settings_free(&s);
}

static void expect_error(const char *text, const char *want)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    cr_assert_eq(parse(&s, "listen: 1.2.3.4:1\n", (char[512]){0}), 0);
    char err[512] = "";
    cr_assert_eq(parse(&s, text, err), -1, "accepted: %s", text);
    cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
    /* A bad file changes nothing. */
    cr_assert_str_eq(s.server.listen, "1.2.3.4:1");
    kw_settings_free(&s);
}

Test(settings, errors_name_file_line_column_and_key)
{
    expect_error("listen: a:1\nlisten_address: x\n",
                 "config.yaml:2:1: listen_address: unknown key (known keys: listen,");
    expect_error(
        "tls:\n  certfile: /x\n",
        "config.yaml:2:3: tls.certfile: unknown key (known keys in tls: certFile, keyFile");
    expect_error("threads: many\n", "config.yaml:1:1: threads: must be a whole number from 0 to");
    expect_error("threads: -1\n", "threads: must be a whole number");
    expect_error("timeouts:\n  requestSeconds: 0\n", "timeouts.requestSeconds: must be a whole");
    expect_error("identityScheme: name\n", "identityScheme: must be object-name or name-namespace");
    expect_error("operatorVersion: 0.18\n",
                 "operatorVersion: \"0.18\": is not a supported operator version (supported: "
                 "0.15, 0.16, 0.17");
    expect_error("operatorVersion: 17\n", "operatorVersion: must be a version such as");
    expect_error("operatorVersion: \"0.15.2\"\n", "has no Kopia mover");
    expect_error("logLevel: verbose\n", "logLevel: must be one of debug, info, warn, error");
    expect_error("tenancy:\n  denyActions: maybe\n", "tenancy.denyActions: must be true or false");
    expect_error("tls: /x\n", "tls: must be a mapping");
    expect_error("forbiddenArgs: [--a, 3]\n", "forbiddenArgs[1]: must be a non-empty string");
    expect_error("forbiddenArgs: --a\n", "forbiddenArgs: must be a list of strings");
    expect_error("- a\n", "must be a YAML mapping");
    expect_error("a: [\n", "config.yaml: line 2");
    expect_error("listen: a\nlisten: b\n", "already defined");
}

Test(settings, copy_is_deep)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char err[512];
    cr_assert_eq(parse(&s, "forbiddenArgs: [--x]\n", err), 0);
    struct kw_config copy;
    cr_assert_eq(kw_config_copy(&copy, &s.core), 0);
    kw_settings_free(&s);
    cr_assert_str_eq(copy.extra_forbidden_args[0], "--x");
    kw_config_free_arrays(&copy);
}

Test(settings, missing_file_is_reported)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char err[512] = "";
    cr_assert_eq(kw_settings_load_file(&s, "/nonexistent/config.yaml", err, sizeof(err)), -1);
    cr_assert(strstr(err, "/nonexistent/config.yaml: No such file"), "%s", err);
    kw_settings_free(&s);
}
