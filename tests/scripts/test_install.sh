#!/usr/bin/env bash
# `make install` (cmake --install of the build under test) into a scratch
# prefix: what it puts where, and that the installed binary runs.
set -uo pipefail
bin=${KW_BINARY:?}
build=$(dirname "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cmake --install "$build" --prefix "$tmp/usr" >"$tmp/log" 2>&1 || { fail "cmake --install"; cat "$tmp/log"; }
[ -x "$tmp/usr/bin/kopia-webhook" ] && ok || fail "no bin/kopia-webhook"
"$tmp/usr/bin/kopia-webhook" version >"$tmp/out" 2>&1 && grep -q '^kopia-webhook ' "$tmp/out" && ok ||
  { fail "the installed binary does not run"; cat "$tmp/out"; }
# Exactly what ships: no test or benchmark binaries.
installed=$(cd "$tmp/usr" && find . -type f | sed 's|^\./||' | sort)
expected="bin/kopia-webhook"
[ "$installed" = "$expected" ] && ok || fail "installed: $installed; want: $expected"

echo "test_install: $passes passed, $fails failed"
[ $fails = 0 ]
