/* Kubernetes quantities: parsing the CRD string grammar into an exact value
 * (significant digits, a power of ten and a power of two) and comparing two
 * values exactly with a small decimal big-integer routine. No allocation. */
#include "kw/formats/formats.h"

#include "message.h"

#include <stdint.h>
#include <string.h>

#define QUANTITY_EXAMPLES "e.g. '10Gi', '500M', '1.5' or '2e3'"
#define QUANTITY_GRAMMAR                                                                           \
    "a quantity is an optional sign, a decimal number and an optional suffix (Ki, Mi, Gi, Ti, "    \
    "Pi, Ei, n, u, m, k, M, G, T, P, E) or exponent (e3)"

/* The decimal and binary suffixes: "k" is 10^3, "Ki" is 2^10, ... */
struct suffix {
    const char *text;
    int exp10;
    int exp2;
};
static const struct suffix suffixes[] = {
    {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50},
    {"Ei", 0, 60}, {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},
    {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t count_digits(const char *s)
{
    size_t n = 0;
    while (is_digit(s[n]))
        n++;
    return n;
}

static void set_zero(struct kw_quantity *q)
{
    memset(q, 0, sizeof(*q));
    q->digits[0] = '0';
}

/* The number part, ([0-9]+(\.[0-9]*)?)|(\.[0-9]+): where its digits are. */
struct mantissa {
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len;
    size_t len; /* characters consumed, '.' included */
};

static bool scan_mantissa(const char *s, struct mantissa *mt)
{
    mt->int_digits = s;
    mt->int_len = count_digits(s);
    mt->frac_digits = s + mt->int_len;
    mt->frac_len = 0;
    mt->len = mt->int_len;
    if (s[mt->len] == '.') {
        mt->frac_digits = s + mt->len + 1;
        mt->frac_len = count_digits(mt->frac_digits);
        mt->len += 1 + mt->frac_len;
    }
    return mt->int_len + mt->frac_len > 0;
}

/* The i-th digit of the mantissa, integer digits first. */
static char mantissa_digit(const struct mantissa *mt, size_t i)
{
    return i < mt->int_len ? mt->int_digits[i] : mt->frac_digits[i - mt->int_len];
}

/* What follows the number: a suffix or an exponent. exp10/exp2 are set. */
static bool parse_suffix(const char *s, int64_t *exp10, int *exp2, struct kw_fmsg *m)
{
    *exp10 = 0;
    *exp2 = 0;
    if (*s == '\0')
        return true;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (strcmp(s, suffixes[i].text) == 0) {
            *exp10 = suffixes[i].exp10;
            *exp2 = suffixes[i].exp2;
            return true;
        }
    }
    if (*s != 'e' && *s != 'E') {
        bool letter = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
        kw_fmsg_addpart(m, "%s: " QUANTITY_GRAMMAR " (" QUANTITY_EXAMPLES ")",
                        letter ? "has an unknown suffix" : "is not a valid quantity");
        return false;
    }
    const char *p = s + 1;
    bool negative = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    struct mantissa ex;
    if (!scan_mantissa(p, &ex) || p[ex.len] != '\0') {
        kw_fmsg_addpart(m, "has a malformed exponent: expected 'e' or 'E' followed by a whole "
                           "number (e.g. '2e3' or '5e-1')");
        return false;
    }
    if (ex.int_len == 0 || ex.int_len != ex.len) {
        kw_fmsg_addpart(m, "the exponent must be a whole number (e.g. '2e3', not '1e1.5')");
        return false;
    }
    int64_t value = 0;
    for (size_t i = 0; i < ex.int_len; i++) {
        value = value * 10 + (ex.int_digits[i] - '0');
        if (value > KW_QUANTITY_MAX_EXP10)
            break;
    }
    if (value > KW_QUANTITY_MAX_EXP10) {
        kw_fmsg_addpart(m, "the exponent must be between -%d and %d", KW_QUANTITY_MAX_EXP10,
                        KW_QUANTITY_MAX_EXP10);
        return false;
    }
    *exp10 = negative ? -value : value;
    return true;
}

/* Stores the significant digits of the mantissa into q (normal form). */
static bool store_digits(const struct mantissa *mt, int64_t exp10, int exp2, int sign,
                         struct kw_quantity *q, struct kw_fmsg *m)
{
    size_t total = mt->int_len + mt->frac_len;
    size_t first = 0;
    while (first < total && mantissa_digit(mt, first) == '0')
        first++;
    if (first == total)
        return true; /* zero, whatever the sign and suffix */
    size_t last = total - 1;
    while (mantissa_digit(mt, last) == '0')
        last--;
    size_t count = last - first + 1;
    if (count > KW_QUANTITY_MAX_DIGITS) {
        kw_fmsg_addpart(m, "has more than %d significant digits", KW_QUANTITY_MAX_DIGITS);
        return false;
    }
    /* The digit at index `last` has weight 10^(int_len - 1 - last). */
    int64_t scale = exp10 + (int64_t)mt->int_len - 1 - (int64_t)last;
    int64_t magnitude = scale + (int64_t)count - 1;
    if (magnitude > KW_QUANTITY_MAX_EXP10 || magnitude < -KW_QUANTITY_MAX_EXP10) {
        kw_fmsg_addpart(m, "is out of range: magnitudes from 1e-%d to 1e%d are supported",
                        KW_QUANTITY_MAX_EXP10, KW_QUANTITY_MAX_EXP10);
        return false;
    }
    for (size_t i = 0; i < count; i++)
        q->digits[i] = mantissa_digit(mt, first + i);
    q->digits[count] = '\0';
    q->sign = sign;
    q->exp10 = (int32_t)scale;
    q->exp2 = exp2;
    return true;
}

bool kw_quantity_parse(const char *s, struct kw_quantity *q, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    set_zero(q);
    const char *p = s;
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    struct mantissa mt;
    if (!scan_mantissa(p, &mt)) {
        kw_fmsg_addpart(&m,
                        "must start with a number: " QUANTITY_GRAMMAR " (" QUANTITY_EXAMPLES ")");
        return false;
    }
    int64_t exp10;
    int exp2;
    if (!parse_suffix(p + mt.len, &exp10, &exp2, &m) ||
        !store_digits(&mt, exp10, exp2, sign, q, &m)) {
        set_zero(q);
        return false;
    }
    return true;
}

void kw_quantity_from_int(long long v, struct kw_quantity *q)
{
    set_zero(q);
    if (v == 0)
        return;
    q->sign = v < 0 ? -1 : 1;
    unsigned long long mag = v < 0 ? (unsigned long long)(-(v + 1)) + 1u : (unsigned long long)v;
    while (mag % 10 == 0) {
        mag /= 10;
        q->exp10++;
    }
    char rev[24];
    size_t n = 0;
    while (mag > 0) {
        rev[n++] = (char)('0' + mag % 10);
        mag /= 10;
    }
    for (size_t i = 0; i < n; i++)
        q->digits[i] = rev[n - 1 - i];
    q->digits[n] = '\0';
}

/* ---- Exact comparison ------------------------------------------------- */

/* log10(2) in units of 1e-5, rounded up; the error is far below the margin
 * used with it. */
#define LOG10_2_E5 30103
#define BIG_MAX    256

/* A non-negative integer as little-endian decimal digits. */
struct bigdec {
    uint8_t d[BIG_MAX];
    size_t n;
};

static size_t digits_len(const struct kw_quantity *q)
{
    return strnlen(q->digits, sizeof(q->digits));
}

/* floor(log10(|q|)) estimate in units of 1e-5: the decimal magnitude of the
 * digits plus exp2 * log10(2). |q| lies in [10^L, 10^(L+1)) up to the tiny
 * rounding of log10(2). */
static int64_t log10_e5(const struct kw_quantity *q)
{
    int64_t mag10 = (int64_t)q->exp10 + (int64_t)digits_len(q) - 1;
    return mag10 * 100000 + (int64_t)q->exp2 * LOG10_2_E5;
}

/* digits * 10^zeros * 2^twos into b; false if it would not fit. */
static bool big_build(const struct kw_quantity *q, int64_t zeros, int64_t twos, struct bigdec *b)
{
    size_t nd = digits_len(q);
    /* 2^k has at most k*0.302 + 1 digits. */
    if (zeros < 0 || twos < 0 || twos > 200 || (int64_t)nd + zeros + twos / 3 + 1 > BIG_MAX)
        return false;
    b->n = 0;
    for (int64_t i = 0; i < zeros; i++)
        b->d[b->n++] = 0;
    for (size_t i = nd; i-- > 0;)
        b->d[b->n++] = (uint8_t)(q->digits[i] - '0');
    for (int64_t t = 0; t < twos; t++) {
        unsigned carry = 0;
        for (size_t i = 0; i < b->n; i++) {
            unsigned v = b->d[i] * 2u + carry;
            b->d[i] = (uint8_t)(v % 10);
            carry = v / 10;
        }
        if (carry)
            b->d[b->n++] = (uint8_t)carry;
    }
    while (b->n > 1 && b->d[b->n - 1] == 0)
        b->n--;
    return true;
}

static int big_cmp(const struct bigdec *a, const struct bigdec *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = a->n; i-- > 0;)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

/* Compares |a| and |b|, both non-zero. */
static int magnitude_cmp(const struct kw_quantity *a, const struct kw_quantity *b)
{
    /* Far apart in magnitude: decided without arithmetic (margin 1.01
     * decades covers the width of each interval and the log10(2) rounding). */
    int64_t la = log10_e5(a), lb = log10_e5(b);
    if (la + 101000 <= lb)
        return -1;
    if (lb + 101000 <= la)
        return 1;
    /* Close: scale both to the smaller powers and compare the integers.
     * Here |exp10 difference| <= ~85 and |exp2 difference| <= 60 for values
     * from kw_quantity_parse/from_int, well within BIG_MAX. */
    int64_t e10 = a->exp10 < b->exp10 ? a->exp10 : b->exp10;
    int64_t e2 = a->exp2 < b->exp2 ? a->exp2 : b->exp2;
    _Static_assert(BIG_MAX >= KW_QUANTITY_MAX_DIGITS + 90 + 21, "bigdec too small");
    struct bigdec ba, bb;
    if (!big_build(a, a->exp10 - e10, a->exp2 - e2, &ba) ||
        !big_build(b, b->exp10 - e10, b->exp2 - e2, &bb))
        return la < lb ? -1 : la > lb ? 1 : 0; /* only for hand-made structs */
    return big_cmp(&ba, &bb);
}

int kw_quantity_cmp(const struct kw_quantity *a, const struct kw_quantity *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    int c = magnitude_cmp(a, b);
    return a->sign > 0 ? c : -c;
}
