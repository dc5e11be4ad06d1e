/* Bounded memory with the real server (docs/operations.md, "Memory model"):
 * the amplification body refused by the value limit and by the per-request
 * memory budget, 60 connections sending the largest body at once against
 * the body budget, and memory going back after a burst of large reviews.
 * Each test checks the HTTP answer, the latency of a legitimate review
 * during or after the attack and, where resident memory means something
 * (not under ASan or valgrind), the server's peak (VmHWM) against the
 * model. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kwtest.h"

#define MIB (1024L * 1024L)

/* The defaults of a 128 MiB pod with two threads (include/kw/server/budget.h):
 * the body budget and each request's arena budget the server logs. */
#define MAX_BODY       (4L * MIB)
#define REQUEST_MEMORY (21L * MIB)
#define BODY_BUDGET    (20L * MIB)
#define LEGIT_BOUND_MS 200

static struct kwt_server srv;

static void start(void)
{
    /* Connections that wait for their turn to send a body must outlive the
     * test's slow steps under a wrapper (valgrind). */
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", 10 * kwt_time_scale());
    const char *args[] = {"--request-timeout", timeout, NULL};
    cr_assert_eq(kwt_server_start(&srv, args), 0, "server did not start");
}

static void stop(void)
{
    kwt_server_finish(&srv);
}

TestSuite(http_memory, .init = start, .fini = stop, .timeout = 300);
/* Tests that start a server with their own flags. */
TestSuite(http_memory_own, .timeout = 300);

static long hwm_kib(const struct kwt_server *s)
{
    return kwt_proc_status_kib(s->pid, "VmHWM");
}

static long rss_kib(const struct kwt_server *s)
{
    return kwt_proc_status_kib(s->pid, "VmRSS");
}

/* A review of a ReplicationSource whose object holds `n` copies of `item`
 * in one array. malloc'd, length in *len. */
static char *review_of_items(const char *item, size_t n, size_t *len)
{
    static const char head[] =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"amp\",\"operation\":\"CREATE\",\"kind\":{\"group\":\"volsync.backube\","
        "\"version\":\"v1alpha1\",\"kind\":\"ReplicationSource\"},\"object\":{\"items\":[";
    size_t w = strlen(item);
    size_t cap = sizeof(head) + n * (w + 1) + 8;
    char *buf = malloc(cap);
    cr_assert(buf);
    size_t at = sizeof(head) - 1;
    memcpy(buf, head, at);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf[at++] = ',';
        memcpy(buf + at, item, w);
        at += w;
    }
    memcpy(buf + at, "]}}}", 4);
    *len = at + 4;
    return buf;
}

/* The legitimate client: served, and quickly. Three reviews, the median
 * counted: one delayed by the scheduler of a loaded two-core machine (other
 * tests run in parallel) must not fail the test, while a server that makes
 * clients wait slows them all. */
static void expect_legit_served(const struct kwt_server *s, const char *when)
{
    long long ms[3];
    for (int i = 0; i < 3; i++) {
        long status;
        ms[i] = kwt_legit_review_ms(s, &status);
        cr_expect_eq(status, 200, "%s: legitimate review got %ld", when, status);
    }
    long long lo = ms[0] < ms[1] ? ms[0] : ms[1], hi = ms[0] < ms[1] ? ms[1] : ms[0];
    long long median = ms[2] < lo ? lo : ms[2] > hi ? hi : ms[2];
    fprintf(stderr, "http_memory: %s: legitimate reviews %lld, %lld, %lld ms\n", when, ms[0], ms[1],
            ms[2]);
    if (kwt_memory_measurable())
        cr_expect_lt(median, LEGIT_BOUND_MS * kwt_time_scale(),
                     "%s: legitimate reviews took %lld, %lld, %lld ms", when, ms[0], ms[1], ms[2]);
}

/* ~2 MiB of `{}`: 700,000 values, refused at the 50,001st before the rest
 * is built. Before the limit this body took the server from 10 to 170 MB. */
Test(http_memory, the_amplification_body_is_413_too_complex)
{
    long idle = hwm_kib(&srv);
    size_t len;
    char *body = review_of_items("{}", 700000, &len);
    CURL *c = kwt_curl(&srv);
    int tries = kwt_time_scale() > 1 ? 1 : 3;
    for (int i = 0; i < tries; i++) {
        struct kwt_response r;
        cr_assert_eq(kwt_post(c, &srv, "/validate", "application/json", body, len, &r), CURLE_OK);
        cr_expect_eq(r.status, 413);
        cr_expect_str_eq(
            r.body, "request too complex: more than 50000 values (limit --max-request-values)\n");
        kwt_response_free(&r);
    }
    curl_easy_cleanup(c);
    free(body);
    expect_legit_served(&srv, "after the amplification bodies");
    if (kwt_memory_measurable()) {
        long peak = hwm_kib(&srv);
        fprintf(stderr, "http_memory: amplification: VmHWM %ld -> %ld KiB\n", idle, peak);
        /* The body (2 MiB), at most 50,000 values (~14 MB), libcurl's side
         * nothing: far under the per-request budget plus idle. */
        cr_expect_lt((peak - idle) * 1024, REQUEST_MEMORY, "VmHWM rose by %ld KiB", peak - idle);
    }
}

