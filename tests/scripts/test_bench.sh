#!/usr/bin/env bash
# The benchmark's moving parts, without benchmarking: the generated bodies
# (valid, the sizes the specification names, allowed by the webhook, the
# mutate baseline's reply equal to the webhook's), the nginx configuration
# (accepted by nginx), and bench/run.sh end to end for one second per run —
# its checks, its table with the bare libmicrohttpd baseline, its ratios and
# its clean-up — against the real binary and against one without a serve
# command. Skipped (77) when python3, wrk or nginx is missing.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
for tool in python3 wrk nginx curl taskset; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

ok() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # name, wanted status, actual status
  if [ "$2" -eq "$3" ]; then ok; else fail "$1: exit $3, want $2"; fi
}
contains() { # name, file, text
  if grep -qF -- "$3" "$2"; then ok; else fail "$1: no '$3' in:"; cat "$2"; fi
}
matches() { # name, file, extended regular expression
  if grep -qE -- "$3" "$2"; then ok; else fail "$1: no line matching '$3' in:"; cat "$2"; fi
}
between() { # name, value, min, max
  if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then ok; else fail "$1: $2 not in [$3, $4]"; fi
}

# --- bodies
mkdir "$tmp/bodies"
python3 "$src/bench/gen_bodies.py" "$tmp/bodies" >"$tmp/out"; expect gen-bodies 0 $?
between small-size "$(stat -c %s "$tmp/bodies/small.json")" 1300 1800
between large-size "$(stat -c %s "$tmp/bodies/large.json")" 780000 840000
between mutate-size "$(stat -c %s "$tmp/bodies/mutate.json")" 1000 1800
python3 - "$tmp/bodies" <<'EOF'; expect large-repository-config 0 $?
import json, sys
d = sys.argv[1]
review = json.load(open(d + "/large.json"))
rc = review["request"]["object"]["spec"]["kopia"]["policyConfig"]["repositoryConfig"]
assert len(rc.encode()) == 780000, len(rc.encode())
config = json.loads(rc)
assert isinstance(config, dict) and len(config["x-padding"]) > 1000
for needle in ['"', "\\", "\n", "\t", "\u00e9", "\u65e5", "\U0001f4be"]:  # decoded
    assert any(needle in v for v in config["x-padding"].values()), needle
for needle in ['\\"', "\\\\", "\\n", "\\/", "\\u00e9", "\\ud83d\\udcbe", "\u00e9", "\U0001f4be"]:
    assert needle in rc, needle  # as written in the JSON text
small = json.load(open(d + "/small.json"))
assert small["request"]["operation"] == "CREATE"
assert "policyConfig" not in small["request"]["object"]["spec"]["kopia"]
assert json.load(open(d + "/response.json"))["response"]["uid"] == small["request"]["uid"]
mutate = json.load(open(d + "/mutate.json"))
assert mutate["request"]["kind"]["kind"] == "ReplicationDestination"
assert mutate["request"]["resource"]["resource"] == "replicationdestinations"
EOF
for c in small large; do
  "$bin" review <"$tmp/bodies/$c.json" >"$tmp/reply"; expect "review-$c" 0 $?
  contains "review-$c-allowed" "$tmp/reply" '"allowed":true'
done
# The baselines answer /mutate with what the webhook answers.
"$bin" review --mutate <"$tmp/bodies/mutate.json" >"$tmp/reply"; expect review-mutate 0 $?
python3 - "$tmp/reply" "$tmp/bodies/response-mutate.json" <<'EOF'; expect mutate-reply-as-webhook 0 $?
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
assert got["response"] == want["response"], (got, want)
EOF

# --- nginx configuration
mkdir -p "$tmp/ngx/tmp"
"$bin" gen-certs --service bench --namespace bench --host 127.0.0.1 --out "$tmp/certs" >/dev/null
sed -e "s|@PREFIX@|$tmp/ngx|g" -e "s|@PORT@|1|g" -e "s|@CERT@|$tmp/certs/tls.crt|g" \
  -e "s|@KEY@|$tmp/certs/tls.key|g" -e "s|@RESPONSE@|$(cat "$tmp/bodies/response.json")|g" \
  -e "s|@RESPONSE_MUTATE@|mutated|g" -e "s|@WORKERS@|1|g" \
  "$src/bench/nginx.conf.in" >"$tmp/ngx/nginx.conf"
nginx -q -t -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf" -e "$tmp/ngx/error.log" 2>"$tmp/err"
expect nginx-config 0 $?

