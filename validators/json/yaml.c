/* YAML -> jansson with libyaml's event parser, resolving plain scalars as
 * kubectl does (sigs.k8s.io/yaml, YAML 1.1 rules): so `check` sees the same
 * JSON the API server would receive. Duplicate keys are an error, aliases are
 * deep-copied (bounded, against "billion laughs"), merge keys (`<<`) work.
 *
 * The builder keeps an explicit stack of open collections; each stack entry
 * owns its container until it is attached to its parent. */
#include "kw/json/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kw/base/dynbuf.h"

#define MAX_DEPTH 1000
#define MAX_NODES 2000000 /* total values built, aliases included */

struct frame {
    json_t *container; /* owned until attached */
    char *pending_key; /* mapping: key waiting for its value (owned) */
    size_t key_line, key_col;
    char *anchor;      /* owned */
    char *path;        /* "a.b[2]", owned */
    size_t next_index; /* sequence: index of the next item */
    json_t *merges;    /* mapping: values of `<<` keys, applied at the end */
};

struct anchor {
    char *name;
    json_t *value;
};

struct builder {
    struct frame *stack;
    size_t depth, cap;
    struct anchor *anchors;
    size_t nanchors, anchors_cap;
    size_t nodes;
    json_t *docs;                        /* array of finished documents */
    json_t *root;                        /* current document's root */
    struct kw_yaml_positions *positions; /* NULL = not recorded */
    struct kw_yaml_error *err;
};

static void set_err(struct kw_yaml_error *err, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(struct kw_yaml_error *err, size_t line, size_t col, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    err->line = line;
    err->column = col;
    snprintf(err->detail, sizeof(err->detail), "%s", detail);
    if (line)
        snprintf(err->text, sizeof(err->text), "line %zu, column %zu: %s", line, col, detail);
    else
        snprintf(err->text, sizeof(err->text), "%s", detail);
}

/* ---- scalar resolution (YAML 1.1 as sigs.k8s.io/yaml) ---- */

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static const char *const true_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                         "True", "TRUE", "on",  "On",  "ON",  NULL};
static const char *const false_words[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                          "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const special_floats[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                             ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                             "-.Inf", "-.INF", NULL};

/* Copies s without '_' into out (size >= strlen(s)+1). */
static void strip_underscores(const char *s, char *out)
{
    for (; *s; s++)
        if (*s != '_')
            *out++ = *s;
    *out = 0;
}

static bool all_digits(const char *s, int base)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        int c = (unsigned char)*s;
        bool ok = base == 16
                      ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                  : base == 8 ? (c >= '0' && c <= '7')
                  : base == 2 ? (c == '0' || c == '1')
                              : (c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* Integer forms of Go's strconv.ParseInt(s, 0, 64): decimal, 0x, 0o, 0b and
 * a leading 0 for octal. Returns true and *out on success (in range). */
static bool parse_int(const char *plain, long long *out)
{
    const char *p = plain;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16, p += 2;
    else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        base = 8, p += 2;
    else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
        base = 2, p += 2;
    else if (p[0] == '0' && p[1])
        base = 8, p += 1;
    if (!all_digits(p, base))
        return false;
    errno = 0;
    unsigned long long u = strtoull(p, NULL, base);
    if (errno == ERANGE)
        return false;
    if (neg) {
        if (u > (unsigned long long)INT64_MAX + 1)
            return false;
        *out = u == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)u;
    } else {
        if (u > INT64_MAX)
            return false;
        *out = (long long)u;
    }
    return true;
}

/* yaml.v2's float form: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_yaml_float(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    size_t lead = strspn(s, "0123456789");
    s += lead;
    if (*s == '.') {
        s++;
        size_t frac = strspn(s, "0123456789");
        if (!lead && !frac)
            return false;
        s += frac;
    } else if (!lead) {
        return false;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        size_t exp = strspn(s, "0123456789");
        if (!exp)
            return false;
        s += exp;
    }
    return *s == 0;
}

/* Resolves a plain scalar. Returns NULL and fills err for values JSON
 * cannot hold (.nan, .inf), as kubectl fails on them too. */
static json_t *resolve_plain(const char *s, size_t len, const yaml_mark_t *mark,
                             struct kw_yaml_error *err)
{
    if (strlen(s) != len) /* NUL inside a plain scalar: keep it as a string */
        return json_stringn(s, len);
    if (in_list(s, null_words))
        return json_null();
    if (in_list(s, true_words))
        return json_true();
    if (in_list(s, false_words))
        return json_false();
    if (in_list(s, special_floats)) {
        set_err(err, mark->line + 1, mark->column + 1, "%s cannot be represented in JSON", s);
        return NULL;
    }
    if (!strchr("+-.0123456789", s[0]))
        return json_stringn(s, len);
    char *plain = malloc(len + 1);
    if (!plain)
        return NULL;
    strip_underscores(s, plain);
    json_t *v = NULL;
    long long i;
    if (parse_int(plain, &i)) {
        v = json_integer(i);
    } else if (is_yaml_float(plain)) {
        double d = strtod(plain, NULL);
        /* kubectl turns YAML into JSON through float64: a whole float such
         * as 1.0 or 1e3 reaches the API server as the integer 1 / 1000. */
        if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0)
            v = json_integer((json_int_t)d);
        else if (isfinite(d))
            v = json_real(d);
        else
            set_err(err, mark->line + 1, mark->column + 1, "number %s is out of range", s);
    } else {
        v = json_stringn(s, len);
    }
    free(plain);
    return v;
}

