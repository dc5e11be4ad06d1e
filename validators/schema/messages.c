/* What the schema engine says, written once: the checks of string and number
 * values with the details of their causes, the texts of type, item-count,
 * variant and unknown-field findings (with the did-you-mean search), and the
 * property lookup and type names the compiler and both validators use.
 * The tree validator (validate.c) and the text validator (stream.c) walk
 * separately and report through their own adapters; every message text is
 * here, so the two always word a finding the same way. */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kw/base/format.h"

/* ---- names and lookups ---------------------------------------------- */

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    /* The order of "must be of type A or B". */
    {"object", T_OBJECT}, {"array", T_ARRAY},   {"integer", T_INTEGER},
    {"number", T_NUMBER}, {"string", T_STRING}, {"boolean", T_BOOLEAN},
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

unsigned kw_schema_type_bit(const char *name)
{
    for (size_t i = 0; name && i < NTYPES; i++)
        if (strcmp(name, type_names[i].name) == 0)
            return type_names[i].bit;
    return 0;
}

const struct prop *kw_schema_find_prop(const struct node *n, const char *key, size_t len)
{
    if (!n->slots)
        return NULL;
    for (size_t i = kw_schema_name_hash(key, len) & n->slot_mask;; i = (i + 1) & n->slot_mask) {
        unsigned slot = n->slots[i];
        if (slot == 0)
            return NULL;
        const struct prop *p = &n->props[slot - 1];
        if (p->name_len == len && memcmp(p->name, key, len) == 0)
            return p;
    }
}

/* How many bytes of key[0..len) at `i` fold to the ASCII letter `c` the way
 * Go's encoding/json folds object keys; 0 when they do not. Only two
 * non-ASCII runes share a fold set with ASCII letters: U+017F (s) and
 * U+212A (k). */
static size_t go_folds_to(const char *key, size_t len, size_t i, char c)
{
    unsigned char b = (unsigned char)key[i];
    char lc = (char)tolower((unsigned char)c);
    if (b < 0x80)
        return tolower(b) == lc ? 1 : 0;
    if (lc == 's' && i + 1 < len && b == 0xC5 && (unsigned char)key[i + 1] == 0xBF)
        return 2;
    if (lc == 'k' && i + 2 < len && b == 0xE2 && (unsigned char)key[i + 1] == 0x84 &&
        (unsigned char)key[i + 2] == 0xAA)
        return 3;
    return 0;
}

bool kw_schema_go_key_equal(const char *key, size_t len, const char *name)
{
    size_t i = 0;
    for (; *name; name++) {
        size_t n = i < len ? go_folds_to(key, len, i, *name) : 0;
        if (n == 0)
            return false;
        i += n;
    }
    return i == len;
}

const struct prop *kw_schema_match_prop(const struct kw_schema *s, const struct node *n,
                                        const char *key, size_t len)
{
    const struct prop *p = kw_schema_find_prop(n, key, len);
    for (size_t i = 0; !p && s->fold_keys && i < n->nprops; i++)
        if (kw_schema_go_key_equal(key, len, n->props[i].name))
            p = &n->props[i];
    return p;
}

/* A cause text of any length; NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *text(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = kw_vasprintf(fmt, ap);
    va_end(ap);
    return out;
}

__attribute__((format(printf, 2, 3))) static void detail(struct finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
    va_end(ap);
}

static bool found(struct finding *f, enum kw_cause_type type, bool shows_value, bool names_path)
{
    f->type = type;
    f->shows_value = shows_value;
    f->names_path = names_path;
    return true;
}

/* ---- values --------------------------------------------------------- */

bool kw_schema_format_valid(enum format f, const char *s, char *msg, size_t msglen)
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

/* The range of an int32/int64 format, or NULL when the node has none. */
static bool width_range(const struct node *n, long long *lo, long long *hi, const char **name)
{
    if (n->format == FMT_INT32) {
        *lo = -2147483648LL, *hi = 2147483647LL, *name = "int32";
        return true;
    }
    if (n->format == FMT_INT64) {
        *lo = LLONG_MIN, *hi = LLONG_MAX, *name = "int64";
        return true;
    }
    return false;
}

