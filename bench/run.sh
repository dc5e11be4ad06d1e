#!/usr/bin/env bash
# The performance and memory benchmark (see bench/README.md).
#
#   bench/run.sh BINARY              CPU time per request of `BINARY serve` against
#                                    a static nginx HTTPS server and a bare
#                                    libmicrohttpd+GnuTLS server (kw-bench-bare):
#                                    small review, mutate, 800 KB review, at 2 and
#                                    32 connections, with p99 latency and req/s
#   bench/run.sh BINARY --memory [N] resident memory of `BINARY serve` after 100k
#                                    small reviews and after N (default 100000)
#   bench/run.sh BINARY --profile [small|mutate|large]
#                                    where the server's time goes: perf (cycles,
#                                    call graphs) and callgrind (instructions)
#
# Everything runs on 127.0.0.1 with free ports and throwaway certificates in a
# temporary directory, which is removed on exit (also on Ctrl-C).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
WARMUP_SECONDS=${BENCH_WARMUP:-2}
ROUNDS=${BENCH_ROUNDS:-1}
CONNECTION_LIST=${BENCH_CONNECTIONS:-2 32}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
THREAD_LIST=${BENCH_THREADS:-1}
BARE=${BENCH_BARE:-$(dirname "${1:-.}")/kw-bench-bare}
PROFILERS=${BENCH_PROFILER:-perf callgrind}
PERF_CALLGRAPH=${BENCH_PERF_CALLGRAPH:-fp}
NGINX_BODY=${BENCH_NGINX_BODY:-read}
SERVER_ARGS=${BENCH_SERVER_ARGS:-}
SERVER_ENV=${BENCH_SERVER_ENV:-}
CASES=${BENCH_CASES:-small mutate large}
BENCH_MEMORY_LIMIT=${BENCH_MEMORY_LIMIT:-1073741824}
START_TIMEOUT=${BENCH_START_TIMEOUT:-15}
KEEP=${BENCH_KEEP:-0}
FRESH=${BENCH_FRESH:-1}
STRICT=${BENCH_STRICT:-0}
MEMORY_CHECKPOINT=100000
# Targets for kopia-webhook's CPU per request over nginx's (issue 12).
declare -A TARGET=([small]=1.5 [mutate]=1.5 [large]=1.6)
RSS_LIMIT_KB=15625 # 16 MB = 16,000,000 bytes; /proc reports KiB
RSS_GROWTH_LIMIT_KB=256

usage() {
    cat >&2 <<'EOF'
usage: bench/run.sh BINARY              CPU per request against nginx and a bare server
       bench/run.sh BINARY --memory [N] resident memory after 100k and N requests
       bench/run.sh BINARY --profile [small|mutate|large]  perf and callgrind profiles

environment: BENCH_SECONDS (10) BENCH_WARMUP (2) BENCH_ROUNDS (1)
  BENCH_CONNECTIONS ("2 32") BENCH_SERVER_CPU (0) BENCH_CLIENT_CPU (1)
  BENCH_THREADS ("1"; a list of counts and/or "default")
  BENCH_BARE (kw-bench-bare next to BINARY; "none": no bare baseline)
  BENCH_PROFILER ("perf callgrind") BENCH_PERF_CALLGRAPH (fp|dwarf)
  BENCH_NGINX_BODY (read|discard) BENCH_SERVER_ARGS ("")
  BENCH_SERVER_ENV ("": NAME=VALUE... for the server only)
  BENCH_CASES ("small mutate large") BENCH_MEMORY_LIMIT (1073741824: serve --memory-limit)
  BENCH_START_TIMEOUT (15) BENCH_KEEP (0)
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
            case "$1" in small | mutate | large) PROFILE_CASE=$1 ;; *)
                die "--profile: Unsupported value: \"$1\": supported values: \"small\", \"mutate\", \"large\"" ;;
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

for v in SECONDS_PER_RUN WARMUP_SECONDS ROUNDS SERVER_CPU CLIENT_CPU START_TIMEOUT BENCH_MEMORY_LIMIT; do
    is_uint "${!v}" || die "$v: Invalid value: \"${!v}\": must be a whole number"
