/* libFuzzer target: kw_quantity_parse on arbitrary bytes. The input is split
 * at its first NUL byte (or in the middle) into two strings; both are parsed
 * and, when valid, checked: normal form, cmp(a,a) == 0, antisymmetry of
 * cmp(a,b), and agreement with the same value re-written in e-notation. */
#include "kw/formats/formats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

static void check_normal_form(const struct kw_quantity *q)
{
    size_t n = strnlen(q->digits, sizeof(q->digits));
    if (n == 0 || n == sizeof(q->digits))
        abort();
    if (q->sign == 0) {
        if (strcmp(q->digits, "0") != 0 || q->exp10 != 0 || q->exp2 != 0)
            abort();
        return;
    }
    if (q->digits[0] == '0' || q->digits[n - 1] == '0' || q->exp2 % 10 != 0 || q->exp2 < 0 ||
        q->exp2 > 60)
        abort();
}

/* Parses s; on success checks it and stores it in *q. */
static bool parse_checked(const char *s, struct kw_quantity *q)
{
    char msg[KW_MSGLEN];
    bool ok = kw_quantity_parse(s, q, msg, sizeof(msg));
    size_t len = strnlen(msg, sizeof(msg));
    if (len == sizeof(msg) || (ok && len != 0) || (!ok && len == 0) || memchr(msg, '\n', len))
        abort();
    if (!ok)
        return false;
    check_normal_form(q);
    if (kw_quantity_cmp(q, q) != 0)
        abort();
    /* Without a binary suffix, scientific notation "<sign>D.DDDe<magnitude>"
     * is the same value (and always within the exponent limit). */
    if (q->exp2 == 0) {
        char text[128];
        int magnitude = (int)q->exp10 + (int)strlen(q->digits) - 1;
        snprintf(text, sizeof(text), "%s%c.%se%d", q->sign < 0 ? "-" : "", q->digits[0],
                 q->digits + 1, magnitude);
        struct kw_quantity again;
        if (!kw_quantity_parse(text, &again, NULL, 0) || kw_quantity_cmp(q, &again) != 0)
            abort();
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    const char *a = buf, *b;
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        b = buf + (nul - data) + 1;
    } else {
        /* No separator: split in the middle (a copy keeps `a` terminated). */
        size_t half = size / 2;
        memmove(buf + half + 1, buf + half, size - half + 1);
        buf[half] = '\0';
        b = buf + half + 1;
    }
    struct kw_quantity qa, qb;
    bool oka = parse_checked(a, &qa), okb = parse_checked(b, &qb);
    if (oka && okb && sign_of(kw_quantity_cmp(&qa, &qb)) != -sign_of(kw_quantity_cmp(&qb, &qa)))
        abort();
    free(buf);
    return 0;
}
