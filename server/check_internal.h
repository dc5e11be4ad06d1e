/* The two halves of `kopia-webhook check`, private to server/:
 * cmd_check.c reads the inputs and judges each object; check_output.c
 * prints the verdicts, the input errors and the summary or JSON report, and
 * hands the other formats to check_junit.c, check_sarif.c and
 * check_patched.c. */
#ifndef KW_SERVER_CHECK_INTERNAL_H
#define KW_SERVER_CHECK_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

#include "kw/admission/core.h"
#include "kw/decision/result.h"

enum kw_check_output {
    KW_CHECK_TEXT,
    KW_CHECK_PATCHED,
    KW_CHECK_JSON,
    KW_CHECK_JUNIT,
    KW_CHECK_SARIF
};

struct kw_check_run {
    const struct kw_config *cfg;
    enum kw_check_output mode;
    const char *default_namespace; /* "" when objects without one keep none */
    size_t allowed, denied, skipped, input_errors;
    json_t *report;           /* KW_CHECK_JSON: array of per-object results */
    json_t *errors;           /* KW_CHECK_JSON: array of input errors */
    json_t *suites;           /* KW_CHECK_JUNIT: file name -> suite, in input order */
    json_t *results;          /* KW_CHECK_SARIF: array of SARIF results */
    yaml_emitter_t *emitter;  /* KW_CHECK_PATCHED: the YAML stream on stdout */
    struct kw_check_set *set; /* the objects read so far (check_crossref.c) */
};

/* Before the first input: what the run's format collects (0, or -1 with a
 * message on stderr). After the last: kw_check_report_end, then
 * kw_check_run_free. */
int kw_check_run_start(struct kw_check_run *run);
void kw_check_run_free(struct kw_check_run *run);

/* Where an object or an input error is: the file, the document (1-based; 0
 * when the whole file is meant), the line and column (1-based; 0 when
 * unknown). */
struct kw_check_place {
    const char *file;
    size_t document, line, column;
};

/* One object's verdict: the mutate result, the patched object, the validate
 * result on it. */
struct kw_check_verdict {
    struct kw_result mutated;
    struct kw_result validated;
    json_t *patched;
    char patch_error[256];
};

bool kw_check_verdict_denied(const struct kw_check_verdict *v);

/* Prints the verdict on one object (or adds it to the JSON report). */
void kw_check_report_object(struct kw_check_run *run, const struct kw_check_place *at,
                            const struct kw_review *rv, const struct kw_check_verdict *v);

/* An object the webhook would never receive (another kind, a ConfigMap or
 * Secret without the policy label): counted as skipped, never allowed. */
void kw_check_report_skipped(struct kw_check_run *run, const struct kw_check_place *at,
                             const struct kw_review *rv);

/* The errors and warnings of a verdict, appended to two arrays:
 * {"rule", "field", "type", "message"} ("type" absent for an undecodable
 * object) and {"rule", "message"}. */
void kw_check_findings(const struct kw_check_verdict *v, json_t *errors, json_t *warnings);

/* "Kind namespace/name"; "Kind name" without a namespace; "(generateName)"
 * for a missing name. malloc'd; NULL on allocation failure. */
char *kw_check_object_title(const struct kw_review *rv);

/* A file is about to be read: its place in the report (a JUnit suite per
 * input file, in input order). */
void kw_check_report_file(struct kw_check_run *run, const char *file);

/* check_junit.c: --output junit. */
void kw_check_junit_object(struct kw_check_run *run, const struct kw_check_place *at,
                           const struct kw_review *rv, const struct kw_check_verdict *v);
void kw_check_junit_input_error(struct kw_check_run *run, const struct kw_check_place *at,
                                const char *message);
void kw_check_junit_skipped(struct kw_check_run *run, const struct kw_check_place *at);
void kw_check_junit_file(struct kw_check_run *run, const char *file);
void kw_check_junit_print(const struct kw_check_run *run, FILE *to);

/* check_sarif.c: --output sarif. */
void kw_check_sarif_object(struct kw_check_run *run, const struct kw_check_place *at,
                           const struct kw_review *rv, const struct kw_check_verdict *v);
void kw_check_sarif_input_error(struct kw_check_run *run, const struct kw_check_place *at,
                                const char *message);
void kw_check_sarif_print(const struct kw_check_run *run, FILE *to);

/* check_patched.c: --output patched, YAML documents through libyaml's
 * emitter. open: the stream start (0, or -1); document: one object, its keys
 * in their order (-1 on an emitter error, with a message on stderr); close:
 * the stream end, and frees the emitter. */
int kw_check_yaml_open(struct kw_check_run *run, FILE *to);
int kw_check_yaml_document(struct kw_check_run *run, const json_t *object);
void kw_check_yaml_close(struct kw_check_run *run);

/* An input that cannot be checked: counted, printed on stderr as
 * `kopia-webhook check: FILE:LINE:COLUMN: document N: message`, and added to
 * the JSON report's errors. */
void kw_check_input_error(struct kw_check_run *run, const struct kw_check_place *at,
                          const char *message);

/* check_crossref.c: every object read is kept until the last input, so that
 * the cross-object checks (include/kw/kopia/crossref.h) can add their
 * warnings before anything is printed. kw_check_keep takes over the verdict
 * (NULL for an object of another kind, which is only looked up) and a
 * reference to `object`; rv's strings must live as long as `object` or the
 * run (its kind_group is copied). kw_check_flush runs the checks, reports
 * every judged object in input order and frees the set. Out of memory, a
 * judged object is reported at once, without cross-object checks. */
struct kw_check_set;
void kw_check_keep(struct kw_check_run *run, const struct kw_check_place *at,
                   const struct kw_review *rv, json_t *object, struct kw_check_verdict *v);
void kw_check_flush(struct kw_check_run *run);

/* After the last input: the summary line, or the JSON report. */
void kw_check_report_end(const struct kw_check_run *run);

#endif