done
if [ "$SECONDS_PER_RUN" -lt 1 ] || [ "$ROUNDS" -lt 1 ]; then
    die "BENCH_SECONDS and BENCH_ROUNDS must be at least 1"
fi
[ -n "${CONNECTION_LIST// /}" ] || die "BENCH_CONNECTIONS: Required value: a list of connection counts"
for v in $CONNECTION_LIST; do
    is_uint "$v" && [ "$v" -ge 1 ] || die "BENCH_CONNECTIONS: Invalid value: \"$v\": must be a whole number, at least 1"
done
[ -n "${THREAD_LIST// /}" ] || die "BENCH_THREADS: Required value: a list of thread counts"
for v in $THREAD_LIST; do
    [ "$v" = default ] || { is_uint "$v" && [ "$v" -ge 1 ]; } ||
        die "BENCH_THREADS: Invalid value: \"$v\": must be a whole number, at least 1, or \"default\""
done
for v in $PROFILERS; do
    case "$v" in perf | callgrind) ;; *) die "BENCH_PROFILER: Unsupported value: \"$v\": supported values: \"perf\", \"callgrind\"" ;; esac
done
case "$PERF_CALLGRAPH" in fp | dwarf) ;; *) die "BENCH_PERF_CALLGRAPH: Unsupported value: \"$PERF_CALLGRAPH\": supported values: \"fp\", \"dwarf\"" ;; esac
# The first of each list, for --memory and --profile.
CONNECTIONS=${CONNECTION_LIST%% *}
THREADS=${THREAD_LIST%% *}
case "$FRESH" in 0 | 1) ;; *) die "BENCH_FRESH: Unsupported value: \"$FRESH\": supported values: \"0\", \"1\"" ;; esac
case "$NGINX_BODY" in read | discard) ;; *) die "BENCH_NGINX_BODY: Unsupported value: \"$NGINX_BODY\": supported values: \"read\", \"discard\"" ;; esac
for c in $CASES; do
    case "$c" in small | mutate | large) ;; *) die "BENCH_CASES: Unsupported value: \"$c\": supported values: \"small\", \"mutate\", \"large\"" ;; esac
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
ALL_CPUS=0-$((CORES - 1))
if [ "$BARE" = none ] || [ ! -x "$BARE" ]; then
    if [ "$MODE" = perf ] && [ "$BARE" != none ]; then
        echo "bench: no bare baseline: $BARE is missing (built with the project: cmake --build build --target kw-bench-bare)" >&2
    fi
    BARE=""
fi
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- clean-up

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kw-bench.XXXXXX")
NGINX_PID=""
SERVER_PID=""
BARE_PID=""
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
    stop_pid "$BARE_PID"
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
    [ -n "$1" ] || return 0
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
bare_pids() { echo "$BARE_PID"; }

# The request path of a case.
path_of() { if [ "$1" = mutate ]; then echo /mutate; else echo /validate; fi; }

# The cores a server runs on: one core with one thread, all of them otherwise.
server_cpus() { if [ "$THREADS" = 1 ]; then echo "$SERVER_CPU"; else echo "$ALL_CPUS"; fi; }
client_cpus() { if [ "$THREADS" = 1 ]; then echo "$CLIENT_CPU"; else echo "$ALL_CPUS"; fi; }
# The worker count of nginx and kw-bench-bare: the webhook's --threads, and
# for "default" what the webhook picks then (one per CPU).
workers() { if [ "$THREADS" = default ]; then echo "$CORES"; else echo "$THREADS"; fi; }

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

