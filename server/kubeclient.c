/* The Kubernetes API client (see include/kw/server/kubeclient.h): URL
 * parsing, the HTTP/1.1 response parser, and one request per TLS connection
 * with a deadline, on non-blocking sockets and OpenSSL. Owns nothing global;
 * the token and every buffer that may hold Secret data are wiped when
 * freed. */
#include "kw/server/kubeclient.h"
#include "kw/server/readfile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_TOKEN   (64 * 1024)
#define MAX_CA_FILE (1024 * 1024)

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void free_secret(char *buf_owned, size_t len)
{
    if (!buf_owned)
        return;
    explicit_bzero(buf_owned, len);
    free(buf_owned);
}

/* ---- URL --------------------------------------------------------------- */

static int copy_part(char *out, size_t outlen, const char *s, size_t n)
{
    if (n == 0 || n >= outlen)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

int kw_kube_url_parse(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                      char *err, size_t errlen)
{
    static const char scheme[] = "https://";
    if (!url || strncmp(url, scheme, sizeof(scheme) - 1) != 0)
        return fail(err, errlen, "--api-server: Invalid value: \"%s\": must start with https://",
                    url ? url : "");
    const char *h = url + sizeof(scheme) - 1, *end = h + strcspn(h, "/");
    if (*end && strcmp(end, "/") != 0)
        return fail(err, errlen, "--api-server: Invalid value: \"%s\": must have no path", url);
    const char *colon;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close || copy_part(host, hostlen, h + 1, (size_t)(close - h - 1)) != 0)
            return fail(err, errlen, "--api-server: Invalid value: \"%s\": bad IPv6 address", url);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 < end && !colon)
            return fail(err, errlen, "--api-server: Invalid value: \"%s\": bad host", url);
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        if (copy_part(host, hostlen, h, (size_t)((colon ? colon : end) - h)) != 0)
            return fail(err, errlen, "--api-server: Invalid value: \"%s\": bad host", url);
    }
    const char *p = colon ? colon + 1 : "443";
    size_t plen = colon ? (size_t)(end - p) : 3;
    if (copy_part(port, portlen, p, plen) != 0 || !all_digits(port) || atoi(port) < 1 ||
        atoi(port) > 65535)
        return fail(err, errlen, "--api-server: Invalid value: \"%s\": bad port", url);
    return 0;
}

/* ---- response parsing -------------------------------------------------- */

