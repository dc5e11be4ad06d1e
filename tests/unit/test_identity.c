/* The identity scheme (SPEC §5.1): the examples, sanitising, the 50-character
 * boundary with re-trimming after the cut, the fallback, both schemes, and
 * the effective identity of RS/RD objects. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "kw/kopia/identity.h"

#define NN KW_IDENTITY_NAME_NAMESPACE
#define ON KW_IDENTITY_OBJECT_NAME

/* `n` copies of `c` followed by `tail` (static buffer per call site is not
 * enough: callers free the result). */
static char *rep(char c, size_t n, const char *tail)
{
    char *s = malloc(n + strlen(tail) + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    strcpy(s + n, tail);
    return s;
}

static void expect_identity(const char *name, const char *ns, enum kw_identity_scheme scheme,
                            const char *user, const char *host)
{
    struct kw_identity id;
    cr_assert_eq(kwt_identity_default(name, ns, scheme, &id), 0);
    cr_expect_str_eq(id.username, user, "username of %s/%s (scheme %d)", ns, name, scheme);
    cr_expect_str_eq(id.hostname, host, "hostname of %s/%s", ns, name);
    cr_expect_eq(id.username_origin, KW_IDENTITY_FROM_OBJECT);
    kw_identity_free(&id);
}

static void expect_username(const char *name, const char *ns, enum kw_identity_scheme scheme,
                            const char *user)
{
    char *u = kw_identity_username(name, ns, scheme);
    cr_assert_not_null(u);
    cr_expect_str_eq(u, user, "username of %s/%s (scheme %d)", ns, name, scheme);
    cr_expect_leq(strlen(u), KW_IDENTITY_USERNAME_MAX);
    free(u);
}

struct row {
    const char *name, *ns;
    enum kw_identity_scheme scheme;
    const char *user, *host;
};

Test(identity, table)
{
    static const struct row rows[] = {
        /* The examples of SPEC §5.1/§5.2 and the upstream documentation. */
        {"mydata-backup", "default", NN, "mydata-backup-default", "default"},
        {"mydata-backup", "production", NN, "mydata-backup-production", "production"},
        {"webapp-backup", "production", ON, "webapp-backup", "production"},
        /* Dots: dropped from the username, kept in the hostname. */
        {"my.app", "team.one", NN, "myapp-teamone", "team.one"},
        {"my.app", "team.one", ON, "myapp", "team.one"},
        /* Underscores: kept in the username, '-' in the hostname. */
        {"my_app", "my_ns", NN, "my_app-my_ns", "my-ns"},
        /* Upper case is kept. */
        {"MyApp", "Prod", NN, "MyApp-Prod", "Prod"},
        /* Leading and trailing separators are trimmed. */
        {"-_app_-", "._ns_.", NN, "app-ns", "ns"},
        {"a..b", "x__y", NN, "ab-x__y", "x--y"},
        /* Other characters (non-ASCII, spaces, '@', '/') are dropped. */
        {"d\xc3\xa4t\xc3\xa4 app", "n@s/1", NN, "dtapp-ns1", "ns1"},
        /* An empty part is left out with its dash. */
        {"...", "prod", NN, "prod", "prod"},
        {"app", "...", NN, "app", KW_IDENTITY_FALLBACK},
        /* Empty after sanitising: the fallback, for both parts. */
        {"...", "---", NN, KW_IDENTITY_FALLBACK, KW_IDENTITY_FALLBACK},
        {"", "", NN, KW_IDENTITY_FALLBACK, KW_IDENTITY_FALLBACK},
        {"._-", "prod", ON, KW_IDENTITY_FALLBACK, "prod"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        expect_identity(rows[i].name, rows[i].ns, rows[i].scheme, rows[i].user, rows[i].host);
}

/* name-namespace: "<name>-ns" is 49, 50 and 51 characters long. */
Test(identity, boundary_49_50_51_name_namespace)
{
    char *n46 = rep('a', 46, ""), *n47 = rep('a', 47, ""), *n48 = rep('a', 48, "");
    char *u49 = rep('a', 46, "-ns"), *u50 = rep('a', 47, "-ns");
    expect_username(n46, "ns", NN, u49);
    expect_username(n47, "ns", NN, u50);
    /* 51 joined: the name alone (48 characters, no cut needed). */
    expect_username(n48, "ns", NN, n48);
    free(n46), free(n47), free(n48), free(u49), free(u50);
}

/* The name alone is 49, 50 and 51 characters long. */
Test(identity, boundary_49_50_51_name_alone)
{
    char *n49 = rep('b', 49, ""), *n50 = rep('b', 50, ""), *n51 = rep('b', 51, "");
    for (int scheme = NN; scheme <= ON; scheme++) {
        expect_username(n49, "production", scheme, n49);
        expect_username(n50, "production", scheme, n50);
        expect_username(n51, "production", scheme, n50);
    }
    expect_username(n49, "", NN, n49);
    expect_username(n50, "", NN, n50);
    expect_username(n51, "", NN, n50);
    free(n49), free(n50), free(n51);
}

/* A cut that ends on separators is trimmed again so the value still matches
 * the username pattern. */
Test(identity, cut_ending_on_separator_is_retrimmed)
{
    char *name = rep('c', 49, "-dddd"); /* cut at 50: "ccc...c-" */
    char *want = rep('c', 49, "");
    expect_username(name, "ns", NN, want);
    expect_username(name, "ns", ON, want);
    free(name), free(want);

    name = rep('e', 47, "_-_x-y"); /* cut at 50: "eee...e_-_" */
    want = rep('e', 47, "");
    expect_username(name, "ns", NN, want);
    free(name), free(want);

    /* Dots are dropped before the length is measured. */
    name = rep('f', 46, "....");
    want = rep('f', 46, "-ns");
    expect_username(name, "ns", NN, want);
    free(name), free(want);
}

/* Only the name is cut: with an empty sanitised name the cut leaves nothing. */
Test(identity, long_namespace_with_empty_name_falls_back)
{
    char *ns = rep('n', 55, "");
    expect_username("...", ns, NN, KW_IDENTITY_FALLBACK);
    expect_identity("app", ns, NN, "app", ns);
    free(ns);
}

Test(identity, sanitizers)
{
    char out[64];
    cr_expect_eq(kw_identity_sanitize_username("-a.b_c-d-", out), 6);
    cr_expect_str_eq(out, "ab_c-d");
    cr_expect_eq(kw_identity_sanitize_hostname("_a.b_c-d_", out), 7);
    cr_expect_str_eq(out, "a.b-c-d");
    cr_expect_eq(kw_identity_sanitize_username("...", out), 0);
    cr_expect_str_eq(out, "");
}

Test(identity, string_form)
{
    struct kw_identity id;
    cr_assert_eq(kwt_identity_default("webapp-backup", "production", ON, &id), 0);
    char *s = kw_identity_string(&id);
    cr_expect_str_eq(s, "webapp-backup@production");
    free(s);
    kw_identity_free(&id);
    cr_expect_null(id.username);
}

/* --- effective identity of objects --- */

static json_t *obj(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    cr_assert_not_null(v, "bad test JSON: %s", e.text);
    return v;
}

static void expect_effective(enum kw_kind kind, const char *name, const char *ns, const char *json,
                             enum kw_identity_scheme scheme, const char *want,
                             enum kw_identity_origin user_origin)
{
    json_t *o = obj(json);
    struct kw_identity id;
    cr_assert_eq(kw_identity_effective(kind, name, ns, o, scheme, &id), KW_IDENTITY_OK, "%s", json);
    char *s = kw_identity_string(&id);
    cr_expect_str_eq(s, want, "%s", json);
    cr_expect_eq(id.username_origin, user_origin, "%s", json);
    free(s);
    kw_identity_free(&id);
    json_decref(o);
}

static void expect_unknown(enum kw_kind kind, const char *name, const char *ns, const char *json)
{
    json_t *o = obj(json);
    struct kw_identity id;
    cr_expect_eq(kw_identity_effective(kind, name, ns, o, NN, &id), KW_IDENTITY_UNKNOWN, "%s",
                 json);
    json_decref(o);
}

Test(identity, effective_rs)
{
    expect_effective(KW_KIND_RS, "mydata-backup", "default", "{\"spec\":{\"kopia\":{}}}", NN,
                     "mydata-backup-default@default", KW_IDENTITY_FROM_OBJECT);
    expect_effective(KW_KIND_RS, "mydata-backup", "default",
                     "{\"spec\":{\"kopia\":{\"username\":\"me\"}}}", NN, "me@default",
                     KW_IDENTITY_FROM_FIELD);
    /* Empty strings and null count as absent. */
    expect_effective(KW_KIND_RS, "app", "prod",
                     "{\"spec\":{\"kopia\":{\"username\":\"\",\"hostname\":null}}}", ON, "app@prod",
                     KW_IDENTITY_FROM_OBJECT);
    /* sourceIdentity belongs to an RD: ignored on an RS. */
    expect_effective(KW_KIND_RS, "app", "prod",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"x\"}}}}", NN,
                     "app-prod@prod", KW_IDENTITY_FROM_OBJECT);
    /* Both parts explicit: the name and namespace are not needed. */
    expect_effective(KW_KIND_RS, "", "",
                     "{\"spec\":{\"kopia\":{\"username\":\"u\",\"hostname\":\"h\"}}}", NN, "u@h",
                     KW_IDENTITY_FROM_FIELD);
}

Test(identity, effective_rd_from_source_identity)
{
    const char *si = "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"webapp-backup\","
                     "\"sourceNamespace\":\"production\"}}}}";
    expect_effective(KW_KIND_RD, "restore", "staging", si, NN,
                     "webapp-backup-production@production", KW_IDENTITY_FROM_SOURCE_IDENTITY);
    expect_effective(KW_KIND_RD, "restore", "staging", si, ON, "webapp-backup@production",
                     KW_IDENTITY_FROM_SOURCE_IDENTITY);
    /* sourceNamespace defaults to the RD's namespace (also when empty). */
    expect_effective(KW_KIND_RD, "restore", "staging",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"webapp-backup\","
                     "\"sourceNamespace\":\"\"}}}}",
                     NN, "webapp-backup-staging@staging", KW_IDENTITY_FROM_SOURCE_IDENTITY);
    /* An explicit identity wins over sourceIdentity. */
    expect_effective(KW_KIND_RD, "restore", "staging",
                     "{\"spec\":{\"kopia\":{\"username\":\"u\",\"hostname\":\"h\","
                     "\"sourceIdentity\":{\"sourceName\":\"webapp-backup\"}}}}",
                     NN, "u@h", KW_IDENTITY_FROM_FIELD);
    /* sourceIdentity: null is absent: the RD's own identity. */
    expect_effective(KW_KIND_RD, "restore", "staging",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":null}}}", NN,
                     "restore-staging@staging", KW_IDENTITY_FROM_OBJECT);
}

Test(identity, effective_unknown)
{
    /* generateName: no name yet. */
    expect_unknown(KW_KIND_RS, "", "prod", "{\"spec\":{\"kopia\":{}}}");
    /* No namespace known. */
    expect_unknown(KW_KIND_RS, "app", "", "{\"spec\":{\"kopia\":{\"username\":\"u\"}}}");
    /* sourceIdentity without sourceName. */
    expect_unknown(KW_KIND_RD, "r", "ns", "{\"spec\":{\"kopia\":{\"sourceIdentity\":{}}}}");
    expect_unknown(KW_KIND_RD, "r", "",
                   "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"a\"}}}}");
    /* Wrong JSON types. */
    expect_unknown(KW_KIND_RS, "app", "prod", "{\"spec\":{\"kopia\":{\"username\":5}}}");
    expect_unknown(KW_KIND_RD, "r", "ns", "{\"spec\":{\"kopia\":{\"sourceIdentity\":\"x\"}}}");
    expect_unknown(KW_KIND_RS, "app", "prod", "{\"spec\":{\"kopia\":\"x\"}}");
}
