/* One libmicrohttpd listener (include/kw/server/http.h): routing, body handling,
 * transport errors, health endpoints, per-connection timeouts, the TLS
 * certificate callback and client-certificate checks.
 *
 * Life of a request: the URI-log callback (request line received) allocates
 * the request state and switches the connection to the request timeout; the
 * first access-handler call (headers complete) routes and decides every
 * transport error it can from the headers alone, answering at once without
 * reading the body; body chunks are appended to one buffer sized from
 * Content-Length; the last call hands the body to the core. The completed
 * callback frees the state and puts the connection back on the idle
 * (keep-alive) timeout.
 *
 * Those timeouts of libmicrohttpd only measure silence. On top of them every
 * connection is in a table (server/conntrack.c) with a deadline that does not
 * move when a byte arrives: a sweeper thread shuts down the socket of a
 * connection whose request has not arrived in time, and a new connection
 * that takes the listener past 97% of its cap shuts down the idle or slowest
 * ones. Shutting down (not closing) leaves the descriptor to libmicrohttpd,
 * which sees the end of the stream and closes it; the entry leaves the table
 * in the close notification, which libmicrohttpd 0.9.75 calls before it
 * closes the socket, so a descriptor shut down under the table's lock is
 * never one already reused by another connection. */
#include "kw/server/http.h"

#include <errno.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kw/admission/core.h"
#include "kw/base/dynbuf.h"
#include "kw/server/conntrack.h"
#include "kw/server/arena.h"
#include "kw/server/budget.h"
#include "kw/server/log.h"
#include "kw/server/metrics.h"
#include "kw/server/ratelimit.h"
#include "kw/server/tls.h"

enum route { R_UNKNOWN, R_VALIDATE, R_MUTATE, R_HEALTHZ, R_READYZ, R_METRICS };

/* Fixed answers, built once per listener (one set for normal service and one
 * carrying `Connection: close` for the drain) and shared by all requests. */
enum canned {
    C_NOT_FOUND,
    C_METHOD_WEBHOOK,
    C_METHOD_HEALTH,
    C_UNSUPPORTED_TYPE,
    C_TOO_LARGE,
    C_NOT_IMPLEMENTED,
    C_EMPTY_BODY,
    C_BAD_LENGTH,
    C_BAD_FRAMING,
    C_BAD_HOST,
    C_FORBIDDEN,
    C_NO_MEMORY,
    C_BUSY,
    C_OK,
    C_NOT_READY_DRAINING,
    C_NOT_READY_LISTENER,
    C_NOT_READY_CERT,
    C_COUNT
};

/* `closes`: the answer leaves the request's body unread (or, after a framing
 * error, the next request's start unknown), so the connection cannot be
 * reused and the answer carries `Connection: close`. `retry_after`: a
 * Retry-After value (seconds) for a refusal the client should retry.
 * `probe`: an answer to a health probe (readiness), not a transport error,
 * so not logged. */
static const struct {
    unsigned status;
    const char *body;
    const char *allow;
    bool closes;
    const char *retry_after;
    bool probe;
} canned_spec[C_COUNT] = {
    [C_NOT_FOUND] = {.status = 404,
                     .body = "not found: the webhook paths are /validate and /mutate\n"},
    [C_METHOD_WEBHOOK] = {.status = 405, .body = "method not allowed: use POST\n", .allow = "POST"},
    [C_METHOD_HEALTH] = {.status = 405,
                         .body = "method not allowed: use GET\n",
                         .allow = "GET, HEAD"},
    [C_UNSUPPORTED_TYPE] = {.status = 415,
                            .body = "unsupported media type: the body must be application/json\n"},
    [C_TOO_LARGE] = {.status = 413, .body = "request body too large\n", .closes = true},
    [C_NOT_IMPLEMENTED] = {.status = 501,
                           .body =
                               "not implemented: the only Transfer-Encoding supported is chunked\n",
                           .closes = true},
    [C_EMPTY_BODY] = {.status = 400, .body = "empty body: expected an AdmissionReview\n"},
    [C_BAD_LENGTH] = {.status = 400, .body = "invalid Content-Length\n", .closes = true},
    [C_BAD_FRAMING] = {.status = 400,
                       .body =
                           "bad request: conflicting Content-Length and Transfer-Encoding headers, "
                           "or whitespace before a header's colon\n",
                       .closes = true},
    [C_BAD_HOST] = {.status = 400,
                    .body = "bad request: an HTTP/1.1 request needs exactly one Host header\n",
                    .closes = true},
    [C_FORBIDDEN] = {.status = 403,
                     .body =
                         "forbidden: a client certificate signed by the client CA is required\n"},
    [C_NO_MEMORY] = {.status = 500, .body = "out of memory\n"},
    [C_BUSY] = {.status = 503,
                .body = "server busy: request bodies in flight use the whole body budget; retry\n",
                .closes = true,
                .retry_after = "1"},
    [C_OK] = {.status = 200, .body = "ok\n", .probe = true},
    [C_NOT_READY_DRAINING] = {.status = 503, .body = "not ready: shutting down\n", .probe = true},
    [C_NOT_READY_LISTENER] = {.status = 503,
                              .body = "not ready: the webhook listener is not accepting\n",
                              .probe = true},
    [C_NOT_READY_CERT] = {.status = 503,
                          .body = "not ready: the serving certificate has expired\n",
                          .probe = true},
};

struct kw_http {
    struct kw_http_params p;
    struct MHD_Daemon *daemon;
    atomic_bool refusing;     /* kw_http_quiesce: new connections are closed at once */
    atomic_uint active;       /* requests from request line to completion */
    atomic_uint fresh;        /* connections that have not sent a request line yet */
    atomic_size_t body_bytes; /* request body memory charged against p.body_budget */
    struct MHD_Response *canned[2][C_COUNT]; /* [closing][which] */