static const char *find_crlf(const char *s, const char *end)
{
    for (const char *p = s; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

/* The value of header `name` in the block (lines "Name: value\r\n"), into
 * val; false when absent. */
static bool header_value(const char *hdrs, const char *hend, const char *name, char *val,
                         size_t vallen)
{
    size_t nlen = strlen(name);
    for (const char *line = hdrs; line < hend;) {
        const char *eol = find_crlf(line, hend + 2);
        if (!eol)
            break;
        if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            snprintf(val, vallen, "%.*s", (int)(ve - v), v);
            return true;
        }
        line = eol + 2;
    }
    return false;
}

static int parse_status_line(const char *buf, const char *eol, struct kw_http_response *out,
                             char *err, size_t errlen)
{
    size_t n = (size_t)(eol - buf);
    if (n < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[7]) ||
        buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
        !isdigit((unsigned char)buf[11]) || (n > 12 && buf[12] != ' '))
        return fail(err, errlen, "malformed response: not an HTTP/1.x status line");
    out->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (out->status < 100)
        return fail(err, errlen, "malformed response: status %d", out->status);
    size_t r = 0;
    for (const char *p = buf + 13; p < eol && r + 1 < sizeof(out->reason); p++)
        out->reason[r++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    out->reason[r] = '\0';
    return 0;
}

static int set_body(struct kw_http_response *out, const char *data, size_t n, char *err,
                    size_t errlen)
{
    out->body = malloc(n + 1);
    if (!out->body)
        return fail(err, errlen, "out of memory");
    memcpy(out->body, data, n);
    out->body[n] = '\0';
    out->body_len = n;
    return 0;
}

/* Decodes a chunked body from p..end into a new buffer. */
static int decode_chunked(const char *p, const char *end, size_t max_body,
                          struct kw_http_response *out, char *err, size_t errlen)
{
    size_t cap = 0;
    char *body = NULL;
    out->body_len = 0;
    for (;;) {
        const char *eol = find_crlf(p, end);
        if (!eol)
            goto truncated;
        char *after;
        errno = 0;
        unsigned long long size = strtoull(p, &after, 16);
        if (after == p || !isxdigit((unsigned char)*p) || errno != 0 ||
            (after != eol && *after != ';' && *after != ' '))
            goto malformed;
        p = eol + 2;
        if (size == 0)
            break;
        if (size > max_body || out->body_len + size > max_body) {
            free_secret(body, cap);
            return fail(err, errlen, "response body larger than %zu bytes", max_body);
        }
        if ((size_t)(end - p) < size + 2)
            goto truncated;
        if (p[size] != '\r' || p[size + 1] != '\n')
            goto malformed;
        if (out->body_len + size + 1 > cap) {
            size_t ncap = (out->body_len + size + 1) * 2;
            char *nb = malloc(ncap);
            if (!nb) {
                free_secret(body, cap);
                return fail(err, errlen, "out of memory");
            }
            if (body)
                memcpy(nb, body, out->body_len);
            free_secret(body, cap);
            body = nb, cap = ncap;
        }
        memcpy(body + out->body_len, p, size);
        out->body_len += size;
        p += size + 2;
    }
    /* Trailers (ignored) up to the empty line. */
    for (;;) {
        const char *eol = find_crlf(p, end);
        if (!eol)
            goto truncated;
        if (eol == p)
            break;
        p = eol + 2;
    }
    if (!body && !(body = malloc(1)))
        return fail(err, errlen, "out of memory");
    body[out->body_len] = '\0';
    out->body = body;
    return 0;
truncated:
    free_secret(body, cap);
    return fail(err, errlen, "truncated response: the chunked body ends early");
malformed:
    free_secret(body, cap);
    return fail(err, errlen, "malformed response: bad chunk");
}

static int parse_body(const char *hdrs, const char *hend, const char *p, const char *end,
                      size_t max_body, struct kw_http_response *out, char *err, size_t errlen)
{
    char v[128];
    if (header_value(hdrs, hend, "Transfer-Encoding", v, sizeof(v))) {
        if (strcasecmp(v, "chunked") != 0)
            return fail(err, errlen, "malformed response: unsupported Transfer-Encoding \"%s\"", v);
        return decode_chunked(p, end, max_body, out, err, errlen);
    }
    size_t avail = (size_t)(end - p);
    if (header_value(hdrs, hend, "Content-Length", v, sizeof(v))) {
        if (!all_digits(v) || strlen(v) > 18)
            return fail(err, errlen, "malformed response: bad Content-Length \"%s\"", v);
        unsigned long long cl = strtoull(v, NULL, 10);
        if (cl > max_body)
            return fail(err, errlen, "response body larger than %zu bytes (Content-Length %llu)",
                        max_body, cl);
        if (avail < cl)
            return fail(err, errlen, "truncated response: %zu of %llu body bytes", avail, cl);
        return set_body(out, p, (size_t)cl, err, errlen);
    }
    if (avail > max_body)
        return fail(err, errlen, "response body larger than %zu bytes", max_body);
    return set_body(out, p, avail, err, errlen);
}

int kw_http_response_parse(const char *buf, size_t len, size_t max_body,
                           struct kw_http_response *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!buf || len == 0)
        return fail(err, errlen, "empty response: the connection closed without an answer");
    const char *end = buf + len;
    const char *eol = find_crlf(buf, end);
    if (!eol)
        return len <= KW_KUBE_MAX_HEADER && !memchr(buf, '\n', len) &&
                       strncmp(buf, "HTTP/", len < 5 ? len : 5) == 0
                   ? fail(err, errlen, "truncated response: no complete status line")
                   : fail(err, errlen, "malformed response: not an HTTP/1.x status line");
    if (parse_status_line(buf, eol, out, err, errlen) != 0)
        return -1;
    const char *hdrs = eol + 2, *hend = NULL;
    for (const char *line = hdrs;;) {
        const char *e = find_crlf(line, end);
        if (!e)
            return fail(err, errlen, "truncated response: the headers end early");
        if (e == line) {
            hend = line;
            break;
        }
        if (!memchr(line, ':', (size_t)(e - line)))
            return fail(err, errlen, "malformed response: a header line without a colon");
        line = e + 2;
        if ((size_t)(line - buf) > KW_KUBE_MAX_HEADER)
            return fail(err, errlen, "response headers larger than %d bytes", KW_KUBE_MAX_HEADER);
    }
    if (parse_body(hdrs, hend, hend + 2, end, max_body, out, err, errlen) != 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}

void kw_http_response_free(struct kw_http_response *r)
{
    if (!r)
        return;
    free_secret(r->body, r->body_len);
    r->body = NULL;
    r->body_len = 0;
}

void kw_kube_status_message(const struct kw_http_response *r, char *buf, size_t buflen)
{
    buf[0] = '\0';
    if (!r || !r->body)
        return;
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *kind = json_string_value(json_object_get(j, "kind"));
    if (msg && kind && strcmp(kind, "Status") == 0) {
        size_t n = 0;
        for (const char *p = msg; *p && n + 1 < buflen; p++)
            buf[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
        buf[n] = '\0';
    }
    json_decref(j);
}

/* ---- the connection ---------------------------------------------------- */

struct kw_kube_client {
    char host[256], port[8];
    char host_header[300]; /* host[:port], IPv6 bracketed */
    char *token;           /* wiped when freed */
    size_t token_len;
    SSL_CTX *ctx;
    int timeout_ms;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable or writable, or the deadline passes (-1). */
static int wait_fd(int fd, bool for_write, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = for_write ? POLLOUT : POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static int connect_addr(const struct addrinfo *ai, long long deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (errno == EINPROGRESS && wait_fd(fd, true, deadline) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
        return fd;
    if (soerr)
        errno = soerr;
    else if (errno == EINPROGRESS)
        errno = ETIMEDOUT;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

static int connect_tcp(const struct kw_kube_client *c, long long deadline, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *res = NULL;
    int rc = getaddrinfo(c->host, c->port, &hints, &res);
    if (rc != 0)
        return fail(err, errlen, "cannot resolve %s: %s", c->host, gai_strerror(rc));
    int fd = -1, e = 0;
    for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = connect_addr(ai, deadline);
        e = errno;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        char eb[128];
        return fail(err, errlen, "cannot connect to %s: %s", c->host_header,
                    e == ETIMEDOUT ? "timed out" : strerror_r(e, eb, sizeof(eb)));
    }
    return fd;
}

/* Runs one SSL operation until it completes, waiting as it asks; returns
 * its result (> 0 or, for SSL_read at the end, 0), or -1 with a message. */
enum ssl_op { OP_CONNECT, OP_WRITE, OP_READ };

static int ssl_run(SSL *ssl, int fd, enum ssl_op op, const void *buf, int len, long long deadline,
                   const char *what, char *err, size_t errlen)
{
    for (;;) {
        ERR_clear_error();
        int n = op == OP_CONNECT ? SSL_connect(ssl)
                : op == OP_WRITE ? SSL_write(ssl, buf, len)
                                 : SSL_read(ssl, (void *)buf, len);
        if (n > 0)
            return n;
        int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_ZERO_RETURN && op == OP_READ)
            return 0;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(fd, e == SSL_ERROR_WANT_WRITE, deadline) != 0)
                return fail(err, errlen, "timed out %s", what);
            continue;
        }
        long vr = SSL_get_verify_result(ssl);
        if (op == OP_CONNECT && vr != X509_V_OK)
            return fail(err, errlen, "TLS verification of the API server failed: %s",
                        X509_verify_cert_error_string(vr));
        unsigned long le = ERR_peek_last_error();
        const char *reason = le ? ERR_reason_error_string(le) : NULL;
        if (e == SSL_ERROR_SYSCALL && !le && op == OP_READ)
            return 0; /* the peer closed without close_notify: framing decides */
        return fail(err, errlen, "TLS error %s: %s", what,
                    reason ? reason : (e == SSL_ERROR_SYSCALL ? "connection reset" : "unknown"));
    }
}

static int setup_ssl(const struct kw_kube_client *c, SSL *ssl, int fd)
{
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, c->host, ip) == 1 || inet_pton(AF_INET6, c->host, ip) == 1;
    if (SSL_set_fd(ssl, fd) != 1)
        return -1;
    if (is_ip)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host) == 1 ? 0 : -1;
    return SSL_set1_host(ssl, c->host) == 1 && SSL_set_tlsext_host_name(ssl, c->host) == 1 ? 0 : -1;
}

