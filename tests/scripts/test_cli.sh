#!/usr/bin/env bash
# The command line as users meet it: exit statuses, one-line errors for
# unreadable files, bad YAML (with line and column) and unknown flags;
# check and review on upstream manifests; gen-certs; version.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
fx=$src/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

expect() { # name, wanted status, actual status
  if [ "$2" -eq "$3" ]; then passes=$((passes + 1)); else echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); fi
}
contains() { # name, file, text
  if grep -qF -- "$3" "$2"; then passes=$((passes + 1)); else echo "FAIL: $1: no '$3' in:"; cat "$2"; fails=$((fails + 1)); fi
}
one_line() { # name, file
  if [ "$(wc -l <"$2")" -le 2 ]; then passes=$((passes + 1)); else echo "FAIL: $1: more than two lines:"; cat "$2"; fails=$((fails + 1)); fi
}

"$bin" version >"$tmp/out"; expect version 0 $?
contains version "$tmp/out" "kopia-webhook "

"$bin" frobnicate 2>"$tmp/err"; expect unknown-command 2 $?
contains unknown-command "$tmp/err" "unknown command 'frobnicate'"

# check: unknown flag, no input, missing file, bad YAML, no kind.
"$bin" check --frob x.yaml 2>"$tmp/err"; expect check-unknown-flag 2 $?
contains check-unknown-flag "$tmp/err" "unknown flag '--frob'"

# check --operator-version: the supported versions are named when it is wrong.
"$bin" check --operator-version 0.18 x.yaml 2>"$tmp/err"; expect check-operator-version 2 $?
contains check-operator-version "$tmp/err" '"0.18": is not a supported operator version (supported: 0.15, 0.16, 0.17'
"$bin" check --operator-version 2>"$tmp/err"; expect check-operator-version-missing 2 $?
contains check-operator-version-missing "$tmp/err" "--operator-version takes a VolSync operator version"
"$bin" check 2>"$tmp/err"; expect check-no-input 2 $?
"$bin" check "$tmp/nope.yaml" 2>"$tmp/err"; expect check-missing-file 2 $?
contains check-missing-file "$tmp/err" "nope.yaml: No such file or directory"
one_line check-missing-file "$tmp/err"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n' >"$tmp/bad.yaml"
"$bin" check "$tmp/bad.yaml" 2>"$tmp/err"; expect check-bad-yaml 2 $?
contains check-bad-yaml "$tmp/err" "bad.yaml: line 5, column"
printf 'spec:\n  kopia: {}\n' >"$tmp/nokind.yaml"
"$bin" check "$tmp/nokind.yaml" 2>"$tmp/err"; expect check-no-kind 2 $?
contains check-no-kind "$tmp/err" "apiVersion and kind are required"
"$bin" check --output yaml "$tmp/nokind.yaml" 2>"$tmp/err"; expect check-bad-output 2 $?

# check on upstream manifests: other kinds are skipped, allowed objects exit 0.
"$bin" check "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>&1
expect check-upstream-allowed 0 $?
contains check-upstream-allowed "$tmp/out" "ReplicationSource default/mydata-backup: allowed"

# A manifest with no mover is denied (exit 1) and says why.
cat >"$tmp/nomover.yaml" <<'YAML'
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata:
  name: broken
  namespace: apps
spec:
  sourcePVC: data
---
apiVersion: v1
kind: Service
metadata:
  name: ignored
YAML
"$bin" check "$tmp/nomover.yaml" >"$tmp/out" 2>&1; expect check-denied 1 $?
contains check-denied "$tmp/out" "ReplicationSource apps/broken: denied"
contains check-denied "$tmp/out" "error: spec: Required value: a replication method must be specified"
contains check-denied "$tmp/out" "1 other objects skipped"
"$bin" check - <"$tmp/nomover.yaml" >"$tmp/out" 2>&1; expect check-stdin 1 $?
"$bin" check --output json "$tmp/nomover.yaml" >"$tmp/out" 2>&1; expect check-json 1 $?
contains check-json "$tmp/out" '"rule": "mover-required"'
# Unreadable input wins over denials.
"$bin" check "$tmp/nomover.yaml" "$tmp/nope.yaml" >/dev/null 2>&1; expect check-mixed 2 $?

# check --config: a bad file is unreadable input with file:line:column; the
# admin policy in a good one applies.
printf 'tenancy:\n  denyActions: true\n  denyActionz: true\n' >"$tmp/bad-config.yaml"
"$bin" check --config "$tmp/bad-config.yaml" "$tmp/nomover.yaml" 2>"$tmp/err"; expect check-bad-config 2 $?
contains check-bad-config "$tmp/err" "bad-config.yaml:3:3: tenancy.denyActionz: unknown key"
printf 'tenancy:\n  denyActions: true\n' >"$tmp/config.yaml"
cat >"$tmp/actions.yaml" <<'YAML'
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata: {name: hooks, namespace: apps}
spec:
  sourcePVC: data
  kopia:
    repository: kopia-config
    copyMethod: Snapshot
    actions: {beforeSnapshot: "sync"}
