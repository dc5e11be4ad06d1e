/* `kopia-webhook check --output junit`: a JUnit XML report (the Ant/Jenkins
 * format CI systems read, tests/fixtures/check/junit-10.xsd): a testsuite per
 * input file, a testcase per object ("Kind namespace/name", classname the
 * file) with a <failure> holding every error of a denied object and the
 * warnings in <system-out>, an input error as a testcase with an <error>.
 * Objects the webhook never receives are no test cases: each suite counts
 * them in its property "skipped-objects". Collected as JSON while the inputs
 * are read (input errors at once, objects after the cross-object checks),
 * written at the end with each suite's cases in document order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "kw/json/util.h"

/* The suite of `file`, created on first use:
 * {"tests", "failures", "errors", "skipped", "cases": [...]}. */
static json_t *suite_of(struct kw_check_run *run, const char *file)
{
    json_t *suite = json_object_get(run->suites, file);
    if (!suite) {
        suite = json_pack("{s:i, s:i, s:i, s:i, s:[]}", "tests", 0, "failures", 0, "errors", 0,
                          "skipped", 0, "cases");
        if (json_object_set_new(run->suites, file, suite) != 0)
            return NULL;
    }
    return suite;
}

/* Appends a test case (stolen), numbered for a stable sort. */
static void add_case(json_t *suite, json_t *tc_stolen)
{
    json_t *cases = json_object_get(suite, "cases");
    if (tc_stolen)
        json_object_set_new(tc_stolen, "seq", json_integer((json_int_t)json_array_size(cases)));
    json_array_append_new(cases, tc_stolen);
}

static void count(json_t *suite, const char *key)
{
    json_t *n = json_object_get(suite, key);
    json_integer_set(n, json_integer_value(n) + 1);
}

/* `FILE:LINE: ` (no line when unknown). */
static void place_prefix(const struct kw_check_place *at, char *buf, size_t len)
{
    if (at->line)
        snprintf(buf, len, "%s:%zu: ", at->file, at->line);
    else
        snprintf(buf, len, "%s: ", at->file);
}

/* One line per error: `FILE:LINE: error: field: message [rule]`. */
static char *error_lines(const char *prefix, const json_t *errors, char **first)
{
    size_t len = 0, i;
    json_t *e;
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    *first = NULL;
    json_array_foreach(errors, i, e)
    {
        const char *field = kw_obj_str(e, "field");
        char *line = NULL;
        bool named = field && field[0];
        if (asprintf(&line, "%s%s%s [%s]", named ? field : "", named ? ": " : "",
                     kw_obj_str(e, "message"), kw_obj_str(e, "rule")) < 0)
            continue;
        fprintf(f, "%serror: %s\n", prefix, line);
        if (!*first)
            *first = line;
        else
            free(line);
    }
    fclose(f);
    return text;
}

static char *warning_lines(const char *prefix, const json_t *warnings)
{
    size_t len = 0, i;
    json_t *w;
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    json_array_foreach(warnings, i, w)
        fprintf(f, "%swarning: %s [%s]\n", prefix, kw_obj_str(w, "message"), kw_obj_str(w, "rule"));
    fclose(f);
    return text;
}

void kw_check_junit_object(struct kw_check_run *run, const struct kw_check_place *at,
                           const struct kw_review *rv, const struct kw_check_verdict *v)
{
    json_t *suite = suite_of(run, at->file);
    json_t *errors = json_array(), *warnings = json_array();
    char *title = kw_check_object_title(rv);
    json_t *tc = title ? json_pack("{s:s, s:I, s:I}", "name", title, "document",
                                   (json_int_t)at->document, "line", (json_int_t)at->line)
                       : NULL;
    if (suite && errors && warnings && tc) {
        char prefix[4200];
        place_prefix(at, prefix, sizeof(prefix));
        kw_check_findings(v, errors, warnings);
        count(suite, "tests");
        if (kw_check_verdict_denied(v)) {
            char *first = NULL, *lines = error_lines(prefix, errors, &first);
            json_object_set_new(tc, "failure", json_string(lines ? lines : ""));
            json_object_set_new(tc, "message", json_string(first ? first : "denied"));
            free(lines);
            free(first);
            count(suite, "failures");
        }
        if (json_array_size(warnings)) {
            char *lines = warning_lines(prefix, warnings);
            json_object_set_new(tc, "out", json_string(lines ? lines : ""));
            free(lines);
        }
        add_case(suite, json_incref(tc));
    }
    json_decref(tc);
    json_decref(errors);
    json_decref(warnings);
    free(title);
}

void kw_check_junit_input_error(struct kw_check_run *run, const struct kw_check_place *at,
                                const char *message)
{
    json_t *suite = suite_of(run, at->file);
    char name[64] = "input error", where[4200];
    if (at->document)
        snprintf(name, sizeof(name), "input error: document %zu", at->document);
    int n = snprintf(where, sizeof(where), "%s", at->file);
    if (at->line && n > 0 && (size_t)n < sizeof(where))
        n += snprintf(where + n, sizeof(where) - (size_t)n, ":%zu", at->line);
    if (at->line && at->column && n > 0 && (size_t)n < sizeof(where))
        snprintf(where + n, sizeof(where) - (size_t)n, ":%zu", at->column);
    char *text = NULL;
    if (!suite || asprintf(&text, "%s: %s\n", where, message) < 0)
        return;
    add_case(suite, json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "document",
                              (json_int_t)at->document, "line", (json_int_t)at->line, "error", text,
                              "message", message));
    count(suite, "tests");
    count(suite, "errors");
    free(text);
}

