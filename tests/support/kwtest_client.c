/* Test support: libcurl requests, test reviews, and a raw OpenSSL client
 * (see kwtest.h). */
#include "kwtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- libcurl ------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *cls)
{
    struct kwt_response *r = cls;
    size_t add = size * n;
    char *grown = realloc(r->body, r->len + add + 1);
    if (!grown)
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, data, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *cls)
{
    struct kwt_response *r = cls;
    size_t add = size * n, have = strlen(r->headers);
    if (have + add < sizeof(r->headers)) {
        memcpy(r->headers + have, data, add);
        r->headers[have + add] = '\0';
    }
    return add;
}

CURL *kwt_curl(const struct kwt_server *s)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    char ca[200];
    snprintf(ca, sizeof(ca), "%s/ca.crt", s->certs);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L * kwt_time_scale());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    return h;
}

static CURLcode perform(CURL *h, const char *url, struct kwt_response *out)
{
    memset(out, 0, sizeof(*out));
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
    out->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &out->new_connections);
    if (!out->body) {
        out->body = calloc(1, 1);
    }
    return out->rc;
}

CURLcode kwt_post(CURL *h, const struct kwt_server *s, const char *path, const char *content_type,
                  const char *body, size_t len, struct kwt_response *out)
{
    char url[256], ct[256];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", s->port, path);
    struct curl_slist *hdrs = NULL;
    if (content_type) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
    } else {
        hdrs = curl_slist_append(hdrs, "Content-Type:");
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CURLcode rc = perform(h, url, out);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    return rc;
}

CURLcode kwt_request(CURL *h, const struct kwt_server *s, const char *method, const char *path,
                     struct kwt_response *out)
{
    char url[256];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", s->port, path);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                     strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? NULL : method);
    return perform(h, url, out);
}

CURLcode kwt_get(CURL *h, const struct kwt_server *s, bool tls, const char *path,
                 struct kwt_response *out)
{
    char url[256];
    if (tls)
        snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", s->port, path);
    else
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->health_port, path);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    return perform(h, url, out);
}

void kwt_response_free(struct kwt_response *r)
{
    free(r->body);
    r->body = NULL;
}

void kwt_header(const struct kwt_response *r, const char *name, char *buf, size_t buflen)
{
    size_t n = strlen(name);
    buf[0] = '\0';
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t len = end ? (size_t)(end - v) : strlen(v);
            if (len >= buflen)
                len = buflen - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
        }
        line = end ? end + 2 : NULL;
    }
}

char *kwt_review(const char *api_version, const char *uid, const char *kind)
{
    const char *group = strcmp(kind, "ConfigMap") == 0 ? "" : "volsync.backube";
    const char *version = strcmp(kind, "ConfigMap") == 0 ? "v1" : "v1alpha1";
    const char *obj_api = strcmp(kind, "ConfigMap") == 0 ? "v1" : "volsync.backube/v1alpha1";
    const char *spec = strcmp(kind, "ConfigMap") == 0 ? "\"data\":{\"a\":\"b\"}"
                                                      : "\"spec\":{\"sourcePVC\":\"data\"}";
    char *out = NULL;
    if (asprintf(&out,
                 "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{"
                 "\"uid\":\"%s\",\"kind\":{\"group\":\"%s\",\"version\":\"%s\",\"kind\":\"%s\"},"
                 "\"resource\":{\"group\":\"%s\",\"version\":\"%s\",\"resource\":\"x\"},"
                 "\"namespace\":\"team-a\",\"name\":\"obj\",\"operation\":\"CREATE\","
                 "\"userInfo\":{\"username\":\"u\"},\"dryRun\":false,"
                 "\"object\":{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"name\":"
                 "\"obj\",\"namespace\":\"team-a\"},%s}}}",
                 api_version, uid, group, version, kind, group, version, obj_api, kind, spec) < 0)
        return NULL;
    return out;
}

/* --- Raw TLS ------------------------------------------------------------- */

