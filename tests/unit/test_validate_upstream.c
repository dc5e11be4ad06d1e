/* Every complete upstream example (the YAML files in tests/fixtures/upstream/) through the
 * core's validating path, compared with the verdict and rule ids pinned in
 * tests/fixtures/upstream/EXPECTED.tsv. Each RS/RD is first given the two
 * defaults of the mutating webhook that matter to validation: copyMethod
 * Direct when missing, and namespace "default" when the manifest has none (as
 * kubectl would apply it). Every file must be listed and every row must have
 * its file. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/json/util.h"
#include "kw/schema/schema.h"
#include "kw/json/yaml.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *fixtures_dir(char *buf, size_t len)
{
    const char *src = getenv("KW_SOURCE_DIR");
    cr_assert(src, "KW_SOURCE_DIR is not set");
    snprintf(buf, len, "%s/tests/fixtures/upstream", src);
    return buf;
}

/* The sorted, de-duplicated rule ids of causes (deny) or warnings, "-" for
 * none, into out. */
static void rule_list(const struct kw_result *res, bool deny, char *out, size_t outlen)
{
    const char *ids[64];
    size_t n = 0, total = deny ? res->ncauses : res->nwarnings;
    for (size_t i = 0; i < total && n < 64; i++) {
        const char *id =
            kw_rule_id_string(deny ? res->causes[i].rule_id : res->warnings[i].rule_id);
        size_t j = 0;
        while (j < n && strcmp(ids[j], id) != 0)
            j++;
        if (j == n)
            ids[n++] = id;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "," : "", ids[i]);
    if (n == 0)
        snprintf(out, outlen, "-");
}

/* As the object reaches /validate after /mutate (only what matters here). */
static void apply_mutating_defaults(json_t *object)
{
    json_t *kopia = kw_path_get(object, "spec.kopia");
    if (json_is_object(kopia) && !kw_obj_str_set(kopia, "copyMethod"))
        json_object_set_new(kopia, "copyMethod", json_string("Direct"));
}

struct verdict {
    char verdict[16];
    char deny[512];
    char warn[512];
};

static void evaluate_file(const struct kw_config *cfg, const char *path, struct verdict *v)
{
    size_t len;
    char *buf = slurp(path, &len);
    struct kw_yaml_error yerr;
    json_t *docs = kw_yaml_load_all(buf, len, &yerr);
    free(buf);
    cr_assert(docs, "%s: %s", path, yerr.text);
    size_t i, nobjects = 0;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        const char *api = kw_obj_str(doc, "apiVersion");
        const char *kind = kw_obj_str(doc, "kind");
        if (!api || strncmp(api, "volsync.backube/", 16) != 0 || !kind)
            continue;
        nobjects++;
        apply_mutating_defaults(doc);
        const char *ns = kw_path_get(doc, "metadata.namespace")
                             ? kw_obj_str(kw_path_get(doc, "metadata"), "namespace")
                             : NULL;
        const char *name = kw_obj_str(kw_path_get(doc, "metadata"), "name");
        struct kw_review rv = {
            .kind_group = "volsync.backube",
            .kind_version = "v1alpha1",
            .kind_name = kind,
            .kind = kw_kind_of("volsync.backube", kind),
            .operation = "CREATE",
            .op = KW_OP_CREATE,
            .name = name ? name : "",
            .namespace = ns && ns[0] ? ns : "default",
            .object = doc,
        };
        cr_assert(rv.kind == KW_KIND_RS || rv.kind == KW_KIND_RD, "%s: kind %s", path, kind);
        struct kw_result res;
        kw_result_init(&res);
        kw_evaluate(cfg, KW_HOOK_VALIDATE, &rv, &res);
        snprintf(v->verdict, sizeof(v->verdict), "%s",
                 kw_result_denied(&res) ? "denied" : "allowed");
        rule_list(&res, true, v->deny, sizeof(v->deny));
        rule_list(&res, false, v->warn, sizeof(v->warn));
        kw_result_free(&res);
    }
    json_decref(docs);
    cr_assert_eq(nobjects, 1, "%s: %zu ReplicationSource/Destination documents", path, nobjects);
}

Test(validate_upstream, every_complete_example_gets_its_pinned_verdict)
{
    char err[512], dir[1024], path[2048];
    struct kw_schema_set *set = kw_schema_set_load(err, sizeof(err));
    cr_assert(set, "%s", err);
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cfg.schemas = set;

    fixtures_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/EXPECTED.tsv", dir);
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    char line[2048];
    size_t rows = 0, denied = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = 0;
        char *file = strtok(line, "\t"), *verdict = strtok(NULL, "\t");
        char *deny = strtok(NULL, "\t"), *warn = strtok(NULL, "\t");
        cr_assert(file && verdict && deny && warn, "malformed row %zu", rows + 1);
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        struct verdict got;
        evaluate_file(&cfg, path, &got);
        cr_expect_str_eq(got.verdict, verdict, "%s: verdict", file);
        cr_expect_str_eq(got.deny, deny, "%s: deny rules %s, expected %s", file, got.deny, deny);
        cr_expect_str_eq(got.warn, warn, "%s: warnings %s, expected %s", file, got.warn, warn);
        rows++;
        denied += strcmp(verdict, "denied") == 0;
    }
    fclose(f);

    /* Every example file has a row. */
    size_t files = 0;
    DIR *d = opendir(dir);
    cr_assert(d);
    struct dirent *e;
    while ((e = readdir(d)))
        files += strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".yaml") == 0;
    closedir(d);
    cr_expect_eq(rows, files, "%zu rows for %zu files", rows, files);
    cr_expect_eq(rows, 97);
    cr_expect_eq(denied, 18); /* two restores repeat --ignore-permission-errors */
    kw_schema_set_free(set);
}
