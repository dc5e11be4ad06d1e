/* The identity (docs/operator.md §a): the operator's
 * username and hostname for tricky names, byte for byte (the expected values
 * are docs/operator.md §a.5, each re-derived by hand from the operator's
 * sanitizeForIdentifier/generateUsername/generateHostname and checked against
 * those Go functions run on the same inputs), the legacy name-namespace
 * scheme, pinnability, and the effective identity of RS/RD objects including
 * sourceIdentity. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "kw/kopia/identity.h"

#define NN KW_IDENTITY_NAME_NAMESPACE
#define ON KW_IDENTITY_OBJECT_NAME
#define FB KW_IDENTITY_FALLBACK

/* `n` copies of `c` followed by `tail`, in one of a few static slots (the
 * tables below hold many of them at once). */
static const char *rep(char c, size_t n, const char *tail)
{
    static char slots[64][320];
    static size_t next;
    char *s = slots[next++ % 64];
    cr_assert_lt(n + strlen(tail), sizeof(slots[0]));
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
    cr_expect_leq(strlen(id.username), KW_IDENTITY_USERNAME_MAX);
    kw_identity_free(&id);
}

struct row {
    const char *name, *ns;
    const char *user, *host;
    bool pinnable; /* the username matches the CRD's pattern */
};

/* An RS or RD without sourceIdentity: what the operator computes
 * (object-name, the default scheme). The reasoning column of
 * docs/operator.md §a.5 applies row by row. */
Test(identity, operator_values_for_object_names)
{
    const struct row rows[] = {
        {"mydata-backup", "default", "mydata-backup", "default", true},
        /* dots: dropped from the username, kept in the hostname */
        {"my.app", "team.one", "myapp", "team.one", true},
        {"app.v2.backup", "prod", "appv2backup", "prod", true},
        {"db.example.com", rep('n', 63, ""), "dbexamplecom", rep('n', 63, ""), true},
        /* no namespace part in the username, whatever the length */
        {rep('a', 47, ""), "ns", rep('a', 47, ""), "ns", true},
        {rep('a', 48, ""), "ns", rep('a', 48, ""), "ns", true},
        {rep('a', 49, ""), "ns", rep('a', 49, ""), "ns", true},
        /* len == 50 is not > 50; 51 and more are cut to 50 */
        {rep('a', 50, ""), "ns", rep('a', 50, ""), "ns", true},
        {rep('a', 51, ""), "ns", rep('a', 50, ""), "ns", true},
        {rep('a', 60, ""), "ns", rep('a', 50, ""), "ns", true},
        {rep('x', 253, ""), "ns", rep('x', 50, ""), "ns", true},
        /* a cut that lands after a separator keeps it: no trim after the cut */
        {rep('c', 49, "-dddd"), "ns", rep('c', 49, "-"), "ns", false},
        {rep('c', 48, "..x-y"), "ns", rep('c', 48, "x-"), "ns", false},
        {rep('c', 49, ".-x"), "ns", rep('c', 49, "-"), "ns", false},
        {rep('x', 45, "-----y"), "ns", rep('x', 45, "-----"), "ns", false},
        {rep('a', 49, "-_-b"), "ns", rep('a', 49, "-"), "ns", false},
        {"backup-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b", "ns",
         "backup-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-", "ns", false},
        /* 62-character name and namespace: the first 50 end in '-' */
        {"a23456789-123456789-123456789-123456789-123456789-123456789-12",
         "n23456789-123456789-123456789-123456789-123456789-123456789-12",
         "a23456789-123456789-123456789-123456789-123456789-",
         "n23456789-123456789-123456789-123456789-123456789-123456789-12", false},
        /* the separator after the cut is simply cut off */
        {rep('a', 50, "-b"), "ns", rep('a', 50, ""), "ns", true},
        /* trailing dots are dropped before the length counts */
        {rep('f', 46, "...."), "ns", rep('f', 46, ""), "ns", true},
        /* 63-character namespaces: the hostname is never cut */
        {"web", rep('a', 63, ""), "web", rep('a', 63, ""), true},
        {"1abc", "9ns", "1abc", "9ns", true},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        expect_identity(rows[i].name, rows[i].ns, ON, rows[i].user, rows[i].host);
        cr_expect_eq(kw_identity_pinnable(rows[i].user), rows[i].pinnable, "row %zu: %s", i,
                     rows[i].user);
    }
}

/* Free strings (as sourceIdentity carries them): underscores, upper case,
 * junk, and names that sanitise to nothing. */
