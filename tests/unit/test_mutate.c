/* Defaulting of RS/RD objects: each patch case, checked by
 * applying the returned operations to the request object and comparing with
 * the expected object, plus the exact operations where minimality matters. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "kw/json/util.h"
#include "kw/kopia/identity.h"
#include "kw/kopia/validate.h"

static json_t *parse(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    cr_assert_not_null(v, "bad test JSON (%s): %s", e.text, json);
    return v;
}

struct run {
    struct kw_config cfg;
    json_t *object, *old_object;
    struct kwt_admission a;
};

/* Sends the object through /mutate as the API server would. */
static void run_mutate(struct run *r, const char *kind, const char *op, const char *name,
                       const char *ns, const char *object, const char *old_object)
{
    if (!r->cfg.schemas)
        kwt_config(&r->cfg);
    r->object = parse(object);
    r->old_object = old_object ? parse(old_object) : NULL;
    kwt_admit(&r->cfg, KW_HOOK_MUTATE, kind, op, name, ns, r->object, r->old_object, &r->a);
    cr_assert(r->a.allowed, "the mutate path never denies");
}

static void run_free(struct run *r)
{
    kwt_admission_free(&r->a);
    json_decref(r->object);
    json_decref(r->old_object);
}

/* Applies the patch to the request object and compares with `want`. */
static void expect_patched(struct run *r, const char *want)
{
    json_t *doc = kwt_patched(r->object, &r->a);
    json_t *expected = parse(want);
    char *got = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
    cr_expect(json_equal(doc, expected), "patched object:\n%s\nexpected:\n%s", got, want);
    free(got);
    json_decref(expected);
    json_decref(doc);
}

/* The operations as "op path" joined by "; " ("" for no patch). */
static void expect_ops(struct run *r, const char *want)
{
    char got[2048] = "";
    size_t i;
    json_t *op;
    json_array_foreach(r->a.patch, i, op)
    {
        size_t n = strlen(got);
        snprintf(got + n, sizeof(got) - n, "%s%s %s", i ? "; " : "",
                 json_string_value(json_object_get(op, "op")),
                 json_string_value(json_object_get(op, "path")));
    }
    cr_expect_str_eq(got, want);
}

/* The warnings' rule ids, in order. */
static void expect_warnings(struct run *r, size_t n, ...)
{
    cr_assert_eq(r->a.summary.nwarn, n, "warnings: %zu, want %zu", r->a.summary.nwarn, n);
    cr_assert_eq(json_array_size(r->a.warnings), n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(r->a.summary.warn_rules[i], (enum kw_rule_id)va_arg(ap, int));
    va_end(ap);
}

static const char *warning_text(struct run *r, size_t i)
{
    return json_string_value(json_array_get(r->a.warnings, i));
}

#define RS     "ReplicationSource"
#define RD     "ReplicationDestination"
#define CREATE "CREATE"
#define UPDATE "UPDATE"
#define ANN    "\"kopia-webhook.io/identity\""

/* --- ReplicationSource --- */

Test(mutate_rs, minimal_create_gets_everything)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "mydata-backup", "default",
               "{\"metadata\":{\"name\":\"mydata-backup\"},"
               "\"spec\":{\"sourcePVC\":\"mydata\",\"kopia\":{\"repository\":"
               "\"kopia-config\"}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/username; add /spec/kopia/hostname; "
                   "add /spec/kopia/copyMethod; add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"name\":\"mydata-backup\",\"annotations\":{" ANN
                       ":\"mydata-backup@default\"}},"
                       "\"spec\":{\"sourcePVC\":\"mydata\",\"kopia\":{\"repository\":"
                       "\"kopia-config\",\"username\":\"mydata-backup\","
                       "\"hostname\":\"default\",\"copyMethod\":\"Direct\"}}}");
    expect_warnings(&r, 1, KW_RULE_COPYMETHOD_DEFAULTED);
    cr_expect(strstr(warning_text(&r, 0), "spec.kopia.copyMethod: ") == warning_text(&r, 0));
    cr_expect_not_null(strstr(warning_text(&r, 0), "Snapshot"));
    run_free(&r);
}

