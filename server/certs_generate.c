/* Certificates, the generating half (see include/kw/server/certs_generate.h):
 * `gen-certs` makes or reuses a CA and writes a serving certificate signed by
 * it, each file replaced atomically. A reused CA is read and checked by the
 * inspecting half (certs_internal.h). OpenSSL 3.0 API only; nothing here
 * prints or logs key material. */
#include "kw/server/certs_generate.h"
#include "certs_internal.h"
#include "kw/formats/formats.h"
#include "kw/server/certs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_DAYS        KW_CERTS_MAX_DAYS
#define CLOCK_SKEW_SEC 3600 /* notBefore this far in the past */
#define CN_MAX         64   /* X.520 ub-common-name */
#define DAY_SEC        86400

/* ---- files ------------------------------------------------------------- */

static int join_path(char *out, size_t outlen, const char *dir, const char *name, char *err,
                     size_t errlen)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outlen)
        return kw_certs_fail(err, errlen, "--out: Too long: the path %s/%s is too long", dir, name);
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes dir/name with exactly `mode` through a temporary file in the same
 * directory and rename(2), so a reader sees the old or the new file. */
static int write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                             mode_t mode, char *err, size_t errlen)
{
    char final[PATH_MAX], tmp[PATH_MAX], eb[128];
    if (join_path(final, sizeof(final), dir, name, err, errlen) != 0)
        return -1;
    int n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return kw_certs_fail(err, errlen, "--out: Too long: the path %s/%s is too long", dir, name);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return kw_certs_fail(err, errlen, "cannot create a file in %s: %s", dir,
                             kw_certs_errno_text(errno, eb, sizeof(eb)));
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return kw_certs_fail(err, errlen, "cannot write %s: %s", final,
                             kw_certs_errno_text(e, eb, sizeof(eb)));
    }
    if (close(fd) != 0 || rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return kw_certs_fail(err, errlen, "cannot write %s: %s", final,
                             kw_certs_errno_text(e, eb, sizeof(eb)));
    }
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], eb[128];
    size_t len = strlen(dir);
    if (len >= sizeof(path))
        return kw_certs_fail(err, errlen, "--out: Too long: the path %s is too long", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return kw_certs_fail(err, errlen, "cannot create directory %s: %s", path,
                                 kw_certs_errno_text(errno, eb, sizeof(eb)));
        path[i] = saved;
    }
    struct stat st;
    if (stat(dir, &st) != 0)
        return kw_certs_fail(err, errlen, "cannot create directory %s: %s", dir,
                             kw_certs_errno_text(errno, eb, sizeof(eb)));
    if (!S_ISDIR(st.st_mode))
        return kw_certs_fail(err, errlen, "--out: Invalid value: \"%s\": not a directory", dir);
    return 0;
}

static bool path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- option checks ----------------------------------------------------- */

/* Names go through the same checks (and wording) as the validators use. */
static int check_label(const char *flag, const char *what, const char *s, char *err, size_t errlen)
{
    char msg[KW_MSGLEN];
    if (!s || !*s)
        return kw_certs_fail(err, errlen, "%s: Required value: %s", flag, what);
    if (!kw_dns1123_label_valid(s, msg, sizeof(msg)))
        return kw_certs_fail(err, errlen, "%s: Invalid value: \"%s\": %s", flag, s, msg);
    return 0;
}

/* One subjectAltName entry to put into the serving certificate. */
struct san {
    bool is_ip;
    unsigned char ip[16];
    int ip_len;
    const char *dns; /* borrowed */
};

static bool san_equal(const struct san *a, const struct san *b)
{
    if (a->is_ip != b->is_ip)
        return false;
    if (a->is_ip)
        return a->ip_len == b->ip_len && memcmp(a->ip, b->ip, (size_t)a->ip_len) == 0;
    return strcmp(a->dns, b->dns) == 0;
}

static int parse_host(const char *host, struct san *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!host || !*host)
        return kw_certs_fail(err, errlen, "--host: Required value: a DNS name or an IP address");
    if (inet_pton(AF_INET, host, out->ip) == 1) {
        out->is_ip = true;
        out->ip_len = 4;
    } else if (inet_pton(AF_INET6, host, out->ip) == 1) {
        out->is_ip = true;
        out->ip_len = 16;
    } else {
        char msg[KW_MSGLEN];
        if (!kw_dns1123_subdomain_valid(host, msg, sizeof(msg)))
            return kw_certs_fail(
                err, errlen,
                "--host: Invalid value: \"%s\": must be an IPv4 or IPv6 address, or: %s", host,
                msg);
        out->dns = host;
    }
    return 0;
}

