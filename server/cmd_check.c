/* `kopia-webhook check [flags] PATH...`: reads YAML or JSON manifests from
 * files, directories (server/inputs.c) and standard input, each document of
 * a file parsed on its own (kw_yaml_split), `kind: List` expanded; for every
 * ReplicationSource, ReplicationDestination and labelled policy
 * ConfigMap/Secret runs mutate, applies the patch, then validates the patched
 * object, exactly as the API server would on CREATE; once all inputs are
 * read, the cross-object checks over the whole set (server/check_crossref.c).
 * Exit status: 0 all allowed, 1 any denied, 2 unreadable input. docs/cli.md
 * describes it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "kw/server/cli.h"
#include "kw/server/inputs.h"
#include "kw/server/readfile.h"
#include "kw/admission/core.h"
#include "kw/json/patch.h"
#include "kw/json/util.h"
#include "kw/server/runtime.h"
#include "kw/json/yaml.h"

#define MAX_INPUT_BYTES (64u * 1024u * 1024u)
#define POLICY_LABEL    "kopia.volsync.backube/policy"

static void split_api_version(const char *api, char *group, size_t glen, const char **version)
{
    const char *slash = strchr(api, '/');
    if (!slash) {
        group[0] = 0;
        *version = api;
        return;
    }
    snprintf(group, glen, "%.*s", (int)(slash - api), api);
    *version = slash + 1;
}

/* Builds the review the API server would send for CREATE of `object`; its
 * namespace is metadata.namespace, else `default_ns`, which is "" when the
 * manifest leaves it to where it is applied (then nothing that depends on it
 * is defaulted, and namespace-decides-identity says so). */
static void make_review(struct kw_review *rv, json_t *object, const char *group,
                        const char *version, const char *kind, const char *default_ns)
{
    memset(rv, 0, sizeof(*rv));
    rv->api_version = "admission.k8s.io/v1";
    rv->uid = "check";
    rv->kind_group = group;
    rv->kind_version = version;
    rv->kind_name = kind;
    rv->kind = kw_kind_of(group, kind);
    rv->operation = "CREATE";
    rv->op = KW_OP_CREATE;
    json_t *meta = kw_obj_get(object, "metadata");
    rv->name = kw_obj_str(meta, "name") ? kw_obj_str(meta, "name") : "";
    rv->namespace = kw_obj_str_set(meta, "namespace") ? kw_obj_str(meta, "namespace") : default_ns;
    rv->subresource = "";
    rv->object = object;
}

static void evaluate(const struct kw_config *cfg, struct kw_review *rv, struct kw_check_verdict *v)
{
    kw_result_init(&v->mutated);
    kw_result_init(&v->validated);
    v->patch_error[0] = 0;
    kw_evaluate(cfg, KW_HOOK_MUTATE, rv, &v->mutated);
    v->patched = json_deep_copy(rv->object);
    if (v->patched && v->mutated.nops > 0 && !kw_result_denied(&v->mutated) &&
        kw_patch_apply_ops(v->patched, v->mutated.ops, v->mutated.nops, v->patch_error,
                           sizeof(v->patch_error)) != 0) {
        /* A patch that does not apply is a webhook bug: the API server would
         * fail the request. Report it as a denial. */
        kw_result_bad_request(&v->validated, "the webhook's patch does not apply: %s",
                              v->patch_error);
        return;
    }
    if (!kw_result_denied(&v->mutated)) {
        struct kw_review patched = *rv;
        patched.object = v->patched;
        kw_evaluate(cfg, KW_HOOK_VALIDATE, &patched, &v->validated);
    }
}

/* What the webhook configurations send to the webhook: the Kopia kinds, and
 * ConfigMaps and Secrets only with the policy label (their objectSelector,
 * manifests/base/validatingwebhookconfiguration.yaml). */
static bool webhook_receives(const struct kw_review *rv)
{
    if (rv->kind == KW_KIND_OTHER)
        return false;
    if (rv->kind != KW_KIND_CONFIGMAP && rv->kind != KW_KIND_SECRET)
        return true;
    const char *label = kw_obj_str(kw_path_get(rv->object, "metadata.labels"), POLICY_LABEL);
    return label && strcmp(label, "true") == 0;
}

