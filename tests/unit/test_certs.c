/* Tests of include/kw/server/certs.h and certs_generate.h: gen-certs output
 * (files, modes, extensions, chain, caBundle, overwrite rules, option errors)
 * and the pair checks the server runs on every (re)load, cross-checked with
 * OpenSSL, GnuTLS and, when present, the openssl command. */
#include "kw/server/certs.h"
#include "kw/server/certs_generate.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <ftw.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kwtest.h"

#define SVC "kopia-webhook.kopia-webhook.svc"

static char tmp[64];
static char err[1024];

static void make_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/kw-certs-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    kwt_remove_tree(tmp);
}

TestSuite(certs, .init = make_tmp, .fini = remove_tmp);

/* tmp/sub/name in a static buffer per call slot. */
static const char *at(const char *sub, const char *name)
{
    static char bufs[8][512];
    static int slot;
    char *b = bufs[slot++ % 8];
    snprintf(b, 512, "%s/%s/%s", tmp, sub, name);
    return b;
}

static const char *dir(const char *sub)
{
    static char bufs[4][512];
    static int slot;
    char *b = bufs[slot++ % 4];
    snprintf(b, 512, "%s/%s", tmp, sub);
    return b;
}

static int gen_full(const char *sub, const char *service, const char *ns, const char *const *hosts,
                    size_t n, int days, bool force)
{
    struct kw_gencerts_opts o = {.service = service,
                                 .namespace = ns,
                                 .out_dir = dir(sub),
                                 .extra_hosts = hosts,
                                 .n_extra_hosts = n,
                                 .days = days,
                                 .force = force};
    err[0] = '\0';
    return kw_certs_generate(&o, err, sizeof(err));
}

static void gen_ok(const char *sub)
{
    static const char *const hosts[] = {"localhost", "127.0.0.1", "::1"};
    int rc = gen_full(sub, "kopia-webhook", "kopia-webhook", hosts, 3, 0, false);
    cr_assert_eq(rc, 0, "gen-certs failed: %s", err);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void spit(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(data, f);
    fclose(f);
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(x, "%s: no certificate", path);
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(k);
    return k;
}

static int load(const char *crt, const char *key, time_t now, struct kw_cert_info *info)
{
    char *c = NULL, *k = NULL;
    err[0] = '\0';
    int rc = kw_cert_pair_load(crt, key, now, &c, &k, info, err, sizeof(err));
    if (rc != 0) {
        cr_assert_null(c);
        cr_assert_null(k);
    }
    free(c);
    kw_certs_free_secret(k);
    return rc;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s missing", path);
    return st.st_mode & 07777;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- generation -------------------------------------------------------- */

Test(certs, generated_pair_loads_with_names_and_validity)
{
    gen_ok("d");
    time_t now = time(NULL);
    char *c = NULL, *k = NULL;
    struct kw_cert_info info;
    int rc = kw_cert_pair_load(at("d", "tls.crt"), at("d", "tls.key"), now, &c, &k, &info, err,
                               sizeof(err));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count(c, "-----BEGIN CERTIFICATE-----"), 1);
    cr_assert_eq(strncmp(k, "-----BEGIN PRIVATE KEY-----\n", 28), 0, "not PKCS#8 PEM");
    cr_assert_str_eq(info.subject, "CN=" SVC);
    cr_assert_str_eq(info.sans,
                     "DNS:" SVC ", DNS:" SVC ".cluster.local, DNS:localhost, IP:127.0.0.1, IP:::1");
    cr_assert_eq(info.not_after - info.not_before, 365 * 86400 + 3600);
    cr_assert(info.not_before <= now - 3600 + 5 && info.not_before >= now - 3600 - 5);
    cr_assert_eq(strlen(info.fingerprint), 95);
    free(c);
    kw_certs_free_secret(k);
}

Test(certs, files_have_modes_dir_is_private_and_no_temp_files_remain)
{
    gen_ok("a/b");
    cr_assert_eq(mode_of(dir("a")), 0700);
    cr_assert_eq(mode_of(dir("a/b")), 0700);
    cr_assert_eq(mode_of(at("a/b", "ca.key")), 0600);
    cr_assert_eq(mode_of(at("a/b", "tls.key")), 0600);
    cr_assert_eq(mode_of(at("a/b", "ca.crt")), 0644);
    cr_assert_eq(mode_of(at("a/b", "tls.crt")), 0644);
    cr_assert_eq(mode_of(at("a/b", "caBundle")), 0644);
    DIR *d = opendir(dir("a/b"));
    int entries = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            entries++;
    }
    closedir(d);
    cr_assert_eq(entries, 5, "expected exactly the 5 output files");
}

