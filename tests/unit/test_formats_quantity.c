/* Kubernetes quantities (formats.h): the CRD grammar with whole-number
 * exponents, the exact value kept, exact comparison, refusal of absurd
 * magnitudes, and JSON integers. */
#include "kw/formats/formats.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static struct kw_quantity parse_ok(const char *s)
{
    struct kw_quantity q;
    char msg[KW_MSGLEN];
    cr_assert(kw_quantity_parse(s, &q, msg, sizeof(msg)), "\"%s\" should parse: %s", s, msg);
    cr_assert_str_empty(msg);
    return q;
}

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

Test(formats_quantity, valid_strings)
{
    static const char *const valid[] = {
        "0",    "1",      "10Gi",  "500M",  "1.5",    "2e3",     "1e3",       "+1",
        "-1Gi", "1.",     ".5",    "1.Gi",  "0.1",    "100m",    "1E",        "1E3",
        "1e+3", "1e-3",   "1e05",  "00010", "1n",     "1u",      "1k",        "1Ki",
        "1Mi",  "1Ti",    "1Pi",   "1Ei",   "1M",     "1G",      "1T",        "1P",
        "-0",   "+.5e-2", "1.5Gi", "0.000", "1e1000", "1e-1000", "9.99e1000", "0e1000",
    };
    for (size_t i = 0; i < NCASES(valid); i++)
        parse_ok(valid[i]);
}

struct bad_case {
    const char *value;
    const char *msg_part;
};

Test(formats_quantity, invalid_strings)
{
    char digits64[80], digits63[80], big[1100], tiny[1100];
    memset(digits64, '7', 64);
    digits64[64] = '\0';
    memset(digits63, '7', 63);
    digits63[63] = '\0';
    parse_ok(digits63);
    /* Trailing zeros are not significant: 1 followed by 1000 zeros is 1e1000. */
    big[0] = '1';
    memset(big + 1, '0', 1001);
    big[1002] = '\0';
    tiny[0] = '.';
    memset(tiny + 1, '0', 1000);
    strcpy(tiny + 1001, "1");
    const struct bad_case cases[] = {
        {"", "must start with a number"},
        {"Gi", "must start with a number"},
        {"+", "must start with a number"},
        {"-", "must start with a number"},
        {".", "must start with a number"},
        {"+.", "must start with a number"},
        {"--1", "must start with a number"},
        {" 1", "must start with a number"},
        {"1e1.5", "the exponent must be a whole number (e.g. '2e3', not '1e1.5')"},
        {"1e.5", "the exponent must be a whole number"},
        {"1e5.", "the exponent must be a whole number"},
        {"1e", "has a malformed exponent"},
        {"1e+", "has a malformed exponent"},
        {"1e3Gi", "has a malformed exponent"},
        {"1K", "has an unknown suffix"},
        {"1gi", "has an unknown suffix"},
        {"1ki", "has an unknown suffix"},
        {"1Gib", "has an unknown suffix"},
        {"0x10", "has an unknown suffix"},
        {"1 Gi", "is not a valid quantity"},
        {"1Gi ", "has an unknown suffix"},
        {"1.2.3", "is not a valid quantity"},
        {"1,5", "is not a valid quantity"},
        {"1e1001", "the exponent must be between -1000 and 1000"},
        {"1e-1001", "the exponent must be between -1000 and 1000"},
        {"0e99999999999999999999", "the exponent must be between -1000 and 1000"},
        {"10e1000", "is out of range: magnitudes from 1e-1000 to 1e1000 are supported"},
        {"0.1e-1000", "is out of range"},
        {big, "is out of range"},
        {tiny, "is out of range"},
        {digits64, "has more than 63 significant digits"},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        struct kw_quantity q;
        char msg[KW_MSGLEN];
        cr_expect_not(kw_quantity_parse(cases[i].value, &q, msg, sizeof(msg)),
                      "\"%.40s\" should be denied", cases[i].value);
        cr_expect(strstr(msg, cases[i].msg_part) != NULL, "\"%.40s\": msg \"%s\" lacks \"%s\"",
                  cases[i].value, msg, cases[i].msg_part);
        cr_expect(strchr(msg, '\n') == NULL);
        cr_expect_eq(q.sign, 0, "a failed parse leaves zero");
    }
}

