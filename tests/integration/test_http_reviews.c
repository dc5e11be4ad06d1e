/* The webhook endpoints over real HTTPS: reviews on /validate
 * and /mutate in both AdmissionReview versions, and every transport error
 * (400, 404, 405, 413, 415, 501) with the body the server must not read. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "kwtest.h"

static struct kwt_server srv;
static CURL *curl;

static void start(void)
{
    kwt_suite_start(&srv, &curl, NULL);
}

static void stop(void)
{
    kwt_suite_stop(&srv, &curl);
}

TestSuite(http_reviews, .init = start, .fini = stop, .timeout = 120);

static json_t *post_review(const char *path, const char *api, const char *uid, const char *kind,
                           long *status)
{
    char *body = kwt_review(api, uid, kind);
    struct kwt_response r;
    cr_assert_eq(kwt_post(curl, &srv, path, "application/json", body, strlen(body), &r), CURLE_OK);
    free(body);
    *status = r.status;
    char ct[128];
    kwt_header(&r, "Content-Type", ct, sizeof(ct));
    cr_expect_str_eq(ct, "application/json");
    json_error_t e;
    json_t *j = json_loads(r.body, 0, &e);
    cr_assert_not_null(j, "not JSON: %s", r.body);
    kwt_response_free(&r);
    return j;
}

Test(http_reviews, validate_denies_an_object_with_no_mover)
{
    long status;
    json_t *j = post_review("/validate?timeout=10s", "admission.k8s.io/v1", "uid-deny",
                            "ReplicationSource", &status);
    cr_expect_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(j, "apiVersion")), "admission.k8s.io/v1");
    json_t *resp = json_object_get(j, "response");
    cr_expect_str_eq(json_string_value(json_object_get(resp, "uid")), "uid-deny");
    cr_expect(json_is_false(json_object_get(resp, "allowed")));
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(resp, "status"), "code")), 422);
    json_decref(j);
}

Test(http_reviews, validate_allows_a_configmap)
{
    long status;
    json_t *j = post_review("/validate", "admission.k8s.io/v1", "uid-cm", "ConfigMap", &status);
    cr_expect_eq(status, 200);
    json_t *resp = json_object_get(j, "response");
    cr_expect_str_eq(json_string_value(json_object_get(resp, "uid")), "uid-cm");
    cr_expect(json_is_true(json_object_get(resp, "allowed")));
    json_decref(j);
}

Test(http_reviews, mutate_answers_with_the_same_uid)
{
    long status;
    json_t *j = post_review("/mutate", "admission.k8s.io/v1", "uid-m", "ConfigMap", &status);
    cr_expect_eq(status, 200);
    json_t *resp = json_object_get(j, "response");
    cr_expect_str_eq(json_string_value(json_object_get(resp, "uid")), "uid-m");
    cr_expect(json_is_true(json_object_get(resp, "allowed")));
    cr_expect_null(json_object_get(resp, "patch"));
    json_decref(j);
}

Test(http_reviews, v1beta1_is_answered_as_v1beta1)
{
    long status;
    json_t *j =
        post_review("/validate", "admission.k8s.io/v1beta1", "uid-b", "ReplicationSource", &status);
    cr_expect_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(j, "apiVersion")),
                     "admission.k8s.io/v1beta1");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "response"), "uid")),
                     "uid-b");
    json_decref(j);
}

Test(http_reviews, content_type_parameters_and_case_are_accepted)
{
    char *body = kwt_review("admission.k8s.io/v1", "uid-ct", "ConfigMap");
    const char *types[] = {"application/json; charset=utf-8", "Application/JSON",
                           "application/json;charset=UTF-8"};
    for (size_t i = 0; i < 3; i++) {
        struct kwt_response r;
        cr_assert_eq(kwt_post(curl, &srv, "/validate", types[i], body, strlen(body), &r), CURLE_OK);
        cr_expect_eq(r.status, 200, "%s: %ld", types[i], r.status);
        kwt_response_free(&r);
    }
    free(body);
}

static void expect_status(const char *path, const char *content_type, const char *body, long want,
                          const char *body_has)
{
    struct kwt_response r;
    cr_assert_eq(kwt_post(curl, &srv, path, content_type, body, strlen(body), &r), CURLE_OK);
    cr_expect_eq(r.status, want, "%s %s: got %ld (%s)", path, body, r.status, r.body);
    if (body_has)
        cr_expect(strstr(r.body, body_has), "%s: body '%s' lacks '%s'", path, r.body, body_has);
    kwt_response_free(&r);
}

Test(http_reviews, malformed_reviews_are_400)
{
    expect_status("/validate", "application/json", "this is not json", 400, NULL);
    expect_status("/validate", "application/json",
                  "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", 400,
                  NULL);
    expect_status("/mutate", "application/json",
                  "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                  "\"request\":{\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":"
                  "\"ConfigMap\"},\"operation\":\"CREATE\"}}",
                  400, NULL);
    expect_status("/validate", "application/json", "", 400, "empty body");
    /* Each is logged with the client and the reason's one line. */
    cr_expect(kwt_log_contains(&srv, "\"msg\":\"review rejected\",\"webhook\":\"validate\","
                                     "\"remoteAddr\":\"127.0.0.1\",\"status\":400,"
                                     "\"error\":\"request body is not valid JSON: line 1, "));
    cr_expect(kwt_log_contains(&srv, "\"msg\":\"review rejected\",\"webhook\":\"mutate\","
                                     "\"remoteAddr\":\"127.0.0.1\",\"status\":400,"
                                     "\"error\":\"request.uid is required\",\"durationMs\":"));
}