/* The scheme kept for clusters that pinned it. */
Test(mutate_rs, name_namespace_scheme)
{
    struct run r = {0};
    kwt_config(&r.cfg);
    r.cfg.identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
    run_mutate(&r, RS, CREATE, "webapp-backup", "production",
               "{\"metadata\":{\"annotations\":{}},\"spec\":{\"kopia\":{\"copyMethod\":"
               "\"Snapshot\"}}}",
               NULL);
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN
                       ":\"webapp-backup-production@production\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Snapshot\",\"username\":"
                       "\"webapp-backup-production\",\"hostname\":\"production\"}}}");
    expect_warnings(&r, 0);
    run_free(&r);
}

/* Empty strings and null are replaced, not added. */
Test(mutate_rs, empty_and_null_parts_are_replaced)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "app", "prod",
               "{\"metadata\":{\"annotations\":null},\"spec\":{\"kopia\":{"
               "\"username\":\"\","
               "\"hostname\":null,\"copyMethod\":\"\"}}}",
               NULL);
    expect_ops(&r, "replace /spec/kopia/username; replace /spec/kopia/hostname; "
                   "replace /spec/kopia/copyMethod; add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"app@prod\"}},"
                       "\"spec\":{\"kopia\":{\"username\":\"app\",\"hostname\":\"prod\","
                       "\"copyMethod\":\"Direct\"}}}");
    run_free(&r);
}

/* An RS may set just one part: the other is pinned, the annotation shows both.
 */
Test(mutate_rs, one_part_set)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "app", "prod",
               "{\"metadata\":{\"annotations\":{\"team\":\"a/b\"}},\"spec\":{\"kopia\":{"
               "\"username\":\"custom\",\"copyMethod\":\"Clone\"}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/hostname; add "
                   "/metadata/annotations/kopia-webhook.io~1identity");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{\"team\":\"a/b\"," ANN
                       ":\"custom@prod\"}},\"spec\":{\"kopia\":{\"username\":\"custom\","
                       "\"copyMethod\":\"Clone\",\"hostname\":\"prod\"}}}");
    run_free(&r);
}

Test(mutate_rs, annotation_replaced_when_different_kept_when_equal)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "app", "prod",
               "{\"metadata\":{\"annotations\":{" ANN ":\"stale@x\"}},\"spec\":{\"kopia\":{"
               "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\"}}}",
               NULL);
    expect_ops(&r, "replace /metadata/annotations/kopia-webhook.io~1identity");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
                       "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\"}}}");
    run_free(&r);

    struct run r2 = {0};
    run_mutate(&r2, RS, CREATE, "app", "prod",
               "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
               "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\"}}}",
               NULL);
    expect_ops(&r2, "");
    expect_warnings(&r2, 0);
    run_free(&r2);
}

/* generateName: no name on CREATE -> no pinning, no annotation, other defaults.
 */
Test(mutate_rs, generate_name_create_skips_identity)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "", "prod",
               "{\"metadata\":{\"generateName\":\"app-\"},\"spec\":{\"kopia\":{"
               "\"username\":\"\"}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/copyMethod");
    expect_warnings(&r, 1, KW_RULE_COPYMETHOD_DEFAULTED);
    run_free(&r);
}

/* ... and its first UPDATE pins. */
Test(mutate_rs, generate_name_first_update_pins)
{
    struct run r = {0};
    const char *o = "{\"metadata\":{\"name\":\"app-x7k2p\",\"generateName\":\"app-\"},"
                    "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}";
    run_mutate(&r, RS, UPDATE, "app-x7k2p", "prod", o, o);
    expect_ops(&r, "add /spec/kopia/username; add /spec/kopia/hostname; add "
                   "/metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"name\":\"app-x7k2p\",\"generateName\":\"app-\","
                       "\"annotations\":{" ANN ":\"app-x7k2p@prod\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"username\":"
                       "\"app-x7k2p\",\"hostname\":\"prod\"}}}");
    /* never synced: no warning about earlier snapshots */
    expect_warnings(&r, 0);
    run_free(&r);
}

