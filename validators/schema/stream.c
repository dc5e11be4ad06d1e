/* The one-pass text validator (include/kw/schema/stream.h): a
 * kw_json_scan_document visitor that walks the compiled schema nodes (validators/schema/internal.h)
 * alongside the events, with an explicit stack of the containers that have a
 * node. A value without a node (unknown, ignored, or of the wrong type) is
 * skipped by depth, so most of a large document costs only the lexer.
 *
 * The walk mirrors the tree validator in validators/schema/validate.c
 * (check_object, check_array, check_string, ...), in the same order, and both
 * take their checks and message texts from messages.c; the one place the
 * order needs help is min/maxItems, which the tree reports before the items
 * and a scan only knows at the array's end: those causes are moved back to
 * where the array began. */
#include "kw/schema/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"
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
    size_t skip_depth;        /* > 0: inside a skipped container that began at this depth */
    bool failed;              /* an allocation failed */
    kw_json_visit_fn observe; /* sees every token first; may be NULL */
    void *observe_ud;
};

/* ---- small helpers -------------------------------------------------- */

/* A NUL-terminated copy of s[0..len) in the walk's scratch buffer. */
static const char *terminated(struct walk *w, const char *s, size_t len)
{
    if (KW_ARRAY_RESERVE(w->scratch, w->scratch_cap, len + 1)) {
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

/* The scalar view of a token (see internal.h). */
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
    case KW_JSON_REAL: {
        struct scalar sv = scalar_of(t);
        kw_schema_render_number(&sv, buf, len);
        return buf;
    }
    case KW_JSON_TRUE:
        return "true";
    case KW_JSON_FALSE:
        return "false";
    default:
        return kw_json_event_type_name(t->ev);
    }
}

/* A cause about the value `t` itself (cause_value in validate.c). */
static void cause_value(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule,
                        const struct kw_json_token *t, enum detail_kind dk, const char *detail)
{
    char buf[48], *owned;
    const char *shown = render_value(w, t, buf, sizeof(buf), &owned);
    add_cause(w, type, rule, shown, VALUE_DOCUMENT, dk, t, detail);
    free(owned);
}

/* Appends a cause whose detail is `detail_owned` (NULL: out of memory). */
static void cause_owned(struct walk *w, enum kw_cause_type type, enum kw_rule_id rule,
                        const char *value, enum value_kind vk, enum detail_kind dk,
                        const struct kw_json_token *at, char *detail_owned)
{
    if (!detail_owned) {
        w->res->out_of_memory = true;
        return;
    }
    add_cause(w, type, rule, value, vk, dk, at, detail_owned);
    free(detail_owned);
}

static void report_type(struct walk *w, const struct node *n, const struct kw_json_token *t)
{
    const char *actual = kw_json_event_type_name(t->ev);
    char quoted[16];
    snprintf(quoted, sizeof(quoted), "\"%s\"", actual);
    bool top = w->style == KW_TEXT_EMBEDDED && w->path.len == 0; /* the document itself */
    cause_owned(w, KW_CAUSE_TYPE, w->schema->type_rule, quoted, VALUE_TYPE, DETAIL_HAS_PATH, t,
                kw_schema_type_message(top ? NULL : w->path.buf, n->types, actual));
}

/* Appends a warning whose text is `text_owned` (NULL: out of memory),
 * prefixed with the Kubernetes field when embedded. */
static void warn_owned(struct walk *w, enum kw_rule_id rule, char *text_owned)
{
    if (!text_owned) {
        w->res->out_of_memory = true;
        return;
    }
    kw_result_warn(w->res, rule, "%s%s%s", w->field ? w->field : "", w->field ? ": " : "",
                   text_owned);
    free(text_owned);
}

/* `key` is NUL-terminated; `other_variant` as in validate.c's warn_unknown. */
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

/* ---- scalars -------------------------------------------------------- */

static bool enum_has(const struct node *n, const struct kw_json_token *t)
{
    struct scalar sv = scalar_of(t);
    return kw_schema_in_enum(n, &sv);
}

/* Reports a finding of messages.c about the value t. */
static void report(struct walk *w, enum kw_rule_id rule, const struct kw_json_token *t,
                   const struct finding *f)
{
    if (f->out_of_memory)
        w->res->out_of_memory = true;
    enum detail_kind dk = f->names_path ? DETAIL_HAS_PATH : DETAIL_BARE;
    if (f->shows_value)
        cause_value(w, f->type, rule, t, dk, f->detail);
    else
        add_cause(w, f->type, rule, NULL, VALUE_DOCUMENT, dk, t, f->detail);
}

static void check_number(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const struct kw_json_token *t)
{
    struct scalar sv = scalar_of(t);
    struct finding f;
    if (kw_schema_check_bounds(w->schema, n, w->path.buf, &sv, NULL, &f))
        report(w, f.width && w->schema->width_rule != KW_RULE_NONE ? w->schema->width_rule : rule,
               t, &f);
}

static void check_string(struct walk *w, const struct node *n, enum kw_rule_id rule,
                         const struct kw_json_token *t)
{
    /* Format checks take a terminated copy; a later render of the value
     * makes its own. */
    const char *cstr = NULL;
    if (n->format != FMT_NONE && !(cstr = terminated(w, t->text, t->len)))
        return;
    struct finding f;
    if (kw_schema_check_string(n, w->path.buf, t->text, t->len, cstr, &w->match, &f))
        report(w, rule, t, &f);
}

