/* Scalar checks shared by the tree validator (validate.c) and the text
 * validator (stream.c): enum membership, numeric and quantity bounds, string
 * length in characters, integral reals. They decide only; messages.c words
 * the findings and each validator reports them, so both say the same about
 * the same value. */
#include <math.h>
#include <string.h>

#include "internal.h"

bool kw_schema_in_enum(const struct node *n, const struct scalar *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(n->enum_values, i, e)
    {
        if (json_is_string(e) && v->kind == SCALAR_STRING && json_string_length(e) == v->len &&
            memcmp(json_string_value(e), v->text, v->len) == 0)
            return true;
        if (json_is_integer(e) && v->kind == SCALAR_INTEGER &&
            (double)v->integer == (double)json_integer_value(e))
            return true;
        if (json_is_integer(e) && v->kind == SCALAR_REAL &&
            v->real == (double)json_integer_value(e))
            return true;
    }
    return false;
}

/* (long long)d without undefined behaviour for reals out of range. */
static long long clamp_to_ll(double d)
{
    if (!(d > -9.2e18))
        return d != d ? 0 : -9200000000000000000LL;
    if (d > 9.2e18)
        return 9200000000000000000LL;
    return (long long)d;
}

/* The value compared with a bound: <0, 0, >0. */
static int compare(const struct node *n, const struct scalar *v, const struct kw_quantity *q,
                   long long bound)
{
    if (n->format == FMT_QUANTITY) {
        struct kw_quantity own, b;
        if (!q) {
            kw_quantity_from_int(v->kind == SCALAR_INTEGER ? v->integer : clamp_to_ll(v->real),
                                 &own);
            q = &own;
        }
        kw_quantity_from_int(bound, &b);
        return kw_quantity_cmp(q, &b);
    }
    if (v->kind == SCALAR_INTEGER)
        return (v->integer > bound) - (v->integer < bound);
    return (v->real > (double)bound) - (v->real < (double)bound);
}

static bool within(const struct bound *b, bool is_min, int cmp)
{
    return is_min ? (b->exclusive ? cmp > 0 : cmp >= 0) : (b->exclusive ? cmp < 0 : cmp <= 0);
}

const struct bound *kw_schema_broken_bound(const struct node *n, const struct scalar *v,
                                           const struct kw_quantity *q, bool *is_min)
{
    if (n->min.set && !within(&n->min, true, compare(n, v, q, n->min.i))) {
        *is_min = true;
        return &n->min;
    }
    if (n->max.set && !within(&n->max, false, compare(n, v, q, n->max.i))) {
        *is_min = false;
        return &n->max;
    }
    return NULL;
}

const char *kw_schema_bound_relation(const struct bound *b, bool is_min)
{
    return is_min ? (b->exclusive ? "greater than" : "greater than or equal to")
                  : (b->exclusive ? "less than" : "less than or equal to");
}

size_t kw_schema_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

bool kw_schema_integral_real(double d)
{
    return isfinite(d) && d == floor(d) && fabs(d) < 9.2e18;
}
