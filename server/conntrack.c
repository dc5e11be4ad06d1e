/* The connection table (include/kw/server/conntrack.h): one doubly linked
 * list per phase, each in the order its entries entered the phase, so the
 * eviction order is read off the lists' heads; the deadline of each phase;
 * the sweep for expired entries. No allocation, no locking and no clock:
 * the caller owns the entries' memory, the lock and the time. */
#include "kw/server/conntrack.h"

size_t kw_conntrack_soft_limit(size_t max_connections)
{
    /* A 32nd: room for the connections accepted while the ones evicted
     * close (eviction is synchronous with each accept), small enough that
     * the derived cap of a 128 MiB pod (2,150) holds 2,000 connections. */
    size_t margin = max_connections / 32;
    if (margin == 0 && max_connections > 1)
        margin = 1;
    return max_connections - margin;
}

void kw_conntrack_init(struct kw_conntrack *t, unsigned request_timeout_s, unsigned idle_timeout_s,
                       size_t soft_limit)
{
    *t = (struct kw_conntrack){0};
    t->request_ms = (long long)request_timeout_s * 1000;
    t->idle_ms = (long long)idle_timeout_s * 1000;
    t->soft_limit = soft_limit;
}

static void append(struct kw_conn_list *l, struct kw_conn *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void unlink_from(struct kw_conn_list *l, struct kw_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

static struct kw_conn_list *list_of(struct kw_conntrack *t, const struct kw_conn *c)
{
    return c->doomed ? &t->doomed : &t->phase[c->phase];
}

void kw_conntrack_add(struct kw_conntrack *t, struct kw_conn *c, int fd, long long now_ms)
{
    *c = (struct kw_conn){
        .fd = fd,
        .phase = KW_CONN_FRESH,
        .since_ms = now_ms,
        .deadline_ms = now_ms + t->request_ms,
    };
    append(&t->phase[KW_CONN_FRESH], c);
    t->n++;
    t->live++;
}

void kw_conntrack_remove(struct kw_conntrack *t, struct kw_conn *c)
{
    unlink_from(list_of(t, c), c);
    t->n--;
    if (!c->doomed)
        t->live--;
}

/* Moves a live entry to the end of `phase`'s list; a doomed one only
 * records the phase (it stays on the doomed list). */
static void enter(struct kw_conntrack *t, struct kw_conn *c, enum kw_conn_phase phase,
                  long long now_ms)
{
    if (!c->doomed) {
        unlink_from(&t->phase[c->phase], c);
        append(&t->phase[phase], c);
    }
    c->phase = phase;
    c->since_ms = now_ms;
}

void kw_conntrack_request_line(struct kw_conntrack *t, struct kw_conn *c, long long now_ms)
{
    /* A new connection keeps the deadline it got at accept; a kept-alive
     * one whose first bytes were seen keeps the one it got then. */
    if (c->phase == KW_CONN_RECEIVING)
        return;
    if (c->phase != KW_CONN_FRESH)
        c->deadline_ms = now_ms + t->request_ms;
    enter(t, c, KW_CONN_RECEIVING, now_ms);
}

void kw_conntrack_first_bytes(struct kw_conntrack *t, struct kw_conn *c, long long now_ms)
{
    if (c->doomed || c->phase != KW_CONN_IDLE)
        return;
    c->deadline_ms = now_ms + t->request_ms;
    enter(t, c, KW_CONN_RECEIVING, now_ms);
}

void kw_conntrack_processing(struct kw_conntrack *t, struct kw_conn *c, long long now_ms)
{
    if (c->phase != KW_CONN_PROCESSING)
        enter(t, c, KW_CONN_PROCESSING, now_ms);
}

void kw_conntrack_idle(struct kw_conntrack *t, struct kw_conn *c, long long now_ms)
{
    c->deadline_ms = now_ms + t->idle_ms;
    enter(t, c, KW_CONN_IDLE, now_ms);
}

static void doom(struct kw_conntrack *t, struct kw_conn *c)
{
    unlink_from(&t->phase[c->phase], c);
    append(&t->doomed, c);
    c->doomed = true;
    t->live--;
}

size_t kw_conntrack_expired(struct kw_conntrack *t, long long now_ms, int *fds, size_t max)
{
    static const enum kw_conn_phase cuttable[] = {KW_CONN_FRESH, KW_CONN_RECEIVING, KW_CONN_IDLE};
    size_t k = 0;
    for (size_t p = 0; p < sizeof(cuttable) / sizeof(cuttable[0]); p++) {
        struct kw_conn *next;
        for (struct kw_conn *c = t->phase[cuttable[p]].head; c && k < max; c = next) {
            next = c->next;
            if (now_ms > c->deadline_ms) {
                doom(t, c);
                fds[k++] = c->fd;
            }
        }
    }
    return k;
}

size_t kw_conntrack_victims(struct kw_conntrack *t, const struct kw_conn *spare, int *fds,
                            size_t max)
{
    static const enum kw_conn_phase order[] = {KW_CONN_IDLE, KW_CONN_FRESH, KW_CONN_RECEIVING};
    if (t->live <= t->soft_limit)
        return 0;
    size_t want = t->live - t->soft_limit;
    if (want > max)
        want = max;
    if (want > KW_CONNTRACK_MAX_VICTIMS)
        want = KW_CONNTRACK_MAX_VICTIMS;
    size_t k = 0;
    for (size_t p = 0; p < sizeof(order) / sizeof(order[0]) && k < want; p++) {
        struct kw_conn *next;
        for (struct kw_conn *c = t->phase[order[p]].head; c && k < want; c = next) {
            next = c->next;
            if (c == spare)
                continue;
            doom(t, c);
            fds[k++] = c->fd;
        }
    }
    return k;
}
