#!/usr/bin/env bash
# The performance and memory benchmark of SPEC section 12 (see bench/README.md).
#
#   bench/run.sh BINARY              CPU time per request of `BINARY serve` against
#                                    a static nginx HTTPS server, small and 800 KB
#                                    AdmissionReviews, with p99 latency and req/s
#   bench/run.sh BINARY --memory [N] resident memory of `BINARY serve` after 100k
#                                    small reviews and after N (default 100000)
#   bench/run.sh BINARY --profile [small|large]
#                                    where the server's time goes: callgrind over
#                                    a short run, top functions by instructions
#
# Everything runs on 127.0.0.1 with free ports and throwaway certificates in a
# temporary directory, which is removed on exit (also on Ctrl-C).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
WARMUP_SECONDS=${BENCH_WARMUP:-2}
ROUNDS=${BENCH_ROUNDS:-1}
CONNECTIONS=${BENCH_CONNECTIONS:-2}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
THREADS=${BENCH_THREADS:-1}
NGINX_BODY=${BENCH_NGINX_BODY:-read}
SERVER_ARGS=${BENCH_SERVER_ARGS:-}
SERVER_ENV=${BENCH_SERVER_ENV:-}
CASES=${BENCH_CASES:-small large}
START_TIMEOUT=${BENCH_START_TIMEOUT:-15}
KEEP=${BENCH_KEEP:-0}
FRESH=${BENCH_FRESH:-1}
STRICT=${BENCH_STRICT:-0}
MEMORY_CHECKPOINT=100000
SMALL_TARGET=2.0
LARGE_TARGET=3.0
RSS_LIMIT_KB=15625 # 16 MB = 16,000,000 bytes; /proc reports KiB
RSS_GROWTH_LIMIT_KB=256

usage() {
    cat >&2 <<'EOF'
usage: bench/run.sh BINARY              CPU per request against a static nginx
       bench/run.sh BINARY --memory [N] resident memory after 100k and N requests
       bench/run.sh BINARY --profile [small|large]  callgrind profile of the server

environment: BENCH_SECONDS (10) BENCH_WARMUP (2) BENCH_ROUNDS (1)
  BENCH_CONNECTIONS (2) BENCH_SERVER_CPU (0) BENCH_CLIENT_CPU (1)
  BENCH_THREADS (1) BENCH_NGINX_BODY (read|discard) BENCH_SERVER_ARGS ("")
  BENCH_SERVER_ENV ("": NAME=VALUE... for the server only)
  BENCH_CASES ("small large") BENCH_START_TIMEOUT (15) BENCH_KEEP (0)
  BENCH_FRESH (1: new server processes for every case; 0: one for the whole run)
  BENCH_STRICT (0: exit 0 when measured; 1: exit 1 when a target is missed)
EOF
    exit 2
}

die() {
    echo "bench: $*" >&2
    exit 1
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---------------------------------------------------------------- arguments

[ $# -ge 1 ] || usage
BIN=$1
shift
MODE=perf
MEMORY_TOTAL=$MEMORY_CHECKPOINT
PROFILE_CASE=small
if [ $# -gt 0 ]; then
    case "$1" in
    --memory)
        MODE=memory
        shift
        if [ $# -gt 0 ]; then
            if ! is_uint "$1" || [ "$1" -eq 0 ]; then
                die "--memory: Invalid value: \"$1\": must be a positive whole number"
            fi
            MEMORY_TOTAL=$1
            shift
        fi
        ;;
    --profile)
        MODE=profile
        shift
        if [ $# -gt 0 ]; then
            case "$1" in small | large) PROFILE_CASE=$1 ;; *)
                die "--profile: Unsupported value: \"$1\": supported values: \"small\", \"large\"" ;;
            esac
            shift
        fi
        ;;
    *) usage ;;
    esac
    [ $# -eq 0 ] || usage
fi
[ -x "$BIN" ] || die "$BIN: not an executable file (build it first: make build)"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac

for v in SECONDS_PER_RUN WARMUP_SECONDS ROUNDS CONNECTIONS SERVER_CPU CLIENT_CPU THREADS START_TIMEOUT; do
    is_uint "${!v}" || die "$v: Invalid value: \"${!v}\": must be a whole number"
done
if [ "$SECONDS_PER_RUN" -lt 1 ] || [ "$ROUNDS" -lt 1 ] || [ "$CONNECTIONS" -lt 1 ]; then
    die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS must be at least 1"
fi
case "$FRESH" in 0 | 1) ;; *) die "BENCH_FRESH: Unsupported value: \"$FRESH\": supported values: \"0\", \"1\"" ;; esac
case "$NGINX_BODY" in read | discard) ;; *) die "BENCH_NGINX_BODY: Unsupported value: \"$NGINX_BODY\": supported values: \"read\", \"discard\"" ;; esac
for c in $CASES; do
    case "$c" in small | large) ;; *) die "BENCH_CASES: Unsupported value: \"$c\": supported values: \"small\", \"large\"" ;; esac
