/* Test helper: one object through kw_handle() as the API server sends it
 * (an admission.k8s.io/v1 AdmissionReview), with the response decoded: the
 * allowed flag, warnings, rule ids and the RFC 6902 patch, and a helper that
 * applies that patch the way the API server does. Failures abort the test. */
#ifndef KW_TEST_ADMISSION_H
#define KW_TEST_ADMISSION_H

#include <jansson.h>
#include <stdbool.h>

#include "kw/admission/core.h"

struct kwt_admission {
    json_t *doc; /* the whole response document; owned */
    bool allowed;
    json_t *patch;             /* decoded JSONPatch array, NULL when none; owned */
    json_t *warnings;          /* response.warnings (borrowed from doc), NULL when none */
    struct kw_summary summary; /* rule ids of denials and warnings */
};

/* The configuration the tests run the webhooks with: what `serve` uses
 * without a config file. Every test that goes through kw_handle starts here,
 * so anything the validators need from the config is set in one place. */
void kwt_config(struct kw_config *cfg);

/* Sends `object` (and `old_object`, may be NULL; both borrowed) as a
 * `kind` (ReplicationSource, ReplicationDestination, ...) `operation`
 * (CREATE, UPDATE) request named `name` in `ns` ("" leaves the field out) to
 * `hook`. Free with kwt_admission_free. */
void kwt_admit(const struct kw_config *cfg, enum kw_webhook hook, const char *kind,
               const char *operation, const char *name, const char *ns, const json_t *object,
               const json_t *old_object, struct kwt_admission *out);
void kwt_admission_free(struct kwt_admission *a);

/* The object after the admission's patch (a new reference; a deep copy of
 * `object` when there is no patch). Fails the test when the patch does not
 * apply. */
json_t *kwt_patched(const json_t *object, const struct kwt_admission *a);

/* Number of warnings with this rule id. */
size_t kwt_warn_count(const struct kwt_admission *a, enum kw_rule_id rule_id);

#endif
