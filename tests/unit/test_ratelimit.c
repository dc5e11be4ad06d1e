/* The token bucket that bounds client-caused log lines
 * (include/kw/server/ratelimit.h): a burst, then a steady rate, the dropped
 * lines counted and reported once, and no overflow after a long pause. */
#include <criterion/criterion.h>

#include "kw/server/ratelimit.h"

Test(ratelimit, a_burst_then_the_rate)
{
    struct kw_ratelimit r;
    kw_ratelimit_init(&r, 10, 5, 1000);
    unsigned long long dropped = 99;
    for (int i = 0; i < 5; i++) {
        cr_assert(kw_ratelimit_take(&r, 1000, &dropped), "line %d of the burst", i);
        cr_expect_eq(dropped, 0);
    }
    for (int i = 0; i < 7; i++)
        cr_expect(!kw_ratelimit_take(&r, 1000, &dropped));
    /* 10 a second: one token every 100 ms. */
    cr_expect(!kw_ratelimit_take(&r, 1099, &dropped));
    cr_assert(kw_ratelimit_take(&r, 1100, &dropped));
    cr_expect_eq(dropped, 8, "the next line says how many were left out");
    cr_expect(!kw_ratelimit_take(&r, 1100, &dropped));
    cr_expect_eq(kw_ratelimit_report(&r), 1);
    cr_expect_eq(kw_ratelimit_report(&r), 0, "reported once");
}

Test(ratelimit, refills_to_the_burst_and_no_further)
{
    struct kw_ratelimit r;
    kw_ratelimit_init(&r, 10, 3, 0);
    unsigned long long dropped;
    for (int i = 0; i < 3; i++)
        cr_assert(kw_ratelimit_take(&r, 0, &dropped));
    long long later = 1000LL * 1000 * 1000 * 1000; /* a very long pause */
    int taken = 0;
    while (kw_ratelimit_take(&r, later, &dropped))
        taken++;
    cr_expect_eq(taken, 3);
}

Test(ratelimit, a_clock_going_back_adds_nothing)
{
    struct kw_ratelimit r;
    kw_ratelimit_init(&r, 10, 1, 5000);
    unsigned long long dropped;
    cr_assert(kw_ratelimit_take(&r, 5000, &dropped));
    cr_expect(!kw_ratelimit_take(&r, 4000, &dropped));
    cr_expect(!kw_ratelimit_take(&r, 5050, &dropped));
    cr_expect(kw_ratelimit_take(&r, 5100, &dropped));
}
