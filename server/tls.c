/* The serving certificate holder (include/kw/server/tls.h): loading a pair through
 * kw_cert_pair_load, converting it to GnuTLS credentials once, reference
 * counting, the atomic swap, change detection by stat signature and the
 * inotify watch of the files' directories. */
#include "kw/server/tls.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kw/server/certs.h"
#include "kw/server/log.h"
#include "kw/server/metrics.h"

#define MAX_CHAIN 16

struct kw_tls_pair {
    atomic_uint refs;
    gnutls_pcert_st pcerts[MAX_CHAIN];
    unsigned npcerts;
    gnutls_privkey_t key;
    struct kw_cert_info info;
};

/* What the files looked like at the last load attempt. */
struct file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    bool present;
};

struct kw_tls {
    char *cert_path, *key_path;
    struct kw_metrics *metrics;
    pthread_mutex_t lock; /* guards `current` for acquire/swap */
    struct kw_tls_pair *current;
    struct file_sig cert_sig, key_sig; /* of the last attempt (reload thread only) */
    int inotify_fd;
};

static void pair_free(struct kw_tls_pair *p)
{
    for (unsigned i = 0; i < p->npcerts; i++)
        gnutls_pcert_deinit(&p->pcerts[i]);
    if (p->key)
        gnutls_privkey_deinit(p->key);
    free(p);
}

void kw_tls_pair_release(struct kw_tls_pair *p)
{
    if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        pair_free(p);
}

/* Turns checked PEM text into GnuTLS credentials. */
static struct kw_tls_pair *pair_from_pem(const char *cert_pem, const char *key_pem, char *err,
                                         size_t errlen)
{
    struct kw_tls_pair *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&p->refs, 1);
    gnutls_datum_t cert = {(unsigned char *)cert_pem, (unsigned)strlen(cert_pem)};
    p->npcerts = MAX_CHAIN;
    int rc =
        gnutls_pcert_list_import_x509_raw(p->pcerts, &p->npcerts, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        snprintf(err, errlen, "certificate chain: %s", gnutls_strerror(rc));
        p->npcerts = 0;
        pair_free(p);
        return NULL;
    }
    gnutls_datum_t key = {(unsigned char *)key_pem, (unsigned)strlen(key_pem)};
    rc = gnutls_privkey_init(&p->key);
    if (rc >= 0)
        rc = gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        snprintf(err, errlen, "private key: %s", gnutls_strerror(rc));
        pair_free(p);
        return NULL;
    }
    return p;
}

static struct kw_tls_pair *pair_load(const struct kw_tls *t, char *err, size_t errlen)
{
    char *cert_pem = NULL, *key_pem = NULL;
    struct kw_cert_info info;
    if (kw_cert_pair_load(t->cert_path, t->key_path, time(NULL), &cert_pem, &key_pem, &info, err,
                          errlen) != 0)
        return NULL;
    struct kw_tls_pair *p = pair_from_pem(cert_pem, key_pem, err, errlen);
    free(cert_pem);
    kw_certs_free_secret(key_pem);
    if (p)
        p->info = info;
    return p;
}

static void sig_of(const char *path, struct file_sig *s)
{
    struct stat st;
    memset(s, 0, sizeof(*s));
    if (stat(path, &st) != 0)
        return;
    s->present = true;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    s->ctime = st.st_ctim;
}