static json_t *scalar_value(const yaml_event_t *ev, struct kw_yaml_error *err)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag && strcmp(tag, YAML_STR_TAG) == 0)
        return json_stringn(s, len);
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && !tag)
        return json_stringn(s, len);
    json_t *v = resolve_plain(s, len, &ev->start_mark, err);
    if (!v && !err->text[0])
        set_err(err, ev->start_mark.line + 1, ev->start_mark.column + 1,
                "scalar is not valid UTF-8");
    return v;
}

/* A mapping key as text: kubectl stringifies booleans and null keys. */
static char *key_text(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (in_list(s, true_words))
            return strdup("true");
        if (in_list(s, false_words))
            return strdup("false");
        if (in_list(s, null_words))
            return strdup("null");
    }
    return strndup(s, ev->data.scalar.length);
}

/* ---- positions ---- */

static void record_position(struct builder *b, const char *path, size_t line, size_t col)
{
    struct kw_yaml_positions *p = b->positions;
    if (!p)
        return;
    if (KW_ARRAY_RESERVE(p->items, p->cap, p->len + 1))
        return;
    char *copy = strdup(path);
    if (!copy)
        return;
    p->items[p->len++] = (struct kw_yaml_position){copy, line, col};
}

void kw_yaml_positions_free(struct kw_yaml_positions *positions)
{
    if (!positions)
        return;
    for (size_t i = 0; i < positions->len; i++)
        free(positions->items[i].path);
    free(positions->items);
    positions->items = NULL;
    positions->len = 0;
    positions->cap = 0;
}

/* ---- the builder ---- */

static char *child_path(const struct frame *parent)
{
    char *out = NULL;
    if (!parent)
        return strdup("");
    if (json_is_array(parent->container)) {
        if (asprintf(&out, "%s[%zu]", parent->path, parent->next_index) < 0)
            return NULL;
    } else if (parent->path[0]) {
        if (asprintf(&out, "%s.%s", parent->path, parent->pending_key) < 0)
            return NULL;
    } else {
        out = strdup(parent->pending_key);
    }
    return out;
}

static bool remember_anchor(struct builder *b, const char *name, json_t *value)
{
    if (!name)
        return true;
    if (KW_ARRAY_RESERVE(b->anchors, b->anchors_cap, b->nanchors + 1))
        return false;
    char *copy = strdup(name);
    if (!copy)
        return false;
    b->anchors[b->nanchors++] = (struct anchor){copy, json_incref(value)};
    return true;
}

static size_t count_nodes(const json_t *v)
{
    size_t n = 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) n += count_nodes(c);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) n += count_nodes(c);
    }
    return n;
}

/* Attaches a finished value (stolen) to the top frame or makes it the root. */
static bool attach(struct builder *b, json_t *value, size_t line, size_t col)
{
    if (++b->nodes > MAX_NODES) {
        json_decref(value);
        set_err(b->err, line, col, "document too large (more than %d values)", MAX_NODES);
        return false;
    }
    if (b->depth == 0) {
        b->root = value;
        return true;
    }
    struct frame *top = &b->stack[b->depth - 1];
    if (json_is_array(top->container)) {
        top->next_index++;
        return json_array_append_new(top->container, value) == 0;
    }
    if (!top->pending_key) {
        /* A non-scalar mapping key: kubectl refuses it too. */
        json_decref(value);
        set_err(b->err, line, col, "mapping keys must be strings");
        return false;
    }
    char *key = top->pending_key;
    top->pending_key = NULL;
    if (strcmp(key, "<<") == 0) {
        int rc = json_array_append_new(top->merges, value);
        free(key);
        return rc == 0;
    }
    int rc = json_object_set_new(top->container, key, value);
    free(key);
    return rc == 0;
}

