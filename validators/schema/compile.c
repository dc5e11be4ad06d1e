/* The schema compiler (include/kw/schema/schema.h): turns schema documents
 * (YAML data, format described in validators/kopia/schemas/kopia.yaml and
 * docs/rules.md) once into an immutable tree of nodes
 * (validators/schema/internal.h), with patterns compiled and JIT-compiled by
 * pcre2. The tree validator (validate.c) and the text validator (stream.c)
 * walk the result.
 *
 * Compiled state is read-only after kw_schema_set_add returns, so one set
 * serves every thread. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "kw/schema/schema.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"
#include "kw/schema/embedded.h"
#include "kw/decision/fieldpath.h"
#include "kw/formats/formats.h"
#include "kw/decision/rules.h"
#include "kw/json/yaml.h"
#include "internal.h"

/* ---- compiled form -------------------------------------------------- */

/* Node, property and schema structures: validators/schema/internal.h. */

static const char *const format_names[] = {
    [FMT_NONE] = "",
    [FMT_QUANTITY] = "quantity",
    [FMT_DATETIME] = "date-time",
    [FMT_CRON] = "cron",
    [FMT_DNS1123_SUBDOMAIN] = "dns1123-subdomain",
    [FMT_DNS1123_LABEL] = "dns1123-label",
    [FMT_LABEL_KEY] = "label-key",
    [FMT_LABEL_VALUE] = "label-value",
    [FMT_CONFIGMAP_KEY] = "configmap-key",
    [FMT_IDENTITY] = "identity",
    [FMT_ABSOLUTE_PATH] = "absolute-path",
    [FMT_INT32] = "int32",
    [FMT_INT64] = "int64",
};
#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

#define MAX_VARIANTS 16

struct kw_schema_set {
    json_t **docs;
    size_t ndocs, docs_cap;
    struct node **nodes;
    size_t nnodes, nodes_cap;
    struct kw_schema *schemas;
    size_t nschemas, schemas_cap;
    const char *variants[MAX_VARIANTS]; /* bit i = 1 << i */
    size_t nvariants;
};

/* ---- set bookkeeping ------------------------------------------------ */

struct kw_schema_set *kw_schema_set_new(void)
{
    return calloc(1, sizeof(struct kw_schema_set));
}

static void node_free(struct node *n)
{
    free(n->props);
    free(n->slots);
    free(n->required);
    free(n->stale);
    free(n->enum_detail);
    if (n->pattern)
        pcre2_code_free(n->pattern);
    free(n);
}

void kw_schema_set_free(struct kw_schema_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->nnodes; i++)
        node_free(set->nodes[i]);
    for (size_t i = 0; i < set->ndocs; i++)
        json_decref(set->docs[i]);
    free(set->nodes);
    free(set->docs);
    free(set->schemas);
    free(set);
}

const struct kw_schema *kw_schema_find(const struct kw_schema_set *set, const char *name)
{
    if (!set)
        return NULL;
    for (size_t i = 0; i < set->nschemas; i++)
        if (strcmp(set->schemas[i].name, name) == 0)
            return &set->schemas[i];
    return NULL;
}

/* ---- compiler ------------------------------------------------------- */

struct definition {
    const char *name;
    struct node *node;
};

struct compiler {
    struct kw_schema_set *set;
    const char *source;
    struct definition *defs;
    size_t ndefs;
    struct kw_fieldpath where; /* location inside the document, for errors */
    char *err;
    size_t errlen;
    bool failed;
    size_t first_node; /* nodes added by this document start here */
};

__attribute__((format(printf, 2, 3))) static void fail(struct compiler *cc, const char *fmt, ...)
{
    if (cc->failed)
        return;
    cc->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(cc->err, cc->errlen, "%s: %s: %s", cc->source, cc->where.len ? cc->where.buf : "(top)",
             msg);
}

static struct node *new_node(struct compiler *cc)
{
    struct kw_schema_set *s = cc->set;
    struct node *n = calloc(1, sizeof(*n));
    if (!n || KW_ARRAY_RESERVE(s->nodes, s->nodes_cap, s->nnodes + 1)) {
        free(n);
        fail(cc, "out of memory");
        return NULL;
    }
    n->min_items = n->max_items = n->min_length = n->max_length = -1;
    n->rule = KW_RULE_NONE; /* zero is a rule */
    s->nodes[s->nnodes++] = n;
    return n;
}

