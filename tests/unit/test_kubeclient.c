/* Tests of include/kw/server/kubeclient.h without a network: the HTTP/1.1
 * response parser (Content-Length, chunked, close-delimited, truncated,
 * oversized, garbage), the API server URL and the Status message. The
 * requests themselves are tested against a fake API server in
 * tests/scripts/test_gen_certs_renew.sh. */
#include "kw/server/kubeclient.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static char err[512];
static struct kw_http_response r;

static int parse_max(const char *text, size_t max)
{
    err[0] = '\0';
    return kw_http_response_parse(text, strlen(text), max, &r, err, sizeof(err));
}

static int parse(const char *text)
{
    return parse_max(text, KW_KUBE_MAX_RESPONSE);
}

static void ok(const char *text, int status, const char *body)
{
    cr_assert_eq(parse(text), 0, "refused: %s", err);
    cr_assert_eq(r.status, status);
    cr_assert_eq(r.body_len, strlen(body));
    cr_assert_str_eq(r.body, body);
    kw_http_response_free(&r);
    cr_assert_null(r.body);
}

static void refused(const char *text, size_t max, const char *msg_part)
{
    cr_assert_eq(parse_max(text, max), -1, "accepted: %s", text);
    cr_assert_not_null(strstr(err, msg_part), "message \"%s\" lacks \"%s\"", err, msg_part);
    cr_assert_null(r.body);
}

Test(response, content_length_body)
{
    ok("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
       200, "{\"a\":1}");
    /* Bytes after Content-Length are not part of the body. */
    ok("HTTP/1.1 200 OK\r\ncontent-length:  2 \r\n\r\nabXYZ", 200, "ab");
    ok("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 204, "");
    cr_assert_eq(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), 0);
    cr_assert_str_eq(r.reason, "Not Found");
    kw_http_response_free(&r);
}

Test(response, chunked_body_with_extensions_and_trailers)
{
    ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\n{\"a\r\nB;ext=1\r\n\":12345678}\r\n0\r\nX-Trailer: y\r\n\r\n",
       200, "{\"a\":12345678}");
    ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", 200, "");
    /* chunked wins over Content-Length (RFC 9112 6.3). */
    ok("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
       "2\r\nhi\r\n0\r\n\r\n",
       200, "hi");
}

Test(response, close_delimited_body)
{
    ok("HTTP/1.0 500 Internal Server Error\r\nServer: x\r\n\r\noops", 500, "oops");
}

Test(response, truncated_responses_are_refused)
{
    size_t m = KW_KUBE_MAX_RESPONSE;
    refused("", m, "empty response");
    refused("HTTP/1.1 200 O", m, "truncated response: no complete status line");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", m, "the headers end early");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", m, "5 of 10 body bytes");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", m,
            "the chunked body ends early");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", m,
            "the chunked body ends early");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", m,
            "the chunked body ends early");
}

Test(response, oversized_bodies_are_refused)
{
    refused("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890", 10, "larger than 10 bytes");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n", 10,
            "larger than 10 bytes");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n012345\r\n"
            "0\r\n\r\n",
            10, "larger than 10 bytes");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", 10,
            "larger than 10 bytes");
    refused("HTTP/1.1 200 OK\r\n\r\n01234567890", 10, "larger than 10 bytes");
    /* A header block beyond the bound. */
    size_t n = KW_KUBE_MAX_HEADER + 100;
    char *big = malloc(n + 64);
    strcpy(big, "HTTP/1.1 200 OK\r\nX: ");
    size_t used = strlen(big);
    memset(big + used, 'a', n);
    strcpy(big + used + n, "\r\n\r\n");
    refused(big, KW_KUBE_MAX_RESPONSE, "headers larger than");
    free(big);
}

Test(response, garbage_is_refused)
{
    size_t m = KW_KUBE_MAX_RESPONSE;
    refused("garbage\r\n\r\n", m, "not an HTTP/1.x status line");
    refused("\x16\x03\x01\x02\x00", m, "not an HTTP/1.x status line");
    refused("HTTP/2 200 OK\r\n\r\n", m, "not an HTTP/1.x status line");
    refused("HTTP/1.1 2x0 OK\r\n\r\n", m, "not an HTTP/1.x status line");
    refused("HTTP/1.1 099 Low\r\n\r\n", m, "status 99");
    refused("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", m, "a header line without a colon");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nab", m, "bad Content-Length");
    refused("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nab", m, "bad Content-Length");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nab", m,
            "unsupported Transfer-Encoding");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", m,
            "bad chunk");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n", m,
            "bad chunk");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", m,
            "bad chunk");
}