static bool ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    cr_assert_geq(i, 0, "extension %s missing", OBJ_nid2sn(nid));
    return X509_EXTENSION_get_critical(X509_get_ext(x, i)) == 1;
}

Test(certs, ca_and_serving_certificate_extensions)
{
    gen_ok("d");
    X509 *ca = read_cert(at("d", "ca.crt"));
    X509 *leaf = read_cert(at("d", "tls.crt"));
    /* CA */
    cr_assert(X509_get_extension_flags(ca) & EXFLAG_CA);
    cr_assert(ext_critical(ca, NID_basic_constraints));
    cr_assert_eq(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    cr_assert_not_null(X509_get0_subject_key_id(ca));
    cr_assert_eq(X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(ca)), 0);
    cr_assert_eq(X509_verify(ca, X509_get0_pubkey(ca)), 1, "CA is not self-signed");
    time_t ca_nb, ca_na;
    struct tm tm;
    ASN1_TIME_to_tm(X509_get0_notBefore(ca), &tm);
    ca_nb = timegm(&tm);
    ASN1_TIME_to_tm(X509_get0_notAfter(ca), &tm);
    ca_na = timegm(&tm);
    cr_assert_eq(ca_na - ca_nb, 3650L * 86400 + 3600);
    /* serving certificate */
    cr_assert_eq(X509_get_extension_flags(leaf) & EXFLAG_CA, 0);
    cr_assert_eq(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    cr_assert_eq(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
    cr_assert_eq(X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ca)), 0);
    cr_assert_eq(
        ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(ca)), 0);
    cr_assert_eq(X509_check_issued(ca, leaf), X509_V_OK);
    /* keys: ECDSA P-256 */
    for (int i = 0; i < 2; i++) {
        EVP_PKEY *pk = X509_get0_pubkey(i ? leaf : ca);
        char group[32];
        cr_assert(EVP_PKEY_is_a(pk, "EC"));
        cr_assert(EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), NULL));
        cr_assert_str_eq(group, "prime256v1");
    }
    /* serials: positive, random, up to 128 bits */
    BIGNUM *s1 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    BIGNUM *s2 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ca), NULL);
    cr_assert(!BN_is_negative(s1) && BN_num_bits(s1) > 64 && BN_num_bits(s1) <= 128);
    cr_assert_neq(BN_cmp(s1, s2), 0);
    BN_free(s1);
    BN_free(s2);
    X509_free(ca);
    X509_free(leaf);
}

/* X509_verify_cert of leaf against ca as a TLS server for `host` or `ip`. */
static int verify_chain(const char *ca_path, const char *leaf_path, const char *host,
                        const char *ip)
{
    X509 *ca = read_cert(ca_path), *leaf = read_cert(leaf_path);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    if (host)
        X509_VERIFY_PARAM_set1_host(param, host, 0);
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, ip);
    int ok = X509_verify_cert(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(ca);
    X509_free(leaf);
    return ok;
}

Test(certs, chain_verifies_against_ca_for_every_name)
{
    gen_ok("d");
    const char *ca = at("d", "ca.crt"), *leaf = at("d", "tls.crt");
    cr_assert_eq(verify_chain(ca, leaf, SVC, NULL), 1);
    cr_assert_eq(verify_chain(ca, leaf, SVC ".cluster.local", NULL), 1);
    cr_assert_eq(verify_chain(ca, leaf, "localhost", NULL), 1);
    cr_assert_eq(verify_chain(ca, leaf, NULL, "127.0.0.1"), 1);
    cr_assert_eq(verify_chain(ca, leaf, NULL, "::1"), 1);
    cr_assert_neq(verify_chain(ca, leaf, "other.example.com", NULL), 1);
    cr_assert_neq(verify_chain(ca, leaf, NULL, "10.0.0.1"), 1);
    gen_ok("e");
    cr_assert_neq(verify_chain(at("e", "ca.crt"), leaf, SVC, NULL), 1, "foreign CA accepted");
}

