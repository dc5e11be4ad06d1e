#!/usr/bin/env bash
# Installs the Debian packages the build needs, only when one is missing.
# Usage: scripts/install-deps.sh [build|test|ci|fuzz|bench|profile|soak]...  (default: build)
# ci: what CI adds to the test tools (Go, to regenerate the quoting tables
# from strconv.Quote and compare them with the committed ones).
# Commands the tests need that a machine may have from elsewhere than a
# Debian package of that name (node and npm from NodeSource, say) are
# looked up by command; Debian's packages are installed only when missing.
# Runs apt-get as root, or through sudo when not root. When another apt or
# dpkg process holds its lock (unattended-upgrades on a fresh machine), waits
# for it, at most APT_LOCK_WAIT seconds (default 300, polled every
# APT_LOCK_POLL seconds), then fails saying so.
set -euo pipefail

declare -A need=(
  [build]="cmake make gcc pkg-config libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libyaml-dev libpcre2-dev"
  [test]="libcriterion-dev libcurl4-openssl-dev curl openssl valgrind python3 python3-yaml python3-jsonschema libxml2-utils strace man-db bsdextrautils"
  [ci]="golang-go"
  [fuzz]="clang libclang-rt-dev"
  [bench]="wrk nginx-light python3"
  [profile]="linux-perf valgrind"
  [soak]="python3 gnuplot-nox"
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build)

missing=()
for g in "${groups[@]}"; do
  [ -n "${need[$g]:-}" ] || { echo "install-deps: unknown group '$g'" >&2; exit 2; }
  for p in ${need[$g]}; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
done
# test: the offline schema check of the manifests runs on Node.js.
declare -A need_command=(
  [test]="node:nodejs npm:npm"
)
for g in "${groups[@]}"; do
  for pair in ${need_command[$g]:-}; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
wait_max=${APT_LOCK_WAIT:-300}
poll=${APT_LOCK_POLL:-5}
deadline=$(($(date +%s) + wait_max))

# apt_get ARGS...: apt-get, retried every $poll seconds while it reports a
# lock held by another process, until $wait_max seconds after the first try.
apt_get() {
  local err told=
  err=$(mktemp)
  while :; do
    if $SUDO apt-get "$@" 2>"$err"; then
      rm -f "$err"
      return 0
    fi
    if ! grep -qE 'Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock' "$err"; then
      cat "$err" >&2
      rm -f "$err"
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      cat "$err" >&2
      echo "install-deps: another apt/dpkg process still holds its lock after ${wait_max}s (APT_LOCK_WAIT); run again when it has finished" >&2
      rm -f "$err"
      return 1
    fi
    [ -n "$told" ] || echo "install-deps: waiting for another apt/dpkg process to finish (at most ${wait_max}s)" >&2
    told=1
    sleep "$poll"
  done
}

apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
