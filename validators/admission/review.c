/* AdmissionReview codec (SPEC §3): decodes admission.k8s.io/v1 and v1beta1
 * requests into struct kw_review, and encodes a kw_result as the response in
 * the version that was asked, with Kubernetes' Status for denials
 * (code/reason/message/details.causes), warnings and a base64 JSONPatch. */
#include "kw/admission/review.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"
#include "kw/json/json.h"
#include "kw/json/patch.h"
#include "kw/json/util.h"

#define API_V1      "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

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
    json_t *root = kw_json_decode_limited(body, len, max_values, &jerr);
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

static json_t *encode_causes(const struct kw_result *res)
{
    json_t *causes = json_array();
    for (size_t i = 0; causes && i < res->ncauses; i++) {
        const struct kw_cause *c = &res->causes[i];
        char *body = kw_cause_body(c);
        json_t *item = json_pack("{s:s, s:s, s:s}", "reason", kw_cause_reason(c->type), "field",
                                 c->field, "message", body ? body : "");
        free(body);
        if (!item || json_array_append_new(causes, item) != 0) {
            json_decref(causes);
            return NULL;
        }
    }
    return causes;
}

static json_t *encode_status(const struct kw_review *rv, const struct kw_result *res)
{
    char *message = kw_denial_message(rv, res);
    if (!message)
        return NULL;
    json_t *status;
    if (res->bad_request || (res->out_of_memory && !res->ncauses)) {
        int code = res->bad_request ? 400 : 500;
        status = json_pack("{s:{}, s:s, s:s, s:s, s:i}", "metadata", "status", "Failure", "message",
                           message, "reason", code == 400 ? "BadRequest" : "InternalError", "code",
                           code);
    } else {
        json_t *causes = encode_causes(res);
        status = causes
                     ? json_pack("{s:{}, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:o}, s:i}", "metadata",
                                 "status", "Failure", "message", message, "reason", "Invalid",
                                 "details", "name", rv->name ? rv->name : "", "group",
                                 rv->kind_group ? rv->kind_group : "", "kind",
                                 rv->kind_name ? rv->kind_name : "", "causes", causes, "code", 422)
                     : NULL;
    }
    free(message);
    return status;
}

static char *base64(const char *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
    return out;
}

static int add_patch(json_t *response, const struct kw_result *res)
{
    json_t *patch = kw_patch_to_json(res->ops, res->nops);
    if (!patch)
        return -1;
    char *text = kw_json_dump(patch, JSON_COMPACT, NULL);
    json_decref(patch);
    if (!text)
        return -1;
    char *b64 = base64(text, strlen(text));
    free(text);
    if (!b64)
        return -1;
    int rc = json_object_set_new(response, "patchType", json_string("JSONPatch"));
    rc |= json_object_set_new(response, "patch", json_string(b64));
    free(b64);
    return rc;
}

static int add_warnings(json_t *response, const struct kw_result *res)
{
    if (res->nwarnings == 0)
        return 0;
    json_t *list = json_array();
    if (!list)
        return -1;
    for (size_t i = 0; i < res->nwarnings; i++)
        if (json_array_append_new(list, json_string(res->warnings[i].text)) != 0) {
            json_decref(list);
            return -1;
        }
    return json_object_set_new(response, "warnings", list);
}

char *kw_review_encode(const struct kw_review *rv, const struct kw_result *res, bool with_patch,
                       size_t *out_len)
{
    bool denied = kw_result_denied(res);
    json_t *response = json_pack("{s:s, s:b}", "uid", rv->uid, "allowed", !denied);
    json_t *root = response ? json_pack("{s:s, s:s, s:o}", "apiVersion", rv->api_version, "kind",
                                        "AdmissionReview", "response", response)
                            : NULL;
    if (!root)
        return NULL;
    int rc = 0;
    if (denied) {
        json_t *status = encode_status(rv, res);
        rc = status ? json_object_set_new(response, "status", status) : -1;
    } else if (with_patch && res->nops > 0 && rv->op != KW_OP_DELETE) {
        rc = add_patch(response, res);
    }
    if (rc == 0)
        rc = add_warnings(response, res);
    char *text = rc == 0 ? kw_json_dump(root, JSON_COMPACT, out_len) : NULL;
    json_decref(root);
    return text;
}
