/* The cross-object checks of a set of manifests (include/kw/kopia/crossref.h,
 * docs/rules.md "Cross-object checks"): for each ReplicationSource,
 * ReplicationDestination and KopiaMaintenance, the objects it names are
 * looked up in the set by kind, namespace and name, and what the operator
 * would read from them is checked (docs/operator.md a.4, c.1, c.7, c.14).
 * A referenced object that is not in the set is no error (it may come from a
 * SealedSecret, an ExternalSecret or another repository), unless the set
 * holds one of that name of the other kind or in another namespace. Only key
 * names of Secrets are read, never their values. Pure. */
#include "kw/kopia/crossref.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/rules.h"
#include "kw/json/util.h"
#include "kw/kopia/identity.h"

#define DEFAULT_GLOBAL_POLICY_FILE "global-policy.json"
#define DEFAULT_REPOSITORY_CONFIG  "repository.config"
#define REF_MAX                    600 /* bytes of a shown reference */

struct set {
    const struct kw_crossref_object *objects;
    size_t n;
};

/* The first object of `kind` named `name` in `namespace`, or NULL. */
static const struct kw_crossref_object *find(const struct set *s, enum kw_kind kind,
                                             const char *namespace, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct kw_crossref_object *o = &s->objects[i];
        if (o->kind == kind && strcmp(o->namespace, namespace) == 0 && strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

/* The first object of `kind` named `name` in a namespace other than
 * `namespace`, or NULL. */
static const struct kw_crossref_object *find_elsewhere(const struct set *s, enum kw_kind kind,
                                                       const char *namespace, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct kw_crossref_object *o = &s->objects[i];
        if (o->kind == kind && strcmp(o->namespace, namespace) != 0 && strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

/* True when an object of a kind the webhook does not judge, in `namespace`,
 * is named `name` or makes an object named `name`: a SealedSecret (its
 * spec.template.metadata.name), an ExternalSecret (its spec.target.name). */
static bool generated(const struct set *s, const char *namespace, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct kw_crossref_object *o = &s->objects[i];
        if (o->kind != KW_KIND_OTHER || strcmp(o->namespace, namespace) != 0)
            continue;
        const json_t *spec = kw_obj_get(o->object, "spec");
        const char *target = kw_obj_str(kw_obj_get(spec, "target"), "name");
        const char *tmpl = kw_obj_str(kw_obj_get(kw_obj_get(spec, "template"), "metadata"), "name");
        if (strcmp(o->name, name) == 0 || (target && strcmp(target, name) == 0) ||
            (tmpl && strcmp(tmpl, name) == 0))
            return true;
    }
    return false;
}

static bool plain_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '.' || *s == '_'))
            return false;
    return true;
}

/* "Secret prod/kopia-config" into `buf`; a namespace or name with any other
 * byte than [A-Za-z0-9._-] is shown quoted as Go quotes it. False on an
 * allocation failure. */
static bool ref_text(char *buf, size_t len, const char *kind, const char *namespace,
                     const char *name)
{
    if (plain_name(namespace) && plain_name(name)) {
        snprintf(buf, len, "%s %s/%s", kind, namespace, name);
        return true;
    }
    size_t n = strlen(namespace) + strlen(name) + 2;
    char *joined = malloc(n);
    if (!joined)
        return false;
    snprintf(joined, n, "%s/%s", namespace, name);
    char *quoted = kw_quote_cut(joined, REF_MAX);
    free(joined);
    if (!quoted)
        return false;
    snprintf(buf, len, "%s %s", kind, quoted);
    free(quoted);
    return true;
}

static bool has_key(const json_t *map, const char *key)
{
    json_t *v = json_is_object(map) ? json_object_get(map, key) : NULL;
    return v && !json_is_null(v);
}

/* Where a key of a Secret or ConfigMap is: data (with a Secret's stringData,
 * which the API server merges into data), binaryData, or nowhere. */
enum key_place { KEY_NONE, KEY_DATA, KEY_BINARY };

static enum key_place key_place(const struct kw_crossref_object *o, const char *key)
{
    if (has_key(kw_obj_get(o->object, "data"), key) ||
        (o->kind == KW_KIND_SECRET && has_key(kw_obj_get(o->object, "stringData"), key)))
        return KEY_DATA;
    if (o->kind == KW_KIND_CONFIGMAP && has_key(kw_obj_get(o->object, "binaryData"), key))
        return KEY_BINARY;
    return KEY_NONE;
}