    /* The connection table and its sweeper. The lock guards the table and
     * every kw_conn in it; sockets are shut down with it held. */
    pthread_mutex_t lock;
    struct kw_conntrack table;
    pthread_t sweeper;
    bool sweeper_started;
    bool stopping; /* under lock: the sweeper ends */
    pthread_cond_t wake;
    unsigned long cut_deadline, cut_evicted; /* under lock: since the last log */

    /* Log lines a client can cause at will (transport errors, rejected
     * reviews) go through this bucket, under its own lock. */
    pthread_mutex_t log_lock;
    struct kw_ratelimit log_limit;
};

/* Per connection (MHD "socket context"). */
struct conn_ctx {
    struct kw_http *h;
    struct kw_tls_pair *pair; /* the certificate this connection's handshake used */
    int client_verified;      /* -1 not yet checked, 0 rejected, 1 accepted */
    bool fresh;               /* counted in kw_http.fresh */
    bool tracked;             /* conn is in h->table */
    struct kw_conn conn;
    int fd;                     /* the socket, for the TLS transport functions */
    atomic_bool awaiting_bytes; /* idle since a response: the next bytes start a request */
};

/* Per request (MHD "request context"). */
struct request {
    struct kw_http *h;
    struct timespec start;
    enum route route;
    bool begun;
    bool in_flight;        /* counted in kopia_webhook_in_flight_requests */
    const char *url;       /* the request target's path (libmicrohttpd's, for the request) */
    struct kw_dynbuf body; /* the whole body, limited to max_body_bytes */
    size_t charged;        /* bytes of the body budget it holds (its buffer's size) */
};

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static long long mono_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool draining(const struct kw_http *h)
{
    return atomic_load_explicit(&h->p.state->draining, memory_order_relaxed);
}

static bool is_webhook(enum route r)
{
    return r == R_VALIDATE || r == R_MUTATE;
}

/* The webhook a request to a webhook path is for. */
static enum kw_webhook hook_of(const struct request *rq)
{
    return rq->route == R_MUTATE ? KW_HOOK_MUTATE : KW_HOOK_VALIDATE;
}

static enum route route_of(const struct kw_http *h, const char *url)
{
    if (h->p.webhooks && strcmp(url, "/validate") == 0)
        return R_VALIDATE;
    if (h->p.webhooks && strcmp(url, "/mutate") == 0)
        return R_MUTATE;
    if (strcmp(url, "/healthz") == 0)
        return R_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return R_READYZ;
    if (strcmp(url, "/metrics") == 0)
        return R_METRICS;
    return R_UNKNOWN;
}

/* --- The connection table ------------------------------------------------ */

/* How often the sweeper looks for connections past their deadline, how many
 * it shuts down per look at the table, and how often at most it logs what
 * was cut. */
#define KW_SWEEP_MS         100
#define KW_SWEEP_BATCH      256
#define KW_CUT_LOG_EVERY_MS 10000

/* Lines about rejected requests (transport errors, reviews refused with a
 * 400 or 413) a listener writes: a burst of this many, then this many a
 * second; a client sending garbage cannot flood the log. */
#define KW_REJECT_LOG_BURST      50
#define KW_REJECT_LOG_PER_SECOND 10

static struct conn_ctx *conn_ctx_of(struct MHD_Connection *c);

/* With h->lock held: the descriptors are still the connections'. */
static void shut_all(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        shutdown(fds[i], SHUT_RDWR);
}

enum track_step { STEP_REQUEST_LINE, STEP_PROCESSING, STEP_IDLE };

/* Moves the connection's entry to the phase `step` begins. */
static void track(struct kw_http *h, struct MHD_Connection *c, enum track_step step)
{
    struct conn_ctx *ctx = conn_ctx_of(c);
    if (!ctx || !ctx->tracked)
        return;
    /* The phase changes only on this connection's thread, so it may be read
     * without the lock: an answer queued for a request already in needs no
     * second trip through it. */
    if (step == STEP_PROCESSING && ctx->conn.phase == KW_CONN_PROCESSING)
        return;
    long long now = mono_ms();
    pthread_mutex_lock(&h->lock);
    if (step == STEP_REQUEST_LINE)
        kw_conntrack_request_line(&h->table, &ctx->conn, now);
    else if (step == STEP_PROCESSING)
        kw_conntrack_processing(&h->table, &ctx->conn, now);
    else
        kw_conntrack_idle(&h->table, &ctx->conn, now);
    pthread_mutex_unlock(&h->lock);
    if (step == STEP_IDLE)
        atomic_store_explicit(&ctx->awaiting_bytes, true, memory_order_relaxed);
}

/* --- TLS transport: where a kept-alive connection's next request starts ---
 *
 * libmicrohttpd reports a request only once its request line is complete, so
 * the first bytes of the next request on a kept-alive connection would go
 * unseen and a request line trickled a byte at a time would count as idle
 * time. The webhook listener's GnuTLS sessions read and write through these
 * functions instead (the same recv/send libmicrohttpd uses), and the first
 * bytes read after a response start the request's deadline. */

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
    struct conn_ctx *ctx = ptr;
    ssize_t n = recv(ctx->fd, buf, len, 0);
    if (n > 0 && atomic_load_explicit(&ctx->awaiting_bytes, memory_order_relaxed) &&
        atomic_exchange(&ctx->awaiting_bytes, false)) {
        int saved = errno;
        pthread_mutex_lock(&ctx->h->lock);
        if (ctx->tracked)
            kw_conntrack_first_bytes(&ctx->h->table, &ctx->conn, mono_ms());
        pthread_mutex_unlock(&ctx->h->lock);
        errno = saved;
    }
    return n;
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
    const struct conn_ctx *ctx = ptr;
    return send(ctx->fd, buf, len, MSG_NOSIGNAL);
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
    const struct conn_ctx *ctx = ptr;
    struct pollfd pfd = {ctx->fd, POLLIN, 0};
    int timeout = ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)(ms > INT_MAX ? INT_MAX : ms);
    return poll(&pfd, 1, timeout);
}

