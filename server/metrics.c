/* The metrics registry and its Prometheus text rendering (see
 * include/kw/server/metrics.h). Counters are relaxed atomics in fixed arrays
 * indexed directly by the core's enums: kind and operation
 * (include/kw/base/kinds.h) and rule (include/kw/decision/rules.h). */
#include "kw/server/metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/base/kinds.h"
#include "kw/decision/rules.h"
#include "kw/server/procstat.h"

typedef atomic_uint_least64_t counter_t;

static const char *const hook_names[] = {"validate", "mutate"};
#define NHOOKS 2

/* The kinds in the order the series are rendered: the handled ones in list
 * order, then KW_KIND_OTHER (first in the enum) last. */
_Static_assert(KW_KIND_OTHER == 0, "kind_at() puts kind 0 last");
static enum kw_kind kind_at(size_t i)
{
    return (enum kw_kind)((i + 1) % KW_KIND_COUNT);
}

static const char *const result_names[] = {"allowed", "denied", "error"};
#define NRESULTS 3

/* Status codes the server answers with itself; the last slot counts others. */
static const unsigned http_codes[] = {200, 400, 403, 404, 405, 413, 415, 500, 501, 503};
#define NCODES (sizeof(http_codes) / sizeof(http_codes[0]))

/* Latency buckets (seconds): a review takes tens of microseconds to a few
 * milliseconds, so the small buckets stay fine; the top ones reach past the
 * webhooks' timeoutSeconds (5 s in the manifests, at most 10 s in Kubernetes),
 * so that a p99 near the timeout is visible before calls fail. */
static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct histogram {
    counter_t bucket[NBUCKETS + 1]; /* per bucket (not cumulative); last = +Inf */
    counter_t sum_ns;
};

struct kw_metrics {
    char *version;
    counter_t requests[NHOOKS][KW_KIND_COUNT][KW_OP_COUNT][NRESULTS];
    struct histogram duration[NHOOKS];
    counter_t responses[NCODES + 1];
    atomic_llong in_flight[NHOOKS];
    atomic_llong connections;
    counter_t closed[KW_CLOSED_REASONS];
    atomic_llong body_bytes;  /* request body bytes charged to the body budget */
    counter_t tls_reloads[2]; /* success, failure */
    counter_t config_reloads[2];
    atomic_llong cert_expiry;
    /* Rule series by enum kw_rule_id, plus one "other" (RULE_OTHER) for a
     * value outside the list, which the core does not produce. */
    counter_t denials[KW_RULE_COUNT + 1];
    counter_t warnings[KW_RULE_COUNT + 1];
    /* Unix seconds, for process_start_time_seconds: 0 until the first
     * scrape reads it, -1 when it cannot be read. */
    atomic_llong boot_time;
};

#define RULE_OTHER KW_RULE_COUNT

static void inc(counter_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t get(counter_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

struct kw_metrics *kw_metrics_new(const char *version)
{
    struct kw_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->version = strdup(version ? version : "");
    if (!m->version) {
        kw_metrics_free(m);
        return NULL;
    }
    return m;
}

void kw_metrics_free(struct kw_metrics *m)
{
    if (!m)
        return;
    free(m->version);
    free(m);
}

/* Index into denials[]/warnings[]: the rule itself, RULE_OTHER when out of
 * range. */
static size_t rule_index(enum kw_rule_id rule)
{
    return (unsigned)rule < KW_RULE_COUNT ? (size_t)rule : RULE_OTHER;
}

static void observe(struct histogram *h, double seconds)
{
    if (!(seconds >= 0))
        seconds = 0;
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    inc(&h->bucket[b]);
    atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)(seconds * 1e9), memory_order_relaxed);
}

void kw_metrics_record_review(struct kw_metrics *m, enum kw_webhook hook,
                              const struct kw_summary *summary, int http_status, double seconds)
{
    size_t h = hook == KW_HOOK_MUTATE ? 1 : 0;
    bool decoded = summary && summary->decoded && http_status == 200;
    size_t kind =
        decoded && (unsigned)summary->kind_id < KW_KIND_COUNT ? summary->kind_id : KW_KIND_OTHER;
    size_t op = decoded && (unsigned)summary->op_id < KW_OP_COUNT ? summary->op_id : KW_OP_OTHER;
    size_t res = !decoded           ? KW_RESULT_ERROR
                 : summary->allowed ? KW_RESULT_ALLOWED
                                    : KW_RESULT_DENIED;
    inc(&m->requests[h][kind][op][res]);
    observe(&m->duration[h], seconds);
    if (!decoded)
        return;
    for (size_t i = 0; i < summary->ndeny && i < KW_SUMMARY_RULES; i++)
        inc(&m->denials[rule_index(summary->deny_rules[i])]);
    for (size_t i = 0; i < summary->nwarn && i < KW_SUMMARY_RULES; i++)
        inc(&m->warnings[rule_index(summary->warn_rules[i])]);
}