/* Reads until the peer closes, at most max bytes (more is an error). */
static char *read_all(SSL *ssl, int fd, size_t max, size_t *len_out, long long deadline, char *err,
                      size_t errlen)
{
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                free_secret(buf, cap);
                fail(err, errlen, "response larger than %zu bytes (a body may have at most %d)",
                     max, KW_KUBE_MAX_RESPONSE);
                return NULL;
            }
            size_t ncap = cap * 2 > max ? max : cap * 2;
            char *nb = malloc(ncap);
            if (!nb) {
                free_secret(buf, cap);
                fail(err, errlen, "out of memory");
                return NULL;
            }
            memcpy(nb, buf, len);
            free_secret(buf, cap);
            buf = nb, cap = ncap;
        }
        int n = ssl_run(ssl, fd, OP_READ, buf + len, (int)(cap - len), deadline,
                        "reading the response", err, errlen);
        if (n < 0) {
            free_secret(buf, cap);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *len_out = len;
    return buf;
}

static char *format_request(const struct kw_kube_client *c, const char *method, const char *path,
                            const char *body, size_t *len_out)
{
    size_t blen = body ? strlen(body) : 0;
    size_t cap = strlen(method) + strlen(path) + strlen(c->host_header) + c->token_len + blen + 512;
    char *req = malloc(cap);
    if (!req)
        return NULL;
    int n = snprintf(req, cap,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                     "Accept: application/json\r\nUser-Agent: kopia-webhook/%s\r\n"
                     "Connection: close\r\n",
                     method, path, c->host_header, c->token, KW_VERSION);
    if (body)
        n += snprintf(req + n, cap - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    if (body)
        memcpy(req + n, body, blen);
    *len_out = (size_t)n + blen;
    return req;
}

static int exchange(struct kw_kube_client *c, SSL *ssl, int fd, const char *method,
                    const char *path, const char *body, long long deadline,
                    struct kw_http_response *out, char *err, size_t errlen)
{
    if (ssl_run(ssl, fd, OP_CONNECT, NULL, 0, deadline, "in the TLS handshake", err, errlen) < 0)
        return -1;
    size_t rlen;
    char *req = format_request(c, method, path, body, &rlen);
    if (!req)
        return fail(err, errlen, "out of memory");
    int rc = 0;
    for (size_t off = 0; off < rlen && rc == 0;) {
        int n = ssl_run(ssl, fd, OP_WRITE, req + off, (int)(rlen - off), deadline,
                        "sending the request", err, errlen);
        if (n < 0)
            rc = -1;
        else
            off += (size_t)n;
    }
    free_secret(req, rlen);
    if (rc != 0)
        return -1;
    size_t len;
    char *resp = read_all(ssl, fd, KW_KUBE_MAX_RESPONSE + KW_KUBE_MAX_HEADER + 65536, &len,
                          deadline, err, errlen);
    if (!resp)
        return -1;
    rc = kw_http_response_parse(resp, len, KW_KUBE_MAX_RESPONSE, out, err, errlen);
    free_secret(resp, len);
    return rc;
}

int kw_kube_request(struct kw_kube_client *c, const char *method, const char *path,
                    const char *body, struct kw_http_response *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    long long deadline = now_ms() + c->timeout_ms;
    int fd = connect_tcp(c, deadline, err, errlen);
    if (fd < 0)
        return -1;
    SSL *ssl = SSL_new(c->ctx);
    int rc = -1;
    if (!ssl || setup_ssl(c, ssl, fd) != 0)
        fail(err, errlen, "cannot set up TLS: %s", ERR_reason_error_string(ERR_peek_last_error()));
    else
        rc = exchange(c, ssl, fd, method, path, body, deadline, out, err, errlen);
    if (rc != 0 && err && strncmp(err, "timed out", 9) == 0) {
        char tmp[512];
        snprintf(tmp, sizeof(tmp), "%s (after %d ms)", err, c->timeout_ms);
        snprintf(err, errlen, "%s", tmp);
    }
    SSL_free(ssl);
    close(fd);
    ERR_clear_error();
    return rc;
}

/* ---- setup ------------------------------------------------------------- */

static int read_token(struct kw_kube_client *c, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *t = kw_read_file(path, KW_READ_REGULAR, MAX_TOKEN, &len, err, errlen);
    if (!t)
        return -1;
    size_t end = len;
    while (end > 0 && isspace((unsigned char)t[end - 1]))
        end--;
    t[end] = '\0';
    for (size_t i = 0; i < end; i++) {
        if (t[i] <= 0x20 || t[i] >= 0x7f) {
            free_secret(t, len);
            return fail(err, errlen, "%s: the token holds a space or a control character", path);
        }
    }
    if (end == 0) {
        free_secret(t, len);
        return fail(err, errlen, "%s: the token is empty", path);
    }
    c->token = t;
    c->token_len = len;
    return 0;
}

static int make_ctx(struct kw_kube_client *c, const char *ca_file, char *err, size_t errlen)
{
    /* Read through kw_read_file first, for its refusals and messages. */
    size_t len;
    char *pem = kw_read_file(ca_file, KW_READ_REGULAR, MAX_CA_FILE, &len, err, errlen);
    if (!pem)
        return -1;
    free(pem);
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx || SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_load_verify_file(c->ctx, ca_file) != 1) {
        const char *r = ERR_reason_error_string(ERR_peek_last_error());
        ERR_clear_error();
        return fail(err, errlen, "%s: cannot use as the API server's CA: %s", ca_file,
                    r ? r : "unknown error");
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    return 0;
}

struct kw_kube_client *kw_kube_client_new(const struct kw_kube_config *cfg, char *err,
                                          size_t errlen)
{
    struct kw_kube_client *c = calloc(1, sizeof(*c));
    if (!c) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : KW_KUBE_DEFAULT_TIMEOUT_MS;
    bool v6 = false;
    if (kw_kube_url_parse(cfg->api_server, c->host, sizeof(c->host), c->port, sizeof(c->port), err,
                          errlen) != 0 ||
        read_token(c, cfg->token_file, err, errlen) != 0 ||
        make_ctx(c, cfg->ca_file, err, errlen) != 0) {
        kw_kube_client_free(c);
        return NULL;
    }
    v6 = strchr(c->host, ':') != NULL;
    snprintf(c->host_header, sizeof(c->host_header), "%s%s%s%s%s", v6 ? "[" : "", c->host,
             v6 ? "]" : "", strcmp(c->port, "443") == 0 ? "" : ":",
             strcmp(c->port, "443") == 0 ? "" : c->port);
    return c;
}

void kw_kube_client_free(struct kw_kube_client *c)
{
    if (!c)
        return;
    free_secret(c->token, c->token_len);
    SSL_CTX_free(c->ctx);
    free(c);
}
