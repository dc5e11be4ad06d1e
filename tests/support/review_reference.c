/* The AdmissionReview reply encoder as it was before the reply was written
 * directly (validators/admission/review.c, kw_review_encode): a jansson tree
 * built with json_pack and json_object_set_new, dumped with JSON_COMPACT,
 * the patch dumped to text, base64'd and copied into a string. Kept, for the
 * tests only, as the reference the direct writer must match byte for byte
 * (tests/unit/test_review_writer.c); not linked into the product. */
#include "review_reference.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/patch.h"
#include "kw/json/util.h"

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

char *kwt_review_encode_reference(const struct kw_review *rv, const struct kw_result *res,
                                  bool with_patch, size_t *out_len)
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