# Checks that a server answers every case's body with 200 and an allowed
# review (a mutate reply with a patch). BASE is https://127.0.0.1:PORT.
check_answers() {
    local name=$1 base=$2 c code
    for c in $CASES; do
        code=$(probe "$base$(path_of "$c")?timeout=10s" "$WORK/$c.json" "$WORK/$name-$c.reply")
        [ "$code" = 200 ] || die "$name answered the $c review with HTTP $code: $(head -c 300 "$WORK/$name-$c.reply")"
        grep -Eq '"allowed" *: *true' "$WORK/$name-$c.reply" ||
            die "$name did not allow the $c review: $(head -c 300 "$WORK/$name-$c.reply")"
        grep -q "$REVIEW_UID" "$WORK/$name-$c.reply" ||
            die "$name's reply to the $c review does not echo request.uid"
        if [ "$c" = mutate ]; then
            grep -q '"patch" *:' "$WORK/$name-$c.reply" || die "$name's reply to the mutate review has no patch"
        fi
    done
}

# Proof that nginx reads each body into memory before it answers: the
# $request_body it logs is the file that was sent.
check_nginx_reads_body() {
    local c log=$WORK/nginx/body.log size
    for c in $CASES; do
        : >"$log"
        curl -fsS -o /dev/null --cacert "$WORK/certs/ca.crt" -H 'Content-Type: application/json' \
            -H 'X-Bench-Log-Body: 1' --data-binary "@$WORK/$c.json" "$NGINX_BASE$(path_of "$c")" ||
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
    local dir=$WORK/nginx port response response_mutate
    mkdir -p "$dir/tmp"
    response=$(cat "$WORK/response.json")
    # nginx's '...' strings take \" and \\ as escapes.
    response_mutate=$(sed -e 's/[\\"]/\\&/g' "$WORK/response-mutate.json")
    case "$response$response_mutate" in *"'"* | *'$'*) die "the fixed replies cannot be quoted in nginx.conf" ;; esac
    for _ in 1 2 3; do
        port=$(free_port)
        sed -e "s|@PREFIX@|$(sed_quote "$dir")|g" -e "s|@PORT@|$port|g" \
            -e "s|@CERT@|$(sed_quote "$WORK/certs/tls.crt")|g" \
            -e "s|@KEY@|$(sed_quote "$WORK/certs/tls.key")|g" \
            -e "s|@RESPONSE@|$(sed_quote "$response")|g" \
            -e "s|@RESPONSE_MUTATE@|$(sed_quote "$response_mutate")|g" \
            -e "s|@WORKERS@|$(workers)|g" \
            "$HERE/nginx.conf.in" >"$dir/nginx.conf"
        nginx -q -t -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>>"$dir/error.log" ||
            die "nginx rejects the generated configuration: $(tail -n 3 "$dir/error.log")"
        taskset -c "$(server_cpus)" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
            </dev/null >>"$dir/error.log" 2>&1 &
        NGINX_PID=$!
        if wait_ready nginx "https://127.0.0.1:$port/healthz" "$NGINX_PID" "$dir/error.log"; then
            NGINX_BASE="https://127.0.0.1:$port"
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
    [ "$THREADS" = default ] || extra+=(--threads "$THREADS")
    # The body budget derived from the default 128 MiB limit answers 503 to
    # some of 32 concurrent 800 KB bodies (by design); the benchmark measures
    # the work per request, so the server gets room for every connection's
    # body (BENCH_SERVER_ARGS can set it again).
    if "$BIN" serve --help 2>&1 | grep -q -- '--memory-limit'; then
        extra+=(--memory-limit "$BENCH_MEMORY_LIMIT")
    fi
    # shellcheck disable=SC2206 # BENCH_SERVER_ARGS is split on purpose
    extra+=($SERVER_ARGS)
    for _ in 1 2 3; do
        port=$(free_port)
        # shellcheck disable=SC2086 # BENCH_SERVER_ENV is split on purpose
        taskset -c "$(server_cpus)" env $SERVER_ENV "${SERVER_WRAPPER[@]}" "$BIN" serve --listen "127.0.0.1:$port" \
            --tls-cert "$WORK/certs/tls.crt" --tls-key "$WORK/certs/tls.key" \
            "${extra[@]}" </dev/null >>"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        if wait_ready kopia-webhook "https://127.0.0.1:$port/readyz" "$SERVER_PID" "$WORK/server.log"; then
            SERVER_BASE="https://127.0.0.1:$port"
            SERVER_TLS=$(tls_summary "https://127.0.0.1:$port/healthz")
            SERVER_CMD="${SERVER_ENV:+$SERVER_ENV }serve ${extra[*]}"
            return 0
        fi
        stop_pid "$SERVER_PID"
        SERVER_PID=""
    done
    die "kopia-webhook serve did not start (3 attempts); see above"
}

