/* `kopia-webhook check --output sarif`: a SARIF 2.1.0 log (what code-scanning
 * services turn into annotations on a pull request): one run whose
 * tool.driver lists every rule of the rule table (kw_rules[]) with its
 * summary and default level, plus the rule `input-error`; one result per
 * error and per warning of each object, located at the object's file (a URI
 * relative to the working directory) and line, and one per input error at
 * its line and column. tests/fixtures/check/sarif-schema-2.1.0.json is the
 * schema it is validated against. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_internal.h"
#include "kw/decision/rules.h"
#include "kw/json/util.h"

#ifndef KW_HOMEPAGE_URL
#define KW_HOMEPAGE_URL "https://github.com/OWNER/kopia-webhook"
#endif

/* The rule of unreadable inputs, after the rule table in driver.rules. */
#define INPUT_ERROR_RULE  "input-error"
#define INPUT_ERROR_INDEX KW_RULE_COUNT

static const char *default_level(enum kw_severity sev)
{
    return sev == KW_SEV_DENY ? "error" : sev == KW_SEV_WARN ? "warning" : "note";
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~/", c) != NULL;
}

/* `path` percent-encoded into a URI path (RFC 3986: every byte but the
 * unreserved characters and '/'). malloc'd; NULL on allocation failure. */
static char *uri_path(const char *path)
{
    char *out = malloc(strlen(path) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (unreserved(*p) && *p)
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = 0;
    return out;
}

/* The artifactLocation of `file`: relative to the working directory (the
 * checkout's root in CI, %SRCROOT%) when it is under it, else a file: URI. */
static json_t *artifact_location(const char *file)
{
    char cwd[4096];
    const char *rel = file;
    while (strncmp(rel, "./", 2) == 0)
        rel += 2;
    if (rel[0] == '/' && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") != 0) {
        size_t n = strlen(cwd);
        if (strncmp(rel, cwd, n) == 0 && rel[n] == '/')
            rel += n + 1;
    }
    char *encoded = uri_path(rel);
    if (!encoded)
        return NULL;
    json_t *loc;
    if (rel[0] == '/') {
        char *uri = NULL;
        loc = asprintf(&uri, "file://%s", encoded) < 0 ? NULL : json_pack("{s:s}", "uri", uri);
        free(uri);
    } else {
        loc = json_pack("{s:s, s:s}", "uri", encoded, "uriBaseId", "%SRCROOT%");
    }
    free(encoded);
    return loc;
}

static json_t *location(const char *file, size_t line, size_t column)
{
    json_t *physical = json_pack("{s:o*}", "artifactLocation", artifact_location(file));
    if (physical && line) {
        json_t *region = json_pack("{s:I}", "startLine", (json_int_t)line);
        if (region && column)
            json_object_set_new(region, "startColumn", json_integer((json_int_t)column));
        json_object_set_new(physical, "region", region);
    }
    return json_pack("[{s:o*}]", "physicalLocation", physical);
}

static void add_result(struct kw_check_run *run, const char *rule, int index, const char *level,
                       const char *text, json_t *locations_stolen)
{
    json_array_append_new(run->results, json_pack("{s:s, s:i, s:s, s:{s:s}, s:o*}", "ruleId", rule,
                                                  "ruleIndex", index, "level", level, "message",
                                                  "text", text, "locations", locations_stolen));
}

/* One result per finding: "Kind ns/name: field: message". */
static void add_findings(struct kw_check_run *run, const struct kw_check_place *at,
                         const char *title, const json_t *findings, const char *level)
{
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f)
    {
        const char *rule = kw_obj_str(f, "rule"), *field = kw_obj_str(f, "field");
        char *text = NULL;
        bool named = field && field[0];
        if (asprintf(&text, "%s: %s%s%s", title, named ? field : "", named ? ": " : "",
                     kw_obj_str(f, "message")) < 0)
            continue;
        add_result(run, rule, (int)kw_rule_find(rule), level, text,
                   location(at->file, at->line, 0));
        free(text);
    }
}

void kw_check_sarif_object(struct kw_check_run *run, const struct kw_check_place *at,
                           const struct kw_review *rv, const struct kw_check_verdict *v)
{
    json_t *errors = json_array(), *warnings = json_array();
    char *title = kw_check_object_title(rv);
    if (errors && warnings && title) {
        kw_check_findings(v, errors, warnings);
        add_findings(run, at, title, errors, "error");
        add_findings(run, at, title, warnings, "warning");
    }
    free(title);
    json_decref(errors);
    json_decref(warnings);
}

void kw_check_sarif_input_error(struct kw_check_run *run, const struct kw_check_place *at,
                                const char *message)
{
    char *text = NULL;
    int n = at->document ? asprintf(&text, "document %zu: %s", at->document, message)
                         : asprintf(&text, "%s", message);
    if (n < 0)
        return;
    add_result(run, INPUT_ERROR_RULE, INPUT_ERROR_INDEX, "error", text,
               location(at->file, at->line, at->column));
    free(text);
}

static json_t *rule_json(const char *id, const char *summary, const char *level)
{
    return json_pack("{s:s, s:{s:s}, s:{s:s}}", "id", id, "shortDescription", "text", summary,
                     "defaultConfiguration", "level", level);
}

static json_t *driver_rules(void)
{
    json_t *rules = json_array();
    for (int i = 0; i < KW_RULE_COUNT; i++)
        json_array_append_new(rules, rule_json(kw_rules[i].id, kw_rules[i].summary,
                                               default_level(kw_rules[i].severity)));
    json_array_append_new(rules, rule_json(INPUT_ERROR_RULE,
                                           "an input cannot be checked: unreadable, not YAML or "
                                           "JSON, or a document without apiVersion and kind",
                                           "error"));
    return rules;
}

void kw_check_sarif_print(const struct kw_check_run *run, FILE *to)
{
    json_t *log = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:O}]}", "$schema",
                            "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                            "sarif-schema-2.1.0.json",
                            "version", "2.1.0", "runs", "tool", "driver", "name", "kopia-webhook",
                            "version", KW_VERSION, "informationUri", KW_HOMEPAGE_URL, "rules",
                            driver_rules(), "results", run->results);
    char *text = log ? json_dumps(log, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        fprintf(to, "%s\n", text);
    else
        fputs("kopia-webhook check: out of memory\n", stderr);
    free(text);
    json_decref(log);
}