int kwt_tcp_connect(int port)
{
    signal(SIGPIPE, SIG_IGN); /* writes to a connection the server closed */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

int kwt_tls_connect(struct kwt_tls *t, int port, int min_version, int max_version,
                    const char *ca_file, const char *cert_file, const char *key_file)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx)
        return -1;
    /* Let the client offer old versions so that the server's refusal is
     * what is tested, not the client library's own policy. */
    SSL_CTX_set_security_level(t->ctx, 0);
    SSL_CTX_set_cipher_list(t->ctx, "DEFAULT:@SECLEVEL=0");
    if (min_version)
        SSL_CTX_set_min_proto_version(t->ctx, min_version);
    if (max_version)
        SSL_CTX_set_max_proto_version(t->ctx, max_version);
    if (ca_file) {
        SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL);
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    }
    if (cert_file && (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1 ||
                      SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1))
        goto fail;
    t->fd = kwt_tcp_connect(port);
    if (t->fd < 0)
        goto fail;
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, t->fd);
    if (SSL_connect(t->ssl) != 1)
        goto fail;
    return 0;
fail:
    t->error = ERR_peek_error();
    kwt_tls_close(t);
    return -1;
}

int kwt_tls_write(struct kwt_tls *t, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        int n = SSL_write(t->ssl, (const char *)buf + done, (int)(len - done));
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

static bool wait_readable(struct kwt_tls *t, long long deadline)
{
    if (SSL_pending(t->ssl) > 0)
        return true;
    long long left = deadline - kwt_now_ms();
    if (left <= 0)
        return false;
    struct pollfd p = {t->fd, POLLIN, 0};
    return poll(&p, 1, (int)left) > 0;
}

/* Body length from a Content-Length header in `head`, or -1. */
static long content_length_of(const char *head)
{
    for (const char *line = head; line && *line;) {
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            return strtol(line + 15, NULL, 10);
        const char *nl = strstr(line, "\r\n");
        line = nl ? nl + 2 : NULL;
    }
    return -1;
}

long kwt_tls_read_response(struct kwt_tls *t, char *buf, size_t cap, long long timeout_ms)
{
    long long deadline = kwt_now_ms() + timeout_ms;
    size_t len = 0;
    for (;;) {
        buf[len] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            long body = content_length_of(buf);
            size_t want = (size_t)(end - buf) + 4 + (size_t)(body > 0 ? body : 0);
            if (body >= 0 && len >= want)
                return (long)len;
        }
        if (len + 1 >= cap || !wait_readable(t, deadline))
            return -1;
        int n = SSL_read(t->ssl, buf + len, (int)(cap - len - 1));
        if (n <= 0)
            return len ? (long)len : 0;
        len += (size_t)n;
    }
}

long long kwt_tls_wait_closed(struct kwt_tls *t, long long timeout_ms)
{
    long long start = kwt_now_ms(), deadline = start + timeout_ms;
    char buf[4096];
    while (wait_readable(t, deadline)) {
        int n = SSL_read(t->ssl, buf, sizeof(buf));
        if (n <= 0)
            return kwt_now_ms() - start;
    }
    return -1;
}

void kwt_tls_fingerprint(struct kwt_tls *t, char *buf, size_t buflen)
{
    buf[0] = '\0';
    X509 *x = SSL_get1_peer_certificate(t->ssl);
    if (!x)
        return;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    X509_digest(x, EVP_sha256(), md, &n);
    X509_free(x);
    size_t at = 0;
    for (unsigned i = 0; i < n && at + 3 < buflen; i++)
        at += (size_t)snprintf(buf + at, buflen - at, "%s%02X", i ? ":" : "", md[i]);
}

void kwt_tls_close(struct kwt_tls *t)
{
    if (t->ssl)
        SSL_free(t->ssl);
    if (t->ctx)
        SSL_CTX_free(t->ctx);
    if (t->fd >= 0)
        close(t->fd);
    t->ssl = NULL;
    t->ctx = NULL;
    t->fd = -1;
}

int kwt_tls_start_chunked(struct kwt_tls *t, int port)
{
    static const char head[] =
        "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (kwt_tls_connect(t, port, 0, 0, NULL, NULL, NULL) != 0)
        return -1;
    return kwt_tls_write(t, head, sizeof(head) - 1);
}

int kwt_tls_write_spaces_chunk(struct kwt_tls *t)
{
    static char chunk[KWT_SPACES_CHUNK + 16];
    static size_t len;
    if (!len) {
        int hl = snprintf(chunk, sizeof(chunk), "%x\r\n", (unsigned)KWT_SPACES_CHUNK);
        memset(chunk + hl, ' ', KWT_SPACES_CHUNK);
        memcpy(chunk + hl + KWT_SPACES_CHUNK, "\r\n", 2);
        len = (size_t)hl + KWT_SPACES_CHUNK + 2;
    }
    return kwt_tls_write(t, chunk, len);
}
