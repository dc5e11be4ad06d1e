/* The metrics registry (include/kw/server/metrics.h): fixed label sets, series
 * indexed by the core's kind, operation and rule enums (anything outside
 * them counted as "other"), the series order, histogram buckets, escaping,
 * and text that a strict parser accepts. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "kw/server/metrics.h"
#include "kw/base/kinds.h"
#include "kw/decision/rules.h"
#include "kwtest.h"

static struct kw_metrics *m;
static struct kwt_metrics parsed;

static void setup(void)
{
    m = kw_metrics_new("1.2.3");
    cr_assert_not_null(m);
    memset(&parsed, 0, sizeof(parsed));
}

static void teardown(void)
{
    kwt_metrics_free(&parsed);
    kw_metrics_free(m);
}

TestSuite(metrics, .init = setup, .fini = teardown);

static void render(void)
{
    kwt_metrics_free(&parsed);
    size_t len = 0;
    char *text = kw_metrics_render(m, &len);
    cr_assert_not_null(text);
    cr_assert_eq(strlen(text), len);
    char err[256];
    cr_assert_eq(kwt_metrics_parse(text, &parsed, err, sizeof(err)), 0, "%s\n%s", err, text);
    free(text);
}

#define V(...) kwt_metric(&parsed, __VA_ARGS__, NULL)

static struct kw_summary summary(enum kw_kind kind, enum kw_operation op, bool allowed)
{
    struct kw_summary s;
    memset(&s, 0, sizeof(s));
    s.decoded = true;
    snprintf(s.kind, sizeof(s.kind), "%s", kw_kind_label(kind));
    snprintf(s.operation, sizeof(s.operation), "%s", kw_operation_label(op));
    s.kind_id = kind;
    s.op_id = op;
    s.allowed = allowed;
    return s;
}

/* "rule=<id>" for kwt_metric. */
static const char *rule_label(enum kw_rule_id r, char *buf, size_t len)
{
    snprintf(buf, len, "rule=%s", kw_rule_id_string(r));
    return buf;
}

Test(metrics, a_fresh_registry_has_every_series_at_zero)
{
    render();
    /* 2 webhooks x 6 kinds x 5 operations x 3 results. */
    size_t n = 0;
    for (size_t i = 0; i < parsed.n; i++)
        if (strcmp(parsed.samples[i].name, "kopia_webhook_requests_total") == 0) {
            n++;
            cr_expect_eq(parsed.samples[i].value, 0);
        }
    cr_expect_eq(n, 180);
    for (int r = 0; r < KW_RULE_COUNT; r++) {
        char rule[160];
        rule_label((enum kw_rule_id)r, rule, sizeof(rule));
        cr_expect_eq(V("kopia_webhook_denials_total", rule), 0, "%s", rule);
        cr_expect_eq(V("kopia_webhook_warnings_total", rule), 0, "%s", rule);
    }
    cr_expect_eq(V("kopia_webhook_denials_total", "rule=other"), 0);
    cr_expect_eq(V("kopia_webhook_warnings_total", "rule=other"), 0);
    cr_expect_eq(V("kopia_webhook_build_info", "version=1.2.3"), 1);
    cr_expect_eq(V("kopia_webhook_in_flight_requests", "webhook=validate"), 0);
    cr_expect_eq(V("kopia_webhook_in_flight_requests", "webhook=mutate"), 0);
    cr_expect_eq(V("kopia_webhook_connections_closed_total", "reason=deadline"), 0);
    cr_expect_eq(V("kopia_webhook_connections_closed_total", "reason=evicted"), 0);
}

Test(metrics, reviews_are_counted_by_webhook_kind_operation_and_result)
{
    struct kw_summary a = summary(KW_KIND_RS, KW_OP_CREATE, true);
    struct kw_summary d = summary(KW_KIND_RD, KW_OP_UPDATE, false);
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &a, 200, 0.0002);
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &a, 200, 0.0002);
    kw_metrics_record_review(m, KW_HOOK_MUTATE, &d, 200, 0.003);
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, NULL, 415, 0.00001);
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &a, 400, 0.00001); /* not a 200: error */
    render();
    const char *r = "kopia_webhook_requests_total";
    cr_expect_eq(
        V(r, "webhook=validate", "kind=ReplicationSource", "operation=CREATE", "result=allowed"),
        2);
    cr_expect_eq(
        V(r, "webhook=mutate", "kind=ReplicationDestination", "operation=UPDATE", "result=denied"),
        1);
    cr_expect_eq(V(r, "webhook=validate", "kind=other", "operation=other", "result=error"), 2);
}

