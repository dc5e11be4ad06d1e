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
# An input is read up to 64 MiB, standard input included; more is refused.
head -c $((64 * 1024 * 1024 + 1)) /dev/zero | "$bin" check - >/dev/null 2>"$tmp/err"; expect check-input-too-large 2 $?
contains check-input-too-large "$tmp/err" "larger than 67108864 bytes"
"$bin" check "$tmp/nope.yaml" 2>"$tmp/err"; expect check-missing-file 2 $?
contains check-missing-file "$tmp/err" "nope.yaml: No such file or directory"
one_line check-missing-file "$tmp/err"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n' >"$tmp/bad.yaml"
"$bin" check "$tmp/bad.yaml" 2>"$tmp/err"; expect check-bad-yaml 2 $?
contains check-bad-yaml "$tmp/err" "bad.yaml:5:7: document 1: mapping values are not allowed"
printf 'spec:\n  kopia: {}\n' >"$tmp/nokind.yaml"
"$bin" check "$tmp/nokind.yaml" 2>"$tmp/err"; expect check-no-kind 2 $?
contains check-no-kind "$tmp/err" "apiVersion and kind are required"
"$bin" check --output yaml "$tmp/nokind.yaml" 2>"$tmp/err"; expect check-bad-output 2 $?

# check on upstream manifests: other kinds are skipped, allowed objects exit 0;
# --namespace gives objects without one a namespace.
"$bin" check --namespace default "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>&1
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
contains check-denied "$tmp/out" "nomover.yaml:1: ReplicationSource apps/broken: denied"
contains check-denied "$tmp/out" "error: spec: Required value: a replication method must be specified [mover-required]"
contains check-denied "$tmp/out" "0 objects allowed, 1 object denied, 1 other object skipped"
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

# check --output patched (YAML): the identity the operator computes is pinned
# (object-name), a value the CRD refuses is only annotated and warned, and
# identityScheme: name-namespace in a config file pins that scheme instead.
"$bin" check -n default --output patched "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>"$tmp/err"
expect check-patched 0 $?
contains check-patched "$tmp/out" 'kopia-webhook.io/identity: mydata-backup@default'
contains check-patched "$tmp/out" '    username: mydata-backup'
contains check-patched "$tmp/out" '    hostname: default'
# Without a namespace (in the manifest or --namespace), nothing that depends
# on it is pinned, and the warning says the namespace decides the identity.
"$bin" check --output patched "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>"$tmp/err"
expect check-patched-no-namespace 0 $?
if grep -qE 'username|hostname|kopia-webhook.io/identity' "$tmp/out"; then echo "FAIL: check-patched-no-namespace: an identity was pinned"; cat "$tmp/out"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
contains check-no-namespace-warning "$tmp/err" 'ReplicationSource mydata-backup: allowed'
contains check-no-namespace-warning "$tmp/err" '[namespace-decides-identity]'
"$bin" check -n apps "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>&1
contains check-namespace-flag "$tmp/out" 'ReplicationSource apps/mydata-backup: allowed'
if grep -qF 'namespace-decides-identity' "$tmp/out"; then echo "FAIL: check-namespace-flag: warned with --namespace"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
cat >"$tmp/long.yaml" <<'YAML'
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata: {name: ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd, namespace: ns}
spec:
  sourcePVC: data
  kopia: {repository: kopia-config, copyMethod: Direct}
YAML
"$bin" check --output patched "$tmp/long.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-patched-unpinnable 0 $?
contains check-patched-unpinnable "$tmp/out" 'kopia-webhook.io/identity: ccccccccccccccccccccccccccccccccccccccccccccccccc-@ns'
if grep -q 'username' "$tmp/out"; then echo "FAIL: check-patched-unpinnable: a username was pinned"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
"$bin" check "$tmp/long.yaml" >"$tmp/out" 2>&1; expect check-unpinnable-warning 0 $?
contains check-unpinnable-warning "$tmp/out" 'warning: spec.kopia.username: not pinned: the operator'"'"'s value "ccccccccccccccccccccccccccccccccccccccccccccccccc-" ends in "-"'
contains check-unpinnable-warning-rule "$tmp/out" ' [identity-unpinnable]'
contains check-unpinnable-warning-line "$tmp/out" 'long.yaml:1: ReplicationSource ns/ccccccccccccccccccccccccccccccccccccccccccccccccc-dddd: allowed'
contains check-unpinnable-summary "$tmp/out" '1 object allowed, 0 objects denied'

