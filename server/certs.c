/* Certificates (see include/kw/server/certs.h): reading and checking a certificate
 * chain + private key pair for the TLS listener, reading a client CA bundle,
 * and generating a CA + serving certificate for `gen-certs`. OpenSSL 3.0 API
 * only; nothing here prints or logs key material. */
#include "kw/server/certs.h"
#include "kw/formats/formats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAX_PEM_FILE   (1024 * 1024)
#define CA_DAYS        KW_CERTS_MAX_DAYS
#define CLOCK_SKEW_SEC 3600 /* notBefore this far in the past */
#define CN_MAX         64   /* X.520 ub-common-name */
#define DAY_SEC        86400

/* ---- messages ---------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the message into err (when given), clears OpenSSL's error queue of
 * this thread and returns -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    ERR_clear_error();
    return -1;
}

/* The reason of OpenSSL's most recent error, for a message tail. */
static const char *ssl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "unknown error";
}

static const char *errno_text(int e, char *buf, size_t len)
{
    return strerror_r(e, buf, len);
}

static void format_utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%lld (seconds since the epoch)", (long long)t);
}

/* ---- files ------------------------------------------------------------- */

/* Clears len bytes of a buffer that may hold key material, then frees it. */
static void free_buffer_secret(char *buf_owned, size_t len)
{
    if (!buf_owned)
        return;
    explicit_bzero(buf_owned, len);
    free(buf_owned);
}

/* Reads a whole file of at most MAX_PEM_FILE bytes into a NUL-terminated
 * buffer of *len_out bytes (caller frees; key files with free_buffer_secret). */
static char *read_small_file(const char *path, size_t *len_out, char *err, size_t errlen)
{
    char eb[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(err, errlen, "cannot read %s: %s", path, errno_text(errno, eb, sizeof(eb)));
        return NULL;
    }
    char *buf = malloc(MAX_PEM_FILE + 1);
    size_t len = 0;
    if (!buf) {
        close(fd);
        fail(err, errlen, "cannot read %s: out of memory", path);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, MAX_PEM_FILE + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            free_buffer_secret(buf, len);
            fail(err, errlen, "cannot read %s: %s", path, errno_text(e, eb, sizeof(eb)));
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > MAX_PEM_FILE) {
            close(fd);
            free_buffer_secret(buf, len);
            fail(err, errlen, "%s: larger than %d bytes", path, MAX_PEM_FILE);
            return NULL;
        }
    }
    close(fd);
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

void kw_certs_free_secret(char *secret_owned)
{
    if (!secret_owned)
        return;
    explicit_bzero(secret_owned, strlen(secret_owned));
    free(secret_owned);
}

static int join_path(char *out, size_t outlen, const char *dir, const char *name, char *err,
                     size_t errlen)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outlen)
        return fail(err, errlen, "--out: Too long: the path %s/%s is too long", dir, name);
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
        return fail(err, errlen, "--out: Too long: the path %s/%s is too long", dir, name);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "cannot create a file in %s: %s", dir,
                    errno_text(errno, eb, sizeof(eb)));
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return fail(err, errlen, "cannot write %s: %s", final, errno_text(e, eb, sizeof(eb)));
    }
    if (close(fd) != 0 || rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return fail(err, errlen, "cannot write %s: %s", final, errno_text(e, eb, sizeof(eb)));
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
        return fail(err, errlen, "--out: Too long: the path %s is too long", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return fail(err, errlen, "cannot create directory %s: %s", path,
                        errno_text(errno, eb, sizeof(eb)));
        path[i] = saved;
    }
    struct stat st;
    if (stat(dir, &st) != 0)
        return fail(err, errlen, "cannot create directory %s: %s", dir,
                    errno_text(errno, eb, sizeof(eb)));
    if (!S_ISDIR(st.st_mode))
        return fail(err, errlen, "--out: Invalid value: \"%s\": not a directory", dir);
    return 0;
}

