/* `serve --config FILE`: the file's server settings apply
 * under the flags, a bad file stops the start with line and column, and
 * SIGHUP swaps in the file's admission settings for new requests, keeping
 * the current ones when the new file is bad. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "kwtest.h"

static struct kwt_server srv;
static char config[256];

static void stop(void)
{
    kwt_server_finish(&srv);
}

TestSuite(http_config, .fini = stop, .timeout = 120);

static void write_config(const char *text)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", config);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, config), 0);
}

static void start_with(const char *text)
{
    cr_assert_eq(kwt_server_prepare(&srv), 0);
    snprintf(config, sizeof(config), "%s/config.yaml", srv.dir);
    write_config(text);
    const char *args[] = {"--config", config, NULL};
    cr_assert_eq(kwt_server_start_prepared(&srv, args), 0);
}

/* An RS that passes unless "--frobnicate" is a forbidden flag. */
static const char rs_review[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u-cfg\",\"kind\":{\"group\":\"volsync.backube\",\"version\":\"v1alpha1\","
    "\"kind\":\"ReplicationSource\"},\"resource\":{\"group\":\"volsync.backube\",\"version\":"
    "\"v1alpha1\",\"resource\":\"replicationsources\"},\"namespace\":\"ns\",\"name\":\"x\","
    "\"operation\":\"CREATE\",\"userInfo\":{},\"object\":{\"apiVersion\":"
    "\"volsync.backube/v1alpha1\",\"kind\":\"ReplicationSource\",\"metadata\":{\"name\":\"x\","
    "\"namespace\":\"ns\"},\"spec\":{\"sourcePVC\":\"data\",\"kopia\":{\"repository\":\"repo\","
    "\"copyMethod\":\"Snapshot\",\"additionalArgs\":[\"--frobnicate\"]}}}}}";

static bool allowed(void)
{
    CURL *c = kwt_curl(&srv);
    struct kwt_response r;
    cr_assert_eq(
        kwt_post(c, &srv, "/validate", "application/json", rs_review, strlen(rs_review), &r),
        CURLE_OK);
    cr_assert_eq(r.status, 200);
    bool yes = strstr(r.body, "\"allowed\":true") != NULL;
    kwt_response_free(&r);
    curl_easy_cleanup(c);
    return yes;
}

static double reloads(const char *result)
{
    struct kwt_metrics m;
    char err[256], label[32];
    cr_assert_eq(kwt_scrape(&srv, &m, err, sizeof(err)), 0, "%s", err);
    snprintf(label, sizeof(label), "result=%s", result);
    double v = kwt_metric(&m, "kopia_webhook_config_reloads_total", label, NULL);
    kwt_metrics_free(&m);
    return v;
}

static void wait_reloads(const char *result, double want)
{
    long long deadline = kwt_now_ms() + 5000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline && reloads(result) < want)
        kwt_sleep_ms(50);
    cr_assert_eq(reloads(result), want, "%s reloads", result);
}

Test(http_config, sighup_swaps_in_the_new_admission_settings)
{
    start_with("logLevel: info\n");
    cr_expect(allowed());
    write_config("forbiddenArgs: [--frobnicate]\n");
    cr_assert_eq(kwt_server_signal(&srv, SIGHUP), 0);
    wait_reloads("success", 1);
    cr_expect(!allowed(), "the reloaded forbiddenArgs are not used");
    cr_expect(kwt_log_contains(&srv, "configuration reloaded"));

    write_config("forbiddenArgs: [--frobnicate]\nbogusKey: 1\n");
    cr_assert_eq(kwt_server_signal(&srv, SIGHUP), 0);
    wait_reloads("failure", 1);
    cr_expect(kwt_log_contains(&srv, "configuration reload failed"));
    cr_expect(kwt_log_contains(&srv, "bogusKey"));
    cr_expect(!allowed(), "a bad file replaced the current settings");
    cr_expect_eq(reloads("success"), 1);
}

Test(http_config, file_settings_apply_and_flags_win)
{
    /* The harness passes --threads 2; the file's body limit applies. */
    start_with("threads: 3\nmaxBodyBytes: 2048\ntimeouts:\n  drainSeconds: 0\n");
    cr_expect(kwt_log_contains(&srv, "\"listener\":\"webhook\""));
    cr_expect(kwt_log_contains(&srv, "\"threads\":2"), "the flag did not win");
    char body[3000];
    memset(body, ' ', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    CURL *c = kwt_curl(&srv);
    struct kwt_response r;
    cr_assert_eq(kwt_post(c, &srv, "/validate", "application/json", body, strlen(body), &r),
                 CURLE_OK);
    cr_expect_eq(r.status, 413);
    kwt_response_free(&r);
    curl_easy_cleanup(c);
}

TestSuite(http_config_startup, .timeout = 60);

Test(http_config_startup, a_bad_file_stops_the_start_with_line_and_column)
{
    cr_assert_eq(kwt_server_prepare(&srv), 0);
    snprintf(config, sizeof(config), "%s/config.yaml", srv.dir);
    write_config("listen: 127.0.0.1:0\ntimeouts:\n  idleSecs: 3\n");
    char cmd[1024], out[300];
    snprintf(out, sizeof(out), "%s/out.log", srv.dir);
    snprintf(cmd, sizeof(cmd),
             "timeout 20 '%s' serve --config '%s' --tls-cert '%s/tls.crt' --tls-key "
             "'%s/tls.key' >'%s' 2>&1",
             getenv("KW_BINARY"), config, srv.certs, srv.certs, out);
    int st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
    char log[2048] = "";
    FILE *f = fopen(out, "r");
    cr_assert_not_null(f);
    log[fread(log, 1, sizeof(log) - 1, f)] = '\0';
    fclose(f);
    cr_expect(strstr(log, "config.yaml:3:"), "%s", log);
    cr_expect(strstr(log, "idleSecs"), "%s", log);
    kwt_server_cleanup(&srv);
}