static gnutls_session_t tls_session_of(struct MHD_Connection *c);

static void watch_tls_reads(struct conn_ctx *ctx, struct MHD_Connection *c)
{
    gnutls_session_t s = tls_session_of(c);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!s || !ci)
        return;
    ctx->fd = ci->connect_fd;
    gnutls_transport_set_ptr(s, ctx);
    gnutls_transport_set_pull_function(s, tls_pull);
    gnutls_transport_set_pull_timeout_function(s, tls_pull_timeout);
    gnutls_transport_set_push_function(s, tls_push);
}

/* Enters a new connection and, past the soft limit, shuts down the
 * connections the eviction order picks (never this one). */
static void track_new(struct kw_http *h, struct conn_ctx *ctx, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    long long now = mono_ms();
    int fds[KW_CONNTRACK_MAX_VICTIMS];
    pthread_mutex_lock(&h->lock);
    kw_conntrack_add(&h->table, &ctx->conn, ci->connect_fd, now);
    ctx->tracked = true;
    size_t n = kw_conntrack_victims(&h->table, &ctx->conn, fds, KW_CONNTRACK_MAX_VICTIMS);
    shut_all(fds, n);
    h->cut_evicted += n;
    pthread_mutex_unlock(&h->lock);
    if (h->p.webhooks)
        kw_metrics_connections_closed(h->p.metrics, KW_CLOSED_EVICTED, (unsigned)n);
}

static void untrack(struct kw_http *h, struct conn_ctx *ctx)
{
    if (!ctx->tracked)
        return;
    pthread_mutex_lock(&h->lock);
    kw_conntrack_remove(&h->table, &ctx->conn);
    ctx->tracked = false;
    pthread_mutex_unlock(&h->lock);
}

/* With h->lock held. */
static void sweep(struct kw_http *h, long long now)
{
    int fds[KW_SWEEP_BATCH];
    size_t n;
    do {
        n = kw_conntrack_expired(&h->table, now, fds, KW_SWEEP_BATCH);
        shut_all(fds, n);
        h->cut_deadline += n;
        if (h->p.webhooks)
            kw_metrics_connections_closed(h->p.metrics, KW_CLOSED_DEADLINE, (unsigned)n);
    } while (n == KW_SWEEP_BATCH);
}

static const char *listener_name(const struct kw_http *h)
{
    return h->p.webhooks ? "webhook" : "health";
}

/* With h->lock held; drops it while logging. Also reports the rejected
 * requests whose lines the rate limit left out since the last line. */
static void log_cuts(struct kw_http *h)
{
    unsigned long deadline = h->cut_deadline, evicted = h->cut_evicted;
    h->cut_deadline = h->cut_evicted = 0;
    pthread_mutex_unlock(&h->lock);
    if (deadline || evicted)
        kw_log(KW_LOG_INFO, "connections closed by the server", KW_LS("listener", listener_name(h)),
               KW_LI("pastDeadline", (long long)deadline), KW_LI("evicted", (long long)evicted),
               KW_LEND);
    pthread_mutex_lock(&h->log_lock);
    unsigned long long suppressed = kw_ratelimit_report(&h->log_limit);
    pthread_mutex_unlock(&h->log_lock);
    if (suppressed)
        kw_log(KW_LOG_WARN, "rejected requests not logged (rate limit)",
               KW_LS("listener", listener_name(h)), KW_LI("suppressed", (long long)suppressed),
               KW_LEND);
    pthread_mutex_lock(&h->lock);
}

static void *sweeper_main(void *arg)
{
    struct kw_http *h = arg;
    long long next_log = mono_ms() + KW_CUT_LOG_EVERY_MS;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += KW_SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->wake, &h->lock, &until);
        if (h->stopping)
            break;
        long long now = mono_ms();
        sweep(h, now);
        if (now >= next_log) {
            log_cuts(h);
            next_log = now + KW_CUT_LOG_EVERY_MS;
        }
    }
    log_cuts(h); /* what the last period cut */
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static int table_init(struct kw_http *h)
{
    const struct kw_http_params *p = &h->p;
    size_t soft = kw_conntrack_soft_limit(p->max_connections);
    kw_conntrack_init(&h->table, p->opts->request_timeout_s, p->opts->idle_timeout_s, soft);
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&h->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    kw_ratelimit_init(&h->log_limit, KW_REJECT_LOG_PER_SECOND, KW_REJECT_LOG_BURST, mono_ms());
    if (pthread_mutex_init(&h->log_lock, NULL) != 0)
        return -1;
    return pthread_mutex_init(&h->lock, NULL) == 0 ? 0 : -1;
}

static void table_free(struct kw_http *h)
{
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->log_lock);
}

static void sweeper_stop(struct kw_http *h)
{
    if (!h->sweeper_started)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->sweeper, NULL);
    h->sweeper_started = false;
}

/* --- Responses ----------------------------------------------------------- */