/* A rule named by its id in the document, resolved to the rule list once,
 * here: an id that is not in KW_RULE_LIST fails the compile. */
static enum kw_rule_id rule_id(struct compiler *cc, const json_t *v)
{
    if (!json_is_string(v)) {
        fail(cc, "a rule id must be a string");
        return KW_RULE_NONE;
    }
    enum kw_rule_id r = kw_rule_find(json_string_value(v));
    if (r == KW_RULE_NONE)
        fail(cc, "rule id \"%s\" is not in the rule table", json_string_value(v));
    return r;
}

static unsigned variant_bit(struct compiler *cc, const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0) {
        fail(cc, "a variant must be a non-empty string");
        return 0;
    }
    const char *name = json_string_value(v);
    struct kw_schema_set *s = cc->set;
    for (size_t i = 0; i < s->nvariants; i++)
        if (strcmp(s->variants[i], name) == 0)
            return 1u << i;
    if (s->nvariants == MAX_VARIANTS) {
        fail(cc, "more than %d variants", MAX_VARIANTS);
        return 0;
    }
    s->variants[s->nvariants] = name; /* borrowed from a document the set keeps */
    return 1u << s->nvariants++;
}

static enum format format_of(struct compiler *cc, const json_t *v)
{
    const char *name = json_string_value(v);
    for (size_t i = 1; name && i < NFORMATS; i++)
        if (strcmp(name, format_names[i]) == 0)
            return (enum format)i;
    fail(cc, "unknown format \"%s\"", name ? name : "(not a string)");
    return FMT_NONE;
}

static unsigned type_bit(struct compiler *cc, const json_t *v)
{
    const char *name = json_string_value(v);
    unsigned bit = kw_schema_type_bit(name);
    if (!bit)
        fail(cc, "unknown type \"%s\"", name ? name : "(not a string)");
    return bit;
}

static unsigned types_of(struct compiler *cc, const json_t *v)
{
    if (json_is_string(v))
        return type_bit(cc, v);
    if (!json_is_array(v) || json_array_size(v) == 0) {
        fail(cc, "type must be a type name or a non-empty list of them");
        return 0;
    }
    unsigned bits = 0;
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t) bits |= type_bit(cc, t);
    return bits;
}

static long long count_of(struct compiler *cc, const json_t *v)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        fail(cc, "must be a whole number >= 0");
        return -1;
    }
    return json_integer_value(v);
}

static bool bool_of(struct compiler *cc, const json_t *v)
{
    if (!json_is_boolean(v))
        fail(cc, "must be true or false");
    return json_is_true(v);
}

static void set_bound(struct compiler *cc, struct bound *b, const json_t *v)
{
    if (!json_is_integer(v)) {
        fail(cc, "bounds must be whole numbers");
        return;
    }
    b->set = true;
    b->i = json_integer_value(v);
}

static void compile_pattern(struct compiler *cc, struct node *n, const json_t *v)
{
    if (!json_is_string(v)) {
        fail(cc, "pattern must be a string");
        return;
    }
    int code;
    PCRE2_SIZE offset;
    n->pattern_src = json_string_value(v);
    n->pattern = pcre2_compile((PCRE2_SPTR)n->pattern_src, json_string_length(v), PCRE2_UTF, &code,
                               &offset, NULL);
    if (!n->pattern) {
        PCRE2_UCHAR text[160];
        pcre2_get_error_message(code, text, sizeof(text));
        fail(cc, "pattern does not compile at offset %zu: %s", (size_t)offset, (char *)text);
        return;
    }
    /* JIT where the platform has it; the interpreter otherwise. */
    (void)pcre2_jit_compile(n->pattern, PCRE2_JIT_COMPLETE);
}

static void compile_enum(struct compiler *cc, struct node *n, const json_t *v)
{
    if (!json_is_array(v) || json_array_size(v) == 0) {
        fail(cc, "enum must be a non-empty list");
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e) && !json_is_integer(e)) {
            fail(cc, "enum values must be strings or whole numbers");
            return;
        }
    }
    struct kw_dynbuf d;
    kw_dynbuf_init(&d, KW_DYNBUF_UNLIMITED);
    int rc = kw_dynbuf_appendf(&d, "supported values: ");
    json_array_foreach(v, i, e)
    {
        const char *sep = i ? ", " : "";
        if (rc == KW_DYNBUF_OK && json_is_string(e))
            rc = kw_dynbuf_appendf(&d, "%s\"%s\"", sep, json_string_value(e));
        else if (rc == KW_DYNBUF_OK)
            rc = kw_dynbuf_appendf(&d, "%s%lld", sep, (long long)json_integer_value(e));
    }
    char *detail = rc == KW_DYNBUF_OK ? kw_dynbuf_take(&d, NULL) : NULL;
    kw_dynbuf_free(&d);
    if (!detail) {
        fail(cc, "out of memory");
        return;
    }
    n->enum_values = v;
    n->enum_detail = detail;
}