/* With no value limit, the per-request memory budget stops the same kind of
 * body: the arena refuses, the decoder fails, the core answers 413. */
Test(http_memory_own, the_request_memory_budget_stops_what_the_value_limit_lets_through)
{
    struct kwt_server own;
    const char *args[] = {"--max-request-values", "0", "--request-memory-bytes", "4194304", NULL};
    cr_assert_eq(kwt_server_start(&own, args), 0);
    long idle = hwm_kib(&own);
    size_t len;
    char *body = review_of_items("[]", 600000, &len); /* ~100 MB of arrays if built */
    CURL *c = kwt_curl(&own);
    struct kwt_response r;
    cr_assert_eq(kwt_post(c, &own, "/mutate", "application/json", body, len, &r), CURLE_OK);
    cr_expect_eq(r.status, 413);
    cr_expect_str_eq(r.body, "request too complex: its values need more memory than one request "
                             "may use (limit --request-memory-bytes)\n");
    kwt_response_free(&r);
    curl_easy_cleanup(c);
    free(body);
    expect_legit_served(&own, "after the budget refusal");
    if (kwt_memory_measurable()) {
        long peak = hwm_kib(&own);
        fprintf(stderr, "http_memory: request memory budget: VmHWM %ld -> %ld KiB\n", idle, peak);
        cr_expect_lt((peak - idle) * 1024, 4 * MIB + (long)len + 4 * MIB, "VmHWM rose by %ld KiB",
                     peak - idle);
    }
    kwt_server_finish(&own);
}

/* A valid review padded to exactly `len` bytes with a long annotation. */
static char *padded_review(size_t len)
{
    static const char head[] =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"big\",\"operation\":\"CREATE\",\"kind\":{\"group\":\"\",\"version\":\"v1\","
        "\"kind\":\"ConfigMap\"},\"object\":{\"data\":{\"pad\":\"";
    static const char tail[] = "\"}}}}";
    char *buf = malloc(len);
    cr_assert(buf && len > sizeof(head) + sizeof(tail));
    memcpy(buf, head, sizeof(head) - 1);
    memset(buf + sizeof(head) - 1, 'x', len - (sizeof(head) - 1) - (sizeof(tail) - 1));
    memcpy(buf + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    return buf;
}

/* After each of `n` connections sent the headers of a large body: waits
 * once for the refusals, then sorts the connections into refused (a 503
 * with Retry-After, checked) and admitted (no answer: the server waits for
 * the body). Returns the number admitted. */
static int split_admitted(struct kwt_tls *conns, int n, bool *admitted)
{
    kwt_sleep_ms(300L * kwt_time_scale());
    int count = 0;
    char resp[4096];
    for (int i = 0; i < n; i++) {
        long got = kwt_tls_read_response(&conns[i], resp, sizeof(resp) - 1, 50);
        admitted[i] = got <= 0;
        if (admitted[i]) {
            count++;
            continue;
        }
        resp[got] = 0;
        cr_expect(strncmp(resp, "HTTP/1.1 503", 12) == 0, "%.60s", resp);
        cr_expect(strstr(resp, "Retry-After: 1\r\n"), "%s", resp);
        cr_expect(strstr(resp, "server busy: request bodies in flight use the whole body "
                               "budget; retry\n"));
    }
    return count;
}

/* 60 connections each announce the largest body (Content-Length 4 MiB - 1)
 * at once and send it later: the body budget takes as many as fit beside
 * the small-body reserve, the others are answered 503 at once (Retry-After,
 * connection closed) without their bodies being read; a legitimate review
 * is served meanwhile; then the admitted bodies complete and are served. */
Test(http_memory, sixty_largest_bodies_at_once_stay_within_the_body_budget)
{
    int n = kwt_time_scale() > 1 ? 12 : 60;
    long idle = hwm_kib(&srv);
    size_t len = (size_t)MAX_BODY - 1;
    char *body = padded_review(len);
    struct kwt_tls *conns = calloc((size_t)n, sizeof(*conns));
    bool *admitted = calloc((size_t)n, sizeof(*admitted));
    char head[256];
    int hl = snprintf(head, sizeof(head),
                      "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                      "application/json\r\nContent-Length: %zu\r\n\r\n",
                      len);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(kwt_tls_connect(&conns[i], srv.port, 0, 0, NULL, NULL, NULL), 0);
        cr_assert_eq(kwt_tls_write(&conns[i], head, (size_t)hl), 0);
    }
    int waiting = split_admitted(conns, n, admitted), busy = n - waiting;
    char resp[4096];
    /* (20 MiB - a reserve of 20/8 MiB) / 4 MiB: 4 bodies at a time. */
    long fit = (BODY_BUDGET - BODY_BUDGET / 8) / MAX_BODY;
    cr_expect_eq(waiting, n < fit ? n : fit, "%d admitted, %d refused", waiting, busy);
    /* Half of every admitted body first: they are all held at once. */
    for (int i = 0; i < n; i++)
        if (admitted[i])
            cr_expect_eq(kwt_tls_write(&conns[i], body, len / 2), 0);
    expect_legit_served(&srv, "while the body budget is held");
    for (int i = 0; i < n; i++) {
        if (!admitted[i])
            continue;
        cr_expect_eq(kwt_tls_write(&conns[i], body + len / 2, len - len / 2), 0);
        long got = kwt_tls_read_response(&conns[i], resp, sizeof(resp), 10000L * kwt_time_scale());
        cr_expect_gt(got, 12);
        cr_expect(got > 12 && strncmp(resp, "HTTP/1.1 200", 12) == 0, "admitted body answered");
    }
    for (int i = 0; i < n; i++)
        kwt_tls_close(&conns[i]);
    expect_legit_served(&srv, "after the large bodies");
    if (kwt_memory_measurable()) {
        long peak = hwm_kib(&srv);
        fprintf(stderr,
                "http_memory: %d largest bodies: %d admitted, %d refused, VmHWM %ld -> %ld KiB\n",
                n, waiting, busy, idle, peak);
        /* The model's terms for this load: the bodies' budget, each thread's
         * work on a body of 4 MiB, the connections. */
        long model = BODY_BUDGET + 2 * REQUEST_MEMORY + n * 40L * 1024;
        cr_expect_lt((peak - idle) * 1024, model, "VmHWM rose by %ld KiB (model %ld KiB)",
                     peak - idle, model / 1024);
    }
    free(admitted);
    free(conns);
    free(body);
}

