/* The identity warnings on /validate (docs/operator.md §a.4),
 * through kw_handle as the API server calls the webhook: an explicit
 * identity other than the operator's default, a sourceIdentity without
 * sourceName (warned, no longer denied), a sourceIdentity.sourcePathOverride
 * ignored next to an explicit identity, an identity left to the namespace of
 * an object that names none (as `check` sends GitOps manifests); and /mutate
 * then /validate on the UPDATE that pins a synced object. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "kw/decision/rules.h"
#include "kw/json/util.h"

static json_t *parse(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    cr_assert_not_null(v, "bad test JSON (%s): %s", e.text, json);
    return v;
}

#define RS "ReplicationSource"
#define RD "ReplicationDestination"
#define RS_OBJ(kopia)                                                                              \
    "{\"spec\":{\"sourcePVC\":\"data\",\"kopia\":{\"repository\":\"repo\",\"copyMethod\":"         \
    "\"Direct\"" kopia "}}}"
#define RD_OBJ(kopia)                                                                              \
    "{\"spec\":{\"kopia\":{\"repository\":\"repo\",\"destinationPVC\":\"restored\","               \
    "\"copyMethod\":\"Direct\"" kopia "}}}"

/* Validates `object` as `kind` named `name` in "prod" (CREATE). */
static void validate(const char *kind, const char *name, const char *object,
                     struct kwt_admission *a)
{
    struct kw_config cfg;
    kwt_config(&cfg);
    json_t *o = parse(object);
    kwt_admit(&cfg, KW_HOOK_VALIDATE, kind, "CREATE", name, "prod", o, NULL, a);
    json_decref(o);
}

/* The text of the one warning under `rule` ("" when none, fails when more). */
static const char *warning_of(const struct kwt_admission *a, enum kw_rule_id rule)
{
    const char *found = "";
    size_t n = 0;
    for (size_t i = 0; i < a->summary.nwarn; i++)
        if (a->summary.warn_rules[i] == rule) {
            found = json_string_value(json_array_get(a->warnings, i));
            n++;
        }
    cr_assert_leq(n, 1, "%s warned %zu times", kw_rule_id_string(rule), n);
    return found;
}

static void expect_warning(const char *kind, const char *name, const char *object,
                           enum kw_rule_id rule, const char *text, bool allowed)
{
    struct kwt_admission a;
    validate(kind, name, object, &a);
    cr_expect_eq(a.allowed, allowed, "%s", object);
    cr_expect_str_eq(warning_of(&a, rule), text, "%s", object);
    kwt_admission_free(&a);
}

static void expect_no_warning(const char *kind, const char *name, const char *object,
                              enum kw_rule_id rule)
{
    struct kwt_admission a;
    validate(kind, name, object, &a);
    cr_expect_eq(kwt_warn_count(&a, rule), 0, "%s: %s", object, warning_of(&a, rule));
    kwt_admission_free(&a);
}

/* --- identity-not-default --- */

Test(identity_not_default, rs_explicit_username)
{
    expect_warning(RS, "app-backup", RS_OBJ(",\"username\":\"app-backup-prod\""),
                   KW_RULE_IDENTITY_NOT_DEFAULT,
                   "spec.kopia.username: the identity \"app-backup-prod@prod\" is not the "
                   "operator's default for this object (\"app-backup@prod\"): a restore using "
                   "sourceIdentity: {sourceName: app-backup} looks for \"app-backup@prod\" and "
                   "will not find the snapshots of \"app-backup-prod@prod\"",
                   true);
}

Test(identity_not_default, rs_explicit_hostname_names_the_hostname)
{
    expect_warning(RS, "app", RS_OBJ(",\"username\":\"app\",\"hostname\":\"cluster-a\""),
                   KW_RULE_IDENTITY_NOT_DEFAULT,
                   "spec.kopia.hostname: the identity \"app@cluster-a\" is not the operator's "
                   "default for this object (\"app@prod\"): a restore using sourceIdentity: "
                   "{sourceName: app} looks for \"app@prod\" and will not find the snapshots of "
                   "\"app@cluster-a\"",
                   true);
}

/* A value the old webhook pinned for a long name (re-trimmed after the cut)
 * is not what the operator computes either. */
