/* Connections: HTTP/1.1 keep-alive reuse, the idle timeout
 * (long) against the request timeout (short) for a started request that
 * stalls, and hundreds of idle or silent connections not stopping other
 * clients. Timeouts are shortened with flags: idle 2 s (times the time
 * scale under a wrapper), request 1 s. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kwtest.h"

static struct kwt_server srv;

static void start(void)
{
    /* Under a wrapper (valgrind) the idle connections of one test take
     * longer than 2 s to set up, so their timeout grows with the time scale. */
    char idle[16];
    snprintf(idle, sizeof(idle), "%d", 2 * kwt_time_scale());
    const char *args[] = {"--idle-timeout", idle, "--request-timeout", "1", NULL};
    cr_assert_eq(kwt_server_start(&srv, args), 0, "server did not start");
}

static void stop(void)
{
    kwt_server_finish(&srv);
}

TestSuite(http_connections, .init = start, .fini = stop, .timeout = 120);

Test(http_connections, one_connection_serves_a_hundred_requests)
{
    CURL *c = kwt_curl(&srv);
    char *body = kwt_review("admission.k8s.io/v1", "uid-ka", "ConfigMap");
    long connects = 0;
    for (int i = 0; i < 100; i++) {
        struct kwt_response r;
        cr_assert_eq(kwt_post(c, &srv, i % 2 ? "/mutate" : "/validate?timeout=10s",
                              "application/json", body, strlen(body), &r),
                     CURLE_OK);
        cr_assert_eq(r.status, 200);
        connects += r.new_connections;
        kwt_response_free(&r);
    }
    cr_expect_eq(connects, 1, "%ld connections for 100 requests", connects);
    /* Health and metrics keep the connection too. */
    for (int i = 0; i < 3; i++) {
        struct kwt_response r;
        cr_assert_eq(kwt_get(c, &srv, true, i == 2 ? "/metrics" : "/healthz", &r), CURLE_OK);
        cr_expect_eq(r.status, 200);
        connects += r.new_connections;
        kwt_response_free(&r);
    }
    cr_expect_eq(connects, 1);
    free(body);
    curl_easy_cleanup(c);
}

static const char review_head[] = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n";

static void send_review(struct kwt_tls *t, const char *uid)
{
    char *body = kwt_review("admission.k8s.io/v1", uid, "ConfigMap");
    char req[8192];
    int n = snprintf(req, sizeof(req), review_head, strlen(body));
    memcpy(req + n, body, strlen(body));
    cr_assert_eq(kwt_tls_write(t, req, (size_t)n + strlen(body)), 0);
    char resp[8192];
    cr_assert_gt(kwt_tls_read_response(t, resp, sizeof(resp), 5000LL * kwt_time_scale()), 0,
                 "no response for %s", uid);
    cr_expect(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%s", resp);
    free(body);
}

/* Idle between requests for 1.5 s (past the 1 s request timeout, within the
 * 2 s idle timeout): the connection is still there. */
Test(http_connections, an_idle_connection_outlives_the_request_timeout)
{
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_connect(&t, srv.port, 0, 0, NULL, NULL, NULL), 0);
    send_review(&t, "uid-idle-1");
    cr_expect_eq(kwt_tls_wait_closed(&t, 1500), -1, "closed while idle for less than 2 s");
    send_review(&t, "uid-idle-2");
    /* And it is closed once idle for longer than the idle timeout. */
    long long closed = kwt_tls_wait_closed(&t, 6000LL * kwt_time_scale());
    cr_expect_geq(closed, 1500, "closed after %lld ms idle", closed);
    kwt_tls_close(&t);
}

/* A request whose body stalls, and one whose headers stop half way (a
 * started request too), are both cut after the 1 s request timeout. The two
 * stall side by side, so the test waits for the timeout once. */