/* The Secret or ConfigMap (`kind`) named `name` in the referencing object's
 * namespace, or NULL. When it is not in the set but one of that name is, of
 * the other kind in that namespace or of that kind in another namespace,
 * warns on `res` at `field` (crossref-reference-elsewhere); silent when the
 * set holds a generator of it (SealedSecret, ExternalSecret, ...) or nothing
 * of that name. */
static const struct kw_crossref_object *resolve(const struct set *s,
                                                const struct kw_crossref_object *from,
                                                enum kw_kind kind, const char *name,
                                                const char *field, struct kw_result *res)
{
    const struct kw_crossref_object *o = find(s, kind, from->namespace, name);
    if (o || generated(s, from->namespace, name))
        return o;
    enum kw_kind other = kind == KW_KIND_SECRET ? KW_KIND_CONFIGMAP : KW_KIND_SECRET;
    const struct kw_crossref_object *near = find(s, other, from->namespace, name);
    if (!near)
        near = find_elsewhere(s, kind, from->namespace, name);
    if (!near)
        return NULL;
    char want[1024], got[1024];
    if (!ref_text(want, sizeof(want), kw_kind_label(kind), from->namespace, name) ||
        !ref_text(got, sizeof(got), near->kind_name, near->namespace, near->name)) {
        res->out_of_memory = true;
        return NULL;
    }
    if (near->kind == other)
        kw_result_warn(res, KW_RULE_CROSSREF_REFERENCE_ELSEWHERE,
                       "%s: no %s in the manifests, but %s is; the operator reads a %s", field,
                       want, got, kw_kind_label(kind));
    else
        kw_result_warn(res, KW_RULE_CROSSREF_REFERENCE_ELSEWHERE,
                       "%s: no %s in the manifests, but %s is, in another namespace; the operator "
                       "reads it from the object's own namespace",
                       field, want, got);
    return NULL;
}

/* ---- repository Secret (docs/operator.md c.1, c.11, c.12) ---- */

/* The field of `kopia` (RS/RD spec.kopia, KM spec) that replaces the value of
 * KOPIA_REPOSITORY: repositoryPVC, or a moverVolumes PVC; NULL when none. */
static const char *repository_volume(const json_t *kopia, char *buf, size_t len)
{
    if (kw_obj_str_set(kopia, "repositoryPVC"))
        return "repositoryPVC";
    json_t *vols = kw_obj_get(kopia, "moverVolumes");
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        if (json_is_object(kw_obj_get(kw_obj_get(v, "volumeSource"), "persistentVolumeClaim"))) {
            snprintf(buf, len, "moverVolumes[%zu]", i);
            return buf;
        }
    }
    return NULL;
}

/* `via`: NULL, or the ReplicationSource whose repository discovery uses. */
static void check_repository_secret(const struct set *s, const struct kw_crossref_object *from,
                                    const char *field, const char *secret_name, const json_t *kopia,
                                    const char *via, struct kw_result *res)
{
    const struct kw_crossref_object *secret =
        resolve(s, from, KW_KIND_SECRET, secret_name, field, res);
    if (!secret)
        return;
    char volbuf[48];
    const char *volume = repository_volume(kopia, volbuf, sizeof(volbuf));
    bool km = from->kind == KW_KIND_KM;
    bool no_repo = key_place(secret, "KOPIA_REPOSITORY") == KEY_NONE && !(km && volume);
    bool no_password = key_place(secret, "KOPIA_PASSWORD") == KEY_NONE;
    if (!no_repo && !no_password)
        return;
    char ref[1024];
    if (!ref_text(ref, sizeof(ref), "Secret", secret->namespace, secret->name)) {
        res->out_of_memory = true;
        return;
    }
    const char *missing = no_repo && no_password ? "neither KOPIA_REPOSITORY nor KOPIA_PASSWORD"
                          : no_repo              ? "no KOPIA_REPOSITORY"
                                                 : "no KOPIA_PASSWORD";
    const char *prefix = km ? "spec.repository" : "spec.kopia";
    char note[160] = "";
    if (no_repo && volume && !km)
        snprintf(note, sizeof(note),
                 " (it requires KOPIA_REPOSITORY although %s.%s replaces its value)", prefix,
                 volume);
    kw_result_warn(res, KW_RULE_CROSSREF_REPOSITORY_SECRET,
                   "%s: %s in the manifests%s%s%s has %s; %s%s", field, ref,
                   via ? " (the repository of " : "", via ? via : "",
                   via ? ", found by discovery)" : "", missing,
                   km ? "the maintenance Job connects with these keys and fails without them"
                      : "the operator requires both keys and stops every sync without them",
                   note);
}