Test(formats_quantity, unknown_suffix_message_explains_the_grammar)
{
    struct kw_quantity q;
    char msg[KW_MSGLEN];
    cr_assert_not(kw_quantity_parse("10GB", &q, msg, sizeof(msg)));
    cr_expect_str_eq(msg, "has an unknown suffix: a quantity is an optional sign, a decimal "
                          "number and an optional suffix (Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, "
                          "G, T, P, E) or exponent (e3) (e.g. '10Gi', '500M', '1.5' or '2e3')");
}

struct exact_case {
    const char *value;
    int sign;
    const char *digits;
    int exp10, exp2;
};

Test(formats_quantity, exact_value_in_normal_form)
{
    const struct exact_case cases[] = {
        {"1k", 1, "1", 3, 0},
        {"1Ki", 1, "1", 0, 10},
        {"100m", 1, "1", -1, 0},
        {"0.1", 1, "1", -1, 0},
        {"-1.50Gi", -1, "15", -1, 30},
        {"1200", 1, "12", 2, 0},
        {"00012.3400", 1, "1234", -2, 0},
        {"2e3", 1, "2", 3, 0},
        {"1E", 1, "1", 18, 0},
        {"1E3", 1, "1", 3, 0},
        {"5e-1", 1, "5", -1, 0},
        {".05n", 1, "5", -11, 0},
        {"3Ei", 1, "3", 0, 60},
        {"0", 0, "0", 0, 0},
        {"-0.000Gi", 0, "0", 0, 0},
        {"+7", 1, "7", 0, 0},
        {"-2", -1, "2", 0, 0},
        {"1e1000", 1, "1", 1000, 0},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        struct kw_quantity q = parse_ok(cases[i].value);
        cr_expect_eq(q.sign, cases[i].sign, "%s sign", cases[i].value);
        cr_expect_str_eq(q.digits, cases[i].digits, "%s digits", cases[i].value);
        cr_expect_eq(q.exp10, cases[i].exp10, "%s exp10 %d", cases[i].value, q.exp10);
        cr_expect_eq(q.exp2, cases[i].exp2, "%s exp2", cases[i].value);
    }
}

Test(formats_quantity, from_int)
{
    struct kw_quantity q;
    kw_quantity_from_int(0, &q);
    cr_expect_eq(q.sign, 0);
    cr_expect_str_eq(q.digits, "0");
    kw_quantity_from_int(1000, &q);
    cr_expect_eq(q.sign, 1);
    cr_expect_str_eq(q.digits, "1");
    cr_expect_eq(q.exp10, 3);
    kw_quantity_from_int(-120, &q);
    cr_expect_eq(q.sign, -1);
    cr_expect_str_eq(q.digits, "12");
    cr_expect_eq(q.exp10, 1);
    kw_quantity_from_int(LLONG_MIN, &q);
    cr_expect_eq(q.sign, -1);
    cr_expect_str_eq(q.digits, "9223372036854775808");
    kw_quantity_from_int(LLONG_MAX, &q);
    cr_expect_str_eq(q.digits, "9223372036854775807");
    cr_expect_eq(q.exp2, 0);
}

struct cmp_case {
    const char *a, *b;
    int want;
};

