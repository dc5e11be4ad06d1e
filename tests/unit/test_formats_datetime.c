/* RFC 3339 date-times (formats.h) as restoreAsOf takes them: strict grammar,
 * calendar and range checks, years 0000-9999 in UTC, the UTC rendering and
 * the decision to rewrite a value. */
#include "kw/formats/formats.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static struct kw_datetime parse_ok(const char *s)
{
    struct kw_datetime dt;
    char msg[KW_MSGLEN];
    cr_assert(kw_datetime_parse(s, &dt, msg, sizeof(msg)), "\"%s\" should parse: %s", s, msg);
    cr_assert_str_empty(msg);
    return dt;
}

Test(formats_datetime, valid_values)
{
    static const char *const valid[] = {
        "2024-01-02T03:04:05Z",      "2024-01-02t03:04:05z",
        "2024-01-02T03:04:05.123Z",  "2024-01-02T03:04:05.123456789012Z",
        "2024-01-02T03:04:05-04:00", "2024-01-02T03:04:05+00:00",
        "2024-01-02T03:04:05-00:00", "2024-01-02T03:04:05+23:59",
        "2024-02-29T00:00:00Z",      "2000-02-29T00:00:00Z",
        "0000-02-29T00:00:00Z",      "2023-02-28T23:59:59Z",
        "2024-04-30T00:00:00Z",      "2024-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",      "9999-12-31T23:59:59.999Z",
        "0000-01-01T00:30:00-01:00", "9999-12-31T23:30:00+01:00",
        "0000-01-01T01:00:00+01:00",
    };
    for (size_t i = 0; i < NCASES(valid); i++)
        parse_ok(valid[i]);
}

struct bad_case {
    const char *value;
    const char *msg_part;
};

Test(formats_datetime, invalid_values)
{
    const struct bad_case cases[] = {
        {"2023-02-29T00:00:00Z", "the day must be 01-28 in that month"},
        {"1900-02-29T00:00:00Z", "the day must be 01-28 in that month"},
        {"2024-02-30T00:00:00Z", "the day must be 01-29 in that month"},
        {"2024-04-31T00:00:00Z", "the day must be 01-30 in that month"},
        {"2024-01-32T00:00:00Z", "the day must be 01-31 in that month"},
        {"2024-01-00T00:00:00Z", "the day must be 01-31"},
        {"2024-13-01T00:00:00Z", "the month must be 01-12"},
        {"2024-00-01T00:00:00Z", "the month must be 01-12"},
        {"2024-01-02T24:00:00Z", "the hour must be 00-23"},
        {"2024-01-02T23:60:00Z", "the minute must be 00-59"},
        {"2024-01-02T23:59:60Z", "the second must be 00-59 (leap seconds are not supported)"},
        {"2024-01-02T03:04:05+24:00", "the zone offset hours must be 00-23"},
        {"2024-01-02T03:04:05+01:60", "the zone offset minutes must be 00-59"},
        {"2024-01-02T03:04:05", "a time zone is required"},
        {"2024-01-02T03:04:05.5", "a time zone is required"},
        {"2024-01-02 03:04:05Z", "date and time must be separated by 'T'"},
        {"2024-01-02", "a time and a time zone are required"},
        {"2024-01-02T03:04:05.Z", "needs digits after '.'"},
        {"2024-01-02T03:04:05,5Z", "the time zone must be 'Z' or an offset"},
        {"2024-01-02T03:04:05+0100", "the time zone must be 'Z' or an offset"},
        {"2024-01-02T03:04:05+01", "the time zone must be 'Z' or an offset"},
        {"2024-01-02T03:04:05+1:00", "the time zone must be 'Z' or an offset"},
        {"2024-01-02T03:04:05ZZ", "the time zone must be 'Z' or an offset"},
        {"2024-01-02T03:04:05Z ", "the time zone must be 'Z' or an offset"},
        {"2024-01-02T03:04:05UTC", "the time zone must be 'Z' or an offset"},
        {"2024-1-02T03:04:05Z", "must be an RFC 3339 date-time"},
        {"24-01-02T03:04:05Z", "must be an RFC 3339 date-time"},
        {"10000-01-01T00:00:00Z", "must be an RFC 3339 date-time"},
        {"2024-01-02T3:04:05Z", "must be an RFC 3339 date-time"},
        {"2024-01-02T03:04Z", "must be an RFC 3339 date-time"},
        {"2024-01-02X03:04:05Z", "must be an RFC 3339 date-time"},
        {" 2024-01-02T03:04:05Z", "must be an RFC 3339 date-time"},
        {"", "must be an RFC 3339 date-time"},
        {"0000-01-01T00:30:00+01:00", "is outside the years 0000-9999 once converted to UTC"},
        {"9999-12-31T23:30:00-01:00", "is outside the years 0000-9999 once converted to UTC"},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        struct kw_datetime dt;
        char msg[KW_MSGLEN];
        cr_expect_not(kw_datetime_parse(cases[i].value, &dt, msg, sizeof(msg)),
                      "\"%s\" should be denied", cases[i].value);
        cr_expect(strstr(msg, cases[i].msg_part) != NULL, "\"%s\": msg \"%s\" lacks \"%s\"",
                  cases[i].value, msg, cases[i].msg_part);
        cr_expect(strchr(msg, '\n') == NULL);
    }
}