# The bare libmicrohttpd+GnuTLS server (bench/bare_server.c), as many threads
# as the webhook.
start_bare() {
    local port
    for _ in 1 2 3; do
        port=$(free_port)
        taskset -c "$(server_cpus)" "$BARE" "$port" "$WORK/certs/tls.crt" "$WORK/certs/tls.key" \
            "$(workers)" "$WORK/response.json" "$WORK/response-mutate.json" </dev/null >>"$WORK/bare.log" 2>&1 &
        BARE_PID=$!
        if wait_ready kw-bench-bare "https://127.0.0.1:$port/healthz" "$BARE_PID" "$WORK/bare.log"; then
            BARE_BASE="https://127.0.0.1:$port"
            BARE_TLS=$(tls_summary "$BARE_BASE/healthz")
            return 0
        fi
        stop_pid "$BARE_PID"
        BARE_PID=""
    done
    die "kw-bench-bare did not start (3 attempts); see above"
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
    BENCH_BODY=$body taskset -c "$(client_cpus)" \
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

# The URL a server is measured on for a case.
url_of() {
    local case=$1 server=$2 path
    path=$(path_of "$case")
    case "$server" in
    nginx)
        [ "$NGINX_BODY" = read ] || path="$path-discard"
        echo "$NGINX_BASE$path?timeout=10s"
        ;;
    server) echo "$SERVER_BASE$path?timeout=10s" ;;
    bare) echo "$BARE_BASE$path?timeout=10s" ;;
    esac
}

# Measures one server on one case at the current CONNECTIONS and THREADS;
# prints a progress line and records R_<field>[case,conns,threads,server,round].
declare -A R_REQ R_RPS R_P99 R_US R_SYS R_FLT
# shellcheck disable=SC2034 # R_* are read through the nameref in median_of
measure() {
    local case=$1 server=$2 round=$3 url pids before after
    url=$(url_of "$case" "$server")
    [ "$WARMUP_SECONDS" -eq 0 ] || run_wrk "$url" "$WORK/$case.json" "$WARMUP_SECONDS"
    pids=$("${server}_pids")
    # shellcheck disable=SC2086
    before=$(cpu_ticks $pids)
    run_wrk "$url" "$WORK/$case.json" "$SECONDS_PER_RUN"
    # shellcheck disable=SC2086
    after=$(cpu_ticks $pids)
    local b a key="$case,$CONNECTIONS,$THREADS,$server,$round"
    read -r -a b <<<"$before"
    read -r -a a <<<"$after"
    local ticks=$((a[0] - b[0])) sys_ticks=$((a[1] - b[1])) faults=$((a[2] - b[2]))
    R_REQ[$key]=$W_REQUESTS
    R_FLT[$key]=$(awk -v f="$faults" -v n="$W_REQUESTS" 'BEGIN { printf "%.1f", f / n }')
    R_SYS[$key]=$(awk -v s="$sys_ticks" -v t="$ticks" 'BEGIN { printf "%.0f", t ? 100 * s / t : 0 }')
    R_RPS[$key]=$(awk -v n="$W_REQUESTS" -v d="$W_DURATION_US" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
    R_P99[$key]=$(awk -v u="$W_P99_US" 'BEGIN { printf "%.2f", u / 1000 }')
    R_US[$key]=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$W_REQUESTS" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    printf '  round %d  %-6s %3s conns %-7s thr  %-13s %8d req %6s req/s  p99 %7s ms  CPU %5.2f s, %2s%% kernel, %5s faults/req  %7s µs/req\n' \
        "$round" "$case" "$CONNECTIONS" "$THREADS" "$(label "$server")" "$W_REQUESTS" "${R_RPS[$key]}" "${R_P99[$key]}" \
        "$(awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { print t / hz }')" "${R_SYS[$key]}" \
        "${R_FLT[$key]}" "${R_US[$key]}"
}

label() {
    case "$1" in nginx) echo nginx ;; bare) echo bare-mhd ;; *) echo kopia-webhook ;; esac
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Median over rounds of R_<name> for case, connections, threads and server.
median_of() {
    local -n arr=$1
    local key="$2,$3,$4,$5" r vals=""
    for r in $(seq "$ROUNDS"); do vals="$vals ${arr[$key,$r]}"; done
    median <<<"$vals"
}

