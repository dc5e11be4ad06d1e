/* Slow and idle clients against the real server: the whole-request deadline
 * (a slowloris that sends a byte every 300 ms is cut at the request timeout,
 * not kept), the idle-connection flood (2,000 hostile connections of four
 * kinds held from eight loopback addresses while a legitimate client is
 * served within tens of milliseconds, with the server's peak memory
 * bounded), the per-address connection limit, eviction near the connection
 * cap (idle keep-alive first, then connections that sent nothing, then slow
 * requests), the header size the per-connection memory holds, and the
 * open-file limit the server raises for its connections. Each test starts
 * its own server with the flags it needs. All of 127.0.0.0/8 reaches the
 * server on Linux, so client sockets bound to 127.0.0.2 ... 127.0.0.9 are
 * distinct client addresses. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kwtest.h"

/* Resident memory one open connection may add, in KiB (measured 13 KiB for
 * silent TCP, 19 KiB for a TLS connection; docs/operations.md). */
#define KWT_CONNECTION_KIB 20

static struct kwt_server srv;
static bool started;

static void fini(void)
{
    if (started)
        kwt_server_finish(&srv);
    started = false;
}

TestSuite(http_hostile, .fini = fini, .timeout = 240);

static void start(const char *const *args)
{
    cr_assert_eq(kwt_server_start(&srv, args), 0, "server did not start");
    started = true;
}

/* --- Clients ------------------------------------------------------------- */

/* A TCP connection from `source` (an address of 127/8) to the server's
 * HTTPS port, or -1. */
static int tcp_from(const char *source, int port)
{
    signal(SIGPIPE, SIG_IGN);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, source, &src.sin_addr);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
        connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* A TLS connection from `source`, handshake done; 0 or -1. */
static int tls_from(struct kwt_tls *t, const char *source)
{
    static SSL_CTX *ctx;
    if (!ctx) {
        ctx = SSL_CTX_new(TLS_client_method());
        cr_assert_not_null(ctx);
    }
    memset(t, 0, sizeof(*t));
    t->fd = tcp_from(source, srv.port);
    if (t->fd < 0)
        return -1;
    SSL_CTX_up_ref(ctx);
    t->ctx = ctx;
    t->ssl = SSL_new(ctx);
    SSL_set_fd(t->ssl, t->fd);
    if (SSL_connect(t->ssl) != 1) {
        ERR_clear_error();
        kwt_tls_close(t);
        return -1;
    }
    return 0;
}

static const char review_head[] = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n";

/* Sends one allowed review on `t` and reads the 200; the connection stays
 * open (keep-alive). */