Test(response, reason_phrase_is_printable_and_cut)
{
    cr_assert_eq(parse("HTTP/1.1 403 \x01"
                       "Forbidden\r\nContent-Length: 0\r\n\r\n"),
                 0);
    cr_assert_str_eq(r.reason, "?Forbidden");
    kw_http_response_free(&r);
    char line[400];
    snprintf(line, sizeof(line), "HTTP/1.1 200 %0300d\r\nContent-Length: 0\r\n\r\n", 0);
    cr_assert_eq(parse(line), 0);
    cr_assert_eq(strlen(r.reason), sizeof(r.reason) - 1);
    kw_http_response_free(&r);
    ok("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", 200, "x");
}

Test(response, status_message_of_a_kubernetes_status)
{
    char msg[64];
    cr_assert_eq(parse("HTTP/1.1 403 Forbidden\r\n\r\n"
                       "{\"kind\":\"Status\",\"message\":\"secrets \\\"x\\\" is forbidden\\n\"}"),
                 0);
    kw_kube_status_message(&r, msg, sizeof(msg));
    cr_assert_str_eq(msg, "secrets \"x\" is forbidden?");
    kw_http_response_free(&r);
    cr_assert_eq(parse("HTTP/1.1 500 x\r\n\r\n{\"kind\":\"Secret\",\"message\":\"no\"}"), 0);
    kw_kube_status_message(&r, msg, sizeof(msg));
    cr_assert_str_eq(msg, "");
    kw_http_response_free(&r);
    cr_assert_eq(parse("HTTP/1.1 502 Bad Gateway\r\n\r\n<html>"), 0);
    kw_kube_status_message(&r, msg, sizeof(msg));
    cr_assert_str_eq(msg, "");
    kw_http_response_free(&r);
    char small[8];
    cr_assert_eq(parse("HTTP/1.1 403 x\r\n\r\n{\"kind\":\"Status\",\"message\":\"0123456789\"}"),
                 0);
    kw_kube_status_message(&r, small, sizeof(small));
    cr_assert_str_eq(small, "0123456");
    kw_http_response_free(&r);
}

static void url_ok(const char *url, const char *host, const char *port)
{
    char h[256], p[8];
    cr_assert_eq(kw_kube_url_parse(url, h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0, "%s: %s",
                 url, err);
    cr_assert_str_eq(h, host);
    cr_assert_str_eq(p, port);
}

static void url_bad(const char *url)
{
    char h[256], p[8];
    cr_assert_eq(kw_kube_url_parse(url, h, sizeof(h), p, sizeof(p), err, sizeof(err)), -1, "%s",
                 url);
    cr_assert_not_null(strstr(err, "--api-server: Invalid value"), "%s", err);
}

Test(url, https_host_port_and_ipv6)
{
    url_ok("https://10.96.0.1:443", "10.96.0.1", "443");
    url_ok("https://kubernetes.default.svc", "kubernetes.default.svc", "443");
    url_ok("https://127.0.0.1:6443/", "127.0.0.1", "6443");
    url_ok("https://[fd00::1]:6443", "fd00::1", "6443");
    url_ok("https://[::1]", "::1", "443");
    url_bad("http://10.96.0.1");
    url_bad("10.96.0.1:443");
    url_bad("https://");
    url_bad("https://:443");
    url_bad("https://host:0");
    url_bad("https://host:65536");
    url_bad("https://host:44a");
    url_bad("https://host:");
    url_bad("https://host/api");
    url_bad("https://[::1");
    url_bad("https://[::1]x");
    url_bad(NULL);
}

Test(client, missing_files_are_named)
{
    struct kw_kube_config cfg = {.api_server = "https://127.0.0.1:1",
                                 .token_file = "/nonexistent/token",
                                 .ca_file = "/nonexistent/ca.crt"};
    cr_assert_null(kw_kube_client_new(&cfg, err, sizeof(err)));
    cr_assert_not_null(strstr(err, "/nonexistent/token"), "%s", err);
    char tok[] = "/tmp/kw-kube-token-XXXXXX";
    int fd = mkstemp(tok);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "abc def\n", 8), 8);
    close(fd);
    cfg.token_file = tok;
    cr_assert_null(kw_kube_client_new(&cfg, err, sizeof(err)));
    cr_assert_not_null(strstr(err, "a space or a control character"), "%s", err);
    cr_assert_null(strstr(err, "abc"), "the token is in the message: %s", err);
    fd = open(tok, O_WRONLY | O_TRUNC);
    cr_assert_eq(write(fd, "abc\n", 4), 4);
    close(fd);
    cr_assert_null(kw_kube_client_new(&cfg, err, sizeof(err)));
    cr_assert_not_null(strstr(err, "/nonexistent/ca.crt"), "%s", err);
    cfg.ca_file = tok; /* not PEM */
    cr_assert_null(kw_kube_client_new(&cfg, err, sizeof(err)));
    cr_assert_not_null(strstr(err, "cannot use as the API server's CA"), "%s", err);
    unlink(tok);
}