# a / b with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# ---------------------------------------------------------------- modes

print_header() {
    echo "kopia-webhook benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $LOAD_BEFORE"
    echo "machine: $CORES cores (nproc), $CPU_MODEL; clock ticks $CLK_TCK/s"
    echo "--threads 1: servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU; otherwise all on CPUs $ALL_CPUS" \
        "(wrk: 1 thread, keep-alive connections: $CONNECTION_LIST)"
    echo "$(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'); $(nginx -v 2>&1 | sed 's/^nginx version: //'); $("$BIN" version 2>/dev/null | head -n 1)"
    sed 's/^/bodies: /' "$WORK/bodies.txt"
}

# (Re)starts nginx, the bare server and (HAVE_SERVER=1) the webhook, so that
# a case does not run on a heap shaped by the previous one (the allocator's
# state can change the large case's cost by a factor of two).
restart_servers() {
    local workers
    workers=$(child_pids "$NGINX_PID")
    stop_pid "$NGINX_PID"
    for pid in $workers; do stop_pid "$pid"; done
    NGINX_PID=""
    start_nginx
    if [ -n "$BARE" ]; then
        stop_pid "$BARE_PID"
        BARE_PID=""
        start_bare
    fi
    if [ "$HAVE_SERVER" = 1 ]; then
        stop_pid "$SERVER_PID"
        SERVER_PID=""
        start_server
    fi
}

# The results table (medians over rounds) and the verdicts.
print_results() {
    local c n t s us nginx_us bare_us
    echo
    [ "$ROUNDS" -eq 1 ] || echo "medians over $ROUNDS rounds:"
    printf '| %-6s | %5s | %7s | %-13s | %8s | %6s | %7s | %10s | %6s | %6s | %6s | %6s |\n' case conns threads \
        server requests "req/s" "p99 ms" "CPU µs/req" "×nginx" "×bare" "kernel" "faults"
    echo '|--------|------:|--------:|---------------|---------:|-------:|--------:|-----------:|-------:|-------:|-------:|-------:|'
    for t in $THREAD_LIST; do
        for n in $CONNECTION_LIST; do
            for c in $CASES; do
                nginx_us=$(median_of R_US "$c" "$n" "$t" nginx)
                bare_us=""
                [ -z "$BARE" ] || bare_us=$(median_of R_US "$c" "$n" "$t" bare)
                for s in $SERVERS; do
                    us=$(median_of R_US "$c" "$n" "$t" "$s")
                    printf '| %-6s | %5s | %7s | %-13s | %8s | %6s | %7s | %10s | %6s | %6s | %5s%% | %6s |\n' \
                        "$c" "$n" "$t" "$(label "$s")" "$(median_of R_REQ "$c" "$n" "$t" "$s")" \
                        "$(median_of R_RPS "$c" "$n" "$t" "$s")" "$(median_of R_P99 "$c" "$n" "$t" "$s")" \
                        "$us" "$(ratio "$us" "$nginx_us")" "${bare_us:+$(ratio "$us" "$bare_us")}" \
                        "$(median_of R_SYS "$c" "$n" "$t" "$s")" "$(median_of R_FLT "$c" "$n" "$t" "$s")"
                done
            done
        done
    done
    echo
}