static void review_on(struct kwt_tls *t)
{
    static char req[8192];
    static size_t len;
    if (!len) {
        char *body = kwt_review("admission.k8s.io/v1", "uid-hostile", "ConfigMap");
        int n = snprintf(req, sizeof(req), review_head, strlen(body));
        memcpy(req + n, body, strlen(body));
        len = (size_t)n + strlen(body);
        free(body);
    }
    cr_assert_eq(kwt_tls_write(t, req, len), 0);
    char resp[8192];
    cr_assert_gt(kwt_tls_read_response(t, resp, sizeof(resp), 5000LL * kwt_time_scale()), 0);
    cr_assert(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%.40s", resp);
}

/* True when the server has ended the connection `fd` (FIN or reset
 * received), without reading what it may have sent. */
static bool peer_closed(int fd, long long wait_ms)
{
    struct pollfd p = {fd, POLLRDHUP, 0};
    return poll(&p, 1, (int)wait_ms) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Milliseconds from `since` until the server ends `fd`, or -1 if it did not
 * within timeout_ms of now. */
static long long closed_after(int fd, long long since, long long timeout_ms)
{
    return peer_closed(fd, timeout_ms) ? kwt_now_ms() - since : -1;
}

/* The latency bound of a legitimate review ("tens of milliseconds"). */
static long long legit_bound_ms(void)
{
    return 100LL * kwt_time_scale();
}

/* The worst of `n` legitimate reviews on fresh connections, each expected
 * to get 200. */
static long long worst_legit_ms(int n)
{
    long long worst = 0;
    for (int i = 0; i < n; i++) {
        long status;
        long long ms = kwt_legit_review_ms(&srv, &status);
        cr_expect_eq(status, 200, "a legitimate review got %ld", status);
        if (ms > worst)
            worst = ms;
    }
    return worst;
}

static double open_connections(void)
{
    return kwt_scrape_metric(&srv, "kopia_webhook_open_connections", NULL);
}

static double closed_for(const char *reason_label)
{
    return kwt_scrape_metric(&srv, "kopia_webhook_connections_closed_total", reason_label);
}

/* Polls the metric until it is `want` (or the time is up); returns it. */
static double await_open_connections(double want, long long timeout_ms)
{
    long long deadline = kwt_now_ms() + timeout_ms;
    double v;
    while ((v = open_connections()) != want && kwt_now_ms() < deadline)
        kwt_sleep_ms(20);
    return v;
}

static void raise_fd_limit(rlim_t need)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    cr_assert(rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need,
              "RLIMIT_NOFILE %llu is below the %llu descriptors the test needs",
              (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

/* The soft and hard "Max open files" of a process, from /proc/PID/limits. */
static void fd_limits(pid_t pid, unsigned long long *soft, unsigned long long *hard)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    *soft = *hard = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Max open files", 14) == 0)
            sscanf(line + 14, "%llu %llu", soft, hard);
    fclose(f);
}

/* Each connection is a descriptor: the server raises a low soft limit
 * (1024 is common) to the hard limit at start. */
Test(http_hostile, the_server_raises_its_open_file_limit)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= 256)
        cr_skip_test("the hard open-file limit is only %llu", (unsigned long long)rl.rlim_max);
    rl.rlim_cur = 256; /* inherited by the server */
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    start(NULL);
    if (kwt_time_scale() > 1)
        return; /* valgrind keeps descriptors of its own and emulates the limit */
    unsigned long long soft, hard;
    fd_limits(srv.pid, &soft, &hard);
    cr_expect_eq(soft, hard, "the server's soft open-file limit is %llu, hard %llu", soft, hard);
}

/* --- Slowloris ----------------------------------------------------------- */

enum { SLOW_CONNS = 4 };

/* Sends `text` one byte every 300 ms on each connection until the server
 * ends it; records when (ms since `t0`) in closed_ms (-1: still open after
 * `give_up_ms`). */
static void trickle(struct kwt_tls *t, int n, const char *text, long long t0, long long give_up_ms,
                    long long *closed_ms)
{
    size_t len = strlen(text);
    for (int i = 0; i < n; i++)
        closed_ms[i] = -1;
    for (size_t at = 0;; at = (at + 1) % len) {
        int open = 0;
        for (int i = 0; i < n; i++) {
            if (closed_ms[i] >= 0)
                continue;
            if (peer_closed(t[i].fd, 0)) {
                closed_ms[i] = kwt_now_ms() - t0;
                continue;
            }
            open++;
            if (SSL_write(t[i].ssl, text + at, 1) != 1) {
                ERR_clear_error();
                closed_ms[i] = kwt_now_ms() - t0;
            }
        }
        if (!open || kwt_now_ms() - t0 > give_up_ms)
            return;
        /* Wake early when one closes, to time it to within a few ms. */
        for (long long until = kwt_now_ms() + 300; kwt_now_ms() < until;) {
            bool any = false;
            for (int i = 0; i < n; i++)
                if (closed_ms[i] < 0 && peer_closed(t[i].fd, 0)) {
                    closed_ms[i] = kwt_now_ms() - t0;
                    any = true;
                }
            if (!any)
                kwt_sleep_ms(10);
        }
    }
}

/* The request timeout of the slowloris tests: 1 s, or 5 s under a wrapper
 * (valgrind), where a TLS handshake alone can take most of a second. */
static int slow_timeout_s(void)
{
    return kwt_time_scale() > 1 ? 5 : 1;
}

static const char *slow_timeout_arg(void)
{
    return kwt_time_scale() > 1 ? "5" : "1";
}

static void expect_cut_at_the_timeout(const long long *closed_ms, int n, const char *what)
{
    long long scale = kwt_time_scale(), deadline = 1000LL * slow_timeout_s();
    for (int i = 0; i < n; i++) {
        cr_expect_geq(closed_ms[i], 0, "%s %d was kept (not closed)", what, i);
        /* The deadline counts from accept (or from the request line); the
         * sweeper looks every 100 ms. */
        cr_expect_geq(closed_ms[i], deadline - 100,
                      "%s %d closed after %lld ms, before its deadline", what, i, closed_ms[i]);
        cr_expect_leq(closed_ms[i], deadline + 600 * scale,
                      "%s %d closed after %lld ms, not at the deadline", what, i, closed_ms[i]);
    }
}

/* A handful of slow connections costs the server next to nothing: its peak
 * stays within the model's base (16 MiB) plus a few connections. */
static void expect_peak_near_idle(const char *what)
{
    if (!kwt_memory_measurable())
        return;
    long hwm = kwt_proc_status_kib(srv.pid, "VmHWM");
    cr_expect_gt(hwm, 0);
    cr_expect_leq(hwm, 20 * 1024L, "%s: VmHWM %ld KiB", what, hwm);
}

/* Headers one byte every 300 ms: libmicrohttpd's inactivity timeout never
 * fires, the deadline does, on each of several connections, while a
 * legitimate client is served at once. */
Test(http_hostile, slowloris_headers_are_cut_at_the_request_timeout)
{
    const char *args[] = {"--request-timeout", slow_timeout_arg(), NULL};
    start(args);
    struct kwt_tls t[SLOW_CONNS];
    long long t0 = kwt_now_ms();
    for (int i = 0; i < SLOW_CONNS; i++)
        cr_assert_eq(tls_from(&t[i], "127.0.0.2"), 0);
    long long worst = worst_legit_ms(3); /* while they are held */
    if (kwt_memory_measurable())
        cr_expect_leq(worst, legit_bound_ms(), "a legitimate review took %lld ms", worst);
    long long closed_ms[SLOW_CONNS];
    trickle(t, SLOW_CONNS, "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: aaaaaaaaaaaaa", t0,
            (1000LL * slow_timeout_s() + 7000) * kwt_time_scale(), closed_ms);
    expect_cut_at_the_timeout(closed_ms, SLOW_CONNS, "slow-header connection");
    expect_peak_near_idle("slow headers");
    cr_expect_eq(closed_for("reason=deadline"), SLOW_CONNS);
    cr_expect_eq(closed_for("reason=evicted"), 0);
    /* And the log says so (at the latest when the server stops). */
    kwt_server_stop(&srv);
    cr_expect(kwt_log_contains(&srv, "\"msg\":\"connections closed by the server\""));
    cr_expect(kwt_log_contains(&srv, "\"pastDeadline\":4,"), "the log does not count 4 cut");
    for (int i = 0; i < SLOW_CONNS; i++)
        kwt_tls_close(&t[i]);
}

/* Headers at once, then the body one byte every 300 ms. */
Test(http_hostile, a_trickled_body_is_cut_at_the_request_timeout)
{
    const char *args[] = {"--request-timeout", slow_timeout_arg(), NULL};
    start(args);
    struct kwt_tls t[SLOW_CONNS];
    char head[256];
    int n = snprintf(head, sizeof(head), review_head, (size_t)100000);
    long long t0 = kwt_now_ms();
    for (int i = 0; i < SLOW_CONNS; i++) {
        cr_assert_eq(tls_from(&t[i], "127.0.0.3"), 0);
        cr_assert_eq(kwt_tls_write(&t[i], head, (size_t)n), 0);
    }
    long long closed_ms[SLOW_CONNS];
    trickle(t, SLOW_CONNS, "{\"apiVersion\":\"admission.k8s.io/v1\",", t0,
            (1000LL * slow_timeout_s() + 7000) * kwt_time_scale(), closed_ms);
    expect_cut_at_the_timeout(closed_ms, SLOW_CONNS, "slow-body connection");
    expect_peak_near_idle("slow bodies");
    long status;
    long long ms = kwt_legit_review_ms(&srv, &status);
    cr_expect_eq(status, 200);
    if (kwt_memory_measurable())
        cr_expect_leq(ms, legit_bound_ms(), "a legitimate review took %lld ms", ms);
    for (int i = 0; i < SLOW_CONNS; i++)
        kwt_tls_close(&t[i]);
}

/* On a keep-alive connection the clock restarts at the next request line:
 * a request trickled after an idle pause is cut the request timeout after its request
 * line, not after the idle timeout. */
Test(http_hostile, a_keep_alive_request_gets_the_request_timeout_from_its_request_line)
{
    const char *args[] = {"--request-timeout", slow_timeout_arg(), "--idle-timeout", "60", NULL};
    start(args);
    struct kwt_tls t;
    cr_assert_eq(tls_from(&t, "127.0.0.4"), 0);
    review_on(&t);
    kwt_sleep_ms(1000LL * slow_timeout_s() + 500); /* idle past the request timeout: still open */
    cr_assert_not(peer_closed(t.fd, 0),
                  "an idle keep-alive connection was cut at the request timeout");
    const char *line = "POST /validate HTTP/1.1\r\n";
    cr_assert_eq(kwt_tls_write(&t, line, strlen(line)), 0);
    long long t0 = kwt_now_ms();
    long long closed_ms;
    trickle(&t, 1, "Host: 127.0.0.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaa", t0,
            (1000LL * slow_timeout_s() + 7000) * kwt_time_scale(), &closed_ms);
    expect_cut_at_the_timeout(&closed_ms, 1, "slow keep-alive request");
    kwt_tls_close(&t);
}

/* The request line itself trickled on a keep-alive connection: the first
 * bytes after a response start the request's deadline, so it is cut the
 * request timeout after them, not after the (long) idle timeout. */
Test(http_hostile, a_keep_alive_request_line_trickled_is_cut_at_the_request_timeout)
{
    const char *args[] = {"--request-timeout", slow_timeout_arg(), "--idle-timeout", "60", NULL};
    start(args);
    struct kwt_tls t;
    cr_assert_eq(tls_from(&t, "127.0.0.4"), 0);
    review_on(&t);
    kwt_sleep_ms(500);
    cr_assert_not(peer_closed(t.fd, 0), "an idle keep-alive connection was cut");
    long long t0 = kwt_now_ms();
    long long closed_ms;
    trickle(&t, 1, "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n", t0,
            (1000LL * slow_timeout_s() + 7000) * kwt_time_scale(), &closed_ms);
    expect_cut_at_the_timeout(&closed_ms, 1, "slow keep-alive request line");
    expect_peak_near_idle("a slow keep-alive request line");
    kwt_tls_close(&t);
}

/* --- The idle-connection flood ------------------------------------------- */

enum kind { SILENT, TLS_SILENT, SLOW_HEADERS, IDLE_KEEP_ALIVE, KINDS };
static const char *const kind_name[KINDS] = {"silent TCP", "TLS handshake done, then silent",
                                             "headers started, then silent",
                                             "keep-alive, idle after one request"};

struct hostile {
    int fd;           /* SILENT */
    struct kwt_tls t; /* the others */
};

static int open_hostile(struct hostile *h, enum kind k, const char *source)
{
    memset(h, 0, sizeof(*h));
    h->fd = -1;
    h->t.fd = -1;
    if (k == SILENT)
        return (h->fd = tcp_from(source, srv.port)) >= 0 ? 0 : -1;
    if (tls_from(&h->t, source) != 0)
        return -1;
    if (k == SLOW_HEADERS) {
        const char *partial = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
        return kwt_tls_write(&h->t, partial, strlen(partial));
    }
    if (k == IDLE_KEEP_ALIVE)
        review_on(&h->t);
    return 0;
}

static void close_hostile(struct hostile *h)
{
    if (h->fd >= 0)
        close(h->fd);
    if (h->t.ssl)
        kwt_tls_close(&h->t);
}

/* 2,000 connections (500 of each kind; 40 under a wrapper), spread over
 * 127.0.0.2 ... 127.0.0.9, all held by the server (the request timeout is
 * longer than the test), while legitimate reviews from 127.0.0.1 are served
 * within tens of milliseconds. Prints the resident memory each kind adds
 * per connection (the figures in docs/operations.md). */
Test(http_hostile, two_thousand_hostile_connections_do_not_delay_a_legitimate_client)
{
    const char *args[] = {"--request-timeout", "120", "--idle-timeout", "240", NULL};
    start(args);
    /* The defaults of a 128 MiB pod: a cap of 2,150 (soft limit 2,083, so
     * 2,000 are held), half of it per address. */
    cr_expect(kwt_log_contains(&srv, "\"maxConnections\":2150,\"maxConnectionsPerAddress\":1075"));
    const int per_kind = kwt_time_scale() > 1 ? 10 : 500;
    raise_fd_limit((rlim_t)(per_kind * KINDS + 64));
    static struct hostile conns[KINDS][500];
    worst_legit_ms(3); /* warm up: code and allocator arenas paged in */
    long rss_idle = kwt_proc_status_kib(srv.pid, "VmRSS");
    long rss[KINDS];
    for (int k = 0; k < KINDS; k++) {
        for (int i = 0; i < per_kind; i++) {
            char source[16];
            snprintf(source, sizeof(source), "127.0.0.%d", 2 + (i % 8));
            cr_assert_eq(open_hostile(&conns[k][i], (enum kind)k, source), 0, "%s %d", kind_name[k],
                         i);
        }
        cr_assert_eq(
            await_open_connections((double)(per_kind * (k + 1)), 5000LL * kwt_time_scale()),
            per_kind * (k + 1), "the server does not hold every %s connection", kind_name[k]);
        rss[k] = kwt_proc_status_kib(srv.pid, "VmRSS");
    }
    long long worst = worst_legit_ms(10);
    /* The legitimate clients' connections close a moment after they do. */
    cr_expect_eq(await_open_connections(per_kind * KINDS, 5000LL * kwt_time_scale()),
                 per_kind * KINDS, "hostile connections were dropped");
    long hwm = kwt_proc_status_kib(srv.pid, "VmHWM");
    for (int k = 0; k < KINDS; k++) {
        long before = k ? rss[k - 1] : rss_idle;
        fprintf(stderr, "per-connection RSS, %s: %.1f KiB\n", kind_name[k],
                (double)(rss[k] - before) / per_kind);
    }
    fprintf(stderr,
            "idle RSS %ld KiB, with %d hostile connections %ld KiB, VmHWM %ld KiB, "
            "worst legitimate review %lld ms\n",
            rss_idle, per_kind * KINDS, rss[KINDS - 1], hwm, worst);
    if (kwt_memory_measurable()) {
        cr_expect_leq(worst, legit_bound_ms(), "a legitimate review took %lld ms", worst);
        /* The budget: KWT_CONNECTION_KIB per connection on top of the idle
         * server (with libmicrohttpd's default 32 KiB per connection, a
         * TLS connection costs about 40 KiB). */
        long budget = rss_idle + (long)per_kind * KINDS * KWT_CONNECTION_KIB;
        cr_expect_leq(hwm, budget, "VmHWM %ld KiB over the budget of %ld KiB", hwm, budget);
    }
    for (int k = 0; k < KINDS; k++)
        for (int i = 0; i < per_kind; i++)
            close_hostile(&conns[k][i]);
}

/* At the cap: 300 hostile connections (silent TCP and TLS-then-silent) come
 * at a listener capped at 200 (one worker thread, so one cap). Each one past the soft limit (194)
 * closes the oldest, so the listener never stops accepting and a legitimate client is served at
 * once (without eviction it would wait in the listen queue until a hostile connection's deadline).
 */
Test(http_hostile, at_the_cap_a_legitimate_client_is_served_at_once)
{
    const char *args[] = {"--max-connections", "200", "--threads", "1",
                          "--request-timeout", "120", NULL};
    start(args);
    const int n = kwt_time_scale() > 1 ? 30 : 300;
    raise_fd_limit((rlim_t)n + 64);
    static struct hostile conns[300];
    for (int i = 0; i < n; i++) {
        char source[16];
        snprintf(source, sizeof(source), "127.0.0.%d", 2 + (i % 8));
        /* TLS ones only well below the cap: past it, without eviction, a
         * handshake would wait for ever in the listen queue. */
        enum kind k = i % 3 == 0 && i < n / 2 ? TLS_SILENT : SILENT;
        cr_assert_eq(open_hostile(&conns[i], k, source), 0, "hostile connection %d", i);
    }
    long long worst = worst_legit_ms(5);
    if (kwt_memory_measurable())
        cr_expect_leq(worst, legit_bound_ms(), "a legitimate review took %lld ms", worst);
    if (kwt_time_scale() == 1) {
        /* The newest are held; the oldest were closed for them. */
        int closed = 0;
        for (int i = 0; i < n; i++)
            closed += peer_closed(conns[i].fd >= 0 ? conns[i].fd : conns[i].t.fd, 0);
        cr_expect_geq(closed, n - 194, "only %d hostile connections were closed", closed);
        cr_expect_not(peer_closed(conns[n - 1].fd >= 0 ? conns[n - 1].fd : conns[n - 1].t.fd, 0),
                      "the newest hostile connection was closed");
        cr_expect(peer_closed(conns[0].t.fd, 0), "the oldest hostile connection is still open");
    }
    for (int i = 0; i < n; i++)
        close_hostile(&conns[i]);
}

/* --- Header size ----------------------------------------------------------- */

/* A review with one extra header of `pad` bytes; the status line's code. */
static int status_with_header(size_t pad)
{
    struct kwt_tls t;
    cr_assert_eq(tls_from(&t, "127.0.0.1"), 0);
    char *body = kwt_review("admission.k8s.io/v1", "uid-header", "ConfigMap");
    size_t blen = strlen(body);
    char *req = malloc(pad + blen + 512);
    int n = sprintf(req, "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ");
    memset(req + n, 'a', pad);
    n += (int)pad;
    n +=
        sprintf(req + n, "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", blen);
    memcpy(req + n, body, blen);
    kwt_tls_write(&t, req, (size_t)n + blen); /* may fail once the server answers 431 */
    char resp[8192];
    long got = kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale());
    int status = got > 12 ? atoi(resp + 9) : -1;
    free(req);
    free(body);
    kwt_tls_close(&t);
    return status;
}

