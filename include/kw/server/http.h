/* One libmicrohttpd listener of the server: the TLS webhook listener
 * (/validate, /mutate, and the health paths) or the plain-HTTP health
 * listener (/healthz, /readyz, /metrics). Routing, body handling, transport
 * errors, per-connection timeouts and the whole-request deadline, the
 * connection cap with its eviction order and the per-address limit, the TLS
 * certificate callback and client-certificate verification live here; kw_server_run
 * (server/serve.c) owns the process-wide parts: signals, reloads and the drain. */
#ifndef KW_HTTP_H
#define KW_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/server/server.h"

struct kw_metrics;
struct kw_tls;

/* Shared between both listeners and the run loop. */
struct kw_http_state {
    atomic_bool draining;  /* SIGTERM received: /readyz fails, responses close */
    atomic_bool listening; /* the webhook listener accepts connections */
    struct kw_tls *tls;    /* for /readyz: a valid certificate is loaded */
};

struct kw_http_params {
    const struct kw_server_options *opts; /* borrowed, outlives the listener */
    struct kw_config_holder *config;      /* borrowed; NULL on the health listener */
    struct kw_tls *tls;                   /* borrowed; NULL = plain HTTP */
    const char *client_ca_pem;            /* borrowed; NULL = no client certificates */
    struct kw_metrics *metrics;           /* borrowed */
    struct kw_http_state *state;          /* borrowed */
    int listen_fd;                        /* stolen: closed by kw_http_stop */
    bool webhooks;                        /* serve /validate and /mutate */
    unsigned threads;                     /* worker threads (>= 1) */
    /* From the memory model (include/kw/server/budget.h): */
    unsigned max_connections;             /* open connections at most (>= 1); past 97% of
                                             it, idle and slow ones are closed first */
    unsigned max_connections_per_address; /* 0 = half of max_connections */
    size_t body_budget;    /* bytes of request bodies buffered at once; 0 = no budget */
    size_t body_reserve;   /* the part of it only bodies <= KW_SMALL_BODY_BYTES may use */
    size_t request_memory; /* each request's arena budget (kw_handle's jansson memory) */
};

/* Bytes libmicrohttpd reserves per connection for the request line, the
 * headers and the read buffer (MHD_OPTION_CONNECTION_MEMORY_LIMIT): request
 * headers up to about 7 KiB in all are served, larger ones get 431 (the API
 * server sends a few hundred bytes). Bodies stream through the read buffer
 * into the request's own buffer, as fast as with the library's 32 KiB
 * default. See docs/operations.md for the measured cost per connection. */
#define KW_CONNECTION_MEMORY_BYTES (8u * 1024u)

/* The listener's GnuTLS priorities (also used by bench/bare_server.c): TLS
 * 1.2 and 1.3 only, AEAD ciphers with forward secrecy. The client's group
 * preference is kept (no %SERVER_PRECEDENCE), so a client that sends an
 * X25519 key share gets no extra HelloRetryRequest round trip. */
#define KW_TLS_PRIORITIES                                                                          \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"            \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

struct kw_http;

/* The connections one client address may hold: max_connections_per_address,
 * or half of max_connections when that is 0 (at least 1). */
unsigned kw_http_per_address_limit(const struct kw_http_params *p);

/* Makes libmicrohttpd's fatal errors ("panics") go to the log, with the
 * library's source file, line and reason, before the process aborts (its
 * default handler may say nothing). kw_http_start calls it; it is also
 * usable on its own. */
void kw_http_install_panic_handler(void);

/* Starts the listener's threads. NULL with a message in err on failure
 * (the process is expected to exit then). */
struct kw_http *kw_http_start(const struct kw_http_params *p, char *err, size_t errlen);

/* Stops taking connections: from now on a connection is closed as soon as
 * it is accepted, before its TLS handshake (the listen socket itself stays
 * open until kw_http_stop); open connections are served on. */
void kw_http_quiesce(struct kw_http *h);

/* Work the drain waits for: requests whose request line arrived and whose
 * response is not yet sent, plus connections accepted that have not sent a
 * request line yet (a client that just connected is about to send one; such
 * connections are cut after the request timeout). */
unsigned kw_http_busy(struct kw_http *h);

/* Stops the threads, closes every connection and frees the listener. */
void kw_http_stop(struct kw_http *h);

#endif