Test(certs, ca_bundle_is_one_line_of_base64_of_ca_crt)
{
    gen_ok("d");
    size_t blen, clen;
    char *bundle = slurp(at("d", "caBundle"), &blen);
    char *ca = slurp(at("d", "ca.crt"), &clen);
    cr_assert_gt(blen, 1);
    cr_assert_eq(bundle[blen - 1], '\n');
    cr_assert_eq(strchr(bundle, '\n'), bundle + blen - 1, "caBundle is not one line");
    blen--;
    unsigned char *dec = malloc(blen);
    int n = EVP_DecodeBlock(dec, (unsigned char *)bundle, (int)blen);
    cr_assert_gt(n, 0);
    n -= (bundle[blen - 1] == '=') + (bundle[blen - 2] == '=');
    cr_assert_eq((size_t)n, clen);
    cr_assert_eq(memcmp(dec, ca, clen), 0);
    free(dec);
    free(bundle);
    free(ca);
}

Test(certs, refuses_to_overwrite_without_force)
{
    gen_ok("d");
    char *before = slurp(at("d", "tls.crt"), NULL);
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", none, 0, 0, false), -1);
    cr_assert(strstr(err, "tls.crt already exists") && strstr(err, "--force"), "%s", err);
    char *after = slurp(at("d", "tls.crt"), NULL);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
    /* a lone tls.key is a private key too: not replaced silently either */
    gen_ok("k");
    remove(at("k", "tls.crt"));
    cr_assert_eq(gen_full("k", "kopia-webhook", "kopia-webhook", none, 0, 0, false), -1);
    cr_assert(strstr(err, "tls.key already exists"), "%s", err);
}

Test(certs, force_rotates_serving_certificate_and_keeps_the_ca)
{
    gen_ok("d");
    char *ca1 = slurp(at("d", "ca.crt"), NULL), *bundle1 = slurp(at("d", "caBundle"), NULL);
    char *cakey1 = slurp(at("d", "ca.key"), NULL);
    struct kw_cert_info i1, i2;
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &i1), 0, "%s", err);
    static const char *const hosts[] = {"localhost"};
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", hosts, 1, 30, true), 0, "%s", err);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &i2), 0, "%s", err);
    cr_assert_str_neq(i1.fingerprint, i2.fingerprint);
    cr_assert_eq(i2.not_after - i2.not_before, 30 * 86400 + 3600);
    char *ca2 = slurp(at("d", "ca.crt"), NULL), *bundle2 = slurp(at("d", "caBundle"), NULL);
    char *cakey2 = slurp(at("d", "ca.key"), NULL);
    cr_assert_str_eq(ca1, ca2);
    cr_assert_str_eq(bundle1, bundle2);
    cr_assert_str_eq(cakey1, cakey2);
    cr_assert_eq(verify_chain(at("d", "ca.crt"), at("d", "tls.crt"), SVC, NULL), 1);
    free(ca1);
    free(ca2);
    free(bundle1);
    free(bundle2);
    free(cakey1);
    free(cakey2);
}

Test(certs, a_half_present_or_non_ca_ca_is_refused)
{
    gen_ok("d");
    remove(at("d", "ca.key"));
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", none, 0, 0, true), -1);
    cr_assert(strstr(err, at("d", "ca.crt")) && strstr(err, "ca.key does not;"), "%s", err);

    gen_ok("n");
    rename(at("n", "tls.crt"), at("n", "ca.crt"));
    rename(at("n", "tls.key"), at("n", "ca.key"));
    cr_assert_eq(gen_full("n", "kopia-webhook", "kopia-webhook", none, 0, 0, true), -1);
    cr_assert(strstr(err, "is not a CA certificate"), "%s", err);

    gen_ok("m");
    gen_ok("m2");
    rename(at("m2", "ca.key"), at("m", "ca.key"));
    cr_assert_eq(gen_full("m", "kopia-webhook", "kopia-webhook", none, 0, 0, true), -1);
    cr_assert(strstr(err, "ca.key does not match") && strstr(err, "to make a new CA"), "%s", err);
}

Test(certs, serving_certificate_may_not_outlive_a_reused_ca)
{
    gen_ok("d");
    sleep(1); /* the CA ends CA_DAYS after the first run */
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", none, 0, 3650, true), -1);
    cr_assert(strstr(err, "--days: Invalid value: 3650: the serving certificate would outlive "
                          "the CA (ca.crt expires on "),
              "%s", err);
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", none, 0, 3649, true), 0, "%s",
                 err);
}

Test(certs, duplicate_hosts_are_listed_once)
{
    static const char *const hosts[] = {"localhost", "localhost", SVC, "::1", "0:0::1", "10.1.2.3"};
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", hosts, 6, 0, false), 0, "%s", err);
    struct kw_cert_info info;
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &info), 0, "%s", err);
    cr_assert_str_eq(info.sans,
                     "DNS:" SVC ", DNS:" SVC ".cluster.local, DNS:localhost, IP:::1, IP:10.1.2.3");
}