done

for tool in wrk nginx curl taskset python3 awk; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: scripts/install-deps.sh bench)"
done

CORES=$(nproc)
if [ "$CORES" -lt 2 ]; then
    echo "bench: only $CORES core: wrk and the server share it, CPU per request still holds" >&2
    SERVER_CPU=0
    CLIENT_CPU=0
fi
CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
CPU_MODEL=${CPU_MODEL:-unknown}
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- clean-up

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kw-bench.XXXXXX")
NGINX_PID=""
SERVER_PID=""
WRK_PID=""
SERVER_WRAPPER=()

# Stops one process this script started: TERM, up to 5 s, then KILL.
stop_pid() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? workers=""
    set +e
    trap - EXIT INT TERM
    stop_pid "$WRK_PID"
    [ -n "$NGINX_PID" ] && workers=$(child_pids "$NGINX_PID")
    stop_pid "$NGINX_PID"
    for pid in $workers; do stop_pid "$pid"; done
    stop_pid "$SERVER_PID"
    if [ "$KEEP" = 1 ]; then
        echo "bench: kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

# Process ids of PID's children (nginx's workers).
child_pids() {
    if [ -r "/proc/$1/task/$1/children" ]; then
        cat /proc/"$1"/task/*/children 2>/dev/null | tr -s ' \n' '  '
    else
        pgrep -P "$1" | tr '\n' ' ' || true
    fi
}

# A port nobody listens on right now (the kernel's pick).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# "utime+stime stime minflt" (clock ticks, clock ticks, minor page faults),
# summed over the given processes (all threads, also threads that have
# exited).
cpu_ticks() {
    local total=0 sys=0 faults=0 pid stat rest
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat") || die "process $pid is gone"
        rest=${stat##*) }
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
        sys=$((sys + f[12]))
        faults=$((faults + f[7]))
    done
    echo "$total $sys $faults"
}

nginx_pids() { echo "$NGINX_PID $(child_pids "$NGINX_PID")"; }
server_pids() { echo "$SERVER_PID"; }

# sed replacement text with its special characters escaped (delimiter |).
sed_quote() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# Polls URL until it answers 2xx; fails when PID exits or after START_TIMEOUT.
wait_ready() {
    local name=$1 url=$2 pid=$3 log=$4 deadline
    deadline=$((SECONDS + START_TIMEOUT))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench: $name exited during start-up; its log:" >&2
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if curl -fsS -o /dev/null --max-time 2 --cacert "$WORK/certs/ca.crt" "$url" 2>/dev/null; then
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "bench: $name did not answer $url within ${START_TIMEOUT}s; its log:" >&2
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        sleep 0.1
    done
}

# POSTs FILE to URL twice on one connection; writes the first reply to OUT
# and prints its HTTP status. Fails when the second request needed a new
# connection (no keep-alive).
probe() {
    local url=$1 file=$2 out=$3 info code1 conn1 code2 conn2
    info=$(curl -sS --cacert "$WORK/certs/ca.crt" -H 'Content-Type: application/json' \
        --data-binary "@$file" -o "$out" -o /dev/null -w '%{http_code} %{num_connects}\n' \
        "$url" "$url") || die "curl could not POST to $url"
    { read -r code1 conn1 && read -r code2 conn2; } <<<"$info" || die "no answer to the second request on $url"
    [ "$code2" = "$code1" ] || die "$url answered the same request with $code1, then $code2"
    [ "$conn2" = 0 ] || die "$url closed the keep-alive connection after one request"
    : "$conn1"
    echo "$code1"
}

tls_summary() {
    curl -sv -o /dev/null --cacert "$WORK/certs/ca.crt" "$1" 2>&1 |
        sed -n 's/^\* SSL connection using \(.*\)$/\1/p' | head -n 1
}

# Checks that a server answers both bodies with 200 and an allowed review.
check_answers() {
    local name=$1 url=$2 c code
    for c in $CASES; do
        code=$(probe "$url" "$WORK/$c.json" "$WORK/$name-$c.reply")
        [ "$code" = 200 ] || die "$name answered the $c review with HTTP $code: $(head -c 300 "$WORK/$name-$c.reply")"
        grep -Eq '"allowed" *: *true' "$WORK/$name-$c.reply" ||
            die "$name did not allow the $c review: $(head -c 300 "$WORK/$name-$c.reply")"
        grep -q "$REVIEW_UID" "$WORK/$name-$c.reply" ||
            die "$name's reply to the $c review does not echo request.uid"
    done
}

# Proof that nginx reads each body into memory before it answers: the
# $request_body it logs is the file that was sent.
check_nginx_reads_body() {
    local c log=$WORK/nginx/body.log size
    for c in $CASES; do
        : >"$log"
        curl -fsS -o /dev/null --cacert "$WORK/certs/ca.crt" -H 'Content-Type: application/json' \
            -H 'X-Bench-Log-Body: 1' --data-binary "@$WORK/$c.json" "$NGINX_URL" ||
            die "nginx refused the $c body"
        size=$(stat -c %s "$WORK/$c.json")
        for _ in $(seq 20); do
            [ "$(stat -c %s "$log")" -gt "$size" ] && break
            sleep 0.05
        done
        head -c "$size" "$log" | cmp -s - "$WORK/$c.json" ||
            die "nginx did not read the whole $c body before answering (see $log)"
    done
    : >"$log"
}

# ---------------------------------------------------------------- set-up

setup_inputs() {
    "$BIN" gen-certs --service bench --namespace bench --host 127.0.0.1 --out "$WORK/certs" >/dev/null ||
        die "$BIN gen-certs failed"
    python3 "$HERE/gen_bodies.py" "$WORK" >"$WORK/bodies.txt" || die "could not generate the request bodies"
    REVIEW_UID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["request"]["uid"])' "$WORK/small.json")
}

start_nginx() {
    local dir=$WORK/nginx port response
    mkdir -p "$dir/tmp"
    response=$(cat "$WORK/response.json")
    case "$response" in *"'"* | *'$'* | *\\*) die "the fixed reply cannot be quoted in nginx.conf" ;; esac
    for _ in 1 2 3; do
        port=$(free_port)
        sed -e "s|@PREFIX@|$(sed_quote "$dir")|g" -e "s|@PORT@|$port|g" \
            -e "s|@CERT@|$(sed_quote "$WORK/certs/tls.crt")|g" \
            -e "s|@KEY@|$(sed_quote "$WORK/certs/tls.key")|g" \
            -e "s|@RESPONSE@|$(sed_quote "$response")|g" \
            "$HERE/nginx.conf.in" >"$dir/nginx.conf"
        nginx -q -t -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>>"$dir/error.log" ||
            die "nginx rejects the generated configuration: $(tail -n 3 "$dir/error.log")"
        taskset -c "$SERVER_CPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
            </dev/null >>"$dir/error.log" 2>&1 &
        NGINX_PID=$!
        if wait_ready nginx "https://127.0.0.1:$port/healthz" "$NGINX_PID" "$dir/error.log"; then
            NGINX_URL="https://127.0.0.1:$port/validate?timeout=10s"
            [ "$NGINX_BODY" = read ] || NGINX_URL="https://127.0.0.1:$port/validate-discard?timeout=10s"
            NGINX_TLS=$(tls_summary "https://127.0.0.1:$port/healthz")
            return 0
        fi
        stop_pid "$NGINX_PID"
        NGINX_PID=""
    done
    die "nginx did not start (3 attempts); see above"
}

serve_available() {
    "$BIN" serve --help 2>&1 | grep -q -- '--tls-cert'
}

start_server() {
    local port extra=()
    # A quick stop on clean-up: no drain period, where the flag exists.
    if "$BIN" serve --help 2>&1 | grep -q -- '--drain-seconds'; then
        extra+=(--drain-seconds 0)
    fi
    # shellcheck disable=SC2206 # BENCH_SERVER_ARGS is split on purpose
    extra+=($SERVER_ARGS)
    for _ in 1 2 3; do
        port=$(free_port)
        # shellcheck disable=SC2086 # BENCH_SERVER_ENV is split on purpose
        taskset -c "$SERVER_CPU" env $SERVER_ENV "${SERVER_WRAPPER[@]}" "$BIN" serve --listen "127.0.0.1:$port" \
            --tls-cert "$WORK/certs/tls.crt" --tls-key "$WORK/certs/tls.key" \
            --threads "$THREADS" "${extra[@]}" </dev/null >>"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        if wait_ready kopia-webhook "https://127.0.0.1:$port/readyz" "$SERVER_PID" "$WORK/server.log"; then
            SERVER_URL="https://127.0.0.1:$port/validate?timeout=10s"
            SERVER_TLS=$(tls_summary "https://127.0.0.1:$port/healthz")
            SERVER_CMD="${SERVER_ENV:+$SERVER_ENV }serve --threads $THREADS ${extra[*]}"
            return 0
        fi
        stop_pid "$SERVER_PID"
        SERVER_PID=""
    done
    die "kopia-webhook serve did not start (3 attempts); see above"
}

# ---------------------------------------------------------------- load

# A number from the summary line of the last wrk run.
wrk_field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$W_LINE"; }

# Runs wrk against URL with BODY for SECONDS and sets W_REQUESTS,
# W_DURATION_US, W_P99_US.
# Fails on any socket error, non-200 reply or reply that is not an allowed
# review.
run_wrk() {
    local url=$1 body=$2 seconds=$3 out=$WORK/wrk.out line
    BENCH_BODY=$body taskset -c "$CLIENT_CPU" \
        wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s --latency \
        -s "$HERE/post.lua" "$url" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || {
        WRK_PID=""
        cat "$out" >&2
        die "wrk failed against $url"
    }
    WRK_PID=""
    line=$(grep '^BENCH requests=' "$out") || {
        cat "$out" >&2
        die "wrk printed no summary (bench/post.lua did not run)"
    }
    W_LINE=" ${line#BENCH }"
    W_REQUESTS=$(wrk_field requests)
    W_DURATION_US=$(wrk_field duration_us)
    W_P99_US=$(wrk_field p99_us)
    local k bad=""
    for k in err_connect err_read err_write err_status err_timeout not_200 unexpected; do
        [ "$(wrk_field "$k")" = 0 ] || bad="$bad $k=$(wrk_field "$k")"
    done
    if [ -n "$bad" ]; then
        cat "$out" >&2
        die "wrk saw errors against $url:$bad"
    fi
    [ "$W_REQUESTS" -gt 0 ] || die "wrk completed no request against $url"
}

# Measures one server on one case; prints a progress line and records
# R_<field>[case,server,round].
declare -A R_REQ R_RPS R_P99 R_US R_SYS R_FLT
# shellcheck disable=SC2034 # R_* are read through the nameref in median_of
measure() {
    local case=$1 server=$2 round=$3 url pids before after
    if [ "$server" = nginx ]; then url=$NGINX_URL; else url=$SERVER_URL; fi
    [ "$WARMUP_SECONDS" -eq 0 ] || run_wrk "$url" "$WORK/$case.json" "$WARMUP_SECONDS"
    pids=$("${server}_pids")
    # shellcheck disable=SC2086
    before=$(cpu_ticks $pids)
    run_wrk "$url" "$WORK/$case.json" "$SECONDS_PER_RUN"
    # shellcheck disable=SC2086
    after=$(cpu_ticks $pids)
    local b a key="$case,$server,$round"
    read -r -a b <<<"$before"
    read -r -a a <<<"$after"
    local ticks=$((a[0] - b[0])) sys_ticks=$((a[1] - b[1])) faults=$((a[2] - b[2]))
    R_REQ[$key]=$W_REQUESTS
    R_FLT[$key]=$(awk -v f="$faults" -v n="$W_REQUESTS" 'BEGIN { printf "%.1f", f / n }')
    R_SYS[$key]=$(awk -v s="$sys_ticks" -v t="$ticks" 'BEGIN { printf "%.0f", t ? 100 * s / t : 0 }')
    R_RPS[$key]=$(awk -v n="$W_REQUESTS" -v d="$W_DURATION_US" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
    R_P99[$key]=$(awk -v u="$W_P99_US" 'BEGIN { printf "%.2f", u / 1000 }')
    R_US[$key]=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$W_REQUESTS" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    printf '  round %d  %-5s %-13s %8d req %6s req/s  p99 %6s ms  CPU %5.2f s, %2s%% kernel, %5s faults/req  %7s µs/req\n' \
        "$round" "$case" "$(label "$server")" "$W_REQUESTS" "${R_RPS[$key]}" "${R_P99[$key]}" \
        "$(awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { print t / hz }')" "${R_SYS[$key]}" \
        "${R_FLT[$key]}" "${R_US[$key]}"
}

label() { if [ "$1" = nginx ]; then echo nginx; else echo kopia-webhook; fi; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Median over rounds of R_<name> for case and server.
median_of() {
    local -n arr=$1
    local case=$2 server=$3 r vals=""
    for r in $(seq "$ROUNDS"); do vals="$vals ${arr[$case,$server,$r]}"; done
    median <<<"$vals"
}

# ---------------------------------------------------------------- modes

print_header() {
    echo "kopia-webhook benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $CORES cores (nproc), $CPU_MODEL; clock ticks $CLK_TCK/s"
    echo "servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU (1 thread, $CONNECTIONS keep-alive connections)"
    echo "$(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'); $(nginx -v 2>&1 | sed 's/^nginx version: //'); $("$BIN" version 2>/dev/null | head -n 1)"
    sed 's/^/bodies: /' "$WORK/bodies.txt"
}

# New nginx and server processes, so that a case does not run on a heap
# shaped by the previous one (the allocator's state can change the large
# case's cost by a factor of two).
restart_servers() {
    local workers
    workers=$(child_pids "$NGINX_PID")
    stop_pid "$NGINX_PID"
    for pid in $workers; do stop_pid "$pid"; done
    NGINX_PID=""
    start_nginx
    if [ "$1" = 1 ]; then
        stop_pid "$SERVER_PID"
        SERVER_PID=""
        start_server
    fi
}

perf_mode() {
    local have_server=1 servers="nginx server" c s r
    if ! serve_available; then
        have_server=0
        servers=nginx
        echo "bench: $BIN has no working 'serve' command: measuring the nginx baseline only" >&2
    fi
    setup_inputs
    start_nginx
    check_answers nginx "$NGINX_URL"
    [ "$NGINX_BODY" = discard ] || check_nginx_reads_body
    if [ "$have_server" = 1 ]; then
        start_server
        check_answers kopia-webhook "$SERVER_URL"
    fi
    print_header
    echo "nginx: worker_processes 1, body $( [ "$NGINX_BODY" = read ] && echo 'read into memory (verified)' || echo 'drained, not kept'); TLS: $NGINX_TLS"
    [ "$have_server" = 0 ] || echo "kopia-webhook: $SERVER_CMD; TLS: $SERVER_TLS"
    echo "each run: ${WARMUP_SECONDS}s warm-up, then ${SECONDS_PER_RUN}s measured; $ROUNDS round(s);" \
        "$([ "$FRESH" = 1 ] && echo 'fresh server processes for every case' || echo 'one process per server for all cases')"
    echo
    local first=1
    for r in $(seq "$ROUNDS"); do
        for c in $CASES; do
            if [ "$FRESH" = 1 ] && [ "$first" = 0 ]; then
                restart_servers "$have_server"
            fi
            first=0
            for s in $servers; do measure "$c" "$s" "$r"; done
        done
    done

    echo
    [ "$ROUNDS" -eq 1 ] || echo "medians over $ROUNDS rounds:"
    printf '| %-5s | %-13s | %10s | %8s | %8s | %11s | %8s | %10s |\n' case server requests "req/s" "p99 ms" \
        "CPU µs/req" "kernel %" "faults/req"
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------- --------------- ------------ ---------- ---------- \
        ------------- ---------- ------------
    for c in $CASES; do
        for s in $servers; do
            printf '| %-5s | %-13s | %10s | %8s | %8s | %11s | %8s | %10s |\n' "$c" "$(label "$s")" \
                "$(median_of R_REQ "$c" "$s")" "$(median_of R_RPS "$c" "$s")" \
                "$(median_of R_P99 "$c" "$s")" "$(median_of R_US "$c" "$s")" "$(median_of R_SYS "$c" "$s")" \
                "$(median_of R_FLT "$c" "$s")"
        done
    done
    echo
    if [ "$have_server" = 0 ]; then
        die "kopia-webhook was not measured: '$BIN serve' does not exist yet (the nginx figures above are the baseline only)"
    fi
    local missed=0 ratio target verdict
    for c in $CASES; do
        ratio=$(awk -v a="$(median_of R_US "$c" server)" -v b="$(median_of R_US "$c" nginx)" 'BEGIN { printf "%.2f", a / b }')
        if [ "$c" = small ]; then target=$SMALL_TARGET; else target=$LARGE_TARGET; fi
        if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r <= t) }'; then verdict=met; else
            verdict=MISSED
            missed=1
        fi
        printf 'ratio %-5s kopia-webhook / nginx CPU per request: %s× (target ≤ %s×): %s\n' "$c" "$ratio" "$target" "$verdict"
    done
    if [ "$missed" = 1 ] && [ "$STRICT" = 1 ]; then
        exit 1
    fi
    return 0
}

rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Sends small reviews until SENT reaches at least TOTAL, in wrk runs as long as
# the last run's rate says the rest needs (the first run 3 s, to learn it).
SENT=0
RATE=0
send_until() {
    local total=$1 seconds
    while [ "$SENT" -lt "$total" ]; do
        seconds=$(awk -v n="$((total - SENT))" -v r="$RATE" 'BEGIN {
            s = r > 0 ? int(n / r + 0.999) : 3; if (s < 1) s = 1; if (s > 60) s = 60; print s }')
        run_wrk "$SERVER_URL" "$WORK/small.json" "$seconds"
        SENT=$((SENT + W_REQUESTS))
        RATE=$(awk -v n="$W_REQUESTS" -v d="$W_DURATION_US" 'BEGIN { print n / (d / 1e6) }')
        printf '  %9d requests sent, %s kB resident\n' "$SENT" "$(rss_kb "$SERVER_PID" VmRSS)"
    done
}

memory_mode() {
    serve_available || die "'$BIN serve' does not exist yet: nothing to measure"
    setup_inputs
    start_server
    check_answers kopia-webhook "$SERVER_URL"
    print_header
    echo "kopia-webhook: $SERVER_CMD; small reviews until $MEMORY_TOTAL requests"
    echo
    local first=$MEMORY_CHECKPOINT start_rss
    [ "$MEMORY_TOTAL" -ge "$first" ] || first=$MEMORY_TOTAL
    start_rss=$(rss_kb "$SERVER_PID" VmRSS)
    printf '  %9s requests sent, %s kB resident\n' "(checks)" "$start_rss"
    send_until "$first"
    local rss1 hwm1 rss2 hwm2 n1=$SENT
    rss1=$(rss_kb "$SERVER_PID" VmRSS)
    hwm1=$(rss_kb "$SERVER_PID" VmHWM)
    if [ "$MEMORY_TOTAL" -gt "$first" ]; then
        send_until "$MEMORY_TOTAL"
    fi
    rss2=$(rss_kb "$SERVER_PID" VmRSS)
    hwm2=$(rss_kb "$SERVER_PID" VmHWM)
    echo
    printf '| %-12s | %12s | %12s |\n' requests "VmRSS kB" "VmHWM kB"
    printf '|%s|%s|%s|\n' -------------- -------------- --------------
    printf '| %12s | %12s | %12s |\n' "start" "$start_rss" "-"
    printf '| %12s | %12s | %12s |\n' "$n1" "$rss1" "$hwm1"
    [ "$SENT" -eq "$n1" ] || printf '| %12s | %12s | %12s |\n' "$SENT" "$rss2" "$hwm2"
    echo
    local missed=0 verdict
    if [ "$rss1" -le "$RSS_LIMIT_KB" ]; then verdict=met; else
        verdict=MISSED
        missed=1
    fi
    echo "resident after $n1 requests: $rss1 kB (target ≤ 16 MB = $RSS_LIMIT_KB kB): $verdict"
    if [ "$SENT" -gt "$n1" ]; then
        if [ $((rss2 - rss1)) -le "$RSS_GROWTH_LIMIT_KB" ]; then verdict=met; else
            verdict=MISSED
            missed=1
        fi
        echo "growth from $n1 to $SENT requests: $((rss2 - rss1)) kB (target: none, tolerance $RSS_GROWTH_LIMIT_KB kB): $verdict"
    else
        echo "growth: not measured (run 'bench/run.sh BINARY --memory 1000000' for 100k → 1M)"
    fi
    if [ "$missed" = 1 ] && [ "$STRICT" = 1 ]; then
        exit 1
    fi
    return 0
}

# Runs the server under callgrind with instrumentation off during start-up,
# turns it on for BENCH_SECONDS of load on one connection, and prints the
# instruction count per request and the top functions.
profile_mode() {
    serve_available || die "'$BIN serve' does not exist yet: nothing to profile"
    if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
        die "valgrind is missing (Debian: scripts/install-deps.sh test)"
    fi
    setup_inputs
    local out=$WORK/callgrind.out
    SERVER_WRAPPER=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$out")
    START_TIMEOUT=$((START_TIMEOUT * 4))
    CONNECTIONS=1
    start_server
    check_answers kopia-webhook "$SERVER_URL"
    callgrind_control -i on "$SERVER_PID" >/dev/null || die "callgrind_control could not reach the server"
    run_wrk "$SERVER_URL" "$WORK/$PROFILE_CASE.json" "$SECONDS_PER_RUN"
    local requests=$W_REQUESTS
    callgrind_control -i off "$SERVER_PID" >/dev/null || true
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    [ -s "$out" ] || die "callgrind wrote no profile"
    print_header
    echo "kopia-webhook under callgrind: $SERVER_CMD; $requests $PROFILE_CASE reviews in ${SECONDS_PER_RUN}s on 1 connection"
    local total
    total=$(awk '/^totals:/ { print $2; exit }' "$out")
    is_uint "$total" || die "no instruction total in $out"
    echo "instructions: $total in all, $((total / requests)) per request"
    echo
    echo "exclusive (self) cost, top 25:"
    top_functions no "$out"
    echo
    echo "inclusive cost, top 25:"
    top_functions yes "$out"
}

# The first 25 rows of callgrind_annotate's function table.
top_functions() {
    callgrind_annotate --auto=no --inclusive="$1" "$2" 2>/dev/null |
        awk '/file:function/ { table = 1; getline; next }
             table && !NF { exit }
             table { print; if (++n == 25) exit }'
}

case "$MODE" in
memory) memory_mode ;;
profile) profile_mode ;;
*) perf_mode ;;
esac
