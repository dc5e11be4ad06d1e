/* kw_result: the decision about one object (causes, warnings, patch ops) and
 * the Kubernetes wording of field errors. Allocation failures set
 * out_of_memory, which denies the object: the core fails closed. */
#include "kw/decision/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"
#include "kw/base/format.h"

void kw_result_init(struct kw_result *res)
{
    memset(res, 0, sizeof(*res));
}

void kw_result_free(struct kw_result *res)
{
    for (size_t i = 0; i < res->ncauses; i++) {
        free(res->causes[i].field);
        free(res->causes[i].value);
        free(res->causes[i].detail);
    }
    for (size_t i = 0; i < res->nwarnings; i++)
        free(res->warnings[i].text);
    for (size_t i = 0; i < res->nops; i++) {
        free(res->ops[i].path);
        free(res->ops[i].from);
        json_decref(res->ops[i].value);
    }
    free(res->causes);
    free(res->warnings);
    free(res->ops);
    free(res->bad_request);
    memset(res, 0, sizeof(*res));
}

void kw_result_forget_values(struct kw_result *res)
{
    for (size_t i = 0; i < res->nops; i++)
        res->ops[i].value = NULL;
}

bool kw_result_denied(const struct kw_result *res)
{
    return res->ncauses > 0 || res->bad_request != NULL || res->out_of_memory;
}

static void clean_in_place(char *text);

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
    return kw_vasprintf(fmt, ap);
}

static void add_cause(struct kw_result *res, enum kw_cause_type type, enum kw_rule_id rule_id,
                      const char *field, char *value_owned, char *detail_owned)
{
    char *f = strdup(field ? field : "");
    if (!f || !detail_owned || KW_ARRAY_RESERVE(res->causes, res->causes_cap, res->ncauses + 1)) {
        free(f);
        free(value_owned);
        free(detail_owned);
        res->out_of_memory = true;
        return;
    }
    res->causes[res->ncauses++] = (struct kw_cause){
        .type = type, .rule_id = rule_id, .field = f, .value = value_owned, .detail = detail_owned};
}

void kw_result_cause(struct kw_result *res, enum kw_cause_type type, enum kw_rule_id rule_id,
                     const char *field, const char *value, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    char *v = NULL;
    if (value && !(v = strdup(value)))
        res->out_of_memory = true;
    add_cause(res, type, rule_id, field, v, detail);
}

void kw_result_cause_str(struct kw_result *res, enum kw_cause_type type, enum kw_rule_id rule_id,
                         const char *field, const char *bad_value, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    char *v = kw_quote(bad_value ? bad_value : "");
    if (!v)
        res->out_of_memory = true;
    add_cause(res, type, rule_id, field, v, detail);
}

void kw_result_warn_owned(struct kw_result *res, enum kw_rule_id rule_id, char *text_owned)
{
    if (text_owned)
        clean_in_place(text_owned); /* where it was formatted: no copy */
    if (!text_owned || KW_ARRAY_RESERVE(res->warnings, res->warnings_cap, res->nwarnings + 1)) {
        free(text_owned);
        res->out_of_memory = true;
        return;
    }
    res->warnings[res->nwarnings++] = (struct kw_warning){.rule_id = rule_id, .text = text_owned};
}

void kw_result_warn(struct kw_result *res, enum kw_rule_id rule_id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(fmt, ap);
    va_end(ap);
    kw_result_warn_owned(res, rule_id, text);
}

void kw_result_patch(struct kw_result *res, enum kw_patch_kind op, const char *path,
                     const char *from, json_t *value_stolen)
{
    char *p = strdup(path);
    char *f = from ? strdup(from) : NULL;
    if (!p || (from && !f) || KW_ARRAY_RESERVE(res->ops, res->ops_cap, res->nops + 1)) {
        free(p);
        free(f);
        json_decref(value_stolen);
        res->out_of_memory = true;
        return;
    }
    res->ops[res->nops++] =
        (struct kw_patch_op){.op = op, .path = p, .from = f, .value = value_stolen};
}

void kw_result_bad_request(struct kw_result *res, const char *fmt, ...)
{
    if (res->bad_request)
        return;
    va_list ap;
    va_start(ap, fmt);
    res->bad_request = vformat(fmt, ap);
    va_end(ap);
    if (!res->bad_request)
        res->out_of_memory = true;
}

static const struct {
    const char *word, *reason;
} cause_names[] = {
    [KW_CAUSE_INVALID] = {"Invalid value", "FieldValueInvalid"},
    [KW_CAUSE_REQUIRED] = {"Required value", "FieldValueRequired"},
    [KW_CAUSE_FORBIDDEN] = {"Forbidden", "FieldValueForbidden"},
    [KW_CAUSE_TOO_LONG] = {"Too long", "FieldValueTooLong"},
    [KW_CAUSE_TOO_MANY] = {"Too many", "FieldValueTooMany"},
    [KW_CAUSE_UNSUPPORTED] = {"Unsupported value", "FieldValueNotSupported"},
    [KW_CAUSE_DUPLICATE] = {"Duplicate value", "FieldValueDuplicate"},
    [KW_CAUSE_TYPE] = {"Invalid value", "FieldValueTypeInvalid"},
};

const char *kw_cause_word(enum kw_cause_type type)
{
    return cause_names[type].word;
}

const char *kw_cause_reason(enum kw_cause_type type)
{
    return cause_names[type].reason;
}

char *kw_cause_body(const struct kw_cause *c)
{
    const char *word = kw_cause_word(c->type);
    if (c->value && c->detail[0])
        return kw_asprintf("%s: %s: %s", word, c->value, c->detail);
    if (c->value)
        return kw_asprintf("%s: %s", word, c->value);
    if (c->detail[0])
        return kw_asprintf("%s: %s", word, c->detail);
    return kw_asprintf("%s", word);
}

/* Cleans `text` in place (the result is never longer): one pass, no copy. */
/* How many bytes at the start of text clean_in_place leaves as they are:
 * up to the first control byte, leading space, or space that another space,
 * a control byte or the end follows. Most texts are clean to their end. */
static size_t clean_prefix(const unsigned char *text)
{
    const unsigned char *p = text;
    if (*p == ' ')
        return 0;
    for (;; p++) {
        unsigned c = *p;
        if (c > ' ' && c != 0x7f)
            continue;
        if (c == ' ' && p[1] > ' ' && p[1] != 0x7f) {
            p++; /* a single space between words, and the byte after it */
            continue;
        }
        return (size_t)(p - text);
    }
}

static void clean_in_place(char *text)
{
    size_t o = clean_prefix((const unsigned char *)text);
    bool pending_space = false;
    for (const unsigned char *p = (const unsigned char *)text + o; *p; p++) {
        bool ctl = *p < 0x20 || *p == 0x7f;
        if (ctl || *p == ' ') {
            pending_space = o > 0;
            continue;
        }
        if (pending_space)
            text[o++] = ' ';
        pending_space = false;
        text[o++] = (char)*p;
    }
    text[o] = 0;
}

char *kw_clean_line(const char *text)
{
    char *out = strdup(text);
    if (out)
        clean_in_place(out);
    return out;
}