YAML
"$bin" check --config "$tmp/config.yaml" "$tmp/actions.yaml" >"$tmp/out" 2>&1; expect check-admin-policy 1 $?
contains check-admin-policy "$tmp/out" "error: spec.kopia.actions: Forbidden: snapshot actions are disabled"

# check --output json never copies a Secret's contents into the report.
marker=UNIQUEPOLICYMARKER42
b64=$(printf '{"retention":{"keepDaily":"%s"}}' "$marker" | base64 -w0)
cat >"$tmp/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: policy
  namespace: apps
  labels: {kopia.volsync.backube/policy: "true"}
data:
  global-policy.json: $b64
YAML
"$bin" check --output json "$tmp/secret.yaml" >"$tmp/out" 2>&1; expect check-secret-json 1 $?
contains check-secret-json "$tmp/out" '"kind": "Secret"'
if grep -qE "$marker|$b64" "$tmp/out"; then echo "FAIL: check-secret-json: the Secret's contents leaked"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
"$bin" check "$tmp/secret.yaml" >"$tmp/out" 2>&1; expect check-secret-text 1 $?
if grep -qE "$marker|$b64" "$tmp/out"; then echo "FAIL: check-secret-text: the Secret's contents leaked"; fails=$((fails + 1)); else passes=$((passes + 1)); fi

# check --output patched: the identity the operator computes is pinned
# (object-name), a value the CRD refuses is only annotated and warned, and
# identityScheme: name-namespace in a config file pins that scheme instead.
"$bin" check --output patched "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>"$tmp/err"
expect check-patched 0 $?
contains check-patched "$tmp/out" '"kopia-webhook.io/identity": "mydata-backup@default"'
contains check-patched "$tmp/out" '"username": "mydata-backup"'
contains check-patched "$tmp/out" '"hostname": "default"'
cat >"$tmp/long.yaml" <<'YAML'
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata: {name: ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd, namespace: ns}
spec:
  sourcePVC: data
  kopia: {repository: kopia-config, copyMethod: Direct}
YAML
"$bin" check --output patched "$tmp/long.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-patched-unpinnable 0 $?
contains check-patched-unpinnable "$tmp/out" '"kopia-webhook.io/identity": "ccccccccccccccccccccccccccccccccccccccccccccccccc-@ns"'
if grep -q '"username"' "$tmp/out"; then echo "FAIL: check-patched-unpinnable: a username was pinned"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
"$bin" check "$tmp/long.yaml" >"$tmp/out" 2>&1; expect check-unpinnable-warning 0 $?
contains check-unpinnable-warning "$tmp/out" 'warning: spec.kopia.username: not pinned: the operator'"'"'s value "ccccccccccccccccccccccccccccccccccccccccccccccccc-" ends in "-"'
printf 'identityScheme: name-namespace\n' >"$tmp/nn.yaml"
"$bin" check --config "$tmp/nn.yaml" --output patched "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>"$tmp/err"
expect check-patched-name-namespace 0 $?
contains check-patched-name-namespace "$tmp/out" '"username": "mydata-backup-default"'
"$bin" check --config "$tmp/nn.yaml" "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>&1
contains check-name-namespace-warning "$tmp/out" 'looks for "mydata-backup@default" and will not find the snapshots of "mydata-backup-default@default"'

# review: the server's answer on stdout; HTTP-400 cases exit 2 with the reason on stderr.
"$bin" review <"$src/examples/review-replicationsource.json" >"$tmp/out"; expect review-ok 0 $?
contains review-ok "$tmp/out" '"uid":"705ab4f5-6393-11e8-b7cc-42010a800002"'
echo '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}' | "$bin" review >"$tmp/out" 2>"$tmp/err"
expect review-no-request 2 $?
contains review-no-request "$tmp/err" "request is required"
one_line review-no-request "$tmp/err"
echo 'garbage' | "$bin" review --mutate >/dev/null 2>"$tmp/err"; expect review-garbage 2 $?
"$bin" review --bogus </dev/null 2>"$tmp/err"; expect review-unknown-flag 2 $?

# gen-certs: writes the files, refuses to overwrite, validates names.
"$bin" gen-certs --service svc --namespace ns --out "$tmp/certs" >/dev/null; expect gen-certs 0 $?
for f in ca.crt ca.key tls.crt tls.key caBundle; do
  [ -s "$tmp/certs/$f" ] && passes=$((passes + 1)) || { echo "FAIL: gen-certs wrote no $f"; fails=$((fails + 1)); }
done
"$bin" gen-certs --service svc --namespace ns --out "$tmp/certs" 2>"$tmp/err"; expect gen-certs-exists 1 $?
contains gen-certs-exists "$tmp/err" "--force"
"$bin" gen-certs --service Bad_Name --namespace ns --out "$tmp/c2" 2>"$tmp/err"; expect gen-certs-bad-name 1 $?
"$bin" gen-certs --service svc --out "$tmp/c3" 2>"$tmp/err"; expect gen-certs-missing 2 $?
"$bin" gen-certs --service svc --namespace ns --out "$tmp/c4" --days 0 2>"$tmp/err"; expect gen-certs-days 2 $?

echo "cli: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
