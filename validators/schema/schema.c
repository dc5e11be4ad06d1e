/* The schema engine (include/kw/schema/schema.h): compiles schema documents (YAML
 * data, format described in validators/kopia/schemas/kopia.yaml and docs/rules.md)
 * once into an immutable node tree, and validates jansson values against it
 * in one pass, producing Kubernetes-style causes and unknown-field warnings.
 *
 * Compiled state is read-only after kw_schema_set_add returns, so one set
 * serves every thread. Per validation the only allocations are the field
 * path when it outgrows its inline buffer, one PCRE2 match block the first
 * time a pattern is matched, and the causes/warnings themselves. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "kw/schema/schema.h"

#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/schema/embedded.h"
#include "kw/decision/fieldpath.h"
#include "kw/formats/formats.h"
#include "kw/decision/rules.h"
#include "kw/json/yaml.h"
#include "internal.h"

/* ---- compiled form -------------------------------------------------- */

/* Node, property and schema structures: validators/schema/internal.h. */

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"object", T_OBJECT}, {"array", T_ARRAY},   {"integer", T_INTEGER},
    {"number", T_NUMBER}, {"string", T_STRING}, {"boolean", T_BOOLEAN},
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

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

static bool grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, ncap * size);
    if (!p)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

struct kw_schema_set *kw_schema_set_new(void)
{
    return calloc(1, sizeof(struct kw_schema_set));
}

static void node_free(struct node *n)
{
    free(n->props);
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
    if (!n || !grow((void **)&s->nodes, &s->nodes_cap, s->nnodes, sizeof(*s->nodes))) {
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
    for (size_t i = 0; name && i < NTYPES; i++)
        if (strcmp(name, type_names[i].name) == 0)
            return type_names[i].bit;
    fail(cc, "unknown type \"%s\"", name ? name : "(not a string)");
    return 0;
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
    size_t len = strlen("supported values: ") + 1, i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e) && !json_is_integer(e)) {
            fail(cc, "enum values must be strings or whole numbers");
            return;
        }
        len += (json_is_string(e) ? json_string_length(e) + 2 : 24) + 2;
    }
    char *d = malloc(len);
    if (!d) {
        fail(cc, "out of memory");
        return;
    }
    size_t o = (size_t)snprintf(d, len, "supported values: ");
    json_array_foreach(v, i, e)
    {
        const char *sep = i ? ", " : "";
        if (json_is_string(e))
            o += (size_t)snprintf(d + o, len - o, "%s\"%s\"", sep, json_string_value(e));
        else
            o += (size_t)snprintf(d + o, len - o, "%s%lld", sep, (long long)json_integer_value(e));
    }
    n->enum_values = v;
    n->enum_detail = d;
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
static const char *const property_keywords[] = {
    "only",         "otherVariant",    "otherVariantRule", "emptyIsAbsent",
    "requiredRule", "requiredMessage", "ignored",          NULL};

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
    p->rule = p->other_variant_rule = p->required_rule = KW_RULE_NONE; /* zero is a rule */
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
        } else if (strcmp(k, "ignored") == 0) {
            p->ignored = json_string_value(v);
            if (!p->ignored || !p->ignored[0])
                fail(cc, "ignored must be a non-empty hint (what is read instead)");
        }
    }
    if (p->other_variant_forbidden && (!p->variants || p->other_variant_rule == KW_RULE_NONE))
        fail(cc, "otherVariant: forbid needs only and otherVariantRule");
    if (json_object_get(spec, "$ref") && json_object_get(spec, "rule"))
        p->rule = rule_id(cc, json_object_get(spec, "rule"));
    p->node = compile_node(cc, spec, true);
    kw_fieldpath_pop(&cc->where, mark);
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
}

static struct prop *find_prop(const struct node *n, const char *name)
{
    struct prop key = {.name = name};
    return n->nprops ? bsearch(&key, n->props, n->nprops, sizeof(*n->props), prop_cmp) : NULL;
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
        struct prop *p = json_is_string(name) ? find_prop(n, json_string_value(name)) : NULL;
        if (!p) {
            fail(cc, "required names an undeclared property");
            return;
        }
        p->required = true;
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
    if (n->format != FMT_NONE && n->format != FMT_QUANTITY && n->types != T_STRING)
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
                           .ignored_rule = KW_RULE_NONE};
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
        else if (strcmp(k, "integralRealsAreIntegers") == 0)
            sc.integral_reals = bool_of(cc, v);
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
    if (!grow((void **)&s->schemas, &s->schemas_cap, s->nschemas, sizeof(*s->schemas))) {
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
    if (!grow((void **)&set->docs, &set->docs_cap, set->ndocs, sizeof(*set->docs))) {
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
    const char *needed[] = {KW_SCHEMA_RS_SPEC, KW_SCHEMA_RD_SPEC, KW_SCHEMA_GLOBAL_POLICY,
                            KW_SCHEMA_REPOSITORY_CONFIG};
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (!kw_schema_find(set, needed[i])) {
            snprintf(err, errlen, "no schema named \"%s\" among the embedded schemas", needed[i]);
            kw_schema_set_free(set);
            return NULL;
        }
    }
    return set;
}