static bool check_width(const struct kw_schema *s, const struct node *n, const char *path,
                        const struct scalar *v, struct finding *f)
{
    long long lo, hi;
    const char *name;
    if (!width_range(n, &lo, &hi, &name))
        return false;
    bool low, high;
    if (v->kind == SCALAR_INTEGER)
        low = v->integer<lo, high = v->integer> hi;
    else if (v->kind == SCALAR_REAL)
        low = v->real<(double)lo, high = v->real>(double) hi;
    else
        return false;
    if (!low && !high)
        return false;
    detail(f, "%s in body should be %s %lld (%s)%s%s", path,
           low ? "greater than or equal to" : "less than or equal to", low ? lo : hi, name,
           s && s->width_reason ? ": " : "", s && s->width_reason ? s->width_reason : "");
    f->width = true;
    return found(f, KW_CAUSE_INVALID, true, true);
}

bool kw_schema_check_bounds(const struct kw_schema *s, const struct node *n, const char *path,
                            const struct scalar *v, const struct kw_quantity *q, struct finding *f)
{
    f->out_of_memory = false;
    f->width = false;
    bool is_min;
    const struct bound *b = kw_schema_broken_bound(n, v, q, &is_min);
    if (!b)
        return check_width(s, n, path, v, f);
    detail(f, "%s in body should be %s %lld", path, kw_schema_bound_relation(b, is_min), b->i);
    return found(f, KW_CAUSE_INVALID, true, true);
}

static bool check_format(const struct node *n, const char *path, const char *s, size_t len,
                         struct finding *f)
{
    if (memchr(s, 0, len)) {
        detail(f, "must not contain a NUL character");
        return found(f, KW_CAUSE_INVALID, true, false);
    }
    if (n->format == FMT_QUANTITY) {
        struct kw_quantity q;
        if (kw_quantity_parse(s, &q, f->detail, sizeof(f->detail))) {
            struct scalar v = {.kind = SCALAR_STRING, .text = s, .len = len};
            return kw_schema_check_bounds(NULL, n, path, &v, &q, f);
        }
        return found(f, KW_CAUSE_INVALID, true, false);
    }
    if (kw_schema_format_valid(n->format, s, f->detail, sizeof(f->detail)))
        return false;
    return found(f, KW_CAUSE_INVALID, true, false);
}

/* True when `s` matches the node's pattern. The walk's match block is made on
 * the first match; when that fails the value counts as not matching. */
static bool pattern_matches(const struct node *n, const char *s, size_t len,
                            pcre2_match_data **match, struct finding *f)
{
    if (!*match) {
        *match = pcre2_match_data_create(1, NULL);
        if (!*match) {
            f->out_of_memory = true;
            return false;
        }
    }
    return pcre2_match(n->pattern, (PCRE2_SPTR)s, len, 0, 0, *match, NULL) >= 0;
}

bool kw_schema_check_string(const struct node *n, const char *path, const char *s, size_t len,
                            const char *cstr, pcre2_match_data **match, struct finding *f)
{
    f->out_of_memory = false;
    f->width = false;
    if (n->min_length >= 0 || n->max_length >= 0) {
        size_t chars = kw_schema_utf8_chars(s, len);
        if (n->min_length >= 0 && chars < (size_t)n->min_length) {
            detail(f, "%s in body should be at least %lld chars long", path, n->min_length);
            return found(f, KW_CAUSE_INVALID, true, true);
        }
        if (n->max_length >= 0 && chars > (size_t)n->max_length) {
            detail(f, "may not be longer than %lld", n->max_length);
            return found(f, KW_CAUSE_TOO_LONG, false, false);
        }
    }
    if (n->pattern && !pattern_matches(n, s, len, match, f)) {
        detail(f, "%s in body should match '%.200s'", path, n->pattern_src);
        return found(f, KW_CAUSE_INVALID, true, true);
    }
    if (n->format != FMT_NONE)
        return check_format(n, path, cstr, len, f);
    return false;
}

void kw_schema_render_number(const struct scalar *v, char *buf, size_t len)
{
    if (v->kind == SCALAR_INTEGER)
        snprintf(buf, len, "%lld", v->integer);
    else
        snprintf(buf, len, "%.15g", v->real);
}

char *kw_schema_type_message(const char *path, unsigned types, const char *actual)
{
    char expected[80] = "";
    size_t o = 0;
    for (size_t i = 0; i < NTYPES; i++) {
        if (!(types & type_names[i].bit))
            continue;
        o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s", o ? " or " : "",
                              type_names[i].name);
    }
    if (!path)
        return text("must be of type %s: \"%s\"", expected, actual);
    return text("%s in body must be of type %s: \"%s\"", path, expected, actual);
}

