/* UPDATE-only rules: identity, path, repository and compression
 * changes after the first sync; warnings by default, Forbidden with the admin
 * switch, nothing before the first sync. And UPDATEs of objects being
 * deleted: untouched unless the spec (policy files) changes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "kw/kopia/identity.h"
#include "kw/json/util.h"
#include "kw/decision/rules.h"
#include "kw/kopia/validate.h"

static json_t *parse(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    cr_assert_not_null(v, "bad test JSON (%s): %s", e.text, json);
    return v;
}

#define SYNCED "\"status\":{\"lastSyncTime\":\"2024-05-01T00:00:00Z\"}"

/* An object {"metadata":{},"spec":{"kopia":<kopia>}[,<status>]}. */
static json_t *object(const char *kopia, const char *status)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "{\"metadata\":{},\"spec\":{\"kopia\":%s}%s%s}", kopia,
             status ? "," : "", status ? status : "");
    return parse(buf);
}

struct run {
    struct kw_config cfg;
    struct kw_result res;
};

static void run_update(struct run *r, enum kw_kind kind, bool deny, const char *old_kopia,
                       const char *old_status, const char *new_kopia)
{
    kw_config_defaults(&r->cfg);
    r->cfg.deny_identity_change = deny;
    json_t *old_obj = object(old_kopia, old_status), *new_obj = object(new_kopia, NULL);
    struct kw_object_ctx ctx = {.cfg = &r->cfg,
                                .kind = kind,
                                .op = KW_OP_UPDATE,
                                .name = "app",
                                .namespace = "prod",
                                .object = new_obj,
                                .old_object = old_obj};
    kw_result_init(&r->res);
    kw_validate_kopia_update(&ctx, &r->res);
    cr_assert_not(r->res.out_of_memory);
    for (size_t i = 0; i < r->res.nwarnings; i++) {
        const char *t = r->res.warnings[i].text;
        cr_expect_null(strchr(t, '\n'));
        cr_expect_lt((unsigned)r->res.warnings[i].rule_id, KW_RULE_COUNT);
    }
    json_decref(old_obj);
    json_decref(new_obj);
}

/* Exactly one warning with this rule id, starting with `prefix`. */
static void expect_one_warning(struct run *r, enum kw_rule_id rule, const char *prefix)
{
    cr_assert_eq(r->res.nwarnings, 1, "warnings: %zu", r->res.nwarnings);
    cr_expect_eq(r->res.ncauses, 0);
    cr_expect_eq(r->res.warnings[0].rule_id, rule);
    cr_expect(strncmp(r->res.warnings[0].text, prefix, strlen(prefix)) == 0, "got: %s",
              r->res.warnings[0].text);
}

static void expect_nothing(struct run *r)
{
    cr_expect_eq(r->res.nwarnings, 0, "unexpected warning: %s",
                 r->res.nwarnings ? r->res.warnings[0].text : "");
    cr_expect_eq(r->res.ncauses, 0);
}

#define RS KW_KIND_RS
#define RD KW_KIND_RD

Test(update, username_change_after_sync_warns)
{
    struct run r;
    run_update(&r, RS, false, "{\"username\":\"a\",\"hostname\":\"h\"}", SYNCED,
               "{\"username\":\"b\",\"hostname\":\"h\"}");
    expect_one_warning(&r, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                       "spec.kopia.username: identity changed from \"a@h\" to \"b@h\" after the "
                       "first sync; new backups start a new snapshot history");
    kw_result_free(&r.res);
}

Test(update, hostname_change_after_sync_warns)
{
    struct run r;
    run_update(&r, RS, false, "{\"username\":\"a\",\"hostname\":\"h\"}", SYNCED,
               "{\"username\":\"a\",\"hostname\":\"h2\"}");
    expect_one_warning(&r, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                       "spec.kopia.hostname: identity changed");
    kw_result_free(&r.res);
}