Test(mutate_rs, unknown_namespace_skips_identity)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "app", "", "{\"metadata\":{},\"spec\":{\"kopia\":{}}}", NULL);
    expect_ops(&r, "add /spec/kopia/copyMethod");
    run_free(&r);
}

/* A pinned identity survives an UPDATE that drops it, even after the scheme
 * was changed. */
Test(mutate_rs, pinned_identity_survives_update)
{
    struct run r = {0};
    kwt_config(&r.cfg);
    r.cfg.identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
    run_mutate(&r, RS, UPDATE, "app", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
               "\"hostname\":\"\"}}}",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"app-prod\","
               "\"hostname\":\"prod-east\"}},\"status\":{\"lastSyncTime\":\"2024-"
               "01-01T00:00:00Z\"}}");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"app-prod@prod-east\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
                       "\"username\":\"app-prod\","
                       "\"hostname\":\"prod-east\"}}}");
    /* nothing computed: no identity-pinned-after-sync */
    expect_warnings(&r, 0);
    run_free(&r);
}

/* An UPDATE that keeps the identity returns no patch. */
Test(mutate_rs, untouched_update_has_no_patch)
{
    struct run r = {0};
    const char *o = "{\"metadata\":{\"annotations\":{" ANN ":\"app-prod@prod\"}},"
                    "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"username\":"
                    "\"app-prod\","
                    "\"hostname\":\"prod\"}}}";
    run_mutate(&r, RS, UPDATE, "app", "prod", o, o);
    expect_ops(&r, "");
    run_free(&r);
}

/* RD-only defaults do not apply to an RS. */
Test(mutate_rs, rd_only_fields_untouched)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "app", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
               "\"restoreAsOf\":\"2024-01-02T03:04:05+02:00\",\"sourceIdentity\":{"
               "\"sourceName\":\"x\"}}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/username; add /spec/kopia/hostname; add "
                   "/metadata/annotations");
    expect_warnings(&r, 0);
    run_free(&r);
}

/* --- ReplicationDestination --- */

Test(mutate_rd, no_source_identity_pins_both)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "restore", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"\",\"copyMethod\":"
               "\"Snapshot\"}}}",
               NULL);
    expect_ops(&r, "replace /spec/kopia/username; add /spec/kopia/hostname; add "
                   "/metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"restore@prod\"}},"
                       "\"spec\":{\"kopia\":{\"username\":\"restore\","
                       "\"hostname\":\"prod\","
                       "\"copyMethod\":\"Snapshot\"}}}");
    run_free(&r);
}

/* A half identity is the validator's to deny: nothing pinned, the empty half
 * removed. */
Test(mutate_rd, half_identity_not_pinned)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "restore", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"u\","
               "\"hostname\":\"\","
               "\"copyMethod\":\"Direct\"}}}",
               NULL);
    expect_ops(&r, "remove /spec/kopia/hostname; add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"u@prod\"}},"
                       "\"spec\":{\"kopia\":{\"username\":\"u\",\"copyMethod\":\"Direct\"}}}");
    run_free(&r);
}

Test(mutate_rd, source_identity_defaults_namespace_and_never_pins)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "webapp-restore", "staging",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
               "\"sourceIdentity\":{\"sourceName\":\"webapp-backup\"}}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/sourceIdentity/sourceNamespace; add "
                   "/metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN
                       ":\"webapp-backup@staging\"}},\"spec\":{\"kopia\":{"
                       "\"copyMethod\":\"Direct\",\"sourceIdentity\":{\"sourceName\":"
                       "\"webapp-backup\",\"sourceNamespace\":\"staging\"}}}}");
    run_free(&r);
}