static void check_object(struct kw_check_run *run, const struct kw_check_place *at, json_t *object)
{
    const char *api = kw_obj_str(object, "apiVersion");
    const char *kind = kw_obj_str(object, "kind");
    char group[128];
    const char *version = "";
    split_api_version(api, group, sizeof(group), &version);
    struct kw_review rv;
    make_review(&rv, object, group, version, kind, run->default_namespace);
    if (!webhook_receives(&rv)) {
        kw_check_report_skipped(run, at, &rv);
        kw_check_keep(run, at, &rv, object, NULL); /* a SealedSecret may make a Secret */
        return;
    }
    struct kw_check_verdict v;
    evaluate(run->cfg, &rv, &v);
    bool denied = kw_check_verdict_denied(&v);
    denied ? run->denied++ : run->allowed++;
    kw_check_keep(run, at, &rv, object, &v); /* reported after the cross-object checks */
}

/* v1 List and typed lists (ReplicationSourceList) hold objects in items. */
static bool is_list_kind(const char *kind)
{
    size_t n = strlen(kind);
    return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

/* Where a document's values start (kw_yaml_positions of its part). */
struct doc_lines {
    size_t root;   /* the document's root value */
    size_t *items; /* items[i]: the line of the i-th item of `items`; 0 unknown */
    size_t nitems;
};

/* i when `path` is exactly "items[i]", else -1. */
static long item_index(const char *path)
{
    if (strncmp(path, "items[", 6) != 0)
        return -1;
    char *end;
    long i = strtol(path + 6, &end, 10);
    return end != path + 6 && path[6] != '-' && strcmp(end, "]") == 0 ? i : -1;
}

static void doc_lines_init(struct doc_lines *dl, const struct kw_yaml_positions *pos, size_t nitems)
{
    *dl = (struct doc_lines){0};
    dl->items = nitems ? calloc(nitems, sizeof(*dl->items)) : NULL;
    dl->nitems = dl->items ? nitems : 0;
    for (size_t i = 0; i < pos->len; i++) {
        const struct kw_yaml_position *p = &pos->items[i];
        long k = p->path[0] == 'i' ? item_index(p->path) : -1;
        if (!p->path[0] && !dl->root)
            dl->root = p->line;
        else if (k >= 0 && (size_t)k < dl->nitems && !dl->items[k])
            dl->items[k] = p->line;
    }
}

static void check_item(struct kw_check_run *run, const struct kw_check_place *at, json_t *item)
{
    if (!json_is_object(item)) {
        kw_check_input_error(run, at, "not an object");
        return;
    }
    const char *api = kw_obj_str(item, "apiVersion");
    const char *kind = kw_obj_str(item, "kind");
    if (!api || !kind || !api[0] || !kind[0]) {
        kw_check_input_error(run, at, "apiVersion and kind are required");
        return;
    }
    check_object(run, at, item);
}

/* One document: an object, or a list whose items are objects. */
static void check_document(struct kw_check_run *run, const struct kw_check_place *at, json_t *doc,
                           const struct kw_yaml_positions *pos)
{
    const char *kind = json_is_object(doc) ? kw_obj_str(doc, "kind") : NULL;
    json_t *items = kw_obj_get(doc, "items");
    struct doc_lines dl;
    doc_lines_init(&dl, pos, json_array_size(items));
    struct kw_check_place here = *at;
    here.line = dl.root;
    if (!kind || !is_list_kind(kind) || !kw_obj_str(doc, "apiVersion")) {
        check_item(run, &here, doc);
    } else if (items && !json_is_array(items)) {
        kw_check_input_error(run, &here, "items must be a list");
    } else {
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item)
        {
            struct kw_check_place at_item = here;
            at_item.line = i < dl.nitems && dl.items[i] ? dl.items[i] : dl.root;
            check_item(run, &at_item, item);
        }
    }
    free(dl.items);
}

/* One part of a file (kw_yaml_split): parsed on its own, so that a bad
 * document hides no other. */