/* ---- policyConfig files (docs/operator.md c.7) ---- */

static void check_policy_files(const struct set *s, const struct kw_crossref_object *from,
                               const json_t *kopia, struct kw_result *res)
{
    const json_t *pc = kw_obj_get(kopia, "policyConfig");
    const char *secret = kw_obj_str_set(pc, "secretName");
    const char *cm = kw_obj_str_set(pc, "configMapName");
    if (!secret == !cm) /* none, or both (denied: policyconfig-exclusive) */
        return;
    const char *field =
        secret ? "spec.kopia.policyConfig.secretName" : "spec.kopia.policyConfig.configMapName";
    const struct kw_crossref_object *src = resolve(
        s, from, secret ? KW_KIND_SECRET : KW_KIND_CONFIGMAP, secret ? secret : cm, field, res);
    if (!src)
        return;
    static const struct {
        const char *key, *fallback;
    } files[2] = {{"globalPolicyFilename", DEFAULT_GLOBAL_POLICY_FILE},
                  {"repositoryConfigFilename", DEFAULT_REPOSITORY_CONFIG}};
    const char *names[2];
    bool present[2];
    for (int f = 0; f < 2; f++) {
        const char *n = kw_obj_str_set(pc, files[f].key);
        names[f] = n ? n : files[f].fallback;
        present[f] = key_place(src, names[f]) != KEY_NONE;
    }
    char ref[1024];
    if (!ref_text(ref, sizeof(ref), src->kind_name, src->namespace, src->name)) {
        res->out_of_memory = true;
        return;
    }
    if (!present[0] && !present[1]) {
        char *a = kw_quote_cut(names[0], 120), *b = kw_quote_cut(names[1], 120);
        if (a && b)
            kw_result_warn(res, KW_RULE_CROSSREF_POLICY_FILES,
                           "%s: %s in the manifests holds neither %s nor %s; the mover finds no "
                           "policy file and applies none",
                           field, ref, a, b);
        else
            res->out_of_memory = true;
        free(a);
        free(b);
        return;
    }
    /* One file present: a missing one with its default name is a choice (a
     * ConfigMap with only a global policy); a missing named one is a slip. */
    for (int f = 0; f < 2; f++) {
        if (present[f] || strcmp(names[f], files[f].fallback) == 0)
            continue;
        char *q = kw_quote_cut(names[f], 120);
        if (q)
            kw_result_warn(res, KW_RULE_CROSSREF_POLICY_FILES,
                           "spec.kopia.policyConfig.%s: %s in the manifests has no key %s; the "
                           "mover finds no such file and skips it",
                           files[f].key, ref, q);
        else
            res->out_of_memory = true;
        free(q);
    }
}

/* ---- customCA (docs/operator.md c.14) ---- */

static void check_customca(const struct set *s, const struct kw_crossref_object *from,
                           const json_t *ca, const char *prefix, struct kw_result *res)
{
    const char *key = kw_obj_str_set(ca, "key");
    const char *secret = kw_obj_str_set(ca, "secretName");
    const char *cm = kw_obj_str_set(ca, "configMapName");
    if (!key || !secret == !cm) /* no CA at all, or both (denied: customca-exclusive) */
        return;
    char field[64];
    snprintf(field, sizeof(field), "%s.customCA.%s", prefix,
             secret ? "secretName" : "configMapName");
    const struct kw_crossref_object *src = resolve(
        s, from, secret ? KW_KIND_SECRET : KW_KIND_CONFIGMAP, secret ? secret : cm, field, res);
    if (!src)
        return;
    bool km = from->kind == KW_KIND_KM;
    enum key_place at = key_place(src, key);
    /* The operator checks a ConfigMap's data only; a pod volume also
     * projects binaryData, which is all a KopiaMaintenance does. */
    if (at == KEY_DATA || (at == KEY_BINARY && km))
        return;
    char ref[1024];
    char *q = kw_quote_cut(key, 120);
    if (!q || !ref_text(ref, sizeof(ref), src->kind_name, src->namespace, src->name)) {
        free(q);
        res->out_of_memory = true;
        return;
    }
    const char *consequence = km ? "the maintenance pod cannot mount it and never starts"
                                 : "the operator stops every sync until it does";
    if (at == KEY_BINARY)
        kw_result_warn(res, KW_RULE_CROSSREF_CUSTOMCA_KEY,
                       "%s.customCA.key: %s in the manifests has %s only in binaryData, which the "
                       "operator does not read; move it to data",
                       prefix, ref, q);
    else
        kw_result_warn(res, KW_RULE_CROSSREF_CUSTOMCA_KEY,
                       "%s.customCA.key: %s in the manifests has no key %s; %s", prefix, ref, q,
                       consequence);
    free(q);
}