Test(identity_not_default, retrimmed_cut_differs)
{
    expect_warning(RS, "ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd",
                   RS_OBJ(",\"username\":\"ccccccccccccccccccccccccccccccccccccccccccccccccc\","
                          "\"hostname\":\"prod\""),
                   KW_RULE_IDENTITY_NOT_DEFAULT,
                   "spec.kopia.username: the identity "
                   "\"ccccccccccccccccccccccccccccccccccccccccccccccccc@prod\" is not the "
                   "operator's default for this object "
                   "(\"ccccccccccccccccccccccccccccccccccccccccccccccccc-@prod\"): a restore using "
                   "sourceIdentity: {sourceName: "
                   "ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd} looks for "
                   "\"ccccccccccccccccccccccccccccccccccccccccccccccccc-@prod\" and will not find "
                   "the snapshots of \"ccccccccccccccccccccccccccccccccccccccccccccccccc@prod\"",
                   true);
}

Test(identity_not_default, rd_explicit_identity)
{
    expect_warning(RD, "restore-webapp",
                   RD_OBJ(",\"username\":\"webapp-backup-production\",\"hostname\":\"production\""),
                   KW_RULE_IDENTITY_NOT_DEFAULT,
                   "spec.kopia.username: the identity \"webapp-backup-production@production\" is "
                   "not the operator's default for this object (\"restore-webapp@prod\"): a "
                   "restore using sourceIdentity: {sourceName: restore-webapp} looks for "
                   "\"restore-webapp@prod\" and will not find the snapshots of "
                   "\"webapp-backup-production@production\"",
                   true);
}

Test(identity_not_default, quiet_cases)
{
    /* the operator's own values, written out */
    expect_no_warning(RS, "app", RS_OBJ(",\"username\":\"app\",\"hostname\":\"prod\""),
                      KW_RULE_IDENTITY_NOT_DEFAULT);
    expect_no_warning(RS, "my.app", RS_OBJ(",\"username\":\"myapp\""),
                      KW_RULE_IDENTITY_NOT_DEFAULT);
    expect_no_warning(RD, "restore", RD_OBJ(",\"username\":\"restore\",\"hostname\":\"prod\""),
                      KW_RULE_IDENTITY_NOT_DEFAULT);
    /* nothing explicit (also when the operator's value cannot be pinned) */
    expect_no_warning(RS, "app", RS_OBJ(",\"username\":\"\""), KW_RULE_IDENTITY_NOT_DEFAULT);
    expect_no_warning(RS, "ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd", RS_OBJ(""),
                      KW_RULE_IDENTITY_NOT_DEFAULT);
    /* denied anyway: an invalid value, an RD's half identity */
    expect_no_warning(RS, "app", RS_OBJ(",\"username\":\"me@example.com\""),
                      KW_RULE_IDENTITY_NOT_DEFAULT);
    expect_no_warning(RS, "app", RS_OBJ(",\"username\":5"), KW_RULE_IDENTITY_NOT_DEFAULT);
    expect_no_warning(RD, "restore", RD_OBJ(",\"username\":\"u\""), KW_RULE_IDENTITY_NOT_DEFAULT);
    /* an RD with sourceIdentity: identity-with-sourceidentity says it */
    expect_no_warning(RD, "restore",
                      RD_OBJ(",\"username\":\"u\",\"hostname\":\"h\",\"sourceIdentity\":{"
                             "\"sourceName\":\"app\"}"),
                      KW_RULE_IDENTITY_NOT_DEFAULT);
    /* generateName: the default is not known yet */
    expect_no_warning(RS, "", RS_OBJ(",\"username\":\"u\""), KW_RULE_IDENTITY_NOT_DEFAULT);
}

/* --- sourceIdentity without sourceName: allowed, warned --- */

Test(sourceidentity_without_sourcename, warned_not_denied)
{
    const char *text = "spec.kopia.sourceIdentity.sourceName: not set, so the operator ignores "
                       "sourceIdentity and this restore reads \"restore@prod\"; set sourceName to "
                       "the ReplicationSource whose snapshots to restore";
    expect_warning(RD, "restore", RD_OBJ(",\"sourceIdentity\":{}"),
                   KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME, text, true);
    expect_warning(RD, "restore", RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"\"}"),
                   KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME, text, true);
    expect_warning(
        RD, "restore",
        RD_OBJ(",\"sourceIdentity\":{\"sourceName\":null,\"sourceNamespace\":\"other\"}"),
        KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME, text, true);
    /* the operator's own test object (destination_validation_test.go:122),
     * with a volume so that it is complete */
    expect_warning(RD, "restore", RD_OBJ(",\"sourceIdentity\":{\"sourceNamespace\":\"source-ns\"}"),
                   KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME, text, true);
}