static enum MHD_Result send_response(struct request *rq, struct MHD_Connection *c, unsigned status,
                                     struct MHD_Response *r)
{
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    if (ok == MHD_YES) {
        track(rq->h, c, STEP_PROCESSING); /* an answer on its way is never cut */
        kw_metrics_http_response(rq->h->p.metrics, status);
    }
    return ok;
}

/* True when a line about a rejected request may be written now; then
 * *suppressed is how many such lines the limit left out before it. */
static bool reject_log_allowed(struct kw_http *h, unsigned long long *suppressed)
{
    if (!kw_log_enabled(KW_LOG_WARN))
        return false;
    pthread_mutex_lock(&h->log_lock);
    bool ok = kw_ratelimit_take(&h->log_limit, mono_ms(), suppressed);
    pthread_mutex_unlock(&h->log_lock);
    return ok;
}

/* The client's address, numeric ("192.0.2.7", "2001:db8::1"); "" if unknown. */
static void client_address(struct MHD_Connection *c, char *out, size_t cap)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (!sa)
        return;
    const void *addr = NULL;
    if (sa->sa_family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!addr || !inet_ntop(sa->sa_family, addr, out, (socklen_t)cap))
        out[0] = '\0';
}

/* The first line of `text`, at most cap - 1 bytes, into out. */
static void first_line(const char *text, char *out, size_t cap)
{
    size_t n = strcspn(text ? text : "", "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, text ? text : "", n);
    out[n] = '\0';
}

/* A request answered with an error without the core, on any path: counted
 * as a webhook request (on a webhook path) and logged at warn, within the
 * listener's limit for such lines. */
static void record_transport_error(struct request *rq, struct MHD_Connection *c, unsigned status,
                                   const char *why)
{
    double secs = seconds_since(&rq->start);
    bool webhook = is_webhook(rq->route);
    if (webhook)
        kw_metrics_record_review(rq->h->p.metrics, hook_of(rq), NULL, (int)status, secs);
    unsigned long long suppressed;
    if (!reject_log_allowed(rq->h, &suppressed))
        return;
    char line[160], path[128], remote[INET6_ADDRSTRLEN];
    first_line(why, line, sizeof(line));
    first_line(rq->url, path, sizeof(path));
    client_address(c, remote, sizeof(remote));
    kw_log(KW_LOG_WARN, "request rejected", KW_LS("listener", listener_name(rq->h)),
           KW_LS(webhook ? "webhook" : NULL, hook_of(rq) == KW_HOOK_MUTATE ? "mutate" : "validate"),
           KW_LS("path", path), KW_LS("remoteAddr", remote), KW_LI("status", status),
           KW_LS("error", line), KW_LD("durationMs", secs * 1e3),
           KW_LI(suppressed ? "suppressed" : NULL, (long long)suppressed), KW_LEND);
}

static enum MHD_Result send_canned(struct request *rq, struct MHD_Connection *c, enum canned which)
{
    unsigned status = canned_spec[which].status;
    bool closing = draining(rq->h) || canned_spec[which].closes;
    enum MHD_Result ok = send_response(rq, c, status, rq->h->canned[closing][which]);
    if (ok == MHD_YES && status >= 400 && !canned_spec[which].probe)
        record_transport_error(rq, c, status, canned_spec[which].body);
    return ok;
}

static void free_canned(struct kw_http *h)
{
    for (int closing = 0; closing < 2; closing++)
        for (int i = 0; i < C_COUNT; i++)
            if (h->canned[closing][i])
                MHD_destroy_response(h->canned[closing][i]);
}

static int build_canned(struct kw_http *h)
{
    for (int closing = 0; closing < 2; closing++) {
        for (int i = 0; i < C_COUNT; i++) {
            const char *body = canned_spec[i].body;
            struct MHD_Response *r =
                MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
            if (!r)
                return -1;
            h->canned[closing][i] = r;
            if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        "text/plain; charset=utf-8") != MHD_YES)
                return -1;
            if (canned_spec[i].allow &&
                MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, canned_spec[i].allow) != MHD_YES)
                return -1;
            if (canned_spec[i].retry_after &&
                MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
                                        canned_spec[i].retry_after) != MHD_YES)
                return -1;
            if (closing &&
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
                return -1;
        }
    }
    return 0;
}