/* The serving certificate's names: NAME.NS.svc, NAME.NS.svc.cluster.local,
 * then the extra hosts in order, without duplicates. */
struct names {
    char svc[140];
    char svc_local[160];
    struct san sans[2 + KW_CERTS_MAX_HOSTS];
    size_t n;
};

static int build_names(const struct kw_gencerts_opts *o, struct names *nm, char *err, size_t errlen)
{
    snprintf(nm->svc, sizeof(nm->svc), "%s.%s.svc", o->service, o->namespace);
    snprintf(nm->svc_local, sizeof(nm->svc_local), "%s.cluster.local", nm->svc);
    nm->n = 0;
    nm->sans[nm->n++] = (struct san){.dns = nm->svc};
    nm->sans[nm->n++] = (struct san){.dns = nm->svc_local};
    if (o->n_extra_hosts > KW_CERTS_MAX_HOSTS)
        return kw_certs_fail(err, errlen, "--host: Too many: %zu: must have at most %d items",
                             o->n_extra_hosts, KW_CERTS_MAX_HOSTS);
    if (o->n_extra_hosts > 0 && !o->extra_hosts)
        return kw_certs_fail(err, errlen, "--host: Required value: a DNS name or an IP address");
    for (size_t i = 0; i < o->n_extra_hosts; i++) {
        struct san s;
        if (parse_host(o->extra_hosts[i], &s, err, errlen) != 0)
            return -1;
        bool dup = false;
        for (size_t j = 0; j < nm->n && !dup; j++)
            dup = san_equal(&nm->sans[j], &s);
        if (!dup)
            nm->sans[nm->n++] = s;
    }
    return 0;
}

static int check_opts(const struct kw_gencerts_opts *o, int *days, char *err, size_t errlen)
{
    if (check_label("--service", "the name of the webhook's Service", o->service, err, errlen) !=
            0 ||
        check_label("--namespace", "the namespace of the webhook's Service", o->namespace, err,
                    errlen) != 0)
        return -1;
    if (!o->out_dir || !*o->out_dir)
        return kw_certs_fail(err, errlen,
                             "--out: Required value: the directory to write the files into");
    *days = o->days == 0 ? KW_CERTS_DEFAULT_DAYS : o->days;
    if (*days < 1 || *days > KW_CERTS_MAX_DAYS)
        return kw_certs_fail(err, errlen, "--days: Invalid value: %d: must be between 1 and %d",
                             o->days, KW_CERTS_MAX_DAYS);
    return 0;
}

/* ---- certificate building ---------------------------------------------- */

static EVP_PKEY *new_p256_key(void)
{
    return EVP_EC_gen("P-256");
}

/* A random positive 128-bit serial number (RFC 5280 §4.1.2.2). */
static int set_random_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = bn && BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1;
    if (ok && BN_is_zero(bn))
        ok = BN_one(bn) == 1;
    ok = ok && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static GENERAL_NAME *make_general_name(const struct san *s)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_STRING *v = s->is_ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    int ok = g && v &&
             (s->is_ip ? ASN1_OCTET_STRING_set(v, s->ip, s->ip_len)
                       : ASN1_STRING_set(v, s->dns, (int)strlen(s->dns))) == 1;
    if (!ok) {
        GENERAL_NAME_free(g);
        ASN1_STRING_free(v);
        return NULL;
    }
    GENERAL_NAME_set0_value(g, s->is_ip ? GEN_IPADD : GEN_DNS, v);
    return g;
}

static int add_sans(X509 *x, const struct names *nm)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;
    for (size_t i = 0; ok && i < nm->n; i++) {
        GENERAL_NAME *g = make_general_name(&nm->sans[i]);
        ok = g && sk_GENERAL_NAME_push(gens, g) > 0;
        if (!ok)
            GENERAL_NAME_free(g);
    }
    ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
    GENERAL_NAMES_free(gens);
    return ok ? 0 : -1;
}

/* A v3 certificate with subject CN=cn, a random serial, the validity
 * period and the public key of `key`; extensions and signature come later. */
