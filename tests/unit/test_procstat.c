/* The /proc parsers behind the process_* metrics (include/kw/server/procstat.h):
 * fields counted from the command name's last ')', however odd the name; a
 * short or non-numeric line refused; btime found among long lines; and the
 * live read of this process. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kw/server/procstat.h"

/* A real line's shape: pid (comm) state, then fields 4 to 52. */
#define STAT_TAIL                                                                                  \
    " S 1 7 7 0 -1 4194560 1234 0 5 0 250 130 0 0 20 0 3 0 8800 123456789 2560 "                   \
    "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"

Test(procstat, stat_fields_by_number)
{
    struct kw_proc_stat st;
    memset(&st, 0, sizeof(st));
    cr_assert_eq(kw_procstat_parse_stat("42 (kopia-webhook)" STAT_TAIL, &st), 0);
    cr_expect_eq(st.utime_ticks, 250);
    cr_expect_eq(st.stime_ticks, 130);
    cr_expect_eq(st.start_ticks, 8800);
    cr_expect_eq(st.vsize_bytes, 123456789);
    cr_expect_eq(st.rss_pages, 2560);
}

Test(procstat, a_command_name_with_spaces_and_parentheses)
{
    struct kw_proc_stat st;
    memset(&st, 0, sizeof(st));
    cr_assert_eq(kw_procstat_parse_stat("42 (a) b (c) 1 2)" STAT_TAIL, &st), 0);
    cr_expect_eq(st.utime_ticks, 250);
    cr_expect_eq(st.rss_pages, 2560);
}

Test(procstat, short_or_malformed_lines_are_refused)
{
    struct kw_proc_stat st;
    cr_expect_eq(kw_procstat_parse_stat("", &st), -1);
    cr_expect_eq(kw_procstat_parse_stat("42 kopia-webhook S 1 7", &st), -1);
    cr_expect_eq(kw_procstat_parse_stat("42 (x) S 1 7 7 0 -1 4194560 1234 0 5 0 250\n", &st), -1);
    cr_expect_eq(kw_procstat_parse_stat("42 (x) S 1 7 7 0 -1 4194560 1234 0 5 0 2x0 130 0 0 20 0 "
                                        "3 0 8800 123456789 2560\n",
                                        &st),
                 -1);
}

Test(procstat, btime_among_other_lines)
{
    long long bt = 0;
    cr_expect_eq(kw_procstat_parse_btime("cpu  1 2 3\nintr 5 6 7\nctxt 9\nbtime 1765000000\n"
                                         "processes 100\n",
                                         &bt),
                 0);
    cr_expect_eq(bt, 1765000000);
    cr_expect_eq(kw_procstat_parse_btime("cpu 1\nxbtime 5\n", &bt), -1);
    cr_expect_eq(kw_procstat_parse_btime("btime x\n", &bt), -1);
}

Test(procstat, this_process_live)
{
    long long boot = kw_procstat_boot_time();
    cr_assert_gt(boot, 1000000000LL, "boot time %lld", boot);
    cr_assert_leq(boot, (long long)time(NULL));
    struct kw_proc_metrics p;
    kw_procstat_read(boot, &p);
    cr_expect(p.has_cpu && p.has_memory && p.has_open_fds && p.has_start);
    cr_expect_gt(p.resident_bytes, 0);
    cr_expect_geq(p.virtual_bytes, p.resident_bytes);
    cr_expect_geq(p.open_fds, 3);
    cr_expect(p.start_time_seconds <= (double)time(NULL) + 1);
    /* Without a boot time there is no start time. */
    kw_procstat_read(-1, &p);
    cr_expect(!p.has_start);
}
