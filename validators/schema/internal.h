/* The compiled form of a schema, made by the compiler
 * (validators/schema/compile.c) and walked by the tree validator
 * (validators/schema/validate.c, jansson values) and the one-pass text
 * validator (validators/schema/stream.c, JSON text through kw_json_scan),
 * with the checks and messages all three share (messages.c, scalar.c). Only
 * the files of this folder include this header; everyone else uses
 * include/kw/schema/schema.h and include/kw/schema/stream.h. Compiled nodes
 * are read-only after kw_schema_set_add returns. Rules are enum kw_rule_id,
 * resolved from the documents' ids when compiled; an absent one is
 * KW_RULE_NONE, which the compiler sets explicitly (zero is a rule). */
#ifndef KW_SCHEMA_INTERNAL_H
#define KW_SCHEMA_INTERNAL_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <jansson.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "kw/decision/result.h"
#include "kw/decision/rules.h"
#include "kw/formats/formats.h"
#include "kw/schema/schema.h"

enum {
    T_OBJECT = 1u << 0,
    T_ARRAY = 1u << 1,
    T_STRING = 1u << 2,
    T_INTEGER = 1u << 3,
    T_NUMBER = 1u << 4,
    T_BOOLEAN = 1u << 5,
};

enum format {
    FMT_NONE,
    FMT_QUANTITY,
    FMT_DATETIME,
    FMT_CRON,
    FMT_DNS1123_SUBDOMAIN,
    FMT_DNS1123_LABEL,
    FMT_LABEL_KEY,
    FMT_LABEL_VALUE,
    FMT_CONFIGMAP_KEY,
    FMT_IDENTITY,
    FMT_ABSOLUTE_PATH,
    FMT_INT32, /* type integer: a value the consumer stores in 32 bits */
    FMT_INT64, /* type integer: ... in 64 bits */
};

enum unknown_policy { UNKNOWN_WARN, UNKNOWN_IGNORE };

struct bound {
    bool set, exclusive;
    long long i; /* bounds are whole numbers */
};

struct node;

struct prop {
    const char *name;
    size_t name_len; /* strlen(name), for the lookup's probes */
    struct node *node;
    unsigned variants;          /* 0: every variant */
    const char *variants_label; /* "ReplicationSource", for messages */
    enum kw_rule_id rule;       /* `rule` next to $ref: this use's rule id */
    bool empty_is_absent;
    bool other_variant_forbidden;
    enum kw_rule_id other_variant_rule;
    bool required;
    enum kw_rule_id required_rule; /* KW_RULE_NONE: the property's own rule */
    const char *required_message;  /* detail after "Required value"; may be NULL */
    /* `ignored: HINT`: a documented key the consumer does not read; its value
     * is not checked, its presence is warned with this hint. NULL: read. */
    const char *ignored;
    /* `since`/`until`: the first and the last version of the consumer that
     * has the property ("0.16" as 16 + 1000 * 0); 0: no bound. */
    int since, until;
    const char *version_hint; /* `versionHint`: what to use instead; may be NULL */
    /* `warning: TEXT` (with `warningRule`): a key that is read but does harm;
     * its presence is warned with this text, and its value still checked. */
    const char *warning;
    enum kw_rule_id warning_rule;
};

struct stale_name {
    const char *name, *replacement;
};

struct node {
    unsigned types; /* 0: any type */
    enum format format;
    enum kw_rule_id rule; /* NULL: inherited from the parent */
    /* object */
    struct prop *props; /* sorted by name (strcmp) */
    size_t nprops;
    /* The lookup index of props (kw_schema_find_prop): slot i holds 1 + the
     * index of a property whose kw_schema_name_hash is i, or 0 (empty); open
     * addressing with linear probing, slot_mask + 1 slots (a power of two,
     * at least twice nprops). NULL when there are no properties. */
    uint16_t *slots;
    size_t slot_mask;
    /* The indices of the required properties, in props order. */
    uint16_t *required;
    size_t nrequired;
    struct node *additional; /* schema of the values of other keys (a map) */
    enum format key_format;  /* format of the keys of other keys */
    enum unknown_policy unknown;
    struct stale_name *stale;
    size_t nstale;
    /* array */
    struct node *items;
    long long min_items, max_items; /* -1: none */
    /* string */
    long long min_length, max_length; /* -1: none; counted in characters */
    pcre2_code *pattern;
    const char *pattern_src;
    /* enum */
    const json_t *enum_values; /* borrowed from the document */
    char *enum_detail;         /* `supported values: "a", "b"` */
    /* numbers and quantities */
    struct bound min, max;
};

