/* Tests of include/kw/server/certs_renew.h (the decision of `gen-certs
 * --renew`, every reason and the keep case, at chosen times) and of
 * kw_certs_issue_serving (certs_generate.h: a serving pair issued from a CA
 * held in memory, checked as gen-certs checks a reused CA). */
#include "kw/server/certs.h"
#include "kw/server/certs_generate.h"
#include "kw/server/certs_renew.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kwtest.h"

#define NS  "kopia-webhook"
#define SVC "kopia-webhook"
#define DAY 86400

static char tmp[64];
static char err[1024];

static void make_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/kw-renew-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    kwt_remove_tree(tmp);
}

TestSuite(renew, .init = make_tmp, .fini = remove_tmp);
TestSuite(issue, .init = make_tmp, .fini = remove_tmp);

/* PEM files of one gen-certs run in tmp/sub. */
struct pems {
    char *ca_crt, *ca_key, *tls_crt, *tls_key;
};

static char *slurp(const char *sub, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s/%s", tmp, sub, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* gen-certs into tmp/sub (the CA there reused when present). */
static struct pems gen(const char *sub, const char *service, int days)
{
    char out[256];
    snprintf(out, sizeof(out), "%s/%s", tmp, sub);
    struct kw_gencerts_opts o = {
        .service = service, .namespace = NS, .out_dir = out, .days = days, .force = true};
    cr_assert_eq(kw_certs_generate(&o, err, sizeof(err)), 0, "gen-certs: %s", err);
    return (struct pems){slurp(sub, "ca.crt"), slurp(sub, "ca.key"), slurp(sub, "tls.crt"),
                         slurp(sub, "tls.key")};
}

static void pems_free(struct pems *p)
{
    free(p->ca_crt);
    free(p->ca_key);
    free(p->tls_crt);
    free(p->tls_key);
}

static struct kw_renew_input input(const struct pems *p, time_t now)
{
    return (struct kw_renew_input){.tls_crt = p->tls_crt,
                                   .tls_key = p->tls_key,
                                   .secret_ca_crt = p->ca_crt,
                                   .ca_crt = p->ca_crt,
                                   .service = SVC,
                                   .namespace = NS,
                                   .now = now,
                                   .renew_before_days = 30};
}

static struct kw_renew_decision decide(const struct kw_renew_input *in)
{
    struct kw_renew_decision d;
    err[0] = '\0';
    cr_assert_eq(kw_certs_renew_decide(in, &d, err, sizeof(err)), 0, "decide: %s", err);
    cr_assert_null(strstr(d.reason, "PRIVATE KEY"));
    return d;
}

static void assert_renew(const struct kw_renew_input *in, const char *reason_part)
{
    struct kw_renew_decision d = decide(in);
    cr_assert_eq(d.verdict, KW_RENEW_NEEDED, "kept, want renew for \"%s\": %s", reason_part,
                 d.reason);
    cr_assert_not_null(strstr(d.reason, reason_part), "reason \"%s\" lacks \"%s\"", d.reason,
                       reason_part);
}

Test(renew, a_valid_certificate_is_kept_with_its_expiry)
{
    struct pems p = gen("a", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    struct kw_renew_decision d = decide(&in);
    cr_assert_eq(d.verdict, KW_RENEW_KEEP, "%s", d.reason);
    cr_assert_not_null(strstr(d.reason, "tls.crt is still valid until 20"), "%s", d.reason);
    cr_assert_gt(d.not_after, time(NULL) + 364 * DAY);
    pems_free(&p);
}

Test(renew, missing_or_unparsable_certificate_and_key)
{
    struct pems p = gen("a", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    in.tls_crt = NULL;
    assert_renew(&in, "tls.crt is missing");
    in.tls_crt = "";
    assert_renew(&in, "tls.crt is unparsable (tls.crt: no certificate found)");
    in.tls_crt = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_renew(&in, "tls.crt is unparsable (tls.crt: certificate 1 is malformed");
    in = input(&p, time(NULL));
    in.tls_key = NULL;
    assert_renew(&in, "tls.key is missing");
    in.tls_key = "garbage";
    assert_renew(&in, "tls.key is unparsable (tls.key: no private key found)");
    pems_free(&p);
}

Test(renew, a_key_of_another_pair_does_not_match)
{
    struct pems p = gen("a", SVC, 365), q = gen("a", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    in.tls_key = q.tls_key;
    assert_renew(&in, "tls.key does not match tls.crt");
    pems_free(&p);
    pems_free(&q);
}

Test(renew, expiring_within_the_window_expired_and_not_yet_valid)
{
    struct pems p = gen("a", SVC, 40);
    time_t now = time(NULL);
    struct kw_renew_input in = input(&p, now);
    struct kw_renew_decision d = decide(&in);
    cr_assert_eq(d.verdict, KW_RENEW_KEEP, "40 days left, window 30: %s", d.reason);
    in.now = now + 11 * DAY; /* 29 days left */
    assert_renew(&in, "within the 30 days before expiry");
    assert_renew(&in, "tls.crt expires on 20");
    in.now = now;
    in.renew_before_days = 45;
    assert_renew(&in, "within the 45 days before expiry");
    in.renew_before_days = 30;
    in.now = now + 41 * DAY;
    assert_renew(&in, "tls.crt expired on 20");
    in.now = now - 2 * DAY;
    assert_renew(&in, "tls.crt is not valid before 20");
    pems_free(&p);
}

Test(renew, a_certificate_of_another_ca_is_not_signed_by_the_ca)
{
    struct pems p = gen("a", SVC, 365), other = gen("b", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    in.tls_crt = other.tls_crt;
    in.tls_key = other.tls_key;
    assert_renew(&in, "tls.crt is not signed by the CA");
    pems_free(&p);
    pems_free(&other);
}

/* A leaf signed by the CA of tmp/sub with exactly the SANs `san`. */
static void make_leaf(const struct pems *ca, const char *san, char **crt_out, char **key_out)
{
    BIO *b = BIO_new_mem_buf(ca->ca_crt, -1);
    X509 *cax = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    b = BIO_new_mem_buf(ca->ca_key, -1);
    EVP_PKEY *cak = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    cr_assert(cax && cak);
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 9);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * DAY);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)SVC "." NS ".svc", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(cax));
    X509_set_pubkey(x, pk);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cax, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    cr_assert_not_null(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    cr_assert_gt(X509_sign(x, cak, EVP_sha256()), 0);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    *crt_out = strndup(data, (size_t)n);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
    n = BIO_get_mem_data(b, &data);
    *key_out = strndup(data, (size_t)n);
    BIO_free(b);
    X509_free(x);
    X509_free(cax);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(cak);
}

Test(renew, sans_must_cover_both_service_names_exactly)
{
    struct pems p = gen("a", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    char *crt, *key;
    make_leaf(&p, "DNS:" SVC "." NS ".svc", &crt, &key);
    in.tls_crt = crt, in.tls_key = key;
    assert_renew(&in, "tls.crt does not cover " SVC "." NS ".svc.cluster.local");
    free(crt), free(key);
    /* The CN alone does not count, nor does a wildcard. */
    make_leaf(&p, "DNS:*." NS ".svc,DNS:" SVC "." NS ".svc.cluster.local", &crt, &key);
    in.tls_crt = crt, in.tls_key = key;
    assert_renew(&in, "tls.crt does not cover " SVC "." NS ".svc");
    free(crt), free(key);
    make_leaf(&p, "DNS:" SVC "." NS ".svc.cluster.local,DNS:" SVC "." NS ".svc,IP:10.0.0.1", &crt,
              &key);
    in.tls_crt = crt, in.tls_key = key;
    cr_assert_eq(decide(&in).verdict, KW_RENEW_KEEP);
    free(crt), free(key);
    /* A certificate for another Service. */
    struct pems other = gen("a", "other", 365);
    in = input(&other, time(NULL));
    assert_renew(&in, "tls.crt does not cover " SVC "." NS ".svc");
    pems_free(&p);
    pems_free(&other);
}

Test(renew, ca_crt_in_the_secret_must_be_the_cas)
{
    struct pems p = gen("a", SVC, 365), other = gen("b", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    in.secret_ca_crt = NULL;
    assert_renew(&in, "ca.crt is missing");
    in.secret_ca_crt = other.ca_crt;
    assert_renew(&in, "ca.crt is not the CA's certificate");
    in.secret_ca_crt = "garbage";
    assert_renew(&in, "ca.crt is not the CA's certificate");
    pems_free(&p);
    pems_free(&other);
}

/* During a CA replacement ca.crt holds the new CA (the key's) and then the
 * old one: the first certificate is the CA. */
Test(renew, a_bundle_of_new_and_old_ca_counts_as_the_first)
{
    struct pems p = gen("a", SVC, 365), old = gen("b", SVC, 365);
    size_t n = strlen(p.ca_crt) + strlen(old.ca_crt) + 1;
    char *bundle = malloc(n);
    snprintf(bundle, n, "%s%s", p.ca_crt, old.ca_crt);
    struct kw_renew_input in = input(&p, time(NULL));
    in.ca_crt = bundle;
    in.secret_ca_crt = bundle;
    cr_assert_eq(decide(&in).verdict, KW_RENEW_KEEP);
    in.secret_ca_crt = p.ca_crt;
    cr_assert_eq(decide(&in).verdict, KW_RENEW_KEEP);
    in.tls_crt = old.tls_crt, in.tls_key = old.tls_key;
    assert_renew(&in, "not signed by the CA");
    struct kw_certs_issue is = {.service = SVC,
                                .namespace = NS,
                                .ca_cert_pem = bundle,
                                .ca_key_pem = p.ca_key,
                                .days = 30,
                                .now = time(NULL)};
    char *crt = NULL, *key = NULL;
    cr_assert_eq(kw_certs_issue_serving(&is, &crt, &key, err, sizeof(err)), 0, "%s", err);
    in = input(&p, time(NULL));
    in.tls_crt = crt, in.tls_key = key;
    cr_assert_eq(decide(&in).verdict, KW_RENEW_NEEDED, "30 days is within the window");
    in.renew_before_days = 20;
    cr_assert_eq(decide(&in).verdict, KW_RENEW_KEEP);
    free(crt);
    kw_certs_free_secret(key);
    free(bundle);
    pems_free(&p);
    pems_free(&old);
}

Test(renew, an_unreadable_ca_is_an_error_not_a_reason)
{
    struct pems p = gen("a", SVC, 365);
    struct kw_renew_input in = input(&p, time(NULL));
    struct kw_renew_decision d;
    in.ca_crt = NULL;
    cr_assert_eq(kw_certs_renew_decide(&in, &d, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "ca.crt is missing"), "%s", err);
    in.ca_crt = "nothing";
    cr_assert_eq(kw_certs_renew_decide(&in, &d, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "no certificate found"), "%s", err);
    in = input(&p, time(NULL));
    in.renew_before_days = -1;
    cr_assert_eq(kw_certs_renew_decide(&in, &d, err, sizeof(err)), -1);
    pems_free(&p);
}

/* ---- kw_certs_issue_serving -------------------------------------------- */

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    cr_assert_not_null(x);
    return x;
}

static struct kw_certs_issue issue_in(const struct pems *p, int days)
{
    return (struct kw_certs_issue){.service = SVC,
                                   .namespace = NS,
                                   .ca_cert_pem = p->ca_crt,
                                   .ca_key_pem = p->ca_key,
                                   .ca_name = NS "/kopia-webhook-ca",
                                   .days = days,
                                   .now = time(NULL)};
}

Test(issue, a_new_pair_verifies_against_the_ca_and_is_kept_by_the_decision)
{
    struct pems p = gen("a", SVC, 365);
    struct kw_certs_issue in = issue_in(&p, 90);
    char *crt = NULL, *key = NULL;
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), 0, "%s", err);
    cr_assert_not_null(strstr(key, "BEGIN PRIVATE KEY"));
    cr_assert_str_neq(crt, p.tls_crt);
    X509 *leaf = pem_cert(crt), *ca = pem_cert(p.ca_crt);
    X509_STORE *st = X509_STORE_new();
    X509_STORE_add_cert(st, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, st, leaf, NULL);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), SVC "." NS ".svc.cluster.local", 0);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    cr_assert_eq(X509_verify_cert(ctx), 1, "%s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    int pday = 0, psec = 0;
    ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notAfter(leaf));
    cr_assert(pday == 89 || pday == 90, "valid for %d days", pday);
    struct kw_renew_input rin = input(&p, time(NULL));
    rin.tls_crt = crt, rin.tls_key = key;
    cr_assert_eq(decide(&rin).verdict, KW_RENEW_KEEP);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(leaf);
    X509_free(ca);
    free(crt);
    kw_certs_free_secret(key);
    pems_free(&p);
}