static bool sig_equal(const struct file_sig *a, const struct file_sig *b)
{
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void log_pair(const char *msg, const struct kw_tls *t, const struct kw_tls_pair *p)
{
    char expiry[32];
    struct tm tm;
    gmtime_r(&p->info.not_after, &tm);
    strftime(expiry, sizeof(expiry), "%Y-%m-%dT%H:%M:%SZ", &tm);
    kw_log(KW_LOG_INFO, msg, KW_LS("cert", t->cert_path), KW_LS("subject", p->info.subject),
           KW_LS("sans", p->info.sans), KW_LS("notAfter", expiry),
           KW_LS("fingerprint", p->info.fingerprint), KW_LEND);
}

static void add_watch(struct kw_tls *t, const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_DELETE |
                          IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
    if (inotify_add_watch(t->inotify_fd, dirname(copy), mask) < 0)
        kw_log(KW_LOG_WARN, "cannot watch the certificate directory; polling only",
               KW_LS("path", path), KW_LS("error", strerror(errno)), KW_LEND);
    free(copy);
}

static void watch_files(struct kw_tls *t)
{
    add_watch(t, t->cert_path);
    add_watch(t, t->key_path); /* the same directory is one watch */
}

struct kw_tls *kw_tls_new(const char *cert_path, const char *key_path, struct kw_metrics *metrics,
                          char *err, size_t errlen)
{
    struct kw_tls *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->inotify_fd = -1;
    t->metrics = metrics;
    t->cert_path = strdup(cert_path);
    t->key_path = strdup(key_path);
    if (!t->cert_path || !t->key_path || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->cert_path);
        free(t->key_path);
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sig_of(cert_path, &t->cert_sig);
    sig_of(key_path, &t->key_sig);
    t->current = pair_load(t, err, errlen);
    if (!t->current) {
        kw_tls_free(t);
        return NULL;
    }
    if (metrics)
        kw_metrics_set_cert_expiry(metrics, t->current->info.not_after);
    log_pair("certificate loaded", t, t->current);
    t->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (t->inotify_fd >= 0)
        watch_files(t);
    else
        kw_log(KW_LOG_WARN, "inotify unavailable; polling only", KW_LS("error", strerror(errno)),
               KW_LEND);
    return t;
}

void kw_tls_free(struct kw_tls *t)
{
    if (!t)
        return;
    if (t->inotify_fd >= 0)
        close(t->inotify_fd);
    kw_tls_pair_release(t->current);
    pthread_mutex_destroy(&t->lock);
    free(t->cert_path);
    free(t->key_path);
    free(t);
}

struct kw_tls_pair *kw_tls_acquire(struct kw_tls *t)
{
    pthread_mutex_lock(&t->lock);
    struct kw_tls_pair *p = t->current;
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&t->lock);
    return p;
}

void kw_tls_pair_credentials(struct kw_tls_pair *p, gnutls_pcert_st **pcerts, unsigned *npcerts,
                             gnutls_privkey_t *key)
{
    *pcerts = p->pcerts;
    *npcerts = p->npcerts;
    *key = p->key;
}

enum kw_tls_reload_result kw_tls_reload(struct kw_tls *t, bool force)
{
    struct file_sig cert_sig, key_sig;
    sig_of(t->cert_path, &cert_sig);
    sig_of(t->key_path, &key_sig);
    if (!force && sig_equal(&cert_sig, &t->cert_sig) && sig_equal(&key_sig, &t->key_sig))
        return KW_TLS_UNCHANGED;
    t->cert_sig = cert_sig;
    t->key_sig = key_sig;

    char err[512];
    struct kw_tls_pair *p = pair_load(t, err, sizeof(err));
    if (!p) {
        kw_log(KW_LOG_ERROR, "certificate reload failed; keeping the current certificate",
               KW_LS("cert", t->cert_path), KW_LS("key", t->key_path), KW_LS("error", err),
               KW_LEND);
        if (t->metrics)
            kw_metrics_tls_reload(t->metrics, false);
        return KW_TLS_FAILED;
    }
    pthread_mutex_lock(&t->lock);
    struct kw_tls_pair *old = t->current;
    t->current = p;
    pthread_mutex_unlock(&t->lock);
    kw_tls_pair_release(old);
    if (t->metrics) {
        kw_metrics_tls_reload(t->metrics, true);
        kw_metrics_set_cert_expiry(t->metrics, p->info.not_after);
    }
    log_pair("certificate reloaded", t, p);
    return KW_TLS_RELOADED;
}

time_t kw_tls_not_after(struct kw_tls *t)
{
    struct kw_tls_pair *p = kw_tls_acquire(t);
    time_t v = p->info.not_after;
    kw_tls_pair_release(p);
    return v;
}

int kw_tls_watch_fd(struct kw_tls *t)
{
    return t->inotify_fd;
}

bool kw_tls_watch_read(struct kw_tls *t)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false, lost_watch = false;
    for (;;) {
        ssize_t n = read(t->inotify_fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (char *at = buf; at < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)at;
            if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
                lost_watch = true;
            any = true;
            at += sizeof(*ev) + ev->len;
        }
    }
    if (lost_watch)
        watch_files(t); /* the directory was replaced; watch the new one */
    return any;
}
