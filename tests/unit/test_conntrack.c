/* The connection table (include/kw/server/conntrack.h): the deadline of each
 * phase (a new connection's handshake and first request share one budget
 * from accept; a keep-alive connection gets the idle timeout for its next
 * request line, then the request timeout), the sweep that never cuts a
 * request being processed, and the eviction order near the cap; and the
 * per-address connection limit of a listener (include/kw/server/http.h). */
#include <criterion/criterion.h>

#include "kw/server/conntrack.h"
#include "kw/server/http.h"

/* request timeout 10 s, idle 120 s */
static struct kw_conntrack t;
static struct kw_conn conns[64];

static void init_table(size_t soft)
{
    kw_conntrack_init(&t, 10, 120, soft);
}

/* The number of entries on a list, checking its links both ways. */
static size_t list_len(const struct kw_conn_list *l)
{
    size_t n = 0;
    const struct kw_conn *prev = NULL;
    for (const struct kw_conn *c = l->head; c; prev = c, c = c->next, n++)
        cr_assert_eq(c->prev, prev);
    cr_assert_eq(l->tail, prev);
    return n;
}

static size_t entries(void)
{
    size_t n = list_len(&t.doomed);
    for (int p = 0; p < 4; p++)
        n += list_len(&t.phase[p]);
    return n;
}

Test(conntrack, soft_limit_is_the_cap_less_a_32nd_and_leaves_room)
{
    cr_expect_eq(kw_conntrack_soft_limit(4000), 3875);
    cr_expect_eq(kw_conntrack_soft_limit(2150), 2083);
    cr_expect_eq(kw_conntrack_soft_limit(10), 9);
    cr_expect_eq(kw_conntrack_soft_limit(5), 4);
    cr_expect_eq(kw_conntrack_soft_limit(1), 1);
}

Test(conntrack, add_move_doom_and_remove_keep_the_lists_consistent)
{
    init_table(100);
    for (int i = 0; i < 20; i++)
        kw_conntrack_add(&t, &conns[i], 100 + i, 0);
    cr_expect_eq(t.n, 20);
    cr_expect_eq(t.live, 20);
    kw_conntrack_request_line(&t, &conns[5], 1);
    kw_conntrack_processing(&t, &conns[5], 2);
    kw_conntrack_idle(&t, &conns[5], 3);
    kw_conntrack_request_line(&t, &conns[6], 1);
    kw_conntrack_remove(&t, &conns[3]);  /* middle */
    kw_conntrack_remove(&t, &conns[0]);  /* head */
    kw_conntrack_remove(&t, &conns[19]); /* tail */
    kw_conntrack_remove(&t, &conns[5]);  /* alone on its list */
    cr_expect_eq(t.n, 16);
    cr_expect_eq(t.live, 16);
    cr_expect_eq(entries(), 16);
    cr_expect_eq(list_len(&t.phase[KW_CONN_RECEIVING]), 1);
    cr_expect_null(t.phase[KW_CONN_IDLE].head);
    int fds[4];
    cr_expect_eq(kw_conntrack_expired(&t, 99999, fds, 4), 4);
    cr_expect_eq(t.live, 12);
    cr_expect_eq(list_len(&t.doomed), 4);
    /* A doomed entry that changes phase stays doomed and on its list. */
    struct kw_conn *d = t.doomed.head;
    kw_conntrack_idle(&t, d, 5);
    cr_expect(d->doomed);
    cr_expect_eq(list_len(&t.doomed), 4);
    kw_conntrack_remove(&t, d);
    cr_expect_eq(t.live, 12);
    cr_expect_eq(entries(), 15);
}

Test(conntrack, a_new_connection_has_one_budget_for_handshake_and_request)
{
    init_table(100);
    kw_conntrack_add(&t, &conns[0], 5, 1000);
    cr_expect_eq(conns[0].deadline_ms, 11000);
    /* The request line at 9 s does not restart the clock. */
    kw_conntrack_request_line(&t, &conns[0], 9000);
    cr_expect_eq(conns[0].deadline_ms, 11000);
    int fds[4];
    cr_expect_eq(kw_conntrack_expired(&t, 11000, fds, 4), 0);
    cr_assert_eq(kw_conntrack_expired(&t, 11001, fds, 4), 1);
    cr_expect_eq(fds[0], 5);
    /* Returned once only. */
    cr_expect_eq(kw_conntrack_expired(&t, 99999, fds, 4), 0);
    cr_expect_eq(t.live, 0);
}