static bool push(struct builder *b, json_t *container_stolen, const yaml_event_t *ev,
                 const char *anchor)
{
    if (b->depth >= MAX_DEPTH) {
        json_decref(container_stolen);
        set_err(b->err, ev->start_mark.line + 1, ev->start_mark.column + 1,
                "nesting deeper than %d levels", MAX_DEPTH);
        return false;
    }
    if (KW_ARRAY_RESERVE(b->stack, b->cap, b->depth + 1)) {
        json_decref(container_stolen);
        return false;
    }
    char *path = child_path(b->depth ? &b->stack[b->depth - 1] : NULL);
    if (path)
        record_position(b, path, ev->start_mark.line + 1, ev->start_mark.column + 1);
    struct frame f = {.container = container_stolen,
                      .path = path,
                      .anchor = anchor ? strdup(anchor) : NULL,
                      .merges = json_is_object(container_stolen) ? json_array() : NULL};
    if (!path || (anchor && !f.anchor) || (json_is_object(container_stolen) && !f.merges)) {
        free(path);
        free(f.anchor);
        json_decref(f.merges);
        json_decref(container_stolen);
        return false;
    }
    b->stack[b->depth++] = f;
    return true;
}

/* Applies `<<` merges: keys already present win (YAML merge semantics). */
static bool apply_merges(struct builder *b, struct frame *f, const yaml_event_t *ev)
{
    size_t i;
    json_t *m;
    json_array_foreach(f->merges, i, m)
    {
        json_t *sources = json_is_array(m) ? m : NULL;
        size_t n = sources ? json_array_size(sources) : 1;
        for (size_t j = 0; j < n; j++) {
            json_t *src = sources ? json_array_get(sources, j) : m;
            if (!json_is_object(src)) {
                set_err(b->err, ev->start_mark.line + 1, ev->start_mark.column + 1,
                        "a merge key (<<) takes a mapping or a list of mappings");
                return false;
            }
            const char *k;
            json_t *v;
            json_object_foreach(src, k, v)
            {
                if (!json_object_get(f->container, k) &&
                    json_object_set_new(f->container, k, json_deep_copy(v)) != 0)
                    return false;
            }
        }
    }
    return true;
}

static bool pop(struct builder *b, const yaml_event_t *ev)
{
    struct frame f = b->stack[--b->depth];
    bool ok = true;
    if (f.merges && json_array_size(f.merges) > 0)
        ok = apply_merges(b, &f, ev);
    json_decref(f.merges);
    free(f.pending_key);
    free(f.path);
    if (ok && f.anchor)
        ok = remember_anchor(b, f.anchor, f.container);
    free(f.anchor);
    if (!ok) {
        json_decref(f.container);
        return false;
    }
    return attach(b, f.container, ev->start_mark.line + 1, ev->start_mark.column + 1);
}

static json_t *find_anchor(struct builder *b, const char *name)
{
    for (size_t i = b->nanchors; i-- > 0;)
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].value;
    return NULL;
}

/* Handles a scalar in key position of the top mapping. */
static bool take_key(struct builder *b, const yaml_event_t *ev)
{
    struct frame *top = &b->stack[b->depth - 1];
    char *key = key_text(ev);
    if (!key)
        return false;
    size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
    if (strcmp(key, "<<") != 0 && json_object_get(top->container, key)) {
        set_err(b->err, line, col, "mapping key \"%s\" already defined", key);
        free(key);
        return false;
    }
    top->pending_key = key;
    top->key_line = line;
    top->key_col = col;
    char *path = child_path(top);
    if (path)
        record_position(b, path, line, col);
    free(path);
    return true;
}

static bool expecting_key(const struct builder *b)
{
    if (b->depth == 0)
        return false;
    const struct frame *top = &b->stack[b->depth - 1];
    return json_is_object(top->container) && !top->pending_key;
}

static bool on_scalar(struct builder *b, const yaml_event_t *ev)
{
    if (expecting_key(b))
        return take_key(b, ev);
    if (!b->depth || json_is_array(b->stack[b->depth - 1].container)) {
        char *path = child_path(b->depth ? &b->stack[b->depth - 1] : NULL);
        if (path)
            record_position(b, path, ev->start_mark.line + 1, ev->start_mark.column + 1);
        free(path);
    }
    json_t *v = scalar_value(ev, b->err);
    if (!v)
        return false;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    if (anchor && !remember_anchor(b, anchor, v)) {
        json_decref(v);
        return false;
    }
    return attach(b, v, ev->start_mark.line + 1, ev->start_mark.column + 1);
}

static bool on_alias(struct builder *b, const yaml_event_t *ev)
{
    size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
    const char *name = (const char *)ev->data.alias.anchor;
    json_t *target = find_anchor(b, name);
    if (!target) {
        set_err(b->err, line, col, "unknown anchor \"%s\"", name);
        return false;
    }
    if (expecting_key(b)) {
        set_err(b->err, line, col, "an alias cannot be a mapping key");
        return false;
    }
    b->nodes += count_nodes(target);
    if (b->nodes > MAX_NODES) {
        set_err(b->err, line, col, "document too large (aliases expand past %d values)", MAX_NODES);
        return false;
    }
    json_t *copy = json_deep_copy(target);
    return copy && attach(b, copy, line, col);
}

