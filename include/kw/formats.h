/* Value formats the rules check: Kubernetes names and label parts, quantities,
 * RFC 3339 date-times, 5-field cron schedules, ConfigMap keys and the Kopia
 * identity pattern. Pure functions; each `bool kw_*_valid` returns true for a
 * valid value and otherwise writes the Kubernetes-style detail (the text after
 * `Invalid value: "x": `) into `msg` (always NUL-terminated, cut to msglen). */
#ifndef KW_FORMATS_H
#define KW_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KW_MSGLEN 320

/* Kubernetes names (apimachinery validation wording). */
bool kw_dns1123_subdomain_valid(const char *s, char *msg, size_t msglen); /* <= 253 */
bool kw_dns1123_label_valid(const char *s, char *msg, size_t msglen);     /* <= 63 */
bool kw_label_key_valid(const char *s, char *msg, size_t msglen);         /* [prefix/]name */
bool kw_label_value_valid(const char *s, char *msg, size_t msglen);       /* may be empty */
bool kw_configmap_key_valid(const char *s, char *msg, size_t msglen);
/* Kopia username/hostname: ^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$ or one
 * alphanumeric. */
bool kw_identity_part_valid(const char *s, char *msg, size_t msglen);

/* A Kubernetes quantity, kept exactly: value = sign * digits * 10^exp10 *
 * 2^exp2 (digits without leading zeros, "0" for zero). */
struct kw_quantity {
    int sign;        /* -1, 0, +1 */
    char digits[64]; /* significant decimal digits */
    int32_t exp10;
    int32_t exp2;
};
/* Parses the CRD quantity grammar (string form). */
bool kw_quantity_parse(const char *s, struct kw_quantity *q, char *msg, size_t msglen);
/* A JSON integer quantity. */
void kw_quantity_from_int(long long v, struct kw_quantity *q);
/* <0, 0, >0 as a < b, a == b, a > b (exact). */
int kw_quantity_cmp(const struct kw_quantity *a, const struct kw_quantity *b);

/* RFC 3339 date-time as SPEC §4.1 restoreAsOf. */
struct kw_datetime {
    int year, month, day, hour, minute, second;
    char fraction[32];  /* digits after '.', as written ("" if none) */
    int offset_minutes; /* east of UTC */
    bool upper_tz;      /* zone written as 'Z' or +hh:mm with upper-case 'T' */
    bool zulu;          /* zone was 'Z' or 'z' */
    bool lower_case;    /* a lower-case 't' or 'z' was used */
};
bool kw_datetime_parse(const char *s, struct kw_datetime *dt, char *msg, size_t msglen);
/* The same instant in UTC as "YYYY-MM-DDThh:mm:ss[.fraction]Z", fraction digits
 * kept as written. Returns false when the UTC year leaves 0000-9999. */
bool kw_datetime_utc(const struct kw_datetime *dt, char *out, size_t outlen);
/* True when SPEC §5.3 wants the value rewritten (non-zero offset, or a
 * lower-case t/z, or lower-case zone on a zero offset). */
bool kw_datetime_needs_rewrite(const struct kw_datetime *dt);

/* 5-field cron or one of the @ macros (SPEC §4.1). A 6-field expression gets
 * its own message. */
bool kw_cron_valid(const char *s, char *msg, size_t msglen);

#endif
