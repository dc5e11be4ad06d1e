/* kw_json_decode() and kw_json_decode_document(): build jansson values from
 * the events of kw_json_scan() / kw_json_scan_document(),
 * so the decoder and the scanner accept the same language. Each container is
 * attached to its parent when it opens (a parent holds the only reference),
 * so an error needs one json_decref of the root. Strings without escapes are
 * copied once, straight from the input, by jansson. A value limit stops the
 * scan at the first value over it, before that value is allocated.
 * kw_json_decode_pruned() also leaves out the members a kw_json_prune table
 * names: their events are counted against the limit and go no further. */
#include "kw/json/json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/dynbuf.h"

#define INLINE_LEVELS 32
#define PRUNE_LEVELS  (KW_JSON_PRUNE_DEPTH + 2) /* container levels 1 .. DEPTH + 1 */

struct builder {
    json_t *root;  /* owned until returned */
    json_t **open; /* borrowed: open containers, innermost last */
    size_t nopen, capopen;
    json_t *inline_open[INLINE_LEVELS];
    const char *key; /* borrowed from the scanner: valid through the next event */
    size_t key_len;
    size_t values, max_values;                        /* values built so far; the limit (0: none) */
    size_t failed_line, failed_column, failed_offset; /* where memory or the limit ran out */
    /* Pruning (kw_json_decode_pruned; all zero otherwise). Each open object
     * up to the deepest level a rule reaches has two sets of rules (bit i:
     * rules[i]): `follow`, those whose path goes on below it (the object is
     * their path so far), and `kept`, those whose kept object it is. Only
     * the keys of an object with a rule are compared with anything. */
    const struct kw_json_prune *rules;                 /* borrowed */
    uint32_t follow[PRUNE_LEVELS], kept[PRUNE_LEVELS]; /* by level: 1 is the top */
    uint64_t names[PRUNE_LEVELS];    /* name_bit() of each name `follow` goes on with */
    uint32_t next_follow, next_kept; /* the sets of the next value, if an object */
    bool skip_next;                  /* the next value is left out */
    size_t skipping;                 /* open containers of a value left out; 0: none */
};

#define OUT_OF_MEMORY 1
#define TOO_MANY      2

static int push_open(struct builder *b, json_t *container)
{
    /* The first INLINE_LEVELS levels live in the builder itself. */
    if (KW_ARRAY_RESERVE_INLINE(b->open, b->capopen, b->nopen + 1, b->inline_open))
        return -1;
    b->open[b->nopen++] = container;
    return 0;
}

/* Gives `value` (stolen) to the innermost open container, or makes it the
 * root. */
static int attach(struct builder *b, json_t *value)
{
    if (b->nopen == 0) {
        b->root = value;
        return 0;
    }
    json_t *parent = b->open[b->nopen - 1];
    if (json_is_array(parent))
        return json_array_append_new(parent, value);
    return json_object_setn_new_nocheck(parent, b->key, b->key_len, value);
}

static json_t *new_scalar(const struct kw_json_token *tok)
{
    switch (tok->ev) {
    case KW_JSON_STRING:
        return json_stringn_nocheck(tok->text, tok->len);
    case KW_JSON_INTEGER:
        return json_integer(tok->integer);
    case KW_JSON_REAL:
        return json_real(tok->real);
    case KW_JSON_TRUE:
        return json_true();
    case KW_JSON_FALSE:
        return json_false();
    default:
        return json_null();
    }
}

static int stop_at(struct builder *b, const struct kw_json_token *tok, int why)
{
    b->failed_line = tok->line;
    b->failed_column = tok->column;
    b->failed_offset = tok->offset;
    return why;
}

/*** pruning ***/

/* A name's bit in a 64-bit filter: most keys that are no rule's name at
 * their level have a bit no such name has, and are passed by at once. */
static uint64_t name_bit(const char *s, size_t len)
{
    unsigned h =
        len ? (unsigned char)s[0] + 3u * (unsigned char)s[len - 1] + 7u * (unsigned)len : 0;
    return 1ULL << (h & 63);
}

/* Whether the key `tok` is `name`. */
static bool is_key(const struct kw_json_name *name, const struct kw_json_token *tok)
{
    return name->len == tok->len && memcmp(name->s, tok->text, tok->len) == 0;
}

static bool in_keep_list(const struct kw_json_prune *rule, const struct kw_json_token *tok)
{
    for (size_t i = 0; i < KW_JSON_PRUNE_KEEP && rule->keep[i].s; i++)
        if (is_key(&rule->keep[i], tok))
            return true;
    return false;
}

/* A key of the object at `level`, which has rules: what becomes of its
 * value. Rules next to each other that share a path share its strings, so
 * such a name is compared once. */
__attribute__((noinline)) static void classify_key(struct builder *b, size_t level,
                                                   const struct kw_json_token *tok)
{
    const char *last = NULL;
    bool last_is = false;
    for (uint32_t m = b->follow[level]; m; m &= m - 1) {
        const struct kw_json_prune *rule = &b->rules[__builtin_ctz(m)];
        const struct kw_json_name *name = &rule->path[level - 1];
        if (name->len != tok->len)
            continue;
        if (name->s != last) {
            last = name->s;
            last_is = memcmp(name->s, tok->text, tok->len) == 0;
        }
        if (!last_is)
            continue;
        if (level < KW_JSON_PRUNE_DEPTH && rule->path[level].s)
            b->next_follow |= m & -m;
        else if (rule->keep[0].s)
            b->next_kept |= m & -m;
        else
            b->skip_next = true;
    }
    for (uint32_t m = b->kept[level]; m; m &= m - 1)
        if (!in_keep_list(&b->rules[__builtin_ctz(m)], tok))
            b->skip_next = true;
}