Test(update, nothing_before_the_first_sync)
{
    static const char *const statuses[] = {
        NULL,
        "\"status\":{}",
        "\"status\":{\"lastSyncTime\":null}",
        "\"status\":{\"lastSyncTime\":\"\"}",
    };
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct run r;
        run_update(&r, RS, true,
                   "{\"username\":\"a\",\"repository\":\"r1\",\"compression\":\"zstd\"}",
                   statuses[i],
                   "{\"username\":\"b\",\"repository\":\"r2\",\"compression\":\"s2-default\"}");
        expect_nothing(&r);
        kw_result_free(&r.res);
    }
}

Test(update, deny_switch_forbids_identity_change)
{
    struct run r;
    run_update(&r, RS, true, "{\"username\":\"a\",\"hostname\":\"h\"}", SYNCED,
               "{\"username\":\"b\",\"hostname\":\"h\"}");
    cr_assert_eq(r.res.ncauses, 1);
    cr_expect_eq(r.res.nwarnings, 0);
    const struct kw_cause *c = &r.res.causes[0];
    cr_expect_eq(c->type, KW_CAUSE_FORBIDDEN);
    cr_expect_eq(c->rule_id, KW_RULE_IDENTITY_CHANGE_FORBIDDEN);
    cr_expect_str_eq(c->field, "spec.kopia.username");
    cr_expect_null(c->value);
    char *body = kw_cause_body(c);
    cr_expect_str_eq(body, "Forbidden: identity may not change after the first sync (from "
                           "\"a@h\" to \"b@h\"): new backups would start a new snapshot history");
    free(body);
    kw_result_free(&r.res);
}

/* A part the stored object did not write is the one the operator computed
 * (object-name): pinning that value is not a change ... */
Test(update, pinning_the_operators_identity_is_not_a_change)
{
    struct run r;
    run_update(&r, RS, true, "{}", SYNCED, "{\"username\":\"app\",\"hostname\":\"prod\"}");
    expect_nothing(&r);
    kw_result_free(&r.res);
}

/* ... while pinning another scheme's value is (name-namespace, or anything
 * else the operator did not use), whatever the configured scheme. */
Test(update, pinning_another_value_is_a_change)
{
    struct run r;
    run_update(&r, RS, false, "{}", SYNCED, "{\"username\":\"app-prod\",\"hostname\":\"prod\"}");
    expect_one_warning(&r, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                       "spec.kopia.username: identity changed from \"app@prod\" to "
                       "\"app-prod@prod\" after the first sync; new backups start a new snapshot "
                       "history");
    kw_result_free(&r.res);
}

Test(update, unchanged_object_is_quiet)
{
    const char *k = "{\"username\":\"a\",\"hostname\":\"h\",\"repository\":\"r\","
                    "\"sourcePathOverride\":\"/data\",\"repositoryPVC\":\"pvc\","
                    "\"compression\":\"zstd\"}";
    struct run r;
    run_update(&r, RS, true, k, SYNCED, k);
    expect_nothing(&r);
    kw_result_free(&r.res);
}

Test(update, rd_source_identity_change_names_the_block)
{
    struct run r;
    run_update(&r, RD, false,
               "{\"sourceIdentity\":{\"sourceName\":\"web\",\"sourceNamespace\":\"p\"}}", SYNCED,
               "{\"sourceIdentity\":{\"sourceName\":\"db\",\"sourceNamespace\":\"p\"}}");
    expect_one_warning(&r, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                       "spec.kopia.sourceIdentity: identity changed from \"web@p\" to \"db@p\" "
                       "after the first sync; restores now read another snapshot history");
    kw_result_free(&r.res);
}

Test(update, rd_switch_from_discovery_to_explicit_identity)
{
    struct run r;
    run_update(&r, RD, false,
               "{\"sourceIdentity\":{\"sourceName\":\"web\",\"sourceNamespace\":\"p\"}}", SYNCED,
               "{\"username\":\"x\",\"hostname\":\"p\"}");
    expect_one_warning(&r, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                       "spec.kopia.username: identity changed from \"web@p\" to \"x@p\"");
    kw_result_free(&r.res);

    /* The same identity written out explicitly is no change. */
    struct run r2;
    run_update(&r2, RD, false,
               "{\"sourceIdentity\":{\"sourceName\":\"web\",\"sourceNamespace\":\"p\"}}", SYNCED,
               "{\"username\":\"web\",\"hostname\":\"p\"}");
    expect_nothing(&r2);
    kw_result_free(&r2.res);
}

