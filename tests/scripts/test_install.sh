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
expected=$(printf '%s\n' bin/kopia-webhook share/bash-completion/completions/kopia-webhook \
  share/man/man1/kopia-webhook.1 | sort)
[ "$installed" = "$expected" ] && ok || fail "installed: $installed; want: $expected"

# The man page renders, holds every command's help, and the completion is
# the binary's own.
man_text=$(MANWIDTH=100 man -l "$tmp/usr/share/man/man1/kopia-webhook.1" 2>"$tmp/man.err" | col -b)
[ -n "$man_text" ] && [ ! -s "$tmp/man.err" ] && ok || { fail "man -l: $(cat "$tmp/man.err")"; }
for command in serve check review gen-certs version completion; do
  grep -q "kopia-webhook $command" <<<"$man_text" && ok || fail "the man page has no section for $command"
done
for flag in --tls-cert --operator-version --mutate --force --output; do
  grep -q -- "$flag" <<<"$man_text" && ok || fail "the man page lacks $flag"
done
"$tmp/usr/bin/kopia-webhook" completion bash | cmp -s - "$tmp/usr/share/bash-completion/completions/kopia-webhook" &&
  ok || fail "the installed completion is not the binary's"

echo "test_install: $passes passed, $fails failed"
[ $fails = 0 ]
