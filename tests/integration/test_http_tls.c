/* TLS: versions 1.2 and 1.3 only; certificate rotation while
 * clients keep sending (no failed request, no dropped connection, the new
 * certificate served), the Kubernetes `..data` symlink swap, a bad pair
 * kept out of service and counted (a FIFO in place of a file among them: at
 * start and at a reload it is refused without waiting for a writer), SIGHUP,
 * and client certificates. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "kw/server/certs_generate.h"
#include "kwtest.h"

static struct kwt_server srv;

static void stop(void)
{
    kwt_server_finish(&srv);
}

static void start(void)
{
    cr_assert_eq(kwt_server_start(&srv, NULL), 0, "server did not start");
}

TestSuite(http_tls, .init = start, .fini = stop, .timeout = 180);

static void ca_path(char *buf, size_t len)
{
    snprintf(buf, len, "%s/ca.crt", srv.certs);
}

Test(http_tls, tls_1_0_and_1_1_are_refused_by_the_server)
{
    char ca[200];
    ca_path(ca, sizeof(ca));
    int versions[] = {TLS1_VERSION, TLS1_1_VERSION};
    for (int i = 0; i < 2; i++) {
        struct kwt_tls t;
        cr_assert_neq(kwt_tls_connect(&t, srv.port, versions[i], versions[i], ca, NULL, NULL), 0,
                      "version %x accepted", versions[i]);
        /* The refusal comes from the server (which closes the connection
         * after the ClientHello, or sends protocol_version), not from a local
         * policy of the client library ("no protocols available"). */
        int reason = ERR_GET_REASON(t.error);
        cr_expect(reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
                      reason == SSL_R_UNEXPECTED_EOF_WHILE_READING,
                  "version %x: %s", versions[i], ERR_reason_error_string(t.error));
    }
}

Test(http_tls, tls_1_2_and_1_3_are_accepted)
{
    char ca[200];
    ca_path(ca, sizeof(ca));
    int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
    for (int i = 0; i < 2; i++) {
        struct kwt_tls t;
        cr_assert_eq(kwt_tls_connect(&t, srv.port, versions[i], versions[i], ca, NULL, NULL), 0,
                     "version %x: %s", versions[i], ERR_reason_error_string(t.error));
        cr_expect_eq(SSL_version(t.ssl), versions[i]);
        kwt_tls_close(&t);
    }
}

static void served_fingerprint(char *buf, size_t len)
{
    struct kwt_tls t;
    buf[0] = '\0';
    if (kwt_tls_connect(&t, srv.port, 0, 0, NULL, NULL, NULL) == 0) {
        kwt_tls_fingerprint(&t, buf, len);
        kwt_tls_close(&t);
    }
}

/* Waits until the server presents the certificate in `cert_path`. */
static bool wait_served(const char *cert_path)
{
    char want[128], got[128];
    if (kwt_file_fingerprint(cert_path, want, sizeof(want)) != 0)
        return false;
    long long deadline = kwt_now_ms() + 5000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline) {
        served_fingerprint(got, sizeof(got));
        if (strcmp(got, want) == 0)
            return true;
        kwt_sleep_ms(50);
    }
    return false;
}

/* A client that keeps sending reviews, on fresh and on kept connections. */
struct load {
    pthread_t thread;
    atomic_bool stop;
    atomic_int ok, failed;
    char last_error[256];
};

static void *load_loop(void *cls)
{
    struct load *l = cls;
    char *body = kwt_review("admission.k8s.io/v1", "uid-load", "ConfigMap");
    long long deadline = kwt_now_ms() + 60000LL * kwt_time_scale();
    CURL *c = kwt_curl(&srv);
    for (int i = 0; !atomic_load(&l->stop) && kwt_now_ms() < deadline && i < 100000; i++) {
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (long)(i % 2));
        struct kwt_response r;
        CURLcode rc = kwt_post(c, &srv, "/validate", "application/json", body, strlen(body), &r);
        if (rc == CURLE_OK && r.status == 200) {
            atomic_fetch_add(&l->ok, 1);
        } else {
            atomic_fetch_add(&l->failed, 1);
            snprintf(l->last_error, sizeof(l->last_error), "curl %d (%s), status %ld", (int)rc,
                     curl_easy_strerror(rc), r.status);
        }
        kwt_response_free(&r);
    }
    curl_easy_cleanup(c);
    free(body);
    return NULL;
}