static bool path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- PEM parsing ------------------------------------------------------- */

static bool pem_at_end(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Every CERTIFICATE block of the buffer, in order (caller frees with
 * OSSL_STACK_OF_X509_free semantics: sk_X509_pop_free(.., X509_free)). */
static STACK_OF(X509) *
    parse_certs(const char *buf, size_t len, const char *path, char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (!bio || !certs) {
        BIO_free(bio);
        sk_X509_free(certs);
        fail(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x) {
            if (pem_at_end()) {
                ERR_clear_error();
                break;
            }
            fail(err, errlen, "%s: certificate %d is malformed: %s", path, sk_X509_num(certs) + 1,
                 ssl_reason());
            goto bad;
        }
        if (sk_X509_push(certs, x) <= 0) {
            X509_free(x);
            fail(err, errlen, "%s: out of memory", path);
            goto bad;
        }
    }
    BIO_free(bio);
    if (sk_X509_num(certs) == 0) {
        sk_X509_free(certs);
        fail(err, errlen, "%s: no certificate found", path);
        return NULL;
    }
    return certs;
bad:
    BIO_free(bio);
    sk_X509_pop_free(certs, X509_free);
    return NULL;
}

/* A password callback that never prompts: it records the request and fails. */
static int refuse_password(char *buf, int size, int rwflag, void *asked)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(bool *)asked = true;
    return -1;
}

static EVP_PKEY *parse_key(const char *buf, size_t len, const char *path, char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    if (!bio) {
        fail(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    bool asked = false;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, refuse_password, &asked);
    BIO_free(bio);
    if (key) {
        ERR_clear_error();
        return key;
    }
    /* OpenSSL 3's decoders report "unsupported" for anything they cannot
     * read, so tell an absent key from a broken one by the PEM label. */
    static const char label[] = "PRIVATE KEY-----";
    if (asked)
        fail(err, errlen, "%s: the private key is encrypted; an unencrypted key is required", path);
    else if (!memmem(buf, len, label, sizeof(label) - 1))
        fail(err, errlen, "%s: no private key found", path);
    else
        fail(err, errlen, "%s: the private key is malformed or of an unsupported type", path);
    return NULL;
}

/* Copies a memory BIO's contents into a malloc'd NUL-terminated string. */
static char *bio_to_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n < 0 || !data)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

static char *certs_to_pem(STACK_OF(X509) * certs)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return NULL;
    char *s = NULL;
    for (int i = 0; i < sk_X509_num(certs); i++) {
        if (!PEM_write_bio_X509(bio, sk_X509_value(certs, i)))
            goto out;
    }
    s = bio_to_string(bio);
out:
    BIO_free(bio);
    return s;
}

static char *cert_to_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return NULL;
    char *s = PEM_write_bio_X509(bio, cert) ? bio_to_string(bio) : NULL;
    BIO_free(bio);
    return s;
}

/* PKCS#8 PEM; the BIO is a secure-memory BIO, cleared when freed. */
static char *key_to_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    if (!bio)
        return NULL;
    char *s =
        PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ? bio_to_string(bio) : NULL;
    BIO_free(bio);
    return s;
}

/* ---- checks ------------------------------------------------------------ */

static int asn1_to_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out = timegm(&tm);
    return 0;
}

/* `now` within notBefore..notAfter of every certificate of the chain. */
static int check_validity(STACK_OF(X509) * certs, const char *path, time_t now, char *err,
                          size_t errlen)
{
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        time_t nb, na;
        char when[64], which[64] = "";
        if (i > 0)
            snprintf(which, sizeof(which), ": chain certificate %d", i + 1);
        if (asn1_to_time(X509_get0_notBefore(x), &nb) != 0 ||
            asn1_to_time(X509_get0_notAfter(x), &na) != 0)
            return fail(err, errlen, "%s%s: unreadable validity dates", path, which);
        if (now < nb) {
            format_utc(nb, when, sizeof(when));
            return fail(err, errlen, "%s%s is not valid before %s", path, which, when);
        }
        if (now > na) {
            format_utc(na, when, sizeof(when));
            return fail(err, errlen, "%s%s expired on %s", path, which, when);
        }
    }
    return 0;
}

