/* Certificates, inspected: the checks of a certificate/key pair the server
 * runs at start and on every reload, and reading a client CA bundle
 * (server/certs_inspect.c). Making certificates (`gen-certs`) is
 * kw/server/certs_generate.h. OpenSSL API only; no globals, so every
 * function may run on any thread. Messages never contain key material. */
#ifndef KW_CERTS_H
#define KW_CERTS_H

#include <stddef.h>
#include <time.h>

struct kw_cert_info {
    time_t not_before, not_after; /* of the leaf certificate */
    char subject[256];            /* RFC 2253, "CN=kopia-webhook.kopia-webhook.svc" */
    char sans[1024];              /* "DNS:a, DNS:b, IP:127.0.0.1" (cut at an entry) */
    char fingerprint[96];         /* SHA-256 of the DER, "AB:CD:...", as openssl x509 */
};

/* Reads the certificate file (leaf first, then any chain) and the private
 * key file, checks that the key matches the leaf (public key equality) and
 * that `now` lies within notBefore..notAfter of every certificate in the
 * file. On success returns 0 and, for each non-NULL out pointer, the
 * chain re-encoded as PEM certificates (*cert_pem_out) and the key as PKCS#8
 * PEM (*key_pem_out), both malloc'd and NUL-terminated, ready for
 * libmicrohttpd; caller frees the certificate with free() and the key with
 * kw_certs_free_secret(). `info` may be NULL. On failure returns -1, sets no
 * out pointer, and writes a message naming the file into err
 * ("tls.key does not match tls.crt", "tls.crt expired on 2026-01-01T00:00:00Z",
 * "tls.crt: no certificate found"). Encrypted keys are refused (never prompts). */
int kw_cert_pair_load(const char *cert_path, const char *key_path, time_t now, char **cert_pem_out,
                      char **key_pem_out, struct kw_cert_info *info, char *err, size_t errlen);

/* Reads a PEM bundle of CA certificates for client-certificate verification.
 * Returns the certificates re-encoded as PEM (malloc'd, caller frees), or
 * NULL with a message naming the file in err. */
char *kw_ca_bundle_load(const char *path, char *err, size_t errlen);

/* Overwrites a NUL-terminated secret (a key PEM) with zeros, then frees it.
 * Accepts NULL. */
void kw_certs_free_secret(char *secret_owned);

#endif
