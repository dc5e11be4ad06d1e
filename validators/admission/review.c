/* AdmissionReview codec (SPEC §3): decodes admission.k8s.io/v1 and v1beta1
 * requests into struct kw_review, and encodes a kw_result as the response in
 * the version that was asked, with Kubernetes' Status for denials
 * (code/reason/message/details.causes), warnings and a base64 JSONPatch.
 * The reply is written as JSON text straight into one buffer
 * (kw/json/writer.h), with no jansson tree; its bytes are those the former
 * tree-and-dump encoder gave, which tests/unit/test_review_writer.c checks
 * against that encoder kept in tests/support/review_reference.c. */
#include "kw/admission/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"
#include "kw/json/json.h"
#include "kw/json/patch.h"
#include "kw/json/util.h"
#include "kw/json/writer.h"

#define API_V1      "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

/* The members of a review that nothing reads: no rule, log line, patch or
 * reply looks at them, so the decoder validates and counts them but builds
 * no values for them (kw_json_decode_pruned). What is read, and where:
 *   request: uid, kind, operation, name, namespace, subResource, dryRun,
 *     resource and userInfo.username (logs), object, oldObject (below);
 *   object: metadata (name, namespace, labels, annotations,
 *     deletionTimestamp), spec, and a ConfigMap's or Secret's data,
 *     binaryData, stringData (admission/core.c, kopia/);
 *   oldObject: the same members for UPDATE comparisons, and
 *     status.lastSyncTime (kopia/update.c, kopia/mutate.c: "has synced").
 * A rule that starts reading one of these members must leave this table. */
#define N KW_JSON_NAME
const struct kw_json_prune kw_review_unread[] = {
    {.path = {N("request"), N("options")}},         /* Create/Update/DeleteOptions */
    {.path = {N("request"), N("requestKind")}},     /* the kind as the client asked for it */
    {.path = {N("request"), N("requestResource")}}, /* ... and its resource */
    {.path = {N("request"), N("requestSubResource")}},
    {.path = {N("request"), N("userInfo")}, .keep = {N("username")}}, /* uid, groups, extra */
    {.path = {N("request"), N("object"), N("status")}},
    {.path = {N("request"), N("object"), N("metadata"), N("managedFields")}},
    {.path = {N("request"), N("oldObject"), N("status")}, .keep = {N("lastSyncTime")}},
    {.path = {N("request"), N("oldObject"), N("metadata"), N("managedFields")}},
};
#undef N
const size_t kw_review_unread_count = sizeof kw_review_unread / sizeof kw_review_unread[0];
_Static_assert(sizeof kw_review_unread / sizeof kw_review_unread[0] <= KW_JSON_PRUNE_MAX,
               "kw_json_decode_pruned applies at most KW_JSON_PRUNE_MAX rules");

