/* What `kopia-webhook check` prints (server/check_internal.h): each
 * verdict as text (`FILE:LINE: Kind ns/name: allowed`, errors and warnings
 * with their rule ids, patch operations) or as an entry of the JSON report,
 * the input errors on stderr and in the report, and the summary line or the
 * report; the junit, sarif and patched formats are handed to their own
 * files. docs/cli.md describes every format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "kw/admission/core.h"
#include "kw/decision/rules.h"
#include "kw/json/patch.h"

bool kw_check_verdict_denied(const struct kw_check_verdict *v)
{
    return kw_result_denied(&v->mutated) || kw_result_denied(&v->validated);
}

static const char *const op_names[] = {"add", "remove", "replace", "move", "copy", "test"};

/* Each error and warning with its rule id: `  error: field: detail [rule-id]`. */
static void print_result_text(const struct kw_review *rv, const struct kw_result *res, FILE *to)
{
    if (res->bad_request || (res->out_of_memory && !res->ncauses)) {
        char *msg = kw_denial_message(rv, res);
        if (res->bad_request)
            fprintf(to, "  error: %s [%s]\n", msg ? msg : res->bad_request,
                    kw_rule_id_string(KW_RULE_OBJECT_DECODE));
        else
            fprintf(to, "  error: %s\n", msg ? msg : "out of memory");
        free(msg);
    }
    for (size_t i = 0; i < res->ncauses; i++) {
        char *body = kw_cause_body(&res->causes[i]);
        fprintf(to, "  error: %s: %s [%s]\n", res->causes[i].field, body ? body : "",
                kw_rule_id_string(res->causes[i].rule_id));
        free(body);
    }
    for (size_t i = 0; i < res->nwarnings; i++)
        fprintf(to, "  warning: %s [%s]\n", res->warnings[i].text,
                kw_rule_id_string(res->warnings[i].rule_id));
}

char *kw_check_object_title(const struct kw_review *rv)
{
    const char *name = rv->name[0] ? rv->name : "(generateName)";
    size_t len = strlen(rv->kind_name) + strlen(rv->namespace) + strlen(name) + 3;
    char *title = malloc(len);
    if (title)
        snprintf(title, len, "%s %s%s%s", rv->kind_name, rv->namespace, rv->namespace[0] ? "/" : "",
                 name);
    return title;
}

/* `FILE:LINE: Kind namespace/name: allowed`, then the errors, warnings and
 * patch operations indented. */
static void print_text(const struct kw_check_place *at, const struct kw_review *rv,
                       const struct kw_check_verdict *v, FILE *to)
{
    fprintf(to, "%s", at->file);
    if (at->line)
        fprintf(to, ":%zu", at->line);
    char *title = kw_check_object_title(rv);
    fprintf(to, ": %s: %s\n", title ? title : rv->kind_name,
            kw_check_verdict_denied(v) ? "denied" : "allowed");
    free(title);
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

static void result_json(const struct kw_result *res, json_t *errors, json_t *warnings)
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
}

void kw_check_findings(const struct kw_check_verdict *v, json_t *errors, json_t *warnings)
{
    result_json(&v->mutated, errors, warnings);
    result_json(&v->validated, errors, warnings);
}

/* A JSON number, or null for 0 (unknown). */
static json_t *number_or_null(size_t n)
{
    return n ? json_integer((json_int_t)n) : json_null();
}

static void add_json_report(struct kw_check_run *run, const struct kw_check_place *at,
                            const struct kw_review *rv, const struct kw_check_verdict *v)
{
    json_t *errors = json_array(), *warnings = json_array();
    kw_check_findings(v, errors, warnings);
    json_t *patch = kw_patch_to_json(v->mutated.ops, v->mutated.nops);
    /* A report may end up in CI logs: never copy a Secret's contents there. */
    json_t *object = rv->kind == KW_KIND_SECRET || !v->patched ? json_null() : v->patched;
    json_array_append_new(
        run->report,
        json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:O}", "file", at->file,
                  "document", number_or_null(at->document), "line", number_or_null(at->line),
                  "kind", rv->kind_name, "namespace", rv->namespace, "name", rv->name, "allowed",
                  !kw_check_verdict_denied(v), "errors", errors, "warnings", warnings, "patch",
                  patch ? patch : json_array(), "object", object));
}

/* An input that cannot be checked: on stderr as `FILE:LINE:COLUMN: document
 * N: message`, and in the JSON report's errors. */