/* The per-connection memory holds headers up to about 7 KiB: a 6,000-byte
 * header is served, a 12,000-byte one gets 431. */
Test(http_hostile, headers_up_to_seven_kib_are_served_larger_get_431)
{
    start(NULL);
    cr_expect_eq(status_with_header(6000), 200);
    cr_expect_eq(status_with_header(12000), 431);
}

/* --- Per-address limit --------------------------------------------------- */

/* Connection N+1 from one address is closed at accept, while another
 * address (and the legitimate client) is still served. */
Test(http_hostile, one_address_cannot_open_more_than_its_limit)
{
    enum { LIMIT = 8 };
    const char *args[] = {"--max-connections-per-address", "8", "--request-timeout", "60", NULL};
    start(args);
    cr_expect(kwt_log_contains(&srv, "\"maxConnectionsPerAddress\":8"));
    int held[LIMIT];
    for (int i = 0; i < LIMIT; i++)
        cr_assert_geq(held[i] = tcp_from("127.0.0.5", srv.port), 0);
    cr_assert_eq(await_open_connections(LIMIT, 5000LL * kwt_time_scale()), LIMIT);
    int over = tcp_from("127.0.0.5", srv.port);
    cr_assert_geq(over, 0); /* the kernel completes the handshake; the server then closes it */
    long long t0 = kwt_now_ms();
    cr_expect_geq(closed_after(over, t0, 2000LL * kwt_time_scale()), 0,
                  "connection %d from one address was not refused", LIMIT + 1);
    for (int i = 0; i < LIMIT; i++)
        cr_expect_not(peer_closed(held[i], 0), "held connection %d was closed", i);
    struct kwt_tls other;
    cr_assert_eq(tls_from(&other, "127.0.0.6"), 0, "another address was refused");
    review_on(&other);
    long long worst = worst_legit_ms(3);
    if (kwt_memory_measurable())
        cr_expect_leq(worst, legit_bound_ms(), "a legitimate review took %lld ms", worst);
    /* Once one closes, the address may connect again. */
    close(held[0]);
    /* seven held from 127.0.0.5 and the one from 127.0.0.6 */
    cr_assert_eq(await_open_connections(LIMIT, 5000LL * kwt_time_scale()), LIMIT);
    int again = tcp_from("127.0.0.5", srv.port);
    cr_assert_geq(again, 0);
    cr_expect_not(peer_closed(again, 300), "a connection under the limit was refused");
    close(again);
    close(over);
    kwt_tls_close(&other);
    for (int i = 1; i < LIMIT; i++)
        close(held[i]);
}