printf 'identityScheme: name-namespace\n' >"$tmp/nn.yaml"
"$bin" check --config "$tmp/nn.yaml" -n default --output patched "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>"$tmp/err"
expect check-patched-name-namespace 0 $?
contains check-patched-name-namespace "$tmp/out" 'username: mydata-backup-default'
"$bin" check --config "$tmp/nn.yaml" -n default "$fx/upstream/index-001-ReplicationSource.yaml" >"$tmp/out" 2>&1
contains check-name-namespace-warning "$tmp/out" 'looks for "mydata-backup@default" and will not find the snapshots of "mydata-backup-default@default"'

# check on directories: recursive, .yaml/.yml/.json only, sorted byte-wise
# by path, hidden entries skipped, symbolic links to directories not
# followed (no loop), links to files read; mixed with files and stdin.
rs() { # name -> an allowed ReplicationSource in namespace ns
  printf 'apiVersion: volsync.backube/v1alpha1\nkind: ReplicationSource\nmetadata: {name: %s, namespace: ns}\nspec:\n  sourcePVC: data\n  kopia: {repository: kopia-config, copyMethod: Direct}\n' "$1"
}
tree=$tmp/tree
mkdir -p "$tree/apps/b" "$tree/apps/a" "$tree/.git" "$tree/clusters" "$tmp/outside"
rs in-b >"$tree/apps/b/x.yaml"
rs in-a >"$tree/apps/a/x.yml"
rs in-apps >"$tree/apps/a.yaml"
printf '{"apiVersion":"volsync.backube/v1alpha1","kind":"ReplicationSource",\n "metadata":{"name":"in-json","namespace":"ns"},\n "spec":{"sourcePVC":"data","kopia":{"repository":"kopia-config","copyMethod":"Direct"}}}\n' >"$tree/clusters/z.json"
rs hidden >"$tree/.git/x.yaml"
rs hidden-file >"$tree/apps/.x.yaml"
rs not-yaml >"$tree/apps/notes.txt"
rs outside >"$tmp/outside/o.yaml"
ln -s "$tree" "$tree/clusters/loop"
ln -s "$tmp/outside" "$tree/clusters/outside"
ln -s "$tmp/outside/o.yaml" "$tree/clusters/linked.yaml"
"$bin" check "$tree" >"$tmp/out" 2>"$tmp/err"; expect check-dir 0 $?
got=$(grep -oE 'ns/[a-z-]+: allowed' "$tmp/out" | sed 's/: allowed//' | tr '\n' ' ')
# Byte-wise: "apps/a.yaml" < "apps/a/x.yml" ('.' < '/') < "apps/b/x.yaml" < "clusters/...".
want="ns/in-apps ns/in-a ns/in-b ns/outside ns/in-json "
if [ "$got" = "$want" ]; then passes=$((passes + 1)); else echo "FAIL: check-dir: objects '$got', want '$want'"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1)); fi
contains check-dir-file-name "$tmp/out" "$tree/clusters/linked.yaml"
"$bin" check "$tree/" >"$tmp/out" 2>&1; expect check-dir-slash 0 $?
if grep -q '//' "$tmp/out"; then echo "FAIL: check-dir-slash: doubled slash"; cat "$tmp/out"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
mkdir "$tmp/empty" "$tmp/txt-only"
echo hi >"$tmp/txt-only/readme.txt"
"$bin" check "$tmp/empty" >"$tmp/out" 2>"$tmp/err"; expect check-empty-dir 2 $?
contains check-empty-dir "$tmp/err" "empty: no .yaml, .yml or .json files in this directory"
"$bin" check "$tmp/txt-only" "$tree/apps/b" >"$tmp/out" 2>"$tmp/err"; expect check-no-manifests-dir 2 $?
contains check-no-manifests-dir "$tmp/err" "txt-only: no .yaml, .yml or .json files"
contains check-no-manifests-dir-others-checked "$tmp/out" "ns/in-b: allowed"
rs from-stdin | "$bin" check "$tree/apps/b" - "$tree/apps/a.yaml" >"$tmp/out" 2>&1; expect check-mixed-inputs 0 $?
got=$(grep -oE 'ns/[a-z-]+: allowed' "$tmp/out" | sed 's/: allowed//' | tr '\n' ' ')
want="ns/in-b ns/from-stdin ns/in-apps "
if [ "$got" = "$want" ]; then passes=$((passes + 1)); else echo "FAIL: check-mixed-inputs: objects '$got', want '$want'"; cat "$tmp/out"; fails=$((fails + 1)); fi
contains check-stdin-name "$tmp/out" "<stdin>"

