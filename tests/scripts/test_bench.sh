#!/usr/bin/env bash
# The benchmark's moving parts, without benchmarking: the generated bodies
# (valid, the sizes the specification names, allowed by the webhook), the
# nginx configuration (accepted by nginx), and bench/run.sh end to end for
# one second per run — its checks, its table and its clean-up — against the
# real binary and against one without a serve command. Skipped (77) when
# python3, wrk or nginx is missing.
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
between() { # name, value, min, max
  if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then ok; else fail "$1: $2 not in [$3, $4]"; fi
}

# --- bodies
mkdir "$tmp/bodies"
python3 "$src/bench/gen_bodies.py" "$tmp/bodies" >"$tmp/out"; expect gen-bodies 0 $?
between small-size "$(stat -c %s "$tmp/bodies/small.json")" 1300 1800
between large-size "$(stat -c %s "$tmp/bodies/large.json")" 780000 840000
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
EOF
for c in small large; do
  "$bin" review <"$tmp/bodies/$c.json" >"$tmp/reply"; expect "review-$c" 0 $?
  contains "review-$c-allowed" "$tmp/reply" '"allowed":true'
done

# --- nginx configuration
mkdir -p "$tmp/ngx/tmp"
"$bin" gen-certs --service bench --namespace bench --host 127.0.0.1 --out "$tmp/certs" >/dev/null
sed -e "s|@PREFIX@|$tmp/ngx|g" -e "s|@PORT@|1|g" -e "s|@CERT@|$tmp/certs/tls.crt|g" \
  -e "s|@KEY@|$tmp/certs/tls.key|g" -e "s|@RESPONSE@|$(cat "$tmp/bodies/response.json")|g" \
  "$src/bench/nginx.conf.in" >"$tmp/ngx/nginx.conf"
nginx -q -t -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf" -e "$tmp/ngx/error.log" 2>"$tmp/err"
expect nginx-config 0 $?

# --- run.sh end to end (one second per run)
leftovers() { # name: no temporary directory, no process of this run is left
  if [ -z "$(ls -A "$tmp/t")" ]; then ok; else fail "$1: left $(ls "$tmp/t")"; fi
  if ! pgrep -f "$tmp/t" >/dev/null; then ok; else fail "$1: processes left: $(pgrep -af "$tmp/t")"; fi
}
mkdir "$tmp/t"
export TMPDIR=$tmp/t BENCH_SECONDS=1 BENCH_WARMUP=0

# A binary without serve: the baseline is measured, then a clear failure.
cat >"$tmp/no-serve" <<EOF
#!/bin/sh
[ "\$1" = serve ] && { echo "kopia-webhook: unknown command 'serve'" >&2; exit 2; }
exec "$bin" "\$@"
EOF
chmod +x "$tmp/no-serve"
BENCH_CASES=small "$src/bench/run.sh" "$tmp/no-serve" >"$tmp/out" 2>"$tmp/err"
expect no-serve 1 $?
contains no-serve-baseline "$tmp/out" "| small | nginx"
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

if "$bin" serve --help 2>&1 | grep -q -- --tls-cert; then
  "$src/bench/run.sh" "$bin" >"$tmp/out" 2>"$tmp/err"; expect run 0 $?
  contains run-small "$tmp/out" "| small | kopia-webhook"
  contains run-large "$tmp/out" "| large | kopia-webhook"
  contains run-ratio-small "$tmp/out" "ratio small kopia-webhook / nginx CPU per request"
  contains run-ratio-large "$tmp/out" "ratio large kopia-webhook / nginx CPU per request"
  leftovers run
  "$src/bench/run.sh" "$bin" --memory 1000 >"$tmp/out" 2>"$tmp/err"; expect memory 0 $?
  contains memory-verdict "$tmp/out" "resident after"
  leftovers memory
else
  echo "note: $bin has no serve command; the runs against it are not tested"
fi

echo "test_bench: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
