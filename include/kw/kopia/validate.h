/* Interfaces of the object rules: what dispatch (validators/admission/core.c) calls
 * for a ReplicationSource/ReplicationDestination with spec.kopia, and for a
 * policy ConfigMap/Secret. All pure: object in, decision out. */
#ifndef KW_VALIDATE_H
#define KW_VALIDATE_H

#include <jansson.h>

#include "kw/kopia/config.h"
#include "kw/decision/result.h"
#include "kw/base/kinds.h"
#include "kw/schema/schema.h"

struct kw_object_ctx {
    const struct kw_config *cfg;
    enum kw_kind kind;
    enum kw_operation op;     /* KW_OP_CREATE or KW_OP_UPDATE */
    const char *name;         /* "" when only generateName is known yet */
    const char *namespace;    /* "" when unknown (check on a manifest without one) */
    const json_t *object;     /* the object; for RS/RD spec.kopia is an object */
    const json_t *old_object; /* UPDATE: the stored object; else NULL */
};

/* Validation (deny/warn) of an RS/RD that has spec.kopia. */
void kw_validate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res);
/* The identity warnings of an RS/RD on /validate: an explicit
 * identity other than the operator's default, an RD sourceIdentity the
 * operator ignores (no sourceName) or whose sourcePathOverride it ignores. */
void kw_validate_kopia_identity(const struct kw_object_ctx *ctx, struct kw_result *res);
/* UPDATE-only rules of an RS/RD: identity, path, repository and
 * compression changes after the first sync. ctx->old_object is set. */
void kw_validate_kopia_update(const struct kw_object_ctx *ctx, struct kw_result *res);
/* Defaulting (patch ops + warnings) of an RS/RD that has spec.kopia. */
void kw_mutate_kopia(const struct kw_object_ctx *ctx, struct kw_result *res);
/* The admin's multi-tenant hardening rules, off by default. */
void kw_validate_tenancy(const struct kw_object_ctx *ctx, struct kw_result *res);
/* The schema context of cfg: its operator version, offline or not. */
struct kw_schema_context kw_kopia_schema_context(const struct kw_config *cfg);
/* Validation (deny/warn) of a KopiaMaintenance (validators/kopia/maintenance.c). */
void kw_validate_maintenance(const struct kw_object_ctx *ctx, struct kw_result *res);
/* Defaulting of a KopiaMaintenance: the CRD's defaults, which the API server
 * applies before any webhook in a cluster, so that `check` sees the same. */
void kw_mutate_maintenance(const struct kw_object_ctx *ctx, struct kw_result *res);
/* moverVolumes (operator 0.17) of an RS/RD (`base` "spec.kopia") or a
 * KopiaMaintenance ("spec"): mountPath and volume-source rules, and for RS/RD
 * the PVC that replaces the repository (validators/kopia/movervolumes.c).
 * `volumes` borrowed; NULL or not a list: nothing to check. */
void kw_validate_mover_volumes(const struct kw_object_ctx *ctx, const json_t *volumes,
                               const char *base, struct kw_result *res);

/* Validation of a ConfigMap/Secret labelled kopia.volsync.backube/policy:
 * every policy file (global-policy.json, repository.config, keys ending in
 * .json) of Secret data/stringData or ConfigMap data/binaryData. */
void kw_validate_policy_object(const struct kw_object_ctx *ctx, struct kw_result *res);
/* The inline repositoryConfig string `value` (borrowed; NULL or a non-string
 * is left to the spec schema) at `field_path`
 * ("spec.kopia.policyConfig.repositoryConfig"): size and JSON syntax (deny),
 * then as the Kopia connection file it is (connection-config schema; what
 * Kopia and the mover do with its storage and credentials: warnings, or a
 * deny under tenancy.denyInlineRepositoryConfig). Every finding names
 * field_path. */
void kw_validate_repository_config(const struct kw_object_ctx *ctx, const json_t *value,
                                   const char *field_path, struct kw_result *res);

#endif