/* Empty explicit parts next to sourceIdentity are removed; an empty
 * sourceNamespace is replaced. */
Test(mutate_rd, source_identity_removes_empty_parts)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "webapp-restore", "staging",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"\","
               "\"hostname\":\"\","
               "\"copyMethod\":\"Direct\",\"sourceIdentity\":{\"sourceName\":"
               "\"webapp-backup\","
               "\"sourceNamespace\":\"\"}}}}",
               NULL);
    expect_ops(&r, "remove /spec/kopia/username; remove /spec/kopia/hostname; "
                   "replace /spec/kopia/sourceIdentity/sourceNamespace; add "
                   "/metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN
                       ":\"webapp-backup@staging\"}},\"spec\":{\"kopia\":{"
                       "\"copyMethod\":\"Direct\",\"sourceIdentity\":{\"sourceName\":"
                       "\"webapp-backup\",\"sourceNamespace\":\"staging\"}}}}");
    run_free(&r);
}

Test(mutate_rd, cross_namespace_source_identity)
{
    struct run r = {0};
    kwt_config(&r.cfg);
    r.cfg.identity_scheme =
        KW_IDENTITY_NAME_NAMESPACE; /* what discovery computes, whatever the scheme */
    run_mutate(&r, RD, CREATE, "restore-prod-to-staging", "staging",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
               "\"sourceIdentity\":{\"sourceName\":\"webapp-backup\","
               "\"sourceNamespace\":"
               "\"production\"}}}}",
               NULL);
    expect_ops(&r, "add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"webapp-backup@production\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"sourceIdentity\":{"
                       "\"sourceName\":\"webapp-backup\",\"sourceNamespace\":\"production\"}}}"
                       "}");
    run_free(&r);
}

/* sourceIdentity without sourceName: the operator ignores the block and uses
 * the RD's own default, which the annotation shows. Nothing is pinned: a
 * pinned identity would stay and turn discovery off once sourceName is
 * added. */
Test(mutate_rd, source_identity_without_name_annotates_own_identity)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "r", "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
               "\"sourceIdentity\":{\"sourceName\":\"\"}}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/sourceIdentity/sourceNamespace; add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"r@ns\"}},\"spec\":{\"kopia\":{"
                       "\"copyMethod\":\"Direct\",\"sourceIdentity\":{\"sourceName\":\"\","
                       "\"sourceNamespace\":\"ns\"}}}}");
    expect_warnings(&r, 0);
    run_free(&r);
}

/* --- values the CRD refuses: not pinned, annotated, warned --- */

#define CUT_NAME "ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd" /* 49 c */
#define CUT_USER "ccccccccccccccccccccccccccccccccccccccccccccccccc-"     /* the cut */

Test(mutate_unpinnable, rs_cut_ending_in_a_dash)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, CUT_NAME, "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}", NULL);
    expect_ops(&r, "add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"" CUT_USER "@ns\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_UNPINNABLE);
    cr_expect_str_eq(warning_text(&r, 0),
                     "spec.kopia.username: not pinned: the operator's value \"" CUT_USER
                     "\" ends in \"-\", which the CRD's pattern refuses; the operator uses it as "
                     "it is (see the annotation kopia-webhook.io/identity); set username and "
                     "hostname explicitly to pin an identity");
    run_free(&r);
}

/* Empty parts are removed rather than left; the hostname alone is not
 * pinned either. */
Test(mutate_unpinnable, rs_empty_parts_removed_nothing_pinned)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_b", "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"\",\"hostname\":\"\","
               "\"copyMethod\":\"Direct\"}}}",
               NULL);
    expect_ops(&r, "remove /spec/kopia/username; remove /spec/kopia/hostname; add "
                   "/metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN
                       ":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_@ns\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_UNPINNABLE);
    cr_expect_not_null(strstr(warning_text(&r, 0), "ends in \"_\""));
    run_free(&r);
}

