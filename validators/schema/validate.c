/* The tree validator (kw_schema_validate, include/kw/schema/schema.h): walks
 * a jansson value and the compiled nodes (validators/schema/internal.h)
 * together in one pass, producing Kubernetes-style causes and unknown-field
 * warnings. The checks and their wording are shared with the text validator
 * (messages.c, scalar.c); this file walks the tree and reports.
 *
 * Per validation the only allocations are the field path when it outgrows
 * its inline buffer, one PCRE2 match block the first time a pattern is
 * matched, and the causes/warnings themselves. */
#include "kw/schema/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/fieldpath.h"
#include "kw/formats/formats.h"
#include "internal.h"

struct walk {
    const struct kw_schema *schema;
    const struct kw_schema_context *ctx; /* may be NULL */
    struct kw_result *res;
    struct kw_fieldpath path;
    pcre2_match_data *match; /* created on the first pattern match */
    size_t nunknown;         /* unknown fields seen (warned up to the cap) */
};

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static unsigned type_bits(const struct walk *w, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return T_OBJECT;
    case JSON_ARRAY:
        return T_ARRAY;
    case JSON_STRING:
        return T_STRING;
    case JSON_INTEGER:
        return T_INTEGER | T_NUMBER;
    case JSON_REAL:
        return T_NUMBER |
               (w->schema->integral_reals && kw_schema_integral_real(json_real_value(v)) ? T_INTEGER
                                                                                         : 0);
    case JSON_TRUE:
    case JSON_FALSE:
        return T_BOOLEAN;
    default:
        return 0;
    }
}

/* The scalar view of a string or number (see internal.h). */
static struct scalar scalar_of(const json_t *v)
{
    if (json_is_string(v))
        return (struct scalar){
            .kind = SCALAR_STRING, .text = json_string_value(v), .len = json_string_length(v)};
    if (json_is_integer(v))
        return (struct scalar){.kind = SCALAR_INTEGER, .integer = json_integer_value(v)};
    if (json_is_real(v))
        return (struct scalar){.kind = SCALAR_REAL, .real = json_real_value(v)};
    return (struct scalar){.kind = SCALAR_OTHER};
}

/* ---- reporting ------------------------------------------------------ */

/* Appends a cause whose detail is `detail_owned` (NULL: out of memory). */
static void cause_owned(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule,
                        const char *value, char *detail_owned)
{
    if (!detail_owned) {
        w->res->out_of_memory = true;
        return;
    }
    kw_result_cause(w->res, type, rule, w->path.buf, value, "%s", detail_owned);
    free(detail_owned);
}

/* Appends a warning whose text is `text_owned` (NULL: out of memory). */
static void warn_owned(struct walk *w, enum kw_rule_id rule, char *text_owned)
{
    kw_result_warn_owned(w->res, rule, text_owned);
}

static void report_type(struct walk *w, const struct node *n, const json_t *v)
{
    const char *actual = json_type_name(v);
    char *detail = kw_schema_type_message(w->path.buf, n->types, actual);
    if (!detail) {
        w->res->out_of_memory = true;
        return;
    }
    kw_result_cause_str(w->res, KW_CAUSE_TYPE, w->schema->type_rule, w->path.buf, actual, "%s",
                        detail);
    free(detail);
}

/* Renders a scalar as Kubernetes shows a bad value (strings quoted). */
static void render_scalar(const json_t *v, char *buf, size_t len)
{
    if (json_is_number(v)) {
        struct scalar sv = scalar_of(v);
        kw_schema_render_number(&sv, buf, len);
    } else if (json_is_true(v))
        snprintf(buf, len, "true");
    else if (json_is_false(v))
        snprintf(buf, len, "false");
    else
        snprintf(buf, len, "%s", json_type_name(v));
}

static void cause_value(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule,
                        const json_t *v, const char *detail)
{
    if (json_is_string(v)) {
        kw_result_cause_str(w->res, type, rule, w->path.buf, json_string_value(v), "%s", detail);
    } else {
        char shown[48];
        render_scalar(v, shown, sizeof(shown));
        kw_result_cause(w->res, type, rule, w->path.buf, shown, "%s", detail);
    }
}

/* Reports a finding of messages.c about the value v. */
static void report(struct walk *w, enum kw_rule_id rule, const json_t *v, const struct finding *f)
{
    if (f->out_of_memory)
        w->res->out_of_memory = true;
    if (f->shows_value)
        cause_value(w, f->type, rule, v, f->detail);
    else
        kw_result_cause(w->res, f->type, rule, w->path.buf, NULL, "%s", f->detail);
}