Test(http_reviews, wrong_content_type_is_415)
{
    char *body = kwt_review("admission.k8s.io/v1", "uid-415", "ConfigMap");
    expect_status("/validate", "text/plain", body, 415, "application/json");
    expect_status("/validate", "application/jsonx", body, 415, NULL);
    expect_status("/mutate", NULL, body, 415, NULL);
    free(body);
    cr_expect(kwt_log_contains(&srv, "\"msg\":\"request rejected\",\"listener\":\"webhook\","
                                     "\"webhook\":\"validate\",\"path\":\"/validate\","
                                     "\"remoteAddr\":\"127.0.0.1\",\"status\":415,"
                                     "\"error\":\"unsupported media type: the "
                                     "body must be application/json\",\"durationMs\":"));
}

Test(http_reviews, wrong_method_is_405_with_allow)
{
    struct kwt_response r;
    cr_assert_eq(kwt_request(curl, &srv, "GET", "/validate", &r), CURLE_OK);
    cr_expect_eq(r.status, 405);
    char allow[64];
    kwt_header(&r, "Allow", allow, sizeof(allow));
    cr_expect_str_eq(allow, "POST");
    kwt_response_free(&r);
    cr_assert_eq(kwt_request(curl, &srv, "PUT", "/mutate", &r), CURLE_OK);
    cr_expect_eq(r.status, 405);
    kwt_response_free(&r);
    cr_assert_eq(kwt_request(curl, &srv, "DELETE", "/healthz", &r), CURLE_OK);
    cr_expect_eq(r.status, 405);
    kwt_header(&r, "Allow", allow, sizeof(allow));
    cr_expect_str_eq(allow, "GET, HEAD");
    kwt_response_free(&r);
}

Test(http_reviews, unknown_path_is_404)
{
    expect_status("/", "application/json", "{}", 404, NULL);
    expect_status("/validate/extra", "application/json", "{}", 404, NULL);
    expect_status("/VALIDATE", "application/json", "{}", 404, NULL);
    struct kwt_response r;
    cr_assert_eq(kwt_request(curl, &srv, "GET", "/favicon.ico", &r), CURLE_OK);
    cr_expect_eq(r.status, 404);
    kwt_response_free(&r);
}

/* curl asks "Expect: 100-continue" for a large body: the server answers 413
 * from the headers and curl never sends the 10 MB. */
Test(http_reviews, ten_megabytes_with_expect_is_413_before_any_body)
{
    size_t len = 10u * 1024 * 1024;
    char *big = malloc(len);
    memset(big, ' ', len);
    struct kwt_response r;
    struct curl_slist *h = curl_slist_append(NULL, "Expect: 100-continue");
    h = curl_slist_append(h, "Content-Type: application/json");
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/validate", srv.port);
    CURL *c = kwt_curl(&srv);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, big);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, NULL);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    memset(&r, 0, sizeof(r));
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_off_t sent = -1;
    curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent);
    cr_expect_eq(r.status, 413);
    cr_expect_eq(sent, 0, "curl sent %ld body bytes", (long)sent);
    fclose(sink);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(big);
}

/* Without Expect: the 413 arrives while the client has sent 64 KiB of a
 * declared 10 MB, and the server closes the connection. */
Test(http_reviews, ten_megabytes_declared_is_413_without_reading_the_rest)
{
    struct kwt_tls t;
    char ca[200];
    snprintf(ca, sizeof(ca), "%s/ca.crt", srv.certs);
    cr_assert_eq(kwt_tls_connect(&t, srv.port, 0, 0, ca, NULL, NULL), 0);
    const char *head = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n";
    cr_assert_eq(kwt_tls_write(&t, head, strlen(head)), 0);
    static char chunk[65536];
    memset(chunk, ' ', sizeof(chunk));
    kwt_tls_write(&t, chunk, sizeof(chunk));
    char resp[4096];
    long n = kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale());
    cr_assert_gt(n, 0);
    cr_expect(strncmp(resp, "HTTP/1.1 413", 12) == 0, "%s", resp);
    cr_expect_geq(kwt_tls_wait_closed(&t, 5000LL * kwt_time_scale()), 0,
                  "connection left open after 413");
    kwt_tls_close(&t);
}