Test(issue, a_bad_ca_is_refused_naming_the_secret)
{
    struct pems p = gen("a", SVC, 365), other = gen("b", SVC, 365);
    char *crt = NULL, *key = NULL;
    struct kw_certs_issue in = issue_in(&p, 365);
    in.ca_key_pem = other.ca_key;
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), -1);
    cr_assert_str_eq(err,
                     NS "/kopia-webhook-ca: ca.key does not match " NS "/kopia-webhook-ca: ca.crt");
    in = issue_in(&p, 365);
    in.ca_cert_pem = p.tls_crt;
    in.ca_key_pem = p.tls_key;
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "is not a CA certificate"), "%s", err);
    in = issue_in(&p, 365);
    in.now += 3651L * DAY;
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "ca.crt expired on"), "%s", err);
    in = issue_in(&p, 365);
    in.now += 3400L * DAY; /* the CA has about 250 days left */
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "would outlive the CA"), "%s", err);
    in = issue_in(&p, 365);
    in.ca_key_pem = NULL;
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), -1);
    in = issue_in(&p, 365);
    in.namespace = "Bad_NS";
    cr_assert_eq(kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "--namespace: Invalid value"), "%s", err);
    cr_assert_null(crt);
    cr_assert_null(key);
    pems_free(&p);
    pems_free(&other);
}