/* ---- validation ----------------------------------------------------- */

struct walk {
    const struct kw_schema *schema;
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

/* A real that Kubernetes accepts as an integer (no fraction, fits int64). */
static bool integral_real(double d)
{
    return isfinite(d) && d == floor(d) && fabs(d) < 9.2e18;
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
               (w->schema->integral_reals && integral_real(json_real_value(v)) ? T_INTEGER : 0);
    case JSON_TRUE:
    case JSON_FALSE:
        return T_BOOLEAN;
    default:
        return 0;
    }
}

static void report_type(struct walk *w, const struct node *n, const json_t *v)
{
    char expected[80] = "";
    size_t o = 0;
    for (size_t i = 0; i < NTYPES; i++) {
        if (!(n->types & type_names[i].bit))
            continue;
        o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s", o ? " or " : "",
                              type_names[i].name);
    }
    const char *actual = json_type_name(v);
    kw_result_cause_str(w->res, KW_CAUSE_TYPE, w->schema->type_rule, w->path.buf, actual,
                        "%s in body must be of type %s: \"%s\"", w->path.buf, expected, actual);
}

/* Renders a scalar as Kubernetes shows a bad value (strings quoted). */
static void render_scalar(const json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.15g", json_real_value(v));
    else if (json_is_true(v))
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

/* The scalar view of a string or number (see schema_internal.h). */
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

/* Reports the first bound a number or quantity breaks (`q`: the parsed
 * string quantity, or NULL for a JSON number). */
static void check_bounds(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const json_t *v, const struct kw_quantity *q)
{
    struct scalar sv = scalar_of(v);
    bool is_min;
    const struct bound *b = kw_schema_broken_bound(n, &sv, q, &is_min);
    if (!b)
        return;
    char detail[KW_MSGLEN];
    snprintf(detail, sizeof(detail), "%s in body should be %s %lld", w->path.buf,
             kw_schema_bound_relation(b, is_min), b->i);
    cause_value(w, KW_CAUSE_INVALID, rule, v, detail);
}

static bool enum_has(const struct node *n, const json_t *v)
{
    struct scalar sv = scalar_of(v);
    return kw_schema_in_enum(n, &sv);
}

/* Runs a name/label/time format check; true when valid, else msg is set. */
static bool format_valid(enum format f, const char *s, char *msg, size_t msglen)
{
    switch (f) {
    case FMT_DATETIME: {
        struct kw_datetime dt;
        char utc[64];
        if (!kw_datetime_parse(s, &dt, msg, msglen))
            return false;
        if (!kw_datetime_utc(&dt, utc, sizeof(utc))) {
            snprintf(msg, msglen, "must be between years 0000 and 9999 once converted to UTC");
            return false;
        }
        return true;
    }
    case FMT_CRON:
        return kw_cron_valid(s, msg, msglen);
    case FMT_DNS1123_SUBDOMAIN:
        return kw_dns1123_subdomain_valid(s, msg, msglen);
    case FMT_DNS1123_LABEL:
        return kw_dns1123_label_valid(s, msg, msglen);
    case FMT_LABEL_KEY:
        return kw_label_key_valid(s, msg, msglen);
    case FMT_LABEL_VALUE:
        return kw_label_value_valid(s, msg, msglen);
    case FMT_CONFIGMAP_KEY:
        return kw_configmap_key_valid(s, msg, msglen);
    case FMT_IDENTITY:
        return kw_identity_part_valid(s, msg, msglen);
    case FMT_ABSOLUTE_PATH:
        if (s[0] == '/')
            return true;
        snprintf(msg, msglen, "must be an absolute path (start with \"/\")");
        return false;
    default:
        return true;
    }
}

static void check_format(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const json_t *v)
{
    const char *s = json_string_value(v);
    char msg[KW_MSGLEN];
    if (memchr(s, 0, json_string_length(v))) {
        cause_value(w, KW_CAUSE_INVALID, rule, v, "must not contain a NUL character");
        return;
    }
    if (n->format == FMT_QUANTITY) {
        struct kw_quantity q;
        if (!kw_quantity_parse(s, &q, msg, sizeof(msg)))
            cause_value(w, KW_CAUSE_INVALID, rule, v, msg);
        else
            check_bounds(w, n, rule, v, &q);
        return;
    }
    if (!format_valid(n->format, s, msg, sizeof(msg)))
        cause_value(w, KW_CAUSE_INVALID, rule, v, msg);
}

static bool pattern_matches(struct walk *w, const struct node *n, const json_t *v)
{
    if (!w->match) {
        w->match = pcre2_match_data_create(1, NULL);
        if (!w->match) {
            w->res->out_of_memory = true;
            return false;
        }
    }
    int rc = pcre2_match(n->pattern, (PCRE2_SPTR)json_string_value(v), json_string_length(v), 0, 0,
                         w->match, NULL);
    return rc >= 0;
}

static void check_string(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const json_t *v)
{
    char detail[KW_MSGLEN];
    if (n->min_length >= 0 || n->max_length >= 0) {
        size_t chars = kw_schema_utf8_chars(json_string_value(v), json_string_length(v));
        if (n->min_length >= 0 && chars < (size_t)n->min_length) {
            snprintf(detail, sizeof(detail), "%s in body should be at least %lld chars long",
                     w->path.buf, n->min_length);
            cause_value(w, KW_CAUSE_INVALID, rule, v, detail);
            return;
        }
        if (n->max_length >= 0 && chars > (size_t)n->max_length) {
            kw_result_cause(w->res, KW_CAUSE_TOO_LONG, rule, w->path.buf, NULL,
                            "may not be longer than %lld", n->max_length);
            return;
        }
    }
    if (n->pattern && !pattern_matches(w, n, v)) {
        snprintf(detail, sizeof(detail), "%s in body should match '%.200s'", w->path.buf,
                 n->pattern_src);
        cause_value(w, KW_CAUSE_INVALID, rule, v, detail);
        return;
    }
    if (n->format != FMT_NONE)
        check_format(w, n, rule, v);
}

static void validate_node(struct walk *w, const struct node *n, const json_t *v,
                          enum kw_rule_id rule);

static void check_array(struct walk *w, const struct node *n, enum kw_rule_id rule, const json_t *v)
{
    size_t size = json_array_size(v);
    char count[24];
    snprintf(count, sizeof(count), "%zu", size);
    if (n->min_items >= 0 && size < (size_t)n->min_items)
        kw_result_cause(w->res, KW_CAUSE_INVALID, rule, w->path.buf, count,
                        "%s in body should have at least %lld items", w->path.buf, n->min_items);
    if (n->max_items >= 0 && size > (size_t)n->max_items)
        kw_result_cause(w->res, KW_CAUSE_TOO_MANY, rule, w->path.buf, count,
                        "must have at most %lld items", n->max_items);
    if (!n->items)
        return;
    for (size_t i = 0; i < size; i++) {
        size_t mark = kw_fieldpath_push_index(&w->path, i);
        validate_node(w, n->items, json_array_get(v, i), rule);
        kw_fieldpath_pop(&w->path, mark);
    }
}

/* ---- unknown fields ------------------------------------------------- */

#define SUGGEST_MAX 64 /* longer names get no did-you-mean */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Optimal-string-alignment edit distance, case-insensitive, both <= 64. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][SUGGEST_MAX + 1];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower(a[i - 1]) != lower(b[j - 1]);
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

static bool applies(const struct prop *p, unsigned variant)
{
    return p->variants == 0 || variant == 0 || (p->variants & variant) != 0;
}

/* The closest property name of this variant within the typo budget. */
static const char *suggestion(const struct node *n, unsigned variant, const char *key)
{
    size_t lk = strlen(key);
    if (lk > SUGGEST_MAX)
        return NULL;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n->nprops; i++) {
        const struct prop *p = &n->props[i];
        size_t lp = strlen(p->name);
        size_t longer = lk > lp ? lk : lp;
        size_t budget = longer <= 4 ? 1 : longer <= 10 ? 2 : 3;
        size_t diff = lk > lp ? lk - lp : lp - lk;
        if (!applies(p, variant) || lp > SUGGEST_MAX || diff > budget)
            continue;
        size_t d = edit_distance(key, lk, p->name, lp);
        if (d <= budget && d < best_d) {
            best = p->name;
            best_d = d;
        }
    }
    return best;
}

