/* A token bucket for log lines a client can cause at will (transport
 * errors, rejected reviews): up to `burst` lines at once, then `per_second`
 * a second; the lines it drops are counted so the next line that is
 * written, or a periodic report, can say how many were left out.
 *
 * Plain data and pure functions: the caller holds its own lock and passes
 * the clock (milliseconds of CLOCK_MONOTONIC), as with server/conntrack.c. */
#ifndef KW_RATELIMIT_H
#define KW_RATELIMIT_H

#include <stdbool.h>

struct kw_ratelimit {
    long long per_second;          /* tokens added per second */
    long long cap_milli;           /* the bucket's size, in thousandths of a token */
    long long milli;               /* tokens in the bucket, in thousandths */
    long long last_ms;             /* when it was last filled */
    unsigned long long suppressed; /* lines dropped since the last report */
};

/* A full bucket of `burst` tokens at `now_ms`, refilled at `per_second`. */
void kw_ratelimit_init(struct kw_ratelimit *r, unsigned per_second, unsigned burst,
                       long long now_ms);

/* True when a line may be written now (one token taken); then
 * *suppressed_out is the number of lines dropped since the last report,
 * which it resets. False when the bucket is empty: the line is counted as
 * suppressed. */
bool kw_ratelimit_take(struct kw_ratelimit *r, long long now_ms,
                       unsigned long long *suppressed_out);

/* The lines dropped since the last report, and resets the count (for a
 * periodic report when no line was written since). */
unsigned long long kw_ratelimit_report(struct kw_ratelimit *r);

#endif
