#!/usr/bin/env bash
# docs/cli.md and the commands' --help cannot drift apart: every flag a
# command's --help lists is in that command's section of docs/cli.md, and
# the synopsis (the help's first line) is there too. Also: --help, -h and
# `help <command>` print the same text on stdout with exit status 0.
set -uo pipefail
bin=${KW_BINARY:?}
doc=${KW_SOURCE_DIR:?}/docs/cli.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }

for cmd in serve check review gen-certs version completion; do
  "$bin" "$cmd" --help >"$tmp/help" 2>"$tmp/err"; rc=$?
  [ $rc -eq 0 ] && pass || fail "$cmd --help: exit $rc"
  [ -s "$tmp/help" ] && [ ! -s "$tmp/err" ] && pass || fail "$cmd --help: not on stdout alone"
  "$bin" "$cmd" -h >"$tmp/h" 2>&1 && cmp -s "$tmp/help" "$tmp/h" && pass || fail "$cmd -h differs from --help"
  "$bin" help "$cmd" >"$tmp/h" 2>&1 && cmp -s "$tmp/help" "$tmp/h" && pass || fail "help $cmd differs from $cmd --help"
  for part in "usage:" "exit status:" "example"; do
    grep -q "^$part" "$tmp/help" && pass || fail "$cmd --help has no '$part' part"
  done
  # The command's section: from its heading to the next one.
  sed -n "/^## kopia-webhook $cmd\$/,/^## /p" "$doc" >"$tmp/section"
  [ -s "$tmp/section" ] && pass || fail "docs/cli.md has no section '## kopia-webhook $cmd'"
  # The synopsis, without "usage: ", as written in the help.
  synopsis=$(head -1 "$tmp/help" | sed 's/^usage: //')
  grep -qF -- "$synopsis" "$tmp/section" && pass || fail "$cmd: synopsis '$synopsis' not in docs/cli.md"
  # The flags: every -x / --xyz on the help's flag lines (those that start
  # with blanks and a dash).
  flags=$(grep -E '^ +-' "$tmp/help" | grep -oE -- '(^| )--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ' | sort -u)
  [ -n "$flags" ] && pass || fail "$cmd --help lists no flags"
  for f in $flags; do
    grep -qE -- "\`$f[\` ]" "$tmp/section" && pass || fail "$cmd: flag $f is not in its section of docs/cli.md"
  done
done

# The usage of the binary, and its errors.
"$bin" help >"$tmp/out" 2>&1; [ $? -eq 0 ] && pass || fail "help: not exit 0"
grep -q "^  check " "$tmp/out" && pass || fail "help lists no commands"
"$bin" help frobnicate >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && pass || fail "help frobnicate: not exit 2"
grep -qF "unknown command 'frobnicate'" "$tmp/err" && pass || fail "help frobnicate: no reason"
for cmd in check review gen-certs version serve; do
  "$bin" "$cmd" --frobnicate >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc -eq 2 ] && pass || fail "$cmd --frobnicate: exit $rc, want 2"
  grep -qF "unknown flag '--frobnicate'" "$tmp/err" && grep -q "^usage: kopia-webhook $cmd" "$tmp/err" &&
    pass || fail "$cmd --frobnicate: no reason and usage on stderr"
  [ ! -s "$tmp/out" ] && pass || fail "$cmd --frobnicate: wrote to stdout"
done

echo "cli docs: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