struct kw_schema {
    const char *name;
    struct node *root;
    unsigned variant; /* bit of this schema's variant; 0 when none */
    enum kw_rule_id type_rule, unknown_rule, default_rule;
    enum kw_rule_id ignored_rule; /* rule of `ignored` warnings; KW_RULE_NONE: unknown_rule */
    bool integral_reals;          /* a real with no fraction counts as an integer */
    enum kw_rule_id width_rule;   /* int32/int64 range causes; KW_RULE_NONE: the node's */
    const char *width_reason;     /* `widthReason`: why the width matters; may be NULL */
    enum kw_rule_id version_rule; /* since/until warnings; KW_RULE_NONE: unknown_rule */
    /* caseInsensitiveKeys: a key that matches no property exactly matches one
     * that equals it under Go encoding/json's folding (the documents Kopia
     * decodes with json.Unmarshal). */
    bool fold_keys;
};

/* A version as `since`/`until` and kw_schema_context.version spell it,
 * "major.minor" ("0.16"), as one comparable number; -1 when malformed. */
int kw_schema_version_code(const char *text);

/* ---- scalar checks shared by both validators (validators/schema/scalar.c) ----
 * A scalar as either validator holds it: a decoded jansson value or a
 * scanner token. The checks decide; each validator words and reports. */
struct scalar {
    enum { SCALAR_STRING, SCALAR_INTEGER, SCALAR_REAL, SCALAR_OTHER } kind; /* OTHER: bool, null */
    const char *text; /* SCALAR_STRING: bytes, not NUL-terminated */
    size_t len;
    long long integer; /* SCALAR_INTEGER */
    double real;       /* SCALAR_REAL */
};

/* True when the node's enum lists the value (strings bytewise, numbers by
 * value). */
bool kw_schema_in_enum(const struct node *n, const struct scalar *v);

/* The first of the node's bounds (minimum, then maximum) that a number, or a
 * quantity, breaks; NULL when none. A quantity node compares exactly: pass
 * the parsed string quantity as `q`, or NULL for a JSON number. */
const struct bound *kw_schema_broken_bound(const struct node *n, const struct scalar *v,
                                           const struct kw_quantity *q, bool *is_min);

/* "greater than or equal to", "less than", ... for a broken bound. */
const char *kw_schema_bound_relation(const struct bound *b, bool is_min);

/* Characters (UTF-8 code points) in s[0..len), as minLength/maxLength count. */
size_t kw_schema_utf8_chars(const char *s, size_t len);

/* A real that Kubernetes accepts as an integer (no fraction, fits int64),
 * for integralRealsAreIntegers. */
bool kw_schema_integral_real(double d);

/* ---- names, checks and messages shared (validators/schema/messages.c) ----
 * The two validators walk separately (the text walker adds line and column
 * and never quotes document values when embedded); each message text is
 * written once, here. */

/* Whether a property applies to the schema's variant (0: every variant). */
static inline bool kw_schema_applies(const struct prop *p, unsigned variant)
{
    return p->variants == 0 || variant == 0 || (p->variants & variant) != 0;
}

/* The slot of a property name in its node's index before masking: its
 * length and three of its bytes, enough to tell apart the names of one
 * node; a collision costs a probe. */
static inline size_t kw_schema_name_hash(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    return len * 131u + u[0] * 31u + u[len / 2] * 7u + u[len - 1];
}

/* The property called key[0..len) (not NUL-terminated), or NULL. */
const struct prop *kw_schema_find_prop(const struct node *n, const char *key, size_t len);

