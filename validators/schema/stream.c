/* The one-pass text validator (include/kw/schema/stream.h): a kw_json_scan
 * visitor that walks the compiled schema nodes (validators/schema/internal.h)
 * alongside the events, with an explicit stack of the containers that have a
 * node. A value without a node (unknown, ignored, or of the wrong type) is
 * skipped by depth, so most of a large document costs only the lexer.
 *
 * Every check and message mirrors the tree validator in
 * validators/schema/schema.c (check_object, check_array, check_string, ...), in
 * the same order; the one place the order needs help is min/maxItems, which
 * the tree reports before the items and a scan only knows at the array's
 * end: those causes are moved back to where the array began. */
#include "kw/schema/stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/decision/fieldpath.h"
#include "kw/formats/formats.h"
#include "internal.h"

/* A container value that has a schema node, open on the stack. */
struct frame {
    const struct node *node;
    enum kw_rule_id rule; /* the node's rule, or the inherited one */
    size_t path_mark;     /* path length before this value's segment */
    size_t seen;          /* object: offset of its per-property flags in walk.seen */
    size_t count;         /* array: items so far */
    size_t cause_mark;    /* array: res->ncauses when it began */
    size_t line, column;  /* of its '{' or '[' */
    bool object;
};

struct walk {
    const struct kw_schema *schema;
    struct kw_result *res;
    enum kw_text_style style;
    const char *field; /* KW_TEXT_EMBEDDED: the Kubernetes field; else NULL */
    struct kw_fieldpath path;
    pcre2_match_data *match; /* created on the first pattern match */
    size_t nunknown;
    struct frame *frames;
    size_t nframes, frames_cap;
    unsigned char *seen; /* present (non-absent) flags of open objects' properties */
    size_t nseen, seen_cap;
    char *scratch; /* NUL-terminated copy of a key or string, when one is needed */
    size_t scratch_cap;
    const char *key; /* the pending member's key (valid until its value's event) */
    size_t keylen;
    size_t skip_depth; /* > 0: inside a skipped container that began at this depth */
    bool failed;       /* an allocation failed */
};

/* ---- small helpers -------------------------------------------------- */

static bool reserve(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*items, ncap * size);
    if (!p)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

/* A NUL-terminated copy of s[0..len) in the walk's scratch buffer. */
static const char *terminated(struct walk *w, const char *s, size_t len)
{
    if (!reserve((void **)&w->scratch, &w->scratch_cap, len + 1, 1)) {
        w->failed = true;
        return NULL;
    }
    memcpy(w->scratch, s, len);
    w->scratch[len] = 0;
    return w->scratch;
}

static bool is_container(const struct kw_json_token *t)
{
    return t->ev == KW_JSON_OBJECT_BEGIN || t->ev == KW_JSON_ARRAY_BEGIN;
}

/* Skips the value that starts with `t` (a container: up to its END). */
static void skip_value(struct walk *w, const struct kw_json_token *t)
{
    if (is_container(t))
        w->skip_depth = t->depth;
}

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    /* The order of the tree validator's "must be of type A or B". */
    {"object", T_OBJECT}, {"array", T_ARRAY},   {"integer", T_INTEGER},
    {"number", T_NUMBER}, {"string", T_STRING}, {"boolean", T_BOOLEAN},
};

static unsigned type_bits(const struct walk *w, const struct kw_json_token *t)
{
    switch (t->ev) {
    case KW_JSON_OBJECT_BEGIN:
        return T_OBJECT;
    case KW_JSON_ARRAY_BEGIN:
        return T_ARRAY;
    case KW_JSON_STRING:
        return T_STRING;
    case KW_JSON_INTEGER:
        return T_INTEGER | T_NUMBER;
    case KW_JSON_REAL:
        return T_NUMBER |
               (w->schema->integral_reals && kw_schema_integral_real(t->real) ? T_INTEGER : 0);
    case KW_JSON_TRUE:
    case KW_JSON_FALSE:
        return T_BOOLEAN;
    default:
        return 0;
    }
}

/* ---- findings ------------------------------------------------------- */

/* How a cause's detail relates to the path, for KW_TEXT_EMBEDDED. */
enum detail_kind {
    DETAIL_HAS_PATH, /* the detail names the member itself ("x in body ...") */
    DETAIL_BARE,     /* it does not: the member's path is put in front */
};