/* An explicit username: only the hostname is missing, and it can be pinned. */
Test(mutate_unpinnable, rs_explicit_username_pins_the_hostname)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, CUT_NAME, "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"cut\",\"copyMethod\":"
               "\"Direct\"}}}",
               NULL);
    expect_ops(&r, "add /spec/kopia/hostname; add /metadata/annotations");
    expect_warnings(&r, 0);
    run_free(&r);
}

Test(mutate_unpinnable, rd_without_source_identity)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, CUT_NAME, "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}", NULL);
    expect_ops(&r, "add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"" CUT_USER "@ns\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_UNPINNABLE);
    run_free(&r);
}

/* name-namespace re-trims after the cut, so its value is always pinnable. */
Test(mutate_unpinnable, name_namespace_scheme_pins_the_retrimmed_value)
{
    struct run r = {0};
    kwt_config(&r.cfg);
    r.cfg.identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
    run_mutate(&r, RS, CREATE, CUT_NAME, "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}", NULL);
    expect_ops(&r, "add /spec/kopia/username; add /spec/kopia/hostname; add "
                   "/metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN
                       ":\"ccccccccccccccccccccccccccccccccccccccccccccccccc@ns\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"username\":"
                       "\"ccccccccccccccccccccccccccccccccccccccccccccccccc\",\"hostname\":"
                       "\"ns\"}}}");
    expect_warnings(&r, 0);
    run_free(&r);
}

/* --- RD with sourceIdentity: the annotation is what discovery computes --- */

static void expect_rd_annotation(const char *si, const char *want)
{
    char o[512];
    snprintf(o, sizeof(o),
             "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
             "\"sourceIdentity\":%s}}}",
             si);
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "restore-app", "restore-ns", o, NULL);
    json_t *patched = kwt_patched(r.object, &r.a);
    const char *got =
        kw_obj_str(kw_path_get(patched, "metadata.annotations"), KW_IDENTITY_ANNOTATION);
    cr_expect_str_eq(got ? got : "(none)", want, "%s", si);
    /* never pinned, never warned */
    cr_expect_null(kw_path_get(patched, "spec.kopia.username"), "%s", si);
    cr_expect_null(kw_path_get(patched, "spec.kopia.hostname"), "%s", si);
    expect_warnings(&r, 0);
    json_decref(patched);
    run_free(&r);
}

Test(mutate_rd, source_identity_annotation_is_what_discovery_computes)
{
    expect_rd_annotation("{\"sourceName\":\"webapp\"}", "webapp@restore-ns");
    expect_rd_annotation("{\"sourceName\":\"webapp\",\"sourceNamespace\":\"\"}",
                         "webapp@restore-ns");
    expect_rd_annotation("{\"sourceName\":\"webapp\",\"sourceNamespace\":\"prod\"}", "webapp@prod");
    /* the 50-byte cut without re-trim: not pinnable, but nothing is pinned
     * on an RD with sourceIdentity anyway */
    expect_rd_annotation("{\"sourceName\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_b\","
                         "\"sourceNamespace\":\"prod\"}",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_@prod");
    /* free strings (denied by the validator, still computed as the
     * operator would) */
    expect_rd_annotation("{\"sourceName\":\"My_App\",\"sourceNamespace\":\"Team_NS\"}",
                         "My_App@Team-NS");
    expect_rd_annotation("{\"sourceName\":\"_x_\",\"sourceNamespace\":\"__\"}", "x@x");
    expect_rd_annotation("{\"sourceName\":\"..\",\"sourceNamespace\":\"...\"}",
                         "volsync-default@volsync-default");
    /* sourcePVCName/sourcePathOverride do not enter the identity */
    expect_rd_annotation("{\"sourceName\":\"webapp\",\"sourceNamespace\":\"prod\","
                         "\"sourcePVCName\":\"data\",\"sourcePathOverride\":\"/x\"}",
                         "webapp@prod");
}

/* An explicit identity next to sourceIdentity is the operator's identity:
 * left as it is, annotated. */
Test(mutate_rd, explicit_identity_with_source_identity_is_left_alone)
{
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "restore-app", "restore-ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"username\":"
               "\"u\",\"hostname\":\"h\",\"sourceIdentity\":{\"sourceName\":\"webapp\","
               "\"sourceNamespace\":\"restore-ns\"}}}}",
               NULL);
    expect_ops(&r, "add /metadata/annotations");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
                       "\"copyMethod\":\"Direct\",\"username\":\"u\",\"hostname\":\"h\","
                       "\"sourceIdentity\":{\"sourceName\":\"webapp\",\"sourceNamespace\":"
                       "\"restore-ns\"}}}}");
    run_free(&r);
}