void kw_metrics_http_response(struct kw_metrics *m, unsigned code)
{
    size_t i = 0;
    while (i < NCODES && http_codes[i] != code)
        i++;
    inc(&m->responses[i]);
}

void kw_metrics_in_flight_add(struct kw_metrics *m, enum kw_webhook hook, int delta)
{
    size_t h = hook == KW_HOOK_MUTATE ? 1 : 0;
    atomic_fetch_add_explicit(&m->in_flight[h], delta, memory_order_relaxed);
}

void kw_metrics_connections_add(struct kw_metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->connections, delta, memory_order_relaxed);
}

void kw_metrics_connections_closed(struct kw_metrics *m, enum kw_closed_reason why, unsigned n)
{
    if (n && why < KW_CLOSED_REASONS)
        atomic_fetch_add_explicit(&m->closed[why], n, memory_order_relaxed);
}

void kw_metrics_body_bytes_add(struct kw_metrics *m, long long delta)
{
    atomic_fetch_add_explicit(&m->body_bytes, delta, memory_order_relaxed);
}

void kw_metrics_tls_reload(struct kw_metrics *m, bool ok)
{
    inc(&m->tls_reloads[ok ? 0 : 1]);
}

void kw_metrics_config_reload(struct kw_metrics *m, bool ok)
{
    inc(&m->config_reloads[ok ? 0 : 1]);
}

void kw_metrics_set_cert_expiry(struct kw_metrics *m, time_t not_after)
{
    atomic_store_explicit(&m->cert_expiry, (long long)not_after, memory_order_relaxed);
}

/* Writes a label value with the exposition format's escapes. */
static void put_label_value(FILE *f, const char *v)
{
    for (; *v; v++) {
        switch (*v) {
        case '\\':
            fputs("\\\\", f);
            break;
        case '"':
            fputs("\\\"", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        default:
            fputc(*v, f);
        }
    }
}

static void put_header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(struct kw_metrics *m, FILE *f)
{
    put_header(f, "kopia_webhook_requests_total", "counter",
               "Requests to a webhook path by webhook, kind, operation and result.");
    for (size_t h = 0; h < NHOOKS; h++)
        for (size_t i = 0; i < KW_KIND_COUNT; i++)
            for (int o = 0; o < KW_OP_COUNT; o++)
                for (size_t r = 0; r < NRESULTS; r++) {
                    enum kw_kind k = kind_at(i);
                    uint64_t v = get(&m->requests[h][k][o][r]);
                    fprintf(f,
                            "kopia_webhook_requests_total{webhook=\"%s\",kind=\"%s\","
                            "operation=\"%s\",result=\"%s\"} %llu\n",
                            hook_names[h], kw_kind_label(k),
                            kw_operation_label((enum kw_operation)o), result_names[r],
                            (unsigned long long)v);
                }
}

static void render_duration(struct kw_metrics *m, FILE *f)
{
    const char *name = "kopia_webhook_request_duration_seconds";
    put_header(f, name, "histogram",
               "Time from a webhook request's request line to its response being queued.");
    for (size_t h = 0; h < NHOOKS; h++) {
        struct histogram *hist = &m->duration[h];
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= NBUCKETS; b++) {
            cumulative += get(&hist->bucket[b]);
            if (b < NBUCKETS)
                fprintf(f, "%s_bucket{webhook=\"%s\",le=\"%g\"} %llu\n", name, hook_names[h],
                        buckets[b], (unsigned long long)cumulative);
            else
                fprintf(f, "%s_bucket{webhook=\"%s\",le=\"+Inf\"} %llu\n", name, hook_names[h],
                        (unsigned long long)cumulative);
        }
        fprintf(f, "%s_sum{webhook=\"%s\"} %.9f\n", name, hook_names[h],
                (double)get(&hist->sum_ns) / 1e9);
        fprintf(f, "%s_count{webhook=\"%s\"} %llu\n", name, hook_names[h],
                (unsigned long long)cumulative);
    }
}

static void render_rule_counter(FILE *f, const char *name, const char *help, counter_t *values)
{
    put_header(f, name, "counter", help);
    for (size_t i = 0; i <= RULE_OTHER; i++) {
        fprintf(f, "%s{rule=\"", name);
        put_label_value(f, i < RULE_OTHER ? kw_rule_id_string((enum kw_rule_id)i) : "other");
        fprintf(f, "\"} %llu\n", (unsigned long long)get(&values[i]));
    }
}

static void render_responses(struct kw_metrics *m, FILE *f)
{
    put_header(f, "kopia_webhook_http_responses_total", "counter",
               "HTTP responses sent by the server, by status code.");
    for (size_t i = 0; i <= NCODES; i++) {
        if (i < NCODES)
            fprintf(f, "kopia_webhook_http_responses_total{code=\"%u\"} %llu\n", http_codes[i],
                    (unsigned long long)get(&m->responses[i]));
        else
            fprintf(f, "kopia_webhook_http_responses_total{code=\"other\"} %llu\n",
                    (unsigned long long)get(&m->responses[i]));
    }
}