Test(conntrack, keep_alive_gets_idle_then_request_timeout)
{
    init_table(100);
    kw_conntrack_add(&t, &conns[0], 5, 0);
    kw_conntrack_request_line(&t, &conns[0], 100);
    kw_conntrack_processing(&t, &conns[0], 200);
    kw_conntrack_idle(&t, &conns[0], 300);
    cr_expect_eq(conns[0].deadline_ms, 120300);
    int fds[4];
    cr_expect_eq(kw_conntrack_expired(&t, 120000, fds, 4), 0);
    kw_conntrack_request_line(&t, &conns[0], 60000);
    cr_expect_eq(conns[0].deadline_ms, 70000);
    cr_expect_eq(kw_conntrack_expired(&t, 70000, fds, 4), 0);
    cr_expect_eq(kw_conntrack_expired(&t, 70001, fds, 4), 1);
}

Test(conntrack, first_bytes_after_a_response_start_the_request_deadline)
{
    init_table(100);
    kw_conntrack_add(&t, &conns[0], 5, 0);
    kw_conntrack_request_line(&t, &conns[0], 100);
    kw_conntrack_processing(&t, &conns[0], 200);
    kw_conntrack_idle(&t, &conns[0], 300);
    /* The next request's first bytes at 30 s: due by 40 s, not 120.3 s. */
    kw_conntrack_first_bytes(&t, &conns[0], 30000);
    cr_expect_eq(conns[0].phase, KW_CONN_RECEIVING);
    cr_expect_eq(conns[0].deadline_ms, 40000);
    /* Its request line at 39 s does not restart the clock. */
    kw_conntrack_request_line(&t, &conns[0], 39000);
    cr_expect_eq(conns[0].deadline_ms, 40000);
    int fds[4];
    cr_expect_eq(kw_conntrack_expired(&t, 40000, fds, 4), 0);
    cr_expect_eq(kw_conntrack_expired(&t, 40001, fds, 4), 1);
    /* Other phases ignore first bytes. */
    kw_conntrack_add(&t, &conns[1], 6, 0);
    kw_conntrack_first_bytes(&t, &conns[1], 5000);
    cr_expect_eq(conns[1].phase, KW_CONN_FRESH);
    cr_expect_eq(conns[1].deadline_ms, 10000);
    kw_conntrack_request_line(&t, &conns[1], 100);
    kw_conntrack_processing(&t, &conns[1], 200);
    kw_conntrack_first_bytes(&t, &conns[1], 5000);
    cr_expect_eq(conns[1].phase, KW_CONN_PROCESSING);
    cr_expect_eq(entries(), 2);
}

Test(conntrack, a_request_being_processed_is_never_cut)
{
    init_table(0);
    kw_conntrack_add(&t, &conns[0], 5, 0);
    kw_conntrack_request_line(&t, &conns[0], 0);
    kw_conntrack_processing(&t, &conns[0], 10);
    int fds[4];
    cr_expect_eq(kw_conntrack_expired(&t, 1LL << 40, fds, 4), 0);
    cr_expect_eq(kw_conntrack_victims(&t, NULL, fds, 4), 0);
}

Test(conntrack, the_sweep_stops_at_max)
{
    init_table(100);
    for (int i = 0; i < 10; i++)
        kw_conntrack_add(&t, &conns[i], i, 0);
    int fds[4];
    cr_expect_eq(kw_conntrack_expired(&t, 20000, fds, 4), 4);
    cr_expect_eq(kw_conntrack_expired(&t, 20000, fds, 4), 4);
    cr_expect_eq(kw_conntrack_expired(&t, 20000, fds, 4), 2);
}

Test(conntrack, nothing_is_evicted_at_or_below_the_soft_limit)
{
    init_table(3);
    for (int i = 0; i < 3; i++) {
        kw_conntrack_add(&t, &conns[i], i, 0);
        kw_conntrack_idle(&t, &conns[i], 0);
    }
    int fds[4];
    cr_expect_eq(kw_conntrack_victims(&t, NULL, fds, 4), 0);
}

/* Eviction order: idle (oldest first), then fresh, then receiving (the
 * oldest request line first); never processing, never the new one. Events
 * in time order: */