Test(update, source_path_override)
{
    struct run r;
    run_update(&r, RS, false, "{\"sourcePathOverride\":\"/data\"}", SYNCED, "{}");
    expect_one_warning(&r, KW_RULE_SOURCE_PATH_CHANGE_AFTER_SYNC,
                       "spec.kopia.sourcePathOverride: changed from \"/data\" to unset after the "
                       "first sync; new backups start a new snapshot history");
    kw_result_free(&r.res);

    struct run r2;
    run_update(&r2, RD, true,
               "{\"sourceIdentity\":{\"sourceName\":\"w\",\"sourcePathOverride\":\"/a\"}}", SYNCED,
               "{\"sourceIdentity\":{\"sourceName\":\"w\",\"sourcePathOverride\":\"/b\"}}");
    cr_assert_eq(r2.res.ncauses, 1);
    cr_expect_eq(r2.res.causes[0].rule_id, KW_RULE_SOURCE_PATH_CHANGE_FORBIDDEN);
    cr_expect_str_eq(r2.res.causes[0].field, "spec.kopia.sourceIdentity.sourcePathOverride");
    cr_expect_eq(r2.res.causes[0].type, KW_CAUSE_FORBIDDEN);
    kw_result_free(&r2.res);
}

Test(update, repository_and_repository_pvc)
{
    struct run r;
    run_update(&r, RS, false, "{\"repository\":\"r1\",\"repositoryPVC\":\"p1\"}", SYNCED,
               "{\"repository\":\"r2\",\"repositoryPVC\":\"p1\"}");
    expect_one_warning(&r, KW_RULE_REPOSITORY_CHANGE_AFTER_SYNC,
                       "spec.kopia.repository: changed from \"r1\" to \"r2\" after the first sync");
    kw_result_free(&r.res);

    struct run r2;
    run_update(&r2, RS, false, "{\"repository\":\"r1\",\"repositoryPVC\":\"p1\"}", SYNCED,
               "{\"repository\":\"r1\"}");
    expect_one_warning(&r2, KW_RULE_REPOSITORY_CHANGE_AFTER_SYNC,
                       "spec.kopia.repositoryPVC: changed from \"p1\" to unset");
    kw_result_free(&r2.res);

    /* An empty repository counts as absent: no change. */
    struct run r3;
    run_update(&r3, RD, true, "{\"repository\":\"\",\"sourceIdentity\":{\"sourceName\":\"w\"}}",
               SYNCED, "{\"sourceIdentity\":{\"sourceName\":\"w\"}}");
    expect_nothing(&r3);
    kw_result_free(&r3.res);

    struct run r4;
    run_update(&r4, RD, true, "{\"repository\":\"a\"}", SYNCED, "{\"repository\":\"b\"}");
    cr_assert_eq(r4.res.ncauses, 1);
    cr_expect_eq(r4.res.causes[0].rule_id, KW_RULE_REPOSITORY_CHANGE_FORBIDDEN);
    cr_expect_str_eq(r4.res.causes[0].field, "spec.kopia.repository");
    kw_result_free(&r4.res);
}

/* Compression is only ever warned, also with the deny switch, and only on an
 * RS. */
Test(update, compression_change_warns_only)
{
    struct run r;
    run_update(&r, RS, true, "{\"compression\":\"zstd\"}", SYNCED,
               "{\"compression\":\"s2-default\"}");
    expect_one_warning(&r, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC,
                       "spec.kopia.compression: changed from \"zstd\" to \"s2-default\" after the "
                       "first sync; existing data keeps its old compression");
    kw_result_free(&r.res);

    struct run r2;
    run_update(&r2, RS, false, "{}", SYNCED, "{\"compression\":\"zstd\"}");
    expect_one_warning(&r2, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC,
                       "spec.kopia.compression: changed from unset to \"zstd\"");
    kw_result_free(&r2.res);
}

/* Long values are cut (without splitting a UTF-8 character) to keep the
 * warning one short line; non-string values are shown as JSON. */
