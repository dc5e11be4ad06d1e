/* Fuzz target for the policy JSON rules: every input is (1) checked by the
 * text validator and the tree validator against each embedded schema, which
 * must agree (tests/support/schema_oracle.c), and (2) validated as an inline
 * repositoryConfig, as a Secret's stringData and data (base64 of the input)
 * and as a ConfigMap's binaryData (the raw input, as if it were base64).
 * Any disagreement, crash or leak aborts, and so does an error message that
 * shows a value of the document (the seeds carry a marker in their values). */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/schema/schema.h"
#include "kw/kopia/validate.h"

/* The oracle is test support code; the fuzz build has no test library. */
#include "../tests/support/schema_oracle.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kw_schema_set *schemas;
static struct kw_config cfg;

static const char *const schema_names[] = {KW_SCHEMA_GLOBAL_POLICY, KW_SCHEMA_REPOSITORY_CONFIG,
                                           KW_SCHEMA_RS_SPEC, KW_SCHEMA_RD_SPEC};

/* A marker the inputs never produce by chance: a finding that contains it
 * quotes the document. */
#define MARKER "Zq9-policy-fuzz-marker"

static void no_marker(const struct kw_result *res)
{
    for (size_t i = 0; i < res->ncauses; i++)
        if (strstr(res->causes[i].detail, MARKER) ||
            (res->causes[i].value && strstr(res->causes[i].value, MARKER)))
            abort();
    /* Warnings show key names, which may be the marker once the fuzzer has
     * moved it into a key: they are not checked. */
}

static void validate_object(json_t *obj, enum kw_kind kind)
{
    struct kw_object_ctx ctx = {.cfg = &cfg, .kind = kind, .op = KW_OP_CREATE, .object = obj};
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_policy_object(&ctx, &res);
    no_marker(&res);
    kw_result_free(&res);
}

static void as_policy_objects(const char *text, size_t len)
{
    json_t *value = json_stringn_nocheck(text, len);
    json_t *secret =
        json_pack("{s:{s:O, s:O}}", "stringData", "global-policy.json", value, "x.json", value);
    char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (!secret || !b64)
        abort();
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)text, (int)len);
    json_object_set_new(secret, "data", json_pack("{s:s}", "repository.config", b64));
    validate_object(secret, KW_KIND_SECRET);
    json_t *configmap = json_pack("{s:{s:O}}", "binaryData", "global-policy.json", value);
    validate_object(configmap, KW_KIND_CONFIGMAP);
    json_decref(configmap);
    json_decref(secret);
    json_decref(value);
    free(b64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!schemas) {
        char err[512];
        schemas = kw_schema_set_load(err, sizeof(err));
        if (!schemas) {
            fprintf(stderr, "%s\n", err);
            abort();
        }
        kw_config_defaults(&cfg);
        cfg.schemas = schemas;
    }
    const char *text = (const char *)data;
    char why[2048];
    for (size_t i = 0; i < sizeof(schema_names) / sizeof(schema_names[0]); i++) {
        if (kw_schema_oracle_check(kw_schema_find(schemas, schema_names[i]), text, size, "spec",
                                   why, sizeof(why)) != 0) {
            fprintf(stderr, "%s: the validators disagree: %s\n", schema_names[i], why);
            abort();
        }
    }
    struct kw_object_ctx ctx = {.cfg = &cfg, .kind = KW_KIND_RS};
    json_t *inline_config = json_stringn_nocheck(text, size);
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_repository_config(&ctx, inline_config, "spec.kopia.policyConfig.repositoryConfig",
                                  &res);
    no_marker(&res);
    kw_result_free(&res);
    json_decref(inline_config);
    as_policy_objects(text, size);
    return 0;
}
