/* The serving certificate holder (include/kw/server/tls.h): the first pair must be
 * valid, reloads happen only when the files change (or are forced), a bad
 * pair keeps the current one and is counted (a FIFO among them, refused
 * without waiting for a writer), and a pair acquired before a
 * swap stays usable until released. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kw/server/certs_generate.h"
#include "kw/server/metrics.h"
#include "kw/server/tls.h"
#include "kwtest.h"

static char dir[64], cert[128], key[128];
static struct kw_metrics *metrics;

static int rm_entry(const char *p, const struct stat *sb, int f, struct FTW *ftw)
{
    (void)sb;
    (void)f;
    (void)ftw;
    return remove(p);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kwtls-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
    snprintf(key, sizeof(key), "%s/tls.key", dir);
    struct kw_gencerts_opts o = {.service = "svc", .namespace = "ns", .out_dir = dir};
    char err[256];
    cr_assert_eq(kw_certs_generate(&o, err, sizeof(err)), 0, "%s", err);
    metrics = kw_metrics_new("test");
}

static void teardown(void)
{
    kw_metrics_free(metrics);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(tls_holder, .init = setup, .fini = teardown);

static double reloads(const char *result)
{
    size_t len;
    char *text = kw_metrics_render(metrics, &len);
    struct kwt_metrics m;
    char err[256];
    cr_assert_eq(kwt_metrics_parse(text, &m, err, sizeof(err)), 0, "%s", err);
    char label[32];
    snprintf(label, sizeof(label), "result=%s", result);
    double v = kwt_metric(&m, "kopia_webhook_tls_reloads_total", label, NULL);
    kwt_metrics_free(&m);
    free(text);
    return v;
}

static void fingerprint(struct kw_tls *t, char *buf, size_t len)
{
    kwt_tls_holder_fingerprint(t, buf, len);
}

Test(tls_holder, refuses_a_bad_first_pair)
{
    char err[512] = "", ca_key[128];
    snprintf(ca_key, sizeof(ca_key), "%s/ca.key", dir);
    cr_expect_null(kw_tls_new(cert, ca_key, metrics, err, sizeof(err)));
    cr_expect(strstr(err, "does not match"), "%s", err);
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/none.crt", dir);
    cr_expect_null(kw_tls_new(missing, key, metrics, err, sizeof(err)));
    cr_expect(strstr(err, "none.crt"), "%s", err);
}

Test(tls_holder, reloads_only_changed_files_unless_forced)
{
    char err[512];
    struct kw_tls *t = kw_tls_new(cert, key, metrics, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    char before[128], after[128], want[128];
    fingerprint(t, before, sizeof(before));
    cr_expect_eq(kw_tls_reload(t, false), KW_TLS_UNCHANGED);
    cr_expect_eq(kw_tls_reload(t, true), KW_TLS_RELOADED);
    fingerprint(t, after, sizeof(after));
    cr_expect_str_eq(after, before);
    cr_assert_eq(kwt_rotate_certificate(dir), 0);
    cr_expect_eq(kw_tls_reload(t, false), KW_TLS_RELOADED);
    fingerprint(t, after, sizeof(after));
    cr_assert_eq(kwt_file_fingerprint(cert, want, sizeof(want)), 0);
    cr_expect_str_eq(after, want);
    cr_expect_str_neq(after, before);
    cr_expect_eq(kw_tls_reload(t, false), KW_TLS_UNCHANGED);
    cr_expect_eq(reloads("success"), 2);
    kw_tls_free(t);
}

Test(tls_holder, a_bad_pair_keeps_the_current_one_until_the_files_change)
{
    char err[512];
    struct kw_tls *t = kw_tls_new(cert, key, metrics, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    char before[128], now[128];
    fingerprint(t, before, sizeof(before));
    FILE *f = fopen(key, "w");
    fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    cr_expect_eq(kw_tls_reload(t, false), KW_TLS_FAILED);
    fingerprint(t, now, sizeof(now));
    cr_expect_str_eq(now, before);
    cr_expect_eq(kw_tls_reload(t, false), KW_TLS_UNCHANGED, "a failed pair is not retried");
    cr_expect_eq(reloads("failure"), 1);
    cr_assert_eq(kwt_rotate_certificate(dir), 0);
    cr_expect_eq(kw_tls_reload(t, false), KW_TLS_RELOADED);
    kw_tls_free(t);
}

Test(tls_holder, a_fifo_in_place_of_a_file_is_refused_without_waiting, .timeout = 10)
{
    char err[512];
    struct kw_tls *t = kw_tls_new(cert, key, metrics, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    char before[128], now[128];
    fingerprint(t, before, sizeof(before));
    cr_assert_eq(remove(key), 0);
    cr_assert_eq(mkfifo(key, 0600), 0);
    cr_expect_eq(kw_tls_reload(t, true), KW_TLS_FAILED);
    fingerprint(t, now, sizeof(now));
    cr_expect_str_eq(now, before);
    cr_expect_eq(reloads("failure"), 1);
    kw_tls_free(t);

    /* At start: no holder, and the reason names the path. */
    cr_expect_null(kw_tls_new(cert, key, metrics, err, sizeof(err)));
    char want[256];
    snprintf(want, sizeof(want), "%s is not a regular file (a FIFO)", key);
    cr_expect_str_eq(err, want);
}

Test(tls_holder, an_acquired_pair_survives_swaps_and_the_holder)
{
    char err[512];
    struct kw_tls *t = kw_tls_new(cert, key, metrics, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    struct kw_tls_pair *p = kw_tls_acquire(t);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(kwt_rotate_certificate(dir), 0);
        cr_assert_eq(kw_tls_reload(t, false), KW_TLS_RELOADED);
    }
    kw_tls_free(t);
    gnutls_pcert_st *pcerts;
    unsigned n;
    gnutls_privkey_t pk;
    kw_tls_pair_credentials(p, &pcerts, &n, &pk);
    cr_expect_eq(n, 1);
    /* Still a usable key: sign with it. */
    gnutls_datum_t data = {(unsigned char *)"x", 1}, sig = {NULL, 0};
    cr_expect_eq(gnutls_privkey_sign_data(pk, GNUTLS_DIG_SHA256, 0, &data, &sig), 0);
    gnutls_free(sig.data);
    kw_tls_pair_release(p);
}