static void send_on(struct kwt_tls *t, const char *uid)
{
    char *body = kwt_review("admission.k8s.io/v1", uid, "ConfigMap");
    char req[8192];
    int n = snprintf(req, sizeof(req),
                     "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(body), body);
    cr_assert_eq(kwt_tls_write(t, req, (size_t)n), 0, "%s: the connection was dropped", uid);
    char resp[8192];
    cr_assert_gt(kwt_tls_read_response(t, resp, sizeof(resp), 5000LL * kwt_time_scale()), 0,
                 "%s: no answer on a connection opened before the rotation", uid);
    cr_expect(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    free(body);
}

Test(http_tls, rotation_under_load_loses_no_request_and_serves_the_new_certificate)
{
    struct kwt_tls early;
    cr_assert_eq(kwt_tls_connect(&early, srv.port, 0, 0, NULL, NULL, NULL), 0);
    send_on(&early, "uid-early-1");
    char first[128];
    kwt_tls_fingerprint(&early, first, sizeof(first));

    static struct load l;
    memset(&l, 0, sizeof(l));
    cr_assert_eq(pthread_create(&l.thread, NULL, load_loop, &l), 0);
    char cert[200];
    snprintf(cert, sizeof(cert), "%s/tls.crt", srv.certs);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(kwt_rotate_certificate(srv.certs), 0);
        cr_assert(wait_served(cert), "rotation %d: new certificate not served", i);
        send_on(&early, "uid-early-n");
    }
    atomic_store(&l.stop, true);
    pthread_join(l.thread, NULL);
    cr_expect_eq(atomic_load(&l.failed), 0, "%d failed requests, last: %s", atomic_load(&l.failed),
                 l.last_error);
    cr_expect_gt(atomic_load(&l.ok), 10);

    char now[128];
    served_fingerprint(now, sizeof(now));
    cr_expect_str_neq(now, first);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=success"), 10);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure"), 0);
    kwt_tls_close(&early);
}

