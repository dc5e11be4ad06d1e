#!/usr/bin/env bash
# Renders the kustomize base and both overlays with `kubectl kustomize` and
# checks the fields that decide how the cluster calls the webhook, with a real
# YAML parser (PyYAML): webhook rules, selectors (evaluated, not just read),
# failure policy, timeouts, the Deployment's availability and security
# settings, the Service/NetworkPolicy/PDB wiring, the certificate plumbing
# of the cert-manager, gen-certs and gen-certs-rotating overlays, the
# renewal CronJob of the last (its RBAC exactly, command, schedule, security
# context, labels and network policy), and that who may scrape port 8080 is
# set in one place (manifests/components/metrics-source). The monitoring
# overlay's rules are checked by test_monitoring.sh.
# Environment: KW_SOURCE_DIR (repository). Exit 0 pass, 1 fail, 77 skipped
# (kubectl, python3 or PyYAML missing).
set -uo pipefail

src=${KW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

command -v kubectl >/dev/null || { echo "SKIP: kubectl is not installed" >&2; exit 77; }
# The first python3 with PyYAML: the one on PATH, else Debian's (python3-yaml).
python=
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import yaml' 2>/dev/null; then
        python=$candidate
        break
    fi
done
[ -n "$python" ] || { echo "SKIP: no python3 with PyYAML (apt-get install python3-yaml)" >&2; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

render() { # render DIR OUT
    if ! kubectl kustomize "$1" >"$2" 2>"$work/err"; then
        echo "FAIL: kubectl kustomize $1 does not render:" >&2
        cat "$work/err" >&2
        exit 1
    fi
}

render "$src/manifests/base" "$work/base.yaml"
cp -r "$src/manifests" "$work/manifests"

# set_image OVERLAY IMAGE: what `kustomize edit set image kopia-webhook=IMAGE`
# writes into the overlay's `images` entry (kubectl has no `kustomize edit`).
set_image() {
    "$python" - "$work/manifests/overlays/$1/kustomization.yaml" "$2" <<'PYTHON'
import re, sys
path, image = sys.argv[1], sys.argv[2]
name, sep, rest = image.rpartition("@") if "@" in image else image.rpartition(":")
if "/" in rest:  # a registry port, no tag
    name, sep, rest = image, "", ""
entry = f"  - name: kopia-webhook\n    newName: {name}\n"
if sep == ":":
    entry += f"    newTag: \"{rest}\"\n"
elif sep == "@":
    entry += f"    digest: {rest}\n"
text = open(path).read()
text, n = re.subn(r"  - name: kopia-webhook\n(    \S.*\n)*", entry, text, count=1)
assert n == 1, "no images entry for kopia-webhook"
open(path, "w").write(text)
PYTHON
}

# An image no registry serves must stop the install before anything reaches
# the cluster: the overlays refuse to render until the image names a
# repository path and a tag or digest.
rot="$work/manifests/overlays/gen-certs-rotating"
printf -- '-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n' >"$rot/ca.crt"
printf -- '-----BEGIN PRIVATE KEY-----\nY2Eta2V5\n-----END PRIVATE KEY-----\n' >"$rot/ca.key"
printf -- '-----BEGIN CERTIFICATE-----\nc2VydmluZw==\n-----END CERTIFICATE-----\n' >"$rot/tls.crt"
printf -- '-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n' >"$rot/tls.key"
for overlay in cert-manager gen-certs gen-certs-rotating; do
    if kubectl kustomize "$work/manifests/overlays/$overlay" >/dev/null 2>"$work/err"; then
        echo "FAIL: overlays/$overlay renders with the image unset" >&2
        exit 1
    fi
    if [ "$overlay" != gen-certs ] && ! grep -q 'options.index 1 is out of bounds for value kopia-webhook' "$work/err"; then
        echo "FAIL: overlays/$overlay: unexpected refusal:" >&2
        cat "$work/err" >&2
        exit 1
    fi
done
o="$work/manifests/overlays/cert-manager"
for bad in kopia-webhook:0.1.0 ghcr.io/acme/kopia-webhook; do
    set_image cert-manager "$bad"
    if kubectl kustomize "$o" >/dev/null 2>&1; then
        echo "FAIL: overlays/cert-manager renders with image $bad" >&2
        exit 1
    fi
done
for good in registry.example:5000/kopia-webhook \
    "ghcr.io/acme/kopia-webhook@sha256:$(printf '%064d' 0)"; do
    set_image cert-manager "$good"
    render "$o" "$work/other.yaml"
    grep -qF "image: $good" "$work/other.yaml" || { echo "FAIL: image $good not rendered" >&2; exit 1; }
    grep -q 'kopia-webhook-image-check' "$work/other.yaml" && { echo "FAIL: the image check is rendered" >&2; exit 1; }
done
IMAGE=registry.example/team/kopia-webhook:1.2.3
set_image cert-manager "$IMAGE"
set_image gen-certs "$IMAGE"
set_image gen-certs-rotating "$IMAGE"
render "$work/manifests/overlays/cert-manager" "$work/cert-manager.yaml"

# The gen-certs overlay needs the files gen-certs writes; without them it must
# refuse to render (a user who skipped that step gets an error, not a webhook
# without a CA).
rm -f "$work/manifests/overlays/gen-certs/"{ca.crt,tls.crt,tls.key}
if kubectl kustomize "$work/manifests/overlays/gen-certs" >/dev/null 2>&1; then
    echo "FAIL: overlays/gen-certs renders without ca.crt, tls.crt and tls.key" >&2
    exit 1
fi
printf -- '-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n' >"$work/manifests/overlays/gen-certs/ca.crt"
printf -- '-----BEGIN CERTIFICATE-----\nc2VydmluZw==\n-----END CERTIFICATE-----\n' >"$work/manifests/overlays/gen-certs/tls.crt"
printf -- '-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n' >"$work/manifests/overlays/gen-certs/tls.key"
render "$work/manifests/overlays/gen-certs" "$work/gen-certs.yaml"

# The rotating overlay needs the CA key too (it goes into Secret
# kopia-webhook-ca); without it, or without the others, it must refuse.
mv "$rot/ca.key" "$work/ca.key"
if kubectl kustomize "$rot" >/dev/null 2>&1; then
    echo "FAIL: overlays/gen-certs-rotating renders without ca.key" >&2
    exit 1
fi
mv "$work/ca.key" "$rot/ca.key"
render "$rot" "$work/gen-certs-rotating.yaml"

# Who may scrape port 8080 is said in one place, the metrics-source
# component: naming another namespace there changes the rendered policy of
# the base and of every overlay.
sed -i 's/kubernetes.io\/metadata.name: monitoring$/kubernetes.io\/metadata.name: observability/' \
    "$work/manifests/components/metrics-source/kustomization.yaml"
render "$work/manifests/base" "$work/base-edited.yaml"
render "$work/manifests/overlays/cert-manager" "$work/cert-manager-edited.yaml"
render "$work/manifests/overlays/gen-certs" "$work/gen-certs-edited.yaml"

"$python" - "$work" "$IMAGE" "$src" <<'PYTHON'
import base64
import binascii
import sys

import yaml

work, image, src = sys.argv[1], sys.argv[2], sys.argv[3]
NS = "kopia-webhook"
NAME = "kopia-webhook"
POLICY_LABEL = "kopia.volsync.backube/policy"
FIXED_ARGS = [
    "serve", "--config", "/etc/kopia-webhook/config.yaml",
    "--listen", "0.0.0.0:8443", "--health-listen", "0.0.0.0:8080",
    "--tls-cert", "/etc/kopia-webhook/tls/tls.crt",
    "--tls-key", "/etc/kopia-webhook/tls/tls.key",
    "--memory-limit", "$(MEMORY_LIMIT)",
]
# After SIGTERM the server serves for its drain period, then finishes the
# requests in flight for at most its request timeout (server defaults).
DRAIN_SECONDS = 10
REQUEST_TIMEOUT_SECONDS = 10

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def load(name):
    with open(f"{work}/{name}.yaml") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind, ctx):
    found = by_kind(docs, kind)
    check(len(found) == 1, f"{ctx}: expected one {kind}, found {len(found)}")
    return found[0] if found else {}


def named(docs, kind, name, ctx):
    found = [d for d in by_kind(docs, kind) if d["metadata"]["name"] == name]
    check(len(found) == 1, f"{ctx}: expected one {kind} named {name}, found {len(found)}")
    return found[0] if found else {}


def selector_matches(selector, labels):
    """Kubernetes LabelSelector semantics (matchLabels AND matchExpressions)."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def ns_labels(name):
    # The API server sets this label on every namespace.
    return {"kubernetes.io/metadata.name": name}


def container_port(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def check_rs_rd_rules(ctx, rules):
    check(len(rules) == 1, f"{ctx}: expected one rule, found {len(rules)}")
    for r in rules:
        check(r.get("apiGroups") == ["volsync.backube"], f"{ctx}: apiGroups {r.get('apiGroups')}")
        check(r.get("apiVersions") == ["v1alpha1"], f"{ctx}: apiVersions {r.get('apiVersions')}")
        check(sorted(r.get("operations", [])) == ["CREATE", "UPDATE"],
              f"{ctx}: operations {r.get('operations')}")
        check(sorted(r.get("resources", [])) == ["kopiamaintenances", "replicationdestinations", "replicationsources"],
              f"{ctx}: resources {r.get('resources')} (no subresources, no wildcards)")
        check(r.get("scope") == "Namespaced", f"{ctx}: scope {r.get('scope')}")


def check_policy_rules(ctx, rules):
    check(len(rules) == 1, f"{ctx}: expected one rule, found {len(rules)}")
    for r in rules:
        check(r.get("apiGroups") == [""], f"{ctx}: apiGroups {r.get('apiGroups')}")
        check(r.get("apiVersions") == ["v1"], f"{ctx}: apiVersions {r.get('apiVersions')}")
        check(sorted(r.get("operations", [])) == ["CREATE", "UPDATE"],
              f"{ctx}: operations {r.get('operations')}")
        check(sorted(r.get("resources", [])) == ["configmaps", "secrets"],
              f"{ctx}: resources {r.get('resources')}")
        check(r.get("scope") == "Namespaced", f"{ctx}: scope {r.get('scope')}")


def targets_rs_rd(w):
    return any("replicationsources" in r.get("resources", []) for r in w.get("rules", []))


def targets_policy(w):
    return any("configmaps" in r.get("resources", []) for r in w.get("rules", []))


def check_webhook(ctx, w, path, service):
    check(w.get("sideEffects") == "None", f"{ctx}: sideEffects {w.get('sideEffects')}")
    check(w.get("admissionReviewVersions") == ["v1", "v1beta1"],
          f"{ctx}: admissionReviewVersions {w.get('admissionReviewVersions')}")
    t = w.get("timeoutSeconds")
    check(isinstance(t, int) and 1 <= t <= 10, f"{ctx}: timeoutSeconds {t} (want 1..10)")
    check(w.get("failurePolicy") == "Fail", f"{ctx}: failurePolicy {w.get('failurePolicy')}")
    check(w.get("matchPolicy") == "Equivalent", f"{ctx}: matchPolicy {w.get('matchPolicy')}")
    name = w.get("name", "")
    check(name.count(".") >= 2, f"{ctx}: webhook name {name!r} is not fully qualified")
    svc = (w.get("clientConfig") or {}).get("service") or {}
    check(svc.get("path") == path, f"{ctx}: clientConfig.service.path {svc.get('path')}")
    check(svc.get("port") == 443, f"{ctx}: clientConfig.service.port {svc.get('port')}")
    check((svc.get("name"), svc.get("namespace")) == (service["metadata"]["name"],
                                                      service["metadata"].get("namespace")),
          f"{ctx}: clientConfig.service {svc} is not the rendered Service")
    check(443 in [p.get("port") for p in service.get("spec", {}).get("ports", [])],
          f"{ctx}: the Service has no port 443")
    sel = w.get("namespaceSelector") or {}
    for ns in ("kube-system", NS):
        check(not selector_matches(sel, ns_labels(ns)),
              f"{ctx}: namespaceSelector matches namespace {ns}")
    check(selector_matches(sel, ns_labels("default")),
          f"{ctx}: namespaceSelector does not match an application namespace")
    opted_out = dict(ns_labels("legacy"), **{"kopia-webhook.io/ignore": "true"})
    check(not selector_matches(sel, opted_out),
          f"{ctx}: namespaceSelector matches a namespace labelled kopia-webhook.io/ignore=true")
    check(selector_matches(sel, dict(ns_labels("prod"), **{"kopia-webhook.io/ignore": "false"})),
          f"{ctx}: namespaceSelector skips a namespace labelled kopia-webhook.io/ignore=false")
    return t


def check_webhook_configurations(docs, ctx, service, timeouts):
    mwc = one(docs, "MutatingWebhookConfiguration", ctx)
    vwc = one(docs, "ValidatingWebhookConfiguration", ctx)
    mhooks, vhooks = mwc.get("webhooks", []), vwc.get("webhooks", [])

    check(len(mhooks) == 1 and targets_rs_rd(mhooks[0]),
          f"{ctx}: the mutating configuration must hold exactly the RS/RD webhook")
    for w in mhooks:
        c = f"{ctx}: mutating {w.get('name')}"
        timeouts.append(check_webhook(c, w, "/mutate", service))
        check(w.get("reinvocationPolicy") == "Never", f"{c}: reinvocationPolicy")
        check_rs_rd_rules(c, w.get("rules", []))

    rs = [w for w in vhooks if targets_rs_rd(w)]
    pol = [w for w in vhooks if targets_policy(w)]
    check(len(vhooks) == 2 and len(rs) == 1 and len(pol) == 1,
          f"{ctx}: the validating configuration must hold one RS/RD and one policy webhook")
    check(len({w.get("name") for w in vhooks}) == len(vhooks), f"{ctx}: duplicate webhook names")
    for w in rs:
        c = f"{ctx}: validating {w.get('name')}"
        timeouts.append(check_webhook(c, w, "/validate", service))
        check_rs_rd_rules(c, w.get("rules", []))
    for w in pol:
        c = f"{ctx}: validating {w.get('name')}"
        timeouts.append(check_webhook(c, w, "/validate", service))
        check_policy_rules(c, w.get("rules", []))
        osel = w.get("objectSelector")
        if check(isinstance(osel, dict), f"{c}: no objectSelector"):
            check(selector_matches(osel, {POLICY_LABEL: "true"}),
                  f"{c}: objectSelector does not match {POLICY_LABEL}: \"true\"")
            check(not selector_matches(osel, {}), f"{c}: objectSelector matches unlabelled objects")
            check(not selector_matches(osel, {POLICY_LABEL: "false"}),
                  f"{c}: objectSelector matches {POLICY_LABEL}: \"false\"")
    return mwc, vwc


def check_namespaced(docs, ctx):
    cluster_scoped = {"Namespace", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
    for d in docs:
        if d.get("kind") not in cluster_scoped:
            check(d["metadata"].get("namespace") == NS,
                  f"{ctx}: {d['kind']}/{d['metadata'].get('name')} is not in namespace {NS}")


def check_deployment(docs, ctx, timeouts, want_image):
    dep = one(docs, "Deployment", ctx)
    spec = dep.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    pod_labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
    check(spec.get("replicas") == 3, f"{ctx}: replicas {spec.get('replicas')}")
    check(selector_matches(spec.get("selector", {}), pod_labels),
          f"{ctx}: Deployment selector does not match its pods")
    ru = spec.get("strategy", {}).get("rollingUpdate", {})
    check(ru.get("maxUnavailable") == 0, f"{ctx}: rolling update may drop below 3 ready pods")

    spread = [c for c in pod.get("topologySpreadConstraints", [])
              if c.get("topologyKey") == "kubernetes.io/hostname"]
    check(len(spread) == 1 and spread[0].get("maxSkew") == 1
          and selector_matches(spread[0].get("labelSelector", {}), pod_labels),
          f"{ctx}: no maxSkew 1 spread over kubernetes.io/hostname selecting the pods")
    anti = (pod.get("affinity", {}).get("podAntiAffinity", {})
            .get("preferredDuringSchedulingIgnoredDuringExecution", []))
    check(any(t.get("podAffinityTerm", {}).get("topologyKey") == "kubernetes.io/hostname"
              and selector_matches(t["podAffinityTerm"].get("labelSelector", {}), pod_labels)
              for t in anti), f"{ctx}: no preferred pod anti-affinity on kubernetes.io/hostname")

    check(pod.get("automountServiceAccountToken") is False, f"{ctx}: pod mounts a token")
    check(pod.get("priorityClassName") == "system-cluster-critical",
          f"{ctx}: priorityClassName {pod.get('priorityClassName')} (the webhook fails closed)")
    sa = named(docs, "ServiceAccount", NAME, ctx)
    check(sa.get("automountServiceAccountToken") is False, f"{ctx}: ServiceAccount mounts a token")
    check(pod.get("serviceAccountName") == sa.get("metadata", {}).get("name"),
          f"{ctx}: pod does not use the ServiceAccount")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    slowest = max([REQUEST_TIMEOUT_SECONDS] + [t for t in timeouts if isinstance(t, int)])
    check(grace > DRAIN_SECONDS + slowest,
          f"{ctx}: terminationGracePeriodSeconds {grace} does not cover the drain "
          f"({DRAIN_SECONDS} s) and the requests in flight ({slowest} s)")

    psc = pod.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, f"{ctx}: pod runAsNonRoot")
    check(psc.get("runAsUser") == 65532, f"{ctx}: pod runAsUser {psc.get('runAsUser')}")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{ctx}: pod seccomp")

    containers = pod.get("containers", [])
    check(len(containers) == 1, f"{ctx}: expected one container")
    c = containers[0] if containers else {}
    check(c.get("image") == want_image, f"{ctx}: image {c.get('image')}, want {want_image}")
    check(c.get("args") == FIXED_ARGS and not c.get("command"),
          f"{ctx}: container args {c.get('args')} differ from the server's fixed command line")
    csc = c.get("securityContext", {})
    check(csc.get("readOnlyRootFilesystem") is True, f"{ctx}: readOnlyRootFilesystem")
    check(csc.get("allowPrivilegeEscalation") is False, f"{ctx}: allowPrivilegeEscalation")
    check(csc.get("capabilities", {}).get("drop") == ["ALL"], f"{ctx}: capabilities.drop")
    check(not csc.get("capabilities", {}).get("add"), f"{ctx}: capabilities added")
    check(csc.get("privileged") in (None, False), f"{ctx}: privileged")
    check(csc.get("runAsNonRoot") in (None, True) and csc.get("runAsUser", 65532) == 65532,
          f"{ctx}: container overrides the non-root user")
    check(csc.get("seccompProfile", {"type": "RuntimeDefault"}).get("type") == "RuntimeDefault",
          f"{ctx}: container seccomp")

    res = c.get("resources", {})
    for k in ("cpu", "memory"):
        check(k in res.get("requests", {}), f"{ctx}: no {k} request")
    check("memory" in res.get("limits", {}), f"{ctx}: no memory limit")
    # --memory-limit $(MEMORY_LIMIT) must be the container's own limit, from
    # the downward API, so the server's memory model follows the manifest.
    env = [e for e in c.get("env", []) if e.get("name") == "MEMORY_LIMIT"]
    ref = env[0].get("valueFrom", {}).get("resourceFieldRef", {}) if len(env) == 1 else {}
    check(ref.get("resource") == "limits.memory"
          and ref.get("containerName", c.get("name")) == c.get("name")
          and str(ref.get("divisor", "1")) == "1",
          f"{ctx}: MEMORY_LIMIT is not the container's limits.memory in bytes (resourceFieldRef)")

    ports = {p.get("containerPort") for p in c.get("ports", [])}
    check(ports == {8443, 8080}, f"{ctx}: container ports {ports}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and container_port(c, get.get("port")) == 8080
              and get.get("scheme", "HTTP") == "HTTP",
              f"{ctx}: {probe} is not HTTP {path} on 8080")

    mounts = {m.get("mountPath"): m for m in c.get("volumeMounts", [])}
    volumes = {v.get("name"): v for v in pod.get("volumes", [])}
    tls = mounts.get("/etc/kopia-webhook/tls")
    if check(tls is not None, f"{ctx}: nothing mounted at /etc/kopia-webhook/tls"):
        v = volumes.get(tls.get("name"), {})
        check(v.get("secret", {}).get("secretName") == "kopia-webhook-tls" and tls.get("readOnly"),
              f"{ctx}: /etc/kopia-webhook/tls is not the Secret kopia-webhook-tls, read-only")
    cfg = mounts.get("/etc/kopia-webhook/config.yaml")
    if check(cfg is not None, f"{ctx}: nothing mounted at /etc/kopia-webhook/config.yaml"):
        cm_name = volumes.get(cfg.get("name"), {}).get("configMap", {}).get("name")
        cms = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"] == cm_name]
        check(cm_name and cm_name.startswith("kopia-webhook-config") and len(cms) == 1,
              f"{ctx}: config volume refers to {cm_name!r}, not the rendered ConfigMap")
        check(cfg.get("subPath") == "config.yaml" and cfg.get("readOnly"),
              f"{ctx}: config mount is not subPath config.yaml, read-only")
        if cms:
            text = cms[0].get("data", {}).get("config.yaml")
            if check(text is not None, f"{ctx}: ConfigMap has no key config.yaml"):
                parsed = yaml.safe_load(text)
                check(isinstance(parsed, dict), f"{ctx}: config.yaml is not a YAML mapping")
    return dep, c, pod_labels


def check_service_pdb_netpol(docs, ctx, container, pod_labels):
    svc = one(docs, "Service", ctx)
    check(selector_matches({"matchLabels": svc.get("spec", {}).get("selector", {})}, pod_labels),
          f"{ctx}: Service selector does not match the pods")
    sports = {p.get("port"): container_port(container, p.get("targetPort"))
              for p in svc.get("spec", {}).get("ports", [])}
    check(sports.get(443) == 8443, f"{ctx}: Service port 443 does not reach container 8443")
    check(sports.get(8080) == 8080, f"{ctx}: Service port 8080 does not reach container 8080")

    pdb = one(docs, "PodDisruptionBudget", ctx)
    ps = pdb.get("spec", {})
    check(selector_matches(ps.get("selector", {}), pod_labels), f"{ctx}: PDB selects other pods")
    check(ps.get("maxUnavailable") == 1 or ps.get("minAvailable") == 2,
          f"{ctx}: PDB is neither maxUnavailable 1 nor minAvailable 2")

    np = named(docs, "NetworkPolicy", NAME, ctx)
    nps = np.get("spec", {})
    check(selector_matches(nps.get("podSelector", {}), pod_labels), f"{ctx}: NetworkPolicy pods")
    check("Ingress" in nps.get("policyTypes", []), f"{ctx}: NetworkPolicy does not limit ingress")
    rules = nps.get("ingress", [])
    open_ports = [p.get("port") for r in rules if not r.get("from") for p in r.get("ports", [])]
    check(8443 in open_ports or "webhook" in open_ports,
          f"{ctx}: NetworkPolicy does not admit the API server to 8443 from anywhere")
    check(8080 not in open_ports and "metrics" not in open_ports,
          f"{ctx}: NetworkPolicy opens 8080 to everyone")
    check(any(r.get("from") and 8080 in [p.get("port") for p in r.get("ports", [])] for r in rules),
          f"{ctx}: NetworkPolicy admits nobody to 8080 (metrics)")
    check(all(r.get("ports") for r in rules),
          f"{ctx}: NetworkPolicy has an ingress rule for all ports")


def check_common(docs, ctx, want_image=None):
    check(one(docs, "Namespace", ctx).get("metadata", {}).get("name") == NS, f"{ctx}: Namespace")
    check_namespaced(docs, ctx)
    timeouts = []
    svc = one(docs, "Service", ctx)
    mwc, vwc = check_webhook_configurations(docs, ctx, svc, timeouts)
    dep, container, pod_labels = check_deployment(docs, ctx, timeouts, want_image or image)
    check_service_pdb_netpol(docs, ctx, container, pod_labels)
    return mwc, vwc, dep


def ca_bundles(cfg):
    return [(w.get("clientConfig") or {}).get("caBundle") for w in cfg.get("webhooks", [])]


def is_base64(s):
    try:
        base64.b64decode(s, validate=True)
        return True
    except (binascii.Error, TypeError, ValueError):
        return False


# Base: complete, and its caBundle placeholder is not base64, so applying the
# base on its own fails at the webhook configurations.
base = load("base")
# The base's image is bare on purpose (the overlays refuse it).
mwc, vwc, _ = check_common(base, "base", "kopia-webhook")
for b in ca_bundles(mwc) + ca_bundles(vwc):
    check(isinstance(b, str) and not is_base64(b),
          f"base: caBundle placeholder {b!r} would be accepted by the API server")

# cert-manager overlay: CA chain, serving certificate, CA injection.
cm = load("cert-manager")
mwc, vwc, _ = check_common(cm, "cert-manager")
issuers = {d["metadata"]["name"]: d.get("spec", {}) for d in by_kind(cm, "Issuer")}
certs = {d["metadata"]["name"]: d for d in by_kind(cm, "Certificate")}
check(any("selfSigned" in s for s in issuers.values()), "cert-manager: no self-signed Issuer")
ca_certs = [c for c in certs.values() if c.get("spec", {}).get("isCA") is True]
ca_issuers = [n for n, s in issuers.items() if "ca" in s]
if check(len(ca_certs) == 1 and len(ca_issuers) == 1, "cert-manager: expected one CA and one CA Issuer"):
    ca = ca_certs[0]["spec"]
    check("selfSigned" in issuers.get(ca.get("issuerRef", {}).get("name"), {}),
          "cert-manager: the CA certificate is not signed by the self-signed Issuer")
    check(issuers[ca_issuers[0]]["ca"].get("secretName") == ca.get("secretName"),
          "cert-manager: the CA Issuer does not use the CA certificate's Secret")
serving = [c for c in certs.values() if c.get("spec", {}).get("secretName") == "kopia-webhook-tls"]
if check(len(serving) == 1, "cert-manager: no Certificate writes Secret kopia-webhook-tls"):
    s = serving[0]
    sspec = s.get("spec", {})
    check(sorted(sspec.get("dnsNames", [])) == [f"{NAME}.{NS}.svc", f"{NAME}.{NS}.svc.cluster.local"],
          f"cert-manager: serving dnsNames {sspec.get('dnsNames')}")
    check(ca_issuers and sspec.get("issuerRef", {}).get("name") == ca_issuers[0]
          and sspec.get("issuerRef", {}).get("kind", "Issuer") == "Issuer",
          "cert-manager: the serving certificate is not issued by the CA Issuer")
    check("server auth" in sspec.get("usages", ["server auth"]), "cert-manager: no server auth usage")
    want = f"{s['metadata']['namespace']}/{s['metadata']['name']}"
    for cfg in (mwc, vwc):
        ann = cfg.get("metadata", {}).get("annotations", {})
        check(ann.get("cert-manager.io/inject-ca-from") == want,
              f"cert-manager: {cfg.get('kind')} inject-ca-from is "
              f"{ann.get('cert-manager.io/inject-ca-from')!r}, want {want!r}")
        check(all(b is None for b in ca_bundles(cfg)),
              f"cert-manager: {cfg.get('kind')} still sets caBundle (cainjector owns it)")

# gen-certs overlay: the Secret from the generated files, the CA as caBundle.
gc = load("gen-certs")
mwc, vwc, _ = check_common(gc, "gen-certs")
secrets = [d for d in by_kind(gc, "Secret") if d["metadata"]["name"] == "kopia-webhook-tls"]
if check(len(secrets) == 1, "gen-certs: no Secret named exactly kopia-webhook-tls"):
    sec = secrets[0]
    check(sec.get("type") == "kubernetes.io/tls", f"gen-certs: Secret type {sec.get('type')}")
    check(sorted(sec.get("data", {})) == ["ca.crt", "tls.crt", "tls.key"],
          f"gen-certs: Secret keys {sorted(sec.get('data', {}))}")
    with open(f"{work}/manifests/overlays/gen-certs/ca.crt", "rb") as f:
        want = base64.b64encode(f.read()).decode()
    # kustomize wraps long base64 at 70 columns; the API server's decoder
    # skips the line breaks, so compare without whitespace.
    for cfg in (mwc, vwc):
        got = ["".join(b.split()) if isinstance(b, str) else b for b in ca_bundles(cfg)]
        check(got == [want] * len(cfg.get("webhooks", [])),
              f"gen-certs: {cfg.get('kind')} caBundle is not the base64 of ca.crt")

# The metrics source: the base's own NetworkPolicy file opens nothing on
# 8080 (the component's rule is the only one), and editing the component
# moves every rendering.
def scrape_sources(docs):
    np = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    rules = np[0].get("spec", {}).get("ingress", []) if np else []
    return [peer for r in rules if 8080 in [p.get("port") for p in r.get("ports", [])]
            for peer in (r.get("from") or [{}])]


with open(f"{src}/manifests/base/networkpolicy.yaml") as f:
    check(scrape_sources([yaml.safe_load(f)]) == [],
          "base/networkpolicy.yaml opens 8080 itself: the metrics source must live in one place")
for name in ("base", "cert-manager", "gen-certs"):
    want = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    check(scrape_sources(load(name)) == [want],
          f"{name}: 8080 is not open to namespace monitoring alone: {scrape_sources(load(name))}")
    edited = scrape_sources(load(f"{name}-edited"))
    check(len(edited) == 1 and selector_matches(edited[0].get("namespaceSelector", {}),
                                                ns_labels("observability"))
          and not selector_matches(edited[0].get("namespaceSelector", {}), ns_labels("monitoring")),
          f"{name}: editing components/metrics-source did not move the scrape source: {edited}")

# gen-certs-rotating overlay: the gen-certs Secret and caBundle, the CA
# Secret, and the renewal CronJob with least-privilege RBAC.
RENEW = "kopia-webhook-cert-renewal"
rot = load("gen-certs-rotating")
mwc, vwc, dep = check_common(rot, "gen-certs-rotating")
ctx = "gen-certs-rotating"
rdir = f"{work}/manifests/overlays/gen-certs-rotating"
tls = named(rot, "Secret", "kopia-webhook-tls", ctx)
ca = named(rot, "Secret", "kopia-webhook-ca", ctx)
check(tls.get("type") == "kubernetes.io/tls", f"{ctx}: Secret type {tls.get('type')}")
check(sorted(tls.get("data", {})) == ["ca.crt", "tls.crt", "tls.key"],
      f"{ctx}: kopia-webhook-tls keys {sorted(tls.get('data', {}))}")
check(sorted(ca.get("data", {})) == ["ca.crt", "ca.key"],
      f"{ctx}: kopia-webhook-ca keys {sorted(ca.get('data', {}))}")
def b64file(name):
    with open(f"{rdir}/{name}", "rb") as f:
        return base64.b64encode(f.read()).decode()
check("".join(ca.get("data", {}).get("ca.key", "").split()) == b64file("ca.key"),
      f"{ctx}: kopia-webhook-ca ca.key is not the file ca.key")
check("".join(tls.get("data", {}).get("ca.crt", "").split())
      == "".join(ca.get("data", {}).get("ca.crt", "").split()) == b64file("ca.crt"),
      f"{ctx}: the two Secrets' ca.crt differ or are not the file ca.crt")
for cfg in (mwc, vwc):
    got = ["".join(b.split()) if isinstance(b, str) else b for b in ca_bundles(cfg)]
    check(got == [b64file("ca.crt")] * len(cfg.get("webhooks", [])),
          f"{ctx}: {cfg.get('kind')} caBundle is not the base64 of ca.crt")

# RBAC: exactly get on the CA Secret and get/update on the serving Secret,
# by name, in the namespace, for the renewal ServiceAccount only.
check(not by_kind(rot, "ClusterRole") and not by_kind(rot, "ClusterRoleBinding"),
      f"{ctx}: cluster-wide RBAC")
roles, bindings = by_kind(rot, "Role"), by_kind(rot, "RoleBinding")
check(len(roles) == 1 and len(bindings) == 1, f"{ctx}: expected one Role and one RoleBinding")
def norm_rules(rules):
    out = set()
    for r in rules:
        for g in r.get("apiGroups", []):
            for res in r.get("resources", []):
                for n in r.get("resourceNames", ["*ANY*"]):
                    for v in r.get("verbs", []):
                        out.add((g, res, n, v))
    return out
if roles:
    want = {("", "secrets", "kopia-webhook-ca", "get"), ("", "secrets", "kopia-webhook-tls", "get"),
            ("", "secrets", "kopia-webhook-tls", "update")}
    got = norm_rules(roles[0].get("rules", []))
    check(got == want, f"{ctx}: Role grants {sorted(got)}, want exactly {sorted(want)}")
    check(all(r.get("resourceNames") for r in roles[0].get("rules", [])),
          f"{ctx}: a Role rule without resourceNames")
if roles and bindings:
    b = bindings[0]
    check(b.get("roleRef") == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                               "name": roles[0]["metadata"]["name"]},
          f"{ctx}: RoleBinding roleRef {b.get('roleRef')}")
    check(b.get("subjects") == [{"kind": "ServiceAccount", "name": RENEW, "namespace": NS}],
          f"{ctx}: RoleBinding subjects {b.get('subjects')}")
rsa = named(rot, "ServiceAccount", RENEW, ctx)
check(rsa.get("automountServiceAccountToken") is False,
      f"{ctx}: {RENEW} ServiceAccount mounts a token into every pod")

# The CronJob.
cj = named(rot, "CronJob", RENEW, ctx)
cjs = cj.get("spec", {})
fields = str(cjs.get("schedule", "")).split()
check(len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit() and fields[2:] == ["*"] * 3,
      f"{ctx}: schedule {cjs.get('schedule')!r} is not once a day")
check(cjs.get("concurrencyPolicy") == "Forbid", f"{ctx}: concurrencyPolicy {cjs.get('concurrencyPolicy')}")
for k in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
    check(isinstance(cjs.get(k), int) and 1 <= cjs[k] <= 5, f"{ctx}: {k} {cjs.get(k)}")
job = cjs.get("jobTemplate", {}).get("spec", {})
check(isinstance(job.get("backoffLimit"), int) and job["backoffLimit"] <= 6,
      f"{ctx}: backoffLimit {job.get('backoffLimit')}")
check(isinstance(job.get("activeDeadlineSeconds"), int), f"{ctx}: no activeDeadlineSeconds")
tmpl = job.get("template", {})
jpod = tmpl.get("spec", {})
jlabels = tmpl.get("metadata", {}).get("labels", {})
check(jpod.get("restartPolicy") in ("Never", "OnFailure"), f"{ctx}: restartPolicy")
check(jpod.get("serviceAccountName") == RENEW, f"{ctx}: job serviceAccountName {jpod.get('serviceAccountName')}")
check(jpod.get("automountServiceAccountToken") is True, f"{ctx}: the job gets no token")
dpod = dep.get("spec", {}).get("template", {}).get("spec", {})
dcont = (dpod.get("containers") or [{}])[0]
psc = dict(dpod.get("securityContext", {}))
psc.pop("fsGroup", None)  # the job mounts no volume
check(jpod.get("securityContext") == psc,
      f"{ctx}: job pod securityContext {jpod.get('securityContext')} differs from the Deployment's {psc}")
jconts = jpod.get("containers", [])
check(len(jconts) == 1, f"{ctx}: expected one job container")
jc = jconts[0] if jconts else {}
check(jc.get("image") == image, f"{ctx}: job image {jc.get('image')}, want {image}")
check(jc.get("securityContext") == dcont.get("securityContext"),
      f"{ctx}: job container securityContext differs from the Deployment's")
want_args = ["gen-certs", "--renew", "--service", NAME, "--namespace", NS,
             "--secret", "kopia-webhook-tls", "--ca-secret", "kopia-webhook-ca",
             "--renew-before", "30", "--days", "365"]
check(jc.get("args") == want_args and not jc.get("command"),
      f"{ctx}: job args {jc.get('args')}, want {want_args}")
jres = jc.get("resources", {})
check("cpu" in jres.get("requests", {}) and "memory" in jres.get("requests", {})
      and "memory" in jres.get("limits", {}), f"{ctx}: job resources {jres}")
check(not jc.get("volumeMounts") and not jpod.get("volumes"), f"{ctx}: the job mounts volumes")
# Its pods are not the webhook's: no Service, PDB, Deployment or webhook
# NetworkPolicy selects them; their own policy opens egress to the API server.
wnp = named(rot, "NetworkPolicy", NAME, ctx)
for kind, sel in (("Service", {"matchLabels": named(rot, "Service", NAME, ctx).get("spec", {}).get("selector", {})}),
                  ("PodDisruptionBudget", one(rot, "PodDisruptionBudget", ctx).get("spec", {}).get("selector", {})),
                  ("Deployment", dep.get("spec", {}).get("selector", {})),
                  ("NetworkPolicy", wnp.get("spec", {}).get("podSelector", {}))):
    check(not selector_matches(sel, jlabels), f"{ctx}: the {kind} {NAME} selects the renewal pods")
rnp = named(rot, "NetworkPolicy", RENEW, ctx)
rs = rnp.get("spec", {})
check(selector_matches(rs.get("podSelector", {}), jlabels), f"{ctx}: {RENEW} NetworkPolicy does not select the job pods")
check(not selector_matches(rs.get("podSelector", {}), dep.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})),
      f"{ctx}: {RENEW} NetworkPolicy selects the webhook pods")
check(sorted(rs.get("policyTypes", [])) == ["Egress", "Ingress"] and not rs.get("ingress"),
      f"{ctx}: {RENEW} NetworkPolicy must deny ingress and limit egress")
eports = sorted(p.get("port") for r in rs.get("egress", []) for p in r.get("ports", []))
check(eports == [443, 6443] and all(r.get("ports") for r in rs.get("egress", [])),
      f"{ctx}: {RENEW} egress ports {eports}, want the API server's 443 and 6443 only")

for f in failures:
    print(f"FAIL: {f}", file=sys.stderr)
if failures:
    sys.exit(1)
print("ok: base, overlays/cert-manager, overlays/gen-certs and overlays/gen-certs-rotating render and check out")
PYTHON
[ $? -eq 0 ] || exit 1

# --- Every rendered object against the Kubernetes schemas, offline -------
# kubernetes-models (npm, pinned by tests/tools/k8s-schema/package-lock.json)
# carries the API's OpenAPI schemas compiled for every kind, and those of
# cert-manager and the Prometheus operator: types, required fields, formats
# and enums. An object of a kind without a schema fails, so a new kind cannot
# go unchecked. Unknown (misspelt) fields are not reported by these schemas;
# the checks above read every field that matters by name, so a misspelt one
# shows there as missing. Without node/npm or the registry the part is
# skipped with a message, unless KW_REQUIRE_TOOLS=1 (CI) makes that a failure.
schema_skip() {
    if [ "${KW_REQUIRE_TOOLS:-0}" = 1 ]; then
        echo "FAIL: schema check: $1" >&2
        exit 1
    fi
    echo "SKIP: schema check: $1" >&2
    exit 0
}
command -v node >/dev/null && command -v npm >/dev/null || schema_skip "node and npm are not installed"
tools=$src/tests/tools/k8s-schema
cache=${KW_BINARY:+$(dirname "$KW_BINARY")/k8s-schema}
cache=${cache:-$work/k8s-schema}
if ! cmp -s "$tools/package-lock.json" "$cache/package-lock.json" || [ ! -d "$cache/node_modules" ]; then
    rm -rf "$cache" && mkdir -p "$cache" && cp "$tools/package.json" "$tools/package-lock.json" "$cache/"
    if ! (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
        cat "$work/npm.log" >&2
        rm -rf "$cache"
        schema_skip "npm ci failed (no registry?)"
    fi
fi
validate() { NODE_PATH=$cache/node_modules node "$tools/validate.js" "$@"; }
# The monitoring overlay too (tests/scripts/test_monitoring.sh checks what
# its rules mean): its ServiceMonitor and PrometheusRule are CRD objects.
render "$work/manifests/overlays/monitoring" "$work/monitoring.yaml"

# The overlays: every object valid.
for out in "$work"/*.yaml; do
    case $(basename "$out") in base*.yaml) continue ;; esac
    if ! validate "$out" >"$work/schema.out" 2>&1; then
        echo "FAIL: $(basename "$out" .yaml): objects the API server would refuse:" >&2
        grep -v ': valid$' "$work/schema.out" >&2
        exit 1
    fi
done
# The base: invalid exactly where it means to be (the caBundle placeholder is
# not base64, so applying the base alone fails there).
validate "$work/base.yaml" >"$work/schema.out" 2>&1
bad=$(grep -v ': valid$' "$work/schema.out" | grep -v 'objects checked' | grep -vc 'clientConfig/caBundle must match format "byte"')
want=$(grep -c 'caBundle must match format "byte"' "$work/schema.out")
if [ "$bad" -ne 0 ] || [ "$want" -ne 3 ]; then
    echo "FAIL: base: want only the 3 caBundle placeholders refused:" >&2
    cat "$work/schema.out" >&2
    exit 1
fi
# The check itself refuses what the API server refuses.
sed 's/^  replicas: 3$/  replicas: "3"/' "$work/cert-manager.yaml" >"$work/broken.yml"
if validate "$work/broken.yml" >"$work/schema.out" 2>&1 || ! grep -q 'spec/replicas must be integer' "$work/schema.out"; then
    echo "FAIL: the schema check accepts replicas: \"3\"" >&2
    cat "$work/schema.out" >&2
    exit 1
fi
echo "ok: every rendered object is valid against the Kubernetes schemas ($(ls "$work"/*.yaml | wc -l) renders)"