/* The property a document key names under the schema's key matching: exact,
 * else (caseInsensitiveKeys) the first property equal to it as Go's
 * encoding/json folds keys (ASCII case, U+017F long s = s, U+212A Kelvin
 * sign = k). NULL when none. */
const struct prop *kw_schema_match_prop(const struct kw_schema *s, const struct node *n,
                                        const char *key, size_t len);

/* The bit of a type name ("integer"), 0 when it is none. */
unsigned kw_schema_type_bit(const char *name);

/* Runs a name/label/time format check on a NUL-terminated string; true when
 * valid, else msg holds the reason (FMT_QUANTITY is not handled here). */
bool kw_schema_format_valid(enum format f, const char *s, char *msg, size_t msglen);

/* A finding about a string or number, worded for either validator. */
struct finding {
    enum kw_cause_type type;
    bool shows_value;   /* the cause shows the value (else it shows none) */
    bool names_path;    /* the detail begins with the path ("x in body should ...") */
    bool out_of_memory; /* a check could not run; the value counts as wrong */
    bool width;         /* an int32/int64 range: reported with the schema's width_rule */
    char detail[KW_MSGLEN];
};

/* The first of minimum/maximum that a number, or a string quantity, breaks
 * (`q`: the parsed quantity, or NULL for a JSON number), then the range of an
 * int32/int64 format (f->width set, the detail ending with the schema's
 * widthReason). True and *f filled when one is broken. */
bool kw_schema_check_bounds(const struct kw_schema *s, const struct node *n, const char *path,
                            const struct scalar *v, const struct kw_quantity *q, struct finding *f);

/* minLength/maxLength, pattern, then format (with a quantity's bounds) on the
 * string s[0..len); `cstr` is the same string NUL-terminated, needed only
 * when the node has a format. `*match` is the walk's PCRE2 match block,
 * made on first use (the walk frees it). True and *f filled on the first
 * finding. */
bool kw_schema_check_string(const struct node *n, const char *path, const char *s, size_t len,
                            const char *cstr, pcre2_match_data **match, struct finding *f);

/* A number (SCALAR_INTEGER or SCALAR_REAL) as a cause shows the bad value. */
void kw_schema_render_number(const struct scalar *v, char *buf, size_t len);

/* Whole texts of the other findings; each returns a string the caller frees,
 * NULL when out of memory. `path` is the walk's field path ("" at the top). */

/* `path in body must be of type A or B: "actual"` (path NULL: without
 * "path in body "). */
char *kw_schema_type_message(const char *path, unsigned types, const char *actual);
char *kw_schema_min_items_message(const char *path, long long min_items);
char *kw_schema_max_items_message(long long max_items);
/* `name is only supported on Variant` (a forbidden property of the other variant). */
char *kw_schema_other_variant_message(const struct prop *p);
/* The warning for an unknown key of node n (NUL-terminated; shown cut to 40
 * bytes) with a did-you-mean hint, or for a property of the other variant
 * when `other_variant` is that property. */
char *kw_schema_unknown_message(const char *path, const struct node *n, unsigned variant,
                                const char *key, const struct prop *other_variant);
/* The warning for a property outside its since/until versions (see
 * kw_schema_context in include/kw/schema/schema.h). */
char *kw_schema_version_message(const char *path, const struct prop *p,
                                const struct kw_schema_context *ctx);
/* True when the property is outside its versions at ctx->version. */
bool kw_schema_outside_version(const struct prop *p, const struct kw_schema_context *ctx);
/* The rule of an `ignored` key's warning: the schema's ignoredRule, else its
 * unknownRule. */
enum kw_rule_id kw_schema_ignored_rule(const struct kw_schema *schema);
/* The warning for a present `ignored` property. */
char *kw_schema_ignored_message(const char *path, const struct prop *p);
/* The warning for a present property with `warning: TEXT`. */
char *kw_schema_warning_message(const char *path, const struct prop *p);
/* `path: N more unknown fields not listed`, past KW_SCHEMA_MAX_UNKNOWN_WARNINGS
 * (`top_label`: "(top)" stands for an empty path). */
char *kw_schema_more_unknown_message(const char *path, bool top_label, size_t more);

#endif
