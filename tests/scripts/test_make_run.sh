#!/usr/bin/env bash
# `make run` as the README promises it: the server command the Makefile runs
# (taken from `make -n run`, so the test follows the Makefile) serves the
# webhook over HTTPS, opens the plain-HTTP health listener with /healthz,
# /readyz and /metrics, and stops at once on Ctrl-C (SIGINT), with no drain
# period. Also: `make run` needs only the build packages, not the test ones.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
https=$(free_port) health=$(free_port)

# What `make run` would do, without doing it (-n): the variables point at
# this build and a scratch certificate directory.
make -s -n -C "$src" run BIN="$bin" CERTS="$tmp/certs" LISTEN="127.0.0.1:$https" \
  HEALTH_LISTEN="127.0.0.1:$health" >"$tmp/raw" 2>&1 || { fail "make -n run"; cat "$tmp/raw"; }
# Recipe lines continued with a backslash are one command.
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$tmp/raw" >"$tmp/plan"
grep -q 'install-deps.sh build$' "$tmp/plan" && ok || { fail "make run does not install only the build packages"; cat "$tmp/plan"; }
grep -q 'install-deps.sh.* test' "$tmp/plan" && fail "make run installs the test packages" || ok
grep -q -- '--target kopia-webhook' "$tmp/plan" && ok || fail "make run builds more than the server"
serve=$(grep -- ' serve ' "$tmp/plan" | tail -1)
[ -n "$serve" ] && ok || { fail "no serve command in make -n run"; cat "$tmp/plan"; exit 1; }
case "$serve" in *"--drain-seconds 0"*) ok ;; *) fail "no --drain-seconds 0: $serve" ;; esac

"$bin" gen-certs --service kopia-webhook --namespace kopia-webhook --host localhost \
  --host 127.0.0.1 --out "$tmp/certs" >/dev/null 2>&1 || fail "gen-certs"

eval "exec_line=($serve)"
"${exec_line[@]}" 2>"$tmp/log" &
pid=$!

up=0
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$health/readyz" >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
[ $up = 1 ] && ok || { fail "no /readyz on the health listener 127.0.0.1:$health"; cat "$tmp/log"; }
curl -fsS "http://127.0.0.1:$health/healthz" >/dev/null && ok || fail "/healthz"
# Into a file first: `grep -q` stops reading at its match, and curl, still
# writing, would fail the pipeline (pipefail).
curl -fsS -o "$tmp/metrics" "http://127.0.0.1:$health/metrics" &&
  grep -q '^kopia_webhook_build_info' "$tmp/metrics" && ok || fail "/metrics"
status=$(curl -sS -o "$tmp/reply" -w '%{http_code}' --cacert "$tmp/certs/ca.crt" \
  -H 'Content-Type: application/json' --data @"$src/examples/review-missing-repository.json" \
  "https://127.0.0.1:$https/validate")
[ "$status" = 200 ] && grep -q '"allowed":false' "$tmp/reply" && ok || fail "review over HTTPS: $status $(cat "$tmp/reply")"

start=$(date +%s%N)
kill -INT "$pid"
wait "$pid"; rc=$?
pid=
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc = 0 ] && ok || fail "exit status $rc after SIGINT"
# No drain: the server is gone within the time of one poll, not 10 s.
[ $ms -lt 2000 ] && ok || fail "SIGINT took $ms ms"

echo "test_make_run: $passes passed, $fails failed"
[ $fails = 0 ]