perf_mode() {
    local c s r n t
    HAVE_SERVER=1
    SERVERS="nginx"
    [ -z "$BARE" ] || SERVERS="$SERVERS bare"
    if ! serve_available; then
        HAVE_SERVER=0
        echo "bench: $BIN has no working 'serve' command: measuring the baselines only" >&2
    else
        SERVERS="$SERVERS server"
    fi
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    setup_inputs
    local first_header=1
    for t in $THREAD_LIST; do
        THREADS=$t
        restart_servers
        check_answers nginx "$NGINX_BASE"
        [ "$NGINX_BODY" = discard ] || check_nginx_reads_body
        [ -z "$BARE" ] || check_answers kw-bench-bare "$BARE_BASE"
        [ "$HAVE_SERVER" = 0 ] || check_answers kopia-webhook "$SERVER_BASE"
        if [ "$first_header" = 1 ]; then
            print_header
            echo "each run: ${WARMUP_SECONDS}s warm-up, then ${SECONDS_PER_RUN}s measured; $ROUNDS round(s);" \
                "$([ "$FRESH" = 1 ] && echo 'fresh server processes for every case' || echo 'one process per server and thread count')"
            first_header=0
        fi
        echo
        echo "threads $t: nginx worker_processes $(workers), body $([ "$NGINX_BODY" = read ] && echo 'read into memory (verified)' || echo 'drained, not kept'); TLS: $NGINX_TLS"
        [ -z "$BARE" ] || echo "threads $t: kw-bench-bare, $(workers) thread(s); TLS: $BARE_TLS"
        [ "$HAVE_SERVER" = 0 ] || echo "threads $t: kopia-webhook: $SERVER_CMD; TLS: $SERVER_TLS"
        local first=1
        for r in $(seq "$ROUNDS"); do
            for c in $CASES; do
                if [ "$FRESH" = 1 ] && [ "$first" = 0 ]; then
                    restart_servers
                fi
                first=0
                for n in $CONNECTION_LIST; do
                    CONNECTIONS=$n
                    for s in $SERVERS; do measure "$c" "$s" "$r"; done
                done
            done
        done
    done

    print_results
    if [ "$HAVE_SERVER" = 0 ]; then
        die "kopia-webhook was not measured: '$BIN serve' does not exist yet (the nginx figures above are the baseline only)"
    fi
    local missed=0 x target verdict vs_bare
    for t in $THREAD_LIST; do
        for n in $CONNECTION_LIST; do
            for c in $CASES; do
                x=$(ratio "$(median_of R_US "$c" "$n" "$t" server)" "$(median_of R_US "$c" "$n" "$t" nginx)")
                target=${TARGET[$c]}
                if awk -v r="$x" -v t="$target" 'BEGIN { exit !(r <= t) }'; then verdict=met; else
                    verdict=MISSED
                    missed=1
                fi
                vs_bare=""
                [ -z "$BARE" ] || vs_bare="; / bare-mhd: $(ratio "$(median_of R_US "$c" "$n" "$t" server)" "$(median_of R_US "$c" "$n" "$t" bare)")×"
                printf 'ratio %-6s %2s conns, threads %-7s kopia-webhook / nginx CPU per request: %s× (target ≤ %s×): %s%s\n' \
                    "$c" "$n" "$t" "$x" "$target" "$verdict" "$vs_bare"
            done
        done
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
        run_wrk "$SERVER_BASE/validate?timeout=10s" "$WORK/small.json" "$seconds"
        SENT=$((SENT + W_REQUESTS))
        RATE=$(awk -v n="$W_REQUESTS" -v d="$W_DURATION_US" 'BEGIN { print n / (d / 1e6) }')
        printf '  %9d requests sent, %s kB resident\n' "$SENT" "$(rss_kb "$SERVER_PID" VmRSS)"
    done
}