/* How a cause's value is shown. */
enum value_kind {
    VALUE_DOCUMENT, /* a value of the document: never shown when embedded */
    VALUE_TYPE,     /* a JSON type name: always shown */
};

/* Appends a cause at the current path; `value` is already rendered (quoted
 * for strings) or NULL. */
static void add_cause(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule,
                      const char *value, enum value_kind vk, enum detail_kind dk,
                      const struct kw_json_token *at, const char *detail)
{
    if (w->style == KW_TEXT_AS_TREE) {
        kw_result_cause(w->res, type, rule, w->path.buf, value, "%s", detail);
        return;
    }
    const char *inner = dk == DETAIL_BARE ? w->path.buf : "";
    const char *sep = inner[0] && detail[0] ? ": " : "";
    kw_result_cause(w->res, type, rule, w->field, vk == VALUE_TYPE ? value : NULL,
                    "%s%s%s (line %zu, column %zu)", inner, sep, detail, at->line, at->column);
}

__attribute__((format(printf, 8, 9))) static void
add_causef(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule, const char *value,
           enum value_kind vk, enum detail_kind dk, const struct kw_json_token *at, const char *fmt,
           ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = NULL;
    int n = vasprintf(&detail, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->res->out_of_memory = true;
        return;
    }
    add_cause(w, type, rule, value, vk, dk, at, detail);
    free(detail);
}

/* Renders a scalar token as the tree validator shows a bad value. Strings
 * are quoted (malloc'd into *owned). */
static const char *render_value(struct walk *w, const struct kw_json_token *t, char *buf,
                                size_t len, char **owned)
{
    *owned = NULL;
    if (w->style == KW_TEXT_EMBEDDED)
        return NULL; /* never shown */
    switch (t->ev) {
    case KW_JSON_STRING: {
        const char *s = terminated(w, t->text, t->len);
        *owned = s ? kw_quote(s) : NULL;
        if (!*owned)
            w->res->out_of_memory = true;
        return *owned;
    }
    case KW_JSON_INTEGER:
        snprintf(buf, len, "%lld", t->integer);
        return buf;
    case KW_JSON_REAL:
        snprintf(buf, len, "%.15g", t->real);
        return buf;
    case KW_JSON_TRUE:
        return "true";
    case KW_JSON_FALSE:
        return "false";
    default:
        return kw_json_event_type_name(t->ev);
    }
}

/* A cause about the value `t` itself (cause_value in schema.c). */
static void cause_value(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule,
                        const struct kw_json_token *t, enum detail_kind dk, const char *detail)
{
    char buf[48], *owned;
    const char *shown = render_value(w, t, buf, sizeof(buf), &owned);
    add_cause(w, type, rule, shown, VALUE_DOCUMENT, dk, t, detail);
    free(owned);
}

static void report_type(struct walk *w, const struct node *n, const struct kw_json_token *t)
{
    char expected[80] = "";
    size_t o = 0;
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (!(n->types & type_names[i].bit))
            continue;
        o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s", o ? " or " : "",
                              type_names[i].name);
    }
    const char *actual = kw_json_event_type_name(t->ev);
    char quoted[16];
    snprintf(quoted, sizeof(quoted), "\"%s\"", actual);
    if (w->style == KW_TEXT_EMBEDDED && w->path.len == 0) /* the document itself */
        add_causef(w, KW_CAUSE_TYPE, w->schema->type_rule, quoted, VALUE_TYPE, DETAIL_HAS_PATH, t,
                   "must be of type %s: \"%s\"", expected, actual);
    else
        add_causef(w, KW_CAUSE_TYPE, w->schema->type_rule, quoted, VALUE_TYPE, DETAIL_HAS_PATH, t,
                   "%s in body must be of type %s: \"%s\"", w->path.buf, expected, actual);
}

__attribute__((format(printf, 3, 4))) static void add_warning(struct walk *w, enum kw_rule_id rule,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->res->out_of_memory = true;
        return;
    }
    kw_result_warn(w->res, rule, "%s%s%s", w->field ? w->field : "", w->field ? ": " : "", text);
    free(text);
}

static bool applies(const struct prop *p, unsigned variant)
{
    return p->variants == 0 || variant == 0 || (p->variants & variant) != 0;
}

