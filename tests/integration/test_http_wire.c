/* What a review's reply looks like on the wire: header and body in one TLS
 * record (libmicrohttpd 0.9.75 writes them as two; server/http.c corks the
 * reply in GnuTLS and sends it when the library reports the request
 * complete), on a kept-alive connection for reply after reply, for /validate
 * and /mutate, in TLS 1.3 and 1.2. The client counts the records it receives
 * with OpenSSL's message callback. */
#include <criterion/criterion.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwtest.h"

static struct kwt_server srv;

static void start(void)
{
    cr_assert_eq(kwt_server_start(&srv, NULL), 0, "server did not start");
}

static void stop(void)
{
    kwt_server_finish(&srv);
}

TestSuite(http_wire, .init = start, .fini = stop, .timeout = 120);

/* Application-data records received (the outer type of every TLS 1.3 record
 * after the handshake, tickets included). */
static int records_in;

static void count_records(int write_p, int version, int content_type, const void *buf, size_t len,
                          SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    (void)arg;
    if (!write_p && content_type == SSL3_RT_HEADER && len >= 1 &&
        ((const unsigned char *)buf)[0] == SSL3_RT_APPLICATION_DATA)
        records_in++;
}

/* Sends one review to path and returns how many records its reply took. */
static int reply_records(struct kwt_tls *t, const char *path, const char *uid)
{
    char *body = kwt_review("admission.k8s.io/v1", uid, "ConfigMap");
    char req[8192];
    int n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     path, strlen(body), body);
    free(body);
    cr_assert(n > 0 && (size_t)n < sizeof(req));
    records_in = 0;
    cr_assert_eq(kwt_tls_write(t, req, (size_t)n), 0);
    char resp[16384];
    long got = kwt_tls_read_response(t, resp, sizeof(resp), 5000LL * kwt_time_scale());
    cr_assert_gt(got, 0, "no reply to %s", uid);
    cr_assert(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%.200s", resp);
    cr_assert(strstr(resp, uid) != NULL, "the reply does not echo %s", uid);
    return records_in;
}

static void one_record_per_reply(int version)
{
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_connect(&t, srv.port, version, version, NULL, NULL, NULL), 0);
    SSL_set_msg_callback(t.ssl, count_records);
    /* The first reply may share its read with session tickets sent after
     * the handshake: it is not counted. */
    reply_records(&t, "/validate", "uid-wire-first");
    for (int i = 0; i < 6; i++) {
        char uid[32];
        snprintf(uid, sizeof(uid), "uid-wire-%d", i);
        const char *path = i % 2 ? "/mutate" : "/validate?timeout=10s";
        int records = reply_records(&t, path, uid);
        cr_expect_eq(records, 1, "the reply to %s (%s) took %d TLS records", uid, path, records);
    }
    kwt_tls_close(&t);
}

Test(http_wire, a_reply_is_one_tls_record_in_tls13)
{
    one_record_per_reply(TLS1_3_VERSION);
}

Test(http_wire, a_reply_is_one_tls_record_in_tls12)
{
    one_record_per_reply(TLS1_2_VERSION);
}