static struct node *compile_node(struct compiler *cc, const json_t *spec, bool as_property);

static struct node *compile_child(struct compiler *cc, const char *keyword, const json_t *spec)
{
    size_t mark = kw_fieldpath_push_field(&cc->where, keyword);
    struct node *n = compile_node(cc, spec, false);
    kw_fieldpath_pop(&cc->where, mark);
    return n;
}

/* Keywords that describe a property's relation to its parent object rather
 * than its value; allowed next to $ref. */
static const char *const property_keywords[] = {"only",
                                                "otherVariant",
                                                "otherVariantRule",
                                                "emptyIsAbsent",
                                                "requiredRule",
                                                "requiredMessage",
                                                "ignored",
                                                "warning",
                                                "warningRule",
                                                "since",
                                                "until",
                                                "versionHint",
                                                NULL};

static bool is_property_keyword(const char *k)
{
    for (const char *const *p = property_keywords; *p; p++)
        if (strcmp(*p, k) == 0)
            return true;
    return false;
}

static int prop_cmp(const void *a, const void *b)
{
    return strcmp(((const struct prop *)a)->name, ((const struct prop *)b)->name);
}

static void compile_property(struct compiler *cc, struct prop *p, const char *name,
                             const json_t *spec)
{
    p->name = name;
    p->name_len = strlen(name);
    p->rule = p->other_variant_rule = p->required_rule = KW_RULE_NONE; /* zero is a rule */
    p->warning_rule = KW_RULE_NONE;
    size_t mark = kw_fieldpath_push_field(&cc->where, name);
    if (!json_is_object(spec)) {
        fail(cc, "a property must be a mapping");
        kw_fieldpath_pop(&cc->where, mark);
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v)
    {
        if (strcmp(k, "only") == 0) {
            p->variants = variant_bit(cc, v);
            p->variants_label = json_string_value(v);
        } else if (strcmp(k, "otherVariant") == 0) {
            const char *s = json_string_value(v);
            if (!s || (strcmp(s, "warn") != 0 && strcmp(s, "forbid") != 0))
                fail(cc, "otherVariant must be warn or forbid");
            p->other_variant_forbidden = s && strcmp(s, "forbid") == 0;
        } else if (strcmp(k, "otherVariantRule") == 0) {
            p->other_variant_rule = rule_id(cc, v);
        } else if (strcmp(k, "emptyIsAbsent") == 0) {
            p->empty_is_absent = bool_of(cc, v);
        } else if (strcmp(k, "requiredRule") == 0) {
            p->required_rule = rule_id(cc, v);
        } else if (strcmp(k, "requiredMessage") == 0) {
            p->required_message = json_string_value(v);
            if (!p->required_message)
                fail(cc, "requiredMessage must be a string");
        } else if (strcmp(k, "since") == 0 || strcmp(k, "until") == 0) {
            int code = kw_schema_version_code(json_string_value(v));
            if (code < 0)
                fail(cc, "%s must be a version \"major.minor\" written as a string", k);
            *(strcmp(k, "since") == 0 ? &p->since : &p->until) = code < 0 ? 0 : code;
        } else if (strcmp(k, "versionHint") == 0) {
            p->version_hint = json_string_value(v);
            if (!p->version_hint || !p->version_hint[0])
                fail(cc, "versionHint must be a non-empty text");
        } else if (strcmp(k, "warning") == 0) {
            p->warning = json_string_value(v);
            if (!p->warning || !p->warning[0])
                fail(cc, "warning must be a non-empty text");
        } else if (strcmp(k, "warningRule") == 0) {
            p->warning_rule = rule_id(cc, v);
        } else if (strcmp(k, "ignored") == 0) {
            p->ignored = json_string_value(v);
            if (!p->ignored || !p->ignored[0])
                fail(cc, "ignored must be a non-empty hint (what is read instead)");
        }
    }
    if (!p->warning != (p->warning_rule == KW_RULE_NONE))
        fail(cc, "warning and warningRule go together");
    if (p->since && p->until && p->since > p->until)
        fail(cc, "since is after until");
    if (p->other_variant_forbidden && (!p->variants || p->other_variant_rule == KW_RULE_NONE))
        fail(cc, "otherVariant: forbid needs only and otherVariantRule");
    if (json_object_get(spec, "$ref") && json_object_get(spec, "rule"))
        p->rule = rule_id(cc, json_object_get(spec, "rule"));
    p->node = compile_node(cc, spec, true);
    kw_fieldpath_pop(&cc->where, mark);
}

