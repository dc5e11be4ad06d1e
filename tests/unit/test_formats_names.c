/* Kubernetes names and keys (formats.h): DNS-1123 subdomain and label, label
 * key and value, ConfigMap key, Kopia identity part; apimachinery wording. */
#include "kw/formats/formats.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef bool (*name_check)(const char *s, char *msg, size_t msglen);

struct name_case {
    const char *value;
    bool valid;
    const char *msg_part; /* expected substring of msg when invalid, or NULL */
};

/* A string of n copies of c (n < 1024), in a static buffer per slot. */
static const char *repeat(char c, size_t n, int slot)
{
    static char bufs[4][1024];
    cr_assert(n < sizeof(bufs[0]) && slot < 4);
    memset(bufs[slot], c, n);
    bufs[slot][n] = '\0';
    return bufs[slot];
}

static void run_cases(const char *what, name_check check, const struct name_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char msg[KW_MSGLEN];
        bool ok = check(cases[i].value, msg, sizeof(msg));
        cr_expect_eq(ok, cases[i].valid, "%s(\"%s\") = %d, want %d (msg: %s)", what, cases[i].value,
                     ok, cases[i].valid, msg);
        if (ok)
            cr_expect_str_empty(msg, "%s(\"%s\"): msg should be empty", what, cases[i].value);
        else
            cr_expect(strchr(msg, '\n') == NULL, "%s: msg must be one line", what);
        if (!ok && cases[i].msg_part)
            cr_expect(strstr(msg, cases[i].msg_part) != NULL, "%s(\"%s\"): msg \"%s\" lacks \"%s\"",
                      what, cases[i].value, msg, cases[i].msg_part);
    }
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static const char SUBDOMAIN_MSG[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char LABEL_MSG[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char QUALIFIED_MSG[] =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
static const char LABEL_VALUE_MSG[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
static const char CONFIGMAP_MSG[] =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')";

Test(formats_names, subdomain_table)
{
    char labels253[254];
    /* 63+1+63+1+63+1+61 = 253: labels may be long inside a subdomain. */
    snprintf(labels253, sizeof(labels253), "%s.%s.%s.%s", repeat('a', 63, 0), repeat('b', 63, 1),
             repeat('c', 63, 2), repeat('d', 61, 3));
    cr_assert_eq(strlen(labels253), 253);
    const struct name_case cases[] = {
        {"a", true, NULL},
        {"0", true, NULL},
        {"example.com", true, NULL},
        {"my-backup.repo-1", true, NULL},
        {"a--b", true, NULL},
        {repeat('a', 253, 0), true, NULL},
        {labels253, true, NULL},
        {repeat('a', 254, 1), false, "must be no more than 253 characters"},
        {"", false, SUBDOMAIN_MSG},
        {"Abc", false, SUBDOMAIN_MSG},
        {"-abc", false, SUBDOMAIN_MSG},
        {"abc-", false, SUBDOMAIN_MSG},
        {".abc", false, SUBDOMAIN_MSG},
        {"abc.", false, SUBDOMAIN_MSG},
        {"a..b", false, SUBDOMAIN_MSG},
        {"a.-b", false, SUBDOMAIN_MSG},
        {"a_b", false, SUBDOMAIN_MSG},
        {"a b", false, SUBDOMAIN_MSG},
        {"caf\xc3\xa9", false, SUBDOMAIN_MSG},
    };
    run_cases("subdomain", kw_dns1123_subdomain_valid, cases, NCASES(cases));
}

Test(formats_names, subdomain_messages_exact)
{
    char msg[KW_MSGLEN];
    cr_assert_not(kw_dns1123_subdomain_valid("My-Repo", msg, sizeof(msg)));
    cr_expect_str_eq(msg, SUBDOMAIN_MSG);
    cr_assert_not(kw_dns1123_subdomain_valid(repeat('a', 254, 0), msg, sizeof(msg)));
    cr_expect_str_eq(msg, "must be no more than 253 characters");
    /* Too long and bad characters: both, in Kubernetes' order. */
    char both[300];
    snprintf(both, sizeof(both), "%s_", repeat('a', 254, 0));
    cr_assert_not(kw_dns1123_subdomain_valid(both, msg, sizeof(msg)));
    char want[KW_MSGLEN];
    snprintf(want, sizeof(want), "must be no more than 253 characters; %s", SUBDOMAIN_MSG);
    cr_expect_str_eq(msg, want);
}

Test(formats_names, label_table)
{
    const struct name_case cases[] = {
        {"a", true, NULL},
        {"default", true, NULL},
        {"kube-system", true, NULL},
        {"123-abc", true, NULL},
        {repeat('a', 63, 0), true, NULL},
        {repeat('a', 64, 1), false, "must be no more than 63 characters"},
        {"a.b", false, "must not contain dots"},
        {"", false, LABEL_MSG},
        {"Default", false, LABEL_MSG},
        {"-a", false, LABEL_MSG},
        {"a-", false, LABEL_MSG},
        {"a_b", false, LABEL_MSG},
        {"a..b", false, LABEL_MSG},
    };
    run_cases("label", kw_dns1123_label_valid, cases, NCASES(cases));
}

Test(formats_names, label_messages_exact)
{
    char msg[KW_MSGLEN];
    cr_assert_not(kw_dns1123_label_valid("a.b", msg, sizeof(msg)));
    cr_expect_str_eq(msg, "must not contain dots");
    cr_assert_not(kw_dns1123_label_valid("A", msg, sizeof(msg)));
    cr_expect_str_eq(msg, LABEL_MSG);
    cr_assert_not(kw_dns1123_label_valid(repeat('a', 64, 0), msg, sizeof(msg)));
    cr_expect_str_eq(msg, "must be no more than 63 characters");
}

Test(formats_names, label_key_table)
{
    char prefix253[300], prefix254[300];
    snprintf(prefix253, sizeof(prefix253), "%s/app", repeat('p', 253, 0));
    snprintf(prefix254, sizeof(prefix254), "%s/app", repeat('p', 254, 1));
    char name63[80], name64[80];
    snprintf(name63, sizeof(name63), "example.com/%s", repeat('N', 63, 2));
    snprintf(name64, sizeof(name64), "example.com/%s", repeat('N', 64, 3));
    const struct name_case cases[] = {
        {"app", true, NULL},
        {"App_Name.v1-x", true, NULL},
        {"example.com/MyName", true, NULL},
        {"app.kubernetes.io/name", true, NULL},
        {"a", true, NULL},
        {repeat('k', 63, 0), true, NULL},
        {name63, true, NULL},
        {prefix253, true, NULL},
        {repeat('k', 64, 1), false, "name part must be no more than 63 characters"},
        {name64, false, "name part must be no more than 63 characters"},
        {prefix254, false, "prefix part must be no more than 253 characters"},
        {"", false, "name part must be non-empty"},
        {"/app", false, "prefix part must be non-empty"},
        {"example.com/", false, "name part must be non-empty"},
        {"Example.com/app", false, "prefix part a lowercase RFC 1123 subdomain"},
        {"-app", false, QUALIFIED_MSG},
        {"app-", false, QUALIFIED_MSG},
        {"_app", false, QUALIFIED_MSG},
        {"app name", false, QUALIFIED_MSG},
        {"a/b/c", false, "a qualified name must consist of"},
    };
    run_cases("label key", kw_label_key_valid, cases, NCASES(cases));
}

Test(formats_names, label_key_messages_exact)
{
    char msg[KW_MSGLEN], want[KW_MSGLEN];
    cr_assert_not(kw_label_key_valid("a/b/c", msg, sizeof(msg)));
    snprintf(want, sizeof(want),
             "a qualified name %s with an optional DNS subdomain prefix and '/' (e.g. "
             "'example.com/MyName')",
             QUALIFIED_MSG);
    cr_expect_str_eq(msg, want);
    cr_assert_not(kw_label_key_valid("example.com/", msg, sizeof(msg)));
    snprintf(want, sizeof(want), "name part must be non-empty; name part %s", QUALIFIED_MSG);
    cr_expect_str_eq(msg, want);
    cr_assert_not(kw_label_key_valid("Bad_Prefix/-x", msg, sizeof(msg)));
    snprintf(want, sizeof(want), "prefix part %s; name part %s", SUBDOMAIN_MSG, QUALIFIED_MSG);
    cr_expect_str_eq(msg, want);
}

Test(formats_names, label_value_table)
{
    const struct name_case cases[] = {
        {"", true, NULL},
        {"MyValue", true, NULL},
        {"my_value", true, NULL},
        {"12345", true, NULL},
        {"v1.2-rc_3", true, NULL},
        {repeat('v', 63, 0), true, NULL},
        {repeat('v', 64, 1), false, "must be no more than 63 characters"},
        {"-v", false, LABEL_VALUE_MSG},
        {"v.", false, LABEL_VALUE_MSG},
        {"a/b", false, LABEL_VALUE_MSG},
        {"a b", false, LABEL_VALUE_MSG},
    };
    run_cases("label value", kw_label_value_valid, cases, NCASES(cases));
}

Test(formats_names, configmap_key_table)
{
    const struct name_case cases[] = {
        {"global-policy.json", true, NULL},
        {"repository.config", true, NULL},
        {"KEY_NAME", true, NULL},
        {".hidden", true, NULL},
        {"a..b", true, NULL},
        {"-", true, NULL},
        {repeat('k', 253, 0), true, NULL},
        {repeat('k', 254, 1), false, "must be no more than 253 characters"},
        {".", false, "must not be '.'"},
        {"..", false, "must not be '..'"},
        {"..data", false, "must not start with '..'"},
        {"", false, CONFIGMAP_MSG},
        {"a/b", false, CONFIGMAP_MSG},
        {"../etc/passwd", false, "must not start with '..'"},
        {"a b", false, CONFIGMAP_MSG},
    };
    run_cases("configmap key", kw_configmap_key_valid, cases, NCASES(cases));
}

Test(formats_names, configmap_key_messages_exact)
{
    char msg[KW_MSGLEN], want[KW_MSGLEN];
    cr_assert_not(kw_configmap_key_valid("..", msg, sizeof(msg)));
    cr_expect_str_eq(msg, "must not be '..'");
    cr_assert_not(kw_configmap_key_valid("../x", msg, sizeof(msg)));
    snprintf(want, sizeof(want), "%s; must not start with '..'", CONFIGMAP_MSG);
    cr_expect_str_eq(msg, want);
}

Test(formats_names, identity_part_table)
{
    const struct name_case cases[] = {
        {"a", true, NULL},
        {"Z", true, NULL},
        {"7", true, NULL},
        {"ab", true, NULL},
        {"mydata-backup-default", true, NULL},
        {"host.example.com", true, NULL},
        {"User_1", true, NULL},
        {"a-.-_b", true, NULL},
        {"", false, "must be a single alphanumeric character"},
        {"-", false, "start and end with an alphanumeric character"},
        {"_a", false, "start and end with an alphanumeric character"},
        {"a.", false, "start and end with an alphanumeric character"},
        {"-ab", false, "^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$"},
        {"user@host", false, "consist of alphanumeric characters, '.', '_' or '-'"},
        {"a b", false, "consist of alphanumeric characters"},
        {"caf\xc3\xa9", false, "consist of alphanumeric characters"},
    };
    run_cases("identity part", kw_identity_part_valid, cases, NCASES(cases));
}

Test(formats_names, message_buffer_is_cut_and_terminated)
{
    char msg[16];
    memset(msg, 'x', sizeof(msg));
    cr_assert_not(kw_dns1123_label_valid("A", msg, sizeof(msg)));
    cr_expect_eq(strlen(msg), sizeof(msg) - 1);
    cr_expect_eq(strncmp(msg, LABEL_MSG, sizeof(msg) - 1), 0);
    /* A one-byte buffer holds just the NUL; NULL means no message wanted. */
    char one[1] = {'x'};
    cr_assert_not(kw_label_key_valid("/", one, sizeof(one)));
    cr_expect_eq(one[0], '\0');
    cr_expect_not(kw_configmap_key_valid(".", NULL, 0));
    cr_expect(kw_configmap_key_valid("ok", NULL, 0));
}

Test(formats_names, longest_message_fits_msglen)
{
    /* Every check failing at once on a label key: the joined text still
     * fits KW_MSGLEN uncut. */
    char key[600], msg[KW_MSGLEN];
    snprintf(key, sizeof(key), "%s_/%s_", repeat('P', 254, 0), repeat('N', 64, 1));
    cr_assert_not(kw_label_key_valid(key, msg, sizeof(msg)));
    cr_expect_lt(strlen(msg), sizeof(msg) - 1);
    cr_expect(strstr(msg, "prefix part must be no more than 253 characters; prefix part a "
                          "lowercase") != NULL,
              "%s", msg);
    cr_expect(strstr(msg, "; name part must be no more than 63 characters; name part must") != NULL,
              "%s", msg);
}