/* --- Eviction near the cap ----------------------------------------------- */

/* With --max-connections 10 the soft limit is 9: the tenth connection
 * closes one other. Idle keep-alive connections go first even when others
 * are older; with none idle, one that has sent nothing goes before a slow
 * request; among slow requests the oldest goes. The new client is served
 * each time. */
Test(http_hostile, near_the_cap_idle_connections_are_closed_first)
{
    const char *args[] = {"--max-connections",
                          "10",
                          "--max-connections-per-address",
                          "100",
                          "--threads",
                          "1",
                          "--request-timeout",
                          "60",
                          "--idle-timeout",
                          "120",
                          NULL};
    start(args);
    cr_expect(kwt_log_contains(&srv, "\"maxConnections\":10,"));
    /* Oldest first: one slow request, one silent connection, seven idle. */
    struct hostile slow0, silent, idle[7];
    cr_assert_eq(open_hostile(&slow0, SLOW_HEADERS, "127.0.0.7"), 0);
    cr_assert_eq(open_hostile(&silent, SILENT, "127.0.0.7"), 0);
    for (int i = 0; i < 7; i++)
        cr_assert_eq(open_hostile(&idle[i], IDLE_KEEP_ALIVE, "127.0.0.7"), 0);
    cr_assert_eq(await_open_connections(9, 5000LL * kwt_time_scale()), 9);

    long long ms = worst_legit_ms(1);
    cr_expect(peer_closed(idle[0].t.fd, 1000), "the oldest idle connection was not closed");
    cr_expect_not(peer_closed(slow0.t.fd, 0), "a slow request went before an idle connection");
    cr_expect_not(peer_closed(silent.fd, 0), "a silent connection went before an idle one");
    for (int i = 1; i < 7; i++)
        cr_expect_not(peer_closed(idle[i].t.fd, 0), "idle connection %d was closed too", i);
    if (kwt_memory_measurable())
        cr_expect_leq(ms, legit_bound_ms(), "the new client took %lld ms", ms);

    /* No idle ones left: replace them with slow requests newer than the
     * silent connection; the silent one goes next. */
    for (int i = 0; i < 7; i++)
        close_hostile(&idle[i]);
    cr_assert_eq(await_open_connections(2, 5000LL * kwt_time_scale()), 2);
    struct hostile slow[8];
    for (int i = 0; i < 7; i++)
        cr_assert_eq(open_hostile(&slow[i], SLOW_HEADERS, "127.0.0.8"), 0);
    cr_assert_eq(await_open_connections(9, 5000LL * kwt_time_scale()), 9);
    worst_legit_ms(1);
    cr_expect(peer_closed(silent.fd, 1000), "the silent connection was not closed");
    cr_expect_not(peer_closed(slow0.t.fd, 0), "a slow request went before a silent one");

    /* Only slow requests: the oldest goes. */
    cr_assert_eq(await_open_connections(8, 5000LL * kwt_time_scale()), 8);
    cr_assert_eq(open_hostile(&slow[7], SLOW_HEADERS, "127.0.0.8"), 0);
    cr_assert_eq(await_open_connections(9, 5000LL * kwt_time_scale()), 9);
    /* Until the server has read its request line, the newest counts as one
     * that sent nothing, which goes first: give it the time. */
    kwt_sleep_ms(200LL * kwt_time_scale());
    worst_legit_ms(1);
    cr_expect(peer_closed(slow0.t.fd, 1000), "the oldest slow request was not closed");
    for (int i = 0; i < 8; i++)
        cr_expect_not(peer_closed(slow[i].t.fd, 0), "slow request %d was closed too", i);
    /* Three evictions, one each time; nothing reached its deadline. */
    cr_expect_eq(closed_for("reason=evicted"), 3);
    cr_expect_eq(closed_for("reason=deadline"), 0);

    close_hostile(&slow0);
    close_hostile(&silent);
    for (int i = 0; i < 8; i++)
        close_hostile(&slow[i]);
}

