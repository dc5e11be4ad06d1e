/* Differential check of kw_json_decode/kw_json_scan against json_loadb: see
 * json_oracle.h. Also compiled into the fuzz target fuzz/fuzz_json.c. */
#include "json_oracle.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/json.h"

__attribute__((format(printf, 3, 4))) static int disagree(char *why, size_t whylen, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/*** values ***/

/* Same type, same integer/real split, bitwise-equal reals, byte-equal
 * strings, and object keys in the same order. */
static int same_value(json_t *a, json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        void *ia = json_object_iter(a), *ib = json_object_iter(b);
        for (; ia && ib; ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
            size_t la = json_object_iter_key_len(ia), lb = json_object_iter_key_len(ib);
            if (la != lb || memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0)
                return 0;
            if (!same_value(json_object_iter_value(ia), json_object_iter_value(ib)))
                return 0;
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_value(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return 1;
    }
}

/*** scanner events ***/

struct event {
    enum kw_json_event ev;
    char *text; /* KEY/STRING: copy of the decoded bytes */
    size_t len;
    long long integer;
    double real;
    size_t depth;
};

struct events {
    struct event *items;
    size_t len, cap;
    int broken; /* out of memory while recording */
};

static int record(void *ud, const struct kw_json_token *tok)
{
    struct events *evs = ud;
    if (evs->len == evs->cap) {
        size_t cap = evs->cap ? evs->cap * 2 : 64;
        struct event *grown = realloc(evs->items, cap * sizeof *grown);
        if (!grown) {
            evs->broken = 1;
            return 1;
        }
        evs->items = grown;
        evs->cap = cap;
    }
    struct event *e = &evs->items[evs->len];
    memset(e, 0, sizeof *e);
    e->ev = tok->ev;
    e->depth = tok->depth;
    e->integer = tok->integer;
    e->real = tok->real;
    if (tok->ev == KW_JSON_KEY || tok->ev == KW_JSON_STRING) {
        e->text = malloc(tok->len + 1);
        if (!e->text) {
            evs->broken = 1;
            return 1;
        }
        memcpy(e->text, tok->text, tok->len);
        e->len = tok->len;
    }
    evs->len++;
    return 0;
}

static void events_free(struct events *evs)
{
    for (size_t i = 0; i < evs->len; i++)
        free(evs->items[i].text);
    free(evs->items);
}

static size_t count_members(json_t *v)
{
    size_t n = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach(v, key, member)
        {
            (void)key;
            n += 1 + count_members(member);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            n += count_members(json_array_get(v, i));
    }
    return n;
}

static int next_is(const struct events *evs, size_t *i, enum kw_json_event ev, size_t depth)
{
    if (*i >= evs->len || evs->items[*i].ev != ev || evs->items[*i].depth != depth)
        return 0;
    (*i)++;
    return 1;
}

/* The events from *i on are a depth-first walk of v at nesting `depth`. */
static int walk_matches(json_t *v, const struct events *evs, size_t *i, size_t depth)
{
    if (*i >= evs->len)
        return 0;
    const struct event *e = &evs->items[*i];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (!next_is(evs, i, KW_JSON_OBJECT_BEGIN, depth))
            return 0;
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            size_t klen = json_object_iter_key_len(it);
            const struct event *k = *i < evs->len ? &evs->items[*i] : NULL;
            if (!k || k->ev != KW_JSON_KEY || k->depth != depth + 1 || k->len != klen ||
                memcmp(k->text, json_object_iter_key(it), klen) != 0)
                return 0;
            (*i)++;
            if (!walk_matches(json_object_iter_value(it), evs, i, depth + 1))
                return 0;
        }
        return next_is(evs, i, KW_JSON_OBJECT_END, depth);
    }
    case JSON_ARRAY:
        if (!next_is(evs, i, KW_JSON_ARRAY_BEGIN, depth))
            return 0;
        for (size_t j = 0; j < json_array_size(v); j++)
            if (!walk_matches(json_array_get(v, j), evs, i, depth + 1))
                return 0;
        return next_is(evs, i, KW_JSON_ARRAY_END, depth);
    case JSON_STRING:
        if (e->ev != KW_JSON_STRING || e->len != json_string_length(v) ||
            memcmp(e->text, json_string_value(v), e->len) != 0)
            return 0;
        break;
    case JSON_INTEGER:
        if (e->ev != KW_JSON_INTEGER || e->integer != json_integer_value(v))
            return 0;
        break;
    case JSON_REAL: {
        double x = json_real_value(v);
        if (e->ev != KW_JSON_REAL || memcmp(&e->real, &x, sizeof x) != 0)
            return 0;
        break;
    }
    case JSON_TRUE:
        if (e->ev != KW_JSON_TRUE)
            return 0;
        break;
    case JSON_FALSE:
        if (e->ev != KW_JSON_FALSE)
            return 0;
        break;
    default:
        if (e->ev != KW_JSON_NULL)
            return 0;
        break;
    }
    if (e->depth != depth)
        return 0;
    (*i)++;
    return 1;
}

