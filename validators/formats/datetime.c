/* RFC 3339 date-times as restoreAsOf takes them: strict parsing
 * with calendar and range checks, conversion of the instant to UTC (years
 * 0000-9999 on both sides) and the decision to rewrite one (docs/rules.md, restoreAsOf). */
#include "kw/formats/formats.h"

#include "message.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DATETIME_EXAMPLE "e.g. '2024-01-02T03:04:05Z' or '2024-01-02T03:04:05-04:00'"
#define DATETIME_SHAPE                                                                             \
    "must be an RFC 3339 date-time YYYY-MM-DDThh:mm:ss with an optional fraction and a zone "      \
    "('Z' or an offset such as '+02:00') (" DATETIME_EXAMPLE ")"

#define SECONDS_PER_DAY 86400

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* n decimal digits at s (n <= 4); -1 when one is not a digit. */
static int read_digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Days since 0000-03-01 style civil epoch (proleptic Gregorian, year 0 is a
 * leap year as in RFC 3339 and Go); any consistent epoch works here. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe;
}

static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

/* Seconds since the civil epoch of the instant in UTC (fraction ignored). */
static int64_t utc_seconds(const struct kw_datetime *dt)
{
    int64_t days = days_from_civil(dt->year, dt->month, dt->day);
    return days * SECONDS_PER_DAY + dt->hour * 3600 + dt->minute * 60 + dt->second -
           (int64_t)dt->offset_minutes * 60;
}

static bool utc_in_range(const struct kw_datetime *dt)
{
    int64_t first = days_from_civil(0, 1, 1) * SECONDS_PER_DAY;
    int64_t last = days_from_civil(9999, 12, 31) * SECONDS_PER_DAY + SECONDS_PER_DAY - 1;
    int64_t t = utc_seconds(dt);
    return t >= first && t <= last;
}

/* YYYY-MM-DD at s; field ranges checked separately. Stops at the first
 * mismatch, so it never reads past the end of a short string. */
static bool read_date(const char *s, struct kw_datetime *dt)
{
    return (dt->year = read_digits(s, 4)) >= 0 && s[4] == '-' &&
           (dt->month = read_digits(s + 5, 2)) >= 0 && s[7] == '-' &&
           (dt->day = read_digits(s + 8, 2)) >= 0;
}

/* hh:mm:ss at s, the same way. */
static bool read_time(const char *s, struct kw_datetime *dt)
{
    return (dt->hour = read_digits(s, 2)) >= 0 && s[2] == ':' &&
           (dt->minute = read_digits(s + 3, 2)) >= 0 && s[5] == ':' &&
           (dt->second = read_digits(s + 6, 2)) >= 0;
}

/* Z, z or (+|-)hh:mm, then the end of the string. */
static bool read_zone(const char *s, struct kw_datetime *dt, struct kw_fmsg *m)
{
    if (*s == '\0') {
        kw_fmsg_addpart(m, "a time zone is required: add 'Z' for UTC or an offset such as "
                           "'+02:00' (e.g. '2024-01-02T03:04:05Z')");
        return false;
    }
    if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
        dt->zulu = true;
        dt->lower_z = *s == 'z';
        return true;
    }
    int hours = -1, minutes = -1;
    if ((*s == '+' || *s == '-') && strlen(s) == 6 && s[3] == ':') {
        hours = read_digits(s + 1, 2);
        minutes = read_digits(s + 4, 2);
    }
    if (hours < 0 || minutes < 0) {
        kw_fmsg_addpart(m,
                        "the time zone must be 'Z' or an offset (+|-)hh:mm (" DATETIME_EXAMPLE ")");
        return false;
    }
    if (hours > 23) {
        kw_fmsg_addpart(m, "the zone offset hours must be 00-23");
        return false;
    }
    if (minutes > 59) {
        kw_fmsg_addpart(m, "the zone offset minutes must be 00-59");
        return false;
    }
    dt->offset_minutes = (hours * 60 + minutes) * (*s == '-' ? -1 : 1);
    return true;
}

static bool check_ranges(const struct kw_datetime *dt, struct kw_fmsg *m)
{
    if (dt->month < 1 || dt->month > 12)
        kw_fmsg_addpart(m, "the month must be 01-12");
    else if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
        kw_fmsg_addpart(m, "the day must be 01-%02d in that month",
                        days_in_month(dt->year, dt->month));
    else if (dt->hour > 23)
        kw_fmsg_addpart(m, "the hour must be 00-23");
    else if (dt->minute > 59)
        kw_fmsg_addpart(m, "the minute must be 00-59");
    else if (dt->second > 59)
        kw_fmsg_addpart(m, "the second must be 00-59 (leap seconds are not supported)");
    else
        return true;
    return false;
}

/* The date, 'T' and time (19 characters); messages for the common slips. */
static bool read_date_and_time(const char *s, struct kw_datetime *dt, struct kw_fmsg *m)
{
    size_t n = strnlen(s, 20);
    if (n >= 10 && read_date(s, dt) && (n == 10 || s[10] == ' ')) {
        kw_fmsg_addpart(m, n == 10 ? "a time and a time zone are required (e.g. "
                                     "'2024-01-02T00:00:00Z')"
                                   : "date and time must be separated by 'T' (e.g. "
                                     "'2024-01-02T03:04:05Z')");
        return false;
    }
    if (n < 19 || !read_date(s, dt) || (s[10] != 'T' && s[10] != 't') || !read_time(s + 11, dt)) {
        kw_fmsg_addpart(m, DATETIME_SHAPE);
        return false;
    }
    dt->lower_t = s[10] == 't';
    return true;
}

bool kw_datetime_parse(const char *s, struct kw_datetime *dt, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    memset(dt, 0, sizeof(*dt));
    if (!read_date_and_time(s, dt, &m))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        size_t n = 0;
        while (is_digit(p[1 + n]))
            n++;
        if (n == 0) {
            kw_fmsg_addpart(&m, "a fraction of a second needs digits after '.' (e.g. "
                                "'2024-01-02T03:04:05.5Z')");
            return false;
        }
        dt->fraction = p + 1;
        dt->fraction_len = n;
        p += 1 + n;
    }
    if (!read_zone(p, dt, &m) || !check_ranges(dt, &m))
        return false;
    if (!utc_in_range(dt)) {
        kw_fmsg_addpart(&m, "is outside the years 0000-9999 once converted to UTC");
        return false;
    }
    return true;
}

bool kw_datetime_utc(const struct kw_datetime *dt, char *out, size_t outlen)
{
    if (outlen > 0)
        out[0] = '\0';
    if (!utc_in_range(dt))
        return false;
    int64_t t = utc_seconds(dt);
    int64_t days = t / SECONDS_PER_DAY, rem = t % SECONDS_PER_DAY;
    if (rem < 0) {
        rem += SECONDS_PER_DAY;
        days--;
    }
    int y, mo, d;
    civil_from_days(days, &y, &mo, &d);
    size_t need = 20 + (dt->fraction_len ? dt->fraction_len + 1 : 0);
    if (outlen < need + 1)
        return false;
    int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, (int)(rem / 3600),
                     (int)(rem / 60 % 60), (int)(rem % 60));
    size_t len = (size_t)n;
    if (dt->fraction_len) {
        out[len++] = '.';
        memcpy(out + len, dt->fraction, dt->fraction_len);
        len += dt->fraction_len;
    }
    out[len++] = 'Z';
    out[len] = '\0';
    return true;
}

bool kw_datetime_needs_rewrite(const struct kw_datetime *dt)
{
    return dt->offset_minutes != 0 || dt->lower_t || dt->lower_z;
}