/* The core maps what a client sends onto KW_KIND_OTHER / KW_OP_OTHER; the
 * registry also takes a value outside the enums as "other" rather than
 * index out of bounds. The label strings of the summary are not read. */
Test(metrics, kinds_and_operations_outside_the_lists_count_as_other)
{
    struct kw_summary s = summary(KW_KIND_OTHER, KW_OP_OTHER, true);
    snprintf(s.kind, sizeof(s.kind), "Pod\"}\n");
    snprintf(s.operation, sizeof(s.operation), "PATCH");
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &s, 200, 0.001);
    s = summary((enum kw_kind)KW_KIND_COUNT, (enum kw_operation) - 1, true);
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &s, 200, 0.001);
    /* The strings say ReplicationSource/CREATE; the enums decide. */
    s = summary(KW_KIND_SECRET, KW_OP_DELETE, true);
    snprintf(s.kind, sizeof(s.kind), "ReplicationSource");
    snprintf(s.operation, sizeof(s.operation), "CREATE");
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &s, 200, 0.001);
    render();
    const char *r = "kopia_webhook_requests_total";
    cr_expect_eq(V(r, "webhook=validate", "kind=other", "operation=other", "result=allowed"), 2);
    cr_expect_eq(V(r, "webhook=validate", "kind=Secret", "operation=DELETE", "result=allowed"), 1);
    cr_expect_eq(
        V(r, "webhook=validate", "kind=ReplicationSource", "operation=CREATE", "result=allowed"),
        0);
}

Test(metrics, rules_are_counted_by_enum_and_values_outside_the_list_go_to_other)
{
    struct kw_summary s = summary(KW_KIND_RS, KW_OP_CREATE, false);
    s.deny_rules[0] = (enum kw_rule_id)0;
    s.deny_rules[1] = KW_RULE_NONE;
    s.deny_rules[2] = (enum kw_rule_id)KW_RULE_COUNT;
    s.deny_rules[3] = KW_RULE_MOVER_REQUIRED;
    s.ndeny = 4;
    s.warn_rules[0] = (enum kw_rule_id)(KW_RULE_COUNT - 1);
    s.nwarn = 1;
    kw_metrics_record_review(m, KW_HOOK_VALIDATE, &s, 200, 0.001);
    render();
    char rule[160];
    cr_expect_eq(
        V("kopia_webhook_denials_total", rule_label((enum kw_rule_id)0, rule, sizeof(rule))), 1);
    cr_expect_eq(V("kopia_webhook_denials_total", "rule=mover-required"), 1);
    cr_expect_eq(V("kopia_webhook_denials_total", "rule=other"), 2);
    cr_expect_eq(V("kopia_webhook_warnings_total",
                   rule_label((enum kw_rule_id)(KW_RULE_COUNT - 1), rule, sizeof(rule))),
                 1);
    cr_expect_eq(V("kopia_webhook_warnings_total", "rule=other"), 0);
}

/* The order of the series is part of the output: kinds as the exposition
 * has always listed them (the handled kinds, then other), operations in list
 * order, rules in KW_RULE_LIST order, then other. */
Test(metrics, series_come_in_a_fixed_order)
{
    render();
    const char *kinds[] = {"ReplicationSource",
                           "ReplicationDestination",
                           "KopiaMaintenance",
                           "ConfigMap",
                           "Secret",
                           "other"};
    const char *ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT", "other"};
    size_t k = 0, o = 0, r = 0, nreq = 0;
    for (size_t i = 0; i < parsed.n; i++) {
        const struct kwt_sample *smp = &parsed.samples[i];
        if (strcmp(smp->name, "kopia_webhook_requests_total") == 0 &&
            strcmp(smp->labels[0][1], "validate") == 0 &&
            strcmp(smp->labels[3][1], "allowed") == 0) {
            cr_assert_lt(k, 6);
            cr_expect_str_eq(smp->labels[1][1], kinds[k], "series %zu", nreq);
            cr_expect_str_eq(smp->labels[2][1], ops[o], "series %zu", nreq);
            nreq++;
            if (++o == 5) {
                o = 0;
                k++;
            }
        } else if (strcmp(smp->name, "kopia_webhook_denials_total") == 0) {
            cr_assert_leq(r, KW_RULE_COUNT);
            cr_expect_str_eq(smp->labels[0][1],
                             r < KW_RULE_COUNT ? kw_rule_id_string((enum kw_rule_id)r) : "other");
            r++;
        }
    }
    cr_expect_eq(nreq, 30);
    cr_expect_eq(r, KW_RULE_COUNT + 1);
}