Test(conntrack, eviction_order)
{
    init_table(1);
    /* fd 10: processing; 11, 12: receiving (12 older); 13, 14: fresh (14
     * older); 15, 16: idle (16 older); 17: the new connection. */
    kw_conntrack_add(&t, &conns[0], 10, 0);
    kw_conntrack_add(&t, &conns[1], 11, 0);
    kw_conntrack_add(&t, &conns[2], 12, 0);
    kw_conntrack_add(&t, &conns[5], 15, 0);
    kw_conntrack_add(&t, &conns[6], 16, 0);
    kw_conntrack_request_line(&t, &conns[0], 10);
    kw_conntrack_processing(&t, &conns[0], 20);
    kw_conntrack_add(&t, &conns[4], 14, 200);
    kw_conntrack_add(&t, &conns[3], 13, 300);
    kw_conntrack_request_line(&t, &conns[2], 400);
    kw_conntrack_request_line(&t, &conns[1], 500);
    kw_conntrack_idle(&t, &conns[6], 800);
    kw_conntrack_idle(&t, &conns[5], 900);
    kw_conntrack_add(&t, &conns[7], 17, 1000);
    int fds[16];
    size_t k = kw_conntrack_victims(&t, &conns[7], fds, 16);
    /* 8 live, soft limit 1: 7 wanted, 6 can go. */
    cr_assert_eq(k, 6);
    int want[] = {16, 15, 14, 13, 12, 11};
    for (size_t i = 0; i < k; i++)
        cr_expect_eq(fds[i], want[i], "victim %zu is fd %d, want %d", i, fds[i], want[i]);
    cr_expect_eq(t.live, 2);
    /* Doomed entries are not picked again, and leave the live count only
     * once when removed. */
    cr_expect_eq(kw_conntrack_victims(&t, &conns[7], fds, 16), 0);
    kw_conntrack_remove(&t, &conns[6]);
    cr_expect_eq(t.live, 2);
    kw_conntrack_remove(&t, &conns[7]);
    cr_expect_eq(t.live, 1);
    cr_expect_eq(entries(), 6);
}

/* Only as many as bring the live count back to the soft limit, and at most
 * `max`. */
Test(conntrack, eviction_takes_only_what_is_over)
{
    init_table(5);
    for (int i = 0; i < 8; i++) {
        kw_conntrack_add(&t, &conns[i], i, i);
        kw_conntrack_idle(&t, &conns[i], i);
    }
    int fds[16];
    cr_expect_eq(kw_conntrack_victims(&t, NULL, fds, 2), 2);
    cr_expect_eq(fds[0], 0);
    cr_expect_eq(fds[1], 1);
    cr_expect_eq(kw_conntrack_victims(&t, NULL, fds, 16), 1);
    cr_expect_eq(fds[0], 2);
    cr_expect_eq(t.live, 5);
}

/* The order in which connections went idle counts, not the order they
 * were accepted in; a connection used again goes to the back. */
Test(conntrack, the_longest_idle_goes_first)
{
    init_table(40);
    for (int i = 0; i < 64; i++)
        kw_conntrack_add(&t, &conns[i], i, 0);
    for (int j = 0; j < 64; j++) {
        int i = (j * 37) % 64; /* a permutation of 0..63 */
        kw_conntrack_idle(&t, &conns[i], 100 + j);
    }
    /* The first to go idle is used again. */
    kw_conntrack_request_line(&t, &conns[0], 200);
    kw_conntrack_processing(&t, &conns[0], 201);
    kw_conntrack_idle(&t, &conns[0], 202);
    int fds[16];
    size_t k = kw_conntrack_victims(&t, NULL, fds, 16);
    cr_assert_eq(k, 16);
    for (size_t j = 0; j < k; j++)
        cr_expect_eq(conns[fds[j]].since_ms, 101 + (long long)j);
}

/* The per-address limit: as set, or half of the cap (at least 1). */
Test(conntrack, per_address_limit_defaults_to_half_the_cap)
{
    struct kw_http_params p = {.max_connections = 4000};
    cr_expect_eq(kw_http_per_address_limit(&p), 2000);
    p.max_connections = 1;
    cr_expect_eq(kw_http_per_address_limit(&p), 1);
    p.max_connections_per_address = 7;
    cr_expect_eq(kw_http_per_address_limit(&p), 7);
}