/* The hash index kw_schema_find_prop looks names up in (internal.h). */
static void index_properties(struct compiler *cc, struct node *n)
{
    if (n->nprops == 0)
        return;
    if (n->nprops >= UINT16_MAX) {
        fail(cc, "too many properties");
        return;
    }
    size_t nslots = 4;
    while (nslots < 2 * n->nprops)
        nslots *= 2;
    n->slots = calloc(nslots, sizeof(*n->slots));
    if (!n->slots) {
        fail(cc, "out of memory");
        return;
    }
    n->slot_mask = nslots - 1;
    for (size_t i = 0; i < n->nprops; i++) {
        size_t at = kw_schema_name_hash(n->props[i].name, n->props[i].name_len) & n->slot_mask;
        while (n->slots[at])
            at = (at + 1) & n->slot_mask;
        n->slots[at] = (uint16_t)(i + 1);
    }
}

/* The required properties in props order, for the presence check of every
 * object the node validates. */
static void list_required(struct compiler *cc, struct node *n)
{
    for (size_t i = 0; i < n->nprops; i++)
        n->nrequired += n->props[i].required;
    if (n->nrequired == 0)
        return;
    n->required = calloc(n->nrequired, sizeof(*n->required));
    if (!n->required) {
        fail(cc, "out of memory");
        return;
    }
    for (size_t i = 0, j = 0; i < n->nprops; i++)
        if (n->props[i].required)
            n->required[j++] = (uint16_t)i;
}

static void compile_properties(struct compiler *cc, struct node *n, const json_t *v)
{
    if (!json_is_object(v)) {
        fail(cc, "properties must be a mapping");
        return;
    }
    n->nprops = json_object_size(v);
    n->props = calloc(n->nprops ? n->nprops : 1, sizeof(*n->props));
    if (!n->props) {
        fail(cc, "out of memory");
        return;
    }
    size_t i = 0;
    const char *k;
    json_t *spec;
    json_object_foreach((json_t *)v, k, spec) compile_property(cc, &n->props[i++], k, spec);
    qsort(n->props, n->nprops, sizeof(*n->props), prop_cmp);
    index_properties(cc, n);
}

static void compile_required(struct compiler *cc, struct node *n, const json_t *v)
{
    if (!json_is_array(v)) {
        fail(cc, "required must be a list of property names");
        return;
    }
    size_t i;
    json_t *name;
    json_array_foreach(v, i, name)
    {
        const char *s = json_string_value(name);
        const struct prop *p = s ? kw_schema_find_prop(n, s, strlen(s)) : NULL;
        if (!p) {
            fail(cc, "required names an undeclared property");
            return;
        }
        n->props[p - n->props].required = true;
    }
}

static void compile_stale(struct compiler *cc, struct node *n, const json_t *v)
{
    if (!json_is_object(v)) {
        fail(cc, "staleNames must map a stale name to the field that replaced it");
        return;
    }
    n->nstale = json_object_size(v);
    n->stale = calloc(n->nstale ? n->nstale : 1, sizeof(*n->stale));
    if (!n->stale) {
        fail(cc, "out of memory");
        return;
    }
    size_t i = 0;
    const char *k;
    json_t *r;
    json_object_foreach((json_t *)v, k, r)
    {
        if (!json_is_string(r)) {
            fail(cc, "staleNames: the replacement of \"%s\" must be a string", k);
            return;
        }
        n->stale[i++] = (struct stale_name){k, json_string_value(r)};
    }
}

