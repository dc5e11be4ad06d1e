#!/usr/bin/env bash
# check's cross-object checks on small sets of manifests
# (tests/fixtures/crossref/): a consistent set says nothing, a broken one
# gets every crossref-* warning naming both objects (warnings only: exit 0),
# a Secret made by a SealedSecret is not missing, the JSON report carries the
# warnings on the right objects, and no Secret value ever reaches the output.
set -uo pipefail
bin=${KW_BINARY:?}
fx=${KW_SOURCE_DIR:?}/tests/fixtures/crossref
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

expect() { # name, wanted status, actual status
  if [ "$2" -eq "$3" ]; then passes=$((passes + 1)); else echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); fi
}
contains() { # name, file, text
  if grep -qF -- "$3" "$2"; then passes=$((passes + 1)); else echo "FAIL: $1: no '$3' in:"; cat "$2"; fails=$((fails + 1)); fi
}
lacks() { # name, file, extended regex
  if grep -qE -- "$3" "$2"; then echo "FAIL: $1: '$3' in:"; cat "$2"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
}

"$bin" check "$fx/consistent" >"$tmp/out" 2>&1; expect consistent 0 $?
lacks consistent "$tmp/out" 'crossref-|warning:'
# The Secrets and ConfigMaps without the policy label never reach the
# webhook: skipped, yet still looked up.
contains consistent "$tmp/out" "2 objects allowed, 0 objects denied, 3 other objects skipped"

"$bin" check "$fx/sealed" >"$tmp/out" 2>&1; expect sealed 0 $?
lacks sealed "$tmp/out" 'crossref-'

# The same objects one file at a time: nothing else is in the set, so
# nothing is said about what is missing.
for f in "$fx"/broken/*.yaml; do
  "$bin" check "$f" >"$tmp/out" 2>&1
  lacks "broken-alone-$(basename "$f")" "$tmp/out" 'crossref-(source-missing|reference-elsewhere|identity-mismatch)'
done

"$bin" check "$fx/broken" >"$tmp/out" 2>&1; expect broken 0 $?
contains broken "$tmp/out" "broken/backup.yaml:3: ReplicationSource apps/db-backup: allowed"
contains broken "$tmp/out" "warning: spec.kopia.repository: Secret apps/kopia-config in the manifests has no KOPIA_PASSWORD; the operator requires both keys and stops every sync without them [crossref-repository-secret]"
contains broken "$tmp/out" "warning: spec.kopia.policyConfig.globalPolicyFilename: ConfigMap apps/kopia-policy in the manifests has no key \"global.json\"; the mover finds no such file and skips it [crossref-policy-files]"
contains broken "$tmp/out" "warning: spec.kopia.customCA.secretName: no Secret apps/corp-ca in the manifests, but ConfigMap apps/corp-ca is; the operator reads a Secret [crossref-reference-elsewhere]"
contains broken "$tmp/out" "warning: spec.kopia.sourceIdentity.sourceName: this restore looks for snapshots of \"db-backup@apps\", but ReplicationSource apps/db-backup in the manifests backs up as \"db@apps\"; the restore will find none of them [crossref-identity-mismatch]"
contains broken "$tmp/out" "(the repository of ReplicationSource apps/db-backup, found by discovery) has no KOPIA_PASSWORD"
contains broken "$tmp/out" "warning: spec.kopia.sourceIdentity.sourceName: no ReplicationSource apps/db-bakup in the manifests, which hold ReplicationSource apps/db-backup in that namespace; check the name, or the restore finds no snapshots [crossref-source-missing]"
contains broken "$tmp/out" "warning: spec.repository.customCA.key: ConfigMap apps/corp-ca in the manifests has no key \"bundle.pem\"; the maintenance pod cannot mount it and never starts [crossref-customca-key]"
contains broken "$tmp/out" "4 objects allowed, 0 objects denied, 3 other objects skipped"
# The verdicts keep the order of the inputs.
order=$(grep -oE '^[^ ]+: [A-Za-z]+ apps/[a-z-]+' "$tmp/out" | awk '{print $3}' | tr '\n' ' ')
[ "$order" = "apps/db-backup apps/db-restore apps/db-restore-typo apps/maintenance " ] &&
  passes=$((passes + 1)) || { echo "FAIL: broken-order: $order"; fails=$((fails + 1)); }

# JSON: the warnings sit on the object they are about, with their rule ids.
"$bin" check --output json "$fx/broken" >"$tmp/json" 2>&1; expect broken-json 0 $?
if command -v jq >/dev/null; then
  got=$(jq -r '.objects[] | select(.name == "db-restore") | .warnings[].rule' "$tmp/json" | sort | tr '\n' ' ')
  [ "$got" = "crossref-identity-mismatch crossref-repository-secret " ] && passes=$((passes + 1)) ||
    { echo "FAIL: broken-json: db-restore warnings: $got"; fails=$((fails + 1)); }
  got=$(jq -r '[.objects[] | select(.kind == "Secret" or .kind == "ConfigMap") | .warnings[]] | length' "$tmp/json")
  [ "$got" = 0 ] && passes=$((passes + 1)) || { echo "FAIL: broken-json: warnings on the referenced objects"; fails=$((fails + 1)); }
else
  contains broken-json "$tmp/json" '"rule": "crossref-identity-mismatch"'
fi

# --output patched: the warnings go with the verdicts on stderr.
"$bin" check --output patched "$fx/broken" >"$tmp/out" 2>"$tmp/err"; expect broken-patched 0 $?
contains broken-patched "$tmp/err" "[crossref-customca-key]"
lacks broken-patched "$tmp/out" 'crossref-'

# No Secret value reaches any output, whatever the checks read from it.
marker=UNIQUECROSSREFMARKER42
b64=$(printf '%s' "$marker" | base64 -w0)
cat >"$tmp/leak.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: kopia-config, namespace: apps}
data:
  KOPIA_REPOSITORY: $b64
stringData:
  $marker-key-name-is-fine-to-hide-too: $marker
---
apiVersion: v1
kind: Secret
metadata: {name: ca, namespace: apps}
stringData: {other.pem: "$marker"}
---
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata: {name: db, namespace: apps}
spec:
  sourcePVC: data
  kopia:
    repository: kopia-config
    copyMethod: Direct
    customCA: {secretName: ca, key: ca.crt}
    policyConfig: {secretName: kopia-config}
YAML
# (--output patched prints the objects themselves on stdout, to be applied:
# only its verdicts, on stderr, are looked at.)
for mode in text json junit sarif patched; do
  if [ $mode = patched ]; then
    "$bin" check --output $mode "$tmp/leak.yaml" >/dev/null 2>"$tmp/out"
  else
    "$bin" check --output $mode "$tmp/leak.yaml" >"$tmp/out" 2>&1
  fi
  contains "leak-$mode" "$tmp/out" "crossref-repository-secret"
  contains "leak-$mode" "$tmp/out" "crossref-customca-key"
  lacks "leak-$mode" "$tmp/out" "$marker|$b64"
done

echo "check-crossref: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
