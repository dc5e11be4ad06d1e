#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from the
# seed corpus in fuzz/corpus/<name>/ (copied, so the repository is not
# modified). Fails on the first finding; crash inputs land in fuzz/artifacts/.
# Usage: scripts/run-fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?build dir}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/fuzz/artifacts"
status=0
shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
[ ${#targets[@]} -gt 0 ] || { echo "run-fuzz: no fuzz targets in $build/fuzz" >&2; exit 1; }
for target in "${targets[@]}"; do
  [ -x "$target" ] || continue
  name=$(basename "$target"); name=${name#fuzz_}
  work=$(mktemp -d)
  [ -d "$root/fuzz/corpus/$name" ] && cp -r "$root/fuzz/corpus/$name/." "$work/"
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=1048576 -artifact_prefix="$root/fuzz/artifacts/$name-" \
        -print_final_stats=1 "$work" >"$work.log" 2>&1; then
    echo "fuzz: $name FOUND A PROBLEM:" >&2
    tail -n 60 "$work.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units" "$work.log" | sed "s/^/fuzz: $name /" >&2 || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
