/* Certificates, renewed: whether `gen-certs --renew` must replace the
 * serving certificate held in a Secret (server/certs_renew.c). Pure: no
 * I/O, no clock (the time is a parameter), no globals. Reasons never contain
 * key material. */
#ifndef KW_CERTS_RENEW_H
#define KW_CERTS_RENEW_H

#include <stddef.h>
#include <time.h>

#define KW_RENEW_DEFAULT_BEFORE_DAYS 30

/* What the decision looks at; every pointer is borrowed, PEM text is
 * NUL-terminated, NULL stands for a key missing from its Secret. */
struct kw_renew_input {
    const char *tls_crt;       /* the serving Secret's tls.crt */
    const char *tls_key;       /* its tls.key (key material) */
    const char *secret_ca_crt; /* its ca.crt */
    const char *ca_crt;        /* the CA's certificate (the CA Secret's ca.crt) */
    const char *service;       /* the names the certificate must cover: */
    const char *namespace;     /* SERVICE.NAMESPACE.svc[.cluster.local] */
    time_t now;                /* the time of the run */
    int renew_before_days;     /* renew when it expires within this many days */
};

enum kw_renew_verdict {
    KW_RENEW_KEEP,   /* still valid: nothing to do */
    KW_RENEW_NEEDED, /* replace tls.crt and tls.key (and ca.crt) */
};

struct kw_renew_decision {
    enum kw_renew_verdict verdict;
    time_t not_after; /* of the current tls.crt; 0 when it has none */
    char reason[512]; /* "tls.crt expires on ..., within the 30 days before
                       * expiry", or "tls.crt is still valid until ..." */
};

/* Decides, in this order: tls.crt missing or unparsable, tls.key missing,
 * unparsable or not matching, tls.crt not signed by the CA, not yet valid,
 * expired or expiring within renew_before_days, its SANs not covering both
 * service names, ca.crt missing or not the CA's: each means renew, with its
 * reason; otherwise keep. Returns 0 with *out filled, or -1 with a message
 * in err when the decision cannot be made (the CA's certificate unreadable,
 * a required field missing). */
int kw_certs_renew_decide(const struct kw_renew_input *in, struct kw_renew_decision *out, char *err,
                          size_t errlen);

#endif