static bool key_matches(X509 *cert, EVP_PKEY *key)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    bool ok = pub && EVP_PKEY_eq(pub, key) == 1;
    ERR_clear_error();
    return ok;
}

/* A certificate chain and its leaf's private key, read and checked. */
struct pair {
    STACK_OF(X509) * chain;
    EVP_PKEY *key;
};

static void pair_free(struct pair *p)
{
    sk_X509_pop_free(p->chain, X509_free);
    EVP_PKEY_free(p->key);
    p->chain = NULL;
    p->key = NULL;
}

static int pair_read(const char *cert_path, const char *key_path, time_t now, struct pair *p,
                     char *err, size_t errlen)
{
    p->chain = NULL;
    p->key = NULL;
    size_t clen, klen;
    char *cbuf = read_small_file(cert_path, &clen, err, errlen);
    if (!cbuf)
        return -1;
    p->chain = parse_certs(cbuf, clen, cert_path, err, errlen);
    free(cbuf);
    if (!p->chain)
        return -1;
    char *kbuf = read_small_file(key_path, &klen, err, errlen);
    if (!kbuf) {
        pair_free(p);
        return -1;
    }
    p->key = parse_key(kbuf, klen, key_path, err, errlen);
    free_buffer_secret(kbuf, klen);
    if (!p->key) {
        pair_free(p);
        return -1;
    }
    if (!key_matches(sk_X509_value(p->chain, 0), p->key)) {
        pair_free(p);
        return fail(err, errlen, "%s does not match %s", key_path, cert_path);
    }
    if (check_validity(p->chain, cert_path, now, err, errlen) != 0) {
        pair_free(p);
        return -1;
    }
    return 0;
}

/* ---- inspection -------------------------------------------------------- */

static void name_to_string(const X509_NAME *name, char *out, size_t outlen)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data)
            snprintf(out, outlen, "%.*s", (int)n, data);
    }
    BIO_free(bio);
}

/* "DNS:x" / "IP:a.b.c.d" / "URI:x" / "email:x" for one SAN entry, with
 * unprintable bytes replaced; returns false for types it does not show. */
static bool general_name_text(const GENERAL_NAME *g, char *out, size_t outlen)
{
    const char *prefix;
    const ASN1_STRING *s;
    switch (g->type) {
    case GEN_DNS:
        prefix = "DNS:", s = g->d.dNSName;
        break;
    case GEN_URI:
        prefix = "URI:", s = g->d.uniformResourceIdentifier;
        break;
    case GEN_EMAIL:
        prefix = "email:", s = g->d.rfc822Name;
        break;
    case GEN_IPADD: {
        const ASN1_OCTET_STRING *ip = g->d.iPAddress;
        char addr[INET6_ADDRSTRLEN];
        int af = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : 0;
        if (!af || !inet_ntop(af, ip->data, addr, sizeof(addr)))
            snprintf(addr, sizeof(addr), "<invalid>");
        snprintf(out, outlen, "IP:%s", addr);
        return true;
    }
    default:
        return false;
    }
    size_t n = (size_t)snprintf(out, outlen, "%s", prefix);
    for (int i = 0; i < s->length && n + 1 < outlen; i++) {
        unsigned char c = s->data[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
    return true;
}

static void sans_to_string(X509 *cert, char *out, size_t outlen)
{
    out[0] = '\0';
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    size_t used = 0;
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        char one[300];
        if (!general_name_text(sk_GENERAL_NAME_value(gens, i), one, sizeof(one)))
            continue;
        const char *sep = used ? ", " : "";
        size_t need = strlen(sep) + strlen(one);
        if (used + need + 1 > outlen)
            break; /* cut at an entry, never inside one */
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", sep, one);
    }
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
}

static void fingerprint_sha256(X509 *cert, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!X509_digest(cert, EVP_sha256(), md, &n))
        return;
    size_t used = 0;
    for (unsigned int i = 0; i < n && used + 3 < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, i ? ":%02X" : "%02X", md[i]);
}

