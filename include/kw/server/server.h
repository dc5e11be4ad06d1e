/* The HTTPS server (`kopia-webhook serve`): listeners, TLS with certificate
 * reload, health, metrics, signals and the drain on SIGTERM. See
 * docs/operations.md for the listener layout, timeouts and signals.
 *
 * Configuration reload: the core's read-only kw_config lives in a
 * kw_config_holder. Each request acquires the current config (a reference
 * count taken under a short mutex) and releases it when its response is
 * queued; a reload builds a new config and swaps it in. The old config is
 * freed by whoever drops the last reference, so a request never sees a
 * config change under it and never sees a freed one. */
#ifndef KW_SERVER_H
#define KW_SERVER_H

#include <stddef.h>

#include "kw/kopia/config.h"

struct kw_server_options {
    const char *listen;        /* "127.0.0.1:8443", "0.0.0.0:8443", ":8443", "[::1]:8443" */
    const char *health_listen; /* plain HTTP for /healthz /readyz /metrics, e.g. "0.0.0.0:8080";
                                  NULL = serve them on the TLS listener only */
    const char *tls_cert, *tls_key, *client_ca; /* client_ca NULL = no client-cert verification */
    unsigned threads;                           /* 0 = number of usable cores */
    unsigned idle_timeout_s;    /* keep-alive idle, default 120 (the API server keeps idle
                                   connections 90 s) */
    unsigned request_timeout_s; /* a started request (or TLS handshake) that stalls, default 10 */
    size_t max_body_bytes;      /* default 4 MiB */
    /* The core's value limit (kw_config.max_request_values), a server
     * option so that a flag sets it and reloads keep it; copied into every
     * config the server builds. Default KW_DEFAULT_MAX_REQUEST_VALUES. */
    size_t max_request_values;
    /* The memory model (include/kw/server/budget.h): the container's memory
     * limit, and what is derived from it unless set (0 = derive). */
    size_t memory_limit;                  /* default 128 MiB, the Deployment's limit */
    size_t body_budget_bytes;             /* all buffered request bodies together */
    size_t request_memory;                /* one request's work in the core (its arena) */
    unsigned max_connections;             /* open connections of the webhook listener */
    unsigned max_connections_per_address; /* 0 (default) = half of max_connections */
    unsigned drain_s;                     /* SIGTERM drain period, default 10 */
    unsigned cert_poll_s;                 /* default 10; 0 = inotify and SIGHUP only */
};

#define KW_SERVER_DEFAULT_LISTEN "0.0.0.0:8443"
/* The API server sends at most 3 MiB (its request limit) and an UPDATE's
 * review carries object and oldObject, each at most 1.5 MiB (etcd's default
 * request limit), plus the envelope: 4 MiB holds the largest legitimate
 * review with room to spare (docs/operations.md, "Memory model"). */
#define KW_DEFAULT_MAX_BODY_BYTES        (4u * 1024u * 1024u)
#define KW_SERVER_DEFAULT_MEMORY_LIMIT   (128u * 1024u * 1024u)
#define KW_SERVER_DEFAULT_IDLE_TIMEOUT_S 120u
#define KW_SERVER_DEFAULT_REQ_TIMEOUT_S  10u
#define KW_SERVER_DEFAULT_DRAIN_S        10u
#define KW_SERVER_DEFAULT_CERT_POLL_S    10u

/* The defaults and checks come from the settings table (server/settings.c,
 * include/kw/server/settings.h), which holds every limit. */

/* Fills `o` with the defaults (listen KW_SERVER_DEFAULT_LISTEN, no health
 * listener, no files, threads 0, max body KW_DEFAULT_MAX_BODY_BYTES, the
 * other defaults above); its strings are literals. */
void kw_server_options_defaults(struct kw_server_options *o);

/* Checks option values (files named, addresses that parse, numbers within
 * the table's range: timeouts > 0, a body limit >= 1 KiB, ...). Returns 0, or
 * -1 with a message naming the flag in err ("--request-timeout: Invalid
 * value: 0: must be at least 1"). */
int kw_server_options_check(const struct kw_server_options *o, char *err, size_t errlen);

/* --- Configuration holder ------------------------------------------------ */

/* Frees a config the holder owns (NULL: the holder never frees it). */
typedef void (*kw_config_free_fn)(struct kw_config *cfg_owned, void *cls);
/* Builds a fresh config for a reload (e.g. re-reads the --config file);
 * returns NULL with a message in err when the new config is unusable, and the
 * current one stays. */
typedef struct kw_config *(*kw_config_load_fn)(void *cls, char *err, size_t errlen);

struct kw_config_holder;
struct kw_config_ref; /* one acquired reference */

/* A holder for `initial`. With `free_fn` the holder owns `initial` and every
 * config `load_fn` returns; `load_fn` NULL means reloads are not possible
 * (SIGHUP then only reloads certificates). `cls` is passed to both. NULL on
 * allocation failure. */
struct kw_config_holder *kw_config_holder_new(struct kw_config *initial, kw_config_free_fn free_fn,
                                              kw_config_load_fn load_fn, void *cls);
/* Frees the holder; every reference must have been released. */
void kw_config_holder_free(struct kw_config_holder *h);

/* The current config and a reference that keeps it alive until
 * kw_config_release(*ref_out). Never fails. */
const struct kw_config *kw_config_acquire(struct kw_config_holder *h,
                                          struct kw_config_ref **ref_out);
void kw_config_release(struct kw_config_ref *ref);

/* Swaps in `next` (ownership as for `initial`); the previous config is freed
 * once its last reference is released. Returns -1 only on allocation failure
 * (then `next` was not taken). */
int kw_config_holder_swap(struct kw_config_holder *h, struct kw_config *next);

/* Calls load_fn and swaps its result in. Returns 0, 1 when the holder has no
 * load_fn (nothing to do), or -1 with the loader's message in err. */
int kw_config_holder_reload(struct kw_config_holder *h, char *err, size_t errlen);

/* --- Running the server -------------------------------------------------- */

/* Runs until SIGTERM/SIGINT (then drains and returns 0) or a fatal start-up
 * error (returns -1 with a message in err). Each request reads the holder's
 * current config; SIGHUP reloads the certificates and the configuration
 * (kw_config_holder_reload). The holder is borrowed and must outlive the
 * call. The calling thread blocks SIGTERM, SIGINT and SIGHUP and receives
 * them through a signalfd, so call it before starting other threads. */
int kw_server_run(const struct kw_server_options *o, struct kw_config_holder *holder, char *err,
                  size_t errlen);

#endif
