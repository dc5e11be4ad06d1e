/* Properties of the /mutate patches over every RS/RD the tests
 * hold: the upstream examples and other fixtures under tests/fixtures, the
 * objects below, and variants of each (empty and null fields, annotations in
 * every state, generateName, no namespace, the other identity scheme, UPDATE
 * after a sync). For each, through kw_handle():
 *   1. the patch applies to the request object, and touches only fields the
 *      webhook owns, each with a real change;
 *   2. the patched object is allowed by /validate whenever the original is
 *      (the patch never adds a denial);
 *   3. mutating the patched object again returns no patch;
 *   4. every field the webhook does not own is byte-for-byte unchanged, and
 *      owned fields that were set keep their value;
 *   5. an UPDATE that drops the pinned identity keeps it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admission.h"
#include "kw/kopia/identity.h"
#include "json_pointer.h"
#include "kw/json/patch.h"
#include "kw/json/util.h"
#include "kw/json/yaml.h"

/* One object under test. */
struct subject {
    char label[768]; /* where it came from, for messages */
    const char *kind;
    const char *operation;
    char name[256];
    char ns[256];
    json_t *object;     /* owned */
    json_t *old_object; /* owned, UPDATE only */
    struct kw_config cfg;
};

/* Counters, so the test cannot pass by checking nothing. */
static size_t n_upstream, n_subjects, n_patched;

/* --- the owned fields --- */

/* JSON Pointers the mutate path may write. */
static const char *const owned_paths[] = {
    "/metadata/annotations",
    KW_IDENTITY_ANNOTATION_POINTER,
    "/spec/kopia/username",
    "/spec/kopia/hostname",
    "/spec/kopia/copyMethod",
    "/spec/kopia/restoreAsOf",
    "/spec/kopia/sourceIdentity/sourceNamespace",
    "/spec/kopia/policyConfig/globalPolicyFilename",
    "/spec/kopia/policyConfig/repositoryConfigFilename",
    NULL,
};

/* Owned fields whose non-empty value is never changed (restoreAsOf may be
 * normalised, the annotation is recomputed). */
static const char *const kept_when_set[] = {
    "spec.kopia.username",
    "spec.kopia.hostname",
    "spec.kopia.copyMethod",
    "spec.kopia.sourceIdentity.sourceNamespace",
    "spec.kopia.policyConfig.globalPolicyFilename",
    "spec.kopia.policyConfig.repositoryConfigFilename",
    NULL,
};

static void delete_at(json_t *root, const char *parent_dotted, const char *key)
{
    json_t *parent = kw_path_get(root, parent_dotted);
    if (json_is_object(parent))
        json_object_del(parent, key);
}

/* A copy of `object` without the owned fields, serialised in member order:
 * what must be byte-for-byte equal before and after the patch. */