/* A response that owns `body` (malloc'd; freed by libmicrohttpd). */
static struct MHD_Response *owned_response(struct kw_http *h, char *body, size_t len,
                                           const char *content_type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return NULL;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
        (draining(h) &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

/* --- Health -------------------------------------------------------------- */

static enum canned readiness(const struct kw_http *h)
{
    const struct kw_http_state *s = h->p.state;
    if (atomic_load(&s->draining))
        return C_NOT_READY_DRAINING;
    if (!atomic_load(&s->listening))
        return C_NOT_READY_LISTENER;
    if (s->tls && kw_tls_not_after(s->tls) <= time(NULL))
        return C_NOT_READY_CERT;
    return C_OK;
}

static enum MHD_Result serve_metrics(struct request *rq, struct MHD_Connection *c)
{
    size_t len;
    char *text = kw_metrics_render(rq->h->p.metrics, &len);
    struct MHD_Response *r =
        text ? owned_response(rq->h, text, len, KW_METRICS_CONTENT_TYPE) : NULL;
    if (!r)
        return send_canned(rq, c, C_NO_MEMORY);
    enum MHD_Result ok = send_response(rq, c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static bool is_get_or_head(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* Called once the whole request is in: a response queued while only the
 * headers are (libmicrohttpd 0.9.75) closes the connection, and probes and
 * scrapes should keep theirs. */
static enum MHD_Result serve_health(struct request *rq, struct MHD_Connection *c)
{
    switch (rq->route) {
    case R_HEALTHZ:
        return send_canned(rq, c, C_OK);
    case R_READYZ:
        return send_canned(rq, c, readiness(rq->h));
    default:
        return serve_metrics(rq, c);
    }
}

/* --- Client certificates ------------------------------------------------- */

static gnutls_session_t tls_session_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

static struct conn_ctx *conn_ctx_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The handshake already requires and verifies the client certificate (see
 * on_connection); this re-checks once per connection so that no request is
 * served on a session whose peer was not verified against the client CA. */
static bool client_allowed(struct MHD_Connection *c)
{
    struct conn_ctx *ctx = conn_ctx_of(c);
    if (ctx && ctx->client_verified >= 0)
        return ctx->client_verified == 1;
    gnutls_session_t s = tls_session_of(c);
    unsigned status = 1;
    bool ok = s && gnutls_certificate_type_get(s) == GNUTLS_CRT_X509 &&
              gnutls_certificate_verify_peers2(s, &status) == GNUTLS_E_SUCCESS && status == 0;
    if (!ok)
        kw_log(KW_LOG_WARN, "client certificate rejected", KW_LEND);
    if (ctx)
        ctx->client_verified = ok ? 1 : 0;
    return ok;
}

/* --- Webhook requests ---------------------------------------------------- */

/* application/json, case-insensitive, with optional parameters. */
static bool is_json_content_type(const char *v)
{
    if (!v)
        return false;
    while (*v == ' ' || *v == '\t')
        v++;
    static const char want[] = "application/json";
    if (strncasecmp(v, want, sizeof(want) - 1) != 0)
        return false;
    v += sizeof(want) - 1;
    while (*v == ' ' || *v == '\t')
        v++;
    return *v == '\0' || *v == ';';
}

/* What the message framing depends on, from every header line:
 * Transfer-Encoding headers (and whether each is exactly "chunked"),
 * Content-Length headers (and whether their values differ), Host headers, and
 * names ending in whitespace, which libmicrohttpd 0.9.75 accepts. */
struct coding_scan {
    unsigned headers; /* Transfer-Encoding */
    bool all_chunked;
    unsigned lengths;
    const char *first_length;
    bool lengths_differ;
    unsigned hosts;
    bool space_before_colon;
};

static enum MHD_Result scan_coding(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct coding_scan *t = cls;
    if (!key)
        return MHD_YES;
    size_t klen = strlen(key);
    if (klen && (key[klen - 1] == ' ' || key[klen - 1] == '\t'))
        t->space_before_colon = true;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        t->headers++;
        t->all_chunked = t->all_chunked && value && strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (t->lengths++ == 0)
            t->first_length = value;
        else if (!value || !t->first_length || strcmp(value, t->first_length) != 0)
            t->lengths_differ = true;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
        t->hosts++;
    }
    return MHD_YES;
}

/* The answer the headers alone decide, or C_COUNT when they are fine; one
 * pass over the headers.
 * - A Transfer-Encoding other than one header of exactly "chunked": 501.
 *   libmicrohttpd 0.9.75 decodes nothing else: with any other coding ("gzip",
 *   "identity", "gzip, chunked") it would read the body until the client
 *   closes, so the request would hang until its timeout. RFC 9112 §6.1: a
 *   server that receives a transfer coding it does not understand answers
 *   501.
 * - RFC 9112 §6.3 and §5.1: Content-Length together with Transfer-Encoding,
 *   Content-Lengths that differ, or whitespace before a colon make the
 *   body's end ambiguous (request smuggling through a proxy): 400 and close.
 * - §3.2: an HTTP/1.1 request has exactly one Host header (at most one in
 *   HTTP/1.0): 400 and close. */
static enum canned header_error(struct MHD_Connection *c, const char *version)
{
    struct coding_scan t = {.all_chunked = true};
    MHD_get_connection_values(c, MHD_HEADER_KIND, scan_coding, &t);
    if (t.headers > 1 || !t.all_chunked)
        return C_NOT_IMPLEMENTED;
    if (t.space_before_colon || t.lengths_differ || (t.lengths && t.headers))
        return C_BAD_FRAMING;
    bool http11 = version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
    if (t.hosts > 1 || (http11 && t.hosts == 0))
        return C_BAD_HOST;
    return C_COUNT;
}

static long long content_length(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!v)
        return -1;
    unsigned long long n = 0;
    if (!*v)
        return -2;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (unsigned long long)INT64_MAX / 10)
            return -2;
        n = n * 10 + (unsigned)(*v - '0');
    }
    return n > (unsigned long long)INT64_MAX ? -2 : (long long)n;
}

/* --- The body budget ----------------------------------------------------- */

/* Raises what `rq` holds of the body budget to `total` bytes (its buffer's
 * capacity: the body and its NUL). A body over KW_SMALL_BODY_BYTES may not
 * use the small-body reserve. False when the budget cannot give them
 * (nothing changes then). */
static bool charge_body(struct request *rq, size_t total)
{
    struct kw_http *h = rq->h;
    if (total <= rq->charged)
        return true;
    size_t more = total - rq->charged;
    if (h->p.body_budget) {
        size_t limit = total <= KW_SMALL_BODY_BYTES + 1 ? h->p.body_budget
                                                        : h->p.body_budget - h->p.body_reserve;
        size_t used = atomic_load(&h->body_bytes);
        do {
            if (used > limit || more > limit - used)
                return false;
        } while (!atomic_compare_exchange_weak(&h->body_bytes, &used, used + more));
    } else {
        atomic_fetch_add(&h->body_bytes, more);
    }
    kw_metrics_body_bytes_add(h->p.metrics, (long long)more);
    rq->charged = total;
    return true;
}

/* Frees the body and gives its bytes back to the budget. */
static void free_body(struct request *rq)
{
    kw_dynbuf_free(&rq->body);
    atomic_fetch_sub(&rq->h->body_bytes, rq->charged);
    kw_metrics_body_bytes_add(rq->h->p.metrics, -(long long)rq->charged);
    rq->charged = 0;
}

static enum MHD_Result begin_webhook(struct request *rq, struct MHD_Connection *c,
                                     const char *method)
{
    rq->in_flight = true;
    kw_metrics_in_flight_add(rq->h->p.metrics, hook_of(rq), 1);
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return send_canned(rq, c, C_METHOD_WEBHOOK);
    if (!is_json_content_type(
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return send_canned(rq, c, C_UNSUPPORTED_TYPE);
    long long cl = content_length(c);
    size_t max = rq->h->p.opts->max_body_bytes;
    if (cl == -2)
        return send_canned(rq, c, C_BAD_LENGTH);
    if (cl >= 0 && (unsigned long long)cl > max)
        return send_canned(rq, c, C_TOO_LARGE);
    if (cl == 0)
        return send_canned(rq, c, C_EMPTY_BODY);
    /* Known length: exactly one allocation, charged whole before it is
     * made. Chunked: start small, grow (append_body charges each growth). */
    size_t first = cl > 0 ? (size_t)cl : (max < 65536 ? max : 65536);
    if (!charge_body(rq, kw_dynbuf_capacity_after(&rq->body, first)))
        return send_canned(rq, c, C_BUSY);
    if (kw_dynbuf_reserve(&rq->body, first))
        return send_canned(rq, c, C_NO_MEMORY);
    return MHD_YES;
}

enum append_result { APPENDED, OVER_LIMIT, OVER_BUDGET };

/* Appends a body chunk (the buffer grows only for chunked bodies), each
 * growth charged to the body budget before it is allocated. */
static enum append_result append_body(struct request *rq, const char *data, size_t n)
{
    size_t cap = kw_dynbuf_capacity_after(&rq->body, n);
    if (cap == 0)
        return OVER_LIMIT;
    if (!charge_body(rq, cap))
        return OVER_BUDGET;
    return kw_dynbuf_append(&rq->body, data, n) == KW_DYNBUF_OK ? APPENDED : OVER_LIMIT;
}

/* A chunked body passed the limit: stop reading here. libmicrohttpd 0.9.75
 * cannot queue a response in the middle of a body, so the connection is
 * closed without one (a 413 when the library allows it). */
static enum MHD_Result stop_oversized(struct request *rq, struct MHD_Connection *c)
{
    free_body(rq);
    if (send_canned(rq, c, C_TOO_LARGE) == MHD_YES)
        return MHD_YES;
    record_transport_error(rq, c, 413, "chunked request body over the limit; connection closed");
    return MHD_NO;
}

/* A chunked body outgrew what the body budget has left: as above, the
 * connection is closed (a 503 when the library allows it). */
static enum MHD_Result stop_over_budget(struct request *rq, struct MHD_Connection *c)
{
    free_body(rq);
    if (send_canned(rq, c, C_BUSY) == MHD_YES)
        return MHD_YES;
    record_transport_error(rq, c, 503,
                           "chunked request body over the body budget; connection closed");
    return MHD_NO;
}

/* The rule ids as strings for a JSON array (static strings, no copies). */
static size_t rule_names(const char *names[KW_SUMMARY_RULES], const enum kw_rule_id *ids, size_t n)
{
    size_t k = 0;
    for (; k < n && k < KW_SUMMARY_RULES; k++)
        names[k] = kw_rule_id_string(ids[k]);
    return k;
}

static void log_rejected_review(struct request *rq, struct MHD_Connection *c, const char *webhook,
                                const struct kw_outcome *out, double secs)
{
    unsigned long long suppressed;
    if (!reject_log_allowed(rq->h, &suppressed))
        return;
    char why[200], remote[INET6_ADDRSTRLEN];
    size_t n = 0; /* the body's first line (it need not end in a NUL) */
    while (out->body && n < out->body_len && n < sizeof(why) - 1 && out->body[n] != '\n' &&
           out->body[n] != '\r')
        n++;
    memcpy(why, n ? out->body : "", n);
    why[n] = '\0';
    client_address(c, remote, sizeof(remote));
    kw_log(KW_LOG_WARN, "review rejected", KW_LS("webhook", webhook), KW_LS("remoteAddr", remote),
           KW_LI("status", out->http_status), KW_LS("error", why), KW_LD("durationMs", secs * 1e3),
           KW_LI(suppressed ? "suppressed" : NULL, (long long)suppressed), KW_LEND);
}

/* One line per review: who asked (user), for what (group, version,
 * resource, kind, namespace, name, operation) and the verdict. */
static void log_review(struct request *rq, struct MHD_Connection *c, enum kw_webhook hook,
                       const struct kw_outcome *out, double secs)
{
    const char *webhook = hook == KW_HOOK_MUTATE ? "mutate" : "validate";
    const struct kw_summary *s = &out->summary;
    if (out->http_status != 200 || !s->decoded) {
        log_rejected_review(rq, c, webhook, out, secs);
        return;
    }
    if (!kw_log_enabled(KW_LOG_INFO))
        return;
    const char *denied[KW_SUMMARY_RULES], *warned[KW_SUMMARY_RULES];
    size_t ndenied = rule_names(denied, s->deny_rules, s->ndeny);
    size_t nwarned = rule_names(warned, s->warn_rules, s->nwarn);
    kw_log(KW_LOG_INFO, "review", KW_LS("webhook", webhook), KW_LS("uid", s->uid),
           KW_LS("user", s->user), KW_LS("group", s->group), KW_LS("version", s->version),
           KW_LS("resource", s->resource), KW_LS("kind", s->kind), KW_LS("namespace", s->namespace),
           KW_LS("name", s->name), KW_LS("operation", s->operation), KW_LB("dryRun", s->dry_run),
           KW_LB("allowed", s->allowed), KW_LB("patched", s->patched),
           KW_LA("deniedRules", denied, ndenied), KW_LA("warningRules", warned, nwarned),
           KW_LD("durationMs", secs * 1e3), KW_LEND);
}

static enum MHD_Result finish_webhook(struct request *rq, struct MHD_Connection *c)
{
    if (kw_dynbuf_len(&rq->body) == 0)
        return send_canned(rq, c, C_EMPTY_BODY);
    enum kw_webhook hook = hook_of(rq);
    struct kw_config_ref *ref;
    const struct kw_config *cfg = kw_config_acquire(rq->h->p.config, &ref);
    /* Everything jansson allocates for this review comes from one arena,
     * released in one step (the response body is malloc'd by the core), so
     * the core leaves its trees to that release instead of freeing them
     * value by value. */
    struct kw_arena arena;
    kw_arena_init(&arena, rq->h->p.request_memory);
    kw_arena_enter(&arena);
    struct kw_outcome out;
    kw_handle_bulk(cfg, hook, kw_dynbuf_ptr(&rq->body), kw_dynbuf_len(&rq->body), &out);
    kw_arena_leave();
    kw_arena_release(&arena);
    kw_config_release(ref);
    free_body(rq);

    double secs = seconds_since(&rq->start);
    kw_metrics_record_review(rq->h->p.metrics, hook, &out.summary, out.http_status, secs);
    log_review(rq, c, hook, &out, secs);

    char *body = out.body;
    size_t body_len = out.body_len;
    out.body = NULL; /* the response owns it now */
    struct MHD_Response *r = owned_response(
        rq->h, body, body_len, out.content_type ? out.content_type : "application/json");
    unsigned status = (unsigned)out.http_status;
    kw_outcome_free(&out);
    if (!r)
        return send_canned(rq, c, C_NO_MEMORY);
    enum MHD_Result ok = send_response(rq, c, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* --- libmicrohttpd callbacks --------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    struct request *rq = *req_cls;
    if (!rq)
        return MHD_NO; /* the request state could not be allocated: close */
    if (!rq->begun) {
        rq->begun = true;
        rq->url = url;
        rq->route = route_of(rq->h, url);
        if (rq->h->p.client_ca_pem && !client_allowed(c))
            return send_canned(rq, c, C_FORBIDDEN);
        enum canned bad = header_error(c, version);
        if (bad != C_COUNT)
            return send_canned(rq, c, bad);
        if (rq->route == R_UNKNOWN)
            return send_canned(rq, c, C_NOT_FOUND);
        if (!is_webhook(rq->route))
            return is_get_or_head(method) ? MHD_YES : send_canned(rq, c, C_METHOD_HEALTH);
        return begin_webhook(rq, c, method);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!is_webhook(rq->route))
            return MHD_NO; /* a body on GET /healthz: not worth reading */
        switch (append_body(rq, upload_data, n)) {
        case APPENDED:
            return MHD_YES;
        case OVER_BUDGET:
            return stop_over_budget(rq, c);
        default:
            return stop_oversized(rq, c);
        }
    }
    track(rq->h, c, STEP_PROCESSING); /* the whole request is in */
    if (!is_webhook(rq->route))
        return serve_health(rq, c);
    return finish_webhook(rq, c);
}

static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)uri;
    struct kw_http *h = cls;
    atomic_fetch_add(&h->active, 1);
    struct conn_ctx *ctx = conn_ctx_of(c);
    if (ctx && ctx->fresh) {
        ctx->fresh = false;
        atomic_fetch_sub(&h->fresh, 1);
    }
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->p.opts->request_timeout_s);
    track(h, c, STEP_REQUEST_LINE);
    struct request *rq = calloc(1, sizeof(*rq));
    if (rq) {
        rq->h = h;
        kw_dynbuf_init(&rq->body, h->p.opts->max_body_bytes);
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
    }
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct kw_http *h = cls;
    struct request *rq = *req_cls;
    if (rq) {
        if (rq->in_flight)
            kw_metrics_in_flight_add(h->p.metrics, hook_of(rq), -1);
        free_body(rq);
        free(rq);
        *req_cls = NULL;
    }
    atomic_fetch_sub(&h->active, 1);
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->p.opts->idle_timeout_s);
        track(h, c, STEP_IDLE);
    }
}

