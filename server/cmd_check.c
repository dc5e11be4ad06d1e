/* `kopia-webhook check [--output text|patched|json] [--namespace NS] [--config FILE] FILE...|-`
 * reads YAML or JSON manifests (multi-document, `kind: List`
 * expanded), and for every ReplicationSource, ReplicationDestination and
 * policy ConfigMap/Secret runs mutate, applies the patch, then validates the
 * patched object, exactly as the API server would on CREATE. Exit status: 0
 * all allowed, 1 any denied, 2 unreadable input. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/cli.h"
#include "kw/server/readfile.h"
#include "kw/admission/core.h"
#include "kw/decision/rules.h"
#include "kw/json/patch.h"
#include "kw/json/util.h"
#include "kw/server/runtime.h"
#include "kw/json/yaml.h"

#define MAX_INPUT_BYTES (64u * 1024u * 1024u)

enum output_mode { OUT_TEXT, OUT_PATCHED, OUT_JSON };

struct check_run {
    const struct kw_config *cfg;
    enum output_mode mode;
    const char *default_namespace;
    size_t allowed, denied, skipped;
    bool unreadable;
    json_t *report; /* OUT_JSON: array of per-object results */
};

/* One object's verdict: the mutate result, the patched object, the validate
 * result on it. */
struct verdict {
    struct kw_result mutated;
    struct kw_result validated;
    json_t *patched;
    char patch_error[256];
};

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

/* Builds the review the API server would send for CREATE of `object`. */
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

static void evaluate(const struct kw_config *cfg, struct kw_review *rv, struct verdict *v)
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

static void verdict_free(struct verdict *v)
{
    kw_result_free(&v->mutated);
    kw_result_free(&v->validated);
    json_decref(v->patched);
}

static bool verdict_denied(const struct verdict *v)
{
    return kw_result_denied(&v->mutated) || kw_result_denied(&v->validated);
}

static const char *const op_names[] = {"add", "remove", "replace", "move", "copy", "test"};

static void print_result_text(const struct kw_review *rv, const struct kw_result *res, FILE *to)
{
    if (res->bad_request || (res->out_of_memory && !res->ncauses)) {
        char *msg = kw_denial_message(rv, res);
        fprintf(to, "  error: %s\n", msg ? msg : "out of memory");
        free(msg);
    }
    for (size_t i = 0; i < res->ncauses; i++) {
        char *body = kw_cause_body(&res->causes[i]);
        fprintf(to, "  error: %s: %s\n", res->causes[i].field, body ? body : "");
        free(body);
    }
    for (size_t i = 0; i < res->nwarnings; i++)
        fprintf(to, "  warning: %s\n", res->warnings[i].text);
}

static void print_text(const char *file, const struct kw_review *rv, const struct verdict *v,
                       FILE *to)
{
    fprintf(to, "%s: %s %s%s%s: %s\n", file, rv->kind_name, rv->namespace,
            rv->namespace[0] ? "/" : "", rv->name[0] ? rv->name : "(generateName)",
            verdict_denied(v) ? "denied" : "allowed");
    print_result_text(rv, &v->mutated, to);
    print_result_text(rv, &v->validated, to);
    for (size_t i = 0; i < v->mutated.nops; i++) {
        const struct kw_patch_op *op = &v->mutated.ops[i];
        char *value = op->value ? json_dumps(op->value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fprintf(to, "  patch: %s %s%s%s\n", op_names[op->op], op->path, value ? " " : "",
                value ? value : "");
        free(value);
    }
}

static json_t *result_json(const struct kw_result *res, json_t *errors, json_t *warnings)
{
    if (res->bad_request)
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "rule",
                                                kw_rule_id_string(KW_RULE_OBJECT_DECODE), "field",
                                                "", "message", res->bad_request));
    for (size_t i = 0; i < res->ncauses; i++) {
        char *body = kw_cause_body(&res->causes[i]);
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s}", "rule",
                                                kw_rule_id_string(res->causes[i].rule_id), "field",
                                                res->causes[i].field, "type",
                                                kw_cause_word(res->causes[i].type), "message",
                                                body ? body : ""));
        free(body);
    }
    for (size_t i = 0; i < res->nwarnings; i++)
        json_array_append_new(warnings, json_pack("{s:s, s:s}", "rule",
                                                  kw_rule_id_string(res->warnings[i].rule_id),
                                                  "message", res->warnings[i].text));
    return errors;
}

static void add_json_report(struct check_run *run, const char *file, const struct kw_review *rv,
                            const struct verdict *v)
{
    json_t *errors = json_array(), *warnings = json_array();
    result_json(&v->mutated, errors, warnings);
    result_json(&v->validated, errors, warnings);
    json_t *patch = kw_patch_to_json(v->mutated.ops, v->mutated.nops);
    /* A report may end up in CI logs: never copy a Secret's contents there. */
    json_t *object = rv->kind == KW_KIND_SECRET || !v->patched ? json_null() : v->patched;
    json_array_append_new(
        run->report, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:O}", "file", file,
                               "kind", rv->kind_name, "namespace", rv->namespace, "name", rv->name,
                               "allowed", !verdict_denied(v), "errors", errors, "warnings",
                               warnings, "patch", patch ? patch : json_array(), "object", object));
}

static void print_patched(const struct verdict *v)
{
    char *text = json_dumps(v->patched, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text)
        printf("---\n%s\n", text);
    free(text);
}