/* --- UPDATE of an object that has synced without a pinned identity
 * (docs/identity.md) --- */

#define SYNCED_STATUS ",\"status\":{\"lastSyncTime\":\"2024-05-01T00:00:00Z\"}"

Test(mutate_after_sync, rs_pins_and_warns)
{
    struct run r = {0};
    run_mutate(&r, RS, UPDATE, "app", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}" SYNCED_STATUS
               "}");
    expect_ops(&r, "add /spec/kopia/username; add /spec/kopia/hostname; add "
                   "/metadata/annotations");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_PINNED_AFTER_SYNC);
    cr_expect_str_eq(warning_text(&r, 0),
                     "spec.kopia.username: identity pinned to \"app@prod\" after the object has "
                     "synced without one: earlier snapshots were written under the default "
                     "identity of the operator version that ran them, so if that used another "
                     "scheme new backups start a new, empty snapshot history; check with kopia "
                     "snapshot list --all");
    run_free(&r);
}

Test(mutate_after_sync, name_namespace_scheme_pins_its_value_and_warns)
{
    struct run r = {0};
    kwt_config(&r.cfg);
    r.cfg.identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
    run_mutate(&r, RS, UPDATE, "app", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
               "{\"metadata\":{},\"spec\":{\"kopia\":{}}" SYNCED_STATUS "}");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"app-prod@prod\"}},"
                       "\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"username\":\"app-prod\","
                       "\"hostname\":\"prod\"}}}");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_PINNED_AFTER_SYNC);
    cr_expect_not_null(strstr(warning_text(&r, 0), "\"app-prod@prod\""));
    run_free(&r);
}

/* Only the computed part counts: the username comes from the stored object,
 * the hostname is computed now. */
Test(mutate_after_sync, one_computed_part_names_it)
{
    struct run r = {0};
    run_mutate(&r, RS, UPDATE, "app", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"custom\"}}" SYNCED_STATUS "}");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_PINNED_AFTER_SYNC);
    cr_expect(strncmp(warning_text(&r, 0),
                      "spec.kopia.hostname: identity pinned to \"custom@prod\"", 52) == 0,
              "%s", warning_text(&r, 0));
    run_free(&r);
}

Test(mutate_after_sync, rd_without_source_identity)
{
    struct run r = {0};
    run_mutate(&r, RD, UPDATE, "restore", "prod",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
               "{\"metadata\":{},\"spec\":{\"kopia\":{}}" SYNCED_STATUS "}");
    expect_warnings(&r, 1, KW_RULE_IDENTITY_PINNED_AFTER_SYNC);
    cr_expect_str_eq(warning_text(&r, 0),
                     "spec.kopia.username: identity pinned to \"restore@prod\" after the object "
                     "has synced without one: earlier restores read the default identity of the "
                     "operator version that ran them, so if that used another scheme restores "
                     "now read another snapshot history; check with kopia snapshot list --all");
    run_free(&r);
}

/* Not synced, already pinned, an RD with sourceIdentity, a value that cannot
 * be pinned: no such warning. */