Test(identity, operator_values_for_free_strings)
{
    const struct row rows[] = {
        /* case kept; '_' kept in the username, '-' in the hostname */
        {"My_App", "Team_NS", "My_App", "Team-NS", true},
        {"UPPER.Case", "prod", "UPPERCase", "prod", true},
        {"webapp", "a-b.c_d", "webapp", "a-b.c-d", true},
        /* "__" becomes "--" and is trimmed: the hostname falls back to the
         * sanitised name */
        {"_x_", "__", "x", "x", true},
        {"app", "...", "app", "app", true},
        {"-_app_-", "._ns_.", "app", "ns", true},
        {"a..b", "x__y", "ab", "x--y", true},
        /* other bytes (non-ASCII, space, '@', '/') are dropped */
        {"d\xc3\xa4t\xc3\xa4 app", "n@s/1", "dtapp", "ns1", true},
        /* empty after sanitising: volsync-default, independently per part */
        {"..", "...", FB, FB, true},
        {"", "", FB, FB, true},
        {"...", "prod", FB, "prod", true},
        {"._-", "prod", FB, "prod", true},
        {rep('_', 60, ""), "ns", FB, "ns", true},
        /* the '_' is trimmed before the cut ... */
        {rep('n', 55, "_"), "ns", rep('n', 50, ""), "ns", true},
        /* ... but a cut ending in '_' keeps it */
        {rep('a', 49, "_b"), "ns", rep('a', 49, "_"), "ns", false},
        {rep('e', 47, "_-_x-y"), "ns", rep('e', 47, "_-_"), "ns", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        expect_identity(rows[i].name, rows[i].ns, ON, rows[i].user, rows[i].host);
        cr_expect_eq(kw_identity_pinnable(rows[i].user), rows[i].pinnable, "row %zu: %s", i,
                     rows[i].user);
    }
}

/* The legacy scheme: "<name>-<namespace>" while it fits, else the
 * name cut and re-trimmed, so always pinnable. The hostname is the operator's. */
Test(identity, name_namespace_scheme)
{
    const struct row rows[] = {
        {"mydata-backup", "default", "mydata-backup-default", "default", true},
        {"webapp-backup", "production", "webapp-backup-production", "production", true},
        {"my.app", "team.one", "myapp-teamone", "team.one", true},
        {"my_app", "my_ns", "my_app-my_ns", "my-ns", true},
        {"MyApp", "Prod", "MyApp-Prod", "Prod", true},
        /* "<name>-ns" is 49 and 50 characters: joined; 51: the name alone */
        {rep('a', 46, ""), "ns", rep('a', 46, "-ns"), "ns", true},
        {rep('a', 47, ""), "ns", rep('a', 47, "-ns"), "ns", true},
        {rep('a', 48, ""), "ns", rep('a', 48, ""), "ns", true},
        {rep('b', 51, ""), "production", rep('b', 50, ""), "production", true},
        /* a cut ending on separators is re-trimmed in this scheme */
        {rep('c', 49, "-dddd"), "ns", rep('c', 49, ""), "ns", true},
        {rep('e', 47, "_-_x-y"), "ns", rep('e', 47, ""), "ns", true},
        /* an empty part is left out with its dash */
        {"...", "prod", "prod", "prod", true},
        {"app", "...", "app", "app", true},
        {"...", "---", FB, FB, true},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        expect_identity(rows[i].name, rows[i].ns, NN, rows[i].user, rows[i].host);
        cr_expect(kw_identity_pinnable(rows[i].user), "row %zu", i);
    }
}

Test(identity, hostname_fallback_chain)
{
    char *h = kw_identity_hostname("prod", "app");
    cr_expect_str_eq(h, "prod");
    free(h);
    h = kw_identity_hostname("_.-", "my_app.x");
    cr_expect_str_eq(h, "my-app.x");
    free(h);
    h = kw_identity_hostname("", "@@");
    cr_expect_str_eq(h, FB);
    free(h);
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
    /* interior runs of separators survive, only the ends are trimmed */
    cr_expect_eq(kw_identity_sanitize_username("_a--__b_", out), 6);
    cr_expect_str_eq(out, "a--__b");
    cr_expect_eq(kw_identity_sanitize_hostname("..a..b--", out), 4);
    cr_expect_str_eq(out, "a..b");
}

Test(identity, pinnable)
{
    cr_expect(kw_identity_pinnable("a"));
    cr_expect(kw_identity_pinnable("a.b_c-d"));
    cr_expect(kw_identity_pinnable(FB));
    cr_expect_not(kw_identity_pinnable(""));
    cr_expect_not(kw_identity_pinnable("a-"));
    cr_expect_not(kw_identity_pinnable("a_"));
    cr_expect_not(kw_identity_pinnable("-a"));
    cr_expect_not(kw_identity_pinnable("user@host"));
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
    json_t *v = json_loads(json, JSON_ALLOW_NUL, &e);
    cr_assert_not_null(v, "bad test JSON: %s", e.text);
    return v;
}

static void expect_effective(enum kw_kind kind, const char *name, const char *ns, const char *json,
                             const char *want, enum kw_identity_origin user_origin)
{
    json_t *o = obj(json);
    struct kw_identity id;
    cr_assert_eq(kw_identity_effective(kind, name, ns, o, &id), KW_IDENTITY_OK, "%s", json);
    char *s = kw_identity_string(&id);
    cr_expect_str_eq(s, want, "%s", json);
    cr_expect_eq(id.username_origin, user_origin, "%s", json);
    free(s);
    kw_identity_free(&id);
    json_decref(o);
}

static void expect_default(enum kw_kind kind, const char *name, const char *ns, const char *json,
                           const char *want)
{
    json_t *o = obj(json);
    struct kw_identity id;
    cr_assert_eq(kw_identity_operator_default(kind, name, ns, o, &id), KW_IDENTITY_OK, "%s", json);
    char *s = kw_identity_string(&id);
    cr_expect_str_eq(s, want, "%s", json);
    free(s);
    kw_identity_free(&id);
    json_decref(o);
}

static void expect_unknown(enum kw_kind kind, const char *name, const char *ns, const char *json)
{
    json_t *o = obj(json);
    struct kw_identity id;
    cr_expect_eq(kw_identity_effective(kind, name, ns, o, &id), KW_IDENTITY_UNKNOWN, "%s", json);
    json_decref(o);
}

Test(identity, effective_rs)
{
    expect_effective(KW_KIND_RS, "mydata-backup", "default", "{\"spec\":{\"kopia\":{}}}",
                     "mydata-backup@default", KW_IDENTITY_FROM_OBJECT);
    expect_effective(KW_KIND_RS, "mydata-backup", "default",
                     "{\"spec\":{\"kopia\":{\"username\":\"me\"}}}", "me@default",
                     KW_IDENTITY_FROM_FIELD);
    /* Empty strings and null count as absent. */
    expect_effective(KW_KIND_RS, "app", "prod",
                     "{\"spec\":{\"kopia\":{\"username\":\"\",\"hostname\":null}}}", "app@prod",
                     KW_IDENTITY_FROM_OBJECT);
    /* sourceIdentity belongs to an RD: ignored on an RS. */
    expect_effective(KW_KIND_RS, "app", "prod",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"x\"}}}}",
                     "app@prod", KW_IDENTITY_FROM_OBJECT);
    /* Both parts explicit: the name and namespace are not needed. */
    expect_effective(KW_KIND_RS, "", "",
                     "{\"spec\":{\"kopia\":{\"username\":\"u\",\"hostname\":\"h\"}}}", "u@h",
                     KW_IDENTITY_FROM_FIELD);
    /* The operator's value also when it cannot be pinned. */
    expect_effective(KW_KIND_RS, "a23456789-123456789-123456789-123456789-123456789-123456789-12",
                     "ns", "{\"spec\":{\"kopia\":{}}}",
                     "a23456789-123456789-123456789-123456789-123456789-@ns",
                     KW_IDENTITY_FROM_OBJECT);
    /* The default ignores the explicit parts. */
    expect_default(KW_KIND_RS, "app", "prod",
                   "{\"spec\":{\"kopia\":{\"username\":\"u\",\"hostname\":\"h\"}}}", "app@prod");
}

/* What the operator's discovery computes for an RD with sourceIdentity
 * (docs/operator.md §a.4, second table of §a.5). */
Test(identity, effective_rd_from_source_identity)
{
    static const struct {
        const char *si, *want;
    } rows[] = {
        {"{\"sourceName\":\"webapp-backup\",\"sourceNamespace\":\"production\"}",
         "webapp-backup@production"},
        {"{\"sourceName\":\"My_App\",\"sourceNamespace\":\"Team_NS\"}", "My_App@Team-NS"},
        {"{\"sourceName\":\"UPPER.Case\",\"sourceNamespace\":\"prod\"}", "UPPERCase@prod"},
        {"{\"sourceName\":\"webapp\",\"sourceNamespace\":\"a-b.c_d\"}", "webapp@a-b.c-d"},
        /* sourceNamespace sanitises to nothing: the hostname falls back to
         * the sanitised sourceName, then to volsync-default */
        {"{\"sourceName\":\"_x_\",\"sourceNamespace\":\"__\"}", "x@x"},
        {"{\"sourceName\":\"..\",\"sourceNamespace\":\"...\"}", FB "@" FB},
        /* sourceNamespace absent, null or "": the RD's namespace */
        {"{\"sourceName\":\"webapp\"}", "webapp@restore-ns"},
        {"{\"sourceName\":\"webapp\",\"sourceNamespace\":null}", "webapp@restore-ns"},
        {"{\"sourceName\":\"webapp\",\"sourceNamespace\":\"\"}", "webapp@restore-ns"},
        /* the username is cut like any other, and may end in '_' */
        {"{\"sourceName\":\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn_\"}",
         "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn@restore-ns"},
        {"{\"sourceName\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_b\"}",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_@restore-ns"},
        /* sourcePVCName and sourcePathOverride do not enter the identity */
        {"{\"sourceName\":\"webapp\",\"sourcePVCName\":\"data\",\"sourcePathOverride\":\"/x\"}",
         "webapp@restore-ns"},
        /* a NUL byte in a JSON string is dropped like any other junk */
        {"{\"sourceName\":\"ab\\u0000cd\",\"sourceNamespace\":\"n\\u0000s\"}", "abcd@ns"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char json[512];
        snprintf(json, sizeof(json), "{\"spec\":{\"kopia\":{\"sourceIdentity\":%s}}}", rows[i].si);
        expect_effective(KW_KIND_RD, "restore-app", "restore-ns", json, rows[i].want,
                         KW_IDENTITY_FROM_SOURCE_IDENTITY);
        expect_default(KW_KIND_RD, "restore-app", "restore-ns", json, rows[i].want);
    }
    /* An explicit identity wins over sourceIdentity; the default does not. */
    const char *both = "{\"spec\":{\"kopia\":{\"username\":\"u\",\"hostname\":\"h\","
                       "\"sourceIdentity\":{\"sourceName\":\"webapp-backup\"}}}}";
    expect_effective(KW_KIND_RD, "restore", "staging", both, "u@h", KW_IDENTITY_FROM_FIELD);
    expect_default(KW_KIND_RD, "restore", "staging", both, "webapp-backup@staging");
    /* The identity ignores the scheme: the operator computes it. */
    expect_effective(KW_KIND_RD, "restore", "staging",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"webapp-backup\","
                     "\"sourceNamespace\":\"production\"}}}}",
                     "webapp-backup@production", KW_IDENTITY_FROM_SOURCE_IDENTITY);
}

/* A sourceIdentity without a (non-empty) sourceName is ignored by the
 * operator: the RD's own default identity. */
Test(identity, effective_rd_without_source_name)
{
    static const char *const blocks[] = {
        "{}",
        "{\"sourceName\":\"\",\"sourceNamespace\":\"prod\"}",
        "{\"sourceName\":null,\"sourceNamespace\":\"prod\"}",
        "{\"sourceNamespace\":\"prod\",\"sourcePathOverride\":\"/x\"}",
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json), "{\"spec\":{\"kopia\":{\"sourceIdentity\":%s}}}", blocks[i]);
        expect_effective(KW_KIND_RD, "restore-app", "restore-ns", json, "restore-app@restore-ns",
                         KW_IDENTITY_FROM_OBJECT);
    }
    /* sourceIdentity: null is absent. */
    expect_effective(KW_KIND_RD, "restore", "staging",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":null}}}", "restore@staging",
                     KW_IDENTITY_FROM_OBJECT);
}

Test(identity, effective_unknown)
{
    /* generateName: no name yet. */
    expect_unknown(KW_KIND_RS, "", "prod", "{\"spec\":{\"kopia\":{}}}");
    expect_unknown(KW_KIND_RD, "", "prod", "{\"spec\":{\"kopia\":{\"sourceIdentity\":{}}}}");
    /* No namespace known. */
    expect_unknown(KW_KIND_RS, "app", "", "{\"spec\":{\"kopia\":{\"username\":\"u\"}}}");
    expect_unknown(KW_KIND_RD, "r", "",
                   "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"a\"}}}}");
    /* Wrong JSON types. */
    expect_unknown(KW_KIND_RS, "app", "prod", "{\"spec\":{\"kopia\":{\"username\":5}}}");
    expect_unknown(KW_KIND_RD, "r", "ns", "{\"spec\":{\"kopia\":{\"sourceIdentity\":\"x\"}}}");
    expect_unknown(KW_KIND_RD, "r", "ns",
                   "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":7}}}}");
    expect_unknown(KW_KIND_RS, "app", "prod", "{\"spec\":{\"kopia\":\"x\"}}");
    /* An RD whose sourceIdentity names a source in another namespace needs
     * no name of its own. */
    expect_effective(KW_KIND_RD, "", "",
                     "{\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceName\":\"a\","
                     "\"sourceNamespace\":\"b\"}}}}",
                     "a@b", KW_IDENTITY_FROM_SOURCE_IDENTITY);
}
