/* Tree validator against text validator: see schema_oracle.h. Also compiled
 * into the fuzz target fuzz/fuzz_policy.c. */
#include "schema_oracle.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/json.h"
#include "kw/schema/stream.h"

__attribute__((format(printf, 3, 4))) static int oracle_fail(char *why, size_t whylen,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_results(const struct kw_result *tree, const struct kw_result *text, char *why,
                        size_t whylen)
{
    for (size_t i = 0; i < tree->ncauses || i < text->ncauses; i++) {
        if (i >= tree->ncauses || i >= text->ncauses)
            return oracle_fail(why, whylen, "%zu causes from the tree, %zu from the text",
                               tree->ncauses, text->ncauses);
        const struct kw_cause *a = &tree->causes[i], *b = &text->causes[i];
        if (a->type != b->type || a->rule_id != b->rule_id || !same_str(a->field, b->field) ||
            !same_str(a->value, b->value) || !same_str(a->detail, b->detail))
            return oracle_fail(
                why, whylen, "cause %zu: tree {%d %s %s %s %s}, text {%d %s %s %s %s}", i,
                (int)a->type, kw_rule_id_string(a->rule_id), a->field, a->value ? a->value : "-",
                a->detail, (int)b->type, kw_rule_id_string(b->rule_id), b->field,
                b->value ? b->value : "-", b->detail);
    }
    for (size_t i = 0; i < tree->nwarnings || i < text->nwarnings; i++) {
        if (i >= tree->nwarnings || i >= text->nwarnings)
            return oracle_fail(why, whylen, "%zu warnings from the tree, %zu from the text",
                               tree->nwarnings, text->nwarnings);
        const struct kw_warning *a = &tree->warnings[i], *b = &text->warnings[i];
        if (a->rule_id != b->rule_id || !same_str(a->text, b->text))
            return oracle_fail(why, whylen, "warning %zu: tree [%s] %s, text [%s] %s", i,
                               kw_rule_id_string(a->rule_id), a->text,
                               kw_rule_id_string(b->rule_id), b->text);
    }
    if (tree->out_of_memory != text->out_of_memory)
        return oracle_fail(why, whylen, "out_of_memory differs");
    return 0;
}

static int count_key(void *ud, const struct kw_json_token *t)
{
    if (t->ev == KW_JSON_KEY)
        ++*(size_t *)ud;
    return 0;
}

static size_t tree_keys(const json_t *v)
{
    size_t n = 0, i;
    const char *k;
    json_t *item;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, item) n += 1 + tree_keys(item);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) n += tree_keys(item);
    }
    return n;
}

static int compare_valid(const struct kw_schema *schema, const json_t *tree_doc, const char *buf,
                         size_t len, const char *path, char *why, size_t whylen)
{
    struct kw_result tree, text;
    kw_result_init(&tree);
    kw_result_init(&text);
    kw_schema_validate(schema, tree_doc, path, &tree);
    struct kw_json_error err;
    int rc = kw_schema_validate_text(schema, buf, len, path, KW_TEXT_AS_TREE, &text, &err, NULL);
    int out = rc != 0
                  ? oracle_fail(why, whylen, "the text validator rejects valid JSON: %s", err.text)
                  : same_results(&tree, &text, why, whylen);
    kw_result_free(&tree);
    kw_result_free(&text);
    return out;
}

static int compare_invalid(const struct kw_schema *schema, const struct kw_json_error *derr,
                           const char *buf, size_t len, const char *path, char *why, size_t whylen)
{
    struct kw_result text;
    kw_result_init(&text);
    kw_result_warn(&text, KW_RULE_UNKNOWN_FIELD, "a finding from before");
    struct kw_json_error err;
    int rc = kw_schema_validate_text(schema, buf, len, path, KW_TEXT_AS_TREE, &text, &err, NULL);
    int out = 0;
    if (rc != -1)
        out = oracle_fail(why, whylen, "the text validator accepts invalid JSON (%s)", derr->text);
    else if (err.line != derr->line || err.column != derr->column ||
             err.position != derr->position || strcmp(err.text, derr->text) != 0)
        out = oracle_fail(why, whylen, "error %zu:%zu@%zu %s, decoder %zu:%zu@%zu %s", err.line,
                          err.column, err.position, err.text, derr->line, derr->column,
                          derr->position, derr->text);
    else if (text.ncauses != 0 || text.nwarnings != 1)
        out = oracle_fail(why, whylen, "findings of a rejected document were kept");
    kw_result_free(&text);
    return out;
}

int kw_schema_oracle_check(const struct kw_schema *schema, const char *buf, size_t len,
                           const char *path, char *why, size_t whylen)
{
    struct kw_json_error derr;
    json_t *doc = kw_json_decode_document(buf, len, &derr);
    if (!doc)
        return compare_invalid(schema, &derr, buf, len, path, why, whylen);
    size_t scanned = 0;
    kw_json_scan_document(buf, len, count_key, &scanned, NULL);
    int out;
    if (scanned == tree_keys(doc)) {
        out = compare_valid(schema, doc, buf, len, path, why, whylen);
    } else {
        /* Repeated keys: compare on the re-encoding, which keeps the last
         * values only, and require the original to be accepted. */
        char *again = json_dumps(doc, JSON_COMPACT);
        out = again ? compare_valid(schema, doc, again, strlen(again), path, why, whylen)
                    : oracle_fail(why, whylen, "json_dumps failed");
        free(again);
        struct kw_result text;
        kw_result_init(&text);
        if (out == 0 &&
            kw_schema_validate_text(schema, buf, len, path, KW_TEXT_AS_TREE, &text, NULL, NULL))
            out = oracle_fail(why, whylen, "the text validator rejects valid JSON");
        kw_result_free(&text);
    }
    json_decref(doc);
    return out;
}