/* ---- sourceIdentity (docs/operator.md a.4) ---- */

/* The path a ReplicationSource's snapshots are recorded under. */
static const char *source_path(const json_t *rs_kopia)
{
    const char *p = kw_obj_str_set(rs_kopia, "sourcePathOverride");
    return p ? p : "/data";
}

static void warn_identity(const struct kw_crossref_object *rd, const struct kw_crossref_object *rs,
                          const char *rs_ref, struct kw_result *res)
{
    struct kw_identity a, b;
    enum kw_identity_status sa =
        kw_identity_effective(KW_KIND_RD, rd->name, rd->namespace, rd->object, &a);
    enum kw_identity_status sb =
        kw_identity_effective(KW_KIND_RS, rs->name, rs->namespace, rs->object, &b);
    if (sa == KW_IDENTITY_OK && sb == KW_IDENTITY_OK &&
        (strcmp(a.username, b.username) != 0 || strcmp(a.hostname, b.hostname) != 0)) {
        const char *field = a.username_origin == KW_IDENTITY_FROM_FIELD ? "spec.kopia.username"
                            : a.hostname_origin == KW_IDENTITY_FROM_FIELD
                                ? "spec.kopia.hostname"
                                : "spec.kopia.sourceIdentity.sourceName";
        kw_result_warn(res, KW_RULE_CROSSREF_IDENTITY_MISMATCH,
                       "%s: this restore looks for snapshots of \"%s@%s\", but %s in the manifests "
                       "backs up as \"%s@%s\"; the restore will find none of them",
                       field, a.username, a.hostname, rs_ref, b.username, b.hostname);
    }
    if (sa == KW_IDENTITY_OK)
        kw_identity_free(&a);
    if (sb == KW_IDENTITY_OK)
        kw_identity_free(&b);
    if (sa == KW_IDENTITY_NOMEM || sb == KW_IDENTITY_NOMEM)
        res->out_of_memory = true;
}

/* a.4 items 6 and 8: the restore's path is sourceIdentity.sourcePathOverride,
 * else the one discovered from the source (only when sourcePVCName is empty),
 * and none at all (/data) with an explicit hostname. */
static void warn_path(const json_t *kopia, const json_t *rs_kopia, const char *rs_ref,
                      struct kw_result *res)
{
    const json_t *si = kw_obj_get(kopia, "sourceIdentity");
    const char *want = "/data", *field = "spec.kopia.sourceIdentity.sourcePVCName";
    if (kw_obj_str_set(kopia, "hostname")) {
        field = "spec.kopia.hostname";
    } else if (kw_obj_str_set(si, "sourcePathOverride")) {
        want = kw_obj_str(si, "sourcePathOverride");
        field = "spec.kopia.sourceIdentity.sourcePathOverride";
    } else if (!kw_obj_str_set(si, "sourcePVCName")) {
        return; /* discovered: the source's own path */
    }
    const char *got = source_path(rs_kopia);
    if (strcmp(want, got) == 0)
        return;
    char *w = kw_quote_cut(want, 200), *g = kw_quote_cut(got, 200);
    if (w && g)
        kw_result_warn(res, KW_RULE_CROSSREF_IDENTITY_MISMATCH,
                       "%s: this restore looks for snapshots of the path %s, but %s in the "
                       "manifests records them under %s; the restore will find none of them",
                       field, w, rs_ref, g);
    else
        res->out_of_memory = true;
    free(w);
    free(g);
}

/* The set has no ReplicationSource `name` in `ns`: warn only when it holds
 * one of that name elsewhere, or other ReplicationSources in `ns` (so the
 * manifests cover that namespace). */