Test(formats_datetime, fields_as_written)
{
    const char *s = "2024-01-02t03:04:05.0120-04:30";
    struct kw_datetime dt = parse_ok(s);
    cr_expect_eq(dt.year, 2024);
    cr_expect_eq(dt.month, 1);
    cr_expect_eq(dt.day, 2);
    cr_expect_eq(dt.hour, 3);
    cr_expect_eq(dt.minute, 4);
    cr_expect_eq(dt.second, 5);
    cr_expect_eq(dt.fraction_len, 4);
    cr_expect_eq(strncmp(dt.fraction, "0120", 4), 0);
    cr_expect_eq(dt.offset_minutes, -270);
    cr_expect(dt.lower_t);
    cr_expect_not(dt.lower_z);
    cr_expect_not(dt.zulu);
    dt = parse_ok("2024-01-02T03:04:05z");
    cr_expect(dt.zulu);
    cr_expect(dt.lower_z);
    cr_expect_eq(dt.fraction_len, 0);
    cr_expect_null(dt.fraction);
}

struct utc_case {
    const char *in, *out;
};

Test(formats_datetime, utc_rendering)
{
    const struct utc_case cases[] = {
        {"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
        {"2024-01-02t03:04:05z", "2024-01-02T03:04:05Z"},
        {"2024-01-02T03:04:05-04:00", "2024-01-02T07:04:05Z"},
        {"2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"},
        {"2024-01-02T03:04:05.1200+05:30", "2024-01-01T21:34:05.1200Z"},
        {"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"},
        {"2023-03-01T00:30:00+01:00", "2023-02-28T23:30:00Z"},
        {"2024-12-31T23:30:00-01:00", "2025-01-01T00:30:00Z"},
        {"2000-02-28T23:00:00-02:00", "2000-02-29T01:00:00Z"},
        {"2100-02-28T23:00:00-02:00", "2100-03-01T01:00:00Z"},
        {"0000-01-01T00:30:00-01:00", "0000-01-01T01:30:00Z"},
        {"9999-12-31T23:30:00+01:00", "9999-12-31T22:30:00Z"},
        {"2024-06-15T12:00:00.000000001+23:59", "2024-06-14T12:01:00.000000001Z"},
        {"1970-01-01T00:00:00-23:59", "1970-01-01T23:59:00Z"},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        struct kw_datetime dt = parse_ok(cases[i].in);
        /* strlen(input) + 1 always suffices. */
        char out[64];
        size_t room = strlen(cases[i].in) + 1;
        cr_assert(kw_datetime_utc(&dt, out, room), "utc(%s)", cases[i].in);
        cr_expect_str_eq(out, cases[i].out, "utc(%s)", cases[i].in);
    }
}

Test(formats_datetime, utc_buffer_too_small)
{
    struct kw_datetime dt = parse_ok("2024-01-02T03:04:05.5Z");
    char out[22];
    memset(out, 'x', sizeof(out));
    cr_expect_not(kw_datetime_utc(&dt, out, sizeof(out)));
    cr_expect_str_empty(out);
    char fits[23];
    cr_expect(kw_datetime_utc(&dt, fits, sizeof(fits)));
    cr_expect_str_eq(fits, "2024-01-02T03:04:05.5Z");
}

Test(formats_datetime, utc_refuses_years_outside_range)
{
    /* A hand-built value past 9999 in UTC (parse refuses it). */
    struct kw_datetime dt = parse_ok("9999-12-31T23:30:00Z");
    dt.offset_minutes = -60;
    char out[64];
    cr_expect_not(kw_datetime_utc(&dt, out, sizeof(out)));
    cr_expect_str_empty(out);
}

struct rewrite_case {
    const char *value;
    bool rewrite;
};

Test(formats_datetime, needs_rewrite)
{
    const struct rewrite_case cases[] = {
        {"2024-01-02T03:04:05Z", false},      {"2024-01-02T03:04:05.5Z", false},
        {"2024-01-02T03:04:05+00:00", false}, {"2024-01-02T03:04:05-00:00", false},
        {"2024-01-02T03:04:05z", true},       {"2024-01-02t03:04:05Z", true},
        {"2024-01-02t03:04:05+00:00", true},  {"2024-01-02t03:04:05-00:00", true},
        {"2024-01-02T03:04:05+01:00", true},  {"2024-01-02T03:04:05-00:30", true},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        struct kw_datetime dt = parse_ok(cases[i].value);
        cr_expect_eq(kw_datetime_needs_rewrite(&dt), cases[i].rewrite, "needs_rewrite(%s)",
                     cases[i].value);
    }
}
