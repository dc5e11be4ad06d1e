/* Integration-test support: runs the real `kopia-webhook serve` ($KW_BINARY,
 * optionally under $KW_SERVER_WRAPPER, e.g. valgrind) on free ports of
 * 127.0.0.1 with fresh certificates, and talks to it with libcurl, with a
 * raw OpenSSL client (for what curl hides: TLS versions, partial requests,
 * the served certificate), and parses its /metrics text. Every wait is
 * bounded; bounds grow with kwt_time_scale() under a wrapper. */
#ifndef KWTEST_H
#define KWTEST_H

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct kw_tls;

/* 1, or $KW_TEST_TIME_SCALE, or 20 when $KW_SERVER_WRAPPER is set. */
int kwt_time_scale(void);
long long kwt_now_ms(void);
void kwt_sleep_ms(long long ms);

/* --- The server process -------------------------------------------------- */

struct kwt_server {
    pid_t pid;
    int exit_status; /* after kwt_server_wait: exit code, 128+signal, or -1 */
    char dir[128];   /* temporary directory, removed by kwt_server_cleanup */
    char certs[160]; /* dir/certs: ca.crt, ca.key, tls.crt, tls.key */
    char log[160];   /* the server's stderr */
    int port;        /* HTTPS webhook listener */
    int health_port; /* plain-HTTP health listener */
};

/* Generates certificates into a new temporary directory (SANs include
 * 127.0.0.1) and starts the server with --listen 127.0.0.1:0
 * --health-listen 127.0.0.1:0 --threads 2 --drain-seconds 0 plus `extra_args`
 * (NULL-terminated, may be NULL; later flags win); waits until it logs
 * "ready". Returns 0, or -1 with the reason
 * and the server's log on stderr. */
int kwt_server_start(struct kwt_server *s, const char *const *extra_args);
/* As kwt_server_start, with the certificate directory prepared by the caller
 * (`s->dir` and `s->certs` set, files present). */
int kwt_server_start_prepared(struct kwt_server *s, const char *const *extra_args);
/* Makes the temporary directory and certificates only. */
int kwt_server_prepare(struct kwt_server *s);

int kwt_server_signal(struct kwt_server *s, int sig);
/* Waits for the process to end; returns its exit status (see exit_status)
 * or -2 on timeout. */
int kwt_server_wait(struct kwt_server *s, long long timeout_ms);
/* SIGTERM, wait, and return the exit status. */
int kwt_server_stop(struct kwt_server *s);
/* The end of a test suite: stops the server with SIGTERM, expects exit
 * status 0 and no sanitizer report in its log, and removes its directory. */
void kwt_server_finish(struct kwt_server *s);
/* Kills a process still running and removes the temporary directory. */
void kwt_server_cleanup(struct kwt_server *s);

/* A test suite's set-up and tear-down around one shared server and one
 * kept-alive curl handle: start with `extra_args` (as kwt_server_start) and
 * fail the suite if it does not start; stop with kwt_server_finish. */
void kwt_suite_start(struct kwt_server *s, CURL **curl, const char *const *extra_args);
void kwt_suite_stop(struct kwt_server *s, CURL **curl);

/* True when the server's log contains `needle`. */
bool kwt_log_contains(const struct kwt_server *s, const char *needle);
/* Prints sanitizer reports found in the server's log to stderr; returns
 * their number. */
int kwt_log_sanitizer_reports(const struct kwt_server *s);

/* Rewrites tls.crt/tls.key with a new serving certificate from the same CA. */
int kwt_rotate_certificate(const char *certs_dir);
/* Replaces tls.crt/tls.key with a certificate from the directory's CA
 * (ca.crt, ca.key) that expires `seconds` from now. */
int kwt_write_short_lived_certificate(const char *certs_dir, long seconds);
/* SHA-256 fingerprint ("AB:CD:...") of the certificate in a PEM file. */
int kwt_file_fingerprint(const char *cert_path, char *buf, size_t buflen);
/* The same fingerprint of the leaf certificate a serving certificate holder
 * (kw/server/tls.h; borrowed) currently hands to GnuTLS; "" if it has none. */
void kwt_tls_holder_fingerprint(struct kw_tls *t, char *buf, size_t buflen);

/* --- libcurl ------------------------------------------------------------- */

struct kwt_response {
    long status;
    char *body; /* NUL-terminated; kwt_response_free */
    size_t len;
    char headers[4096];
    long new_connections; /* CURLINFO_NUM_CONNECTS */
    CURLcode rc;
};

/* A handle that trusts the server's CA, with a bounded timeout; reuse it
 * across requests for keep-alive. curl_easy_cleanup when done. */
CURL *kwt_curl(const struct kwt_server *s);
/* POSTs `body` to https://127.0.0.1:PORT`path` with `content_type` (NULL =
 * no Content-Type header). Returns the CURLcode (also in out->rc). */
CURLcode kwt_post(CURL *h, const struct kwt_server *s, const char *path, const char *content_type,
                  const char *body, size_t len, struct kwt_response *out);
/* GET on the TLS listener (`tls`) or the health listener. */
CURLcode kwt_get(CURL *h, const struct kwt_server *s, bool tls, const char *path,
                 struct kwt_response *out);
