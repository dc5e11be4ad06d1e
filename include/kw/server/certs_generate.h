/* Certificates, generated: `kopia-webhook gen-certs` makes a CA and a
 * serving certificate for clusters without cert-manager
 * (server/certs_generate.c). OpenSSL API only; no globals. Messages never
 * contain key material. */
#ifndef KW_CERTS_GENERATE_H
#define KW_CERTS_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
