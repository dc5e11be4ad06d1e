/* The connection table (include/kw/server/conntrack.h): entries in an
 * array with O(1) add and remove (the last entry moves into the freed
 * slot), the deadline of each phase, and the two scans: expired entries
 * and eviction victims. No locking and no clock: the caller owns both. */
#include "kw/server/conntrack.h"

#include <stdlib.h>

size_t kw_conntrack_soft_limit(size_t max_connections)
{
    size_t margin = max_connections / 10;
    if (margin == 0 && max_connections > 1)
        margin = 1;
    return max_connections - margin;
}

int kw_conntrack_init(struct kw_conntrack *t, size_t expected, unsigned request_timeout_s,
                      unsigned idle_timeout_s, size_t soft_limit)
{
    *t = (struct kw_conntrack){0};
    t->cap = expected ? expected : 16;
    t->conns = calloc(t->cap, sizeof(*t->conns));
    if (!t->conns)
        return -1;
    t->request_ms = (long long)request_timeout_s * 1000;
    t->idle_ms = (long long)idle_timeout_s * 1000;
    t->soft_limit = soft_limit;
    return 0;
}

void kw_conntrack_free(struct kw_conntrack *t)
{
    free(t->conns);
    *t = (struct kw_conntrack){0};
}

static int grow(struct kw_conntrack *t)
{
    size_t cap = t->cap * 2;
    struct kw_conn **conns = realloc(t->conns, cap * sizeof(*conns));
    if (!conns)
        return -1;
    t->conns = conns;
    t->cap = cap;
    return 0;
}

int kw_conntrack_add(struct kw_conntrack *t, struct kw_conn *c, int fd, long long now_ms)
{
    if (t->n == t->cap && grow(t) != 0)
        return -1;
    *c = (struct kw_conn){
        .fd = fd,
        .phase = KW_CONN_FRESH,
        .since_ms = now_ms,
        .deadline_ms = now_ms + t->request_ms,
        .slot = t->n,
    };
    t->conns[t->n++] = c;
    t->live++;
    return 0;
}

void kw_conntrack_remove(struct kw_conntrack *t, struct kw_conn *c)
{
    size_t i = c->slot;
    if (i >= t->n || t->conns[i] != c)
        return; /* not in the table (its add failed) */
    if (!c->doomed)
        t->live--;
    t->conns[i] = t->conns[--t->n];
    t->conns[i]->slot = i;
    t->conns[t->n] = NULL;
}

void kw_conntrack_request_line(struct kw_conntrack *t, struct kw_conn *c, long long now_ms)
{
    /* A new connection keeps the deadline it got at accept. */
    if (c->phase != KW_CONN_FRESH)
        c->deadline_ms = now_ms + t->request_ms;
    c->phase = KW_CONN_RECEIVING;
    c->since_ms = now_ms;
}

void kw_conntrack_processing(struct kw_conn *c, long long now_ms)
{
    c->phase = KW_CONN_PROCESSING;
    c->since_ms = now_ms;
}

void kw_conntrack_idle(struct kw_conntrack *t, struct kw_conn *c, long long now_ms)
{
    c->phase = KW_CONN_IDLE;
    c->since_ms = now_ms;
    c->deadline_ms = now_ms + t->idle_ms;
}

static bool cuttable(const struct kw_conn *c)
{
    return !c->doomed && c->phase != KW_CONN_PROCESSING;
}

static void doom(struct kw_conntrack *t, struct kw_conn *c)
{
    c->doomed = true;
    t->live--;
}

size_t kw_conntrack_expired(struct kw_conntrack *t, long long now_ms, int *fds, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n && k < max; i++) {
        struct kw_conn *c = t->conns[i];
        if (cuttable(c) && now_ms > c->deadline_ms) {
            doom(t, c);
            fds[k++] = c->fd;
        }
    }
    return k;
}

/* Eviction order: the lower rank goes first, then the older. */
static int rank(enum kw_conn_phase p)
{
    return p == KW_CONN_IDLE ? 0 : p == KW_CONN_FRESH ? 1 : 2;
}

static bool before(const struct kw_conn *a, const struct kw_conn *b)
{
    int ra = rank(a->phase), rb = rank(b->phase);
    return ra != rb ? ra < rb : a->since_ms < b->since_ms;
}

/* Inserts `c` into best[0..*k) (kept sorted, at most `want` long). */
static void keep_best(struct kw_conn **best, size_t *k, size_t want, struct kw_conn *c)
{
    size_t at = *k;
    while (at > 0 && before(c, best[at - 1]))
        at--;
    if (at >= want)
        return;
    size_t last = *k < want ? *k : want - 1;
    for (size_t j = last; j > at; j--)
        best[j] = best[j - 1];
    best[at] = c;
    if (*k < want)
        (*k)++;
}

size_t kw_conntrack_victims(struct kw_conntrack *t, const struct kw_conn *spare, int *fds,
                            size_t max)
{
    if (t->live <= t->soft_limit)
        return 0;
    size_t want = t->live - t->soft_limit;
    if (want > max)
        want = max;
    if (want > KW_CONNTRACK_MAX_VICTIMS)
        want = KW_CONNTRACK_MAX_VICTIMS;
    if (want == 0)
        return 0;
    struct kw_conn *best[KW_CONNTRACK_MAX_VICTIMS];
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct kw_conn *c = t->conns[i];
        if (c != spare && cuttable(c))
            keep_best(best, &k, want, c);
    }
    for (size_t i = 0; i < k; i++) {
        doom(t, best[i]);
        fds[i] = best[i]->fd;
    }
    return k;
}