/* Chunked: no length to decide from; the server stops at the limit. */
Test(http_reviews, chunked_body_over_the_limit_is_cut_at_the_limit)
{
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_start_chunked(&t, srv.port), 0);
    size_t sent = 0, limit = 4u * 1024 * 1024, declared = 64u * 1024 * 1024;
    /* Send until the server closes; it must do so soon after 4 MiB. */
    while (sent < declared && kwt_tls_write_spaces_chunk(&t) == 0)
        sent += KWT_SPACES_CHUNK;
    cr_expect_lt(sent, declared, "the server read the whole 64 MiB");
    cr_expect_geq(sent, limit / 2);
    kwt_tls_close(&t);
}

Test(http_reviews, a_body_under_the_limit_in_chunks_is_processed)
{
    char *body = kwt_review("admission.k8s.io/v1", "uid-chunked", "ConfigMap");
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_connect(&t, srv.port, 0, 0, NULL, NULL, NULL), 0);
    char req[8192];
    size_t half = strlen(body) / 2;
    int n = snprintf(req, sizeof(req),
                     "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%.*s\r\n%zx\r\n%s\r\n0\r\n\r\n",
                     half, (int)half, body, strlen(body) - half, body + half);
    cr_assert_eq(kwt_tls_write(&t, req, (size_t)n), 0);
    char resp[8192];
    cr_assert_gt(kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale()), 0);
    cr_expect(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%s", resp);
    cr_expect(strstr(resp, "uid-chunked"));
    kwt_tls_close(&t);
    free(body);
}

/* A transfer coding other than chunked: libmicrohttpd would read such a body
 * until the client closes; the server answers 501 from the headers at once
 * (RFC 9112 section 6.1) and closes the connection. */
static void expect_501(const char *request_line, const char *codings)
{
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_connect(&t, srv.port, 0, 0, NULL, NULL, NULL), 0);
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "%s\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n{\"kind\"",
                     request_line, codings);
    cr_assert_eq(kwt_tls_write(&t, head, (size_t)n), 0);
    long long start = kwt_now_ms();
    char resp[4096];
    long got = kwt_tls_read_response(&t, resp, sizeof(resp), 5000LL * kwt_time_scale());
    cr_assert_gt(got, 0, "%s: no answer", codings);
    cr_expect_lt(kwt_now_ms() - start, 1000LL * kwt_time_scale(), "%s: late answer", codings);
    cr_expect(strncmp(resp, "HTTP/1.1 501", 12) == 0, "%s: %s", codings, resp);
    cr_expect(strstr(resp, "\r\n\r\nnot implemented: the only Transfer-Encoding supported is "
                           "chunked\n"),
              "%s", resp);
    cr_expect_geq(kwt_tls_wait_closed(&t, 2000LL * kwt_time_scale()), 0,
                  "%s: connection left open after 501", codings);
    kwt_tls_close(&t);
}

Test(http_reviews, a_transfer_coding_other_than_chunked_is_501_at_once)
{
    const char *codings[] = {
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
    };
    for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++)
        expect_501("POST /validate HTTP/1.1", codings[i]);
    expect_501("POST /mutate HTTP/1.1", codings[0]);
    expect_501("GET /healthz HTTP/1.1", codings[0]);

    struct kwt_metrics m;
    char err[256];
    cr_assert_eq(kwt_scrape(&srv, &m, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(kwt_metric(&m, "kopia_webhook_http_responses_total", "code=501", NULL), 6);
    cr_expect_eq(kwt_metric(&m, "kopia_webhook_requests_total", "webhook=validate", "kind=other",
                            "operation=other", "result=error", NULL),
                 4);
    kwt_metrics_free(&m);
    cr_expect(kwt_log_contains(&srv, "\"status\":501,\"error\":\"not implemented: the only "
                                     "Transfer-Encoding supported is chunked\""));
}

Test(http_reviews, each_review_is_one_json_log_line_without_object_contents)
{
    long status;
    json_t *j =
        post_review("/validate", "admission.k8s.io/v1", "uid-log-1", "ReplicationSource", &status);
    json_decref(j);
    /* The review line is written before the response is sent. */
    cr_expect(kwt_log_contains(&srv, "\"msg\":\"review\",\"webhook\":\"validate\","
                                     "\"uid\":\"uid-log-1\",\"user\":\"u\","
                                     "\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","
                                     "\"resource\":\"x\",\"kind\":\"ReplicationSource\","
                                     "\"namespace\":\"team-a\",\"name\":\"obj\","
                                     "\"operation\":\"CREATE\",\"dryRun\":false,"
                                     "\"allowed\":false"));
    cr_expect(kwt_log_contains(&srv, "\"deniedRules\":[\"mover-required\"],"
                                     "\"warningRules\":[],\"durationMs\":"));
    cr_expect(!kwt_log_contains(&srv, "sourcePVC"), "object contents in the log");
}
