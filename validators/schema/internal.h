/* The compiled form of a schema, shared by the two validators that walk it:
 * the tree validator (validators/schema/schema.c, jansson values) and the one-pass
 * text validator (validators/schema/stream.c, JSON text through
 * kw_json_scan). Only these two files include this header; everyone else
 * uses include/kw/schema/schema.h and include/kw/schema/stream.h. Compiled nodes
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
#include <stddef.h>

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
};

enum unknown_policy { UNKNOWN_WARN, UNKNOWN_IGNORE };

struct bound {
    bool set, exclusive;
    long long i; /* bounds are whole numbers */
};

struct node;

struct prop {
    const char *name;
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
};

struct stale_name {
    const char *name, *replacement;
};

struct node {
    unsigned types; /* 0: any type */
    enum format format;
    enum kw_rule_id rule; /* KW_RULE_NONE: inherited from the parent */
    /* object */
    struct prop *props; /* sorted by name (strcmp) */
    size_t nprops;
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
};

/* Helpers of validators/schema/schema.c that the text validator shares, so that
 * both validators word every finding the same way. */

/* The replacement a stale spelling names, else the closest property of this
 * variant within the typo budget, else NULL ("did you mean X?"). */
const char *kw_schema_unknown_hint(const struct node *n, unsigned variant, const char *key);

/* `key` cut to at most 40 bytes on a UTF-8 boundary (with "..."), as
 * unknown-field warnings show it. */
void kw_schema_key_excerpt(const char *key, char *buf, size_t buflen);

/* Runs a name/label/time format check on a NUL-terminated string; true when
 * valid, else msg holds the reason (FMT_QUANTITY is not handled here). */
bool kw_schema_format_valid(enum format f, const char *s, char *msg, size_t msglen);

/* A real that counts as an integer under integralRealsAreIntegers. */
bool kw_schema_integral_real(double d);

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

#endif