/* Makes the handshake fail unless the client presents a certificate that
 * verifies against the client CA. */
static void require_client_certificate(struct MHD_Connection *c)
{
    gnutls_session_t s = tls_session_of(c);
    if (!s)
        return;
    gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert(s, NULL, 0);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct kw_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_ctx *ctx = calloc(1, sizeof(*ctx));
        if (ctx) {
            ctx->h = h;
            ctx->client_verified = -1;
            ctx->fresh = true;
            atomic_fetch_add(&h->fresh, 1);
        }
        *socket_context = ctx;
        if (ctx)
            track_new(h, ctx, c);
        if (ctx && h->p.tls)
            watch_tls_reads(ctx, c);
        /* A new connection must complete its handshake and first request
         * within the request timeout; it gets the idle timeout only after a
         * completed request. */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->p.opts->request_timeout_s);
        if (h->p.tls && h->p.client_ca_pem)
            require_client_certificate(c);
        if (h->p.webhooks)
            kw_metrics_connections_add(h->p.metrics, 1);
        return;
    }
    struct conn_ctx *ctx = *socket_context;
    if (ctx) {
        if (ctx->fresh)
            atomic_fetch_sub(&h->fresh, 1);
        untrack(h, ctx);
        kw_tls_pair_release(ctx->pair);
        free(ctx);
        *socket_context = NULL;
    }
    if (h->p.webhooks)
        kw_metrics_connections_add(h->p.metrics, -1);
}

