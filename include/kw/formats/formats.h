/* Value formats the rules check: Kubernetes names and label parts, quantities,
 * RFC 3339 date-times, 5-field cron schedules, ConfigMap keys and the Kopia
 * identity pattern. Pure functions, no allocation. Grammar and decisions:
 * docs/formats.md.
 *
 * Messages: each `bool kw_*_valid` (and each parse function) returns true for
 * a valid value and otherwise writes the Kubernetes-style detail (the text
 * after `Invalid value: "x": `) into `msg`: one line, always NUL-terminated,
 * cut to `msglen` bytes. `msg` may be NULL (or msglen 0) when the caller only
 * wants the verdict. Where Kubernetes reports several problems with one value
 * (e.g. too long and bad characters), they are joined with "; " in
 * Kubernetes' order. KW_MSGLEN always holds the whole text. */
#ifndef KW_FORMATS_H
#define KW_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KW_MSGLEN 1024

/* Kubernetes names (apimachinery validation wording). `s` is borrowed. */
bool kw_dns1123_subdomain_valid(const char *s, char *msg, size_t msglen); /* <= 253 */
bool kw_dns1123_label_valid(const char *s, char *msg, size_t msglen);     /* <= 63 */
bool kw_label_key_valid(const char *s, char *msg, size_t msglen);         /* [prefix/]name */
bool kw_label_value_valid(const char *s, char *msg, size_t msglen);       /* may be empty */
bool kw_configmap_key_valid(const char *s, char *msg, size_t msglen);
/* Kopia username/hostname: ^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$ or one
 * alphanumeric. */
bool kw_identity_part_valid(const char *s, char *msg, size_t msglen);

/* Limits beyond which a quantity is refused with a clear message instead of
 * being compared with huge arithmetic (Kubernetes itself caps quantities at
 * 2^63-1 and rounds to 1n; see docs/formats.md). */
#define KW_QUANTITY_MAX_DIGITS 63   /* significant decimal digits */
#define KW_QUANTITY_MAX_EXP10  1000 /* |written exponent| and |decimal magnitude| */

/* A Kubernetes quantity, kept exactly:
 *   value = sign * digits * 10^exp10 * 2^exp2
 * Normal form: `digits` has no leading or trailing zeros ("0" for zero, then
 * sign, exp10 and exp2 are 0); exp2 is 10n for a binary suffix Ki..Ei (n =
 * 1..6), else 0. So `1k` is {+1,"1",3,0}, `1Ki` {+1,"1",0,10}, `100m`
 * {+1,"1",-1,0}. */
struct kw_quantity {
    int sign; /* -1, 0, +1 */
    char digits[KW_QUANTITY_MAX_DIGITS + 1];
    int32_t exp10;
    int32_t exp2;
};
/* Parses the string form: the CRD pattern
 *   ^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$
 * with the exponent a whole number as Kubernetes parses it (`2e3`, not
 * `1e1.5`). Negative values parse; the caller decides whether they are
 * allowed. On failure *q is zero. */
bool kw_quantity_parse(const char *s, struct kw_quantity *q, char *msg, size_t msglen);
/* A JSON integer quantity. */
void kw_quantity_from_int(long long v, struct kw_quantity *q);
/* <0, 0, >0 as a < b, a == b, a > b, exactly (`1Gi` == `1024Mi` ==
 * `1073741824`, `100m` == `0.1`, `1k` < `1Ki`). */
int kw_quantity_cmp(const struct kw_quantity *a, const struct kw_quantity *b);

/* RFC 3339 date-time as restoreAsOf takes it:
 *   YYYY-MM-DD(T|t)hh:mm:ss[.digits](Z|z|(+|-)hh:mm)
 * a real calendar date, hour 00-23, minute and second 00-59 (no leap second),
 * offset 00-23:00-59, year 0000-9999 both as written and in UTC. */
struct kw_datetime {
    int year, month, day, hour, minute, second;
    /* Borrowed: the fraction digits after '.', pointing into the parsed
     * string (not NUL-terminated there), fraction_len of them; NULL and 0
     * when there is no fraction. Valid as long as the parsed string is. */
    const char *fraction;
    size_t fraction_len;
    int offset_minutes; /* east of UTC; 0 for Z, +00:00 and -00:00 */
    bool zulu;          /* zone written as 'Z' or 'z' */
    bool lower_t;       /* date and time separated by 't' */
    bool lower_z;       /* zone written as 'z' */
};
bool kw_datetime_parse(const char *s, struct kw_datetime *dt, char *msg, size_t msglen);
/* Writes the same instant in UTC as "YYYY-MM-DDThh:mm:ss[.fraction]Z", the
 * fraction digits kept as written. The result is never longer than the parsed
 * string, so strlen(parsed) + 1 bytes always suffice. Returns false (and
 * writes "" when outlen > 0) when `out` is too small or the UTC year leaves
 * 0000-9999 (which kw_datetime_parse already refuses). */
bool kw_datetime_utc(const struct kw_datetime *dt, char *out, size_t outlen);
/* True when the defaulting rewrites the value: a non-zero offset, or a
 * lower-case 't' or 'z'. Upper-case `T...+00:00` / `T...-00:00` stay. */
bool kw_datetime_needs_rewrite(const struct kw_datetime *dt);

/* A 5-field cron expression as the operator's parser (robfig/cron) reads it
 * (numbers, N-M ranges, comma lists, /steps, '*'; minute 0-59, hour 0-23,
 * day-of-month 1-31, month 1-12, day-of-week 0-6; no names), or exactly one of
 * @hourly @daily @weekly @monthly @yearly @annually. Blanks around a 5-field
 * expression are ignored, as that parser does. A 6-field expression (with
 * seconds) gets its own message. */
bool kw_cron_valid(const char *s, char *msg, size_t msglen);

#endif