static struct node *resolve_ref(struct compiler *cc, const json_t *spec, bool as_property)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v)
    {
        if (strcmp(k, "$ref") != 0 && strcmp(k, "description") != 0 &&
            !(as_property && (is_property_keyword(k) || strcmp(k, "rule") == 0))) {
            fail(cc, "$ref cannot be combined with \"%s\"", k);
            return NULL;
        }
    }
    const char *name = json_string_value(json_object_get(spec, "$ref"));
    for (size_t i = 0; name && i < cc->ndefs; i++)
        if (strcmp(cc->defs[i].name, name) == 0)
            return cc->defs[i].node;
    fail(cc, "$ref names no definition (\"%s\")", name ? name : "(not a string)");
    return NULL;
}

/* Applies one value keyword to `n`; false when `k` is not one. */
static bool compile_keyword(struct compiler *cc, struct node *n, const char *k, const json_t *v)
{
    if (strcmp(k, "type") == 0)
        n->types = types_of(cc, v);
    else if (strcmp(k, "format") == 0)
        n->format = format_of(cc, v);
    else if (strcmp(k, "rule") == 0)
        n->rule = rule_id(cc, v);
    else if (strcmp(k, "properties") == 0)
        compile_properties(cc, n, v);
    else if (strcmp(k, "additionalProperties") == 0)
        n->additional = compile_child(cc, k, v);
    else if (strcmp(k, "keyFormat") == 0)
        n->key_format = format_of(cc, v);
    else if (strcmp(k, "unknownProperties") == 0) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "warn") != 0 && strcmp(s, "ignore") != 0))
            fail(cc, "unknownProperties must be warn or ignore");
        n->unknown = s && strcmp(s, "ignore") == 0 ? UNKNOWN_IGNORE : UNKNOWN_WARN;
    } else if (strcmp(k, "items") == 0)
        n->items = compile_child(cc, k, v);
    else if (strcmp(k, "minItems") == 0)
        n->min_items = count_of(cc, v);
    else if (strcmp(k, "maxItems") == 0)
        n->max_items = count_of(cc, v);
    else if (strcmp(k, "minLength") == 0)
        n->min_length = count_of(cc, v);
    else if (strcmp(k, "maxLength") == 0)
        n->max_length = count_of(cc, v);
    else if (strcmp(k, "pattern") == 0)
        compile_pattern(cc, n, v);
    else if (strcmp(k, "enum") == 0)
        compile_enum(cc, n, v);
    else if (strcmp(k, "minimum") == 0)
        set_bound(cc, &n->min, v);
    else if (strcmp(k, "maximum") == 0)
        set_bound(cc, &n->max, v);
    else if (strcmp(k, "exclusiveMinimum") == 0)
        n->min.exclusive = bool_of(cc, v);
    else if (strcmp(k, "exclusiveMaximum") == 0)
        n->max.exclusive = bool_of(cc, v);
    else if (strcmp(k, "required") == 0 || strcmp(k, "staleNames") == 0 ||
             strcmp(k, "description") == 0)
        ; /* required and staleNames need the properties: applied afterwards */
    else
        return false;
    return true;
}

static void check_node_consistency(struct compiler *cc, const struct node *n)
{
    if ((n->min.exclusive && !n->min.set) || (n->max.exclusive && !n->max.set))
        fail(cc, "exclusiveMinimum/exclusiveMaximum need minimum/maximum");
    if (n->format == FMT_QUANTITY && (n->types & ~(T_STRING | T_INTEGER)))
        fail(cc, "format quantity takes type integer and/or string");
    bool width = n->format == FMT_INT32 || n->format == FMT_INT64;
    if (width && n->types != T_INTEGER)
        fail(cc, "format %s takes type integer", format_names[n->format]);
    if (n->format != FMT_NONE && n->format != FMT_QUANTITY && !width && n->types != T_STRING)
        fail(cc, "format %s takes type string", format_names[n->format]);
    if (n->key_format != FMT_NONE && n->key_format != FMT_DNS1123_SUBDOMAIN &&
        n->key_format != FMT_DNS1123_LABEL && n->key_format != FMT_LABEL_KEY &&
        n->key_format != FMT_CONFIGMAP_KEY)
        fail(cc, "keyFormat must be a name format");
}