Test(update, long_and_odd_values_stay_short)
{
    char old_k[512], new_k[512];
    char longval[201];
    memset(longval, 'x', 200);
    longval[200] = 0;
    /* 42 x then two-byte characters: the 48-byte cut falls inside the first. */
    snprintf(old_k, sizeof(old_k), "{\"repository\":\"%s\"}", longval);
    snprintf(new_k, sizeof(new_k),
             "{\"repository\":\"%.42s\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\nz\"}", longval);
    struct run r;
    run_update(&r, RS, false, old_k, SYNCED, new_k);
    cr_assert_eq(r.res.nwarnings, 1);
    const char *t = r.res.warnings[0].text;
    cr_expect_lt(strlen(t), 250, "%s", t);
    cr_expect_not_null(strstr(t, "...\" to"), "%s", t);
    json_t *as_json = json_string(t);
    cr_expect_not_null(as_json, "the warning must stay valid UTF-8: %s", t);
    json_decref(as_json);
    kw_result_free(&r.res);

    struct run r2;
    run_update(&r2, RS, false, "{\"compression\":5}", SYNCED, "{\"compression\":[\"a\"]}");
    expect_one_warning(&r2, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC,
                       "spec.kopia.compression: changed from 5 to [\"a\"]");
    kw_result_free(&r2.res);
}

/* Undeterminable identities (a denied object) are not compared. */
Test(update, unknown_identity_not_compared)
{
    struct run r;
    run_update(&r, RD, true, "{\"sourceIdentity\":{\"sourceName\":\"w\"}}", SYNCED,
               "{\"sourceIdentity\":{\"sourceName\":5}}");
    expect_nothing(&r);
    kw_result_free(&r.res);
}

/* A sourceIdentity without sourceName is ignored by the operator: the RD
 * then restores its own default identity, which is a change. */
Test(update, dropping_source_name_is_a_change)
{
    struct run r;
    run_update(&r, RD, false, "{\"sourceIdentity\":{\"sourceName\":\"w\"}}", SYNCED,
               "{\"sourceIdentity\":{}}");
    expect_one_warning(&r, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC,
                       "spec.kopia.username: identity changed from \"w@prod\" to \"app@prod\"");
    kw_result_free(&r.res);
}

/* --- through the webhooks (kw_handle), as the API server calls them --- */

static json_t *rs_object(const char *kopia, const char *status)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\","
             "\"metadata\":{\"name\":\"app\",\"namespace\":\"prod\"},\"spec\":{\"sourcePVC\":"
             "\"data\",\"kopia\":%s}%s%s}",
             kopia, status ? "," : "", status ? status : "");
    return parse(buf);
}

Test(update_webhook, validate_warns_or_denies)
{
    json_t *old_obj =
        rs_object("{\"repository\":\"r\",\"username\":\"a\",\"compression\":\"zstd\"}", SYNCED);
    json_t *new_obj =
        rs_object("{\"repository\":\"r\",\"username\":\"b\",\"compression\":\"lz4\"}", NULL);
    struct kw_config cfg;
    kwt_config(&cfg);
    struct kwt_admission a;
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ReplicationSource", "UPDATE", "app", "prod", new_obj,
              old_obj, &a);
    cr_expect(a.allowed);
    cr_expect_eq(kwt_warn_count(&a, KW_RULE_IDENTITY_CHANGE_AFTER_SYNC), 1);
    cr_expect_eq(kwt_warn_count(&a, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC), 1);
    kwt_admission_free(&a);

    cfg.deny_identity_change = true;
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ReplicationSource", "UPDATE", "app", "prod", new_obj,
              old_obj, &a);
    cr_expect_not(a.allowed);
    cr_assert_eq(a.summary.ndeny, 1);
    cr_expect_eq(a.summary.deny_rules[0], KW_RULE_IDENTITY_CHANGE_FORBIDDEN);
    const char *msg = json_string_value(
        json_object_get(json_object_get(json_object_get(a.doc, "response"), "status"), "message"));
    cr_expect_not_null(strstr(msg, "spec.kopia.username: Forbidden: identity may not change"), "%s",
                       msg);
    cr_expect_eq(kwt_warn_count(&a, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC), 1);
    kwt_admission_free(&a);

    /* CREATE never runs the UPDATE rules. */
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ReplicationSource", "CREATE", "app", "prod", new_obj, NULL,
              &a);
    cr_expect_eq(kwt_warn_count(&a, KW_RULE_COMPRESSION_CHANGE_AFTER_SYNC), 0);
    cr_expect_eq(a.summary.ndeny, 0);
    kwt_admission_free(&a);
    json_decref(old_obj);
    json_decref(new_obj);
}

