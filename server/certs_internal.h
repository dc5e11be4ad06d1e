/* The certificates module's internals shared by its two halves:
 * certs_inspect.c defines them, certs_generate.c and certs_renew.c use them
 * too (to word their messages alike and to read and check a CA). Private to server/;
 * the interfaces are include/kw/server/certs.h and certs_generate.h. */
#ifndef KW_SERVER_CERTS_INTERNAL_H
#define KW_SERVER_CERTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Writes the message into err (when given), clears OpenSSL's error queue of
 * this thread and returns -1. */
int kw_certs_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The reason of OpenSSL's most recent error, for a message tail (static
 * storage). */
const char *kw_certs_ssl_reason(void);
/* strerror_r of e; the text is in buf or static storage. */
const char *kw_certs_errno_text(int e, char *buf, size_t len);
/* "2026-01-01T00:00:00Z" */
void kw_certs_format_utc(time_t t, char *buf, size_t len);
/* An ASN.1 time as seconds since the epoch; 0, or -1 when unreadable. */
int kw_certs_asn1_to_time(const ASN1_TIME *t, time_t *out);

/* PEM of one certificate, and PKCS#8 PEM of a private key; malloc'd (the key
 * with kw_certs_free_secret), NULL when out of memory. */
char *kw_certs_cert_to_pem(X509 *cert);
char *kw_certs_key_to_pem(EVP_PKEY *key);

/* A certificate chain and its leaf's private key, read and checked. */
struct kw_certs_pair {
    STACK_OF(X509) * chain;
    EVP_PKEY *key;
};

/* Reads and checks a pair as kw_cert_pair_load does (same messages). On
 * success fills *p (free with kw_certs_pair_free); on failure returns -1
 * and leaves nothing to free. */
int kw_certs_pair_read(const char *cert_path, const char *key_path, time_t now,
                       struct kw_certs_pair *p, char *err, size_t errlen);
void kw_certs_pair_free(struct kw_certs_pair *p);
/* The same checks on PEM text in memory; cert_name and key_name stand for
 * the file names in messages ("kopia-webhook/kopia-webhook-ca: ca.key"). */
int kw_certs_pair_parse(const char *cert_buf, size_t cert_len, const char *cert_name,
                        const char *key_buf, size_t key_len, const char *key_name, time_t now,
                        struct kw_certs_pair *p, char *err, size_t errlen);

/* Every CERTIFICATE block of a PEM buffer, in order (free with
 * sk_X509_pop_free(.., X509_free)); NULL with a message naming `name`. */
STACK_OF(X509) *
    kw_certs_parse_chain(const char *buf, size_t len, const char *name, char *err, size_t errlen);
/* An unencrypted private key from PEM (never prompts); NULL with a message. */
EVP_PKEY *kw_certs_parse_key(const char *buf, size_t len, const char *name, char *err,
                             size_t errlen);
/* Whether `key` is the private key of cert's public key. */
bool kw_certs_key_matches(X509 *cert, EVP_PKEY *key);

#endif