Test(sourceidentity_without_sourcename, quiet_and_other_rules_still_apply)
{
    expect_no_warning(RD, "restore", RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"app\"}"),
                      KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME);
    expect_no_warning(RD, "restore", RD_OBJ(",\"sourceIdentity\":null"),
                      KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME);
    /* nothing to discover from: repository is required */
    struct kwt_admission a;
    validate(RD, "restore",
             "{\"spec\":{\"kopia\":{\"destinationPVC\":\"p\",\"copyMethod\":\"Direct\","
             "\"sourceIdentity\":{\"sourceNamespace\":\"prod\"}}}}",
             &a);
    cr_expect_not(a.allowed);
    cr_assert_eq(a.summary.ndeny, 1);
    cr_expect_eq(a.summary.deny_rules[0], KW_RULE_REPOSITORY_REQUIRED);
    cr_expect_eq(kwt_warn_count(&a, KW_RULE_SOURCEIDENTITY_WITHOUT_SOURCENAME), 1);
    kwt_admission_free(&a);
    /* a sourceName that is not a name is still denied */
    validate(RD, "restore", RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"My_App\"}"), &a);
    cr_expect_not(a.allowed);
    cr_expect_eq(a.summary.deny_rules[0], KW_RULE_SOURCEIDENTITY_INVALID);
    kwt_admission_free(&a);
}

/* --- sourceIdentity.sourcePathOverride next to an explicit identity --- */

Test(sourceidentity_path_ignored, warned)
{
    expect_warning(RD, "restore",
                   RD_OBJ(",\"username\":\"app\",\"hostname\":\"prod\",\"sourceIdentity\":{"
                          "\"sourceName\":\"app\",\"sourcePathOverride\":\"/var/lib/data\"}"),
                   KW_RULE_SOURCEIDENTITY_PATH_IGNORED,
                   "spec.kopia.sourceIdentity.sourcePathOverride: ignored because username and "
                   "hostname are set, so the restore looks for snapshots of /data; remove "
                   "username and hostname to restore through sourceIdentity",
                   true);
}

Test(sourceidentity_path_ignored, quiet_cases)
{
    expect_no_warning(RD, "restore",
                      RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"app\",\"sourcePathOverride\":"
                             "\"/var/lib/data\"}"),
                      KW_RULE_SOURCEIDENTITY_PATH_IGNORED);
    expect_no_warning(RD, "restore",
                      RD_OBJ(",\"username\":\"app\",\"hostname\":\"prod\",\"sourceIdentity\":{"
                             "\"sourceName\":\"app\"}"),
                      KW_RULE_SOURCEIDENTITY_PATH_IGNORED);
    expect_no_warning(RD, "restore",
                      RD_OBJ(",\"username\":\"\",\"hostname\":\"\",\"sourceIdentity\":{"
                             "\"sourceName\":\"app\",\"sourcePathOverride\":\"/x\"}"),
                      KW_RULE_SOURCEIDENTITY_PATH_IGNORED);
}

/* --- the UPDATE that pins a synced object, through both webhooks --- */

static void mutate_then_validate(enum kw_identity_scheme scheme, bool deny, struct kwt_admission *m,
                                 struct kwt_admission *v)
{
    json_t *old_obj = parse("{\"metadata\":{\"name\":\"app\",\"namespace\":\"prod\"},\"spec\":{"
                            "\"sourcePVC\":\"data\",\"kopia\":{\"repository\":\"r\",\"copyMethod\":"
                            "\"Direct\"}},\"status\":{\"lastSyncTime\":\"2024-05-01T00:00:00Z\"}}");
    json_t *new_obj = parse("{\"metadata\":{\"name\":\"app\",\"namespace\":\"prod\",\"labels\":{"
                            "\"team\":\"a\"}},\"spec\":{\"sourcePVC\":\"data\",\"kopia\":{"
                            "\"repository\":\"r\",\"copyMethod\":\"Direct\"}}}");
    struct kw_config cfg;
    kwt_config(&cfg);
    cfg.identity_scheme = scheme;
    cfg.deny_identity_change = deny;
    kwt_admit(&cfg, KW_HOOK_MUTATE, RS, "UPDATE", "app", "prod", new_obj, old_obj, m);
    json_t *patched = kwt_patched(new_obj, m);
    kwt_admit(&cfg, KW_HOOK_VALIDATE, RS, "UPDATE", "app", "prod", patched, old_obj, v);
    json_decref(patched);
    json_decref(old_obj);
    json_decref(new_obj);
}

/* object-name pins what the operator used: warned once, no change. */
Test(pinned_after_sync, object_name_pins_what_the_operator_used)
{
    struct kwt_admission m, v;
    mutate_then_validate(KW_IDENTITY_OBJECT_NAME, true, &m, &v);
    cr_expect_eq(kwt_warn_count(&m, KW_RULE_IDENTITY_PINNED_AFTER_SYNC), 1);
    cr_expect(v.allowed);
    cr_expect_eq(v.summary.nwarn, 0);
    kwt_admission_free(&m);
    kwt_admission_free(&v);
}

