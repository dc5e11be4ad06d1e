#!/usr/bin/env bash
# Installs the Debian packages the build needs, only when one is missing.
# Usage: scripts/install-deps.sh [build|test|ci|fuzz|bench|profile|soak]...  (default: build)
# ci: what CI adds to the test tools (Go, to regenerate the quoting tables
# from strconv.Quote and compare them with the committed ones).
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail

declare -A need=(
  [build]="cmake make gcc pkg-config libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libyaml-dev libpcre2-dev"
  [test]="libcriterion-dev libcurl4-openssl-dev curl openssl valgrind python3 python3-yaml strace"
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
[ ${#missing[@]} -gt 0 ] || exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