/* ---- scalars -------------------------------------------------------- */

static bool enum_has(const struct node *n, const json_t *v)
{
    struct scalar sv = scalar_of(v);
    return kw_schema_in_enum(n, &sv);
}

static void check_number(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const json_t *v)
{
    struct scalar sv = scalar_of(v);
    struct finding f;
    if (kw_schema_check_bounds(w->schema, n, w->path.buf, &sv, NULL, &f))
        report(w, f.width && w->schema->width_rule != KW_RULE_NONE ? w->schema->width_rule : rule,
               v, &f);
}

static void check_string(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const json_t *v)
{
    const char *s = json_string_value(v);
    struct finding f;
    if (kw_schema_check_string(n, w->path.buf, s, json_string_length(v), s, &w->match, &f))
        report(w, rule, v, &f);
}

/* ---- containers ----------------------------------------------------- */

static void validate_node(struct walk *w, const struct node *n, const json_t *v,
                          enum kw_rule_id rule);

static void check_array(struct walk *w, const struct node *n, enum kw_rule_id rule, const json_t *v)
{
    size_t size = json_array_size(v);
    char count[24];
    snprintf(count, sizeof(count), "%zu", size);
    if (n->min_items >= 0 && size < (size_t)n->min_items)
        cause_owned(w, KW_CAUSE_INVALID, rule, count,
                    kw_schema_min_items_message(w->path.buf, n->min_items));
    if (n->max_items >= 0 && size > (size_t)n->max_items)
        cause_owned(w, KW_CAUSE_TOO_MANY, rule, count, kw_schema_max_items_message(n->max_items));
    if (!n->items)
        return;
    for (size_t i = 0; i < size; i++) {
        size_t mark = kw_fieldpath_push_index(&w->path, i);
        validate_node(w, n->items, json_array_get(v, i), rule);
        kw_fieldpath_pop(&w->path, mark);
    }
}

static void warn_unknown(struct walk *w, const struct node *n, const char *key,
                         const struct prop *other_variant)
{
    if (++w->nunknown > KW_SCHEMA_MAX_UNKNOWN_WARNINGS)
        return;
    warn_owned(w, w->schema->unknown_rule,
               kw_schema_unknown_message(w->path.buf, n, w->schema->variant, key, other_variant));
}

static void warn_ignored(struct walk *w, const struct prop *p)
{
    warn_owned(w, kw_schema_ignored_rule(w->schema), kw_schema_ignored_message(w->path.buf, p));
}

/* A present property that the version checked against lacks: warned, then
 * validated as usual (kw_schema_context). */
static void warn_version(struct walk *w, const struct prop *p)
{
    enum kw_rule_id rule =
        w->schema->version_rule != KW_RULE_NONE ? w->schema->version_rule : w->schema->unknown_rule;
    size_t mark = kw_fieldpath_push_field(&w->path, p->name);
    warn_owned(w, rule, kw_schema_version_message(w->path.buf, p, w->ctx));
    kw_fieldpath_pop(&w->path, mark);
}

static bool absent(const struct prop *p, const json_t *v)
{
    return !v || json_is_null(v) ||
           (p->empty_is_absent && json_is_string(v) && json_string_length(v) == 0);
}

static void check_other_variant(struct walk *w, const struct node *n, const struct prop *p)
{
    if (!p->other_variant_forbidden) {
        warn_unknown(w, n, p->name, p);
        return;
    }
    size_t mark = kw_fieldpath_push_field(&w->path, p->name);
    cause_owned(w, KW_CAUSE_FORBIDDEN, p->other_variant_rule, NULL,
                kw_schema_other_variant_message(p));
    kw_fieldpath_pop(&w->path, mark);
}

static void check_map_entry(struct walk *w, const struct node *n, enum kw_rule_id rule,
                            const char *key, const json_t *v)
{
    if (n->key_format != FMT_NONE) {
        char msg[KW_MSGLEN];
        if (!kw_schema_format_valid(n->key_format, key, msg, sizeof(msg)))
            kw_result_cause_str(w->res, KW_CAUSE_INVALID, rule, w->path.buf, key, "%s", msg);
    }
    if (n->additional) {
        size_t mark = kw_fieldpath_push_key(&w->path, key);
        validate_node(w, n->additional, v, rule);
        kw_fieldpath_pop(&w->path, mark);
    }
}