Test(mutate_after_sync, quiet_cases)
{
    static const struct {
        const char *kind, *name, *object, *old, *ops;
        size_t nwarn;
    } rows[] = {
        {RS, "app", "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
         "{\"metadata\":{},\"spec\":{\"kopia\":{}},\"status\":{\"lastSyncTime\":\"\"}}",
         "add /spec/kopia/username; add /spec/kopia/hostname; add /metadata/annotations", 0},
        {RS, "app", "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
         "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":\"a\",\"hostname\":\"b\"}"
         "}" SYNCED_STATUS "}",
         "add /spec/kopia/username; add /spec/kopia/hostname; add /metadata/annotations", 0},
        {RD, "restore",
         "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\",\"sourceIdentity\":{"
         "\"sourceName\":\"app\",\"sourceNamespace\":\"prod\"}}}}",
         "{\"metadata\":{},\"spec\":{\"kopia\":{}}" SYNCED_STATUS "}", "add /metadata/annotations",
         0},
        /* unpinnable: only identity-unpinnable */
        {RS, CUT_NAME, "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\"}}}",
         "{\"metadata\":{},\"spec\":{\"kopia\":{}}" SYNCED_STATUS "}", "add /metadata/annotations",
         1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct run r = {0};
        run_mutate(&r, rows[i].kind, UPDATE, rows[i].name, "prod", rows[i].object, rows[i].old);
        expect_ops(&r, rows[i].ops);
        cr_expect_eq(kwt_warn_count(&r.a, KW_RULE_IDENTITY_PINNED_AFTER_SYNC), 0, "row %zu", i);
        cr_expect_eq(r.a.summary.nwarn, rows[i].nwarn, "row %zu", i);
        run_free(&r);
    }
}

/* --- restoreAsOf --- */

static void expect_restore_as_of(const char *written, const char *want)
{
    char obj[512], patched[512];
    snprintf(obj, sizeof(obj),
             "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
             "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\","
             "\"restoreAsOf\":\"%s\"}}}",
             written);
    snprintf(patched, sizeof(patched),
             "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
             "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\","
             "\"restoreAsOf\":\"%s\"}}}",
             want ? want : written);
    struct run r = {0};
    run_mutate(&r, RD, CREATE, "r", "ns", obj, NULL);
    expect_patched(&r, patched);
    if (want) {
        expect_ops(&r, "replace /spec/kopia/restoreAsOf");
        expect_warnings(&r, 1, KW_RULE_RESTOREASOF_NORMALIZED);
        cr_expect_not_null(strstr(warning_text(&r, 0), want));
        cr_expect(strncmp(warning_text(&r, 0), "spec.kopia.restoreAsOf: ", 24) == 0);
    } else {
        expect_ops(&r, "");
        expect_warnings(&r, 0);
    }
    run_free(&r);
}

Test(mutate_rd, restore_as_of_to_utc)
{
    expect_restore_as_of("2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05Z");
    expect_restore_as_of("2024-01-02T03:04:05.120-04:30", "2024-01-02T07:34:05.120Z");
    expect_restore_as_of("2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00Z");
    expect_restore_as_of("2024-01-02t03:04:05z", "2024-01-02T03:04:05Z");
    expect_restore_as_of("2024-01-02T03:04:05z", "2024-01-02T03:04:05Z");
}

Test(mutate_rd, restore_as_of_left_alone)
{
    expect_restore_as_of("2024-01-02T03:04:05Z", NULL);
    expect_restore_as_of("2024-01-02T03:04:05+00:00", NULL);
    expect_restore_as_of("2024-01-02T03:04:05-00:00", NULL);
    /* Does not parse: the validator denies it. */
    expect_restore_as_of("yesterday", NULL);
    expect_restore_as_of("2024-01-02 03:04:05", NULL);
}

/* --- policyConfig file names --- */

Test(mutate_policy, filenames_with_a_source)
{
    struct run r = {0};
    run_mutate(&r, RS, CREATE, "app", "prod",
               "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
               "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\","
               "\"policyConfig\":{\"configMapName\":\"pol\","
               "\"globalPolicyFilename\":\"\","
               "\"repositoryConfigFilename\":\"custom.json\"}}}}",
               NULL);
    expect_ops(&r, "replace /spec/kopia/policyConfig/globalPolicyFilename");
    expect_patched(&r, "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
                       "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\","
                       "\"policyConfig\":{\"configMapName\":\"pol\",\"globalPolicyFilename\":"
                       "\"global-policy.json\",\"repositoryConfigFilename\":\"custom.json\"}}}"
                       "}");
    run_free(&r);

    struct run r2 = {0};
    run_mutate(&r2, RD, CREATE, "r", "ns",
               "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":\"Direct\","
               "\"policyConfig\":{\"secretName\":\"pol\"}}}}",
               NULL);
    expect_ops(&r2, "add /spec/kopia/username; add /spec/kopia/hostname; "
                    "add /spec/kopia/policyConfig/globalPolicyFilename; "
                    "add /spec/kopia/policyConfig/repositoryConfigFilename; "
                    "add /metadata/annotations");
    run_free(&r2);
}

Test(mutate_policy, no_filenames_without_a_source)
{
    static const char *const blocks[] = {
        "{\"repositoryConfig\":\"{}\"}",
        "{\"secretName\":\"\",\"configMapName\":null}",
        "{}",
        "null",
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        char o[256];
        snprintf(o, sizeof(o),
                 "{\"metadata\":{\"annotations\":{" ANN ":\"u@h\"}},\"spec\":{\"kopia\":{"
                 "\"username\":\"u\",\"hostname\":\"h\",\"copyMethod\":\"Direct\","
                 "\"policyConfig\":%s}}}",
                 blocks[i]);
        struct run r = {0};
        run_mutate(&r, RS, CREATE, "app", "prod", o, NULL);
        expect_ops(&r, "");
        run_free(&r);
    }
}

/* --- objects the mutate path does not understand are left untouched --- */

/* Called directly: the dispatcher turns some of these shapes into a 400
 * before the mutate path sees them, but the function must not depend on it. */
Test(mutate_untouched, wrong_types)
{
    static const char *const objects[] = {
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"username\":5}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"copyMethod\":true}}}",
        "{\"metadata\":{\"annotations\":\"x\"},\"spec\":{\"kopia\":{}}}",
        "{\"metadata\":{\"annotations\":[]},\"spec\":{\"kopia\":{}}}",
        "{\"metadata\":\"x\",\"spec\":{\"kopia\":{}}}",
        "{\"metadata\":null,\"spec\":{\"kopia\":{}}}",
        "{\"spec\":{\"kopia\":{}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"sourceIdentity\":\"x\"}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"sourceIdentity\":{\"sourceNamespace\":1}}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"policyConfig\":[1]}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"policyConfig\":{\"secretName\":{}}}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":{\"restoreAsOf\":20240102}}}",
        "{\"metadata\":{},\"spec\":{\"kopia\":\"x\"}}",
        "{\"metadata\":{},\"spec\":[]}",
        "[]",
    };
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        for (int kind = KW_KIND_RS; kind <= KW_KIND_RD; kind++) {
            json_t *o = parse(objects[i]);
            struct kw_object_ctx ctx = {.cfg = &cfg,
                                        .kind = (enum kw_kind)kind,
                                        .op = KW_OP_CREATE,
                                        .name = "app",
                                        .namespace = "prod",
                                        .object = o};
            struct kw_result res;
            kw_result_init(&res);
            kw_mutate_kopia(&ctx, &res);
            cr_expect_eq(res.nops, 0, "%s", objects[i]);
            cr_expect_eq(res.nwarnings, 0, "%s", objects[i]);
            cr_expect_not(kw_result_denied(&res), "%s", objects[i]);
            kw_result_free(&res);
            json_decref(o);
        }
    }
}
