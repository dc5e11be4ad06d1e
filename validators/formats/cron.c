/* Cron schedules (spec.trigger.schedule) as the operator's parser reads them:
 * five whitespace-separated fields of comma lists of `*`, N or N-M with an
 * optional /step, or exactly one of the supported @ macros. A 6-field
 * expression (with seconds) gets its own message. No allocation. */
#include "kw/formats/formats.h"

#include "message.h"

#include <string.h>

#define CRON_EXPECTED                                                                              \
    "must be a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. "         \
    "'0 2 * * *') or one of @hourly, @daily, @weekly, @monthly, @yearly, @annually"
#define CRON_SIX_FIELDS                                                                            \
    "has 6 fields: a seconds field is not supported; the operator's parser takes 5 fields "        \
    "(minute hour day-of-month month day-of-week)"
#define CRON_MACROS "@hourly, @daily, @weekly, @monthly, @yearly, @annually"
#define CRON_FIELDS 5
/* Numbers are read up to this value; anything larger is out of every range. */
#define NUMBER_CAP 1000000

struct cron_field {
    const char *name;
    int min, max;
    const char *range_hint; /* extra words for the range message, or "" */
};
static const struct cron_field cron_fields[CRON_FIELDS] = {
    {"minute", 0, 59, ""},
    {"hour", 0, 23, ""},
    {"day-of-month", 1, 31, ""},
    {"month", 1, 12, " (names such as JAN are not supported)"},
    {"day-of-week", 0, 6, " (Sunday is 0; 7 and names such as MON are not supported)"},
};

static const char *const cron_macros[] = {"@hourly",  "@daily",  "@weekly",
                                          "@monthly", "@yearly", "@annually"};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal number at *p (advanced past it), capped at NUMBER_CAP. */
static bool read_number(const char **p, const char *end, int *value)
{
    const char *s = *p;
    if (s == end || !is_digit(*s))
        return false;
    long v = 0;
    for (; s < end && is_digit(*s); s++)
        if (v < NUMBER_CAP)
            v = v * 10 + (*s - '0');
    *value = v < NUMBER_CAP ? (int)v : NUMBER_CAP;
    *p = s;
    return true;
}

/* The part of an item before any /step: `*`, N or N-M, as a range. N/step
 * means N-max/step to robfig/cron; for validity only N matters, so a single
 * N is the range N-N here. */
static bool read_range(const char **p, const char *end, const struct cron_field *f, int *lo,
                       int *hi)
{
    *lo = f->min;
    *hi = f->max;
    if (*p < end && **p == '*') {
        (*p)++;
        return true;
    }
    if (!read_number(p, end, lo))
        return false;
    *hi = *lo;
    if (*p < end && **p == '-') {
        (*p)++;
        return read_number(p, end, hi);
    }
    return true;
}

/* One list item in [s, end): `*`, N or N-M, then an optional /step. */
static bool check_item(const char *s, const char *end, const struct cron_field *f,
                       struct kw_fmsg *m)
{
    const char *p = s;
    int lo, hi, step = 1;
    bool ok_shape = read_range(&p, end, f, &lo, &hi);
    bool has_step = ok_shape && p < end && *p == '/';
    if (has_step) {
        p++;
        ok_shape = read_number(&p, end, &step);
    }
    if (!ok_shape || p != end) {
        kw_fmsg_addpart(m,
                        "%s field: expected '*', a number N or a range N-M, each with an "
                        "optional /step, in a comma-separated list (e.g. '*/15' or '1,15'); "
                        "names, '?', 'L', 'W' and '#' are not supported",
                        f->name);
        return false;
    }
    if (lo < f->min || lo > f->max || hi < f->min || hi > f->max) {
        kw_fmsg_addpart(m, "%s field: values must be %d-%d%s", f->name, f->min, f->max,
                        f->range_hint);
        return false;
    }
    if (lo > hi) {
        kw_fmsg_addpart(m, "%s field: a range must run from low to high (e.g. '1-5', not '5-1')",
                        f->name);
        return false;
    }
    if (has_step && step < 1) {
        kw_fmsg_addpart(m, "%s field: a step must be at least 1 (e.g. '*/5')", f->name);
        return false;
    }
    return true;
}

/* One field in [s, end): a comma list of items. */
static bool check_field(const char *s, const char *end, const struct cron_field *f,
                        struct kw_fmsg *m)
{
    const char *item = s;
    for (const char *p = s;; p++) {
        if (p == end || *p == ',') {
            if (!check_item(item, p, f, m))
                return false;
            if (p == end)
                return true;
            item = p + 1;
        }
    }
}

/* Splits [s, end) at blanks: up to `max` field bounds; returns the count of
 * fields (which may exceed max). */
static size_t split_fields(const char *s, const char *end, const char **starts, const char **ends,
                           size_t max)
{
    size_t count = 0;
    const char *p = s;
    while (p < end) {
        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            break;
        const char *start = p;
        while (p < end && !is_blank(*p))
            p++;
        if (count < max) {
            starts[count] = start;
            ends[count] = p;
        }
        count++;
    }
    return count;
}

static bool is_supported_macro(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]); i++)
        if (strlen(cron_macros[i]) == n && memcmp(cron_macros[i], s, n) == 0)
            return true;
    return false;
}

/* A trimmed text starting with '@'. */
static bool check_macro(const char *s, const char *trimmed, size_t trimmed_len, struct kw_fmsg *m)
{
    if (!is_supported_macro(trimmed, trimmed_len)) {
        kw_fmsg_addpart(m, "unsupported schedule macro: use one of " CRON_MACROS
                           " or a 5-field cron expression (@every, @reboot and @midnight are "
                           "not supported)");
        return false;
    }
    if (trimmed != s || trimmed[trimmed_len] != '\0') {
        kw_fmsg_addpart(m, "a schedule macro must be written alone, without blanks around it "
                           "(e.g. '@daily')");
        return false;
    }
    return true;
}

bool kw_cron_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    const char *end = s + strlen(s);
    const char *begin = s;
    while (begin < end && is_blank(*begin))
        begin++;
    const char *last = end;
    while (last > begin && is_blank(last[-1]))
        last--;
    if (begin < last && *begin == '@')
        return check_macro(s, begin, (size_t)(last - begin), &m);
    if (strncmp(begin, "TZ=", 3) == 0 || strncmp(begin, "CRON_TZ=", 8) == 0) {
        kw_fmsg_addpart(&m, "a time zone prefix (CRON_TZ= or TZ=) is not supported; write the "
                            "5 fields alone (e.g. '0 2 * * *')");
        return false;
    }

    const char *starts[CRON_FIELDS], *ends[CRON_FIELDS];
    size_t count = split_fields(begin, last, starts, ends, CRON_FIELDS);
    if (count == 6) {
        kw_fmsg_addpart(&m, CRON_SIX_FIELDS);
        return false;
    }
    if (count != CRON_FIELDS) {
        if (count == 0)
            kw_fmsg_addpart(&m, CRON_EXPECTED);
        else
            kw_fmsg_addpart(&m, "has %zu field%s; " CRON_EXPECTED, count, count == 1 ? "" : "s");
        return false;
    }
    for (size_t i = 0; i < CRON_FIELDS; i++)
        if (!check_field(starts[i], ends[i], &cron_fields[i], &m))
            return false;
    return true;
}