static void warn_source_missing(const struct set *s, const char *ns, const char *name,
                                struct kw_result *res)
{
    const struct kw_crossref_object *other = find_elsewhere(s, KW_KIND_RS, ns, name);
    const char *field = "spec.kopia.sourceIdentity.sourceNamespace";
    for (size_t i = 0; i < s->n && !other; i++)
        if (s->objects[i].kind == KW_KIND_RS && strcmp(s->objects[i].namespace, ns) == 0) {
            other = &s->objects[i];
            field = "spec.kopia.sourceIdentity.sourceName";
        }
    if (!other)
        return;
    char want[1024], got[1024];
    if (!ref_text(want, sizeof(want), "ReplicationSource", ns, name) ||
        !ref_text(got, sizeof(got), "ReplicationSource", other->namespace, other->name)) {
        res->out_of_memory = true;
        return;
    }
    if (strcmp(other->namespace, ns) != 0)
        kw_result_warn(res, KW_RULE_CROSSREF_SOURCE_MISSING,
                       "%s: no %s in the manifests, but %s is, in another namespace; set "
                       "sourceNamespace to restore its snapshots",
                       field, want, got);
    else
        kw_result_warn(res, KW_RULE_CROSSREF_SOURCE_MISSING,
                       "%s: no %s in the manifests, which hold %s in that namespace; check the "
                       "name, or the restore finds no snapshots",
                       field, want, got);
}

/* An RD's sourceIdentity against the ReplicationSource it names; returns
 * that source when it is in the set. */
static const struct kw_crossref_object *check_source(const struct set *s,
                                                     const struct kw_crossref_object *rd,
                                                     const json_t *kopia, struct kw_result *res)
{
    const json_t *si = kw_obj_get(kopia, "sourceIdentity");
    const char *name = kw_obj_str_set(si, "sourceName");
    if (!name)
        return NULL;
    const char *ns = kw_obj_str_set(si, "sourceNamespace");
    if (!ns)
        ns = rd->namespace;
    const struct kw_crossref_object *rs = find(s, KW_KIND_RS, ns, name);
    if (!rs) {
        warn_source_missing(s, ns, name, res);
        return NULL;
    }
    char ref[1024];
    if (!ref_text(ref, sizeof(ref), "ReplicationSource", rs->namespace, rs->name)) {
        res->out_of_memory = true;
        return NULL;
    }
    const json_t *rs_kopia = kw_obj_get(kw_obj_get(rs->object, "spec"), "kopia");
    warn_identity(rd, rs, ref, res);
    warn_path(kopia, rs_kopia, ref, res);
    return rs;
}

/* ---- per kind ---- */

static void check_mover(const struct set *s, const struct kw_crossref_object *o,
                        struct kw_result *res)
{
    const json_t *kopia = kw_obj_get(kw_obj_get(o->object, "spec"), "kopia");
    if (!json_is_object(kopia))
        return;
    const struct kw_crossref_object *rs =
        o->kind == KW_KIND_RD ? check_source(s, o, kopia, res) : NULL;
    const char *repo = kw_obj_str_set(kopia, "repository");
    char via[1024] = "";
    /* a.4 items 6-7: an RD without repository uses the source's, discovered
     * only when no hostname is given and sourcePVCName is empty; the Secret is
     * read in the RD's namespace. */
    if (!repo && rs && !kw_obj_str_set(kopia, "hostname") &&
        !kw_obj_str_set(kw_obj_get(kopia, "sourceIdentity"), "sourcePVCName")) {
        repo = kw_obj_str_set(kw_obj_get(kw_obj_get(rs->object, "spec"), "kopia"), "repository");
        if (repo && !ref_text(via, sizeof(via), "ReplicationSource", rs->namespace, rs->name)) {
            res->out_of_memory = true;
            return;
        }
    }
    if (repo)
        check_repository_secret(s, o, "spec.kopia.repository", repo, kopia, via[0] ? via : NULL,
                                res);
    check_policy_files(s, o, kopia, res);
    check_customca(s, o, kw_obj_get(kopia, "customCA"), "spec.kopia", res);
}

static void check_maintenance(const struct set *s, const struct kw_crossref_object *o,
                              struct kw_result *res)
{
    const json_t *spec = kw_obj_get(o->object, "spec");
    const json_t *repo = kw_obj_get(spec, "repository");
    const char *name = kw_obj_str_set(repo, "repository");
    if (name)
        check_repository_secret(s, o, "spec.repository.repository", name, spec, NULL, res);
    check_customca(s, o, kw_obj_get(repo, "customCA"), "spec.repository", res);
}

void kw_crossref_check(const struct kw_crossref_object *objects, size_t n,
                       struct kw_result *results)
{
    struct set s = {objects, n};
    for (size_t i = 0; i < n; i++) {
        const struct kw_crossref_object *o = &objects[i];
        if (!o->object || !o->name[0])
            continue;
        if (o->kind == KW_KIND_RS || o->kind == KW_KIND_RD)
            check_mover(&s, o, &results[i]);
        else if (o->kind == KW_KIND_KM)
            check_maintenance(&s, o, &results[i]);
    }
}
