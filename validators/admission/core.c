/* The core's entry point and dispatcher (SPEC §2): which requests are ours,
 * the mover-count rules, and handing RS/RD, KopiaMaintenance and policy
 * objects to the rule modules; an UPDATE of an object being deleted passes
 * untouched unless it changes what the rules read. kw_handle() is what the
 * server, `review` and the fuzz targets call; `check` calls kw_evaluate()
 * with reviews it builds from manifests. */
#include "kw/admission/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/format.h"
#include "kw/json/util.h"
#include "kw/decision/rules.h"
#include "kw/kopia/validate.h"

#define POLICY_LABEL "kopia.volsync.backube/policy"

/* The other movers of a VolSync spec (SPEC §2). */
static const char *const other_movers[] = {"rsync",     "rsyncTLS", "rclone", "restic",
                                           "syncthing", "external", NULL};

static bool is_policy_object(const json_t *object)
{
    json_t *labels = kw_path_get(object, "metadata.labels");
    const char *v = kw_obj_str(labels, POLICY_LABEL);
    return v && strcmp(v, "true") == 0;
}

/* Checks the shape dispatch relies on; a wrong shape is a 400 denial. */
static bool check_shape(const json_t *object, struct kw_result *res)
{
    if (!json_is_object(object)) {
        kw_result_bad_request(res, "request.object must be a JSON object");
        return false;
    }
    json_t *meta = json_object_get(object, "metadata");
    if (meta && !json_is_null(meta) && !json_is_object(meta)) {
        kw_result_bad_request(res, "metadata must be an object");
        return false;
    }
    json_t *labels = kw_path_get(object, "metadata.labels");
    if (labels && !json_is_object(labels)) {
        kw_result_bad_request(res, "metadata.labels must be an object");
        return false;
    }
    return true;
}

/* The members of an object that the rules read, besides metadata. */
static const char *const spec_members[] = {"spec", NULL};
static const char *const policy_members[] = {"data", "binaryData", "stringData", NULL};

/* Whether old and new hold the same value at member m; null or absent on both
 * sides counts as the same. */
static bool same_member(const json_t *old_object, const json_t *object, const char *m)
{
    json_t *was = json_is_object(old_object) ? kw_obj_get(old_object, m) : NULL;
    json_t *now = kw_obj_get(object, m);
    return (!was && !now) || (was && now && json_equal(was, now));
}

/* An UPDATE of an object being deleted passes untouched when it leaves what
 * the rules read as it was: removing finalizers and other metadata changes
 * are never blocked, while a new spec (or, for a ConfigMap/Secret, new
 * policy files or a new policy label) is evaluated as on any UPDATE. */
static bool terminating_content_unchanged(const struct kw_review *rv)
{
    if (rv->op != KW_OP_UPDATE || !kw_path_get(rv->object, "metadata.deletionTimestamp"))
        return false;
    bool policy = rv->kind == KW_KIND_CONFIGMAP || rv->kind == KW_KIND_SECRET;
    for (const char *const *m = policy ? policy_members : spec_members; *m; m++)
        if (!same_member(rv->old_object, rv->object, *m))
            return false;
    return !policy || !json_is_object(rv->old_object) ||
           is_policy_object(rv->old_object) == is_policy_object(rv->object);
}

static void evaluate_policy_object(const struct kw_object_ctx *ctx, enum kw_webhook hook,
                                   struct kw_result *res)
{
    if (hook == KW_HOOK_VALIDATE && is_policy_object(ctx->object))
        kw_validate_policy_object(ctx, res);
}

/* Lists the movers set besides kopia into buf ("restic, rclone"). */
static size_t other_movers_set(const json_t *spec, char *buf, size_t buflen)
{
    size_t n = 0, len = 0;
    buf[0] = 0;
    for (const char *const *m = other_movers; *m; m++) {
        if (!kw_obj_has(spec, *m))
            continue;
        int w = snprintf(buf + len, buflen - len, "%s%s", n ? ", " : "", *m);
        if (w > 0 && (size_t)w < buflen - len)
            len += (size_t)w;
        n++;
    }
    return n;
}

static void evaluate_kopia_object(const struct kw_object_ctx *ctx, enum kw_webhook hook,
                                  struct kw_result *res)
{
    json_t *spec_raw = json_object_get(ctx->object, "spec");
    if (spec_raw && !json_is_null(spec_raw) && !json_is_object(spec_raw)) {
        kw_result_bad_request(res, "spec must be an object");
        return;
    }
    json_t *spec = kw_obj_get(ctx->object, "spec");
    json_t *kopia = kw_obj_get(spec, "kopia");
    if (kopia && !json_is_object(kopia)) {
        kw_result_bad_request(res, "spec.kopia must be an object");
        return;
    }
    char others[128];
    size_t nothers = other_movers_set(spec, others, sizeof(others));
    if (!kopia) {
        /* Another mover alone is not ours; no mover at all is an error. */
        if (nothers == 0 && hook == KW_HOOK_VALIDATE)
            kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_MOVER_REQUIRED, "spec", NULL,
                            "a replication method must be specified");
        return;
    }
    if (nothers > 0) {
        if (hook == KW_HOOK_VALIDATE)
            kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_MOVER_EXCLUSIVE, "spec", NULL,
                            "only one replication method can be supplied (kopia and %s are set)",
                            others);
        return;
    }
    if (hook == KW_HOOK_MUTATE) {
        kw_mutate_kopia(ctx, res);
        return;
    }
    kw_validate_kopia(ctx, res);
    kw_validate_kopia_identity(ctx, res);
    kw_validate_tenancy(ctx, res);
    if (ctx->op == KW_OP_UPDATE && ctx->old_object)
        kw_validate_kopia_update(ctx, res);
}