Test(http_tls, a_bad_pair_keeps_the_current_certificate_and_is_counted)
{
    char before[128], key[200], ca_key[200], cert[200];
    served_fingerprint(before, sizeof(before));
    cr_assert_neq(before[0], '\0');
    snprintf(key, sizeof(key), "%s/tls.key", srv.certs);
    snprintf(ca_key, sizeof(ca_key), "%s/ca.key", srv.certs);
    snprintf(cert, sizeof(cert), "%s/tls.crt", srv.certs);

    /* A key that does not match the certificate. */
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new' && mv '%s.new' '%s'", ca_key, key, key, key);
    cr_assert_eq(system(cmd), 0);
    long long deadline = kwt_now_ms() + 5000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline &&
           kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure") < 1)
        kwt_sleep_ms(50);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure"), 1);
    cr_expect(kwt_log_contains(&srv, "certificate reload failed"));

    char after[128];
    served_fingerprint(after, sizeof(after));
    cr_expect_str_eq(after, before, "a bad pair was put in service");
    CURL *c = kwt_curl(&srv);
    struct kwt_response r;
    cr_expect_eq(kwt_get(c, &srv, true, "/readyz", &r), CURLE_OK);
    cr_expect_eq(r.status, 200, "still ready on the old certificate");
    kwt_response_free(&r);
    curl_easy_cleanup(c);

    /* Garbage in the certificate file: still the old pair. */
    FILE *f = fopen(cert, "w");
    cr_assert_not_null(f);
    fputs("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    deadline = kwt_now_ms() + 5000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline &&
           kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure") < 2)
        kwt_sleep_ms(50);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure"), 2);
    served_fingerprint(after, sizeof(after));
    cr_expect_str_eq(after, before);

    /* A good pair again: served. */
    cr_assert_eq(kwt_rotate_certificate(srv.certs), 0);
    cr_expect(wait_served(cert));
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=success"), 1);
}

Test(http_tls, sighup_reloads_the_certificate)
{
    cr_assert_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=success"), 0);
    cr_assert_eq(kwt_server_signal(&srv, SIGHUP), 0);
    long long deadline = kwt_now_ms() + 5000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline &&
           kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=success") < 1)
        kwt_sleep_ms(50);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=success"), 1);
    cr_expect(kwt_log_contains(&srv, "SIGHUP"));
}

Test(http_tls, expiry_metric_is_the_certificate_not_after)
{
    double expiry =
        kwt_scrape_metric(&srv, "kopia_webhook_certificate_expiry_timestamp_seconds", NULL);
    double now = (double)time(NULL);
    /* gen-certs makes a one-year certificate. */
    cr_expect(expiry > now + 360 * 86400.0 && expiry < now + 370 * 86400.0, "expiry %f", expiry);
}

/* Replaces certs/`file` with a FIFO; a reload (the poll, then SIGHUP) must
 * refuse it at once, keep serving the current pair, serve a legitimate
 * review quickly, and SIGTERM must still be acted on. */
static void fifo_reload_keeps_the_pair(const char *file)
{
    char before[128], path[200], fifo[220], message[160];
    served_fingerprint(before, sizeof(before));
    cr_assert_neq(before[0], '\0');
    snprintf(path, sizeof(path), "%s/%s", srv.certs, file);
    snprintf(fifo, sizeof(fifo), "%s.fifo", path);
    /* Opening a FIFO for reading waits for a writer: a reload that did would
     * stop the run loop, and with it every signal. */
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(rename(fifo, path), 0);
    long long deadline = kwt_now_ms() + 5000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline &&
           kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure") < 1)
        kwt_sleep_ms(50);
    cr_expect_eq(kwt_server_signal(&srv, SIGHUP), 0);
    while (kwt_now_ms() < deadline &&
           kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure") < 2)
        kwt_sleep_ms(50);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure"), 2);
    snprintf(message, sizeof(message), "%s is not a regular file (a FIFO)", file);
    cr_expect(kwt_log_contains(&srv, message), "no message naming %s", file);

    char after[128];
    served_fingerprint(after, sizeof(after));
    cr_expect_str_eq(after, before, "the current pair is no longer served");
    long status;
    long long ms = kwt_legit_review_ms(&srv, &status);
    cr_expect_eq(status, 200, "no review served with a FIFO in place");
    if (kwt_memory_measurable()) {
        cr_expect_lt(ms, 500, "legitimate review took %lld ms", ms);
        long hwm = kwt_proc_status_kib(srv.pid, "VmHWM");
        cr_expect(hwm > 0 && hwm < 32L * 1024L, "VmHWM %ld KiB", hwm);
    }
    long long start = kwt_now_ms();
    cr_expect_eq(kwt_server_stop(&srv), 0);
    cr_expect_lt(kwt_now_ms() - start, 3000LL * kwt_time_scale(), "SIGTERM was not acted on");
}

Test(http_tls, a_fifo_swapped_in_keeps_the_current_pair_and_sigterm_still_works)
{
    fifo_reload_keeps_the_pair("tls.crt");
}

Test(http_tls, a_fifo_swapped_in_for_the_key_keeps_the_current_pair)
{
    fifo_reload_keeps_the_pair("tls.key");
}

/* --- Files that are not regular files at start ----------------------------- */

static void cleanup(void)
{
    kwt_server_cleanup(&srv);
}

TestSuite(http_tls_start, .fini = cleanup, .timeout = 60);

/* Starts with `flag` pointing at a FIFO; expects the exit status `want`
 * within 2 s and the reason in the log. */
static void expect_fifo_refused(const char *flag, int want)
{
    cr_assert_eq(kwt_server_prepare(&srv), 0);
    char fifo[200], message[260];
    snprintf(fifo, sizeof(fifo), "%s/fifo.pem", srv.dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *args[] = {flag, fifo, NULL};
    long long start = kwt_now_ms();
    cr_assert_eq(kwt_server_start_prepared(&srv, args), -1, "the server started");
    cr_expect_lt(kwt_now_ms() - start, 2000LL * kwt_time_scale(), "%s: start-up hung", flag);
    cr_expect_eq(srv.exit_status, want);
    snprintf(message, sizeof(message), "%s is not a regular file (a FIFO)", fifo);
    cr_expect(kwt_log_contains(&srv, message), "%s: no message naming the FIFO", flag);
}

Test(http_tls_start, a_fifo_as_the_certificate_is_refused_at_once)
{
    expect_fifo_refused("--tls-cert", 1);
}

Test(http_tls_start, a_fifo_as_the_key_is_refused_at_once)
{
    expect_fifo_refused("--tls-key", 1);
}

Test(http_tls_start, a_fifo_as_the_client_ca_is_refused_at_once)
{
    expect_fifo_refused("--client-ca", 1);
}

Test(http_tls_start, a_fifo_as_the_config_file_is_refused_at_once)
{
    expect_fifo_refused("--config", 2);
}

/* --- Kubernetes Secret volume layout ------------------------------------- */

static void k8s_publish(const char *vol, const char *certs, int generation)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "set -e; cd '%s'; d=..2024_01_01_00_00_%02d; mkdir $d; cp '%s/tls.crt' '%s/tls.key' "
             "$d/; ln -sfn $d ..data_tmp; mv -T ..data_tmp ..data; "
             "[ -L tls.crt ] || { ln -s ..data/tls.crt tls.crt; ln -s ..data/tls.key tls.key; }; "
             "for old in ..2024_*; do [ \"$old\" = \"$d\" ] || rm -rf \"$old\"; done",
             vol, generation, certs, certs);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

TestSuite(http_tls_k8s, .fini = stop, .timeout = 120);

Test(http_tls_k8s, a_data_symlink_swap_is_picked_up)
{
    cr_assert_eq(kwt_server_prepare(&srv), 0);
    char vol[200];
    snprintf(vol, sizeof(vol), "%s/volume", srv.dir);
    cr_assert_eq(mkdir(vol, 0700), 0);
    k8s_publish(vol, srv.certs, 0);
    char cert[256], key[256];
    snprintf(cert, sizeof(cert), "%s/tls.crt", vol);
    snprintf(key, sizeof(key), "%s/tls.key", vol);
    /* Polling off: the directory watch alone must notice the swap. */
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, "--cert-poll-seconds", "0", NULL};
    cr_assert_eq(kwt_server_start_prepared(&srv, args), 0);
    for (int gen = 1; gen <= 3; gen++) {
        cr_assert_eq(kwt_rotate_certificate(srv.certs), 0);
        k8s_publish(vol, srv.certs, gen);
        cr_assert(wait_served(cert), "generation %d not served", gen);
    }
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=success"), 3);
    cr_expect_eq(kwt_scrape_metric(&srv, "kopia_webhook_tls_reloads_total", "result=failure"), 0);
}

/* --- Client certificates ------------------------------------------------- */

/* A second CA with a certificate the client presents, and a third CA that
 * the server does not trust. */
static void make_ca(const char *dir)
{
    const char *hosts[] = {"client"};
    struct kw_gencerts_opts o = {.service = "client",
                                 .namespace = "tests",
                                 .out_dir = dir,
                                 .extra_hosts = hosts,
                                 .n_extra_hosts = 1};
    char err[256];
    cr_assert_eq(kw_certs_generate(&o, err, sizeof(err)), 0, "%s", err);
}

TestSuite(http_client_ca, .fini = stop, .timeout = 120);

Test(http_client_ca, only_clients_with_a_certificate_from_the_client_ca_are_served)
{
    cr_assert_eq(kwt_server_prepare(&srv), 0);
    char trusted[200], untrusted[200], client_ca[256];
    snprintf(trusted, sizeof(trusted), "%s/client", srv.dir);
    snprintf(untrusted, sizeof(untrusted), "%s/other", srv.dir);
    make_ca(trusted);
    make_ca(untrusted);
    snprintf(client_ca, sizeof(client_ca), "%s/ca.crt", trusted);
    const char *args[] = {"--client-ca", client_ca, NULL};
    cr_assert_eq(kwt_server_start_prepared(&srv, args), 0);

    char ca[200], cert[256], key[256];
    ca_path(ca, sizeof(ca));
    struct kwt_tls t;
    /* No client certificate: the handshake fails. */
    int rc = kwt_tls_connect(&t, srv.port, 0, 0, ca, NULL, NULL);
    if (rc == 0) {
        /* TLS 1.3: the client learns of the refusal on its first read. */
        const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        kwt_tls_write(&t, req, strlen(req));
        char resp[1024];
        long n = kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale());
        cr_expect_leq(n, 0, "served without a client certificate: %s", resp);
        kwt_tls_close(&t);
    }
    /* A certificate from an untrusted CA: refused too. */
    snprintf(cert, sizeof(cert), "%s/tls.crt", untrusted);
    snprintf(key, sizeof(key), "%s/tls.key", untrusted);
    rc = kwt_tls_connect(&t, srv.port, 0, 0, ca, cert, key);
    if (rc == 0) {
        const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        kwt_tls_write(&t, req, strlen(req));
        char resp[1024];
        long n = kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale());
        cr_expect_leq(n, 0, "served an untrusted client certificate: %s", resp);
        kwt_tls_close(&t);
    }
    /* The trusted client certificate: served. */
    snprintf(cert, sizeof(cert), "%s/tls.crt", trusted);
    snprintf(key, sizeof(key), "%s/tls.key", trusted);
    cr_assert_eq(kwt_tls_connect(&t, srv.port, 0, 0, ca, cert, key), 0, "%s",
                 ERR_reason_error_string(t.error));
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(kwt_tls_write(&t, req, strlen(req)), 0);
    char resp[1024];
    cr_assert_gt(kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale()), 0);
    cr_expect(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%s", resp);
    kwt_tls_close(&t);
}