Test(metrics, histogram_buckets_are_cumulative)
{
    kw_metrics_record_review(m, KW_HOOK_MUTATE, NULL, 415, 0.00005);
    kw_metrics_record_review(m, KW_HOOK_MUTATE, NULL, 415, 0.0003);
    kw_metrics_record_review(m, KW_HOOK_MUTATE, NULL, 415, 0.002);
    kw_metrics_record_review(m, KW_HOOK_MUTATE, NULL, 415, 7.0);
    kw_metrics_record_review(m, KW_HOOK_MUTATE, NULL, 415, 20.0);
    render();
    const char *b = "kopia_webhook_request_duration_seconds_bucket";
    cr_expect_eq(V(b, "webhook=mutate", "le=0.0001"), 1);
    cr_expect_eq(V(b, "webhook=mutate", "le=0.00025"), 1);
    cr_expect_eq(V(b, "webhook=mutate", "le=0.0005"), 2);
    cr_expect_eq(V(b, "webhook=mutate", "le=0.0025"), 3);
    cr_expect_eq(V(b, "webhook=mutate", "le=1"), 3);
    /* Buckets up to the admission timeout (5 s in the manifests, 10 s at
     * most in Kubernetes). */
    cr_expect_eq(V(b, "webhook=mutate", "le=2.5"), 3);
    cr_expect_eq(V(b, "webhook=mutate", "le=5"), 3);
    cr_expect_eq(V(b, "webhook=mutate", "le=10"), 4);
    cr_expect_eq(V(b, "webhook=mutate", "le=+Inf"), 5);
    cr_expect_eq(V("kopia_webhook_request_duration_seconds_count", "webhook=mutate"), 5);
    double sum = V("kopia_webhook_request_duration_seconds_sum", "webhook=mutate");
    cr_expect(fabs(sum - 27.00235) < 1e-6, "sum %f", sum);
    cr_expect_eq(V(b, "webhook=validate", "le=+Inf"), 0);
}

Test(metrics, responses_gauges_and_reloads)
{
    kw_metrics_http_response(m, 200);
    kw_metrics_http_response(m, 200);
    kw_metrics_http_response(m, 413);
    kw_metrics_http_response(m, 418);
    kw_metrics_in_flight_add(m, KW_HOOK_VALIDATE, 3);
    kw_metrics_in_flight_add(m, KW_HOOK_VALIDATE, -1);
    kw_metrics_in_flight_add(m, KW_HOOK_MUTATE, 1);
    kw_metrics_connections_add(m, 5);
    kw_metrics_connections_closed(m, KW_CLOSED_DEADLINE, 3);
    kw_metrics_connections_closed(m, KW_CLOSED_EVICTED, 1);
    kw_metrics_connections_closed(m, KW_CLOSED_EVICTED, 0);
    kw_metrics_tls_reload(m, true);
    kw_metrics_tls_reload(m, false);
    kw_metrics_tls_reload(m, false);
    kw_metrics_config_reload(m, true);
    kw_metrics_set_cert_expiry(m, 1900000000);
    render();
    cr_expect_eq(V("kopia_webhook_http_responses_total", "code=200"), 2);
    cr_expect_eq(V("kopia_webhook_http_responses_total", "code=413"), 1);
    cr_expect_eq(V("kopia_webhook_http_responses_total", "code=other"), 1);
    cr_expect_eq(V("kopia_webhook_in_flight_requests", "webhook=validate"), 2);
    cr_expect_eq(V("kopia_webhook_in_flight_requests", "webhook=mutate"), 1);
    cr_expect_eq(V("kopia_webhook_open_connections"), 5);
    cr_expect_eq(V("kopia_webhook_connections_closed_total", "reason=deadline"), 3);
    cr_expect_eq(V("kopia_webhook_connections_closed_total", "reason=evicted"), 1);
    cr_expect_eq(V("kopia_webhook_tls_reloads_total", "result=success"), 1);
    cr_expect_eq(V("kopia_webhook_tls_reloads_total", "result=failure"), 2);
    cr_expect_eq(V("kopia_webhook_config_reloads_total", "result=success"), 1);
    cr_expect_eq(V("kopia_webhook_certificate_expiry_timestamp_seconds"), 1900000000.0);
}