void kw_check_junit_file(struct kw_check_run *run, const char *file)
{
    suite_of(run, file);
}

void kw_check_junit_skipped(struct kw_check_run *run, const struct kw_check_place *at)
{
    json_t *suite = suite_of(run, at->file);
    if (suite)
        count(suite, "skipped");
}

/* XML text (attr false) or attribute value (attr true): the five markup
 * characters as entities, tabs and newlines in attributes as character
 * references, other control characters (which XML 1.0 cannot hold) as '?'. */
static void xml_escaped(const char *s, bool attr, FILE *to)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            fputs("&amp;", to);
        else if (c == '<')
            fputs("&lt;", to);
        else if (c == '>')
            fputs("&gt;", to);
        else if (c == '"' && attr)
            fputs("&quot;", to);
        else if ((c == '\n' || c == '\t' || c == '\r') && attr)
            fprintf(to, "&#%d;", c);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', to);
        else
            fputc(c, to);
    }
}

static void attribute(const char *name, const char *value, FILE *to)
{
    fprintf(to, " %s=\"", name);
    xml_escaped(value, true, to);
    fputc('"', to);
}

static void number_attribute(const char *name, json_int_t value, FILE *to)
{
    fprintf(to, " %s=\"%" JSON_INTEGER_FORMAT "\"", name, value);
}

/* <element message="...">text</element> */
static void text_element(const char *element, const char *message, const char *type,
                         const char *text, FILE *to)
{
    fprintf(to, "      <%s", element);
    if (message)
        attribute("message", message, to);
    if (type)
        attribute("type", type, to);
    fputc('>', to);
    xml_escaped(text, false, to);
    fprintf(to, "</%s>\n", element);
}

static void print_case(const char *file, const json_t *tc, FILE *to)
{
    const char *failure = kw_obj_str(tc, "failure"), *error = kw_obj_str(tc, "error");
    const char *out = kw_obj_str(tc, "out");
    fputs("    <testcase", to);
    attribute("name", kw_obj_str(tc, "name"), to);
    attribute("classname", file, to);
    if (!failure && !error && !out) {
        fputs("/>\n", to);
        return;
    }
    fputs(">\n", to);
    if (failure)
        text_element("failure", kw_obj_str(tc, "message"), "denied", failure, to);
    if (error)
        text_element("error", kw_obj_str(tc, "message"), "input-error", error, to);
    if (out)
        text_element("system-out", NULL, NULL, out, to);
    fputs("    </testcase>\n", to);
}

static json_int_t get(const json_t *suite, const char *key)
{
    return json_integer_value(json_object_get(suite, key));
}

/* Document order: by document, then line, then the order reported (`seq`:
 * qsort is not stable, and the items of a List share a document). */
static int by_place(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    json_int_t keys[3][2] = {
        {json_integer_value(json_object_get(x, "document")),
         json_integer_value(json_object_get(y, "document"))},
        {json_integer_value(json_object_get(x, "line")),
         json_integer_value(json_object_get(y, "line"))},
        {json_integer_value(json_object_get(x, "seq")),
         json_integer_value(json_object_get(y, "seq"))},
    };
    for (int k = 0; k < 3; k++)
        if (keys[k][0] != keys[k][1])
            return keys[k][0] < keys[k][1] ? -1 : 1;
    return 0;
}

static void print_suite(const char *file, const json_t *suite, FILE *to)
{
    fputs("  <testsuite", to);
    attribute("name", file, to);
    number_attribute("tests", get(suite, "tests"), to);
    number_attribute("failures", get(suite, "failures"), to);
    number_attribute("errors", get(suite, "errors"), to);
    number_attribute("skipped", 0, to);
    fputs(">\n", to);
    if (get(suite, "skipped")) {
        fputs("    <properties>\n      <property name=\"skipped-objects\"", to);
        number_attribute("value", get(suite, "skipped"), to);
        fputs("/>\n    </properties>\n", to);
    }
    json_t *cases = json_object_get(suite, "cases");
    size_t n = json_array_size(cases);
    json_t **sorted = n ? malloc(n * sizeof(*sorted)) : NULL;
    for (size_t i = 0; i < n && sorted; i++)
        sorted[i] = json_array_get(cases, i);
    if (sorted)
        qsort(sorted, n, sizeof(*sorted), by_place);
    for (size_t i = 0; i < n; i++)
        print_case(file, sorted ? sorted[i] : json_array_get(cases, i), to);
    free(sorted);
    fputs("  </testsuite>\n", to);
}

void kw_check_junit_print(const struct kw_check_run *run, FILE *to)
{
    json_int_t tests = 0, failures = 0, errors = 0;
    const char *file;
    json_t *suite;
    json_object_foreach(run->suites, file, suite)
    {
        tests += get(suite, "tests");
        failures += get(suite, "failures");
        errors += get(suite, "errors");
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kopia-webhook check\"",
          to);
    number_attribute("tests", tests, to);
    number_attribute("failures", failures, to);
    number_attribute("errors", errors, to);
    fputs(">\n", to);
    json_object_foreach(run->suites, file, suite) print_suite(file, suite, to);
    fputs("</testsuites>\n", to);
}
