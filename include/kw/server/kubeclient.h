/* A minimal Kubernetes API client (server/kubeclient.c): one HTTPS request
 * per connection (HTTP/1.1, `Connection: close`) on OpenSSL, TLS 1.2 or
 * newer, the API server verified against a CA file and by its host name or
 * IP address, a bearer token, a bound on the response size and a deadline
 * on each request. For `gen-certs --renew`; no libcurl. The token and the
 * bodies (which may hold Secret data) are never logged, and are wiped
 * before they are freed. */
#ifndef KW_KUBECLIENT_H
#define KW_KUBECLIENT_H

#include <stddef.h>

#define KW_KUBE_MAX_RESPONSE       (1024 * 1024) /* body bytes */
#define KW_KUBE_MAX_HEADER         (64 * 1024)   /* status line and headers */
#define KW_KUBE_DEFAULT_TIMEOUT_MS 10000

/* A parsed response. body is malloc'd and NUL-terminated (body_len bytes
 * before the NUL); free with kw_http_response_free, which wipes it. */
struct kw_http_response {
    int status;      /* 200, 404, ... */
    char reason[64]; /* "OK", "Not Found" (cut, printable ASCII only) */
    char *body;
    size_t body_len;
};

/* Parses one complete HTTP/1.x response as read up to the end of the
 * connection: status line, headers, then a body framed by
 * `Transfer-Encoding: chunked`, by `Content-Length`, or by the end of the
 * input. Refuses a malformed status line or header block, a truncated body
 * or chunk, and a body larger than max_body. Returns 0 with *out filled, or
 * -1 with a message in err and nothing to free. Pure (no I/O). */
int kw_http_response_parse(const char *buf, size_t len, size_t max_body,
                           struct kw_http_response *out, char *err, size_t errlen);
void kw_http_response_free(struct kw_http_response *r);

/* Splits "https://HOST[:PORT][/]" (HOST a name, an IPv4 address or a
 * bracketed IPv6 address; PORT 443 when absent) into host (no brackets) and
 * port. Returns 0, or -1 with a message. Only https is accepted. */
int kw_kube_url_parse(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                      char *err, size_t errlen);

/* Where and how to reach the API server; every pointer is borrowed. */
struct kw_kube_config {
    const char *api_server; /* "https://10.96.0.1:443" */
    const char *token_file; /* the bearer token (a service account's) */
    const char *ca_file;    /* PEM bundle the API server's certificate must chain to */
    int timeout_ms;         /* for each request (connect to last byte); 0: default */
};

struct kw_kube_client;

/* Reads the token and the CA file and prepares the TLS context; NULL with a
 * message naming the file on failure. */
struct kw_kube_client *kw_kube_client_new(const struct kw_kube_config *cfg, char *err,
                                          size_t errlen);
void kw_kube_client_free(struct kw_kube_client *c);

/* Sends `method path` with the bearer token and, when body is not NULL, that
 * JSON body; reads and parses the whole response into *out (any status: the
 * caller judges it). Returns 0, or -1 with a message in err (connection,
 * TLS verification, timeout, malformed or oversized response). */
int kw_kube_request(struct kw_kube_client *c, const char *method, const char *path,
                    const char *body, struct kw_http_response *out, char *err, size_t errlen);

/* The `message` of a Kubernetes Status object in a response body, copied
 * into buf (printable ASCII, cut to fit); "" when the body is not one. */
void kw_kube_status_message(const struct kw_http_response *r, char *buf, size_t buflen);

#endif