static void fill_info(X509 *leaf, struct kw_cert_info *info)
{
    memset(info, 0, sizeof(*info));
    asn1_to_time(X509_get0_notBefore(leaf), &info->not_before);
    asn1_to_time(X509_get0_notAfter(leaf), &info->not_after);
    name_to_string(X509_get_subject_name(leaf), info->subject, sizeof(info->subject));
    sans_to_string(leaf, info->sans, sizeof(info->sans));
    fingerprint_sha256(leaf, info->fingerprint, sizeof(info->fingerprint));
}

int kw_cert_pair_load(const char *cert_path, const char *key_path, time_t now, char **cert_pem_out,
                      char **key_pem_out, struct kw_cert_info *info, char *err, size_t errlen)
{
    struct pair p;
    if (pair_read(cert_path, key_path, now, &p, err, errlen) != 0)
        return -1;
    char *cert_pem = cert_pem_out ? certs_to_pem(p.chain) : NULL;
    char *key_pem = key_pem_out ? key_to_pem(p.key) : NULL;
    if ((cert_pem_out && !cert_pem) || (key_pem_out && !key_pem)) {
        free(cert_pem);
        kw_certs_free_secret(key_pem);
        pair_free(&p);
        return fail(err, errlen, "%s: cannot encode the certificate and key: out of memory",
                    cert_path);
    }
    if (info)
        fill_info(sk_X509_value(p.chain, 0), info);
    if (cert_pem_out)
        *cert_pem_out = cert_pem;
    if (key_pem_out)
        *key_pem_out = key_pem;
    pair_free(&p);
    return 0;
}

char *kw_ca_bundle_load(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *buf = read_small_file(path, &len, err, errlen);
    if (!buf)
        return NULL;
    STACK_OF(X509) *certs = parse_certs(buf, len, path, err, errlen);
    free(buf);
    if (!certs)
        return NULL;
    char *pem = certs_to_pem(certs);
    sk_X509_pop_free(certs, X509_free);
    if (!pem)
        fail(err, errlen, "%s: cannot encode the certificates: out of memory", path);
    return pem;
}

/* ---- option checks ----------------------------------------------------- */