/* The scanner's events describe `tree`. With duplicate keys the scanner
 * reports every member while the tree keeps one, so only the counts are
 * related then. */
static int events_describe(json_t *tree, const struct events *evs)
{
    size_t keys = 0;
    for (size_t i = 0; i < evs->len; i++)
        keys += evs->items[i].ev == KW_JSON_KEY;
    size_t members = count_members(tree);
    if (keys != members)
        return keys > members;
    size_t i = 0;
    return walk_matches(tree, evs, &i, 1) && i == evs->len;
}

/*** errors ***/

static int printable_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20)
            return 0;
        size_t n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;
        if (n == 0)
            return 0;
        for (size_t k = 1; k < n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

static int same_error(const struct kw_json_error *a, const struct kw_json_error *b)
{
    return a->line == b->line && a->column == b->column && a->position == b->position &&
           strcmp(a->text, b->text) == 0;
}

/* Accepted disagreement: jansson skips a NUL byte right after a number or
 * a literal; the decoder rejects it. */
static int is_skipped_nul(const char *buf, const struct kw_json_error *ke)
{
    size_t at = ke->position;
    if (strcmp(ke->text, "NUL byte outside a string") != 0 || at < 2 || buf[at - 1] != '\0')
        return 0;
    unsigned char before = (unsigned char)buf[at - 2];
    return (before >= '0' && before <= '9') || (before >= 'a' && before <= 'z') ||
           (before >= 'A' && before <= 'Z');
}

static int recheck_without_byte(const char *buf, size_t len, size_t at, char *why, size_t whylen)
{
    char *copy = malloc(len);
    if (!copy)
        return disagree(why, whylen, "out of memory in the oracle");
    memcpy(copy, buf, at);
    memcpy(copy + at, buf + at + 1, len - at - 1);
    int rc = kw_json_oracle_check(copy, len - 1, why, whylen);
    free(copy);
    return rc;
}

static int compare_errors(const char *buf, size_t len, const json_error_t *je,
                          const struct kw_json_error *ke, char *why, size_t whylen)
{
    if (memchr(buf, '\0', len))
        return 0;
    if ((size_t)je->line != ke->line || (size_t)je->column != ke->column ||
        (size_t)je->position != ke->position)
        return disagree(why, whylen, "error position: jansson %d:%d@%d '%s', kw %zu:%zu@%zu '%s'",
                        je->line, je->column, je->position, je->text, ke->line, ke->column,
                        ke->position, ke->text);
    if (printable_utf8(je->text) && strcmp(je->text, ke->text) != 0)
        return disagree(why, whylen, "error text: jansson '%s', kw '%s'", je->text, ke->text);
    if (!printable_utf8(ke->text))
        return disagree(why, whylen, "kw error text is not printable UTF-8");
    return 0;
}

int kw_json_oracle_check(const char *buf, size_t len, char *why, size_t whylen)
{
    json_error_t je;
    struct kw_json_error ke, se;
    json_t *j = json_loadb(buf, len, 0, &je);
    json_t *k = kw_json_decode(buf, len, &ke);
    struct events evs = {0};
    int src = kw_json_scan(buf, len, record, &evs, &se);
    int rc = 0;

    if (evs.broken)
        rc = disagree(why, whylen, "out of memory in the oracle");
    else if ((src == 0) != (k != NULL))
        rc = disagree(why, whylen, "scanner %s, decoder %s", src == 0 ? "accepts" : "rejects",
                      k ? "accepts" : "rejects");
    else if (!k && !same_error(&ke, &se))
        rc = disagree(why, whylen, "decoder error %zu:%zu '%s', scanner error %zu:%zu '%s'",
                      ke.line, ke.column, ke.text, se.line, se.column, se.text);
    else if (j && !k && is_skipped_nul(buf, &ke))
        rc = recheck_without_byte(buf, len, ke.position - 1, why, whylen);
    else if ((j != NULL) != (k != NULL))
        rc = disagree(why, whylen, "jansson %s, kw %s (%s)", j ? "accepts" : "rejects",
                      k ? "accepts" : "rejects", j ? ke.text : je.text);
    else if (j && (!json_equal(j, k) || !same_value(j, k)))
        rc = disagree(why, whylen, "values differ");
    else if (j && !events_describe(k, &evs))
        rc = disagree(why, whylen, "scanner events do not walk the decoded tree");
    else if (!j)
        rc = compare_errors(buf, len, &je, &ke, why, whylen);

    events_free(&evs);
    json_decref(j);
    json_decref(k);
    return rc;
}

/*** pruning ***/

static int keeps(const struct kw_json_prune *r, const char *key, size_t len)
{
    for (size_t i = 0; i < KW_JSON_PRUNE_KEEP && r->keep[i].s; i++)
        if (r->keep[i].len == len && memcmp(r->keep[i].s, key, len) == 0)
            return 1;
    return 0;
}

static void prune_rule(json_t *obj, const struct kw_json_prune *r, size_t level)
{
    if (!json_is_object(obj))
        return;
    const struct kw_json_name *name = &r->path[level];
    json_t *v = json_object_getn(obj, name->s, name->len);
    if (!v)
        return;
    if (level + 1 < KW_JSON_PRUNE_DEPTH && r->path[level + 1].s) {
        prune_rule(v, r, level + 1);
    } else if (!r->keep[0].s) {
        json_object_deln(obj, name->s, name->len);
    } else if (json_is_object(v)) {
        const char *key;
        size_t klen;
        json_t *item;
        void *tmp;
        json_object_keylen_foreach_safe(v, tmp, key, klen, item)
        {
            (void)item;
            if (!keeps(r, key, klen))
                json_object_deln(v, key, klen);
        }
    }
}

void kw_json_prune_tree(json_t *root, const struct kw_json_prune *rules, size_t nrules)
{
    for (size_t i = 0; i < nrules; i++)
        if (rules[i].path[0].s)
            prune_rule(root, &rules[i], 0);
}

int kw_json_prune_oracle_check(const char *buf, size_t len, size_t max_values,
                               const struct kw_json_prune *rules, size_t nrules, char *why,
                               size_t whylen)
{
    struct kw_json_error fe, pe;
    json_t *full = kw_json_decode_limited(buf, len, max_values, &fe);
    json_t *pruned = kw_json_decode_pruned(buf, len, max_values, rules, nrules, &pe);
    int rc = 0;
    if ((full != NULL) != (pruned != NULL))
        rc = disagree(why, whylen, "plain decoder %s, pruned decoder %s (%s)",
                      full ? "accepts" : "rejects", pruned ? "accepts" : "rejects",
                      full ? pe.text : fe.text);
    else if (!full && (!same_error(&fe, &pe) || fe.failure != pe.failure))
        rc = disagree(why, whylen, "plain error %zu:%zu@%zu '%s', pruned %zu:%zu@%zu '%s'", fe.line,
                      fe.column, fe.position, fe.text, pe.line, pe.column, pe.position, pe.text);
    else if (full) {
        kw_json_prune_tree(full, rules, nrules);
        if (!json_equal(full, pruned) || !same_value(full, pruned))
            rc = disagree(why, whylen,
                          "the pruned tree is not the plain tree with the rules' "
                          "members removed");
    }
    json_decref(full);
    json_decref(pruned);
    return rc;
}