static void check_part(struct kw_check_run *run, const char *file, size_t index, const char *text,
                       const struct kw_yaml_part *part)
{
    struct kw_yaml_positions pos;
    struct kw_yaml_error yerr;
    json_t *docs = kw_yaml_load_part(text + part->offset, part->len, part->first_line, &pos, &yerr);
    struct kw_check_place at = {file, index, 0, 0};
    if (!docs) {
        at.line = yerr.line;
        at.column = yerr.column;
        kw_check_input_error(run, &at, yerr.detail);
        return;
    }
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) check_document(run, &at, doc, &pos);
    json_decref(docs);
    kw_yaml_positions_free(&pos);
}

static bool is_json_name(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".json") == 0;
}

/* kw_read_file's reason without the path it starts with, which the input
 * error names: "No such file or directory", "larger than N bytes". */
static const char *without_path(const char *err, const char *path, const char *shown)
{
    const char *p = strncmp(err, "cannot read ", 12) == 0 ? err + 12 : err;
    const char *names[] = {path, shown};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(p, names[i], n) == 0 && strncmp(p + n, ": ", 2) == 0)
            return p + n + 2;
    }
    return err;
}

static void check_file(struct kw_check_run *run, const char *path)
{
    char err[512] = "";
    size_t len = 0;
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct kw_check_place whole = {shown, 0, 0, 0};
    kw_check_report_file(run, shown);
    char *buf = kw_read_file(path, KW_READ_STREAM, MAX_INPUT_BYTES, &len, err, sizeof(err));
    if (!buf) {
        kw_check_input_error(run, &whole, without_path(err, path, shown));
        return;
    }
    /* A JSON file is one document: not split. */
    struct kw_yaml_part one = {0, len, 1}, *parts = &one;
    size_t nparts = 1;
    if (!is_json_name(path) && kw_yaml_split(buf, len, &parts, &nparts) != 0) {
        free(buf);
        kw_check_input_error(run, &whole, "out of memory");
        return;
    }
    for (size_t i = 0; i < nparts; i++)
        check_part(run, shown, i + 1, buf, &parts[i]);
    if (parts != &one)
        free(parts);
    free(buf);
}

/* The inputs in the order given, each directory's files in path order. */
static void check_inputs(struct kw_check_run *run, int n, char **args)
{
    for (int i = 0; i < n; i++) {
        struct kw_input_files files = {0};
        char err[512];
        int rc = kw_inputs_add(&files, args[i], err, sizeof(err));
        for (size_t f = 0; f < files.len; f++)
            check_file(run, files.paths[f]);
        if (rc != 0) {
            struct kw_check_place whole = {args[i], 0, 0, 0};
            kw_check_input_error(run, &whole, err);
        }
        kw_inputs_free(&files);
    }
}

static const char help_text[] =
    "usage: kopia-webhook check [flags] PATH...\n"
    "\n"
    "Validates and defaults Kubernetes manifests offline, as the admission webhook\n"
    "would on CREATE: every ReplicationSource, ReplicationDestination and policy\n"
    "ConfigMap/Secret (labelled kopia.volsync.backube/policy: \"true\") is mutated,\n"
    "the patch applied, and the result validated; anything else is skipped. A PATH\n"
    "is a YAML or JSON file (several documents each, kind: List expanded), a\n"
    "directory (every .yaml, .yml and .json file under it, sorted by path; hidden\n"
    "entries skipped, symbolic links to directories not followed), or - for\n"
    "standard input. Each document of a file is read on its own: one that\n"
    "cannot be read is reported with its line and column, the others are checked.\n"
    "\n"
    "flags:\n"
    "  -o, --output FORMAT         text (default): each verdict with its errors, warnings\n"
    "                              and patch; json: one JSON report; junit: a JUnit XML\n"
    "                              report (a test case per object); sarif: a SARIF 2.1.0\n"
    "                              log (code-scanning annotations); patched: the allowed\n"
    "                              objects, defaulted, as YAML on stdout, the verdicts on\n"
    "                              stderr (docs/cli.md describes each)\n"
    "  -n, --namespace NS          the namespace of objects that name none (default: none,\n"
    "                              as GitOps leaves it to where they are applied; then no\n"
    "                              identity is pinned and a warning says so)\n"
    "  --config FILE               the webhook's YAML config file (docs/operations.md)\n"
    "  --operator-version VERSION  check against this VolSync operator release (0.15,\n"
    "                              0.16, 0.17 or a patch release such as 0.17.11;\n"
    "                              default: the config file's operatorVersion, else\n"
    "                              the newest)\n"
    "  -h, --help                  print this help\n"
    "\n"
    "Flags come before the inputs.\n"
    "\n"
    "exit status:\n"
    "  0  every object allowed\n"
    "  1  at least one object denied\n"
    "  2  an input could not be read (a missing file, a directory without manifests,\n"
    "     bad YAML, a document without apiVersion and kind), the config file is\n"
    "     unreadable, or a usage error; this wins over 1\n"
    "\n"
    "examples:\n"
    "  kopia-webhook check clusters/ apps/\n"
    "  kustomize build overlays/prod | kopia-webhook check --output json -\n"
    "  kopia-webhook check --output sarif clusters/ > check.sarif\n";