static void check_required(struct walk *w, const struct node *n, enum kw_rule_id rule,
                           const json_t *v)
{
    for (size_t i = 0; i < n->nrequired; i++) {
        const struct prop *p = &n->props[n->required[i]];
        if (!kw_schema_applies(p, w->schema->variant) ||
            !absent(p, json_object_getn(v, p->name, p->name_len)))
            continue;
        enum kw_rule_id r = p->required_rule != KW_RULE_NONE ? p->required_rule
                            : p->node->rule != KW_RULE_NONE  ? p->node->rule
                            : p->rule != KW_RULE_NONE        ? p->rule
                                                             : rule;
        size_t mark = kw_fieldpath_push_field(&w->path, p->name);
        kw_result_cause(w->res, KW_CAUSE_REQUIRED, r, w->path.buf, NULL, "%s",
                        p->required_message ? p->required_message : "");
        kw_fieldpath_pop(&w->path, mark);
    }
}

static void check_object(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const json_t *v)
{
    /* Each member is looked up once in the node's index (not every
     * property in the object), in the object's order, which is the order of
     * the messages. */
    for (void *it = json_object_iter((json_t *)v); it;
         it = json_object_iter_next((json_t *)v, it)) {
        const char *key = json_object_iter_key(it);
        json_t *item = json_object_iter_value(it);
        if (json_is_null(item))
            continue; /* null counts as absent */
        const struct prop *p =
            kw_schema_match_prop(w->schema, n, key, json_object_iter_key_len(it));
        if (p && !kw_schema_applies(p, w->schema->variant)) {
            check_other_variant(w, n, p);
        } else if (p && p->ignored) {
            warn_ignored(w, p);
        } else if (p) {
            if (absent(p, item))
                continue;
            if (kw_schema_outside_version(p, w->ctx))
                warn_version(w, p);
            if (p->warning)
                warn_owned(w, p->warning_rule, kw_schema_warning_message(w->path.buf, p));
            size_t mark = kw_fieldpath_push_field(&w->path, p->name); /* Kopia's spelling */
            validate_node(w, p->node, item, p->rule != KW_RULE_NONE ? p->rule : rule);
            kw_fieldpath_pop(&w->path, mark);
        } else if (n->additional || n->key_format != FMT_NONE) {
            check_map_entry(w, n, rule, key, item);
        } else if (n->unknown == UNKNOWN_WARN) {
            warn_unknown(w, n, key, NULL);
        }
    }
    check_required(w, n, rule, v);
}

static void validate_node(struct walk *w, const struct node *n, const json_t *v,
                          enum kw_rule_id inherited_rule)
{
    enum kw_rule_id rule = n->rule != KW_RULE_NONE ? n->rule : inherited_rule;
    if (n->types && !(type_bits(w, v) & n->types)) {
        report_type(w, n, v);
        return;
    }
    if (n->enum_values && !json_is_object(v) && !json_is_array(v) && !enum_has(n, v)) {
        cause_value(w, KW_CAUSE_UNSUPPORTED, rule, v, n->enum_detail);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        check_string(w, n, rule, v);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        check_number(w, n, rule, v);
        break;
    case JSON_ARRAY:
        check_array(w, n, rule, v);
        break;
    case JSON_OBJECT:
        check_object(w, n, rule, v);
        break;
    default:
        break;
    }
}

void kw_schema_validate(const struct kw_schema *schema, const json_t *value, const char *path,
                        struct kw_result *res)
{
    kw_schema_validate_in(schema, value, path, NULL, res);
}

void kw_schema_validate_in(const struct kw_schema *schema, const json_t *value, const char *path,
                           const struct kw_schema_context *ctx, struct kw_result *res)
{
    struct walk w = {.schema = schema, .ctx = ctx, .res = res};
    if (!value)
        return;
    kw_fieldpath_init(&w.path, path);
    validate_node(&w, schema->root, value, schema->default_rule);
    if (w.nunknown > KW_SCHEMA_MAX_UNKNOWN_WARNINGS)
        warn_owned(&w, schema->unknown_rule,
                   kw_schema_more_unknown_message(path, true,
                                                  w.nunknown - KW_SCHEMA_MAX_UNKNOWN_WARNINGS));
    if (w.path.out_of_memory)
        res->out_of_memory = true;
    if (w.match)
        pcre2_match_data_free(w.match);
    kw_fieldpath_free(&w.path);
}