/* Names go through the same checks (and wording) as the validators use. */
static int check_label(const char *flag, const char *what, const char *s, char *err, size_t errlen)
{
    char msg[KW_MSGLEN];
    if (!s || !*s)
        return fail(err, errlen, "%s: Required value: %s", flag, what);
    if (!kw_dns1123_label_valid(s, msg, sizeof(msg)))
        return fail(err, errlen, "%s: Invalid value: \"%s\": %s", flag, s, msg);
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
        return fail(err, errlen, "--host: Required value: a DNS name or an IP address");
    if (inet_pton(AF_INET, host, out->ip) == 1) {
        out->is_ip = true;
        out->ip_len = 4;
    } else if (inet_pton(AF_INET6, host, out->ip) == 1) {
        out->is_ip = true;
        out->ip_len = 16;
    } else {
        char msg[KW_MSGLEN];
        if (!kw_dns1123_subdomain_valid(host, msg, sizeof(msg)))
            return fail(err, errlen,
                        "--host: Invalid value: \"%s\": must be an IPv4 or IPv6 address, or: %s",
                        host, msg);
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
        return fail(err, errlen, "--host: Too many: %zu: must have at most %d items",
                    o->n_extra_hosts, KW_CERTS_MAX_HOSTS);
    if (o->n_extra_hosts > 0 && !o->extra_hosts)
        return fail(err, errlen, "--host: Required value: a DNS name or an IP address");
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
        return fail(err, errlen, "--out: Required value: the directory to write the files into");
    *days = o->days == 0 ? KW_CERTS_DEFAULT_DAYS : o->days;
    if (*days < 1 || *days > KW_CERTS_MAX_DAYS)
        return fail(err, errlen, "--days: Invalid value: %d: must be between 1 and %d", o->days,
                    KW_CERTS_MAX_DAYS);
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
            return fail(err, errlen, "cannot create the CA: %s", ssl_reason());
        }
        return 0;
    }
    if (!have_crt || !have_key)
        return fail(err, errlen,
                    "%s exists but %s does not; restore it, or remove %s to make a new CA",
                    have_crt ? crt : key, have_crt ? key : crt, have_crt ? crt : key);
    struct pair p;
    char why[512];
    if (pair_read(crt, key, now, &p, why, sizeof(why)) != 0)
        return fail(err, errlen, "%s; remove %s and %s to make a new CA", why, crt, key);
    if (X509_check_ca(sk_X509_value(p.chain, 0)) == 0) {
        pair_free(&p);
        return fail(err, errlen, "%s is not a CA certificate; remove %s and %s to make a new CA",
                    crt, crt, key);
    }
    ca->cert = sk_X509_shift(p.chain);
    ca->key = p.key;
    p.key = NULL;
    pair_free(&p);
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
            return fail(err, errlen, "%s already exists; use --force to replace it", path);
    }
    return 0;
}

static int check_within_ca(X509 *ca, time_t not_after, int days, char *err, size_t errlen)
{
    time_t ca_end;
    if (asn1_to_time(X509_get0_notAfter(ca), &ca_end) != 0)
        return fail(err, errlen, "ca.crt: unreadable validity dates");
    if (not_after <= ca_end)
        return 0;
    char when[64];
    format_utc(ca_end, when, sizeof(when));
    return fail(err, errlen,
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
    char *ca_pem = cert_to_pem(ca->cert), *ca_key_pem = key_to_pem(ca->key);
    char *tls_pem = cert_to_pem(leaf), *tls_key_pem = key_to_pem(leaf_key);
    char *bundle = ca_pem ? ca_bundle_line(ca_pem) : NULL;
    int rc = -1;
    if (!ca_pem || !ca_key_pem || !tls_pem || !tls_key_pem || !bundle) {
        fail(err, errlen, "cannot encode the certificates: out of memory");
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

int kw_certs_generate(const struct kw_gencerts_opts *o, char *err, size_t errlen)
{
    int days = KW_CERTS_DEFAULT_DAYS;
    struct names nm;
    if (!o)
        return fail(err, errlen, "no options");
    if (check_opts(o, &days, err, errlen) != 0 || build_names(o, &nm, err, errlen) != 0 ||
        make_dirs(o->out_dir, err, errlen) != 0)
        return -1;
    if (!o->force && refuse_overwrite(o->out_dir, err, errlen) != 0)
        return -1;
    time_t now = time(NULL);
    struct ca ca;
    if (load_or_create_ca(o->out_dir, now, &ca, err, errlen) != 0)
        return -1;
    int rc = -1;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    if (check_within_ca(ca.cert, now + (time_t)days * DAY_SEC, days, err, errlen) != 0)
        goto out;
    key = new_p256_key();
    leaf = key ? make_serving_cert(serving_cn(o, &nm), &nm, key, ca.cert, ca.key, now, days) : NULL;
    if (!leaf) {
        fail(err, errlen, "cannot create the serving certificate: %s", ssl_reason());
        goto out;
    }
    rc = write_outputs(o->out_dir, &ca, leaf, key, err, errlen);
out:
    X509_free(leaf);
    EVP_PKEY_free(key);
    ca_free(&ca);
    return rc;
}
