#!/usr/bin/env bash
# The monitoring overlay (manifests/overlays/monitoring) against the real
# server: renders it with `kubectl kustomize`, starts kopia-webhook and
# scrapes its /metrics, then checks that every metric each alert's
# expression names is one the server exports (or Prometheus' own `up`), that
# every `le` an alert compares is a bucket boundary, that the thresholds tied
# to the manifests (the webhooks' timeoutSeconds, the container's memory
# limit) match the rendered base, and that the ServiceMonitor scrapes the
# Service's metrics port. The check of the checker: an expression naming a
# metric the server does not have is caught. With promtool installed, the
# rules are also checked by it.
# Environment: KW_BINARY, KW_SOURCE_DIR. Exit 0 pass, 1 fail, 77 skipped
# (kubectl, python3 or PyYAML missing).
set -uo pipefail
src=${KW_SOURCE_DIR:?}
bin=${KW_BINARY:?}

command -v kubectl >/dev/null || { echo "SKIP: kubectl is not installed" >&2; exit 77; }
python=
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import yaml' 2>/dev/null; then
        python=$candidate
        break
    fi
done
[ -n "$python" ] || { echo "SKIP: no python3 with PyYAML (apt-get install python3-yaml)" >&2; exit 77; }

work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

for dir in overlays/monitoring base; do
    if ! kubectl kustomize "$src/manifests/$dir" >"$work/${dir##*/}.yaml" 2>"$work/err"; then
        echo "FAIL: kubectl kustomize manifests/$dir does not render:" >&2
        cat "$work/err" >&2
        exit 1
    fi
done

# A real scrape: the server on free ports, metrics from its health listener.
"$bin" gen-certs --service kopia-webhook --namespace kopia-webhook --host 127.0.0.1 \
    --out "$work/certs" >/dev/null 2>&1 || { echo "FAIL: gen-certs" >&2; exit 1; }
"$bin" serve --listen 127.0.0.1:0 --health-listen 127.0.0.1:0 \
    --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" 2>"$work/server.log" &