/* `key` is NUL-terminated; `other_variant` as in schema.c's warn_unknown. */
static void warn_unknown(struct walk *w, const struct node *n, const char *key,
                         const struct prop *other_variant)
{
    if (++w->nunknown > KW_SCHEMA_MAX_UNKNOWN_WARNINGS)
        return;
    char shown[72];
    kw_schema_key_excerpt(key, shown, sizeof(shown));
    const char *sep = w->path.len ? "." : "";
    enum kw_rule_id rule = w->schema->unknown_rule;
    if (other_variant) {
        add_warning(w, rule, "%s%s%s: unknown field; %s is only supported on %s", w->path.buf, sep,
                    shown, other_variant->name, other_variant->variants_label);
        return;
    }
    const char *better = kw_schema_unknown_hint(n, w->schema->variant, key);
    if (better)
        add_warning(w, rule, "%s%s%s: unknown field; did you mean %s?", w->path.buf, sep, shown,
                    better);
    else
        add_warning(w, rule, "%s%s%s: unknown field; it has no effect, check the spelling",
                    w->path.buf, sep, shown);
}

static void warn_ignored(struct walk *w, const struct prop *p)
{
    enum kw_rule_id rule =
        w->schema->ignored_rule != KW_RULE_NONE ? w->schema->ignored_rule : w->schema->unknown_rule;
    add_warning(w, rule, "%s%s%s: the mover ignores this key; %s", w->path.buf,
                w->path.len ? "." : "", p->name, p->ignored);
}

/* ---- scalars -------------------------------------------------------- */

/* The scalar view of a token (see schema_internal.h). */
static struct scalar scalar_of(const struct kw_json_token *t)
{
    switch (t->ev) {
    case KW_JSON_STRING:
        return (struct scalar){.kind = SCALAR_STRING, .text = t->text, .len = t->len};
    case KW_JSON_INTEGER:
        return (struct scalar){.kind = SCALAR_INTEGER, .integer = t->integer};
    case KW_JSON_REAL:
        return (struct scalar){.kind = SCALAR_REAL, .real = t->real};
    default:
        return (struct scalar){.kind = SCALAR_OTHER};
    }
}

static bool enum_has(const struct node *n, const struct kw_json_token *t)
{
    struct scalar sv = scalar_of(t);
    return kw_schema_in_enum(n, &sv);
}

/* Reports the first bound a number or quantity breaks (`q`: the parsed
 * string quantity, or NULL for a JSON number). */
static void check_bounds(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const struct kw_json_token *t, const struct kw_quantity *q)
{
    struct scalar sv = scalar_of(t);
    bool is_min;
    const struct bound *b = kw_schema_broken_bound(n, &sv, q, &is_min);
    if (!b)
        return;
    char detail[KW_MSGLEN];
    snprintf(detail, sizeof(detail), "%s in body should be %s %lld", w->path.buf,
             kw_schema_bound_relation(b, is_min), b->i);
    cause_value(w, KW_CAUSE_INVALID, rule, t, DETAIL_HAS_PATH, detail);
}

static bool pattern_matches(struct walk *w, const struct node *n, const struct kw_json_token *t)
{
    if (!w->match) {
        w->match = pcre2_match_data_create(1, NULL);
        if (!w->match) {
            w->res->out_of_memory = true;
            return false;
        }
    }
    return pcre2_match(n->pattern, (PCRE2_SPTR)t->text, t->len, 0, 0, w->match, NULL) >= 0;
}

static void check_format(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const struct kw_json_token *t)
{
    char msg[KW_MSGLEN];
    if (memchr(t->text, 0, t->len)) {
        cause_value(w, KW_CAUSE_INVALID, rule, t, DETAIL_BARE, "must not contain a NUL character");
        return;
    }
    /* The message functions take a terminated copy; a later render of the
     * value makes its own. */
    const char *s = terminated(w, t->text, t->len);
    if (!s)
        return;
    if (n->format == FMT_QUANTITY) {
        struct kw_quantity q;
        if (!kw_quantity_parse(s, &q, msg, sizeof(msg)))
            cause_value(w, KW_CAUSE_INVALID, rule, t, DETAIL_BARE, msg);
        else
            check_bounds(w, n, rule, t, &q);
        return;
    }
    if (!kw_schema_format_valid(n->format, s, msg, sizeof(msg)))
        cause_value(w, KW_CAUSE_INVALID, rule, t, DETAIL_BARE, msg);
}

