/* Prometheus metrics of the server (text exposition format 0.0.4).
 *
 * Every series is preallocated when the registry is made: label values come
 * from fixed sets (webhook, result, HTTP code, reload result) and from the
 * core's lists of kinds, operations (include/kw/base/kinds.h) and rules
 * (include/kw/decision/rules.h), whose enums index the counters directly, so
 * recording is a handful of relaxed C11 atomic increments with no lock, no
 * lookup and no allocation. Values a client sends (request.kind,
 * request.operation) reach the registry as the enums the core mapped them
 * to (KW_KIND_OTHER, KW_OP_OTHER: label "other"), so a client cannot grow
 * the number of series. Rendering allocates (and reads /proc/self for the
 * process_* families). All functions are thread-safe. */
#ifndef KW_METRICS_H
#define KW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kw/admission/core.h"

struct kw_metrics;

enum kw_metric_result { KW_RESULT_ALLOWED, KW_RESULT_DENIED, KW_RESULT_ERROR };

/* A new registry; `version` (borrowed, copied) labels kopia_webhook_build_info.
 * NULL on allocation failure. Free with kw_metrics_free. */
struct kw_metrics *kw_metrics_new(const char *version);
void kw_metrics_free(struct kw_metrics *m);

/* One request to a webhook path: `http_status` is what the client got (200
 * for a processed review, allowed or denied; anything else counts as
 * result="error"). `summary` may be NULL when the request never reached the
 * core (405, 413, 415, 501). Counts requests_total (by summary->kind_id and
 * op_id), the duration histogram, and for a processed review its denial and
 * warning rules (a value outside the rule list counts as rule="other"). */
void kw_metrics_record_review(struct kw_metrics *m, enum kw_webhook hook,
                              const struct kw_summary *summary, int http_status, double seconds);

/* Every response the server itself produced, by status code. */
void kw_metrics_http_response(struct kw_metrics *m, unsigned code);

/* Gauges moved by the HTTP layer. In-flight requests are counted per
 * webhook (kopia_webhook_in_flight_requests{webhook}); their sum is the total. */
void kw_metrics_in_flight_add(struct kw_metrics *m, enum kw_webhook hook, int delta);
void kw_metrics_connections_add(struct kw_metrics *m, int delta);
/* Request body bytes charged to (positive) or given back to the body budget. */
void kw_metrics_body_bytes_add(struct kw_metrics *m, long long delta);

/* Connections the server closed itself: past their request deadline, or
 * evicted to make room near the connection cap (server/conntrack.c). */
enum kw_closed_reason { KW_CLOSED_DEADLINE, KW_CLOSED_EVICTED, KW_CLOSED_REASONS };
void kw_metrics_connections_closed(struct kw_metrics *m, enum kw_closed_reason why, unsigned n);

/* Certificate reloads and the expiry (notAfter) of the certificate served. */
void kw_metrics_tls_reload(struct kw_metrics *m, bool ok);
void kw_metrics_set_cert_expiry(struct kw_metrics *m, time_t not_after);

/* Configuration reloads (SIGHUP). */
void kw_metrics_config_reload(struct kw_metrics *m, bool ok);

/* The exposition text: malloc'd, NUL-terminated, length in *len. NULL on
 * allocation failure. Caller frees. Besides the registry's series it holds
 * the standard process_* families (include/kw/server/procstat.h), read from
 * /proc/self at this call. */
char *kw_metrics_render(struct kw_metrics *m, size_t *len);

/* The content type of kw_metrics_render's output. */
#define KW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
