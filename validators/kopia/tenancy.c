/* Multi-tenant hardening rules, each switched on by the admin in
 * the config file and off by default: no snapshot actions, hostname pinned
 * to the namespace, restores only from the own namespace (or an allowed
 * list). The fourth switch, denying identity changes after the first sync,
 * lives with the UPDATE rules (kopia_update.c). */
#include <stdlib.h>
#include <string.h>

#include "kw/json/util.h"
#include "kw/decision/rules.h"
#include "kw/kopia/validate.h"

static bool namespace_allowed(const struct kw_config *cfg, const char *ns)
{
    for (size_t i = 0; i < cfg->n_allowed_source_namespaces; i++)
        if (strcmp(cfg->allowed_source_namespaces[i], ns) == 0)
            return true;
    return false;
}

static void deny_actions(const struct kw_object_ctx *ctx, const json_t *kopia,
                         struct kw_result *res)
{
    if (!ctx->cfg->deny_actions || !kw_obj_has(kopia, "actions"))
        return;
    kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADMIN_DENY_ACTIONS, "spec.kopia.actions", NULL,
                    "snapshot actions are disabled by the cluster's admission policy "
                    "(they run shell commands with the repository credentials)");
}

static void deny_foreign_hostname(const struct kw_object_ctx *ctx, const json_t *kopia,
                                  struct kw_result *res)
{
    const char *hostname = kw_obj_str_set(kopia, "hostname");
    if (!ctx->cfg->deny_foreign_hostname || !hostname || !ctx->namespace[0] ||
        strcmp(hostname, ctx->namespace) == 0)
        return;
    char *ns = kw_quote(ctx->namespace), *shown = kw_quote(hostname);
    if (!ns || !shown)
        res->out_of_memory = true;
    else
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADMIN_HOSTNAME_IS_NAMESPACE,
                        "spec.kopia.hostname", NULL,
                        "the cluster's admission policy requires the hostname to be the namespace "
                        "(%s), not %s; remove the field to use it",
                        ns, shown);
    free(ns);
    free(shown);
}

static void deny_cross_namespace_source(const struct kw_object_ctx *ctx, const json_t *kopia,
                                        struct kw_result *res)
{
    if (!ctx->cfg->deny_cross_namespace_source || ctx->kind != KW_KIND_RD)
        return;
    const char *source_ns = kw_obj_str_set(kw_obj_get(kopia, "sourceIdentity"), "sourceNamespace");
    if (!source_ns || !ctx->namespace[0] || strcmp(source_ns, ctx->namespace) == 0 ||
        namespace_allowed(ctx->cfg, source_ns))
        return;
    char *ns = kw_quote(ctx->namespace), *shown = kw_quote(source_ns);
    if (!ns || !shown)
        res->out_of_memory = true;
    else
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADMIN_SOURCE_NAMESPACE,
                        "spec.kopia.sourceIdentity.sourceNamespace", NULL,
                        "the cluster's admission policy allows restores only from this namespace "
                        "(%s) or a listed one, not from %s",
                        ns, shown);
    free(ns);
    free(shown);
}

void kw_validate_tenancy(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    const json_t *kopia = kw_path_get(ctx->object, "spec.kopia");
    if (!json_is_object(kopia))
        return;
    deny_actions(ctx, kopia, res);
    deny_foreign_hostname(ctx, kopia, res);
    deny_cross_namespace_source(ctx, kopia, res);
}
