#!/usr/bin/env bash
# .pre-commit-hooks.yaml as pre-commit runs it: the hook's entry, with the
# files its `files` pattern selects appended, on the binary under test. A
# denied object fails the hook (exit 1), allowed ones pass, files the pattern
# leaves out are never passed.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The hook's fields, read with a real YAML parser.
python3 - "$src/.pre-commit-hooks.yaml" >"$tmp/hook" <<'PY' || { echo "FAIL: .pre-commit-hooks.yaml"; exit 1; }
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
assert isinstance(hooks, list) and len(hooks) == 1, "one hook"
h = hooks[0]
for key in ("id", "name", "entry", "language", "files"):
    assert h.get(key), f"hook has no {key}"
assert h["language"] == "system", h["language"]
print(h["entry"])
print(h["files"])
PY
entry=$(sed -n 1p "$tmp/hook")
pattern=$(sed -n 2p "$tmp/hook")
[ "${entry%% *}" = kopia-webhook ] && ok || fail "entry '$entry' does not run kopia-webhook"

mkdir -p "$tmp/repo/apps" "$tmp/bin"
ln -s "$bin" "$tmp/bin/kopia-webhook"
cp "$src/examples/mydata-backup.yaml" "$tmp/repo/apps/backup.yaml"
cat >"$tmp/repo/apps/restore.yml" <<'YAML'
apiVersion: volsync.backube/v1alpha1
kind: ReplicationDestination
metadata: {name: restore, namespace: apps}
spec:
  trigger: {manual: restore-once}
  kopia:
    repository: kopia-config
    destinationPVC: data
    copyMethod: Direct
    additionalArgs: ["--password=hunter2"]
YAML
echo "not yaml at all: [" >"$tmp/repo/README.md"

# pre-commit passes the staged files that match `files` (a Python regex).
run_hook() { # files...
  local selected=()
  for f in "$@"; do
    python3 -c 'import re,sys; sys.exit(0 if re.search(sys.argv[1], sys.argv[2]) else 1)' "$pattern" "$f" && selected+=("$f")
  done
  (cd "$tmp/repo" && PATH="$tmp/bin:$PATH" $entry "${selected[@]}") >"$tmp/out" 2>&1
}

run_hook apps/backup.yaml README.md; rc=$?
[ $rc = 0 ] && ok || { fail "allowed manifest: exit $rc"; cat "$tmp/out"; }
run_hook apps/backup.yaml apps/restore.yml README.md; rc=$?
[ $rc = 1 ] && ok || { fail "denied manifest: exit $rc, want 1"; cat "$tmp/out"; }
grep -q 'additionalArgs' "$tmp/out" && ok || { fail "the denial does not name the field"; cat "$tmp/out"; }
grep -q 'README' "$tmp/out" && fail "README.md was passed to the hook" || ok

echo "test_pre_commit_hook: $passes passed, $fails failed"
[ $fails = 0 ]
