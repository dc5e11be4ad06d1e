/* The token bucket that bounds client-caused log lines (see
 * include/kw/server/ratelimit.h). Integer arithmetic in thousandths of a
 * token, so a rate of a few lines a second refills smoothly. */
#include "kw/server/ratelimit.h"

void kw_ratelimit_init(struct kw_ratelimit *r, unsigned per_second, unsigned burst,
                       long long now_ms)
{
    r->per_second = per_second;
    r->cap_milli = (long long)(burst ? burst : 1) * 1000;
    r->milli = r->cap_milli;
    r->last_ms = now_ms;
    r->suppressed = 0;
}

static void refill(struct kw_ratelimit *r, long long now_ms)
{
    long long elapsed = now_ms - r->last_ms;
    if (elapsed <= 0 || r->per_second <= 0)
        return;
    r->last_ms = now_ms;
    /* per_second tokens a second = per_second thousandths a millisecond;
     * compared by division first, so a long pause cannot overflow. */
    long long room = r->cap_milli - r->milli;
    if (elapsed >= (room + r->per_second - 1) / r->per_second)
        r->milli = r->cap_milli;
    else
        r->milli += r->per_second * elapsed;
}

bool kw_ratelimit_take(struct kw_ratelimit *r, long long now_ms, unsigned long long *suppressed_out)
{
    refill(r, now_ms);
    if (r->milli < 1000) {
        r->suppressed++;
        return false;
    }
    r->milli -= 1000;
    *suppressed_out = kw_ratelimit_report(r);
    return true;
}

unsigned long long kw_ratelimit_report(struct kw_ratelimit *r)
{
    unsigned long long n = r->suppressed;
    r->suppressed = 0;
    return n;
}
