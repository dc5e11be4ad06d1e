/* The table of one listener's open connections and the two policies that
 * act on it: the whole-request deadline (a request must arrive within a
 * fixed time whatever its byte rate) and eviction near the connection cap
 * (idle keep-alive connections first, never a request being processed).
 *
 * Plain data and pure functions: the caller passes the clock (milliseconds
 * of CLOCK_MONOTONIC) and holds the lock; server/http.c glues the table to
 * libmicrohttpd and shuts down the descriptors these functions return. See
 * docs/operations.md, "Timeouts and connections", for the rules. */
#ifndef KW_CONNTRACK_H
#define KW_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>

/* Where a connection is in its life; the order of eviction is IDLE, FRESH,
 * RECEIVING; PROCESSING is never cut. */
enum kw_conn_phase {
    KW_CONN_FRESH,      /* accepted: TLS handshake or first request line still to come */
    KW_CONN_RECEIVING,  /* request line in; headers or body still arriving */
    KW_CONN_PROCESSING, /* whole request in (or answered early): handled and answered */
    KW_CONN_IDLE,       /* keep-alive after a response, waiting for the next request */
};

/* One connection. The caller owns the memory (e.g. embedded in its own
 * per-connection state) and keeps it alive from kw_conntrack_add to
 * kw_conntrack_remove. */
struct kw_conn {
    int fd;
    enum kw_conn_phase phase;
    long long since_ms;          /* when it entered its phase */
    long long deadline_ms;       /* FRESH/RECEIVING/IDLE: cut after this; PROCESSING: unused */
    bool doomed;                 /* returned for shutdown once; no longer counted as live */
    struct kw_conn *prev, *next; /* in its list (below) */
};

/* A list of entries, oldest first (appended when they enter it). */
struct kw_conn_list {
    struct kw_conn *head, *tail;
};

/* One list per phase, in the order the entries entered the phase, so the
 * oldest candidate for eviction is always at a list's head (O(1)); doomed
 * entries move to their own list. */
struct kw_conntrack {
    struct kw_conn_list phase[4]; /* by enum kw_conn_phase, live entries only */
    struct kw_conn_list doomed;
    size_t n;             /* entries */
    size_t live;          /* entries not doomed */
    long long request_ms; /* --request-timeout */
    long long idle_ms;    /* --idle-timeout */
    size_t soft_limit;    /* evict while more than this many are live */
};

/* The most victims one call of kw_conntrack_victims picks. */
#define KW_CONNTRACK_MAX_VICTIMS 16

/* The soft limit for a connection cap: the cap less a 32nd (at least one below the
 * cap when the cap is above 1), so a new connection always finds room. */
size_t kw_conntrack_soft_limit(size_t max_connections);

/* An empty table. The table allocates nothing and needs no freeing. */
void kw_conntrack_init(struct kw_conntrack *t, unsigned request_timeout_s, unsigned idle_timeout_s,
                       size_t soft_limit);

/* Enters a new connection (phase FRESH, deadline now + request timeout). */
void kw_conntrack_add(struct kw_conntrack *t, struct kw_conn *c, int fd, long long now_ms);
/* Takes `c` out of the table (the connection is closing). */
void kw_conntrack_remove(struct kw_conntrack *t, struct kw_conn *c);

/* The request line arrived: RECEIVING, the whole request due within the
 * request timeout of now. A FRESH connection keeps its earlier deadline
 * (from accept), so the handshake and first request share one budget; a
 * RECEIVING one (kw_conntrack_first_bytes) keeps the deadline it has. */
void kw_conntrack_request_line(struct kw_conntrack *t, struct kw_conn *c, long long now_ms);
/* An IDLE connection received its first bytes since its last response (the
 * start of its next request): RECEIVING, the whole request due within the
 * request timeout of now, however slowly its request line comes. Other
 * phases are left alone. */
void kw_conntrack_first_bytes(struct kw_conntrack *t, struct kw_conn *c, long long now_ms);
/* The whole request arrived, or an answer was queued: PROCESSING, no
 * deadline. */
void kw_conntrack_processing(struct kw_conntrack *t, struct kw_conn *c, long long now_ms);
/* A response was sent and the connection stays open: IDLE, the next
 * request line due within the idle timeout. */
void kw_conntrack_idle(struct kw_conntrack *t, struct kw_conn *c, long long now_ms);

/* Connections past their deadline (never PROCESSING ones, never doomed
 * ones): marks up to `max` of them doomed and writes their descriptors to
 * `fds`. Returns how many. Looks at every live entry: call it a few times a
 * second, not per event. */
size_t kw_conntrack_expired(struct kw_conntrack *t, long long now_ms, int *fds, size_t max);

/* When more than soft_limit connections are live: picks victims in the
 * eviction order (IDLE, then FRESH, then RECEIVING; in each phase the one
 * that entered it first; never PROCESSING, never `spare`), up to
 * min(live - soft_limit, max, KW_CONNTRACK_MAX_VICTIMS), marks them doomed
 * and writes their descriptors to `fds`. Returns how many. O(victims). */
size_t kw_conntrack_victims(struct kw_conntrack *t, const struct kw_conn *spare, int *fds,
                            size_t max);

#endif
