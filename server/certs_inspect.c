/* Certificates, the inspecting half (see include/kw/server/certs.h): reading
 * and checking a certificate chain + private key pair for the TLS listener
 * (key match, validity of every certificate, the leaf's subject, SANs and
 * fingerprint) and reading a client CA bundle; also the helpers the
 * generating half shares (certs_internal.h). OpenSSL 3.0 API only; nothing
 * here prints or logs key material. */
#include "kw/server/certs.h"
#include "certs_internal.h"
#include "kw/server/readfile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAX_PEM_FILE (1024 * 1024)

/* ---- messages ---------------------------------------------------------- */

/* Writes the message into err (when given), clears OpenSSL's error queue of
 * this thread and returns -1. */
int kw_certs_fail(char *err, size_t errlen, const char *fmt, ...)
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
const char *kw_certs_ssl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "unknown error";
}

const char *kw_certs_errno_text(int e, char *buf, size_t len)
{
    return strerror_r(e, buf, len);
}

void kw_certs_format_utc(time_t t, char *buf, size_t len)
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
 * buffer of *len_out bytes (caller frees; key files with free_buffer_secret).
 * Through kw_read_file: a FIFO or device path is refused, never waited on. */
static char *read_small_file(const char *path, size_t *len_out, char *err, size_t errlen)
{
    return kw_read_file(path, KW_READ_REGULAR, MAX_PEM_FILE, len_out, err, errlen);
}

void kw_certs_free_secret(char *secret_owned)
{
    if (!secret_owned)
        return;
    explicit_bzero(secret_owned, strlen(secret_owned));
    free(secret_owned);
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
        kw_certs_fail(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x) {
            if (pem_at_end()) {
                ERR_clear_error();
                break;
            }
            kw_certs_fail(err, errlen, "%s: certificate %d is malformed: %s", path,
                          sk_X509_num(certs) + 1, kw_certs_ssl_reason());
            goto bad;
        }
        if (sk_X509_push(certs, x) <= 0) {
            X509_free(x);
            kw_certs_fail(err, errlen, "%s: out of memory", path);
            goto bad;
        }
    }
    BIO_free(bio);
    if (sk_X509_num(certs) == 0) {
        sk_X509_free(certs);
        kw_certs_fail(err, errlen, "%s: no certificate found", path);
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
        kw_certs_fail(err, errlen, "%s: out of memory", path);
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
        kw_certs_fail(err, errlen,
                      "%s: the private key is encrypted; an unencrypted key is required", path);
    else if (!memmem(buf, len, label, sizeof(label) - 1))
        kw_certs_fail(err, errlen, "%s: no private key found", path);
    else
        kw_certs_fail(err, errlen, "%s: the private key is malformed or of an unsupported type",
                      path);
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

char *kw_certs_cert_to_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return NULL;
    char *s = PEM_write_bio_X509(bio, cert) ? bio_to_string(bio) : NULL;
    BIO_free(bio);
    return s;
}

/* PKCS#8 PEM; the BIO is a secure-memory BIO, cleared when freed. */
char *kw_certs_key_to_pem(EVP_PKEY *key)
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