static char *unowned_text(const json_t *object)
{
    json_t *c = json_deep_copy(object);
    delete_at(c, "metadata.annotations", KW_IDENTITY_ANNOTATION);
    json_t *meta = json_object_get(c, "metadata");
    json_t *ann = json_object_get(meta, "annotations");
    if (json_is_null(ann) || (json_is_object(ann) && json_object_size(ann) == 0))
        json_object_del(meta, "annotations");
    static const char *const kopia_keys[] = {"username", "hostname", "copyMethod", "restoreAsOf",
                                             NULL};
    for (const char *const *k = kopia_keys; *k; k++)
        delete_at(c, "spec.kopia", *k);
    delete_at(c, "spec.kopia.sourceIdentity", "sourceNamespace");
    delete_at(c, "spec.kopia.policyConfig", "globalPolicyFilename");
    delete_at(c, "spec.kopia.policyConfig", "repositoryConfigFilename");
    char *text = json_dumps(c, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(c);
    cr_assert_not_null(text);
    return text;
}

static bool is_owned_path(const char *path)
{
    for (const char *const *p = owned_paths; *p; p++)
        if (strcmp(*p, path) == 0)
            return true;
    return false;
}

/* Property 1: only owned paths, each op a real change. */
static void check_ops(const struct subject *s, const json_t *patch)
{
    size_t i;
    json_t *op;
    json_array_foreach(patch, i, op)
    {
        const char *name = json_string_value(json_object_get(op, "op"));
        const char *path = json_string_value(json_object_get(op, "path"));
        cr_assert(name && path, "%s: malformed op", s->label);
        cr_expect(is_owned_path(path), "%s: patch writes %s, which the webhook does not own",
                  s->label, path);
        cr_expect(strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 ||
                      strcmp(name, "remove") == 0,
                  "%s: unexpected op %s", s->label, name);
        json_t *current = kwt_pointer_get(s->object, path);
        json_t *value = json_object_get(op, "value");
        if (strcmp(name, "replace") == 0 || strcmp(name, "add") == 0)
            cr_expect(!current || !json_equal(current, value), "%s: %s %s does not change it",
                      s->label, name, path);
        if (strcmp(name, "add") == 0 && strcmp(path, "/metadata/annotations") == 0)
            cr_expect(!kw_path_get(s->object, "metadata.annotations"),
                      "%s: replaces existing annotations", s->label);
    }
}

/* Property 4, second half: set owned values are kept. */
static void check_kept(const struct subject *s, const json_t *patched)
{
    for (const char *const *f = kept_when_set; *f; f++) {
        const char *dot = strrchr(*f, '.');
        char parent[128];
        snprintf(parent, sizeof(parent), "%.*s", (int)(dot - *f), *f);
        const char *before = kw_obj_str_set(kw_path_get(s->object, parent), dot + 1);
        if (!before)
            continue;
        const char *after = kw_obj_str(kw_path_get(patched, parent), dot + 1);
        cr_expect(after && strcmp(before, after) == 0, "%s: %s changed from \"%s\"", s->label, *f,
                  before);
    }
}

/* Property 2: the denials of the patched object are among the original's. */
static void check_validate(const struct subject *s, const json_t *patched)
{
    struct kwt_admission vo, vp;
    kwt_admit(&s->cfg, KW_HOOK_VALIDATE, s->kind, s->operation, s->name, s->ns, s->object,
              s->old_object, &vo);
    kwt_admit(&s->cfg, KW_HOOK_VALIDATE, s->kind, s->operation, s->name, s->ns, patched,
              s->old_object, &vp);
    if (vo.allowed)
        cr_expect(vp.allowed, "%s: allowed, but denied after the patch (%s)", s->label,
                  vp.summary.ndeny ? kw_rule_id_string(vp.summary.deny_rules[0]) : "?");
    for (size_t i = 0; i < vp.summary.ndeny; i++) {
        bool found = false;
        for (size_t j = 0; j < vo.summary.ndeny && !found; j++)
            found = vp.summary.deny_rules[i] == vo.summary.deny_rules[j];
        cr_expect(found, "%s: the patch adds the denial %s", s->label,
                  kw_rule_id_string(vp.summary.deny_rules[i]));
    }
    kwt_admission_free(&vo);
    kwt_admission_free(&vp);
}

/* Property 5: old = the patched object after a sync, new = the request
 * object again (a client that replaces it without the pinned fields). */
static void check_update_keeps_identity(const struct subject *s, const json_t *patched)
{
    const char *pinned =
        kw_obj_str(kw_path_get(patched, "metadata.annotations"), KW_IDENTITY_ANNOTATION);
    if (!pinned || !s->name[0] || !s->ns[0] || s->old_object)
        return;
    json_t *old_obj = json_deep_copy(patched);
    json_object_set_new(old_obj, "status",
                        json_pack("{s:s}", "lastSyncTime", "2024-05-01T00:00:00Z"));
    struct kw_config cfg = s->cfg;
    cfg.identity_scheme = cfg.identity_scheme == KW_IDENTITY_OBJECT_NAME
                              ? KW_IDENTITY_NAME_NAMESPACE
                              : KW_IDENTITY_OBJECT_NAME; /* even after a scheme switch */
    cfg.deny_identity_change = true;
    struct kwt_admission m, v;
    kwt_admit(&cfg, KW_HOOK_MUTATE, s->kind, "UPDATE", s->name, s->ns, s->object, old_obj, &m);
    json_t *again = kwt_patched(s->object, &m);
    const char *now =
        kw_obj_str(kw_path_get(again, "metadata.annotations"), KW_IDENTITY_ANNOTATION);
    /* Only a pinned identity (both parts in the object) is promised to
     * survive: an RD that derives it from sourceIdentity, a half identity the
     * validator denies, or an operator value the CRD refuses (not pinned) is
     * what the operator computes. */
    json_t *kopia = kw_path_get(patched, "spec.kopia");
    bool derived = !kw_obj_str_set(kopia, "username") || !kw_obj_str_set(kopia, "hostname");
    if (!derived) {
        cr_expect(now && strcmp(now, pinned) == 0, "%s: UPDATE moves the identity %s to %s",
                  s->label, pinned, now ? now : "(none)");
        kwt_admit(&cfg, KW_HOOK_VALIDATE, s->kind, "UPDATE", s->name, s->ns, again, old_obj, &v);
        for (size_t i = 0; i < v.summary.ndeny; i++)
            cr_expect(v.summary.deny_rules[i] != KW_RULE_IDENTITY_CHANGE_FORBIDDEN,
                      "%s: identity change reported after an UPDATE that kept it", s->label);
        kwt_admission_free(&v);
    }
    kwt_admission_free(&m);
    json_decref(again);
    json_decref(old_obj);
}

static void check_subject(const struct subject *s)
{
    n_subjects++;
    struct kwt_admission m;
    kwt_admit(&s->cfg, KW_HOOK_MUTATE, s->kind, s->operation, s->name, s->ns, s->object,
              s->old_object, &m);
    if (!m.allowed) {
        /* Only an undecodable object (code 400) is refused on /mutate. */
        json_t *code = kw_path_get(m.doc, "response.status.code");
        cr_expect_eq(json_integer_value(code), 400, "%s: /mutate denied", s->label);
        kwt_admission_free(&m);
        return;
    }
    if (m.patch)
        n_patched++;
    check_ops(s, m.patch);
    json_t *patched = kwt_patched(s->object, &m);

    char *before = unowned_text(s->object), *after = unowned_text(patched);
    cr_expect_str_eq(after, before, "%s: fields the webhook does not own changed", s->label);
    free(before);
    free(after);
    check_kept(s, patched);

    struct kwt_admission again;
    kwt_admit(&s->cfg, KW_HOOK_MUTATE, s->kind, s->operation, s->name, s->ns, patched,
              s->old_object, &again);
    char *second = again.patch ? json_dumps(again.patch, JSON_COMPACT) : NULL;
    cr_expect_null(second, "%s: mutating the patched object patches again: %s", s->label, second);
    free(second);
    kwt_admission_free(&again);

    check_validate(s, patched);
    check_update_keeps_identity(s, patched);
    json_decref(patched);
    kwt_admission_free(&m);
}

/* --- variants --- */

typedef void (*variant_fn)(struct subject *s);

static json_t *kopia_of(struct subject *s)
{
    return kw_path_get(s->object, "spec.kopia");
}

static json_t *metadata_of(struct subject *s)
{
    json_t *meta = json_object_get(s->object, "metadata");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(s->object, "metadata", meta);
    }
    return meta;
}