# One bad document hides no other: each document is parsed on its own, the
# bad one reported with its index, line and column (exit 2), the others'
# verdicts printed and counted. First, middle and last.
bad='metadata:\n  name: x\n   bad: indent\n'
{ printf "$bad"; echo ---; rs two; echo ---; rs three; } >"$tmp/bad-first.yaml"
{ rs one; echo ---; printf "$bad"; echo ---; rs three; } >"$tmp/bad-middle.yaml"
{ rs one; echo ---; rs two; printf -- '--- # last\n'; printf "$bad"; } >"$tmp/bad-last.yaml"
"$bin" check "$tmp/bad-first.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-bad-first 2 $?
contains check-bad-first "$tmp/err" "bad-first.yaml:3:7: document 1: mapping values are not allowed in this context"
contains check-bad-first "$tmp/out" "ns/two: allowed"
contains check-bad-first "$tmp/out" "ns/three: allowed"
contains check-bad-first-count "$tmp/out" "2 objects allowed, 0 objects denied, 1 input error"
"$bin" check "$tmp/bad-middle.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-bad-middle 2 $?
contains check-bad-middle "$tmp/err" "bad-middle.yaml:10:7: document 2: mapping values are not allowed in this context"
contains check-bad-middle "$tmp/out" "ns/one: allowed"
contains check-bad-middle "$tmp/out" "ns/three: allowed"
"$bin" check "$tmp/bad-last.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-bad-last 2 $?
contains check-bad-last "$tmp/err" "bad-last.yaml:17:7: document 3: mapping values are not allowed in this context"
contains check-bad-last "$tmp/out" "ns/one: allowed"
contains check-bad-last "$tmp/out" "ns/two: allowed"
# Denials still count when another document is unreadable: 2 wins over 1.
{ cat "$tmp/nomover.yaml"; echo ---; printf "$bad"; } >"$tmp/bad-and-denied.yaml"
"$bin" check "$tmp/bad-and-denied.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-bad-and-denied 2 $?
contains check-bad-and-denied "$tmp/out" "apps/broken: denied"
# A document without apiVersion and kind: its index and line.
{ rs one; echo ---; echo '# no kind'; printf 'spec: {}\n'; } >"$tmp/nokind2.yaml"
"$bin" check "$tmp/nokind2.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-no-kind-doc 2 $?
contains check-no-kind-doc "$tmp/err" "nokind2.yaml:9: document 2: apiVersion and kind are required"
# A JSON file is one document, not split; its errors have the file's lines.
printf '{"apiVersion": "v1", "kind": "List", "items": [\n' >"$tmp/list.json"
printf '{"apiVersion":"volsync.backube/v1alpha1","kind":"ReplicationSource","metadata":{"name":"j1","namespace":"ns"},"spec":{"sourcePVC":"data","kopia":{"repository":"r","copyMethod":"Direct"}}},\n' >>"$tmp/list.json"
printf '{"apiVersion":"volsync.backube/v1alpha1","kind":"ReplicationSource","metadata":{"name":"j2","namespace":"ns"},"spec":{"sourcePVC":"data","kopia":{"repository":"r","copyMethod":"Direct"}}}\n]}\n' >>"$tmp/list.json"
"$bin" check "$tmp/list.json" >"$tmp/out" 2>"$tmp/err"; expect check-json-list 0 $?
contains check-json-list "$tmp/out" "ns/j1: allowed"
contains check-json-list "$tmp/out" "ns/j2: allowed"
printf '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "data": {"a": 1,, }}\n' >"$tmp/bad.json"
"$bin" check "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"; expect check-bad-json 2 $?
contains check-bad-json "$tmp/err" "bad.json:3:"
contains check-bad-json "$tmp/err" ": document 1: "

# Text output: each object's file:line (where its document starts, or its
# item in a List), each error's and warning's rule id, and the summary with
# plurals.
cat >"$tmp/listed.yaml" <<'YAML'
# a comment
---
apiVersion: v1
kind: List
items:
  - apiVersion: volsync.backube/v1alpha1
    kind: ReplicationSource
    metadata: {name: first, namespace: ns}
    spec: {sourcePVC: data, kopia: {repository: kopia-config, copyMethod: Direct}}
  - apiVersion: volsync.backube/v1alpha1
    kind: ReplicationSource
    metadata: {name: second, namespace: ns}
    spec:
      sourcePVC: data
      kopia: {repository: kopia-config, copyMethod: Direct, compression: zzz}
  - apiVersion: volsync.backube/v1alpha1
    kind: ReplicationSource
    metadata: {name: third, namespace: ns}
    spec: {sourcePVC: data}
