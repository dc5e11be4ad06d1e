#!/usr/bin/env bash
# Every key of every log line is camelCase (as Kubernetes spells its fields:
# durationMs, deniedRules) and is documented in docs/operations.md, "Logs".
# The keys are the string literals given as the first argument of the field
# macros of include/kw/server/log.h (KW_LS, KW_LI, KW_LB, KW_LD, KW_LA) in
# server/; a key chosen by a condition (`cond ? "key" : NULL`) counts too.
set -uo pipefail
src=${KW_SOURCE_DIR:?}
cd "$src" || exit 1

keys=$(grep -ho 'KW_L[SIBDA]([^,]*' server/*.c | grep -o '"[^"]*"' | tr -d '"' | sort -u)
[ -n "$keys" ] || { echo "FAIL: no log keys found in server/"; exit 1; }
# The fixed keys of every line.
keys=$(printf '%s\n' $keys time level msg cut | sort -u)

# The "Logs" section of the operations guide, up to the next "## " heading.
logs=$(awk '/^## Logs$/ {on = 1; next} on && /^## / {exit} on' docs/operations.md)
[ -n "$logs" ] || { echo "FAIL: docs/operations.md has no '## Logs' section"; exit 1; }

bad=0
for k in $keys; do
  if ! [[ $k =~ ^[a-z][a-zA-Z0-9]*$ ]]; then
    echo "FAIL: log key '$k' is not camelCase"
    bad=$((bad + 1))
  fi
  if ! grep -q "\`$k\`" <<<"$logs"; then
    echo "FAIL: log key '$k' is not documented in docs/operations.md, Logs"
    bad=$((bad + 1))
  fi
done
# The check itself: a snake_case key is caught.
if [[ duration_ms =~ ^[a-z][a-zA-Z0-9]*$ ]]; then
  echo "FAIL: the camelCase pattern accepts duration_ms"
  bad=$((bad + 1))
fi
[ "$bad" -eq 0 ] || exit 1
echo "ok: $(wc -w <<<"$keys") log keys, all camelCase and documented"