static void check_string(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const struct kw_json_token *t)
{
    char detail[KW_MSGLEN];
    if (n->min_length >= 0 || n->max_length >= 0) {
        size_t chars = kw_schema_utf8_chars(t->text, t->len);
        if (n->min_length >= 0 && chars < (size_t)n->min_length) {
            snprintf(detail, sizeof(detail), "%s in body should be at least %lld chars long",
                     w->path.buf, n->min_length);
            cause_value(w, KW_CAUSE_INVALID, rule, t, DETAIL_HAS_PATH, detail);
            return;
        }
        if (n->max_length >= 0 && chars > (size_t)n->max_length) {
            add_causef(w, KW_CAUSE_TOO_LONG, rule, NULL, VALUE_DOCUMENT, DETAIL_BARE, t,
                       "may not be longer than %lld", n->max_length);
            return;
        }
    }
    if (n->pattern && !pattern_matches(w, n, t)) {
        snprintf(detail, sizeof(detail), "%s in body should match '%.200s'", w->path.buf,
                 n->pattern_src);
        cause_value(w, KW_CAUSE_INVALID, rule, t, DETAIL_HAS_PATH, detail);
        return;
    }
    if (n->format != FMT_NONE)
        check_format(w, n, rule, t);
}

/* ---- containers ----------------------------------------------------- */

static void push_frame(struct walk *w, const struct node *n, enum kw_rule_id rule,
                       const struct kw_json_token *t, size_t path_mark)
{
    bool object = t->ev == KW_JSON_OBJECT_BEGIN;
    size_t nflags = object ? n->nprops : 0;
    if (!reserve((void **)&w->frames, &w->frames_cap, w->nframes + 1, sizeof(*w->frames)) ||
        !reserve((void **)&w->seen, &w->seen_cap, w->nseen + nflags, 1)) {
        w->failed = true;
        return;
    }
    if (nflags)
        memset(w->seen + w->nseen, 0, nflags);
    w->frames[w->nframes++] = (struct frame){
        .node = n,
        .rule = rule,
        .path_mark = path_mark,
        .seen = w->nseen,
        .cause_mark = w->res->ncauses,
        .line = t->line,
        .column = t->column,
        .object = object,
    };
    w->nseen += nflags;
}

/* Validates the value that starts with `t` against `n`; the caller has
 * pushed the value's path segment (`mark` undoes it). */
static void begin_value(struct walk *w, const struct node *n, enum kw_rule_id inherited_rule,
                        const struct kw_json_token *t, size_t mark)
{
    enum kw_rule_id rule = n->rule != KW_RULE_NONE ? n->rule : inherited_rule;
    if (n->types && !(type_bits(w, t) & n->types)) {
        report_type(w, n, t);
        skip_value(w, t);
    } else if (n->enum_values && !is_container(t) && !enum_has(n, t)) {
        cause_value(w, KW_CAUSE_UNSUPPORTED, rule, t, DETAIL_BARE, n->enum_detail);
    } else if (is_container(t)) {
        push_frame(w, n, rule, t, mark);
        return; /* the path stays until the container ends */
    } else if (t->ev == KW_JSON_STRING) {
        check_string(w, n, rule, t);
    } else if (t->ev == KW_JSON_INTEGER || t->ev == KW_JSON_REAL) {
        check_bounds(w, n, rule, t, NULL);
    }
    kw_fieldpath_pop(&w->path, mark);
}