static void v_as_written(struct subject *s)
{
    (void)s;
}

static void v_empty_identity(struct subject *s)
{
    json_object_set_new(kopia_of(s), "username", json_string(""));
    json_object_set_new(kopia_of(s), "hostname", json_string(""));
    json_object_set_new(kopia_of(s), "copyMethod", json_string(""));
}

static void v_null_fields(struct subject *s)
{
    json_object_set_new(kopia_of(s), "username", json_null());
    json_object_set_new(kopia_of(s), "copyMethod", json_null());
    json_object_set_new(metadata_of(s), "annotations", json_null());
}

static void v_stale_annotation(struct subject *s)
{
    json_object_set_new(metadata_of(s), "annotations",
                        json_pack("{s:s, s:s, s:s}", KW_IDENTITY_ANNOTATION, "stale@x",
                                  "example.com/a~b", "v", "team", "storage"));
}

static void v_generate_name(struct subject *s)
{
    json_t *meta = metadata_of(s);
    json_object_del(meta, "name");
    json_object_set_new(meta, "generateName", json_string("gen-"));
    s->name[0] = 0;
}

static void v_no_namespace(struct subject *s)
{
    json_object_del(metadata_of(s), "namespace");
    s->ns[0] = 0;
}

static void v_name_namespace_scheme(struct subject *s)
{
    s->cfg.identity_scheme = KW_IDENTITY_NAME_NAMESPACE;
}