/* The histogram's buckets, in order: the small ones for microsecond
 * reviews, and ones reaching past the admission timeout. */
Test(metrics, buckets_reach_past_the_admission_timeout)
{
    render();
    static const char *const want[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                       "0.01",   "0.025",   "0.05",   "0.1",   "0.25",   "0.5",
                                       "1",      "2.5",     "5",      "10",    "+Inf"};
    size_t n = 0;
    for (size_t i = 0; i < parsed.n; i++) {
        const struct kwt_sample *smp = &parsed.samples[i];
        if (strcmp(smp->name, "kopia_webhook_request_duration_seconds_bucket") != 0 ||
            strcmp(smp->labels[0][1], "validate") != 0)
            continue;
        cr_assert_lt(n, sizeof(want) / sizeof(want[0]));
        cr_expect_str_eq(smp->labels[1][0], "le");
        cr_expect_str_eq(smp->labels[1][1], want[n]);
        n++;
    }
    cr_expect_eq(n, sizeof(want) / sizeof(want[0]));
}

/* The standard process_* families, as the Prometheus client libraries name
 * and type them, with this process's figures. */
Test(metrics, process_families_describe_this_process)
{
    render();
    double rss = V("process_resident_memory_bytes");
    double vsize = V("process_virtual_memory_bytes");
    double cpu = V("process_cpu_seconds_total");
    double open = V("process_open_fds");
    double max = V("process_max_fds");
    double start = V("process_start_time_seconds");
    cr_expect(rss > 1024 * 1024 && rss < 4.0 * 1024 * 1024 * 1024, "rss %f", rss);
    cr_expect(vsize >= rss, "vsize %f rss %f", vsize, rss);
    cr_expect(cpu >= 0 && cpu < 3600, "cpu %f", cpu);
    cr_expect(open >= 3 && open <= max, "open %f max %f", open, max);
    double now = (double)time(NULL);
    cr_expect(start > now - 3600 && start <= now + 1, "start %f now %f", start, now);
    /* An fd opened now shows in the next scrape. */
    FILE *f = fopen("/dev/null", "r");
    cr_assert_not_null(f);
    render();
    cr_expect_eq(V("process_open_fds"), open + 1);
    fclose(f);
    cr_expect_eq(V("process_start_time_seconds"), start, "the start time does not move");

    size_t len;
    char *text = kw_metrics_render(m, &len);
    cr_assert_not_null(text);
    static const char *const types[] = {"# TYPE process_cpu_seconds_total counter\n",
                                        "# TYPE process_open_fds gauge\n",
                                        "# TYPE process_max_fds gauge\n",
                                        "# TYPE process_virtual_memory_bytes gauge\n",
                                        "# TYPE process_resident_memory_bytes gauge\n",
                                        "# TYPE process_start_time_seconds gauge\n"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        cr_expect(strstr(text, types[i]), "no %s", types[i]);
    free(text);
}

Test(metrics, label_values_are_escaped)
{
    kw_metrics_free(m);
    m = kw_metrics_new("a\"b\\c\nd");
    render();
    cr_expect_eq(V("kopia_webhook_build_info", "version=a\"b\\c\nd"), 1);
}

/* The parser the integration tests rely on rejects what it must. */
Test(metrics, the_test_parser_rejects_malformed_text)
{
    const char *bad[] = {
        "x 1\n",                              /* no TYPE */
        "# TYPE x counter\nx{a=\"b} 1\n",     /* unterminated */
        "# TYPE x counter\nx{a=\"\\q\"} 1\n", /* bad escape */
        "# TYPE x counter\nx one\n",          /* bad value */
        "# TYPE x counter\n# TYPE x gauge\n", /* second TYPE */
        "# TYPE x blob\n",                    /* unknown type */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",
        "# TYPE x counter\nx 1", /* no final newline */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kwt_metrics p;
        char err[256];
        cr_expect_neq(kwt_metrics_parse(bad[i], &p, err, sizeof(err)), 0, "accepted: %s", bad[i]);
    }
}