static void compile_into(struct compiler *cc, struct node *n, const json_t *spec, bool as_property)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v)
    {
        if (cc->failed)
            return;
        if (as_property && is_property_keyword(k))
            continue;
        size_t mark = kw_fieldpath_push_field(&cc->where, k);
        if (!compile_keyword(cc, n, k, v))
            fail(cc, "unknown keyword");
        kw_fieldpath_pop(&cc->where, mark);
    }
    json_t *req = json_object_get(spec, "required");
    if (req && !cc->failed)
        compile_required(cc, n, req);
    if (req && !cc->failed)
        list_required(cc, n);
    json_t *stale = json_object_get(spec, "staleNames");
    if (stale && !cc->failed)
        compile_stale(cc, n, stale);
    if (!cc->failed)
        check_node_consistency(cc, n);
}

static struct node *compile_node(struct compiler *cc, const json_t *spec, bool as_property)
{
    if (cc->failed)
        return NULL;
    if (!json_is_object(spec)) {
        fail(cc, "a schema node must be a mapping");
        return NULL;
    }
    if (json_object_get(spec, "$ref"))
        return resolve_ref(cc, spec, as_property);
    struct node *n = new_node(cc);
    if (n)
        compile_into(cc, n, spec, as_property);
    return n;
}

static void compile_definitions(struct compiler *cc, const json_t *defs)
{
    if (!defs)
        return;
    if (!json_is_object(defs)) {
        fail(cc, "definitions must be a mapping");
        return;
    }
    cc->defs = calloc(json_object_size(defs) + 1, sizeof(*cc->defs));
    if (!cc->defs) {
        fail(cc, "out of memory");
        return;
    }
    const char *k;
    json_t *v;
    /* Shells first, so definitions may refer to each other in any order. */
    json_object_foreach((json_t *)defs, k, v)
    {
        cc->defs[cc->ndefs].name = k;
        cc->defs[cc->ndefs++].node = new_node(cc);
    }
    size_t mark = kw_fieldpath_push_field(&cc->where, "definitions");
    size_t i = 0;
    json_object_foreach((json_t *)defs, k, v)
    {
        size_t m2 = kw_fieldpath_push_field(&cc->where, k);
        if (!json_is_object(v) || json_object_get(v, "$ref"))
            fail(cc, "a definition must be a schema node, not a bare $ref");
        else if (cc->defs[i].node)
            compile_into(cc, cc->defs[i].node, v, false);
        kw_fieldpath_pop(&cc->where, m2);
        i++;
    }
    kw_fieldpath_pop(&cc->where, mark);
}

static void compile_schema(struct compiler *cc, const char *name, const json_t *spec)
{
    struct kw_schema_set *s = cc->set;
    if (kw_schema_find(s, name)) {
        fail(cc, "schema \"%s\" is defined twice", name);
        return;
    }
    if (!json_is_object(spec)) {
        fail(cc, "a schema must be a mapping");
        return;
    }
    struct kw_schema sc = {.name = name,
                           .type_rule = KW_RULE_NONE,
                           .unknown_rule = KW_RULE_NONE,
                           .default_rule = KW_RULE_NONE,
                           .ignored_rule = KW_RULE_NONE,
                           .width_rule = KW_RULE_NONE,
                           .version_rule = KW_RULE_NONE};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v)
    {
        size_t mark = kw_fieldpath_push_field(&cc->where, k);
        if (strcmp(k, "variant") == 0)
            sc.variant = variant_bit(cc, v);
        else if (strcmp(k, "typeRule") == 0)
            sc.type_rule = rule_id(cc, v);
        else if (strcmp(k, "unknownRule") == 0)
            sc.unknown_rule = rule_id(cc, v);
        else if (strcmp(k, "ignoredRule") == 0)
            sc.ignored_rule = rule_id(cc, v);
        else if (strcmp(k, "rule") == 0)
            sc.default_rule = rule_id(cc, v);
        else if (strcmp(k, "widthRule") == 0)
            sc.width_rule = rule_id(cc, v);
        else if (strcmp(k, "versionRule") == 0)
            sc.version_rule = rule_id(cc, v);
        else if (strcmp(k, "widthReason") == 0) {
            sc.width_reason = json_string_value(v);
            if (!sc.width_reason)
                fail(cc, "widthReason must be a string");
        } else if (strcmp(k, "integralRealsAreIntegers") == 0)
            sc.integral_reals = bool_of(cc, v);
        else if (strcmp(k, "caseInsensitiveKeys") == 0)
            sc.fold_keys = bool_of(cc, v);
        else if (strcmp(k, "root") == 0)
            sc.root = compile_node(cc, v, false);
        else if (strcmp(k, "description") != 0)
            fail(cc, "unknown schema keyword");
        kw_fieldpath_pop(&cc->where, mark);
    }
    if (!cc->failed && (!sc.root || sc.type_rule == KW_RULE_NONE ||
                        sc.unknown_rule == KW_RULE_NONE || sc.default_rule == KW_RULE_NONE))
        fail(cc, "a schema needs root, rule, typeRule and unknownRule");
    if (cc->failed)
        return;
    if (KW_ARRAY_RESERVE(s->schemas, s->schemas_cap, s->nschemas + 1)) {
        fail(cc, "out of memory");
        return;
    }
    s->schemas[s->nschemas++] = sc;
}

