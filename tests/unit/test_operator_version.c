/* Operator versions by name (include/kw/kopia/config.h): the forms users
 * write, every patch release of a supported minor version, the first Kopia
 * release of 0.15, and one-line errors that name the supported versions. */
#include <criterion/criterion.h>
#include <string.h>

#include "kw/kopia/config.h"

static void expect_version(const char *text, enum kw_operator_version want)
{
    enum kw_operator_version v = KW_OPERATOR_VERSION_COUNT;
    char err[256] = "";
    cr_assert_eq(kw_operator_version_parse(text, &v, err, sizeof(err)), 0, "%s: %s", text, err);
    cr_assert_eq(v, want, "%s", text);
}

static void expect_refused(const char *text, const char *want)
{
    enum kw_operator_version v = KW_OPERATOR_0_16;
    char err[256] = "";
    cr_assert_eq(kw_operator_version_parse(text, &v, err, sizeof(err)), -1, "accepted %s", text);
    cr_assert_eq(v, KW_OPERATOR_0_16, "%s changed the output", text);
    cr_assert(strstr(err, want), "%s: '%s' lacks '%s'", text, err, want);
    cr_assert(strstr(err, "supported: 0.15, 0.16, 0.17"), "%s: %s", text, err);
}

Test(operator_version, forms_users_write)
{
    expect_version("0.17", KW_OPERATOR_0_17);
    expect_version("0.17.11", KW_OPERATOR_0_17);
    expect_version("v0.17.11", KW_OPERATOR_0_17);
    expect_version("0.17.0", KW_OPERATOR_0_17);
    expect_version("0.16.13", KW_OPERATOR_0_16);
    expect_version("v0.16", KW_OPERATOR_0_16);
    expect_version("0.15.40", KW_OPERATOR_0_15);
    expect_version("0.15.32", KW_OPERATOR_0_15);
    expect_version("0.15", KW_OPERATOR_0_15);
}

Test(operator_version, unsupported_and_malformed)
{
    expect_refused("0.15.31", "has no Kopia mover");
    expect_refused("0.18.0", "is not a supported operator version");
    expect_refused("0.14", "is not a supported operator version");
    expect_refused("1.17", "is not a supported operator version");
    expect_refused("", "not a version such as 0.17");
    expect_refused("v", "not a version");
    expect_refused("0.17.", "not a version");
    expect_refused("0.17.11-rc1", "not a version");
    expect_refused("0..17", "not a version");
    expect_refused("0.17.11.2", "not a version");
    expect_refused("0.1700000000000", "not a version");
    expect_refused(" 0.17", "not a version");
}

Test(operator_version, names_and_default)
{
    cr_assert_str_eq(kw_operator_version_name(KW_OPERATOR_0_17), "0.17");
    cr_assert_str_eq(kw_operator_version_tag(KW_OPERATOR_0_17), "0.17.11");
    cr_assert_str_eq(kw_operator_version_tag(KW_OPERATOR_0_15), "0.15.40");
    cr_assert_str_eq(kw_operator_version_name(KW_OPERATOR_VERSION_COUNT), "");
    cr_assert_eq(KW_OPERATOR_NEWEST, KW_OPERATOR_0_17);
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cr_assert_eq(cfg.operator_version, KW_OPERATOR_NEWEST);
}