memory_mode() {
    serve_available || die "'$BIN serve' does not exist yet: nothing to measure"
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    CASES=small
    setup_inputs
    start_server
    check_answers kopia-webhook "$SERVER_BASE"
    print_header
    echo "kopia-webhook: $SERVER_CMD; small reviews on $CONNECTIONS connections until $MEMORY_TOTAL requests"
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

# Where the server's time goes, for PROFILE_CASE on CONNECTIONS connections:
# perf samples the server's cycles with call graphs for BENCH_SECONDS of
# load (frame pointers: build with -DKW_FRAME_POINTERS=ON, as `make
# bench-profile` does; BENCH_PERF_CALLGRAPH=dwarf also unwinds the system
# libraries), and callgrind counts its instructions per request with
# instrumentation off during start-up.
profile_mode() {
    serve_available || die "'$BIN serve' does not exist yet: nothing to profile"
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    CASES=$PROFILE_CASE
    setup_inputs
    print_header
    local p
    for p in $PROFILERS; do "profile_$p"; done
}

profile_perf() {
    command -v perf >/dev/null || die "perf is missing (Debian: scripts/install-deps.sh profile)"
    local data=$WORK/perf.data perf_pid
    SERVER_WRAPPER=()
    start_server
    check_answers kopia-webhook "$SERVER_BASE"
    [ "$WARMUP_SECONDS" -eq 0 ] || run_wrk "$SERVER_BASE$(path_of "$PROFILE_CASE")?timeout=10s" "$WORK/$PROFILE_CASE.json" "$WARMUP_SECONDS"
    perf record -q -F 2999 --call-graph "$PERF_CALLGRAPH" -o "$data" -p "$SERVER_PID" >"$WORK/perf.log" 2>&1 &
    perf_pid=$!
    sleep 0.5
    kill -0 "$perf_pid" 2>/dev/null || die "perf record failed: $(tail -n 3 "$WORK/perf.log")"
    run_wrk "$SERVER_BASE$(path_of "$PROFILE_CASE")?timeout=10s" "$WORK/$PROFILE_CASE.json" "$SECONDS_PER_RUN"
    local requests=$W_REQUESTS
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    [ -s "$data" ] || die "perf wrote no profile: $(tail -n 3 "$WORK/perf.log")"
    echo
    echo "kopia-webhook under perf ($PERF_CALLGRAPH call graphs): $SERVER_CMD; $requests $PROFILE_CASE reviews in ${SECONDS_PER_RUN}s on $CONNECTIONS connection(s)"
    echo
    echo "self cost by library and function, top 30 (% of the server's cycles):"
    perf_table "$data" 30 --no-children --sort dso,symbol --percent-limit 0.5
    echo
    echo "self cost by library:"
    perf_table "$data" 12 --no-children --sort dso
    echo
    echo "inclusive cost (self and callees), top 40:"
    perf_table "$data" 40 --children --sort dso,symbol --percent-limit 2
}

# The first N rows of a perf report table (FILE N perf-report-options...).
perf_table() {
    local data=$1 n=$2
    shift 2
    perf report -i "$data" --stdio -g none "$@" 2>/dev/null >"$WORK/perf.table" || true
    grep -E '^ +[0-9.]+%' "$WORK/perf.table" | sed -e 's/[ -]*$//' | head -n "$n" || true
}

profile_callgrind() {
    if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
        die "valgrind is missing (Debian: scripts/install-deps.sh profile)"
    fi
    local out=$WORK/callgrind.out timeout=$START_TIMEOUT
    SERVER_WRAPPER=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$out")
    START_TIMEOUT=$((START_TIMEOUT * 4))
    start_server
    START_TIMEOUT=$timeout
    check_answers kopia-webhook "$SERVER_BASE"
    callgrind_control -i on "$SERVER_PID" >/dev/null || die "callgrind_control could not reach the server"
    run_wrk "$SERVER_BASE$(path_of "$PROFILE_CASE")?timeout=10s" "$WORK/$PROFILE_CASE.json" "$SECONDS_PER_RUN"
    local requests=$W_REQUESTS
    callgrind_control -i off "$SERVER_PID" >/dev/null || true
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    SERVER_WRAPPER=()
    [ -s "$out" ] || die "callgrind wrote no profile"
    echo
    echo "kopia-webhook under callgrind: $SERVER_CMD; $requests $PROFILE_CASE reviews in ${SECONDS_PER_RUN}s on $CONNECTIONS connection(s)"
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
             table { print; if (++n == 25) exit }' || true
}

case "$MODE" in
memory) memory_mode ;;
profile) profile_mode ;;
*) perf_mode ;;
esac