/* A KopiaMaintenance is always ours (it exists only for the Kopia mover). */
static void evaluate_maintenance(const struct kw_object_ctx *ctx, enum kw_webhook hook,
                                 struct kw_result *res)
{
    if (hook == KW_HOOK_MUTATE)
        kw_mutate_maintenance(ctx, res);
    else
        kw_validate_maintenance(ctx, res);
}

void kw_evaluate(const struct kw_config *cfg, enum kw_webhook hook, const struct kw_review *rv,
                 struct kw_result *res)
{
    if (rv->op != KW_OP_CREATE && rv->op != KW_OP_UPDATE)
        return; /* DELETE, CONNECT: allowed untouched */
    if (rv->subresource && rv->subresource[0])
        return; /* e.g. status updates */
    if (rv->kind == KW_KIND_OTHER)
        return;
    if (!check_shape(rv->object, res))
        return;
    if (terminating_content_unchanged(rv))
        return;
    struct kw_object_ctx ctx = {
        .cfg = cfg,
        .kind = rv->kind,
        .op = rv->op,
        .name = rv->name ? rv->name : "",
        .namespace = rv->namespace ? rv->namespace : "",
        .object = rv->object,
        .old_object =
            rv->op == KW_OP_UPDATE && json_is_object(rv->old_object) ? rv->old_object : NULL,
    };
    if (rv->kind == KW_KIND_CONFIGMAP || rv->kind == KW_KIND_SECRET)
        evaluate_policy_object(&ctx, hook, res);
    else if (rv->kind == KW_KIND_KM)
        evaluate_maintenance(&ctx, hook, res);
    else
        evaluate_kopia_object(&ctx, hook, res);
}

/* `src` (NULL: "") cut to dstlen - 1 bytes, as snprintf "%s" would. */
static void copy_field(char *dst, size_t dstlen, const char *src)
{
    size_t n = src ? strnlen(src, dstlen - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static void summarize(const struct kw_review *rv, const struct kw_result *res, bool patched,
                      struct kw_summary *s)
{
    s->decoded = true;
    copy_field(s->uid, sizeof(s->uid), rv->uid);
    copy_field(s->kind, sizeof(s->kind), rv->kind_name);
    copy_field(s->operation, sizeof(s->operation), rv->operation);
    s->kind_id = rv->kind;
    s->op_id = rv->op;
    copy_field(s->namespace, sizeof(s->namespace), rv->namespace);
    copy_field(s->name, sizeof(s->name), rv->name);
    copy_field(s->user, sizeof(s->user), rv->user);
    copy_field(s->group, sizeof(s->group), rv->resource_group);
    copy_field(s->version, sizeof(s->version), rv->resource_version);
    if (rv->subresource && rv->subresource[0])
        kw_snprintf(s->resource, sizeof(s->resource), "%s/%s", rv->resource ? rv->resource : "",
                    rv->subresource);
    else
        copy_field(s->resource, sizeof(s->resource), rv->resource);
    s->dry_run = rv->dry_run;
    s->allowed = !kw_result_denied(res);
    s->patched = patched;
    if (res->bad_request && s->ndeny < KW_SUMMARY_RULES)
        s->deny_rules[s->ndeny++] = KW_RULE_OBJECT_DECODE;
    for (size_t i = 0; i < res->ncauses && s->ndeny < KW_SUMMARY_RULES; i++)
        s->deny_rules[s->ndeny++] = res->causes[i].rule_id;
    for (size_t i = 0; i < res->nwarnings && s->nwarn < KW_SUMMARY_RULES; i++)
        s->warn_rules[s->nwarn++] = res->warnings[i].rule_id;
}

static void set_text(struct kw_outcome *out, int status, const char *text)
{
    out->http_status = status;
    out->content_type = "text/plain; charset=utf-8";
    if (asprintf(&out->body, "%s\n", text) < 0) {
        out->body = NULL;
        out->body_len = 0;
        return;
    }
    out->body_len = strlen(out->body);
}

/* kw_handle and kw_handle_bulk: `bulk` leaves the jansson trees to the
 * caller's release (see core.h for why that is sound). */
static void handle(const struct kw_config *cfg, enum kw_webhook hook, const char *body, size_t len,
                   bool bulk, struct kw_outcome *out)
{
    memset(out, 0, sizeof(*out));
    struct kw_review rv;
    char err[KW_ERRLEN];
    int rc = kw_review_decode_limited(body, len, cfg->max_request_values, &rv, err);
    if (rc != 0) {
        set_text(out, rc == KW_REVIEW_TOO_COMPLEX ? 413 : 400, err);
        return;
    }
    struct kw_result res;
    kw_result_init(&res);
    kw_evaluate(cfg, hook, &rv, &res);
    bool with_patch = hook == KW_HOOK_MUTATE;
    out->body = kw_review_encode(&rv, &res, with_patch, &out->body_len);
    if (out->body) {
        out->http_status = 200;
        out->content_type = "application/json";
        summarize(&rv, &res, with_patch && res.nops > 0 && !kw_result_denied(&res), &out->summary);
    } else {
        set_text(out, 500, "out of memory while encoding the response");
    }
    if (bulk)
        kw_result_forget_values(&res);
    kw_result_free(&res);
    if (!bulk)
        kw_review_free(&rv);
}

void kw_handle(const struct kw_config *cfg, enum kw_webhook hook, const char *body, size_t len,
               struct kw_outcome *out)
{
    handle(cfg, hook, body, len, false, out);
}

void kw_handle_bulk(const struct kw_config *cfg, enum kw_webhook hook, const char *body, size_t len,
                    struct kw_outcome *out)
{
    handle(cfg, hook, body, len, true, out);
}

void kw_outcome_free(struct kw_outcome *out)
{
    free(out->body);
    out->body = NULL;
}