/* gnutls_certificate_retrieve_function2: the connection takes a reference to
 * the current pair and keeps it until it closes, so a reload in the middle
 * of a handshake never frees the key that handshake signs with. */
static int retrieve_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn,
                                int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                                int pk_algos_length, gnutls_pcert_st **pcert,
                                unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)req_ca_rdn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct MHD_Connection *c = gnutls_session_get_ptr(session);
    struct conn_ctx *ctx = c ? conn_ctx_of(c) : NULL;
    if (!ctx || !ctx->h->p.tls)
        return -1;
    if (!ctx->pair)
        ctx->pair = kw_tls_acquire(ctx->h->p.tls);
    kw_tls_pair_credentials(ctx->pair, pcert, pcert_length, privkey);
    return 0;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!kw_log_enabled(KW_LOG_DEBUG))
        return;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    kw_log(KW_LOG_DEBUG, "libmicrohttpd", KW_LS("detail", msg), KW_LEND);
}

/* libmicrohttpd's accept policy: once the listener is quiesced, a connection
 * is closed as soon as it is accepted, before any TLS or request. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    const struct kw_http *h = cls;
    return atomic_load_explicit(&h->refusing, memory_order_relaxed) ? MHD_NO : MHD_YES;
}

/* libmicrohttpd's fatal errors: its default handler writes to stderr only
 * when the library was built with messages, so the reason goes through the
 * log before the abort. */