pid=$!
address=
for _ in $(seq 1 200); do
    address=$(sed -n 's/.*"msg":"listening","listener":"health","address":"\([^"]*\)".*/\1/p' \
        "$work/server.log" | head -n 1)
    [ -n "$address" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
[ -n "$address" ] || { echo "FAIL: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

"$python" - "$work" "$address" <<'PYTHON'
import re
import sys
import urllib.request

import yaml

work, address = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def load(name):
    with open(f"{work}/{name}.yaml") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as r:
    scrape = r.read().decode()
# Sample names (histograms' _bucket/_sum/_count included) and the le values.
samples = set()
buckets = set()
for line in scrape.splitlines():
    if not line or line.startswith("#"):
        continue
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
    samples.add(m.group(1))
    le = re.search(r'[{,]le="([^"]*)"', line)
    if le:
        buckets.add(float(le.group(1)))
# Series Prometheus adds to every target itself.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression selects: identifiers that are not
    functions, keywords, label names or grouping labels."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)       # string literals
    e = re.sub(r"\{[^}]*\}", "", e)                      # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                     # range durations
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if word.lower() in KEYWORDS or rest.startswith("("):
            continue
        if re.match(r"\d", e[m.start() - 1:m.start()] or " "):  # 5m, 1e3
            continue
        names.add(word)
    return names


# The checker itself.
check(metric_names('sum by (le) (rate(a_b_bucket{x="y"}[5m])) / on(pod) c - time() > 0.8 * 1e9')
      == {"a_b_bucket", "c"}, "metric_names() misreads a known expression")

mon = load("monitoring")
base = load("base")
rules_docs = [d for d in mon if d.get("kind") == "PrometheusRule"]
monitors = [d for d in mon if d.get("kind") == "ServiceMonitor"]
check(len(rules_docs) == 1, f"expected one PrometheusRule, found {len(rules_docs)}")
check(len(monitors) == 1, f"expected one ServiceMonitor, found {len(monitors)}")
for d in mon:
    check(d["metadata"].get("namespace") == "kopia-webhook",
          f"{d['kind']}/{d['metadata'].get('name')} is not in namespace kopia-webhook")

# Thresholds tied to the manifests.
timeouts = {w.get("timeoutSeconds") for d in base
            if d.get("kind", "").endswith("WebhookConfiguration") for w in d.get("webhooks", [])}
check(len(timeouts) == 1, f"the webhooks disagree on timeoutSeconds: {timeouts}")
timeout = timeouts.pop() if timeouts else 5
dep = [d for d in base if d.get("kind") == "Deployment"][0]
limit_text = dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
units = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3}
memory_limit = int(limit_text[:-2]) * units[limit_text[-2:]] if limit_text[-2:] in units else int(limit_text)
check(float(timeout) in buckets, f"no histogram bucket at the admission timeout ({timeout} s)")

alerts = {}
for group in (rules_docs[0].get("spec", {}).get("groups", []) if rules_docs else []):
    for rule in group.get("rules", []):
        name = rule.get("alert")
        if not check(name, f"a rule without an alert name: {rule}"):
            continue
        alerts[name] = rule
        expr = str(rule.get("expr", ""))
        check(expr.strip(), f"{name}: no expression")
        check(rule.get("labels", {}).get("severity") in ("critical", "warning"),
              f"{name}: severity {rule.get('labels', {}).get('severity')!r}")
        ann = rule.get("annotations", {})
        check(ann.get("summary") and ann.get("description"), f"{name}: no summary/description")
        names = metric_names(expr)
        check(names, f"{name}: no metric in {expr!r}")
        for metric in sorted(names):
            check(metric in samples or metric in SYNTHETIC,
                  f"{name}: metric {metric} is not in the server's scrape")
        for le in re.findall(r'le="([^"]*)"', expr):
            check(float(le) in buckets, f"{name}: le=\"{le}\" is not a bucket boundary")
        job = re.findall(r'job="([^"]*)"', expr)
        check(job and all(j == "kopia-webhook" for j in job),
              f"{name}: selects job {job}, not the ServiceMonitor's job kopia-webhook")

wanted = {
    "KopiaWebhookDown": "up",
    "KopiaWebhookServerErrors": "kopia_webhook_http_responses_total",
    "KopiaWebhookRequestErrors": "kopia_webhook_requests_total",
    "KopiaWebhookTimeouts": "kopia_webhook_request_duration_seconds_bucket",
    "KopiaWebhookSlow": "kopia_webhook_request_duration_seconds_bucket",
    "KopiaWebhookMemoryNearLimit": "process_resident_memory_bytes",
    "KopiaWebhookCertificateExpiresSoon": "kopia_webhook_certificate_expiry_timestamp_seconds",
}
for name, metric in wanted.items():
    if check(name in alerts, f"no alert {name}"):
        check(metric in metric_names(str(alerts[name]["expr"])), f"{name} does not use {metric}")
if "KopiaWebhookTimeouts" in alerts:
    check(f'le="{timeout:g}"' in alerts["KopiaWebhookTimeouts"]["expr"],
          f"KopiaWebhookTimeouts does not compare with the {timeout} s timeout")
if "KopiaWebhookSlow" in alerts:
    m = re.search(r">\s*([0-9.]+)\s*$", str(alerts["KopiaWebhookSlow"]["expr"]).strip())
    check(m and 0 < float(m.group(1)) < timeout, "KopiaWebhookSlow's threshold is not below the timeout")
if "KopiaWebhookMemoryNearLimit" in alerts:
    check(str(memory_limit) in alerts["KopiaWebhookMemoryNearLimit"]["expr"],
          f"KopiaWebhookMemoryNearLimit does not compare with the memory limit {memory_limit}")

# The ServiceMonitor scrapes the base Service's metrics port, plain HTTP.
svc = [d for d in base if d.get("kind") == "Service"][0]
if monitors:
    spec = monitors[0].get("spec", {})
    sel = spec.get("selector", {}).get("matchLabels", {})
    labels = svc["metadata"].get("labels", {})
    check(sel and all(labels.get(k) == v for k, v in sel.items()),
          f"ServiceMonitor selector {sel} does not select the Service (labels {labels})")
    check(spec.get("namespaceSelector", {}).get("matchNames") == [svc["metadata"]["namespace"]],
          "ServiceMonitor does not look in the Service's namespace")
    ports = {p.get("name"): p.get("port") for p in svc["spec"]["ports"]}
    eps = spec.get("endpoints", [])
    check(len(eps) == 1 and eps[0].get("port") in ports and ports[eps[0]["port"]] == 8080
          and eps[0].get("path", "/metrics") == "/metrics"
          and eps[0].get("scheme", "http") == "http",
          f"ServiceMonitor endpoints {eps} are not http /metrics on the Service's 8080 port")

# The checker catches an alert on a metric the server does not have.
check(not {"kopia_webhook_no_such_metric"} <= (samples | SYNTHETIC),
      "a made-up metric is in the scrape")
if rules_docs:
    with open(f"{work}/rules.yaml", "w") as f:
        yaml.safe_dump(rules_docs[0]["spec"], f)

for f in failures:
    print(f"FAIL: {f}", file=sys.stderr)
if failures:
    sys.exit(1)
print(f"ok: {len(alerts)} alerts, every metric in the scrape of {address}")
PYTHON
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

if command -v promtool >/dev/null; then
    promtool check rules "$work/rules.yaml" || { echo "FAIL: promtool rejects the rules" >&2; exit 1; }
else
    echo "note: promtool not installed; the expressions' syntax is not checked by it"
fi