YAML
"$bin" check "$tmp/listed.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-list-lines 1 $?
contains check-list-lines "$tmp/out" "listed.yaml:6: ReplicationSource ns/first: allowed"
contains check-list-lines "$tmp/out" "listed.yaml:10: ReplicationSource ns/second: allowed"
contains check-list-lines "$tmp/out" "listed.yaml:16: ReplicationSource ns/third: denied"
contains check-warning-rule "$tmp/out" 'warning: spec.kopia.compression: "zzz" is not a known Kopia algorithm'
contains check-warning-rule "$tmp/out" "[compression-unknown]"
contains check-error-rule "$tmp/out" "error: spec: Required value: a replication method must be specified [mover-required]"
contains check-plurals "$tmp/out" "2 objects allowed, 1 object denied"
if grep -q "skipped\|input error" "$tmp/out"; then echo "FAIL: check-plurals: zero counts shown"; cat "$tmp/out"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
# Every line of an object's verdict names one rule: errors and warnings end in [id].
if grep -E '^  (error|warning): ' "$tmp/out" | grep -vqE ' \[[a-z0-9-]+\]$'; then echo "FAIL: check-rule-ids: a line without a rule id:"; cat "$tmp/out"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
"$bin" check "$tmp/bad-middle.yaml" "$tmp/nope.yaml" "$tmp/nomover.yaml" >"$tmp/out" 2>"$tmp/err"; expect check-input-error-plural 2 $?
contains check-input-error-plural "$tmp/out" "2 objects allowed, 1 object denied, 1 other object skipped, 2 input errors"

# --output json carries the input errors, with their position, and the counts.
if command -v python3 >/dev/null; then
  "$bin" check --output json "$tmp/bad-middle.yaml" "$tmp/nope.yaml" "$tmp/empty" "$tmp/listed.yaml" >"$tmp/out" 2>"$tmp/err"
  expect check-json-errors 2 $?
  python3 - "$tmp/out" <<'PY' && passes=$((passes + 1)) || { echo "FAIL: check-json-errors"; cat "$tmp/out"; fails=$((fails + 1)); }
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc) == ["objects", "errors", "allowed", "denied", "skipped", "inputErrors"], list(doc)
assert (doc["allowed"], doc["denied"], doc["skipped"], doc["inputErrors"]) == (4, 1, 0, 3), doc
errs = doc["errors"]
assert len(errs) == 3, errs
e = errs[0]  # in the order of the inputs
assert e["file"].endswith("bad-middle.yaml") and (e["document"], e["line"], e["column"]) == (2, 10, 7), e
assert e["message"] == "mapping values are not allowed in this context", e
e = errs[1]
assert e["file"].endswith("nope.yaml") and e["message"] == "No such file or directory", e
assert e["document"] is None and e["line"] is None and e["column"] is None, e
e = errs[2]
assert e["file"].endswith("/empty") and e["document"] is None and e["line"] is None, e
assert e["message"] == "no .yaml, .yml or .json files in this directory", e
objs = {o["name"]: o for o in doc["objects"]}
assert (objs["one"]["document"], objs["one"]["line"]) == (1, 1), objs["one"]
assert (objs["three"]["document"], objs["three"]["line"]) == (3, 12), objs["three"]
assert (objs["second"]["document"], objs["second"]["line"]) == (1, 10), objs["second"]
assert [w["rule"] for w in objs["second"]["warnings"]].count("compression-unknown") == 1
assert objs["third"]["errors"][0]["rule"] == "mover-required"
PY
fi

# review: the server's answer on stdout; HTTP-400 cases exit 2 with the reason on stderr.
"$bin" review <"$src/examples/review-replicationsource.json" >"$tmp/out"; expect review-ok 0 $?
contains review-ok "$tmp/out" '"uid":"705ab4f5-6393-11e8-b7cc-42010a800002"'
# The example carries managedFields, as the API server sends them; nothing
# reads them, so the answers are those for the object without them.
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["request"]["object"]["metadata"]["managedFields"]; print(json.dumps(r))' \
    "$src/examples/review-replicationsource.json" >"$tmp/bare.json"
  for flag in "" --mutate; do
    "$bin" review $flag <"$src/examples/review-replicationsource.json" >"$tmp/with"
    "$bin" review $flag <"$tmp/bare.json" >"$tmp/without"
    cmp -s "$tmp/with" "$tmp/without" && passes=$((passes + 1)) ||
      { echo "FAIL: review$flag answers differently with managedFields"; fails=$((fails + 1)); }
  done
  grep -q '"patch":' "$tmp/with" && passes=$((passes + 1)) || { echo "FAIL: review --mutate gave no patch"; fails=$((fails + 1)); }
fi
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
