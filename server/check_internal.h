/* The two halves of `kopia-webhook check`, private to server/:
 * cmd_check.c reads the inputs and judges each object, check_output.c
 * prints the verdicts, the input errors and the summary or JSON report. */
#ifndef KW_SERVER_CHECK_INTERNAL_H
#define KW_SERVER_CHECK_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/admission/core.h"
#include "kw/decision/result.h"

enum kw_check_output { KW_CHECK_TEXT, KW_CHECK_PATCHED, KW_CHECK_JSON };

struct kw_check_run {
    const struct kw_config *cfg;
    enum kw_check_output mode;
    const char *default_namespace;
    size_t allowed, denied, skipped, input_errors;
    json_t *report;           /* KW_CHECK_JSON: array of per-object results */
    json_t *errors;           /* KW_CHECK_JSON: array of input errors */
    struct kw_check_set *set; /* the objects read so far (check_crossref.c) */
};

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