static const struct prop *find_prop(const struct node *n, const char *key, size_t len)
{
    size_t lo = 0, hi = n->nprops;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *name = n->props[mid].name;
        size_t nlen = strlen(name);
        int c = memcmp(key, name, len < nlen ? len : nlen);
        if (c == 0)
            c = (len > nlen) - (len < nlen);
        if (c == 0)
            return &n->props[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void other_variant(struct walk *w, const struct node *n, const struct prop *p,
                          const struct kw_json_token *t)
{
    if (!p->other_variant_forbidden) {
        warn_unknown(w, n, p->name, p);
        return;
    }
    size_t mark = kw_fieldpath_push_field(&w->path, p->name);
    add_causef(w, KW_CAUSE_FORBIDDEN, p->other_variant_rule, NULL, VALUE_DOCUMENT, DETAIL_BARE, t,
               "%s is only supported on %s", p->name, p->variants_label);
    kw_fieldpath_pop(&w->path, mark);
}

static void map_entry(struct walk *w, const struct node *n, enum kw_rule_id rule,
                      const struct kw_json_token *t)
{
    const char *key = terminated(w, w->key, w->keylen);
    if (!key)
        return;
    if (n->key_format != FMT_NONE) {
        char msg[KW_MSGLEN];
        if (!kw_schema_format_valid(n->key_format, key, msg, sizeof(msg))) {
            char *quoted = w->style == KW_TEXT_AS_TREE ? kw_quote(key) : NULL;
            if (w->style == KW_TEXT_AS_TREE && !quoted)
                w->res->out_of_memory = true;
            add_cause(w, KW_CAUSE_INVALID, rule, quoted, VALUE_DOCUMENT, DETAIL_BARE, t, msg);
            free(quoted);
        }
    }
    if (!n->additional) {
        skip_value(w, t);
        return;
    }
    size_t mark = kw_fieldpath_push_key(&w->path, key);
    begin_value(w, n->additional, rule, t, mark);
}

/* The value `t` of the pending member of the object frame `f`
 * (check_object in schema.c). */
static void member_value(struct walk *w, const struct frame *f, const struct kw_json_token *t)
{
    const struct node *n = f->node;
    if (t->ev == KW_JSON_NULL)
        return; /* null counts as absent */
    const struct prop *p = find_prop(n, w->key, w->keylen);
    if (p) {
        bool absent = p->empty_is_absent && t->ev == KW_JSON_STRING && t->len == 0;
        if (!absent)
            w->seen[f->seen + (size_t)(p - n->props)] = 1;
        if (!applies(p, w->schema->variant)) {
            other_variant(w, n, p, t);
        } else if (p->ignored) {
            warn_ignored(w, p);
        } else if (!absent) {
            enum kw_rule_id rule = p->rule != KW_RULE_NONE ? p->rule : f->rule; /* before f moves */
            size_t mark = kw_fieldpath_push_field(&w->path, p->name);
            begin_value(w, p->node, rule, t, mark);
            return;
        }
        skip_value(w, t);
        return;
    }
    if (n->additional || n->key_format != FMT_NONE) {
        map_entry(w, n, f->rule, t);
        return;
    }
    if (n->unknown == UNKNOWN_WARN) {
        const char *key = terminated(w, w->key, w->keylen);
        if (key)
            warn_unknown(w, n, key, NULL);
    }
    skip_value(w, t);
}

static void item_value(struct walk *w, struct frame *f, const struct kw_json_token *t)
{
    size_t index = f->count++;
    if (!f->node->items) {
        skip_value(w, t);
        return;
    }
    const struct node *items = f->node->items;
    enum kw_rule_id rule = f->rule;
    size_t mark = kw_fieldpath_push_index(&w->path, index);
    begin_value(w, items, rule, t, mark);
}

/* check_required in schema.c, at the object's end. */
static void end_object(struct walk *w, const struct frame *f)
{
    const struct node *n = f->node;
    struct kw_json_token at = {.line = f->line, .column = f->column};
    for (size_t i = 0; i < n->nprops; i++) {
        const struct prop *p = &n->props[i];
        if (!p->required || !applies(p, w->schema->variant) || w->seen[f->seen + i])
            continue;
        enum kw_rule_id r = p->required_rule != KW_RULE_NONE ? p->required_rule
                            : p->node->rule != KW_RULE_NONE  ? p->node->rule
                            : p->rule != KW_RULE_NONE        ? p->rule
                                                             : f->rule;
        size_t mark = kw_fieldpath_push_field(&w->path, p->name);
        add_cause(w, KW_CAUSE_REQUIRED, r, NULL, VALUE_DOCUMENT, DETAIL_BARE, &at,
                  p->required_message ? p->required_message : "");
        kw_fieldpath_pop(&w->path, mark);
    }
}

/* Moves the cause just appended (if any) to index `at`. */
static void move_last_cause(struct kw_result *res, size_t before, size_t at)
{
    if (res->ncauses != before + 1 || at >= before)
        return;
    struct kw_cause c = res->causes[before];
    memmove(&res->causes[at + 1], &res->causes[at], (before - at) * sizeof(c));
    res->causes[at] = c;
}

/* check_array's item counts, reported where the array began. */
static void end_array(struct walk *w, const struct frame *f)
{
    const struct node *n = f->node;
    struct kw_json_token at = {.line = f->line, .column = f->column};
    char count[24];
    snprintf(count, sizeof(count), "%zu", f->count);
    size_t where = f->cause_mark;
    if (n->min_items >= 0 && f->count < (size_t)n->min_items) {
        size_t before = w->res->ncauses;
        add_causef(w, KW_CAUSE_INVALID, f->rule, count, VALUE_DOCUMENT, DETAIL_HAS_PATH, &at,
                   "%s in body should have at least %lld items", w->path.buf, n->min_items);
        move_last_cause(w->res, before, where++);
    }
    if (n->max_items >= 0 && f->count > (size_t)n->max_items) {
        size_t before = w->res->ncauses;
        add_causef(w, KW_CAUSE_TOO_MANY, f->rule, count, VALUE_DOCUMENT, DETAIL_BARE, &at,
                   "must have at most %lld items", n->max_items);
        move_last_cause(w->res, before, where);
    }
}

static void end_container(struct walk *w)
{
    struct frame *f = &w->frames[w->nframes - 1];
    if (f->object) {
        end_object(w, f);
        w->nseen = f->seen;
    } else {
        end_array(w, f);
    }
    kw_fieldpath_pop(&w->path, f->path_mark);
    w->nframes--;
}

/* ---- the visitor ---------------------------------------------------- */

static int visit(void *ud, const struct kw_json_token *t)
{
    struct walk *w = ud;
    if (w->skip_depth) {
        if (t->depth == w->skip_depth &&
            (t->ev == KW_JSON_OBJECT_END || t->ev == KW_JSON_ARRAY_END))
            w->skip_depth = 0;
        return 0;
    }
    switch (t->ev) {
    case KW_JSON_KEY:
        w->key = t->text;
        w->keylen = t->len;
        break;
    case KW_JSON_OBJECT_END:
    case KW_JSON_ARRAY_END:
        end_container(w);
        break;
    default:
        if (w->nframes == 0)
            begin_value(w, w->schema->root, w->schema->default_rule, t, w->path.len);
        else if (w->frames[w->nframes - 1].object)
            member_value(w, &w->frames[w->nframes - 1], t);
        else
            item_value(w, &w->frames[w->nframes - 1], t);
        break;
    }
    return w->failed || w->res->out_of_memory || w->path.out_of_memory ? 1 : 0;
}

/* Drops what a failed scan appended after the marks. */
static void truncate_result(struct kw_result *res, size_t ncauses, size_t nwarnings)
{
    for (size_t i = ncauses; i < res->ncauses; i++) {
        free(res->causes[i].field);
        free(res->causes[i].value);
        free(res->causes[i].detail);
    }
    for (size_t i = nwarnings; i < res->nwarnings; i++)
        free(res->warnings[i].text);
    res->ncauses = ncauses;
    res->nwarnings = nwarnings;
}

int kw_schema_validate_text(const struct kw_schema *schema, const char *buf, size_t len,
                            const char *path, enum kw_text_style style, struct kw_result *res,
                            struct kw_json_error *err, struct kw_text_stats *stats)
{
    struct kw_json_error local;
    if (!err)
        err = &local;
    struct walk w = {.schema = schema, .res = res, .style = style};
    kw_fieldpath_init(&w.path, style == KW_TEXT_EMBEDDED ? "" : path);
    if (style == KW_TEXT_EMBEDDED)
        w.field = path;
    size_t ncauses = res->ncauses, nwarnings = res->nwarnings;
    int rc = kw_json_scan(buf, len, visit, &w, err);
    if (rc > 0) { /* the visitor stopped: out of memory */
        res->out_of_memory = true;
        memset(err, 0, sizeof(*err));
        snprintf(err->text, sizeof(err->text), "not enough memory");
        rc = -1;
    }
    if (rc < 0) {
        truncate_result(res, ncauses, nwarnings);
        if (strcmp(err->text, "not enough memory") == 0)
            res->out_of_memory = true;
    } else if (w.nunknown > KW_SCHEMA_MAX_UNKNOWN_WARNINGS) {
        size_t more = w.nunknown - KW_SCHEMA_MAX_UNKNOWN_WARNINGS;
        if (style == KW_TEXT_EMBEDDED)
            kw_result_warn(res, schema->unknown_rule, "%s: %zu more unknown fields not listed",
                           path, more);
        else
            kw_result_warn(res, schema->unknown_rule, "%s: %zu more unknown fields not listed",
                           path[0] ? path : "(top)", more);
    }
    if (stats)
        stats->unknown_fields = w.nunknown;
    if (w.match)
        pcre2_match_data_free(w.match);
    kw_fieldpath_free(&w.path);
    free(w.frames);
    free(w.seen);
    free(w.scratch);
    return rc < 0 ? -1 : 0;
}
