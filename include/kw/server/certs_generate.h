/* Certificates, generated: `kopia-webhook gen-certs` makes a CA and a
 * serving certificate for clusters without cert-manager
 * (server/certs_generate.c). OpenSSL API only; no globals. Messages never
 * contain key material. */
#ifndef KW_CERTS_GENERATE_H
#define KW_CERTS_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define KW_CERTS_DEFAULT_DAYS 365
#define KW_CERTS_MAX_DAYS     3650 /* the CA's own lifetime */
#define KW_CERTS_MAX_HOSTS    100

/* Options of `gen-certs`; every pointer is borrowed for the call. */
struct kw_gencerts_opts {
    const char *service;            /* Service name, a DNS-1123 label */
    const char *namespace;          /* its namespace, a DNS-1123 label */
    const char *out_dir;            /* created (mode 0700, parents too) when missing */
    const char *const *extra_hosts; /* extra SANs: IPv4/IPv6 -> IP, else DNS */
    size_t n_extra_hosts;
    int days;   /* serving certificate validity; 0 means KW_CERTS_DEFAULT_DAYS */
    bool force; /* replace an existing tls.crt/tls.key */
};

/* Writes into out_dir: ca.crt, ca.key (ECDSA P-256, self-signed, 10 years),
 * tls.crt, tls.key (ECDSA P-256, signed by the CA, CN and SANs
 * NAME.NS.svc and NAME.NS.svc.cluster.local plus the extra hosts) and
 * caBundle (one line: base64 of the PEM of ca.crt). Keys are PKCS#8 PEM, mode
 * 0600; certificates and caBundle 0644; every file is replaced atomically.
 * An existing usable CA (ca.crt + ca.key) is reused, so re-running with
 * `force` rotates the serving certificate while caBundle stays the same;
 * remove both CA files to make a new CA. Returns 0, or -1 with a message in
 * err (option errors use the CLI flag names: `--service: Invalid value: ...`). */
int kw_certs_generate(const struct kw_gencerts_opts *o, char *err, size_t errlen);

/* What `gen-certs --renew` issues from: a CA held in memory (PEM text of
 * ca.crt and ca.key, e.g. from a Secret). Every pointer is borrowed. */
struct kw_certs_issue {
    const char *service, *namespace; /* DNS-1123 labels */
    const char *ca_cert_pem;         /* NUL-terminated */
    const char *ca_key_pem;          /* NUL-terminated; key material */
    const char *ca_name;             /* names the CA in messages ("ns/secret") */
    int days;                        /* 0 means KW_CERTS_DEFAULT_DAYS */
    time_t now;                      /* the issue time */
};

/* A new key (ECDSA P-256) and serving certificate for NAME.NS.svc and
 * NAME.NS.svc.cluster.local signed by the CA, exactly as gen-certs makes
 * them. The CA is checked as a reused one is (a CA certificate, the key
 * matches, valid at `now`) and the new certificate may not outlive it. On
 * success returns 0 with the certificate PEM in *cert_pem_out (caller
 * frees) and the PKCS#8 key PEM in *key_pem_out (caller frees with
 * kw_certs_free_secret); on failure returns -1, sets neither, and writes a
 * message into err. */
int kw_certs_issue_serving(const struct kw_certs_issue *in, char **cert_pem_out, char **key_pem_out,
                           char *err, size_t errlen);

#endif