static int usage(const char *bad)
{
    fprintf(stderr, "kopia-webhook check: %s\n", bad);
    fputs(help_text, stderr);
    return 2;
}

static int parse_mode(const char *s, enum kw_check_output *mode)
{
    if (strcmp(s, "text") == 0)
        *mode = KW_CHECK_TEXT;
    else if (strcmp(s, "patched") == 0)
        *mode = KW_CHECK_PATCHED;
    else if (strcmp(s, "json") == 0)
        *mode = KW_CHECK_JSON;
    else if (strcmp(s, "junit") == 0)
        *mode = KW_CHECK_JUNIT;
    else if (strcmp(s, "sarif") == 0)
        *mode = KW_CHECK_SARIF;
    else
        return -1;
    return 0;
}

int kw_cmd_check(int argc, char **argv)
{
    struct kw_check_run run = {.mode = KW_CHECK_TEXT, .default_namespace = ""};
    const char *config_path = NULL;
    const char *operator_version = NULL; /* NULL: the config file's, else the newest */
    int first_file = -1;
    for (int i = 0; i < argc && first_file < 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--output") == 0 || strcmp(argv[i], "-o") == 0) {
            if (i + 1 >= argc || parse_mode(argv[++i], &run.mode) != 0)
                return usage("--output takes text, json, junit, sarif or patched");
        } else if (strcmp(argv[i], "--namespace") == 0 || strcmp(argv[i], "-n") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return usage("--namespace takes a namespace name");
            run.default_namespace = argv[++i];
        } else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return usage("--config takes a file");
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--operator-version") == 0) {
            if (i + 1 >= argc)
                return usage("--operator-version takes a VolSync operator version such as 0.17.11");
            operator_version = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            char msg[128];
            snprintf(msg, sizeof(msg), "unknown flag '%s'", argv[i]);
            return usage(msg);
        } else {
            first_file = i;
        }
    }
    if (first_file < 0)
        return usage("no input: name files, directories, or - for standard input");
    struct kw_runtime rt;
    char err[512] = "";
    if (kw_runtime_init(&rt, config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook check: %s\n", err);
        return 2;
    }
    if (operator_version &&
        kw_operator_version_parse(operator_version, &rt.cfg.operator_version, err, sizeof(err))) {
        kw_runtime_free(&rt);
        char msg[600];
        snprintf(msg, sizeof(msg), "--operator-version %s", err);
        return usage(msg);
    }
    rt.cfg.offline = true; /* nothing has been through the API server yet */
    run.cfg = &rt.cfg;
    if (kw_check_run_start(&run) != 0) {
        kw_runtime_free(&rt);
        return 2;
    }
    check_inputs(&run, argc - first_file, argv + first_file);
    kw_check_flush(&run);
    if (run.emitter)
        kw_check_yaml_close(&run); /* the YAML stream ends before the summary */
    kw_check_report_end(&run);
    kw_check_run_free(&run);
    kw_runtime_free(&rt);
    return run.input_errors ? 2 : run.denied ? 1 : 0;
}