static void v_policy_and_time(struct subject *s)
{
    json_object_del(kopia_of(s), "copyMethod");
    json_t *pc = kw_obj_get(kopia_of(s), "policyConfig");
    if (!json_is_object(pc))
        json_object_set_new(kopia_of(s), "policyConfig", json_pack("{s:s}", "secretName", "pol"));
    if (strcmp(s->kind, "ReplicationDestination") == 0)
        json_object_set_new(kopia_of(s), "restoreAsOf",
                            json_string("2024-03-10t01:30:00.25+05:30"));
}

static void v_update_after_sync(struct subject *s)
{
    s->operation = "UPDATE";
    s->old_object = json_deep_copy(s->object);
    json_object_set_new(s->old_object, "status",
                        json_pack("{s:s}", "lastSyncTime", "2024-05-01T00:00:00Z"));
    json_t *old_kopia = kw_path_get(s->old_object, "spec.kopia");
    if (json_is_object(old_kopia) && !kw_obj_str_set(old_kopia, "username"))
        json_object_set_new(old_kopia, "username", json_string("earlier-user"));
}

static const struct {
    const char *name;
    variant_fn fn;
} variants[] = {
    {"as-written", v_as_written},
    {"empty-identity", v_empty_identity},
    {"null-fields", v_null_fields},
    {"stale-annotation", v_stale_annotation},
    {"generate-name", v_generate_name},
    {"no-namespace", v_no_namespace},
    {"name-namespace-scheme", v_name_namespace_scheme},
    {"policy-and-time", v_policy_and_time},
    {"update-after-sync", v_update_after_sync},
};

static void check_all_variants(const char *label, const json_t *doc)
{
    const char *kind = kw_obj_str(doc, "kind");
    const char *api = kw_obj_str(doc, "apiVersion");
    if (!kind || !api || strncmp(api, "volsync.backube/", 16) != 0)
        return;
    if (strcmp(kind, "ReplicationSource") != 0 && strcmp(kind, "ReplicationDestination") != 0)
        return;
    bool has_kopia = json_is_object(kw_path_get(doc, "spec.kopia"));
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        if (v > 0 && !has_kopia)
            break;
        struct subject s = {.kind = strcmp(kind, "ReplicationSource") == 0
                                        ? "ReplicationSource"
                                        : "ReplicationDestination",
                            .operation = "CREATE",
                            .object = json_deep_copy(doc)};
        kwt_config(&s.cfg);
        snprintf(s.label, sizeof(s.label), "%s [%s]", label, variants[v].name);
        const char *name = kw_obj_str(kw_obj_get(doc, "metadata"), "name");
        const char *ns = kw_obj_str(kw_obj_get(doc, "metadata"), "namespace");
        snprintf(s.name, sizeof(s.name), "%s", name ? name : "");
        /* As `check` does: a manifest without a namespace is in "default". */
        snprintf(s.ns, sizeof(s.ns), "%s", ns && ns[0] ? ns : "default");
        variants[v].fn(&s);
        check_subject(&s);
        json_decref(s.object);
        json_decref(s.old_object);
    }
}

/* --- sources of objects --- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every document of every .yaml/.yml file under `dir`, recursively. Files
 * that are not YAML on purpose (parser tests) are skipped. */
static void check_fixture_dir(const char *dir, bool upstream)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            check_fixture_dir(path, upstream || strcmp(e->d_name, "upstream") == 0);
            continue;
        }
        if (!has_suffix(path, ".yaml") && !has_suffix(path, ".yml"))
            continue;
        size_t len;
        char *buf = slurp(path, &len);
        struct kw_yaml_error err;
        json_t *docs = kw_yaml_load_all(buf, len, &err);
        free(buf);
        if (!docs) {
            cr_expect_not(upstream, "%s: %s", path, err.text);
            continue;
        }
        size_t i;
        json_t *doc;
        json_array_foreach(docs, i, doc)
        {
            char label[1100];
            snprintf(label, sizeof(label), "%s#%zu", path + strlen(getenv("KW_SOURCE_DIR")) + 1, i);
            size_t before = n_subjects;
            check_all_variants(label, doc);
            if (upstream && n_subjects > before)
                n_upstream++;
        }
        json_decref(docs);
    }
    closedir(d);
}