/* ---- arrays and objects --------------------------------------------- */

char *kw_schema_min_items_message(const char *path, long long min_items)
{
    return text("%s in body should have at least %lld items", path, min_items);
}

char *kw_schema_max_items_message(long long max_items)
{
    return text("must have at most %lld items", max_items);
}

char *kw_schema_other_variant_message(const struct prop *p)
{
    return text("%s is only supported on %s", p->name, p->variants_label);
}

enum kw_rule_id kw_schema_ignored_rule(const struct kw_schema *schema)
{
    return schema->ignored_rule != KW_RULE_NONE ? schema->ignored_rule : schema->unknown_rule;
}

char *kw_schema_ignored_message(const char *path, const struct prop *p)
{
    return text("%s%s%s: the mover ignores this key; %s", path, path[0] ? "." : "", p->name,
                p->ignored);
}

char *kw_schema_warning_message(const char *path, const struct prop *p)
{
    return text("%s%s%s: %s", path, path[0] ? "." : "", p->name, p->warning);
}

char *kw_schema_more_unknown_message(const char *path, bool top_label, size_t more)
{
    const char *where = top_label && !path[0] ? "(top)" : path;
    return text("%s: %zu more unknown fields not listed", where, more);
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
        if (!kw_schema_applies(p, variant) || lp > SUGGEST_MAX || diff > budget)
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
        const char *r = n->stale[i].replacement;
        const struct prop *p = kw_schema_find_prop(n, r, strlen(r));
        /* A replacement of the other variant would be the wrong advice. */
        return !p || kw_schema_applies(p, variant) ? r : NULL;
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

char *kw_schema_unknown_message(const char *path, const struct node *n, unsigned variant,
                                const char *key, const struct prop *other_variant)
{
    char shown[72];
    key_excerpt(key, shown, sizeof(shown));
    const char *sep = path[0] ? "." : "";
    if (other_variant)
        return text("%s%s%s: unknown field; %s is only supported on %s", path, sep, shown,
                    other_variant->name, other_variant->variants_label);
    /* The replacement a stale spelling names, else the closest property. */
    const char *better = stale_replacement(n, variant, key);
    if (!better)
        better = suggestion(n, variant, key);
    if (better)
        return text("%s%s%s: unknown field; did you mean %s?", path, sep, shown, better);
    return text("%s%s%s: unknown field; it has no effect, check the spelling", path, sep, shown);
}

/* ---- versions ------------------------------------------------------- */

int kw_schema_version_code(const char *text)
{
    if (!text)
        return -1;
    const char *p = text;
    if (*p == 'v')
        p++;
    long major = 0, minor = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
        major = major * 10 + (*p - '0');
    if (!digits || *p++ != '.')
        return -1;
    digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
        minor = minor * 10 + (*p - '0');
    if (!digits || (*p && *p != '.'))
        return -1;
    return (int)(major * 1000 + minor);
}

bool kw_schema_outside_version(const struct prop *p, const struct kw_schema_context *ctx)
{
    if (!ctx || (!p->since && !p->until))
        return false;
    int v = kw_schema_version_code(ctx->version);
    if (v < 0)
        return false;
    return (p->since && v < p->since) || (p->until && v > p->until);
}

/* "0.16" of a version code. */
static void version_text(int code, char *buf, size_t len)
{
    kw_snprintf(buf, len, "%d.%d", code / 1000, code % 1000);
}

char *kw_schema_version_message(const char *path, const struct prop *p,
                                const struct kw_schema_context *ctx)
{
    const char *product = ctx->product ? ctx->product : "version";
    char bound[16], span[48];
    bool added = p->since && kw_schema_version_code(ctx->version) < p->since;
    version_text(added ? p->since : p->until, bound, sizeof(bound));
    kw_snprintf(span, sizeof(span), added ? "added in %s" : "removed after %s", bound);
    if (ctx->offline)
        return text("%s: dropped by the API server on %s %s: %s", path, product, ctx->version,
                    p->version_hint ? p->version_hint : span);
    return text("%s: %s %s has no such field (%s), yet it reached the webhook, so the cluster "
                "runs another %s version: set %s to the version installed",
                path, product, ctx->version, span, product,
                ctx->setting ? ctx->setting : "the version");
}