/* A client that replaces a synced object without the pinned identity: /mutate
 * restores the stored values and /validate then sees no change, even after
 * the identity scheme was switched (only that the pinned name-namespace value
 * is not the operator's default). */
Test(update_webhook, pinned_identity_survives_replace)
{
    json_t *old_obj = rs_object("{\"repository\":\"r\",\"username\":\"app-prod\",\"hostname\":"
                                "\"prod\",\"copyMethod\":\"Direct\"}",
                                SYNCED);
    json_t *new_obj = rs_object("{\"repository\":\"r\",\"copyMethod\":\"Direct\"}", NULL);
    struct kw_config cfg;
    kwt_config(&cfg);
    cfg.identity_scheme = KW_IDENTITY_OBJECT_NAME;
    cfg.deny_identity_change = true;
    struct kwt_admission m, v;
    kwt_admit(&cfg, KW_HOOK_MUTATE, "ReplicationSource", "UPDATE", "app", "prod", new_obj, old_obj,
              &m);
    json_t *patched = kwt_patched(new_obj, &m);
    cr_expect_str_eq(json_string_value(kw_path_get(patched, "spec.kopia.username")), "app-prod");
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ReplicationSource", "UPDATE", "app", "prod", patched,
              old_obj, &v);
    cr_expect(v.allowed);
    cr_expect_eq(v.summary.nwarn, 1);
    cr_expect_eq(kwt_warn_count(&v, KW_RULE_IDENTITY_NOT_DEFAULT), 1);
    kwt_admission_free(&m);
    kwt_admission_free(&v);
    json_decref(patched);
    json_decref(old_obj);
    json_decref(new_obj);
}

/* --- objects being deleted ------------------------------------------- */

#define DELETING "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\""

/* A ReplicationSource being deleted, with `meta` members besides its name,
 * namespace and deletionTimestamp. */
static json_t *deleting_rs(const char *meta, const char *kopia)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\","
             "\"metadata\":{\"name\":\"app\",\"namespace\":\"prod\"," DELETING "%s%s},"
             "\"spec\":{\"sourcePVC\":\"data\",\"kopia\":%s}}",
             meta[0] ? "," : "", meta, kopia);
    return parse(buf);
}

/* Both webhooks let the UPDATE through untouched: allowed, no patch, no
 * warning. */
static void expect_untouched(const char *kind, const json_t *new_obj, const json_t *old_obj)
{
    struct kw_config cfg;
    kwt_config(&cfg);
    for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
        struct kwt_admission a;
        kwt_admit(&cfg, (enum kw_webhook)hook, kind, "UPDATE", "app", "prod", new_obj, old_obj, &a);
        cr_expect(a.allowed, "hook %d", hook);
        cr_expect_null(a.patch, "hook %d", hook);
        cr_expect_null(a.warnings, "hook %d", hook);
        kwt_admission_free(&a);
    }
}

/* The spec stored before (say, before the webhook was installed) would be
 * denied now; finalizer removal and label changes still pass. */
#define FORBIDDEN_KOPIA "{\"repository\":\"r\",\"additionalArgs\":[\"--password\"]}"

Test(update_webhook, finalizer_removal_during_deletion_passes_untouched)
{
    json_t *old_obj = deleting_rs("\"finalizers\":[\"example.com/keep\"]", FORBIDDEN_KOPIA);
    json_t *new_obj = deleting_rs("", FORBIDDEN_KOPIA);
    expect_untouched("ReplicationSource", new_obj, old_obj);
    json_decref(old_obj);
    json_decref(new_obj);
}

Test(update_webhook, metadata_only_change_during_deletion_passes_untouched)
{
    json_t *old_obj = deleting_rs("\"finalizers\":[\"example.com/keep\"]", FORBIDDEN_KOPIA);
    json_t *new_obj = deleting_rs("\"finalizers\":[\"example.com/keep\"],\"labels\":{\"a\":\"b\"},"
                                  "\"annotations\":{\"c\":\"d\"}",
                                  FORBIDDEN_KOPIA);
    expect_untouched("ReplicationSource", new_obj, old_obj);
    json_decref(old_obj);
    json_decref(new_obj);
}