Test(http_connections, stalled_bodies_and_headers_are_cut_after_the_request_timeout)
{
    struct kwt_tls body, headers;
    cr_assert_eq(kwt_tls_connect(&body, srv.port, 0, 0, NULL, NULL, NULL), 0);
    cr_assert_eq(kwt_tls_connect(&headers, srv.port, 0, 0, NULL, NULL, NULL), 0);
    char head[256];
    int n = snprintf(head, sizeof(head), review_head, (size_t)1000);
    long long t0 = kwt_now_ms();
    cr_assert_eq(kwt_tls_write(&body, head, (size_t)n), 0);
    cr_assert_eq(kwt_tls_write(&body, "{\"apiVersion\":", 14), 0);
    const char *partial = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-";
    cr_assert_eq(kwt_tls_write(&headers, partial, strlen(partial)), 0);

    /* Each is measured from when its request started (t0). */
    cr_expect_geq(kwt_tls_wait_closed(&body, 10000LL * kwt_time_scale()), 0,
                  "a stalled request was not cut");
    long long cut = kwt_now_ms() - t0;
    cr_expect_lt(cut, 2900LL * kwt_time_scale(), "cut after %lld ms, not ~1 s", cut);
    cr_expect_geq(kwt_tls_wait_closed(&headers, 10000LL * kwt_time_scale()), 0,
                  "stalled headers were not cut");
    cut = kwt_now_ms() - t0;
    cr_expect_lt(cut, 2900LL * kwt_time_scale(), "cut after %lld ms", cut);
    kwt_tls_close(&body);
    kwt_tls_close(&headers);
}

static void expect_quick_review(const char *uid)
{
    CURL *c = kwt_curl(&srv);
    char *body = kwt_review("admission.k8s.io/v1", uid, "ConfigMap");
    long long t0 = kwt_now_ms();
    struct kwt_response r;
    cr_assert_eq(kwt_post(c, &srv, "/validate", "application/json", body, strlen(body), &r),
                 CURLE_OK);
    long long took = kwt_now_ms() - t0;
    cr_expect_eq(r.status, 200);
    cr_expect_lt(took, 1000LL * kwt_time_scale(), "a review took %lld ms", took);
    kwt_response_free(&r);
    free(body);
    curl_easy_cleanup(c);
}

/* True when the server closes the plain TCP connection `fd` (borrowed)
 * before `deadline` (kwt_now_ms); what it sends first (a TLS alert) is
 * skipped. */
static bool closed_by_peer(int fd, long long deadline)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        long long left = deadline - kwt_now_ms();
        if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0)
            return false;
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
    }
}

/* 100 TCP connections that never start a handshake and 100 TLS connections
 * idle after one request: another client is still served at once. */
Test(http_connections, two_hundred_idle_connections_do_not_stop_another_client)
{
    enum { SILENT = 100, IDLE = 100 };
    static int silent[SILENT];
    static struct kwt_tls idle[IDLE];
    for (int i = 0; i < SILENT; i++) {
        silent[i] = kwt_tcp_connect(srv.port);
        cr_assert_geq(silent[i], 0);
    }
    for (int i = 0; i < IDLE; i++) {
        cr_assert_eq(kwt_tls_connect(&idle[i], srv.port, 0, 0, NULL, NULL, NULL), 0,
                     "connection %d", i);
        char uid[32];
        snprintf(uid, sizeof(uid), "uid-hold-%d", i);
        send_review(&idle[i], uid);
    }
    expect_quick_review("uid-other-1");
    /* Once past the request timeout the silent ones are gone, while the idle
     * ones (just used again) are not: wait until the server counts only the
     * idle ones, then check that these are the ones still open. */
    for (int i = 0; i < IDLE; i++)
        send_review(&idle[i], "uid-again");
    long long deadline = kwt_now_ms() + 10000LL * kwt_time_scale();
    double open = -1;
    for (;;) {
        struct kwt_metrics m;
        char err[256];
        cr_assert_eq(kwt_scrape(&srv, &m, err, sizeof(err)), 0, "%s", err);
        open = kwt_metric(&m, "kopia_webhook_open_connections", NULL);
        kwt_metrics_free(&m);
        if (open == IDLE || kwt_now_ms() >= deadline)
            break;
        kwt_sleep_ms(20);
    }
    cr_expect_eq(open, IDLE, "open connections %g, want the %d idle ones", open, IDLE);
    for (int i = 0; i < SILENT; i++)
        cr_expect(closed_by_peer(silent[i], deadline), "silent connection %d is still open", i);
    for (int i = 0; i < IDLE; i++)
        cr_expect_eq(kwt_tls_wait_closed(&idle[i], 1), -1, "idle connection %d was closed", i);
    expect_quick_review("uid-other-2");
    for (int i = 0; i < SILENT; i++)
        close(silent[i]);
    for (int i = 0; i < IDLE; i++)
        kwt_tls_close(&idle[i]);
}