/* Reads an optional string member; -1 when present with another type. */
static int optional_string(const json_t *obj, const char *key, const char **out)
{
    json_t *v = kw_obj_get(obj, key);
    if (!v) {
        *out = "";
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

static int fail(char err[KW_ERRLEN], const char *msg)
{
    snprintf(err, KW_ERRLEN, "%s", msg);
    return -1;
}

static int decode_kind(const json_t *request, struct kw_review *rv, char err[KW_ERRLEN])
{
    json_t *kind = kw_obj_get(request, "kind");
    if (!json_is_object(kind))
        return fail(err, "request.kind must be an object with group, version and kind");
    if (optional_string(kind, "group", &rv->kind_group) ||
        optional_string(kind, "version", &rv->kind_version) ||
        optional_string(kind, "kind", &rv->kind_name) || !rv->kind_name[0])
        return fail(err, "request.kind must be an object with group, version and kind");
    rv->kind = kw_kind_of(rv->kind_group, rv->kind_name);
    return 0;
}

/* A string member, or "" when absent or of another type. */
static const char *string_or_empty(const json_t *obj, const char *key)
{
    const char *v = kw_obj_str(obj, key);
    return v ? v : "";
}

/* What logs say about who asked for what: request.resource and
 * request.userInfo.username. Lenient (never a reason to refuse a review):
 * nothing is decided by them. */
static void decode_log_fields(const json_t *request, struct kw_review *rv)
{
    const json_t *res = kw_obj_get(request, "resource");
    rv->resource_group = string_or_empty(res, "group");
    rv->resource_version = string_or_empty(res, "version");
    rv->resource = string_or_empty(res, "resource");
    rv->user = string_or_empty(kw_obj_get(request, "userInfo"), "username");
}

static int decode_request(json_t *request, struct kw_review *rv, char err[KW_ERRLEN])
{
    const char *uid = kw_obj_str(request, "uid");
    if (!uid || !uid[0])
        return fail(err, "request.uid is required");
    rv->uid = uid;
    if (decode_kind(request, rv, err))
        return -1;
    const char *op = kw_obj_str(request, "operation");
    if (!op || !op[0])
        return fail(err, "request.operation is required");
    rv->operation = op;
    rv->op = kw_operation_of(op);
    if (optional_string(request, "name", &rv->name) ||
        optional_string(request, "namespace", &rv->namespace) ||
        optional_string(request, "subResource", &rv->subresource))
        return fail(err, "request.name, request.namespace and request.subResource must be strings");
    decode_log_fields(request, rv);
    json_t *dry = kw_obj_get(request, "dryRun");
    if (dry && !json_is_boolean(dry))
        return fail(err, "request.dryRun must be a boolean");
    rv->dry_run = json_is_true(dry);
    rv->object = kw_obj_get(request, "object");
    rv->old_object = kw_obj_get(request, "oldObject");
    /* The API server always sends request.name/namespace; objects read from
     * files (check) carry them only in metadata. */
    json_t *meta = kw_obj_get(rv->object, "metadata");
    if (!rv->name[0] && kw_obj_str(meta, "name"))
        rv->name = kw_obj_str(meta, "name");
    if (!rv->namespace[0] && kw_obj_str(meta, "namespace"))
        rv->namespace = kw_obj_str(meta, "namespace");
    return 0;
}

/* The 413 texts: what was passed and which setting bounds it. */
static int too_complex(const struct kw_json_error *jerr, size_t max_values, char err[KW_ERRLEN])
{
    if (jerr->failure == KW_JSON_FAIL_TOO_COMPLEX)
        snprintf(err, KW_ERRLEN,
                 "request too complex: more than %zu values (limit --max-request-values)",
                 max_values);
    else
        snprintf(err, KW_ERRLEN,
                 "request too complex: its values need more memory than one request may use "
                 "(limit --request-memory-bytes)");
    return KW_REVIEW_TOO_COMPLEX;
}

int kw_review_decode(const char *body, size_t len, struct kw_review *out, char err[KW_ERRLEN])
{
    return kw_review_decode_limited(body, len, 0, out, err) == 0 ? 0 : -1;
}

int kw_review_decode_limited(const char *body, size_t len, size_t max_values, struct kw_review *out,
                             char err[KW_ERRLEN])
{
    memset(out, 0, sizeof(*out));
    struct kw_json_error jerr;
    json_t *root = kw_json_decode_pruned(body, len, max_values, kw_review_unread,
                                         kw_review_unread_count, &jerr);
    if (!root && jerr.failure != KW_JSON_FAIL_SYNTAX)
        return too_complex(&jerr, max_values, err);
    if (!root) {
        /* The decoder quotes the text near the error; a review may carry a
         * Secret, so the reply and the logs get the position only. */
        char *near = strstr(jerr.text, " near ");
        if (near)
            *near = 0;
        snprintf(err, KW_ERRLEN, "request body is not valid JSON: line %zu, column %zu: %s",
                 jerr.line, jerr.column, jerr.text);
        return -1;
    }
    out->root = root;
    const char *api = kw_obj_str(root, "apiVersion");
    const char *kind = kw_obj_str(root, "kind");
    int rc = 0;
    if (!json_is_object(root))
        rc = fail(err, "request body must be a JSON object (an AdmissionReview)");
    else if (!api || (strcmp(api, API_V1) != 0 && strcmp(api, API_V1BETA1) != 0))
        rc = fail(err, "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1");
    else if (!kind || strcmp(kind, "AdmissionReview") != 0)
        rc = fail(err, "kind must be AdmissionReview");
    else if (!json_is_object(kw_obj_get(root, "request")))
        rc = fail(err, "request is required");
    if (rc == 0) {
        out->api_version = api;
        rc = decode_request(kw_obj_get(root, "request"), out, err);
    }
    if (rc != 0) {
        json_decref(root);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

void kw_review_free(struct kw_review *rv)
{
    json_decref(rv->root);
    memset(rv, 0, sizeof(*rv));
}

static const char *qualified_kind(const struct kw_review *rv)
{
    if (rv->kind != KW_KIND_OTHER)
        return kw_kind_qualified(rv->kind);
    return rv->kind_name ? rv->kind_name : "object";
}

/* One "field: body" line per cause, as Kubernetes' field.Error.Error(). */
static char *cause_line(const struct kw_cause *c)
{
    char *body = kw_cause_body(c);
    char *line = NULL;
    if (body && asprintf(&line, "%s: %s", c->field, body) < 0)
        line = NULL;
    free(body);
    return line;
}

char *kw_denial_message(const struct kw_review *rv, const struct kw_result *res)
{
    if (res->out_of_memory && !res->bad_request && !res->ncauses)
        return strdup("the webhook ran out of memory while evaluating the object");
    if (res->bad_request)
        return strdup(res->bad_request);
    /* Kubernetes' NewInvalid: `Kind.group "name" is invalid: [e1, e2]`. */
    struct kw_dynbuf msg;
    kw_dynbuf_init(&msg, KW_DYNBUF_UNLIMITED);
    char *quoted = kw_quote(rv->name ? rv->name : "");
    int rc = kw_dynbuf_appendf(&msg, "%s %s is invalid: %s", qualified_kind(rv),
                               quoted ? quoted : "\"\"", res->ncauses > 1 ? "[" : "");
    free(quoted);
    for (size_t i = 0; rc == KW_DYNBUF_OK && i < res->ncauses; i++) {
        char *line = cause_line(&res->causes[i]);
        rc = line ? kw_dynbuf_appendf(&msg, "%s%s", i ? ", " : "", line) : KW_DYNBUF_NO_MEMORY;
        free(line);
    }
    if (rc == KW_DYNBUF_OK && res->ncauses > 1)
        rc = kw_dynbuf_append(&msg, "]", 1);
    if (rc != KW_DYNBUF_OK) {
        kw_dynbuf_free(&msg);
        return NULL;
    }
    return kw_dynbuf_take(&msg, NULL);
}

/* Status.details.causes: one {reason, field, message} per field error. */
static void write_causes(struct kw_json_writer *w, const struct kw_result *res)
{
    kw_json_write_array_begin(w);
    for (size_t i = 0; i < res->ncauses && kw_json_writer_status(w) == KW_JSON_WRITER_OK; i++) {
        const struct kw_cause *c = &res->causes[i];
        char *body = kw_cause_body(c);
        kw_json_write_object_begin(w);
        kw_json_write_key(w, "reason");
        kw_json_write_string(w, kw_cause_reason(c->type));
        kw_json_write_key(w, "field");
        kw_json_write_string(w, c->field);
        kw_json_write_key(w, "message");
        kw_json_write_string(w, body ? body : "");
        kw_json_write_object_end(w);
        free(body);
    }
    kw_json_write_array_end(w);
}

/* Status.details: what was refused, and why field by field. */
static void write_details(struct kw_json_writer *w, const struct kw_review *rv,
                          const struct kw_result *res)
{
    kw_json_write_key(w, "details");
    kw_json_write_object_begin(w);
    kw_json_write_key(w, "name");
    kw_json_write_string(w, rv->name ? rv->name : "");
    kw_json_write_key(w, "group");
    kw_json_write_string(w, rv->kind_group ? rv->kind_group : "");
    kw_json_write_key(w, "kind");
    kw_json_write_string(w, rv->kind_name ? rv->kind_name : "");
    kw_json_write_key(w, "causes");
    write_causes(w, res);
    kw_json_write_object_end(w);
}

/* The Status of a denial: 400 for an object that cannot be decoded, 500
 * when memory ran out before any field error, else 422 with the causes. */
static void write_status(struct kw_json_writer *w, const struct kw_review *rv,
                         const struct kw_result *res)
{
    char *message = kw_denial_message(rv, res);
    if (!message) {
        kw_json_writer_fail(w, KW_JSON_WRITER_NO_MEMORY);
        return;
    }
    bool plain = res->bad_request || (res->out_of_memory && !res->ncauses);
    int code = res->bad_request ? 400 : plain ? 500 : 422;
    kw_json_write_object_begin(w);
    kw_json_write_key(w, "metadata");
    kw_json_write_object_begin(w);
    kw_json_write_object_end(w);
    kw_json_write_key(w, "status");
    kw_json_write_string(w, "Failure");
    kw_json_write_key(w, "message");
    kw_json_write_string(w, message);
    kw_json_write_key(w, "reason");
    kw_json_write_string(w, code == 400 ? "BadRequest" : code == 500 ? "InternalError" : "Invalid");
    if (!plain)
        write_details(w, rv, res);
    kw_json_write_key(w, "code");
    kw_json_write_integer(w, code);
    kw_json_write_object_end(w);
    free(message);
}

/* patchType and patch: the JSON Patch text is written into a scratch
 * buffer (under the reply's limit) and base64'd straight into the reply. */
static void write_patch(struct kw_json_writer *w, const struct kw_result *res)
{
    struct kw_dynbuf text;
    kw_dynbuf_init(&text, w->out->limit);
    struct kw_json_writer pw;
    kw_json_writer_init(&pw, &text);
    kw_patch_write(&pw, res->ops, res->nops);
    if (kw_json_writer_status(&pw) != KW_JSON_WRITER_OK) {
        kw_json_writer_fail(w, kw_json_writer_status(&pw));
    } else {
        kw_json_write_key(w, "patchType");
        kw_json_write_string(w, "JSONPatch");
        kw_json_write_key(w, "patch");
        kw_json_write_base64(w, kw_dynbuf_ptr(&text), kw_dynbuf_len(&text));
    }
    kw_dynbuf_free(&text);
}

static void write_warnings(struct kw_json_writer *w, const struct kw_result *res)
{
    if (res->nwarnings == 0)
        return;
    kw_json_write_key(w, "warnings");
    kw_json_write_array_begin(w);
    for (size_t i = 0; i < res->nwarnings; i++)
        kw_json_write_string(w, res->warnings[i].text);
    kw_json_write_array_end(w);
}

int kw_review_encode_into(const struct kw_review *rv, const struct kw_result *res, bool with_patch,
                          struct kw_dynbuf *out)
{
    struct kw_json_writer w;
    kw_json_writer_init(&w, out);
    bool denied = kw_result_denied(res);
    kw_json_write_object_begin(&w);
    kw_json_write_key(&w, "apiVersion");
    kw_json_write_string(&w, rv->api_version);
    kw_json_write_key(&w, "kind");
    kw_json_write_string(&w, "AdmissionReview");
    kw_json_write_key(&w, "response");
    kw_json_write_object_begin(&w);
    kw_json_write_key(&w, "uid");
    kw_json_write_string(&w, rv->uid);
    kw_json_write_key(&w, "allowed");
    kw_json_write_bool(&w, !denied);
    if (denied) {
        kw_json_write_key(&w, "status");
        write_status(&w, rv, res);
    } else if (with_patch && res->nops > 0 && rv->op != KW_OP_DELETE) {
        write_patch(&w, res);
    }
    write_warnings(&w, res);
    kw_json_write_object_end(&w);
    kw_json_write_object_end(&w);
    return kw_json_writer_status(&w);
}

/* Room for a typical reply, allocated once; a larger one grows. */
#define REPLY_FIRST_BYTES 1024

char *kw_review_encode(const struct kw_review *rv, const struct kw_result *res, bool with_patch,
                       size_t *out_len)
{
    struct kw_dynbuf out;
    kw_dynbuf_init(&out, KW_DYNBUF_UNLIMITED);
    if (kw_dynbuf_reserve(&out, REPLY_FIRST_BYTES) != KW_DYNBUF_OK ||
        kw_review_encode_into(rv, res, with_patch, &out) != KW_JSON_WRITER_OK) {
        kw_dynbuf_free(&out);
        return NULL;
    }
    return kw_dynbuf_take(&out, out_len);
}