/* An event inside a value left out: counted as a built one, no more. */
__attribute__((noinline)) static int skip_event(struct builder *b, const struct kw_json_token *tok)
{
    switch (tok->ev) {
    case KW_JSON_KEY:
        return 0;
    case KW_JSON_OBJECT_END:
    case KW_JSON_ARRAY_END:
        b->skipping--;
        return 0;
    case KW_JSON_OBJECT_BEGIN:
    case KW_JSON_ARRAY_BEGIN:
        b->skipping++;
        break;
    default:
        break;
    }
    if (b->max_values && ++b->values > b->max_values)
        return stop_at(b, tok, TOO_MANY);
    return 0;
}

/* A container just opened at level b->nopen: its rules, if an object. */
static void enter_container(struct builder *b, const struct kw_json_token *tok)
{
    size_t level = b->nopen;
    if (level >= PRUNE_LEVELS)
        return;
    bool object = tok->ev == KW_JSON_OBJECT_BEGIN;
    b->follow[level] = object ? b->next_follow : 0;
    b->kept[level] = object ? b->next_kept : 0;
    b->names[level] = 0;
    for (uint32_t m = b->follow[level]; m; m &= m - 1) {
        const struct kw_json_name *name = &b->rules[__builtin_ctz(m)].path[level - 1];
        b->names[level] |= name_bit(name->s, name->len);
    }
}

/* Whether the key `tok` of the innermost container may be a rule's. */
static bool may_match(const struct builder *b, const struct kw_json_token *tok)
{
    size_t level = b->nopen;
    if (level >= PRUNE_LEVELS)
        return false;
    if (b->kept[level])
        return true;
    uint64_t names = b->names[level];
    return names && (names & name_bit(tok->text, tok->len));
}

/*** building ***/

static int build(void *ud, const struct kw_json_token *tok)
{
    struct builder *b = ud;
    if (b->skipping)
        return skip_event(b, tok);
    json_t *value;
    switch (tok->ev) {
    case KW_JSON_KEY:
        if (b->rules && may_match(b, tok))
            classify_key(b, b->nopen, tok);
        b->key = tok->text;
        b->key_len = tok->len;
        return 0;
    case KW_JSON_OBJECT_END:
    case KW_JSON_ARRAY_END:
        b->nopen--;
        return 0;
    default:
        break;
    }
    if (b->max_values && ++b->values > b->max_values)
        return stop_at(b, tok, TOO_MANY);
    int container = tok->ev == KW_JSON_OBJECT_BEGIN || tok->ev == KW_JSON_ARRAY_BEGIN;
    if (b->skip_next) {
        b->skip_next = false;
        b->next_follow = b->next_kept = 0;
        b->skipping = (size_t)container;
        return 0;
    }
    switch (tok->ev) {
    case KW_JSON_OBJECT_BEGIN:
        value = json_object();
        break;
    case KW_JSON_ARRAY_BEGIN:
        value = json_array();
        break;
    default:
        value = new_scalar(tok);
        break;
    }
    if (!value || attach(b, value) || (container && push_open(b, value)))
        return stop_at(b, tok, OUT_OF_MEMORY);
    if (b->rules) {
        if (container)
            enter_container(b, tok);
        b->next_follow = b->next_kept = 0;
    }
    return 0;
}

static void report_stop(const struct builder *b, int why, struct kw_json_error *err)
{
    if (!err)
        return;
    err->line = b->failed_line;
    err->column = b->failed_column;
    err->position = b->failed_offset;
    err->failure = why == TOO_MANY ? KW_JSON_FAIL_TOO_COMPLEX : KW_JSON_FAIL_NO_MEMORY;
    snprintf(err->text, sizeof err->text, "%s",
             why == TOO_MANY ? "too many values" : "not enough memory");
}

/*** entry points ***/

/* Builds the document with `b` (its limit and rules set) and returns its
 * root, or NULL with `err` filled. */
static json_t *run(struct builder *b, const char *buf, size_t len, bool document,
                   struct kw_json_error *err)
{
    b->capopen = INLINE_LEVELS;
    b->open = b->inline_open;
    int rc = document ? kw_json_scan_document(buf, len, build, b, err)
                      : kw_json_scan(buf, len, build, b, err);
    if (rc == OUT_OF_MEMORY || rc == TOO_MANY)
        report_stop(b, rc, err);
    if (b->open != b->inline_open)
        free(b->open);
    if (rc != 0) {
        json_decref(b->root);
        return NULL;
    }
    return b->root;
}

static json_t *decode(const char *buf, size_t len, bool document, size_t max_values,
                      struct kw_json_error *err)
{
    struct builder b = {.max_values = max_values};
    return run(&b, buf, len, document, err);
}

json_t *kw_json_decode(const char *buf, size_t len, struct kw_json_error *err)
{
    return decode(buf, len, false, 0, err);
}

json_t *kw_json_decode_limited(const char *buf, size_t len, size_t max_values,
                               struct kw_json_error *err)
{
    return decode(buf, len, false, max_values, err);
}

json_t *kw_json_decode_document(const char *buf, size_t len, struct kw_json_error *err)
{
    return decode(buf, len, true, 0, err);
}

json_t *kw_json_decode_pruned(const char *buf, size_t len, size_t max_values,
                              const struct kw_json_prune *prune_rules, size_t nprune,
                              struct kw_json_error *err)
{
    struct builder b = {.max_values = max_values, .rules = prune_rules};
    /* The top-level value is an object with every rule that has a path. */
    for (size_t i = 0; i < nprune && i < KW_JSON_PRUNE_MAX; i++)
        if (prune_rules[i].path[0].s)
            b.next_follow |= 1u << i;
    return run(&b, buf, len, false, err);
}