struct poster {
    const struct kwt_server *s;
    const char *body;
    size_t len;
    long status;
};

static void *post_one(void *arg)
{
    struct poster *p = arg;
    CURL *c = kwt_curl(p->s);
    struct kwt_response r;
    p->status = -1;
    if (kwt_post(c, p->s, "/validate", "application/json", p->body, p->len, &r) == CURLE_OK) {
        p->status = r.status;
        kwt_response_free(&r);
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* Three rounds of 8 concurrent 800 KB reviews (an inline repositoryConfig):
 * afterwards resident memory is back within 8 MiB of idle in 3 seconds. */
Test(http_memory, memory_goes_back_after_a_burst_of_large_reviews)
{
    long idle = rss_kib(&srv);
    size_t len;
    char *body = kwt_read_source("tests/fixtures/json/large-review.json", &len);
    enum { PARALLEL = 8 };
    int rounds = kwt_time_scale() > 1 ? 1 : 3;
    for (int round = 0; round < rounds; round++) {
        pthread_t t[PARALLEL];
        struct poster p[PARALLEL];
        for (int i = 0; i < PARALLEL; i++) {
            p[i] = (struct poster){&srv, body, len, 0};
            cr_assert_eq(pthread_create(&t[i], NULL, post_one, &p[i]), 0);
        }
        for (int i = 0; i < PARALLEL; i++) {
            pthread_join(t[i], NULL);
            cr_expect_eq(p[i].status, 200, "round %d, client %d", round, i);
        }
    }
    free(body);
    expect_legit_served(&srv, "after the burst");
    if (!kwt_memory_measurable())
        return;
    long now = rss_kib(&srv);
    for (long long deadline = kwt_now_ms() + 3000; now > idle + 8 * 1024 && kwt_now_ms() < deadline;
         now = rss_kib(&srv))
        kwt_sleep_ms(100);
    fprintf(stderr, "http_memory: burst: VmRSS idle %ld, peak %ld, after %ld KiB\n", idle,
            hwm_kib(&srv), now);
    cr_expect_leq(now, idle + 8 * 1024, "VmRSS %ld KiB, idle %ld KiB", now, idle);
}

/* The connection cap the model derives (or --max-connections) is the
 * listener's: near it older idle and silent connections are closed, and
 * past it libmicrohttpd stops accepting, so the server never holds more
 * connections than the model counted. */
Test(http_memory_own, the_listener_holds_no_more_connections_than_the_cap)
{
    struct kwt_server own;
    const char *args[] = {"--max-connections", "70", "--max-connections-per-address", "1000", NULL};
    cr_assert_eq(kwt_server_start(&own, args), 0);
    cr_expect(kwt_log_contains(&own, "\"maxConnections\":70"));
    enum { N = 90 };
    int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = kwt_tcp_connect(own.port);
    kwt_sleep_ms(300L * kwt_time_scale());
    struct kwt_metrics m;
    char err[256];
    cr_assert_eq(kwt_scrape(&own, &m, err, sizeof(err)), 0, "%s", err);
    double open = kwt_metric(&m, "kopia_webhook_open_connections", NULL);
    kwt_metrics_free(&m);
    cr_expect_gt(open, 0);
    cr_expect_leq(open, 70, "%g connections open, cap 70", open);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    expect_legit_served(&own, "after the connection flood");
    kwt_server_finish(&own);
}

/* Explicit settings that cannot fit under the memory limit stop the start
 * with a message that shows the calculation. */
Test(http_memory_own, settings_that_do_not_fit_the_memory_limit_refuse_to_start)
{
    struct kwt_server own;
    const char *args[] = {"--memory-limit", "67108864", "--max-connections", "5000", NULL};
    cr_assert_neq(kwt_server_start(&own, args), 0);
    cr_expect(kwt_log_contains(&own, "--memory-limit 64 MiB cannot hold every limit reached at "
                                     "once: base 16 MiB + 2 threads x "));
    cr_expect(kwt_log_contains(&own, "5000 connections x 20 KiB (--max-connections)"));
    kwt_server_cleanup(&own);
}

/* The small-body reserve: large bodies fill the budget up to its last
 * eighth, the next large body is refused, and an ordinary review (under 64
 * KiB) is still served from the reserve. Sizes are chosen so that without
 * the reserve an eighth large body would fit and leave the review no room.
 * A chunked body that outgrows what is left has its connection closed. */
Test(http_memory_own, the_reserve_keeps_ordinary_reviews_served_and_chunked_bodies_are_charged)
{
    struct kwt_server own;
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", 10 * kwt_time_scale());
    const char *args[] = {"--body-budget-bytes", "8388608", "--request-timeout", timeout, NULL};
    cr_assert_eq(kwt_server_start(&own, args), 0);
    /* 8 x (1048562 + 1) = 8 MiB - 104: fits 8 MiB, not 7 MiB. */
    enum { N = 9, CL = 1048562 };
    struct kwt_tls conns[N];
    char head[256], resp[4096];
    int hl = snprintf(head, sizeof(head),
                      "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                      "application/json\r\nContent-Length: %d\r\n\r\n",
                      CL);
    bool held[N] = {false};
    for (int i = 0; i < N; i++) {
        cr_assert_eq(kwt_tls_connect(&conns[i], own.port, 0, 0, NULL, NULL, NULL), 0);
        cr_assert_eq(kwt_tls_write(&conns[i], head, (size_t)hl), 0);
    }
    int admitted = split_admitted(conns, N, held);
    cr_expect_eq(admitted, 7, "%d large bodies admitted", admitted);
    struct kwt_metrics m;
    char err[256];
    cr_assert_eq(kwt_scrape(&own, &m, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(kwt_metric(&m, "kopia_webhook_request_body_bytes", NULL), 7.0 * (CL + 1));
    kwt_metrics_free(&m);
    expect_legit_served(&own, "with the budget full but for the reserve");

    /* Chunked: starts within the reserve, is refused when it grows. */
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_start_chunked(&t, own.port), 0);
    for (int i = 0; i < 8 && kwt_tls_write_spaces_chunk(&t) == 0; i++)
        ;
    cr_expect_geq(kwt_tls_wait_closed(&t, 3000L * kwt_time_scale()), 0,
                  "a chunked body over the budget keeps its connection");
    kwt_tls_close(&t);
    for (int i = 0; i < N; i++)
        kwt_tls_close(&conns[i]);
    /* Everything given back: the whole budget is there again. */
    kwt_sleep_ms(200L * kwt_time_scale());
    cr_assert_eq(kwt_scrape(&own, &m, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(kwt_metric(&m, "kopia_webhook_request_body_bytes", NULL), 0);
    kwt_metrics_free(&m);
    expect_legit_served(&own, "after the large bodies closed");
    struct kwt_tls again;
    cr_assert_eq(kwt_tls_connect(&again, own.port, 0, 0, NULL, NULL, NULL), 0);
    cr_assert_eq(kwt_tls_write(&again, head, (size_t)hl), 0);
    cr_expect_lt(kwt_tls_read_response(&again, resp, sizeof(resp), 300L * kwt_time_scale()), 1,
                 "a large body is admitted again");
    kwt_tls_close(&again);
    kwt_server_finish(&own);
}