# --- run.sh end to end (one second per run)
leftovers() { # name: no temporary directory, no process of this run is left
  if [ -z "$(ls -A "$tmp/t")" ]; then ok; else fail "$1: left $(ls "$tmp/t")"; fi
  if ! pgrep -f "$tmp/t" >/dev/null; then ok; else fail "$1: processes left: $(pgrep -af "$tmp/t")"; fi
}
mkdir "$tmp/t"
export TMPDIR=$tmp/t BENCH_SECONDS=1 BENCH_WARMUP=0 BENCH_CONNECTIONS=2
# The bare baseline, built next to the binary (CMake option KW_BENCH).
export BENCH_BARE=$(dirname "$bin")/kw-bench-bare
[ -x "$BENCH_BARE" ] || { fail "no $BENCH_BARE (configure with -DKW_BENCH=ON)"; export BENCH_BARE=none; }

# A binary without serve: the baseline is measured, then a clear failure.
cat >"$tmp/no-serve" <<EOF
#!/bin/sh
[ "\$1" = serve ] && { echo "kopia-webhook: unknown command 'serve'" >&2; exit 2; }
exec "$bin" "\$@"
EOF
chmod +x "$tmp/no-serve"
BENCH_CASES=small "$src/bench/run.sh" "$tmp/no-serve" >"$tmp/out" 2>"$tmp/err"
expect no-serve 1 $?
matches no-serve-baseline "$tmp/out" '^\| small +\| +2 \| +1 \| nginx '
matches no-serve-bare "$tmp/out" '^\| small +\| +2 \| +1 \| bare-mhd ' 
contains no-serve-verified "$tmp/out" "body read into memory (verified)"
contains no-serve-message "$tmp/err" "serve' does not exist yet (the nginx figures above are the baseline only)"
leftovers no-serve

"$src/bench/run.sh" "$tmp/no-serve" --memory >"$tmp/out" 2>"$tmp/err"
expect memory-no-serve 1 $?
contains memory-no-serve-message "$tmp/err" "serve' does not exist yet: nothing to measure"

"$src/bench/run.sh" "$bin" --memory 0 2>"$tmp/err"; expect memory-zero 1 $?
contains memory-zero-message "$tmp/err" '--memory: Invalid value: "0"'
BENCH_NGINX_BODY=keep "$src/bench/run.sh" "$bin" 2>"$tmp/err"; expect bad-knob 1 $?
contains bad-knob-message "$tmp/err" 'BENCH_NGINX_BODY: Unsupported value: "keep"'
BENCH_THREADS="1 none" "$src/bench/run.sh" "$bin" 2>"$tmp/err"; expect bad-threads 1 $?
contains bad-threads-message "$tmp/err" 'BENCH_THREADS: Invalid value: "none"'
"$src/bench/run.sh" "$bin" --profile huge 2>"$tmp/err"; expect bad-profile 1 $?
contains bad-profile-message "$tmp/err" '--profile: Unsupported value: "huge"'

if "$bin" serve --help 2>&1 | grep -q -- --tls-cert; then
  "$src/bench/run.sh" "$bin" >"$tmp/out" 2>"$tmp/err"; expect run 0 $?
  for c in small mutate large; do
    for s in nginx bare-mhd kopia-webhook; do
      matches "run-$c-$s" "$tmp/out" "^\\| $c +\\| +2 \\| +1 \\| $s +\\| +[0-9]+ \\|"
    done
    matches "run-ratio-$c" "$tmp/out" \
      "^ratio $c +2 conns, threads 1 +kopia-webhook / nginx CPU per request: [0-9.]+× \\(target ≤ 1\\.[56]×\\): (met|MISSED); / bare-mhd: [0-9.]+×$"
  done
  leftovers run
  # Lists of connection counts and the default thread count.
  BENCH_CASES=mutate BENCH_CONNECTIONS="1 3" BENCH_THREADS=default BENCH_BARE=none \
    "$src/bench/run.sh" "$bin" >"$tmp/out" 2>"$tmp/err"; expect run-lists 0 $?
  for n in 1 3; do
    matches "run-lists-$n" "$tmp/out" "^\\| mutate +\\| +$n \\| default \\| kopia-webhook "
  done
  contains run-lists-no-bare "$tmp/out" "(target ≤ 1.5×)"
  if grep -q bare-mhd "$tmp/out"; then fail "run-lists: BENCH_BARE=none still measured the bare server"; else ok; fi
  leftovers run-lists
  "$src/bench/run.sh" "$bin" --memory 1000 >"$tmp/out" 2>"$tmp/err"; expect memory 0 $?
  contains memory-verdict "$tmp/out" "resident after"
  leftovers memory
else
  echo "note: $bin has no serve command; the runs against it are not tested"
fi

echo "test_bench: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