Test(certs, long_names_keep_full_sans_and_a_short_cn)
{
    char svc[64], ns[64];
    memset(svc, 's', 63);
    memset(ns, 'n', 63);
    svc[63] = ns[63] = '\0';
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("d", svc, ns, none, 0, 0, false), 0, "%s", err);
    struct kw_cert_info info;
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &info), 0, "%s", err);
    char want[300];
    snprintf(want, sizeof(want), "CN=%s", svc);
    cr_assert_str_eq(info.subject, want);
    snprintf(want, sizeof(want), "DNS:%s.%s.svc, DNS:%s.%s.svc.cluster.local", svc, ns, svc, ns);
    cr_assert_str_eq(info.sans, want);
}

Test(certs, many_sans_are_cut_at_an_entry_in_info)
{
    static char names[KW_CERTS_MAX_HOSTS][64];
    const char *hosts[KW_CERTS_MAX_HOSTS + 1];
    for (int i = 0; i < KW_CERTS_MAX_HOSTS; i++) {
        snprintf(names[i], sizeof(names[i]), "host-%03d.example.com", i);
        hosts[i] = names[i];
    }
    cr_assert_eq(
        gen_full("d", "kopia-webhook", "kopia-webhook", hosts, KW_CERTS_MAX_HOSTS, 0, false), 0,
        "%s", err);
    struct kw_cert_info info;
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &info), 0, "%s", err);
    size_t n = strlen(info.sans);
    cr_assert(n > 900 && n < sizeof(info.sans), "%zu", n);
    cr_assert_str_eq(info.sans + n - strlen(".example.com"), ".example.com");
    cr_assert_eq(verify_chain(at("d", "ca.crt"), at("d", "tls.crt"), "host-099.example.com", NULL),
                 1, "the certificate itself holds every name");

    hosts[KW_CERTS_MAX_HOSTS] = "one-more.example.com";
    cr_assert_eq(
        gen_full("e", "kopia-webhook", "kopia-webhook", hosts, KW_CERTS_MAX_HOSTS + 1, 0, false),
        -1);
    cr_assert_str_eq(err, "--host: Too many: 101: must have at most 100 items");
}

Test(certs, invalid_options_are_refused_before_writing)
{
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("d", "Kopia_Webhook", "ns", none, 0, 0, false), -1);
    cr_assert(strstr(err, "--service: Invalid value: \"Kopia_Webhook\": a lowercase RFC 1123 "
                          "label must consist of"),
              "%s", err);
    cr_assert_eq(gen_full("d", "svc", "", none, 0, 0, false), -1);
    cr_assert(strstr(err, "--namespace: Required value"), "%s", err);
    cr_assert_eq(gen_full("d", NULL, "ns", none, 0, 0, false), -1);
    cr_assert(strstr(err, "--service: Required value"), "%s", err);
    cr_assert_eq(gen_full("d", "svc", "-ns", none, 0, 0, false), -1);
    cr_assert(strstr(err, "--namespace: Invalid value: \"-ns\""), "%s", err);
    char long_label[65];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    cr_assert_eq(gen_full("d", long_label, "ns", none, 0, 0, false), -1);
    cr_assert(strstr(err, "must be no more than 63 characters"), "%s", err);

    static const char *const bad_hosts[][1] = {{"a_b"},           {"Example.com"}, {"fe80::1%eth0"},
                                               {"*.example.com"}, {"a..b"},        {""}};
    for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
        cr_assert_eq(gen_full("d", "svc", "ns", bad_hosts[i], 1, 0, false), -1, "%s accepted",
                     bad_hosts[i][0]);
        cr_assert(strncmp(err, "--host: ", 8) == 0, "%s", err);
    }
    cr_assert_eq(gen_full("d", "svc", "ns", bad_hosts[0], 1, 0, false), -1);
    cr_assert(strstr(err, "--host: Invalid value: \"a_b\": must be an IPv4 or IPv6 address, or: a "
                          "lowercase RFC 1123 subdomain"),
              "%s", err);

    cr_assert_eq(gen_full("d", "svc", "ns", none, 0, -1, false), -1);
    cr_assert_str_eq(err, "--days: Invalid value: -1: must be between 1 and 3650");
    cr_assert_eq(gen_full("d", "svc", "ns", none, 0, 3651, false), -1);
    cr_assert_str_eq(err, "--days: Invalid value: 3651: must be between 1 and 3650");

    struct kw_gencerts_opts o = {.service = "svc", .namespace = "ns"};
    cr_assert_eq(kw_certs_generate(&o, err, sizeof(err)), -1);
    cr_assert(strstr(err, "--out: Required value"), "%s", err);

    struct stat st;
    cr_assert_neq(stat(dir("d"), &st), 0, "the output directory was created for bad options");

    spit(dir("file"), "x");
    cr_assert_eq(gen_full("file", "svc", "ns", none, 0, 0, false), -1);
    cr_assert(strstr(err, "not a directory"), "%s", err);
}

