#!/usr/bin/env bash
# A short run of the soak (bench/soak.sh, `make soak`): every client class
# runs for 5 s against the built server; the run must end by itself, the
# server must survive, every valid review must be answered correctly, and the
# CSV of memory samples must be written. The memory bar (128 MiB) is the
# full soak's verdict, not this smoke run's: the limit is raised here.
set -euo pipefail
: "${KW_SOURCE_DIR:?}" "${KW_BINARY:?}"
command -v python3 >/dev/null || { echo "python3 missing" >&2; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
SOAK_SECONDS=5 SOAK_SETTLE=1 SOAK_PLOT=0 SOAK_IDLE=50 SOAK_SLOWLORIS=5 SOAK_LIMIT_MIB=4096 \
    timeout 60 bash "$KW_SOURCE_DIR/bench/soak.sh" "$KW_BINARY" "$out" | tee "$out/summary.txt"
took=$(($(date +%s) - start))
grep -q '^soak: PASS' "$out/summary.txt"
for cls in valid-allowed valid-denied valid-mutate invalid large huge probe slowloris slowloris-keepalive; do
    grep -q "^  $cls " "$out/summary.txt" || { echo "no $cls requests" >&2; exit 1; }
done
[ "$(wc -l <"$out/soak.csv")" -gt 10 ] || { echo "too few samples" >&2; exit 1; }
echo "soak smoke run: ${took}s"
[ "$took" -lt 40 ] || { echo "the 5 s soak took ${took}s" >&2; exit 1; }