Test(formats_quantity, compare_table)
{
    const struct cmp_case cases[] = {
        {"1Gi", "1073741824", 0},
        {"1Gi", "1024Mi", 0},
        {"1Mi", "1024Ki", 0},
        {"100m", "0.1", 0},
        {"1k", "1Ki", -1},
        {"1k", "1000", 0},
        {"1e3", "1k", 0},
        {"1Ki", "1024", 0},
        {"1Ki", "1023", 1},
        {"1Ki", "1025", -1},
        {"1.5Gi", "1536Mi", 0},
        {"0.5Ki", "512", 0},
        {"1n", "0.000000001", 0},
        {"1n", "1e-9", 0},
        {"0", "-0", 0},
        {"0", "0Gi", 0},
        {"0", "1n", -1},
        {"-1Gi", "0", -1},
        {"-1Gi", "-1Mi", -1},
        {"-1Mi", "-1Gi", 1},
        {"-1k", "-1Ki", 1},
        {"1Ti", "1e12", 1},
        {"1Ei", "1152921504606846976", 0},
        {"1Ei", "1152921504606846977", -1},
        {"1Ei", "1152921504606846975", 1},
        {"1Ei", "1.152921504606846976e18", 0},
        {"1Ei", "1.152921504606846976000000001e18", -1},
        {"8Ei", "9223372036854775808", 0},
        {"1e19", "8Ei", 1},
        {"2Ei", "2305843009213693952", 0},
        {"1e300", "2Ei", 1},
        {"1e-300", "1n", -1},
        {"-1e300", "-2Ei", -1},
        {"1e1000", "1e999", 1},
        {"1e-1000", "0", 1},
        {"1e1000", "1000Ei", 1},
        {"1e-1000", "1e-999", -1},
        {"1.00000000000000000000000000000000000000000000000000000000000001", "1", 1},
        {"999999999999999999999999999999999999999999999999999999999999999", "1e63", -1},
        {"1Pi", "1125899906842624", 0},
        {"1.125899906842624P", "1Pi", 0},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        struct kw_quantity a = parse_ok(cases[i].a), b = parse_ok(cases[i].b);
        int got = kw_quantity_cmp(&a, &b);
        cr_expect_eq(sign_of(got), cases[i].want, "cmp(%s, %s) = %d, want %d", cases[i].a,
                     cases[i].b, got, cases[i].want);
        cr_expect_eq(sign_of(kw_quantity_cmp(&b, &a)), -cases[i].want, "cmp(%s, %s) reversed",
                     cases[i].b, cases[i].a);
    }
}

Test(formats_quantity, compare_with_json_integers)
{
    struct kw_quantity i, s;
    kw_quantity_from_int(1073741824, &i);
    s = parse_ok("1Gi");
    cr_expect_eq(kw_quantity_cmp(&i, &s), 0);
    kw_quantity_from_int(LLONG_MAX, &i);
    s = parse_ok("8Ei");
    cr_expect_lt(kw_quantity_cmp(&i, &s), 0);
    kw_quantity_from_int(LLONG_MIN, &i);
    s = parse_ok("-8Ei");
    cr_expect_eq(kw_quantity_cmp(&i, &s), 0);
    struct kw_quantity j;
    kw_quantity_from_int(LLONG_MIN + 1, &j);
    cr_expect_lt(kw_quantity_cmp(&i, &j), 0);
    kw_quantity_from_int(-5, &i);
    s = parse_ok("-5");
    cr_expect_eq(kw_quantity_cmp(&i, &s), 0);
    kw_quantity_from_int(0, &i);
    s = parse_ok("-0.0");
    cr_expect_eq(kw_quantity_cmp(&i, &s), 0);
}

Test(formats_quantity, order_is_consistent)
{
    /* Listed in increasing order: every pair compares as its positions do. */
    static const char *const ascending[] = {
        "-1e300", "-8Ei", "-1e18",   "-1Gi", "-1e9",  "-1Ki",  "-1k",    "-1",       "-1m",
        "-1n",    "0",    "1e-1000", "1n",   "100u",  "0.1",   "1",      "1.000001", "1k",
        "1Ki",    "1M",   "1Mi",     "1G",   "1Gi",   "1T",    "1Ti",    "1P",       "1Pi",
        "1E",     "1Ei",  "8Ei",     "1e19", "1e300", "1e999", "1e1000",
    };
    size_t n = NCASES(ascending);
    for (size_t i = 0; i < n; i++) {
        struct kw_quantity a = parse_ok(ascending[i]);
        for (size_t j = 0; j < n; j++) {
            struct kw_quantity b = parse_ok(ascending[j]);
            int want = i < j ? -1 : i > j ? 1 : 0;
            cr_expect_eq(sign_of(kw_quantity_cmp(&a, &b)), want, "cmp(%s, %s)", ascending[i],
                         ascending[j]);
        }
    }
}