/* ---- containers ----------------------------------------------------- */

static void push_frame(struct walk *w, const struct node *n, enum kw_rule_id rule,
                       const struct kw_json_token *t, size_t path_mark)
{
    bool object = t->ev == KW_JSON_OBJECT_BEGIN;
    size_t nflags = object ? n->nprops : 0;
    if (KW_ARRAY_RESERVE(w->frames, w->frames_cap, w->nframes + 1) ||
        KW_ARRAY_RESERVE(w->seen, w->seen_cap, w->nseen + nflags)) {
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
        check_number(w, n, rule, t);
    }
    kw_fieldpath_pop(&w->path, mark);
}

static void other_variant(struct walk *w, const struct node *n, const struct prop *p,
                          const struct kw_json_token *t)
{
    if (!p->other_variant_forbidden) {
        warn_unknown(w, n, p->name, p);
        return;
    }
    size_t mark = kw_fieldpath_push_field(&w->path, p->name);
    cause_owned(w, KW_CAUSE_FORBIDDEN, p->other_variant_rule, NULL, VALUE_DOCUMENT, DETAIL_BARE, t,
                kw_schema_other_variant_message(p));
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
 * (check_object in validate.c). */
static void member_value(struct walk *w, const struct frame *f, const struct kw_json_token *t)
{
    const struct node *n = f->node;
    if (t->ev == KW_JSON_NULL)
        return; /* null counts as absent */
    const struct prop *p = kw_schema_match_prop(w->schema, n, w->key, w->keylen);
    if (p) {
        bool absent = p->empty_is_absent && t->ev == KW_JSON_STRING && t->len == 0;
        if (!absent)
            w->seen[f->seen + (size_t)(p - n->props)] = 1;
        if (!kw_schema_applies(p, w->schema->variant)) {
            other_variant(w, n, p, t);
        } else if (p->ignored) {
            warn_ignored(w, p);
        } else if (!absent) {
            if (p->warning)
                warn_owned(w, p->warning_rule, kw_schema_warning_message(w->path.buf, p));
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

/* check_required in validate.c, at the object's end. */
static void end_object(struct walk *w, const struct frame *f)
{
    const struct node *n = f->node;
    struct kw_json_token at = {.line = f->line, .column = f->column};
    for (size_t i = 0; i < n->nprops; i++) {
        const struct prop *p = &n->props[i];
        if (!p->required || !kw_schema_applies(p, w->schema->variant) || w->seen[f->seen + i])
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
        cause_owned(w, KW_CAUSE_INVALID, f->rule, count, VALUE_DOCUMENT, DETAIL_HAS_PATH, &at,
                    kw_schema_min_items_message(w->path.buf, n->min_items));
        move_last_cause(w->res, before, where++);
    }
    if (n->max_items >= 0 && f->count > (size_t)n->max_items) {
        size_t before = w->res->ncauses;
        cause_owned(w, KW_CAUSE_TOO_MANY, f->rule, count, VALUE_DOCUMENT, DETAIL_BARE, &at,
                    kw_schema_max_items_message(n->max_items));
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

/* A token outside any skipped value. Out of line: see visit. */
__attribute__((noinline)) static int walk_token(struct walk *w, const struct kw_json_token *t)
{
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

/* Every token: the observer's, then skipped (most of a large document:
 * unknown and ignored members) or walked. The walk is out of line so that
 * a skipped token costs a few comparisons and no saved registers. */
static int visit(void *ud, const struct kw_json_token *t)
{
    struct walk *w = ud;
    if (w->observe && w->observe(w->observe_ud, t) != 0)
        return 1;
    if (w->skip_depth) {
        if (t->depth == w->skip_depth &&
            (t->ev == KW_JSON_OBJECT_END || t->ev == KW_JSON_ARRAY_END))
            w->skip_depth = 0;
        return 0;
    }
    return walk_token(w, t);
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
    return kw_schema_validate_text_observed(schema, buf, len, path, style, res, err, stats, NULL,
                                            NULL);
}

int kw_schema_validate_text_observed(const struct kw_schema *schema, const char *buf, size_t len,
                                     const char *path, enum kw_text_style style,
                                     struct kw_result *res, struct kw_json_error *err,
                                     struct kw_text_stats *stats, kw_json_visit_fn observe,
                                     void *observe_ud)
{
    struct kw_json_error local;
    if (!err)
        err = &local;
    struct walk w = {
        .schema = schema, .res = res, .style = style, .observe = observe, .observe_ud = observe_ud};
    kw_fieldpath_init(&w.path, style == KW_TEXT_EMBEDDED ? "" : path);
    if (style == KW_TEXT_EMBEDDED)
        w.field = path;
    size_t ncauses = res->ncauses, nwarnings = res->nwarnings;
    int rc = kw_json_scan_document(buf, len, visit, &w, err);
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
        char *text = kw_schema_more_unknown_message(path, style != KW_TEXT_EMBEDDED,
                                                    w.nunknown - KW_SCHEMA_MAX_UNKNOWN_WARNINGS);
        kw_result_warn_owned(res, schema->unknown_rule, text);
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