/* Any method, no body. */
CURLcode kwt_request(CURL *h, const struct kwt_server *s, const char *method, const char *path,
                     struct kwt_response *out);
void kwt_response_free(struct kwt_response *r);
/* The value of a response header (case-insensitive name), or "" . */
void kwt_header(const struct kwt_response *r, const char *name, char *buf, size_t buflen);

/* Reviews for the tests. `kind`: "ReplicationSource" with no mover (denied)
 * or "ConfigMap" (allowed). malloc'd. */
char *kwt_review(const char *api_version, const char *uid, const char *kind);

/* --- Raw TLS client (OpenSSL) -------------------------------------------- */

struct kwt_tls {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    unsigned long error; /* first OpenSSL error of a failed handshake */
};

/* Connects and completes a handshake with versions min..max (TLS1_VERSION
 * ...; 0 = library default), trusting `ca_file` (NULL = no verification),
 * presenting `cert_file`/`key_file` when not NULL. Returns 0 or -1 (then
 * t->error holds the OpenSSL error code; the struct needs no cleanup). */
int kwt_tls_connect(struct kwt_tls *t, int port, int min_version, int max_version,
                    const char *ca_file, const char *cert_file, const char *key_file);
int kwt_tls_write(struct kwt_tls *t, const void *buf, size_t len);
/* Reads one HTTP response (headers and Content-Length body) into buf;
 * returns its length, 0 when the peer closed first, -1 on error/timeout. */
long kwt_tls_read_response(struct kwt_tls *t, char *buf, size_t cap, long long timeout_ms);
/* Waits until the peer closes the connection; returns the milliseconds it
 * took, or -1 if it stayed open for timeout_ms. */
long long kwt_tls_wait_closed(struct kwt_tls *t, long long timeout_ms);
void kwt_tls_fingerprint(struct kwt_tls *t, char *buf, size_t buflen);
void kwt_tls_close(struct kwt_tls *t);
/* Connects (as kwt_tls_connect with defaults) and sends the headers of a
 * chunked POST to /validate; 0 or -1. */
int kwt_tls_start_chunked(struct kwt_tls *t, int port);
/* Sends one chunk of KWT_SPACES_CHUNK spaces; 0, or -1 once the server has
 * closed the connection. */
#define KWT_SPACES_CHUNK 65536
int kwt_tls_write_spaces_chunk(struct kwt_tls *t);
/* A plain TCP connection to 127.0.0.1:port, or -1. */
int kwt_tcp_connect(int port);

/* --- Files of the source tree -------------------------------------------- */

/* The contents of $KW_SOURCE_DIR/`rel`, malloc'd and NUL-terminated (the
 * length, without the NUL, in *len unless len is NULL); a missing file fails
 * the test. */
char *kwt_read_source(const char *rel, size_t *len);

/* Removes dir and everything below it (symbolic links not followed). */
void kwt_remove_tree(const char *dir);

/* --- Child processes ------------------------------------------------------ */

/* Runs fn(arg) in a forked child whose stderr goes to `out` (NUL-terminated,
 * at most cap - 1 bytes kept); the child exits 0 if fn returns. Returns the
 * child's wait status (WIFSIGNALED/WTERMSIG tell an abort), or -1. */
int kwt_run_child(void (*fn)(void *), void *arg, char *out, size_t cap);

/* --- Memory and latency ------------------------------------------------ */

/* False under a wrapper (valgrind) or in a sanitizer build, where the
 * server's resident memory says nothing about the product's. */
bool kwt_memory_measurable(void);
/* True in an AddressSanitizer build (of the tests, thus of the server). */
bool kwt_sanitized(void);
/* A "VmRSS"/"VmHWM"/... line of /proc/PID/status in KiB, or -1. */
long kwt_proc_status_kib(pid_t pid, const char *field);
/* POSTs one small allowed review to /validate on a new connection (TLS
 * handshake included); returns the milliseconds it took and sets *status
 * (-1 when no answer came). */
long long kwt_legit_review_ms(const struct kwt_server *s, long *status);

/* --- Prometheus text format ---------------------------------------------- */

struct kwt_sample {
    char name[128];
    char *labels[16][2]; /* key, unescaped value; malloc'd */
    int nlabels;
    double value;
};

struct kwt_metrics {
    struct kwt_sample *samples;
    size_t n;
};

/* Parses exposition text strictly: HELP/TYPE lines before their samples,
 * known types, label syntax and escapes, numeric values, histogram buckets
 * cumulative with _count equal to the +Inf bucket. Returns 0, or -1 with
 * the line and reason in err. */
int kwt_metrics_parse(const char *text, struct kwt_metrics *m, char *err, size_t errlen);
void kwt_metrics_free(struct kwt_metrics *m);
/* The value of the one sample named `name` whose labels include the given
 * "key=value" pairs (NULL-terminated list); NAN if none or several match. */
double kwt_metric(const struct kwt_metrics *m, const char *name, ...);
/* Fetches /metrics from the health listener and parses it; 0 or -1. */
int kwt_scrape(const struct kwt_server *s, struct kwt_metrics *m, char *err, size_t errlen);
/* One sample from a fresh scrape (a failed scrape fails the test): `name`
 * with at most one label ("key=value", or NULL); NAN if none or several. */
double kwt_scrape_metric(const struct kwt_server *s, const char *name, const char *label);

#endif