static const char *stale_replacement(const struct node *n, unsigned variant, const char *key)
{
    for (size_t i = 0; i < n->nstale; i++) {
        if (strcmp(n->stale[i].name, key) != 0)
            continue;
        const struct prop *p = find_prop(n, n->stale[i].replacement);
        /* A replacement of the other variant would be the wrong advice. */
        return !p || applies(p, variant) ? n->stale[i].replacement : NULL;
    }
    return NULL;
}

#define KEY_EXCERPT 40

/* `key` cut to at most KEY_EXCERPT bytes on a UTF-8 boundary, for warning
 * lines (which should stay within 120 characters). */
static void key_excerpt(const char *key, char *buf, size_t buflen)
{
    size_t len = strlen(key);
    if (len < buflen && len <= KEY_EXCERPT) {
        memcpy(buf, key, len + 1);
        return;
    }
    size_t cut = KEY_EXCERPT < buflen - 4 ? KEY_EXCERPT : buflen - 4;
    while (cut > 0 && ((unsigned char)key[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, key, cut);
    memcpy(buf + cut, "...", 4);
}

static void warn_unknown(struct walk *w, const struct node *n, const char *key,
                         const struct prop *other_variant)
{
    if (++w->nunknown > KW_SCHEMA_MAX_UNKNOWN_WARNINGS)
        return;
    unsigned variant = w->schema->variant;
    char shown[72];
    key_excerpt(key, shown, sizeof(shown));
    const char *sep = w->path.len ? "." : "";
    enum kw_rule_id rule = w->schema->unknown_rule;
    if (other_variant) {
        kw_result_warn(w->res, rule, "%s%s%s: unknown field; %s is only supported on %s",
                       w->path.buf, sep, shown, other_variant->name, other_variant->variants_label);
        return;
    }
    const char *better = stale_replacement(n, variant, key);
    if (!better)
        better = suggestion(n, variant, key);
    if (better)
        kw_result_warn(w->res, rule, "%s%s%s: unknown field; did you mean %s?", w->path.buf, sep,
                       shown, better);
    else
        kw_result_warn(w->res, rule, "%s%s%s: unknown field; it has no effect, check the spelling",
                       w->path.buf, sep, shown);
}

/* ---- objects -------------------------------------------------------- */

static void warn_ignored(struct walk *w, const struct prop *p)
{
    enum kw_rule_id rule =
        w->schema->ignored_rule != KW_RULE_NONE ? w->schema->ignored_rule : w->schema->unknown_rule;
    kw_result_warn(w->res, rule, "%s%s%s: the mover ignores this key; %s", w->path.buf,
                   w->path.len ? "." : "", p->name, p->ignored);
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
    kw_result_cause(w->res, KW_CAUSE_FORBIDDEN, p->other_variant_rule, w->path.buf, NULL,
                    "%s is only supported on %s", p->name, p->variants_label);
    kw_fieldpath_pop(&w->path, mark);
}

static void check_map_entry(struct walk *w, const struct node *n, enum kw_rule_id rule,
                            const char *key, const json_t *v)
{
    if (n->key_format != FMT_NONE) {
        char msg[KW_MSGLEN];
        if (!format_valid(n->key_format, key, msg, sizeof(msg)))
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
    for (size_t i = 0; i < n->nprops; i++) {
        const struct prop *p = &n->props[i];
        if (!p->required || !applies(p, w->schema->variant) ||
            !absent(p, json_object_get(v, p->name)))
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
    const char *key;
    json_t *item;
    json_object_foreach((json_t *)v, key, item)
    {
        if (json_is_null(item))
            continue; /* null counts as absent */
        const struct prop *p = find_prop(n, key);
        if (p && !applies(p, w->schema->variant)) {
            check_other_variant(w, n, p);
        } else if (p && p->ignored) {
            warn_ignored(w, p);
        } else if (p) {
            if (absent(p, item))
                continue;
            size_t mark = kw_fieldpath_push_field(&w->path, key);
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
        check_bounds(w, n, rule, v, NULL);
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
    struct walk w = {.schema = schema, .res = res};
    if (!value)
        return;
    kw_fieldpath_init(&w.path, path);
    validate_node(&w, schema->root, value, schema->default_rule);
    if (w.nunknown > KW_SCHEMA_MAX_UNKNOWN_WARNINGS)
        kw_result_warn(res, schema->unknown_rule, "%s: %zu more unknown fields not listed",
                       path[0] ? path : "(top)", w.nunknown - KW_SCHEMA_MAX_UNKNOWN_WARNINGS);
    if (w.path.out_of_memory)
        res->out_of_memory = true;
    if (w.match)
        pcre2_match_data_free(w.match);
    kw_fieldpath_free(&w.path);
}

/* ---- shared with the text validator (schema_internal.h) ------------- */

const char *kw_schema_unknown_hint(const struct node *n, unsigned variant, const char *key)
{
    const char *better = stale_replacement(n, variant, key);
    return better ? better : suggestion(n, variant, key);
}

void kw_schema_key_excerpt(const char *key, char *buf, size_t buflen)
{
    key_excerpt(key, buf, buflen);
}

bool kw_schema_format_valid(enum format f, const char *s, char *msg, size_t msglen)
{
    return format_valid(f, s, msg, msglen);
}

bool kw_schema_integral_real(double d)
{
    return integral_real(d);
}
