/* The serving certificate holder: the current certificate chain and key as
 * GnuTLS credentials, reference counted and swapped atomically when the
 * files change, so that a handshake in progress keeps the pair it selected
 * and a reload never drops a connection. Changes are noticed through
 * inotify on the files' directories (Kubernetes swaps a `..data` symlink in
 * a Secret volume), through polling, and on demand (SIGHUP). A pair that
 * fails the checks of kw_cert_pair_load (include/kw/server/certs.h) is logged and
 * counted, and the previous pair stays in service. */
#ifndef KW_TLS_H
#define KW_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct kw_metrics;
struct kw_tls;
struct kw_tls_pair;

/* Loads the first pair; fails (NULL, message in err) when it does not pass
 * the checks. Paths are copied. `metrics` (borrowed, may be NULL) receives
 * reload results and the certificate expiry. */
struct kw_tls *kw_tls_new(const char *cert_path, const char *key_path, struct kw_metrics *metrics,
                          char *err, size_t errlen);
/* Frees the holder; pairs still acquired stay valid until released. */
void kw_tls_free(struct kw_tls *t);

enum kw_tls_reload_result { KW_TLS_UNCHANGED, KW_TLS_RELOADED, KW_TLS_FAILED };

/* Reloads when the files differ (device, inode, size, mtime or ctime, after
 * following symlinks) from the last attempt, or always with `force`. A
 * failed pair is not retried until the files change again (or `force`). */
enum kw_tls_reload_result kw_tls_reload(struct kw_tls *t, bool force);

/* The current pair with one more reference; never NULL after kw_tls_new
 * succeeded. Release with kw_tls_pair_release. Thread-safe. */
struct kw_tls_pair *kw_tls_acquire(struct kw_tls *t);
void kw_tls_pair_release(struct kw_tls_pair *p);

/* The pair's credentials for gnutls_certificate_retrieve_function2: valid
 * while the caller holds its reference. */
void kw_tls_pair_credentials(struct kw_tls_pair *p, gnutls_pcert_st **pcerts, unsigned *npcerts,
                             gnutls_privkey_t *key);

/* notAfter of the current certificate. */
time_t kw_tls_not_after(struct kw_tls *t);

/* An inotify descriptor watching the directories of both files (owned by
 * the holder; -1 when inotify is unavailable, then polling alone is used).
 * Call kw_tls_watch_read when it is readable: returns true when an event may
 * concern the files (the caller then reloads, after a short quiet period). */
int kw_tls_watch_fd(struct kw_tls *t);
bool kw_tls_watch_read(struct kw_tls *t);

#endif