/* The plain-HTTP health listener has its own small cap (64 connections,
 * counted in the memory model's headroom) with the same eviction: a flood of
 * silent connections to it is held to the cap, and a probe still gets its
 * answer at once. */
Test(http_hostile, the_health_listener_holds_at_most_64_connections)
{
    start(NULL);
    enum { N = 80, CAP = 64 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        char source[16];
        snprintf(source, sizeof(source), "127.0.0.%d", 2 + i % 4); /* 20 per address */
        fds[i] = tcp_from(source, srv.health_port);
        cr_assert_geq(fds[i], 0, "connection %d", i);
    }
    CURL *h = kwt_curl(&srv);
    struct kwt_response r;
    long long t0 = kwt_now_ms();
    cr_assert_eq(kwt_get(h, &srv, false, "/healthz", &r), CURLE_OK);
    long long ms = kwt_now_ms() - t0;
    cr_expect_eq(r.status, 200);
    kwt_response_free(&r);
    curl_easy_cleanup(h);
    if (kwt_memory_measurable())
        cr_expect_leq(ms, legit_bound_ms(), "a probe took %lld ms", ms);
    int open = 0;
    for (int i = 0; i < N; i++)
        open += !peer_closed(fds[i], i == 0 ? 200 : 0);
    cr_expect_leq(open, CAP - 1, "%d silent connections held, the probe's among the cap", open);
    cr_expect_gt(open, CAP / 2, "only %d held", open);
    cr_expect(peer_closed(fds[0], 0), "the oldest silent connection is still open");
    for (int i = 0; i < N; i++)
        close(fds[i]);
}