void kw_check_input_error(struct kw_check_run *run, const struct kw_check_place *at,
                          const char *message)
{
    run->input_errors++;
    if (run->mode == KW_CHECK_JUNIT)
        kw_check_junit_input_error(run, at, message);
    else if (run->mode == KW_CHECK_SARIF)
        kw_check_sarif_input_error(run, at, message);
    if (run->errors)
        json_array_append_new(
            run->errors, json_pack("{s:s, s:o, s:o, s:o, s:s}", "file", at->file, "document",
                                   number_or_null(at->document), "line", number_or_null(at->line),
                                   "column", number_or_null(at->column), "message", message));
    fprintf(stderr, "kopia-webhook check: %s", at->file);
    if (at->line)
        fprintf(stderr, ":%zu", at->line);
    if (at->line && at->column)
        fprintf(stderr, ":%zu", at->column);
    if (at->document)
        fprintf(stderr, ": document %zu", at->document);
    fprintf(stderr, ": %s\n", message);
}

/* The report of --output json (its schema is in docs/cli.md). */
static void print_json_report(const struct kw_check_run *run)
{
    json_t *doc =
        json_pack("{s:O, s:O, s:I, s:I, s:I, s:I}", "objects", run->report, "errors", run->errors,
                  "allowed", (json_int_t)run->allowed, "denied", (json_int_t)run->denied, "skipped",
                  (json_int_t)run->skipped, "inputErrors", (json_int_t)run->input_errors);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        printf("%s\n", text);
    else
        fputs("kopia-webhook check: out of memory\n", stderr);
    free(text);
    json_decref(doc);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "1 object allowed, 2 objects denied, 1 other object skipped, 1 input
 * error"; the last two only when there are some. */
static void print_summary(const struct kw_check_run *run, FILE *to)
{
    fprintf(to, "%zu %s allowed, %zu %s denied", run->allowed,
            plural(run->allowed, "object", "objects"), run->denied,
            plural(run->denied, "object", "objects"));
    if (run->skipped)
        fprintf(to, ", %zu other %s skipped", run->skipped,
                plural(run->skipped, "object", "objects"));
    if (run->input_errors)
        fprintf(to, ", %zu input %s", run->input_errors,
                plural(run->input_errors, "error", "errors"));
    fputc('\n', to);
}

int kw_check_run_start(struct kw_check_run *run)
{
    bool ok = true;
    if (run->mode == KW_CHECK_JSON) {
        run->report = json_array();
        run->errors = json_array();
        ok = run->report && run->errors;
    } else if (run->mode == KW_CHECK_JUNIT) {
        ok = (run->suites = json_object()) != NULL;
    } else if (run->mode == KW_CHECK_SARIF) {
        ok = (run->results = json_array()) != NULL;
    } else if (run->mode == KW_CHECK_PATCHED) {
        return kw_check_yaml_open(run, stdout);
    }
    if (!ok)
        fputs("kopia-webhook check: out of memory\n", stderr);
    return ok ? 0 : -1;
}

void kw_check_run_free(struct kw_check_run *run)
{
    json_decref(run->report);
    json_decref(run->errors);
    json_decref(run->suites);
    json_decref(run->results);
    run->report = run->errors = run->suites = run->results = NULL;
    if (run->emitter)
        kw_check_yaml_close(run);
}

void kw_check_report_object(struct kw_check_run *run, const struct kw_check_place *at,
                            const struct kw_review *rv, const struct kw_check_verdict *v)
{
    switch (run->mode) {
    case KW_CHECK_JSON:
        add_json_report(run, at, rv, v);
        break;
    case KW_CHECK_JUNIT:
        kw_check_junit_object(run, at, rv, v);
        break;
    case KW_CHECK_SARIF:
        kw_check_sarif_object(run, at, rv, v);
        break;
    case KW_CHECK_PATCHED:
        /* The verdicts go to stderr; stdout holds only what can be applied. */
        print_text(at, rv, v, stderr);
        if (!kw_check_verdict_denied(v) && v->patched)
            kw_check_yaml_document(run, v->patched);
        break;
    case KW_CHECK_TEXT:
        print_text(at, rv, v, stdout);
        break;
    }
}

void kw_check_report_skipped(struct kw_check_run *run, const struct kw_check_place *at,
                             const struct kw_review *rv)
{
    (void)rv;
    run->skipped++;
    if (run->mode == KW_CHECK_JUNIT)
        kw_check_junit_skipped(run, at);
}

void kw_check_report_file(struct kw_check_run *run, const char *file)
{
    if (run->mode == KW_CHECK_JUNIT)
        kw_check_junit_file(run, file);
}

void kw_check_report_end(const struct kw_check_run *run)
{
    switch (run->mode) {
    case KW_CHECK_JSON:
        print_json_report(run);
        break;
    case KW_CHECK_JUNIT:
        kw_check_junit_print(run, stdout);
        print_summary(run, stderr);
        break;
    case KW_CHECK_SARIF:
        kw_check_sarif_print(run, stdout);
        print_summary(run, stderr);
        break;
    case KW_CHECK_PATCHED:
        print_summary(run, stderr);
        break;
    case KW_CHECK_TEXT:
        print_summary(run, stdout);
        break;
    }
}