/* ---- loading ----------------------------------------------------------- */

Test(certs, key_of_another_pair_is_rejected)
{
    gen_ok("a");
    gen_ok("b");
    cr_assert_eq(load(at("a", "tls.crt"), at("b", "tls.key"), time(NULL), NULL), -1);
    char want[1100];
    snprintf(want, sizeof(want), "%s does not match %s", at("b", "tls.key"), at("a", "tls.crt"));
    cr_assert_str_eq(err, want);
    cr_assert_null(strstr(err, "PRIVATE"));
}

Test(certs, expired_and_not_yet_valid_certificates_are_rejected)
{
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("d", "kopia-webhook", "kopia-webhook", none, 0, 1, false), 0, "%s", err);
    struct kw_cert_info info;
    time_t now = time(NULL);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), now, &info), 0, "%s", err);
    char when[32], want[1100];
    struct tm tm;
    gmtime_r(&info.not_after, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), now + 2 * 86400, NULL), -1);
    snprintf(want, sizeof(want), "%s expired on %s", at("d", "tls.crt"), when);
    cr_assert_str_eq(err, want);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), info.not_after, NULL), 0,
                 "the last second is still valid");

    gmtime_r(&info.not_before, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), now - 2 * 3600, NULL), -1);
    snprintf(want, sizeof(want), "%s is not valid before %s", at("d", "tls.crt"), when);
    cr_assert_str_eq(err, want);
}

Test(certs, chain_is_kept_and_every_chain_certificate_is_checked)
{
    gen_ok("a");
    static const char *const none[] = {NULL};
    cr_assert_eq(gen_full("b", "kopia-webhook", "kopia-webhook", none, 0, 1, false), 0, "%s", err);
    char *leaf = slurp(at("a", "tls.crt"), NULL), *ca = slurp(at("a", "ca.crt"), NULL);
    char *short_lived = slurp(at("b", "tls.crt"), NULL);
    char chain[16384];
    snprintf(chain, sizeof(chain), "%s%s", leaf, ca);
    spit(at("a", "chain.crt"), chain);
    char *c = NULL, *k = NULL;
    int rc = kw_cert_pair_load(at("a", "chain.crt"), at("a", "tls.key"), time(NULL), &c, &k, NULL,
                               err, sizeof(err));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(c, chain, "the chain is returned in order");
    free(c);
    kw_certs_free_secret(k);

    snprintf(chain, sizeof(chain), "%s%s", leaf, short_lived);
    spit(at("a", "chain2.crt"), chain);
    cr_assert_eq(load(at("a", "chain2.crt"), at("a", "tls.key"), time(NULL) + 2 * 86400, NULL), -1);
    cr_assert(strstr(err, "chain2.crt: chain certificate 2 expired on "), "%s", err);
    free(leaf);
    free(ca);
    free(short_lived);
}

