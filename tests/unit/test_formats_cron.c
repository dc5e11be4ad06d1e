/* Cron schedules (formats.h): 5 fields of lists, ranges, steps and '*' in
 * their ranges, the supported @ macros, the 6-field message, blanks. */
#include "kw/formats/formats.h"

#include <criterion/criterion.h>
#include <string.h>

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static const char EXPECTED[] =
    "must be a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. "
    "'0 2 * * *') or one of @hourly, @daily, @weekly, @monthly, @yearly, @annually";
static const char SIX_FIELDS[] =
    "has 6 fields: a seconds field is not supported; the operator's parser takes 5 fields "
    "(minute hour day-of-month month day-of-week)";

Test(formats_cron, valid_schedules)
{
    static const char *const valid[] = {
        "0 2 * * *",     "*/15 * * * *",   "0 */6 * * *",
        "0,30 * * * *",  "0 9-17 * * 1-5", "0 9-17/2 * * 1-5",
        "5/15 * * * *",  "1-1 * * * *",    "0-59 0-23 1-31 1-12 0-6",
        "59 23 31 12 6", "0 0 1 1 0",      "00 02 * * *",
        "*/1 * * * *",   "*/100 * * * *",  "1,2-5,*/7,10/3 * * * *",
        "  0 2 * * *  ", "0\t2\t*\t*\t*",  "0  2   * * *",
        "0 2 * * *\n",   "@hourly",        "@daily",
        "@weekly",       "@monthly",       "@yearly",
        "@annually",
    };
    for (size_t i = 0; i < NCASES(valid); i++) {
        char msg[KW_MSGLEN];
        cr_expect(kw_cron_valid(valid[i], msg, sizeof(msg)), "\"%s\" should be valid: %s", valid[i],
                  msg);
        cr_expect_str_empty(msg);
    }
}

struct bad_case {
    const char *value;
    const char *msg_part;
};

Test(formats_cron, invalid_schedules)
{
    const struct bad_case cases[] = {
        {"", EXPECTED},
        {"   ", EXPECTED},
        {"0 2 * *", "has 4 fields; must be a 5-field cron expression"},
        {"0", "has 1 field; must be a 5-field cron expression"},
        {"0 0 2 * * * *", "has 7 fields; must be a 5-field cron expression"},
        {"0 0 2 * * *", SIX_FIELDS},
        {"*/5 * * * * *", SIX_FIELDS},
        {"@every 5m", "unsupported schedule macro: use one of @hourly, @daily"},
        {"@reboot", "(@every, @reboot and @midnight are not supported)"},
        {"@midnight", "unsupported schedule macro"},
        {"@Daily", "unsupported schedule macro"},
        {"@dailyx", "unsupported schedule macro"},
        {"@", "unsupported schedule macro"},
        {"@daily ", "a schedule macro must be written alone, without blanks around it"},
        {" @daily", "a schedule macro must be written alone"},
        {"@daily\n", "a schedule macro must be written alone"},
        {"60 * * * *", "minute field: values must be 0-59"},
        {"* 24 * * *", "hour field: values must be 0-23"},
        {"* * 0 * *", "day-of-month field: values must be 1-31"},
        {"* * 32 * *", "day-of-month field: values must be 1-31"},
        {"* * * 0 *", "month field: values must be 1-12 (names such as JAN are not supported)"},
        {"* * * 13 *", "month field: values must be 1-12"},
        {"* * * * 7", "day-of-week field: values must be 0-6 (Sunday is 0; 7 and names"},
        {"0-60 * * * *", "minute field: values must be 0-59"},
        {"60/5 * * * *", "minute field: values must be 0-59"},
        {"99999999999999999999 * * * *", "minute field: values must be 0-59"},
        {"*/0 * * * *", "minute field: a step must be at least 1 (e.g. '*/5')"},
        {"1-5/0 * * * *", "minute field: a step must be at least 1"},
        {"5-3 * * * *", "minute field: a range must run from low to high (e.g. '1-5', not '5-1')"},
        {"* 5-3/2 * * *", "hour field: a range must run from low to high"},
        {"1,,2 * * * *", "minute field: expected '*', a number N or a range N-M"},
        {"1, * * * *", "minute field: expected"},
        {",1 * * * *", "minute field: expected"},
        {"* * * JAN *", "month field: expected"},
        {"* * * * MON", "day-of-week field: expected"},
        {"* * ? * *", "names, '?', 'L', 'W' and '#' are not supported"},
        {"* * L * *", "day-of-month field: expected"},
        {"* * 1W * *", "day-of-month field: expected"},
        {"* * * * 1#2", "day-of-week field: expected"},
        {"-1 * * * *", "minute field: expected"},
        {"+1 * * * *", "minute field: expected"},
        {"1-5/ * * * *", "minute field: expected"},
        {"*/5/2 * * * *", "minute field: expected"},
        {"1-2-3 * * * *", "minute field: expected"},
        {"*-5 * * * *", "minute field: expected"},
        {"5- * * * *", "minute field: expected"},
        {"/5 * * * *", "minute field: expected"},
        {"0 2 * * *\xc2\xa0", "day-of-week field: expected"},
        {"CRON_TZ=UTC 0 2 * * *", "a time zone prefix (CRON_TZ= or TZ=) is not supported"},
        {" TZ=Europe/Berlin 0 2 * * *", "a time zone prefix (CRON_TZ= or TZ=) is not supported"},
    };
    for (size_t i = 0; i < NCASES(cases); i++) {
        char msg[KW_MSGLEN];
        cr_expect_not(kw_cron_valid(cases[i].value, msg, sizeof(msg)), "\"%s\" should be denied",
                      cases[i].value);
        cr_expect(strstr(msg, cases[i].msg_part) != NULL, "\"%s\": msg \"%s\" lacks \"%s\"",
                  cases[i].value, msg, cases[i].msg_part);
        cr_expect(strchr(msg, '\n') == NULL);
    }
}

Test(formats_cron, boundaries_of_each_field)
{
    /* The last value in range passes; the next one is denied. */
    static const char *const pairs[][2] = {
        {"59 * * * *", "60 * * * *"},   {"* 23 * * *", "* 24 * * *"},
        {"* * 31 * *", "* * 32 * *"},   {"* * 1 * *", "* * 0 * *"},
        {"* * * 12 *", "* * * 13 *"},   {"* * * 1 *", "* * * 0 *"},
        {"* * * * 6", "* * * * 7"},     {"*/1 * * * *", "*/0 * * * *"},
        {"3-3 * * * *", "3-2 * * * *"},
    };
    for (size_t i = 0; i < NCASES(pairs); i++) {
        cr_expect(kw_cron_valid(pairs[i][0], NULL, 0), "\"%s\" should be valid", pairs[i][0]);
        cr_expect_not(kw_cron_valid(pairs[i][1], NULL, 0), "\"%s\" should be denied", pairs[i][1]);
    }
}

Test(formats_cron, exact_messages)
{
    char msg[KW_MSGLEN];
    cr_assert_not(kw_cron_valid("0 0 2 * * *", msg, sizeof(msg)));
    cr_expect_str_eq(msg, SIX_FIELDS);
    cr_assert_not(kw_cron_valid("", msg, sizeof(msg)));
    cr_expect_str_eq(msg, EXPECTED);
    cr_assert_not(kw_cron_valid("@every 1h", msg, sizeof(msg)));
    cr_expect_str_eq(msg, "unsupported schedule macro: use one of @hourly, @daily, @weekly, "
                          "@monthly, @yearly, @annually or a 5-field cron expression (@every, "
                          "@reboot and @midnight are not supported)");
}