static bool on_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        b->root = NULL;
        return true;
    case YAML_DOCUMENT_END_EVENT:
        if (b->root && !json_is_null(b->root)) {
            if (json_array_append_new(b->docs, b->root) != 0)
                return false;
        } else {
            json_decref(b->root);
        }
        b->root = NULL;
        for (size_t i = 0; i < b->nanchors; i++) {
            free(b->anchors[i].name);
            json_decref(b->anchors[i].value);
        }
        b->nanchors = 0;
        return true;
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        if (expecting_key(b)) {
            set_err(b->err, ev->start_mark.line + 1, ev->start_mark.column + 1,
                    "mapping keys must be strings");
            return false;
        }
        return push(b, json_array(), ev, (const char *)ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        if (expecting_key(b)) {
            set_err(b->err, ev->start_mark.line + 1, ev->start_mark.column + 1,
                    "mapping keys must be strings");
            return false;
        }
        return push(b, json_object(), ev, (const char *)ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return pop(b, ev);
    default:
        return true;
    }
}

static void builder_free(struct builder *b)
{
    while (b->depth) {
        struct frame *f = &b->stack[--b->depth];
        json_decref(f->container);
        json_decref(f->merges);
        free(f->pending_key);
        free(f->anchor);
        free(f->path);
    }
    free(b->stack);
    for (size_t i = 0; i < b->nanchors; i++) {
        free(b->anchors[i].name);
        json_decref(b->anchors[i].value);
    }
    free(b->anchors);
    json_decref(b->root);
}

static json_t *load(const char *buf, size_t len, struct kw_yaml_positions *positions,
                    struct kw_yaml_error *err)
{
    memset(err, 0, sizeof(*err));
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        set_err(err, 0, 0, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    struct builder b = {.docs = json_array(), .positions = positions, .err = err};
    bool ok = b.docs != NULL;
    bool done = false;
    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            set_err(err, parser.problem_mark.line + 1, parser.problem_mark.column + 1, "%s%s%s",
                    parser.problem ? parser.problem : "invalid YAML", parser.context ? " " : "",
                    parser.context ? parser.context : "");
            ok = false;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        ok = on_event(&b, &ev);
        if (!ok && !err->text[0])
            set_err(err, ev.start_mark.line + 1, ev.start_mark.column + 1, "out of memory");
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    builder_free(&b);
    if (!ok) {
        json_decref(b.docs);
        return NULL;
    }
    return b.docs;
}

json_t *kw_yaml_load_all(const char *buf, size_t len, struct kw_yaml_error *err)
{
    return load(buf, len, NULL, err);
}

static json_t *single(json_t *docs, struct kw_yaml_error *err)
{
    if (!docs)
        return NULL;
    if (json_array_size(docs) == 0) {
        set_err(err, 0, 0, "the document is empty");
        json_decref(docs);
        return NULL;
    }
    if (json_array_size(docs) != 1) {
        set_err(err, 0, 0, "expected one YAML document, found %zu", json_array_size(docs));
        json_decref(docs);
        return NULL;
    }
    json_t *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return doc;
}

json_t *kw_yaml_load_one(const char *buf, size_t len, struct kw_yaml_error *err)
{
    return single(load(buf, len, NULL, err), err);
}

json_t *kw_yaml_load_part(const char *buf, size_t len, size_t first_line,
                          struct kw_yaml_positions *positions_out, struct kw_yaml_error *err)
{
    if (positions_out)
        memset(positions_out, 0, sizeof(*positions_out));
    json_t *docs = load(buf, len, positions_out, err);
    size_t shift = first_line > 0 ? first_line - 1 : 0;
    if (!docs) {
        kw_yaml_positions_free(positions_out);
        if (err->line) {
            char detail[sizeof(err->detail)];
            memcpy(detail, err->detail, sizeof(detail));
            set_err(err, err->line + shift, err->column, "%s", detail);
        }
        return NULL;
    }
    for (size_t i = 0; positions_out && i < positions_out->len; i++)
        positions_out->items[i].line += shift;
    return docs;
}

json_t *kw_yaml_load_one_with_positions(const char *buf, size_t len,
                                        struct kw_yaml_positions *positions_out,
                                        struct kw_yaml_error *err)
{
    memset(positions_out, 0, sizeof(*positions_out));
    json_t *doc = single(load(buf, len, positions_out, err), err);
    if (!doc)
        kw_yaml_positions_free(positions_out);
    return doc;
}
