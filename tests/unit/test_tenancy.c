/* The admin's multi-tenant switches: each off by default, each
 * denying exactly its case when on. */
#include <criterion/criterion.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/kopia/validate.h"

static struct kw_result run(const struct kw_config *cfg, enum kw_kind kind, const char *ns,
                            const char *kopia_json)
{
    char doc[1024];
    snprintf(doc, sizeof(doc), "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"kopia\":%s}}",
             kopia_json);
    json_t *obj = json_loads(doc, 0, NULL);
    cr_assert(obj, "%s", doc);
    struct kw_object_ctx ctx = {
        .cfg = cfg, .kind = kind, .op = KW_OP_CREATE, .name = "a", .namespace = ns, .object = obj};
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_tenancy(&ctx, &res);
    json_decref(obj);
    return res;
}

static void expect(const struct kw_config *cfg, enum kw_kind kind, const char *kopia,
                   enum kw_rule_id rule, const char *field)
{
    struct kw_result res = run(cfg, kind, "team-a", kopia);
    if (rule == KW_RULE_NONE) {
        cr_assert_eq(res.ncauses, 0, "%s: unexpected %s", kopia,
                     res.ncauses ? res.causes[0].detail : "");
    } else {
        cr_assert_eq(res.ncauses, 1, "%s: want %s", kopia, kw_rule_id_string(rule));
        cr_assert_eq(res.causes[0].rule_id, rule);
        cr_assert_str_eq(res.causes[0].field, field);
        cr_assert_eq(res.causes[0].type, KW_CAUSE_FORBIDDEN);
    }
    kw_result_free(&res);
}

Test(tenancy, everything_is_allowed_by_default)
{
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    expect(&cfg, KW_KIND_RS, "{\"actions\":{\"beforeSnapshot\":\"x\"},\"hostname\":\"other\"}",
           KW_RULE_NONE, NULL);
    expect(&cfg, KW_KIND_RD,
           "{\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"b\"}}", KW_RULE_NONE,
           NULL);
}

Test(tenancy, deny_actions)
{
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cfg.deny_actions = true;
    expect(&cfg, KW_KIND_RS, "{\"actions\":{\"beforeSnapshot\":\"x\"}}", KW_RULE_ADMIN_DENY_ACTIONS,
           "spec.kopia.actions");
    expect(&cfg, KW_KIND_RS, "{\"actions\":null}", KW_RULE_NONE, NULL);
    expect(&cfg, KW_KIND_RS, "{}", KW_RULE_NONE, NULL);
}

Test(tenancy, deny_foreign_hostname)
{
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cfg.deny_foreign_hostname = true;
    expect(&cfg, KW_KIND_RS, "{\"hostname\":\"team-b\"}", KW_RULE_ADMIN_HOSTNAME_IS_NAMESPACE,
           "spec.kopia.hostname");
    expect(&cfg, KW_KIND_RD, "{\"hostname\":\"team-b\",\"username\":\"u\"}",
           KW_RULE_ADMIN_HOSTNAME_IS_NAMESPACE, "spec.kopia.hostname");
    expect(&cfg, KW_KIND_RS, "{\"hostname\":\"team-a\"}", KW_RULE_NONE, NULL);
    expect(&cfg, KW_KIND_RS, "{\"hostname\":\"\"}", KW_RULE_NONE, NULL);
    struct kw_result res = run(&cfg, KW_KIND_RS, "team-a", "{\"hostname\":\"team-b\"}");
    cr_assert(strstr(res.causes[0].detail, "(\"team-a\"), not \"team-b\""), "%s",
              res.causes[0].detail);
    kw_result_free(&res);
}

/* The hostname is the user's: shown as Go's %q shows it, escapes and all. */
Test(tenancy, a_foreign_hostname_is_quoted_as_kubernetes_quotes)
{
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cfg.deny_foreign_hostname = true;
    struct kw_result res =
        run(&cfg, KW_KIND_RS, "team-a", "{\"hostname\":\"b\\\"\\u2028\\u0007\"}");
    cr_assert_eq(res.ncauses, 1);
    cr_expect(strstr(res.causes[0].detail, "not \"b\\\"\\u2028\\a\";"), "%s", res.causes[0].detail);
    kw_result_free(&res);
}

Test(tenancy, deny_cross_namespace_source_with_allowed_list)
{
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cfg.deny_cross_namespace_source = true;
    char *allowed[] = {"shared-backups"};
    cfg.allowed_source_namespaces = allowed;
    cfg.n_allowed_source_namespaces = 1;
    const char *field = "spec.kopia.sourceIdentity.sourceNamespace";
    expect(&cfg, KW_KIND_RD,
           "{\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"b\"}}",
           KW_RULE_ADMIN_SOURCE_NAMESPACE, field);
    expect(&cfg, KW_KIND_RD,
           "{\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"team-a\"}}",
           KW_RULE_NONE, NULL);
    expect(&cfg, KW_KIND_RD,
           "{\"sourceIdentity\":{\"sourceName\":\"s\",\"sourceNamespace\":\"shared-backups\"}}",
           KW_RULE_NONE, NULL);
    expect(&cfg, KW_KIND_RD, "{\"sourceIdentity\":{\"sourceName\":\"s\"}}", KW_RULE_NONE, NULL);
    /* Only restores read another namespace's backups. */
    expect(&cfg, KW_KIND_RS, "{\"sourceIdentity\":{\"sourceNamespace\":\"b\"}}", KW_RULE_NONE,
           NULL);
}