static _Noreturn void on_mhd_panic(void *cls, const char *file, unsigned int line,
                                   const char *reason)
{
    (void)cls;
    char why[256];
    first_line(reason ? reason : "(no reason given)", why, sizeof(why));
    kw_log(KW_LOG_ERROR, "libmicrohttpd fatal error; aborting", KW_LS("file", file ? file : ""),
           KW_LI("line", line), KW_LS("reason", why), KW_LEND);
    abort();
}

void kw_http_install_panic_handler(void)
{
    MHD_set_panic_func(on_mhd_panic, NULL);
}

/* --- Start and stop ------------------------------------------------------ */

unsigned kw_http_per_address_limit(const struct kw_http_params *p)
{
    if (p->max_connections_per_address)
        return p->max_connections_per_address;
    unsigned half = p->max_connections / 2;
    return half ? half : 1;
}

struct kw_http *kw_http_start(const struct kw_http_params *p, char *err, size_t errlen)
{
    struct kw_http *h = calloc(1, sizeof(*h));
    if (!h || build_canned(h) != 0) {
        if (h)
            free_canned(h);
        free(h);
        close(p->listen_fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->p = *p;
    if (table_init(h) != 0) {
        free_canned(h);
        free(h);
        close(p->listen_fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (p->tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, p->listen_fd, NULL};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, p->opts->idle_timeout_s, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_request_line, h};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, p->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                        kw_http_per_address_limit(p), NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                        KW_CONNECTION_MEMORY_BYTES, NULL};
    if (p->threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, p->threads, NULL};
    if (p->tls) {
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)KW_TLS_PRIORITIES};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
                                            (void *)retrieve_certificate};
        if (p->client_ca_pem)
            opts[n++] =
                (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)p->client_ca_pem};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    kw_http_install_panic_handler();
    h->daemon = MHD_start_daemon(flags, 0, on_accept, h, on_request, h, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errlen, "cannot start the %s listener (libmicrohttpd refused the options)",
                 p->tls ? "TLS" : "health");
        /* The socket is not closed here: whether libmicrohttpd already did
         * depends on where it failed; the process is about to exit. */
        table_free(h);
        free_canned(h);
        free(h);
        return NULL;
    }
    if (pthread_create(&h->sweeper, NULL, sweeper_main, h) != 0) {
        snprintf(err, errlen, "cannot start the connection sweeper thread");
        MHD_stop_daemon(h->daemon);
        table_free(h);
        free_canned(h);
        free(h);
        return NULL;
    }
    h->sweeper_started = true;
    return h;
}

/* Not MHD_quiesce_daemon: in libmicrohttpd 0.9.75 (and later releases) with
 * a thread pool under epoll, it removes the listen socket from each worker's
 * epoll set from the calling thread while the worker, which sees the
 * quiesced flag, may remove it too; the loser gets ENOENT and the library
 * aborts ("Failed to remove listen FD from epoll set"): 5 stops in 300 of a
 * busy daemon in a standalone test. The accept policy refuses instead, and
 * the listen socket stays libmicrohttpd's until the stop. */
void kw_http_quiesce(struct kw_http *h)
{
    atomic_store(&h->refusing, true);
}

unsigned kw_http_busy(struct kw_http *h)
{
    return atomic_load(&h->active) + atomic_load(&h->fresh);
}

void kw_http_stop(struct kw_http *h)
{
    if (!h)
        return;
    sweeper_stop(h);
    MHD_stop_daemon(h->daemon); /* closes the listen socket */
    table_free(h);
    free_canned(h);
    free(h);
}