static X509 *new_cert(const char *cn, EVP_PKEY *key, time_t not_before, time_t not_after)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    bool ok = x && X509_set_version(x, X509_VERSION_3) == 1 && set_random_serial(x) == 0 &&
              ASN1_TIME_set(X509_getm_notBefore(x), not_before) != NULL &&
              ASN1_TIME_set(X509_getm_notAfter(x), not_after) != NULL &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                         -1, 0) == 1 &&
              X509_set_pubkey(x, key) == 1;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static X509 *make_ca_cert(EVP_PKEY *ca_key, time_t now)
{
    X509 *x =
        new_cert("kopia-webhook CA", ca_key, now - CLOCK_SKEW_SEC, now + (time_t)CA_DAYS * DAY_SEC);
    bool ok = x && X509_set_issuer_name(x, X509_get_subject_name(x)) == 1 &&
              add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
              add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
              add_ext(x, x, NID_subject_key_identifier, "hash") == 0 &&
              add_ext(x, x, NID_authority_key_identifier, "keyid:always") == 0 &&
              X509_sign(x, ca_key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* CN is NAME.NS.svc, or NAME alone when that exceeds the 64 characters X.520
 * allows in a CN (clients match the SANs, which always hold the full names). */
static const char *serving_cn(const struct kw_gencerts_opts *o, const struct names *nm)
{
    return strlen(nm->svc) <= CN_MAX ? nm->svc : o->service;
}

static X509 *make_serving_cert(const char *cn, const struct names *nm, EVP_PKEY *key, X509 *ca,
                               EVP_PKEY *ca_key, time_t now, int days)
{
    X509 *x = new_cert(cn, key, now - CLOCK_SKEW_SEC, now + (time_t)days * DAY_SEC);
    bool ok = x && X509_set_issuer_name(x, X509_get_subject_name(ca)) == 1 &&
              add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
              add_ext(x, ca, NID_key_usage, "critical,digitalSignature") == 0 &&
              add_ext(x, ca, NID_ext_key_usage, "serverAuth") == 0 &&
              add_ext(x, ca, NID_subject_key_identifier, "hash") == 0 &&
              add_ext(x, ca, NID_authority_key_identifier, "keyid:always") == 0 &&
              add_sans(x, nm) == 0 && X509_sign(x, ca_key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* ---- generation -------------------------------------------------------- */

struct ca {
    X509 *cert;
    EVP_PKEY *key;
    bool created; /* new: ca.crt and ca.key still to be written */
};

static void ca_free(struct ca *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
}

/* Reuses out_dir's ca.crt + ca.key when both exist and form a valid CA;
 * creates a new CA when neither exists. */
static int load_or_create_ca(const char *dir, time_t now, struct ca *ca, char *err, size_t errlen)
{
    char crt[PATH_MAX], key[PATH_MAX];
    memset(ca, 0, sizeof(*ca));
    if (join_path(crt, sizeof(crt), dir, "ca.crt", err, errlen) != 0 ||
        join_path(key, sizeof(key), dir, "ca.key", err, errlen) != 0)
        return -1;
    bool have_crt = path_exists(crt), have_key = path_exists(key);
    if (!have_crt && !have_key) {
        ca->key = new_p256_key();
        ca->cert = ca->key ? make_ca_cert(ca->key, now) : NULL;
        ca->created = true;
        if (!ca->cert) {
            ca_free(ca);
            return kw_certs_fail(err, errlen, "cannot create the CA: %s", kw_certs_ssl_reason());
        }
        return 0;
    }
    if (!have_crt || !have_key)
        return kw_certs_fail(err, errlen,
                             "%s exists but %s does not; restore it, or remove %s to make a new CA",
                             have_crt ? crt : key, have_crt ? key : crt, have_crt ? crt : key);
    struct kw_certs_pair p;
    char why[512];
    if (kw_certs_pair_read(crt, key, now, &p, why, sizeof(why)) != 0)
        return kw_certs_fail(err, errlen, "%s; remove %s and %s to make a new CA", why, crt, key);
    if (X509_check_ca(sk_X509_value(p.chain, 0)) == 0) {
        kw_certs_pair_free(&p);
        return kw_certs_fail(err, errlen,
                             "%s is not a CA certificate; remove %s and %s to make a new CA", crt,
                             crt, key);
    }
    ca->cert = sk_X509_shift(p.chain);
    ca->key = p.key;
    p.key = NULL;
    kw_certs_pair_free(&p);
    return 0;
}

static int refuse_overwrite(const char *dir, char *err, size_t errlen)
{
    static const char *const names[] = {"tls.crt", "tls.key"};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX];
        if (join_path(path, sizeof(path), dir, names[i], err, errlen) != 0)
            return -1;
        if (path_exists(path))
            return kw_certs_fail(err, errlen, "%s already exists; use --force to replace it", path);
    }
    return 0;
}

static int check_within_ca(X509 *ca, time_t not_after, int days, char *err, size_t errlen)
{
    time_t ca_end;
    if (kw_certs_asn1_to_time(X509_get0_notAfter(ca), &ca_end) != 0)
        return kw_certs_fail(err, errlen, "ca.crt: unreadable validity dates");
    if (not_after <= ca_end)
        return 0;
    char when[64];
    kw_certs_format_utc(ca_end, when, sizeof(when));
    return kw_certs_fail(err, errlen,
                         "--days: Invalid value: %d: the serving certificate would outlive the CA "
                         "(ca.crt expires on %s)",
                         days, when);
}

/* caBundle: base64 of ca.crt's PEM on one line. */
static char *ca_bundle_line(const char *ca_pem)
{
    size_t len = strlen(ca_pem);
    char *out = malloc(4 * ((len + 2) / 3) + 2);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)ca_pem, (int)len);
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

/* Writes the files, CA first and caBundle last, each atomically. */
static int write_outputs(const char *dir, const struct ca *ca, X509 *leaf, EVP_PKEY *leaf_key,
                         char *err, size_t errlen)
{
    char *ca_pem = kw_certs_cert_to_pem(ca->cert), *ca_key_pem = kw_certs_key_to_pem(ca->key);
    char *tls_pem = kw_certs_cert_to_pem(leaf), *tls_key_pem = kw_certs_key_to_pem(leaf_key);
    char *bundle = ca_pem ? ca_bundle_line(ca_pem) : NULL;
    int rc = -1;
    if (!ca_pem || !ca_key_pem || !tls_pem || !tls_key_pem || !bundle) {
        kw_certs_fail(err, errlen, "cannot encode the certificates: out of memory");
        goto out;
    }
    if (ca->created &&
        (write_file_atomic(dir, "ca.key", ca_key_pem, strlen(ca_key_pem), 0600, err, errlen) != 0 ||
         write_file_atomic(dir, "ca.crt", ca_pem, strlen(ca_pem), 0644, err, errlen) != 0))
        goto out;
    if (write_file_atomic(dir, "tls.key", tls_key_pem, strlen(tls_key_pem), 0600, err, errlen) !=
            0 ||
        write_file_atomic(dir, "tls.crt", tls_pem, strlen(tls_pem), 0644, err, errlen) != 0 ||
        write_file_atomic(dir, "caBundle", bundle, strlen(bundle), 0644, err, errlen) != 0)
        goto out;
    sync_dir(dir);
    rc = 0;
out:
    free(ca_pem);
    kw_certs_free_secret(ca_key_pem);
    free(tls_pem);
    kw_certs_free_secret(tls_key_pem);
    free(bundle);
    return rc;
}

/* The shared last step of both paths: a new key and a serving certificate
 * for the names, signed by the CA; checks first that it cannot outlive the
 * CA. On success *leaf_out and *key_out are the caller's. */
static int issue_leaf(const struct kw_gencerts_opts *o, const struct names *nm, const struct ca *ca,
                      time_t now, int days, X509 **leaf_out, EVP_PKEY **key_out, char *err,
                      size_t errlen)
{
    if (check_within_ca(ca->cert, now + (time_t)days * DAY_SEC, days, err, errlen) != 0)
        return -1;
    EVP_PKEY *key = new_p256_key();
    X509 *leaf =
        key ? make_serving_cert(serving_cn(o, nm), nm, key, ca->cert, ca->key, now, days) : NULL;
    if (!leaf) {
        EVP_PKEY_free(key);
        return kw_certs_fail(err, errlen, "cannot create the serving certificate: %s",
                             kw_certs_ssl_reason());
    }
    *leaf_out = leaf;
    *key_out = key;
    return 0;
}

int kw_certs_generate(const struct kw_gencerts_opts *o, char *err, size_t errlen)
{
    int days = KW_CERTS_DEFAULT_DAYS;
    struct names nm;
    if (!o)
        return kw_certs_fail(err, errlen, "no options");
    if (check_opts(o, &days, err, errlen) != 0 || build_names(o, &nm, err, errlen) != 0 ||
        make_dirs(o->out_dir, err, errlen) != 0)
        return -1;
    if (!o->force && refuse_overwrite(o->out_dir, err, errlen) != 0)
        return -1;
    time_t now = time(NULL);
    struct ca ca;
    if (load_or_create_ca(o->out_dir, now, &ca, err, errlen) != 0)
        return -1;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    int rc = issue_leaf(o, &nm, &ca, now, days, &leaf, &key, err, errlen);
    if (rc == 0)
        rc = write_outputs(o->out_dir, &ca, leaf, key, err, errlen);
    X509_free(leaf);
    EVP_PKEY_free(key);
    ca_free(&ca);
    return rc;
}

/* The CA from PEM text, checked as a reused CA is. */
static int parse_ca(const struct kw_certs_issue *in, struct ca *ca, char *err, size_t errlen)
{
    char crt_name[300], key_name[300];
    snprintf(crt_name, sizeof(crt_name), "%s: ca.crt", in->ca_name ? in->ca_name : "the CA");
    snprintf(key_name, sizeof(key_name), "%s: ca.key", in->ca_name ? in->ca_name : "the CA");
    memset(ca, 0, sizeof(*ca));
    if (!in->ca_cert_pem || !in->ca_key_pem)
        return kw_certs_fail(err, errlen, "%s: Required value: ca.crt and ca.key",
                             in->ca_name ? in->ca_name : "the CA");
    struct kw_certs_pair p;
    if (kw_certs_pair_parse(in->ca_cert_pem, strlen(in->ca_cert_pem), crt_name, in->ca_key_pem,
                            strlen(in->ca_key_pem), key_name, in->now, &p, err, errlen) != 0)
        return -1;
    if (X509_check_ca(sk_X509_value(p.chain, 0)) == 0) {
        kw_certs_pair_free(&p);
        return kw_certs_fail(err, errlen, "%s is not a CA certificate", crt_name);
    }
    ca->cert = sk_X509_shift(p.chain);
    ca->key = p.key;
    p.key = NULL;
    kw_certs_pair_free(&p);
    return 0;
}

int kw_certs_issue_serving(const struct kw_certs_issue *in, char **cert_pem_out, char **key_pem_out,
                           char *err, size_t errlen)
{
    struct kw_gencerts_opts o = {.service = in->service, .namespace = in->namespace};
    struct names nm;
    int days = in->days == 0 ? KW_CERTS_DEFAULT_DAYS : in->days;
    if (check_label("--service", "the name of the webhook's Service", o.service, err, errlen) !=
            0 ||
        check_label("--namespace", "the namespace of the webhook's Service", o.namespace, err,
                    errlen) != 0)
        return -1;
    if (days < 1 || days > KW_CERTS_MAX_DAYS)
        return kw_certs_fail(err, errlen, "--days: Invalid value: %d: must be between 1 and %d",
                             in->days, KW_CERTS_MAX_DAYS);
    if (build_names(&o, &nm, err, errlen) != 0)
        return -1;
    struct ca ca;
    if (parse_ca(in, &ca, err, errlen) != 0)
        return -1;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    int rc = issue_leaf(&o, &nm, &ca, in->now, days, &leaf, &key, err, errlen);
    char *cert_pem = rc == 0 ? kw_certs_cert_to_pem(leaf) : NULL;
    char *key_pem = rc == 0 ? kw_certs_key_to_pem(key) : NULL;
    if (rc == 0 && (!cert_pem || !key_pem)) {
        free(cert_pem);
        kw_certs_free_secret(key_pem);
        rc = kw_certs_fail(err, errlen, "cannot encode the certificates: out of memory");
    } else if (rc == 0) {
        *cert_pem_out = cert_pem;
        *key_pem_out = key_pem;
    }
    X509_free(leaf);
    EVP_PKEY_free(key);
    ca_free(&ca);
    return rc;
}
