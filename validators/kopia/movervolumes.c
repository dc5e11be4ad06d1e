/* kw_validate_mover_volumes (include/kw/kopia/validate.h): what the operator
 * (0.17) does with moverVolumes of a ReplicationSource, ReplicationDestination
 * or KopiaMaintenance, docs/operator.md c.11: the mountPath checks of
 * utils.ValidateMoverVolumes, the pod volume name "u-<mountPath>" that must be
 * a DNS-1123 label, one volume source per item, and the first PVC that
 * replaces the Secret's KOPIA_REPOSITORY (RS/RD only; a KopiaMaintenance
 * reads the Secret as is, c.10). Types are the schema's business: a member of
 * the wrong type is skipped here. */
#include <stdio.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/formats/formats.h"
#include "kw/json/util.h"
#include "kw/kopia/validate.h"

static const char *const volume_sources[] = {"persistentVolumeClaim", "secret", "nfs", NULL};

/* The operator's own checks, then the pod volume name; true when valid. */
static bool check_mount_path(const char *mp, const char *path, struct kw_result *res)
{
    if (!mp[0]) {
        kw_result_cause(res, KW_CAUSE_REQUIRED, KW_RULE_MOVER_VOLUMES_INVALID, path, NULL,
                        "moverVolume mount path cannot be empty");
        return false;
    }
    const char *why = strchr(mp, '/')    ? "cannot contain path separators"
                      : strstr(mp, "..") ? "cannot contain path traversal"
                                         : NULL;
    if (why) {
        kw_result_cause_str(res, KW_CAUSE_INVALID, KW_RULE_MOVER_VOLUMES_INVALID, path, mp,
                            "the operator refuses it: moverVolume mount path %s", why);
        return false;
    }
    char name[320], msg[KW_MSGLEN];
    snprintf(name, sizeof(name), "u-%.300s", mp);
    if (strlen(mp) > 300 || !kw_dns1123_label_valid(name, msg, sizeof(msg))) {
        kw_result_cause_str(res, KW_CAUSE_INVALID, KW_RULE_MOVER_VOLUMES_INVALID, path, mp,
                            "the mover pod's volume is named \"u-<mountPath>\", which must be a "
                            "DNS-1123 label (lower-case letters, digits and '-', at most 61 "
                            "characters here), or the Job is refused");
        return false;
    }
    return true;
}

/* Exactly one volume source; returns the one set, or NULL. */
static const char *check_source(const json_t *item, const char *path, struct kw_result *res)
{
    const json_t *vs = kw_obj_get(item, "volumeSource");
    if (vs && !json_is_object(vs))
        return NULL; /* the schema reports the type */
    const char *set = NULL;
    size_t n = 0;
    for (const char *const *s = volume_sources; *s; s++)
        if (kw_obj_has(vs, *s))
            set = *s, n++;
    if (n != 1) {
        char field[128];
        snprintf(field, sizeof(field), "%.100s.volumeSource", path);
        kw_result_cause(
            res, n ? KW_CAUSE_FORBIDDEN : KW_CAUSE_REQUIRED, KW_RULE_MOVER_VOLUMES_INVALID, field,
            NULL, "exactly one of persistentVolumeClaim, secret or nfs%s", n ? " may be set" : "");
        return NULL;
    }
    return set;
}

void kw_validate_mover_volumes(const struct kw_object_ctx *ctx, const json_t *volumes,
                               const char *base, struct kw_result *res)
{
    if (!json_is_array(volumes))
        return;
    size_t n = json_array_size(volumes), first_pvc = n, npvc = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(volumes, i);
        if (!json_is_object(item))
            continue;
        char path[96], mp_path[112];
        snprintf(path, sizeof(path), "%s.moverVolumes[%zu]", base, i);
        snprintf(mp_path, sizeof(mp_path), "%s.mountPath", path);
        const json_t *mpv = kw_obj_get(item, "mountPath");
        const char *mp = json_is_string(mpv) ? json_string_value(mpv) : mpv ? NULL : "";
        if (mp && check_mount_path(mp, mp_path, res)) {
            for (size_t j = 0; j < i; j++) {
                const char *other = kw_obj_str(json_array_get(volumes, j), "mountPath");
                if (other && strcmp(other, mp) == 0) {
                    kw_result_cause_str(res, KW_CAUSE_DUPLICATE, KW_RULE_MOVER_VOLUMES_INVALID,
                                        mp_path, mp, "%s", "");
                    break;
                }
            }
        }
        const char *src = check_source(item, path, res);
        if (src && strcmp(src, "persistentVolumeClaim") == 0 && npvc++ == 0)
            first_pvc = i;
    }
    if (ctx->kind == KW_KIND_KM || first_pvc == n)
        return;
    const char *mp = kw_obj_str(json_array_get(volumes, first_pvc), "mountPath");
    const char *secret =
        kw_obj_str_set(kw_obj_get(kw_obj_get(ctx->object, "spec"), "kopia"), "repository");
    kw_result_warn(res, KW_RULE_MOVER_VOLUMES_REPOSITORY,
                   "%s.moverVolumes[%zu]: the operator makes the first PVC volume the repository "
                   "filesystem:///mnt/%.64s, replacing KOPIA_REPOSITORY of the Secret %.64s%s",
                   base, first_pvc, mp ? mp : "", secret ? secret : "(spec.kopia.repository)",
                   npvc > 1 ? "; the other PVC volumes are only mounted" : "");
}