Test(update_webhook, spec_change_during_deletion_is_evaluated)
{
    json_t *old_obj = deleting_rs("\"finalizers\":[\"example.com/keep\"]",
                                  "{\"repository\":\"r\",\"copyMethod\":\"Direct\"}");
    json_t *new_obj =
        deleting_rs("\"finalizers\":[\"example.com/keep\"]",
                    "{\"repository\":\"r\",\"copyMethod\":\"Direct\",\"additionalArgs\":"
                    "[\"--password\"]}");
    struct kw_config cfg;
    kwt_config(&cfg);
    struct kwt_admission a;
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ReplicationSource", "UPDATE", "app", "prod", new_obj,
              old_obj, &a);
    cr_expect_not(a.allowed);
    cr_assert_eq(a.summary.ndeny, 1);
    cr_expect_eq(a.summary.deny_rules[0], KW_RULE_ADDITIONAL_ARGS_FORBIDDEN);
    kwt_admission_free(&a);
    /* /mutate defaults it as any UPDATE: the identity is pinned. */
    kwt_admit(&cfg, KW_HOOK_MUTATE, "ReplicationSource", "UPDATE", "app", "prod", new_obj, old_obj,
              &a);
    cr_expect(a.allowed);
    json_t *patched = kwt_patched(new_obj, &a);
    cr_expect_str_eq(json_string_value(kw_path_get(patched, "spec.kopia.username")), "app");
    json_decref(patched);
    kwt_admission_free(&a);
    /* A spec that appears (absent or null before) is a change too. */
    json_t *bare = parse("{\"metadata\":{\"name\":\"app\"," DELETING "},\"spec\":null}");
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ReplicationSource", "UPDATE", "app", "prod", new_obj, bare,
              &a);
    cr_expect_not(a.allowed);
    kwt_admission_free(&a);
    json_decref(bare);
    json_decref(old_obj);
    json_decref(new_obj);
}

/* A labelled policy ConfigMap being deleted, holding `file` as
 * global-policy.json. */
static json_t *deleting_policy(const char *meta, const char *file)
{
    json_t *obj = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                        "\"app\",\"namespace\":\"prod\"," DELETING ",\"labels\":{"
                        "\"kopia.volsync.backube/policy\":\"true\"}},\"data\":{}}");
    json_object_set_new(json_object_get(obj, "data"), "global-policy.json", json_string(file));
    if (meta[0])
        json_object_set_new(json_object_get(obj, "metadata"), "finalizers", json_pack("[s]", meta));
    return obj;
}

Test(update_webhook, policy_file_change_during_deletion_is_evaluated)
{
    json_t *old_obj = deleting_policy("example.com/keep", "{not json");
    json_t *new_obj = deleting_policy("", "{not json");
    expect_untouched("ConfigMap", new_obj, old_obj);
    json_decref(new_obj);
    new_obj = deleting_policy("example.com/keep", "{still not json");
    struct kw_config cfg;
    kwt_config(&cfg);
    struct kwt_admission a;
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ConfigMap", "UPDATE", "app", "prod", new_obj, old_obj, &a);
    cr_expect_not(a.allowed);
    cr_assert_eq(a.summary.ndeny, 1);
    cr_expect_eq(a.summary.deny_rules[0], KW_RULE_POLICY_INVALID_JSON);
    kwt_admission_free(&a);
    /* Labelling an unlabelled ConfigMap makes its files policy files. */
    json_object_del(json_object_get(old_obj, "metadata"), "labels");
    json_decref(new_obj);
    new_obj = deleting_policy("example.com/keep", "{not json");
    kwt_admit(&cfg, KW_HOOK_VALIDATE, "ConfigMap", "UPDATE", "app", "prod", new_obj, old_obj, &a);
    cr_expect_not(a.allowed);
    kwt_admission_free(&a);
    json_decref(old_obj);
    json_decref(new_obj);
}