Test(patch_properties, every_fixture_and_upstream_example)
{
    const char *root = getenv("KW_SOURCE_DIR");
    cr_assert_not_null(root, "KW_SOURCE_DIR is not set");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/tests/fixtures", root);
    check_fixture_dir(dir, false);
    /* Every complete upstream example is an RS or RD. */
    cr_expect_geq(n_upstream, 97, "only %zu upstream examples found", n_upstream);
    cr_expect_gt(n_patched, n_upstream, "only %zu objects were patched", n_patched);
}

/* Shapes the upstream examples do not show. */
Test(patch_properties, edge_objects)
{
    static const char *const objects[] = {
        /* annotations with escaped-pointer keys, the identity key present */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\",\"metadata\":"
        "{\"name\":\"a.b_c\",\"namespace\":\"ns_1\",\"annotations\":{\"x/y~z\":\"1\","
        "\"kopia-webhook.io/identity\":null}},\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{"
        "\"repository\":\"r\"}}}",
        /* RD: half identity with an empty part, sourceIdentity empty strings */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{\"username\":"
        "\"u\",\"hostname\":\"\",\"repository\":\"r\",\"destinationPVC\":\"p\"}}}",
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{\"username\":"
        "\"\",\"sourceIdentity\":{\"sourceName\":\"src\",\"sourceNamespace\":\"\","
        "\"sourcePVCName\":\"\"},\"destinationPVC\":\"p\"}}}",
        /* RD: sourceIdentity null, restoreAsOf forms */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{"
        "\"sourceIdentity\":null,\"repository\":\"r\",\"destinationPVC\":\"p\",\"restoreAsOf\":"
        "\"2024-01-02T03:04:05-00:00\"}}}",
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{"
        "\"repository\":\"r\",\"destinationPVC\":\"p\",\"restoreAsOf\":\"not a time\"}}}",
        /* a 63-character name and namespace: the 50-character cut */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\",\"metadata\":"
        "{\"name\":\"a23456789-123456789-123456789-123456789-123456789-123456789-12\","
        "\"namespace\":\"n23456789-123456789-123456789-123456789-123456789-123456789-12\"},"
        "\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\"}}}",
        /* the operator's username ends in '-' after the cut: not pinned */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\",\"metadata\":"
        "{\"name\":\"ccccccccccccccccccccccccccccccccccccccccccccccccc.-x\",\"namespace\":\"ns\"},"
        "\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{\"repository\":\"r\",\"hostname\":\"\"}}}",
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd\","
        "\"namespace\":\"ns\"},\"spec\":{\"kopia\":{\"repository\":\"r\",\"destinationPVC\":"
        "\"p\"}}}",
        /* RD: sourceIdentity without sourceName (ignored by the operator) */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{"
        "\"repository\":\"r\",\"destinationPVC\":\"p\",\"sourceIdentity\":{"
        "\"sourceNamespace\":\"other\",\"sourceName\":\"\"}}}}",
        /* RD: explicit identity next to sourceIdentity with a path override */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{"
        "\"repository\":\"r\",\"destinationPVC\":\"p\",\"username\":\"u\",\"hostname\":\"h\","
        "\"sourceIdentity\":{\"sourceName\":\"s\",\"sourcePathOverride\":\"/x\"}}}}",
        /* RD: a long sourceName whose cut ends in '-' (never pinned) */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationDestination\","
        "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"},\"spec\":{\"kopia\":{"
        "\"destinationPVC\":\"p\",\"sourceIdentity\":{\"sourceName\":"
        "\"ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd\"}}}}",
        /* wrong types: left untouched for the validator */
        "{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\",\"metadata\":"
        "{\"name\":\"a\",\"namespace\":\"n\"},\"spec\":{\"sourcePVC\":\"d\",\"kopia\":{"
        "\"repository\":\"r\",\"username\":7}}}",
        /* another mover: not ours */
        ("{\"apiVersion\":\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\",\"metadata\":"
         "{\"name\":\"a\",\"namespace\":\"n\"},\"spec\":{\"sourcePVC\":\"d\",\"restic\":{}}}"),
    };
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        json_error_t e;
        json_t *doc = json_loads(objects[i], 0, &e);
        cr_assert_not_null(doc, "object %zu: %s", i, e.text);
        char label[32];
        snprintf(label, sizeof(label), "edge object %zu", i);
        check_all_variants(label, doc);
        json_decref(doc);
    }
}
