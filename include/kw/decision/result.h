/* The decision of the pure core about one object: field errors ("causes"),
 * warnings and JSON Patch operations, each tagged with its rule
 * (include/kw/decision/rules.h; kw_rule_id_string gives the stable id).
 * Validators and defaulters only append to a kw_result; the review codec turns
 * it into an AdmissionReview response and the CLI prints it.
 *
 * Ownership: a kw_result owns every string and json_t it holds. Functions
 * that take a `json_t *value_stolen` take over the caller's reference. */
#ifndef KW_RESULT_H
#define KW_RESULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/decision/rules.h"
#include "kw/json/patch.h"

/* Kubernetes field.ErrorType: the words of `field: <Word>: detail`. */
enum kw_cause_type {
    KW_CAUSE_INVALID,     /* "Invalid value"     FieldValueInvalid */
    KW_CAUSE_REQUIRED,    /* "Required value"    FieldValueRequired */
    KW_CAUSE_FORBIDDEN,   /* "Forbidden"         FieldValueForbidden */
    KW_CAUSE_TOO_LONG,    /* "Too long"          FieldValueTooLong */
    KW_CAUSE_TOO_MANY,    /* "Too many"          FieldValueTooMany */
    KW_CAUSE_UNSUPPORTED, /* "Unsupported value" FieldValueNotSupported */
    KW_CAUSE_DUPLICATE,   /* "Duplicate value"   FieldValueDuplicate */
    KW_CAUSE_TYPE,        /* "Invalid value" with a type detail; decode-level */
};

struct kw_cause {
    enum kw_cause_type type;
    enum kw_rule_id rule_id;
    char *field;  /* "spec.kopia.username" */
    char *value;  /* rendered bad value, e.g. "\"-x\"" or "21"; NULL = none */
    char *detail; /* "must start and end with an alphanumeric character" */
};

struct kw_warning {
    enum kw_rule_id rule_id;
    char *text; /* one line: "spec.kopia.compression: ..." */
};

struct kw_result {
    struct kw_cause *causes;
    size_t ncauses, causes_cap;
    struct kw_warning *warnings;
    size_t nwarnings, warnings_cap;
    struct kw_patch_op *ops;
    size_t nops, ops_cap;
    /* Set when the object cannot be decoded into the expected shape
     * (denied with code 400 inside a 200 reply). Owned. */
    char *bad_request;
    /* An allocation failed while recording the decision: the object is
     * denied (fail closed) rather than judged on partial results. */
    bool out_of_memory;
};

void kw_result_init(struct kw_result *res);
void kw_result_free(struct kw_result *res);
/* Drops the result's references to its patch values without releasing
 * them (ops[i].value becomes NULL): for a caller whose allocator releases
 * every jansson value of the request in one step (kw_handle_bulk). */
void kw_result_forget_values(struct kw_result *res);
bool kw_result_denied(const struct kw_result *res);

/* Appends a field error. `value` may be NULL. printf-style detail. */
void kw_result_cause(struct kw_result *res, enum kw_cause_type type, enum kw_rule_id rule_id,
                     const char *field, const char *value, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Appends a field error whose bad value is a string: rendered quoted and
 * escaped as Kubernetes does (`Invalid value: "-x": ...`). */
void kw_result_cause_str(struct kw_result *res, enum kw_cause_type type, enum kw_rule_id rule_id,
                         const char *field, const char *bad_value, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Appends a warning; the text is cleaned to one line (control characters
 * become spaces). printf-style. */
void kw_result_warn(struct kw_result *res, enum kw_rule_id rule_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* kw_result_warn of a text made elsewhere: takes over the malloc'd
 * `text_owned` (cleaned in place; NULL marks the result out of memory). */
void kw_result_warn_owned(struct kw_result *res, enum kw_rule_id rule_id, char *text_owned);

/* Appends a patch operation; takes over `value_stolen` (may be NULL). */
void kw_result_patch(struct kw_result *res, enum kw_patch_kind op, const char *path,
                     const char *from, json_t *value_stolen);

/* Marks the object undecodable (code 400 denial); first message wins. */
void kw_result_bad_request(struct kw_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "Invalid value", "Required value", ... */
const char *kw_cause_word(enum kw_cause_type type);
/* "FieldValueInvalid", ... (metav1.CauseType) */
const char *kw_cause_reason(enum kw_cause_type type);
/* The cause message without the field: `Invalid value: "-x": detail`.
 * Returns a malloc'd string or NULL on allocation failure. */
char *kw_cause_body(const struct kw_cause *cause);

/* Renders a string the way Kubernetes quotes a bad value: byte for byte Go's
 * strconv.Quote (%q), Unicode tables of the Go release named in
 * validators/decision/printable.c. malloc'd; NULL on allocation failure.
 * kw_quote_len takes `len` bytes, NUL bytes included. */
char *kw_quote(const char *s);
char *kw_quote_len(const char *s, size_t len);
/* kw_quote cut to at most `max` bytes (at least 5) when longer: whole escapes
 * and runes, then `..."`. malloc'd; NULL on allocation failure. */
char *kw_quote_cut(const char *s, size_t max);

/* Copies `text` into one warning line: control characters and newlines
 * become spaces, runs of blanks collapse, ends are trimmed. malloc'd. */
char *kw_clean_line(const char *text);

#endif