static void check_object(struct check_run *run, const char *file, json_t *object)
{
    const char *api = kw_obj_str(object, "apiVersion");
    const char *kind = kw_obj_str(object, "kind");
    char group[128];
    const char *version = "";
    split_api_version(api, group, sizeof(group), &version);
    struct kw_review rv;
    make_review(&rv, object, group, version, kind, run->default_namespace);
    if (rv.kind == KW_KIND_OTHER) {
        run->skipped++;
        return;
    }
    struct verdict v;
    evaluate(run->cfg, &rv, &v);
    bool denied = verdict_denied(&v);
    denied ? run->denied++ : run->allowed++;
    if (run->mode == OUT_JSON)
        add_json_report(run, file, &rv, &v);
    else if (run->mode == OUT_PATCHED) {
        print_text(file, &rv, &v, stderr);
        print_patched(&v);
    } else
        print_text(file, &rv, &v, stdout);
    verdict_free(&v);
}

static void unreadable(struct check_run *run, const char *file, size_t index, const char *why)
{
    run->unreadable = true;
    fprintf(stderr, "kopia-webhook check: %s: document %zu: %s\n", file, index, why);
}

/* v1 List and typed lists (ReplicationSourceList) hold objects in items. */
static bool is_list_kind(const char *kind)
{
    size_t n = strlen(kind);
    return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

static void check_document(struct check_run *run, const char *file, size_t index, json_t *doc)
{
    if (!json_is_object(doc)) {
        unreadable(run, file, index, "not an object");
        return;
    }
    const char *api = kw_obj_str(doc, "apiVersion");
    const char *kind = kw_obj_str(doc, "kind");
    if (!api || !kind || !api[0] || !kind[0]) {
        unreadable(run, file, index, "apiVersion and kind are required");
        return;
    }
    if (is_list_kind(kind)) {
        json_t *items = kw_obj_get(doc, "items");
        size_t i;
        json_t *item;
        if (items && !json_is_array(items)) {
            unreadable(run, file, index, "items must be a list");
            return;
        }
        json_array_foreach(items, i, item) check_document(run, file, index, item);
        return;
    }
    check_object(run, file, doc);
}

static void check_file(struct check_run *run, const char *path)
{
    char err[512] = "";
    size_t len = 0;
    char *buf = kw_read_file(path, KW_READ_STREAM, MAX_INPUT_BYTES, &len, err, sizeof(err));
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    if (!buf) {
        run->unreadable = true;
        fprintf(stderr, "kopia-webhook check: %s\n", err);
        return;
    }
    struct kw_yaml_error yerr;
    json_t *docs = kw_yaml_load_all(buf, len, &yerr);
    free(buf);
    if (!docs) {
        run->unreadable = true;
        fprintf(stderr, "kopia-webhook check: %s: %s\n", shown, yerr.text);
        return;
    }
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) check_document(run, shown, i + 1, doc);
    json_decref(docs);
}

static const char help_text[] =
    "usage: kopia-webhook check [flags] FILE...|-\n"
    "\n"
    "Validates and defaults Kubernetes manifests offline, as the admission webhook\n"
    "would on CREATE: every ReplicationSource, ReplicationDestination and policy\n"
    "ConfigMap/Secret is mutated, the patch applied, and the result validated; other\n"
    "kinds are skipped. A FILE holds YAML or JSON, several documents each (kind: List\n"
    "expanded); - reads standard input.\n"
    "\n"
    "flags:\n"
    "  -o, --output FORMAT         text (default): each verdict with its errors, warnings\n"
    "                              and patch; patched: the defaulted objects as JSON on\n"
    "                              stdout, the verdicts on stderr; json: one JSON report\n"
    "                              (its schema is in docs/cli.md)\n"
    "  -n, --namespace NS          the namespace of objects that name none (default\n"
    "                              \"default\", as kubectl apply)\n"
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
    "  2  an input could not be read (a missing file, bad YAML, a document without\n"
    "     apiVersion and kind), the config file is unreadable, or a usage error;\n"
    "     this wins over 1\n"
    "\n"
    "examples:\n"
    "  kopia-webhook check examples/mydata-backup.yaml\n"
    "  kustomize build overlays/prod | kopia-webhook check --output json -\n";

static int usage(const char *bad)
{
    fprintf(stderr, "kopia-webhook check: %s\n", bad);
    fputs(help_text, stderr);
    return 2;
}

static int parse_mode(const char *s, enum output_mode *mode)
{
    if (strcmp(s, "text") == 0)
        *mode = OUT_TEXT;
    else if (strcmp(s, "patched") == 0)
        *mode = OUT_PATCHED;
    else if (strcmp(s, "json") == 0)
        *mode = OUT_JSON;
    else
        return -1;
    return 0;
}

int kw_cmd_check(int argc, char **argv)
{
    struct check_run run = {.mode = OUT_TEXT, .default_namespace = "default"};
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
                return usage("--output takes text, patched or json");
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
        return usage("no input: name one or more files, or - for standard input");
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
    run.report = run.mode == OUT_JSON ? json_array() : NULL;
    for (int i = first_file; i < argc; i++)
        check_file(&run, argv[i]);
    if (run.mode == OUT_JSON) {
        json_t *doc = json_pack("{s:o, s:I, s:I, s:I}", "objects", run.report, "allowed",
                                (json_int_t)run.allowed, "denied", (json_int_t)run.denied,
                                "skipped", (json_int_t)run.skipped);
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(doc);
    } else {
        fprintf(run.mode == OUT_TEXT ? stdout : stderr,
                "checked %zu objects: %zu allowed, %zu denied, %zu other objects skipped\n",
                run.allowed + run.denied, run.allowed, run.denied, run.skipped);
    }
    kw_runtime_free(&rt);
    return run.unreadable ? 2 : run.denied ? 1 : 0;
}