Test(certs, garbage_and_missing_files_are_rejected_with_the_path)
{
    gen_ok("d");
    spit(at("d", "garbage.crt"), "this is not a certificate\n");
    cr_assert_eq(load(at("d", "garbage.crt"), at("d", "tls.key"), time(NULL), NULL), -1);
    char want[1100];
    snprintf(want, sizeof(want), "%s: no certificate found", at("d", "garbage.crt"));
    cr_assert_str_eq(err, want);

    spit(at("d", "empty.crt"), "");
    cr_assert_eq(load(at("d", "empty.crt"), at("d", "tls.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "empty.crt: no certificate found"), "%s", err);

    spit(at("d", "broken.crt"), "-----BEGIN CERTIFICATE-----\nnot base64 !!\n"
                                "-----END CERTIFICATE-----\n");
    cr_assert_eq(load(at("d", "broken.crt"), at("d", "tls.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "broken.crt: certificate 1 is malformed: "), "%s", err);

    char *leaf = slurp(at("d", "tls.crt"), NULL);
    char two[8192];
    snprintf(two, sizeof(two), "%s-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
             leaf);
    spit(at("d", "second.crt"), two);
    free(leaf);
    cr_assert_eq(load(at("d", "second.crt"), at("d", "tls.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "second.crt: certificate 2 is malformed: "), "%s", err);

    spit(at("d", "garbage.key"), "nope\n");
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "garbage.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "garbage.key: no private key found"), "%s", err);
    spit(at("d", "broken.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "broken.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "broken.key: the private key is malformed or of an unsupported type"),
              "%s", err);

    cr_assert_eq(load(at("d", "missing.crt"), at("d", "tls.key"), time(NULL), NULL), -1);
    snprintf(want, sizeof(want), "cannot read %s: No such file or directory",
             at("d", "missing.crt"));
    cr_assert_str_eq(err, want);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "missing.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "missing.key: No such file or directory"), "%s", err);

    FILE *f = fopen(at("d", "huge.crt"), "w");
    for (int i = 0; i < (1 << 20) + 1; i++)
        fputc('A', f);
    fclose(f);
    cr_assert_eq(load(at("d", "huge.crt"), at("d", "tls.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "huge.crt: larger than 1048576 bytes"), "%s", err);
}

Test(certs, encrypted_key_is_refused_without_prompting)
{
    gen_ok("d");
    EVP_PKEY *key = read_key(at("d", "tls.key"));
    FILE *f = fopen(at("d", "enc.key"), "w");
    cr_assert(PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), "secret", 6, NULL, NULL));
    fclose(f);
    EVP_PKEY_free(key);
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "enc.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "enc.key: the private key is encrypted"), "%s", err);
}

Test(certs, traditional_ec_key_is_returned_as_pkcs8)
{
    gen_ok("d");
    EVP_PKEY *key = read_key(at("d", "tls.key"));
    FILE *f = fopen(at("d", "sec1.key"), "w");
    BIO *bio = BIO_new_fp(f, BIO_NOCLOSE);
    cr_assert(PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL));
    BIO_free(bio);
    fclose(f);
    EVP_PKEY_free(key);
    char *sec1 = slurp(at("d", "sec1.key"), NULL);
    cr_assert(strstr(sec1, "BEGIN EC PRIVATE KEY"));
    free(sec1);
    char *c = NULL, *k = NULL;
    cr_assert_eq(kw_cert_pair_load(at("d", "tls.crt"), at("d", "sec1.key"), time(NULL), &c, &k,
                                   NULL, err, sizeof(err)),
                 0, "%s", err);
    char *pkcs8 = slurp(at("d", "tls.key"), NULL);
    cr_assert_str_eq(k, pkcs8);
    free(pkcs8);
    free(c);
    kw_certs_free_secret(k);
}

/* A self-signed certificate for CN=test with the subjectAltName `san` (none
 * when NULL), its key RSA 2048 or P-256, the key written in the traditional
 * format (BEGIN RSA/EC PRIVATE KEY), as cert-manager writes PKCS#1 keys. */
static void make_self_signed(const char *crt, const char *key, bool rsa, const char *san)
{
    EVP_PKEY *pk = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, pk);
    if (san) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        cr_assert_not_null(ext, "bad SAN config %s", san);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    cr_assert_gt(X509_sign(x, pk, EVP_sha256()), 0);
    FILE *f = fopen(crt, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key, "w");
    BIO *bio = BIO_new_fp(f, BIO_NOCLOSE);
    PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL);
    BIO_free(bio);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
}

Test(certs, info_shows_uri_email_dns_and_ip_sans)
{
    mkdir(dir("d"), 0700);
    make_self_signed(at("d", "c.crt"), at("d", "c.key"), false,
                     "URI:spiffe://cluster.local/ns/x,email:ops@example.com,DNS:a.example.com,"
                     "IP:10.0.0.1,IP:2001:db8::1");
    struct kw_cert_info info;
    cr_assert_eq(load(at("d", "c.crt"), at("d", "c.key"), time(NULL), &info), 0, "%s", err);
    cr_assert_str_eq(info.sans, "URI:spiffe://cluster.local/ns/x, email:ops@example.com, "
                                "DNS:a.example.com, IP:10.0.0.1, IP:2001:db8::1");
    cr_assert_str_eq(info.subject, "CN=test");

    make_self_signed(at("d", "n.crt"), at("d", "n.key"), false, NULL);
    cr_assert_eq(load(at("d", "n.crt"), at("d", "n.key"), time(NULL), &info), 0, "%s", err);
    cr_assert_str_eq(info.sans, "");

    /* bytes outside printable ASCII are shown as '?' (the string goes to logs) */
    make_self_signed(at("d", "u.crt"), at("d", "u.key"), false, "DNS:caf\xc3\xa9.example");
    cr_assert_eq(load(at("d", "u.crt"), at("d", "u.key"), time(NULL), &info), 0, "%s", err);
    cr_assert_str_eq(info.sans, "DNS:caf??.example");
}

Test(certs, rsa_pkcs1_pair_is_accepted_and_returned_as_pkcs8_for_gnutls)
{
    mkdir(dir("d"), 0700);
    make_self_signed(at("d", "r.crt"), at("d", "r.key"), true, "DNS:r.example.com");
    char *raw = slurp(at("d", "r.key"), NULL);
    cr_assert(strstr(raw, "-----BEGIN RSA PRIVATE KEY-----"));
    free(raw);
    char *c = NULL, *k = NULL;
    cr_assert_eq(kw_cert_pair_load(at("d", "r.crt"), at("d", "r.key"), time(NULL), &c, &k, NULL,
                                   err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(strncmp(k, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    gnutls_certificate_credentials_t cred;
    gnutls_certificate_allocate_credentials(&cred);
    gnutls_datum_t cd = {(unsigned char *)c, (unsigned int)strlen(c)};
    gnutls_datum_t kd = {(unsigned char *)k, (unsigned int)strlen(k)};
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    cr_assert_geq(rc, 0, "GnuTLS: %s", gnutls_strerror(rc));
    gnutls_certificate_free_credentials(cred);
    free(c);
    kw_certs_free_secret(k);

    /* an EC key against the RSA certificate: a mismatch, not a crash */
    make_self_signed(at("d", "e.crt"), at("d", "e.key"), false, NULL);
    cr_assert_eq(load(at("d", "r.crt"), at("d", "e.key"), time(NULL), NULL), -1);
    cr_assert(strstr(err, "e.key does not match"), "%s", err);
}

Test(certs, fingerprint_is_sha256_of_the_der)
{
    gen_ok("d");
    struct kw_cert_info info;
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &info), 0, "%s", err);
    X509 *x = read_cert(at("d", "tls.crt"));
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    unsigned char md[32];
    EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL);
    char want[96];
    size_t used = 0;
    for (int i = 0; i < 32; i++)
        used += (size_t)snprintf(want + used, sizeof(want) - used, i ? ":%02X" : "%02X", md[i]);
    cr_assert_str_eq(info.fingerprint, want);
    OPENSSL_free(der);
    X509_free(x);
}

Test(certs, ca_bundle_load_reads_every_certificate)
{
    gen_ok("a");
    gen_ok("b");
    char *pem = kw_ca_bundle_load(at("a", "ca.crt"), err, sizeof(err));
    cr_assert_not_null(pem, "%s", err);
    char *ca = slurp(at("a", "ca.crt"), NULL);
    cr_assert_str_eq(pem, ca);
    free(pem);
    char *cb = slurp(at("b", "ca.crt"), NULL);
    char both[8192];
    snprintf(both, sizeof(both), "%s%s", ca, cb);
    spit(at("a", "bundle.pem"), both);
    pem = kw_ca_bundle_load(at("a", "bundle.pem"), err, sizeof(err));
    cr_assert_not_null(pem, "%s", err);
    cr_assert_str_eq(pem, both);
    free(pem);
    free(ca);
    free(cb);

    spit(at("a", "junk.pem"), "junk");
    cr_assert_null(kw_ca_bundle_load(at("a", "junk.pem"), err, sizeof(err)));
    cr_assert(strstr(err, "junk.pem: no certificate found"), "%s", err);
    cr_assert_null(kw_ca_bundle_load(at("a", "nope.pem"), err, sizeof(err)));
    cr_assert(strstr(err, "nope.pem: No such file or directory"), "%s", err);
}

/* ---- cross-checks ------------------------------------------------------ */

Test(certs, gnutls_accepts_the_generated_pair)
{
    gen_ok("d");
    char *c = NULL, *k = NULL;
    cr_assert_eq(kw_cert_pair_load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &c, &k, NULL,
                                   err, sizeof(err)),
                 0, "%s", err);
    gnutls_certificate_credentials_t cred;
    cr_assert_eq(gnutls_certificate_allocate_credentials(&cred), GNUTLS_E_SUCCESS);
    gnutls_datum_t cd = {(unsigned char *)c, (unsigned int)strlen(c)};
    gnutls_datum_t kd = {(unsigned char *)k, (unsigned int)strlen(k)};
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    cr_assert_geq(rc, 0, "GnuTLS: %s", gnutls_strerror(rc));
    /* and the CA, as a client trusting caBundle would */
    char *ca = kw_ca_bundle_load(at("d", "ca.crt"), err, sizeof(err));
    gnutls_datum_t cad = {(unsigned char *)ca, (unsigned int)strlen(ca)};
    cr_assert_eq(gnutls_certificate_set_x509_trust_mem(cred, &cad, GNUTLS_X509_FMT_PEM), 1);
    gnutls_x509_crt_t crt, cacrt;
    gnutls_x509_crt_init(&crt);
    gnutls_x509_crt_init(&cacrt);
    cr_assert_eq(gnutls_x509_crt_import(crt, &cd, GNUTLS_X509_FMT_PEM), 0);
    cr_assert_eq(gnutls_x509_crt_import(cacrt, &cad, GNUTLS_X509_FMT_PEM), 0);
    unsigned int status = 0;
    cr_assert_eq(gnutls_x509_crt_verify(crt, &cacrt, 1, 0, &status), 0);
    cr_assert_eq(status, 0, "GnuTLS verification status %u", status);
    cr_assert(gnutls_x509_crt_check_hostname(crt, SVC));
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_crt_deinit(cacrt);
    gnutls_certificate_free_credentials(cred);
    free(ca);
    free(c);
    kw_certs_free_secret(k);
}

static enum MHD_Result answer_ok(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **req_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
    (void)req_cls;
    struct MHD_Response *r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static size_t collect(char *data, size_t size, size_t n, void *out)
{
    strncat(out, data, size * n < 15 ? size * n : 15);
    return size * n;
}

Test(certs, libmicrohttpd_serves_https_with_the_pair_to_a_client_trusting_ca_crt)
{
    gen_ok("d");
    char *c = NULL, *k = NULL;
    cr_assert_eq(kw_cert_pair_load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &c, &k, NULL,
                                   err, sizeof(err)),
                 0, "%s", err);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
                                            NULL, answer_ok, NULL, MHD_OPTION_HTTPS_MEM_CERT, c,
                                            MHD_OPTION_HTTPS_MEM_KEY, k, MHD_OPTION_END);
    cr_assert_not_null(d, "libmicrohttpd refused the pair");
    int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char resolve[128], url[128], body[16] = "";
    snprintf(resolve, sizeof(resolve), SVC ":%d:127.0.0.1", port);
    snprintf(url, sizeof(url), "https://" SVC ":%d/", port);
    struct curl_slist *rs = curl_slist_append(NULL, resolve);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_RESOLVE, rs);
    curl_easy_setopt(h, CURLOPT_CAINFO, at("d", "ca.crt"));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    curl_slist_free_all(rs);
    MHD_stop_daemon(d);
    free(c);
    kw_certs_free_secret(k);
    cr_assert_eq(rc, CURLE_OK, "curl: %s", curl_easy_strerror(rc));
    cr_assert_str_eq(body, "ok");
}

static bool have_openssl(void)
{
    return system("command -v openssl >/dev/null 2>&1") == 0;
}

Test(certs, openssl_command_agrees)
{
    if (!have_openssl())
        cr_skip_test("openssl command not installed");
    gen_ok("d");
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "openssl verify -purpose sslserver -CAfile %s %s >/dev/null 2>&1",
             at("d", "ca.crt"), at("d", "tls.crt"));
    cr_assert_eq(system(cmd), 0, "openssl verify failed");
    snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in %s",
             at("d", "tls.crt"));
    FILE *p = popen(cmd, "r");
    char line[256] = "";
    cr_assert_not_null(fgets(line, sizeof(line), p));
    pclose(p);
    line[strcspn(line, "\n")] = '\0';
    struct kw_cert_info info;
    cr_assert_eq(load(at("d", "tls.crt"), at("d", "tls.key"), time(NULL), &info), 0, "%s", err);
    const char *eq = strchr(line, '=');
    cr_assert_not_null(eq, "%s", line);
    cr_assert_str_eq(eq + 1, info.fingerprint);
    /* and a foreign CA does not verify */
    gen_ok("e");
    snprintf(cmd, sizeof(cmd), "openssl verify -CAfile %s %s >/dev/null 2>&1", at("e", "ca.crt"),
             at("d", "tls.crt"));
    cr_assert_neq(system(cmd), 0);
}
