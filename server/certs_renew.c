/* Certificates, renewed (see include/kw/server/certs_renew.h): the pure
 * decision whether the serving certificate in a Secret must be replaced,
 * with the reason. Parsing and checks through OpenSSL and the inspecting
 * half's helpers (certs_internal.h); no I/O, no clock. */
#include "kw/server/certs_renew.h"
#include "certs_internal.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAY_SEC 86400

__attribute__((format(printf, 3, 4))) static int
verdict(struct kw_renew_decision *out, enum kw_renew_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
    out->verdict = v;
    ERR_clear_error();
    return 0;
}

/* The first certificate of a PEM text, or NULL (why in msg). */
static X509 *first_cert(const char *pem, const char *name, char *msg, size_t msglen)
{
    STACK_OF(X509) *chain = kw_certs_parse_chain(pem, strlen(pem), name, msg, msglen);
    if (!chain)
        return NULL;
    X509 *x = sk_X509_shift(chain);
    sk_X509_pop_free(chain, X509_free);
    return x;
}

static bool signed_by(X509 *leaf, X509 *ca)
{
    EVP_PKEY *pub = X509_get0_pubkey(ca);
    bool ok = pub && X509_check_issued(ca, leaf) == X509_V_OK && X509_verify(leaf, pub) == 1;
    ERR_clear_error();
    return ok;
}

static bool covers(X509 *leaf, const char *host)
{
    return X509_check_host(leaf, host, 0,
                           X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS,
                           NULL) == 1;
}

/* The checks on the validity period and the names, once the pair is known
 * to be a readable, matching pair signed by the CA. */
static int decide_dates_and_names(const struct kw_renew_input *in, X509 *leaf, X509 *ca,
                                  struct kw_renew_decision *out)
{
    time_t nb, na;
    char when[64];
    if (kw_certs_asn1_to_time(X509_get0_notBefore(leaf), &nb) != 0 ||
        kw_certs_asn1_to_time(X509_get0_notAfter(leaf), &na) != 0)
        return verdict(out, KW_RENEW_NEEDED, "tls.crt has unreadable validity dates");
    out->not_after = na;
    kw_certs_format_utc(na, when, sizeof(when));
    if (in->now < nb) {
        kw_certs_format_utc(nb, when, sizeof(when));
        return verdict(out, KW_RENEW_NEEDED, "tls.crt is not valid before %s", when);
    }
    if (in->now > na)
        return verdict(out, KW_RENEW_NEEDED, "tls.crt expired on %s", when);
    if (na - in->now <= (time_t)in->renew_before_days * DAY_SEC)
        return verdict(out, KW_RENEW_NEEDED,
                       "tls.crt expires on %s, within the %d days before expiry", when,
                       in->renew_before_days);
    char svc[160], svc_local[180];
    snprintf(svc, sizeof(svc), "%s.%s.svc", in->service, in->namespace);
    snprintf(svc_local, sizeof(svc_local), "%s.cluster.local", svc);
    if (!covers(leaf, svc))
        return verdict(out, KW_RENEW_NEEDED, "tls.crt does not cover %s", svc);
    if (!covers(leaf, svc_local))
        return verdict(out, KW_RENEW_NEEDED, "tls.crt does not cover %s", svc_local);
    if (!in->secret_ca_crt)
        return verdict(out, KW_RENEW_NEEDED, "ca.crt is missing");
    char msg[256];
    X509 *secret_ca = first_cert(in->secret_ca_crt, "ca.crt", msg, sizeof(msg));
    bool same = secret_ca && X509_cmp(secret_ca, ca) == 0;
    X509_free(secret_ca);
    if (!same)
        return verdict(out, KW_RENEW_NEEDED, "ca.crt is not the CA's certificate");
    return verdict(out, KW_RENEW_KEEP, "tls.crt is still valid until %s", when);
}

/* With the CA's certificate read: everything about the serving pair. */
static int decide_pair(const struct kw_renew_input *in, X509 *ca, struct kw_renew_decision *out)
{
    char msg[400];
    if (!in->tls_crt)
        return verdict(out, KW_RENEW_NEEDED, "tls.crt is missing");
    X509 *leaf = first_cert(in->tls_crt, "tls.crt", msg, sizeof(msg));
    if (!leaf)
        return verdict(out, KW_RENEW_NEEDED, "tls.crt is unparsable (%s)", msg);
    int rc;
    EVP_PKEY *key = NULL;
    if (!in->tls_key)
        rc = verdict(out, KW_RENEW_NEEDED, "tls.key is missing");
    else if (!(key = kw_certs_parse_key(in->tls_key, strlen(in->tls_key), "tls.key", msg,
                                        sizeof(msg))))
        rc = verdict(out, KW_RENEW_NEEDED, "tls.key is unparsable (%s)", msg);
    else if (!kw_certs_key_matches(leaf, key))
        rc = verdict(out, KW_RENEW_NEEDED, "tls.key does not match tls.crt");
    else if (!signed_by(leaf, ca))
        rc = verdict(out, KW_RENEW_NEEDED, "tls.crt is not signed by the CA");
    else
        rc = decide_dates_and_names(in, leaf, ca, out);
    EVP_PKEY_free(key);
    X509_free(leaf);
    return rc;
}

int kw_certs_renew_decide(const struct kw_renew_input *in, struct kw_renew_decision *out, char *err,
                          size_t errlen)
{
    if (!in || !out)
        return kw_certs_fail(err, errlen, "no input");
    memset(out, 0, sizeof(*out));
    if (!in->service || !in->namespace)
        return kw_certs_fail(err, errlen, "the service and namespace are required");
    if (in->renew_before_days < 0)
        return kw_certs_fail(err, errlen, "--renew-before: Invalid value: %d: must be 0 or more",
                             in->renew_before_days);
    if (!in->ca_crt)
        return kw_certs_fail(err, errlen, "the CA's ca.crt is missing");
    char msg[400];
    X509 *ca = first_cert(in->ca_crt, "the CA's ca.crt", msg, sizeof(msg));
    if (!ca)
        return kw_certs_fail(err, errlen, "%s", msg);
    int rc = decide_pair(in, ca, out);
    X509_free(ca);
    return rc;
}