static void render_reloads(FILE *f, const char *name, const char *help, counter_t *pair)
{
    put_header(f, name, "counter", help);
    fprintf(f, "%s{result=\"success\"} %llu\n", name, (unsigned long long)get(&pair[0]));
    fprintf(f, "%s{result=\"failure\"} %llu\n", name, (unsigned long long)get(&pair[1]));
}

static void render_gauges(struct kw_metrics *m, FILE *f)
{
    put_header(f, "kopia_webhook_in_flight_requests", "gauge",
               "Webhook requests being handled, by webhook: headers received, response not yet "
               "sent.");
    for (size_t h = 0; h < NHOOKS; h++)
        fprintf(f, "kopia_webhook_in_flight_requests{webhook=\"%s\"} %lld\n", hook_names[h],
                atomic_load_explicit(&m->in_flight[h], memory_order_relaxed));
    put_header(f, "kopia_webhook_open_connections", "gauge",
               "Open client connections on the webhook listener.");
    fprintf(f, "kopia_webhook_open_connections %lld\n",
            atomic_load_explicit(&m->connections, memory_order_relaxed));
    put_header(f, "kopia_webhook_connections_closed_total", "counter",
               "Webhook listener connections the server closed: past their request deadline, "
               "or evicted near the connection cap.");
    fprintf(f, "kopia_webhook_connections_closed_total{reason=\"deadline\"} %llu\n",
            (unsigned long long)get(&m->closed[KW_CLOSED_DEADLINE]));
    fprintf(f, "kopia_webhook_connections_closed_total{reason=\"evicted\"} %llu\n",
            (unsigned long long)get(&m->closed[KW_CLOSED_EVICTED]));
    put_header(f, "kopia_webhook_request_body_bytes", "gauge",
               "Bytes of request bodies buffered, charged against the body budget.");
    fprintf(f, "kopia_webhook_request_body_bytes %lld\n",
            atomic_load_explicit(&m->body_bytes, memory_order_relaxed));
    put_header(f, "kopia_webhook_certificate_expiry_timestamp_seconds", "gauge",
               "notAfter of the serving certificate, in seconds since the Unix epoch.");
    fprintf(f, "kopia_webhook_certificate_expiry_timestamp_seconds %lld\n",
            atomic_load_explicit(&m->cert_expiry, memory_order_relaxed));
    put_header(f, "kopia_webhook_build_info", "gauge", "Always 1; the version is a label.");
    fputs("kopia_webhook_build_info{version=\"", f);
    put_label_value(f, m->version);
    fputs("\"} 1\n", f);
}

static void put_process(FILE *f, bool has, const char *name, const char *type, const char *help,
                        double value)
{
    if (!has)
        return;
    put_header(f, name, type, help);
    fprintf(f, "%s %.15g\n", name, value);
}

/* The standard process_* families, read now (the scrape path, not a
 * request's); a figure that cannot be read is left out. */
static void render_process(struct kw_metrics *m, FILE *f)
{
    long long boot = atomic_load_explicit(&m->boot_time, memory_order_relaxed);
    if (boot == 0) {
        boot = kw_procstat_boot_time();
        atomic_store_explicit(&m->boot_time, boot, memory_order_relaxed);
    }
    struct kw_proc_metrics p;
    kw_procstat_read(boot, &p);
    put_process(f, p.has_cpu, "process_cpu_seconds_total", "counter",
                "Total user and system CPU time spent in seconds.", p.cpu_seconds);
    put_process(f, p.has_open_fds, "process_open_fds", "gauge", "Number of open file descriptors.",
                p.open_fds);
    put_process(f, p.has_max_fds, "process_max_fds", "gauge",
                "Maximum number of open file descriptors.", p.max_fds);
    put_process(f, p.has_memory, "process_virtual_memory_bytes", "gauge",
                "Virtual memory size in bytes.", p.virtual_bytes);
    put_process(f, p.has_memory, "process_resident_memory_bytes", "gauge",
                "Resident memory size in bytes.", p.resident_bytes);
    put_process(f, p.has_start, "process_start_time_seconds", "gauge",
                "Start time of the process since unix epoch in seconds.", p.start_time_seconds);
}

char *kw_metrics_render(struct kw_metrics *m, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    render_requests(m, f);
    render_duration(m, f);
    render_responses(m, f);
    render_rule_counter(f, "kopia_webhook_denials_total",
                        "Denial causes by rule id (one review can count several rules).",
                        m->denials);
    render_rule_counter(f, "kopia_webhook_warnings_total", "Admission warnings by rule id.",
                        m->warnings);
    render_reloads(f, "kopia_webhook_tls_reloads_total",
                   "Attempts to load a changed certificate/key pair, by result.", m->tls_reloads);
    render_reloads(f, "kopia_webhook_config_reloads_total",
                   "Attempts to reload the configuration file (SIGHUP), by result.",
                   m->config_reloads);
    render_gauges(m, f);
    render_process(m, f);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}