static void compile_document(struct compiler *cc, const json_t *doc)
{
    if (!json_is_object(doc)) {
        fail(cc, "a schema document must be a mapping");
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)doc, k, v)
    {
        if (strcmp(k, "definitions") != 0 && strcmp(k, "schemas") != 0 &&
            strcmp(k, "description") != 0) {
            fail(cc, "unknown top-level key \"%s\"", k);
            return;
        }
    }
    compile_definitions(cc, json_object_get(doc, "definitions"));
    const json_t *schemas = json_object_get(doc, "schemas");
    if (!json_is_object(schemas) || json_object_size(schemas) == 0) {
        fail(cc, "schemas must be a non-empty mapping");
        return;
    }
    size_t mark = kw_fieldpath_push_field(&cc->where, "schemas");
    json_object_foreach((json_t *)schemas, k, v)
    {
        size_t m2 = kw_fieldpath_push_field(&cc->where, k);
        compile_schema(cc, k, v);
        kw_fieldpath_pop(&cc->where, m2);
        if (cc->failed)
            break;
    }
    kw_fieldpath_pop(&cc->where, mark);
}

int kw_schema_set_add(struct kw_schema_set *set, const char *source, json_t *doc_stolen, char *err,
                      size_t errlen)
{
    if (KW_ARRAY_RESERVE(set->docs, set->docs_cap, set->ndocs + 1)) {
        json_decref(doc_stolen);
        snprintf(err, errlen, "%s: out of memory", source);
        return -1;
    }
    set->docs[set->ndocs++] = doc_stolen;
    struct compiler cc = {
        .set = set, .source = source, .err = err, .errlen = errlen, .first_node = set->nnodes};
    size_t first_schema = set->nschemas, first_variant = set->nvariants;
    kw_fieldpath_init(&cc.where, "");
    compile_document(&cc, doc_stolen);
    if (cc.where.out_of_memory)
        fail(&cc, "out of memory");
    kw_fieldpath_free(&cc.where);
    free(cc.defs);
    if (!cc.failed)
        return 0;
    /* Roll back this document's schemas and nodes; keep the document (the
     * set owns it, as promised) but nothing refers to it any more. */
    for (size_t i = cc.first_node; i < set->nnodes; i++)
        node_free(set->nodes[i]);
    set->nnodes = cc.first_node;
    set->nschemas = first_schema;
    set->nvariants = first_variant;
    return -1;
}

int kw_schema_set_add_yaml(struct kw_schema_set *set, const char *source, const char *buf,
                           size_t len, char *err, size_t errlen)
{
    struct kw_yaml_error yerr;
    json_t *doc = kw_yaml_load_one(buf, len, &yerr);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", source, yerr.text);
        return -1;
    }
    return kw_schema_set_add(set, source, doc, err, errlen);
}

struct kw_schema_set *kw_schema_set_load(char *err, size_t errlen)
{
    struct kw_schema_set *set = kw_schema_set_new();
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (const struct kw_embedded_file *f = kw_embedded_schemas; f->name; f++) {
        if (kw_schema_set_add_yaml(set, f->name, f->data, f->len, err, errlen) != 0) {
            kw_schema_set_free(set);
            return NULL;
        }
    }
    const char *needed[] = {KW_SCHEMA_RS_SPEC,           KW_SCHEMA_RD_SPEC,
                            KW_SCHEMA_KM_SPEC,           KW_SCHEMA_GLOBAL_POLICY,
                            KW_SCHEMA_REPOSITORY_CONFIG, KW_SCHEMA_CONNECTION_CONFIG};
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (!kw_schema_find(set, needed[i])) {
            snprintf(err, errlen, "no schema named \"%s\" among the embedded schemas", needed[i]);
            kw_schema_set_free(set);
            return NULL;
        }
    }
    return set;
}