/* name-namespace pins another identity than the operator used: the
 * validating webhook sees the change (denied with the admin switch). */
Test(pinned_after_sync, name_namespace_pins_a_new_history)
{
    struct kwt_admission m, v;
    mutate_then_validate(KW_IDENTITY_NAME_NAMESPACE, false, &m, &v);
    cr_expect_eq(kwt_warn_count(&m, KW_RULE_IDENTITY_PINNED_AFTER_SYNC), 1);
    cr_expect(v.allowed);
    cr_expect_eq(kwt_warn_count(&v, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC), 1);
    cr_expect_eq(kwt_warn_count(&v, KW_RULE_IDENTITY_NOT_DEFAULT), 1);
    kwt_admission_free(&m);
    kwt_admission_free(&v);

    mutate_then_validate(KW_IDENTITY_NAME_NAMESPACE, true, &m, &v);
    cr_expect_not(v.allowed);
    cr_assert_eq(v.summary.ndeny, 1);
    cr_expect_eq(v.summary.deny_rules[0], KW_RULE_IDENTITY_CHANGE_FORBIDDEN);
    kwt_admission_free(&m);
    kwt_admission_free(&v);
}

/* --- namespace-decides-identity --- */

/* Both webhooks on `object` named `name` with no namespace (CREATE), as
 * `check` sends a manifest that names none. */
static void admit_without_namespace(const char *kind, const char *name, const char *object,
                                    struct kwt_admission *m, struct kwt_admission *v)
{
    struct kw_config cfg;
    kwt_config(&cfg);
    cfg.deny_foreign_hostname = cfg.deny_cross_namespace_source = true;
    json_t *o = parse(object);
    kwt_admit(&cfg, KW_HOOK_MUTATE, kind, "CREATE", name, "", o, NULL, m);
    json_t *patched = kwt_patched(o, m);
    kwt_admit(&cfg, KW_HOOK_VALIDATE, kind, "CREATE", name, "", patched, NULL, v);
    json_decref(patched);
    json_decref(o);
}

#define NAMESPACE_WARNING                                                                          \
    "metadata.namespace: not set, so the namespace the object is applied to decides its Kopia "    \
    "identity: the hostname is that namespace, pinned by the webhook when the object is applied; " \
    "set metadata.namespace to fix the identity in the manifest"

/* Nothing that depends on the namespace is pinned or defaulted (no identity,
 * no annotation, no sourceNamespace), and the validator says why. */
Test(namespace_decides_identity, nothing_pinned_and_warned)
{
    static const struct {
        const char *kind, *object;
    } cases[] = {
        {RS, RS_OBJ("")},
        {RS, RS_OBJ(",\"username\":\"u\"")},
        {RD, RD_OBJ("")},
        {RD, RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"app\"}")},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kwt_admission m, v;
        admit_without_namespace(cases[i].kind, "app", cases[i].object, &m, &v);
        cr_expect(m.allowed && v.allowed, "%s", cases[i].object);
        cr_expect_null(m.patch, "%s: patched without a namespace", cases[i].object);
        cr_expect_str_eq(warning_of(&v, KW_RULE_NAMESPACE_DECIDES_IDENTITY), NAMESPACE_WARNING,
                         "%s", cases[i].object);
        kwt_admission_free(&m);
        kwt_admission_free(&v);
    }
}

/* No warning when the identity does not depend on the namespace, when the
 * name is unknown, or when the namespace is known. */
Test(namespace_decides_identity, quiet_cases)
{
    static const struct {
        const char *kind, *name, *object;
    } cases[] = {
        {RS, "app", RS_OBJ(",\"username\":\"u\",\"hostname\":\"h\"")},
        {RD, "app", RD_OBJ(",\"username\":\"u\",\"hostname\":\"h\"")},
        {RD, "app",
         RD_OBJ(",\"sourceIdentity\":{\"sourceName\":\"app\",\"sourceNamespace\":\"prod\"}")},
        {RS, "", RS_OBJ("")},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kwt_admission m, v;
        admit_without_namespace(cases[i].kind, cases[i].name, cases[i].object, &m, &v);
        cr_expect_eq(kwt_warn_count(&v, KW_RULE_NAMESPACE_DECIDES_IDENTITY), 0, "%s: %s",
                     cases[i].object, warning_of(&v, KW_RULE_NAMESPACE_DECIDES_IDENTITY));
        kwt_admission_free(&m);
        kwt_admission_free(&v);
    }
    expect_no_warning(RS, "app", RS_OBJ(""), KW_RULE_NAMESPACE_DECIDES_IDENTITY);
}