int kw_certs_asn1_to_time(const ASN1_TIME *t, time_t *out)
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
        if (kw_certs_asn1_to_time(X509_get0_notBefore(x), &nb) != 0 ||
            kw_certs_asn1_to_time(X509_get0_notAfter(x), &na) != 0)
            return kw_certs_fail(err, errlen, "%s%s: unreadable validity dates", path, which);
        if (now < nb) {
            kw_certs_format_utc(nb, when, sizeof(when));
            return kw_certs_fail(err, errlen, "%s%s is not valid before %s", path, which, when);
        }
        if (now > na) {
            kw_certs_format_utc(na, when, sizeof(when));
            return kw_certs_fail(err, errlen, "%s%s expired on %s", path, which, when);
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

void kw_certs_pair_free(struct kw_certs_pair *p)
{
    sk_X509_pop_free(p->chain, X509_free);
    EVP_PKEY_free(p->key);
    p->chain = NULL;
    p->key = NULL;
}

/* The checks of a parsed pair: the key matches the leaf, `now` lies within
 * every certificate's validity. Frees the pair on failure. */
static int check_pair(struct kw_certs_pair *p, const char *cert_name, const char *key_name,
                      time_t now, char *err, size_t errlen)
{
    if (!key_matches(sk_X509_value(p->chain, 0), p->key)) {
        kw_certs_pair_free(p);
        return kw_certs_fail(err, errlen, "%s does not match %s", key_name, cert_name);
    }
    if (check_validity(p->chain, cert_name, now, err, errlen) != 0) {
        kw_certs_pair_free(p);
        return -1;
    }
    return 0;
}

int kw_certs_pair_parse(const char *cert_buf, size_t cert_len, const char *cert_name,
                        const char *key_buf, size_t key_len, const char *key_name, time_t now,
                        struct kw_certs_pair *p, char *err, size_t errlen)
{
    p->chain = parse_certs(cert_buf, cert_len, cert_name, err, errlen);
    p->key = NULL;
    if (!p->chain)
        return -1;
    p->key = parse_key(key_buf, key_len, key_name, err, errlen);
    if (!p->key) {
        kw_certs_pair_free(p);
        return -1;
    }
    return check_pair(p, cert_name, key_name, now, err, errlen);
}

int kw_certs_pair_read(const char *cert_path, const char *key_path, time_t now,
                       struct kw_certs_pair *p, char *err, size_t errlen)
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
        kw_certs_pair_free(p);
        return -1;
    }
    p->key = parse_key(kbuf, klen, key_path, err, errlen);
    free_buffer_secret(kbuf, klen);
    if (!p->key) {
        kw_certs_pair_free(p);
        return -1;
    }
    return check_pair(p, cert_path, key_path, now, err, errlen);
}

STACK_OF(X509) *
    kw_certs_parse_chain(const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
    return parse_certs(buf, len, name, err, errlen);
}

bool kw_certs_key_matches(X509 *cert, EVP_PKEY *key)
{
    return key_matches(cert, key);
}

EVP_PKEY *kw_certs_parse_key(const char *buf, size_t len, const char *name, char *err,
                             size_t errlen)
{
    return parse_key(buf, len, name, err, errlen);
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
    kw_certs_asn1_to_time(X509_get0_notBefore(leaf), &info->not_before);
    kw_certs_asn1_to_time(X509_get0_notAfter(leaf), &info->not_after);
    name_to_string(X509_get_subject_name(leaf), info->subject, sizeof(info->subject));
    sans_to_string(leaf, info->sans, sizeof(info->sans));
    fingerprint_sha256(leaf, info->fingerprint, sizeof(info->fingerprint));
}

int kw_cert_pair_load(const char *cert_path, const char *key_path, time_t now, char **cert_pem_out,
                      char **key_pem_out, struct kw_cert_info *info, char *err, size_t errlen)
{
    struct kw_certs_pair p;
    if (kw_certs_pair_read(cert_path, key_path, now, &p, err, errlen) != 0)
        return -1;
    char *cert_pem = cert_pem_out ? certs_to_pem(p.chain) : NULL;
    char *key_pem = key_pem_out ? kw_certs_key_to_pem(p.key) : NULL;
    if ((cert_pem_out && !cert_pem) || (key_pem_out && !key_pem)) {
        free(cert_pem);
        kw_certs_free_secret(key_pem);
        kw_certs_pair_free(&p);
        return kw_certs_fail(err, errlen,
                             "%s: cannot encode the certificate and key: out of memory", cert_path);
    }
    if (info)
        fill_info(sk_X509_value(p.chain, 0), info);
    if (cert_pem_out)
        *cert_pem_out = cert_pem;
    if (key_pem_out)
        *key_pem_out = key_pem;
    kw_certs_pair_free(&p);
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
        kw_certs_fail(err, errlen, "%s: cannot encode the certificates: out of memory", path);
    return pem;
}
