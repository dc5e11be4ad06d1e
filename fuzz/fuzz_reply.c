/* Fuzz target: the reply encoder. The input describes a review and a
 * decision (strings with any bytes, causes, raw warnings, patch operations
 * with any JSON values); the reply written directly by kw_review_encode must
 * be byte for byte the reply of the tree-building reference encoder
 * (tests/support/review_reference.c), both must fail alike, and a reply must
 * parse with json_loadb.
 *
 * Input: one flags byte, then fields separated by NUL bytes: uid, name,
 * kind group, kind name, then records. A record's first byte says what it
 * is: 'c' a cause (type from the next byte, the field, then a field holding
 * the bad value), 'w' a warning (the rest of the field, kept raw), 'p' a patch
 * operation (kind from the next byte, the path, then a field holding `from`
 * and one holding the value as JSON, a string when it is not JSON), 'b' a
 * bad request message. Flags: 1 /mutate, 2 v1beta1, 4 DELETE, 8 out of
 * memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/review.h"
#include "review_reference.h"

struct fields {
    const char *at, *end; /* what is left of the input */
};

/* The next NUL-terminated field (copied, so it is a C string); "" at the
 * end of the input. The caller frees it. */
static char *next_field(struct fields *f)
{
    const char *nul = memchr(f->at, 0, (size_t)(f->end - f->at));
    size_t len = nul ? (size_t)(nul - f->at) : (size_t)(f->end - f->at);
    char *out = malloc(len + 1);
    if (!out)
        abort();
    memcpy(out, f->at, len);
    out[len] = 0;
    f->at += nul ? len + 1 : len;
    return out;
}

static json_t *value_of(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    return v ? v : json_stringn_nocheck(text, strlen(text));
}

static void add_record(struct kw_result *res, const char *rec, struct fields *f)
{
    unsigned sel = rec[0] ? (unsigned char)rec[1] : 0;
    const char *rest = rec[0] && rec[1] ? rec + 2 : "";
    switch (rec[0]) {
    case 'c': {
        char *value = next_field(f);
        kw_result_cause(res, (enum kw_cause_type)(sel % 8), KW_RULE_IDENTITY_INVALID, rest,
                        value[0] ? value : NULL, "%s", rest);
        free(value);
        break;
    }
    case 'w':
        kw_result_warn(res, KW_RULE_COPYMETHOD_DEFAULTED, "w");
        if (res->nwarnings > 0) {
            free(res->warnings[res->nwarnings - 1].text);
            res->warnings[res->nwarnings - 1].text = strdup(rec + 1);
        }
        break;
    case 'p': {
        char *from = next_field(f);
        char *value = next_field(f);
        kw_result_patch(res, (enum kw_patch_kind)(sel % 6), rest, from[0] ? from : NULL,
                        sel & 0x80 ? NULL : value_of(value));
        free(from);
        free(value);
        break;
    }
    case 'b':
        kw_result_bad_request(res, "%s", rec + 1);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned flags = data[0];
    struct fields f = {(const char *)data + 1, (const char *)data + size};
    char *uid = next_field(&f), *name = next_field(&f);
    char *group = next_field(&f), *kind = next_field(&f);
    struct kw_review rv = {
        .api_version = flags & 2 ? "admission.k8s.io/v1beta1" : "admission.k8s.io/v1",
        .uid = uid,
        .kind_group = group,
        .kind_name = kind,
        .kind = kw_kind_of(group, kind),
        .op = flags & 4 ? KW_OP_DELETE : KW_OP_CREATE,
        .name = name,
    };
    struct kw_result res;
    kw_result_init(&res);
    res.out_of_memory = (flags & 8) != 0;
    for (int records = 0; f.at < f.end && records < 64; records++) {
        char *rec = next_field(&f);
        add_record(&res, rec, &f);
        free(rec);
    }
    size_t want_len = 0, got_len = 0;
    char *want = kwt_review_encode_reference(&rv, &res, flags & 1, &want_len);
    char *got = kw_review_encode(&rv, &res, flags & 1, &got_len);
    if (!want != !got || (want && (want_len != got_len || memcmp(want, got, got_len) != 0)))
        abort();
    if (got) {
        json_t *doc = json_loadb(got, got_len, 0, NULL);
        if (!doc)
            abort();
        json_decref(doc);
    }
    free(want);
    free(got);
    kw_result_free(&res);
    free(uid);
    free(name);
    free(group);
    free(kind);
    return 0;
}
