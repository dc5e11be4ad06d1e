#!/usr/bin/env bash
# The quoting tables are Go's own: tests/fixtures/quote/gen.go, run with the
# installed Go, writes the same validators/decision/printable.c,
# tests/fixtures/quote/go-quote.tsv and go-runes.txt as are committed (only
# the line naming the Go release may differ). Skipped without Go, and when
# the installed Go has another Unicode version than the committed tables
# (then regenerate: go run tests/fixtures/quote/gen.go -root .).
set -uo pipefail
src=${KW_SOURCE_DIR:?}
command -v go >/dev/null || { echo "go not installed: skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export GOCACHE=${GOCACHE:-$tmp/gocache} GO111MODULE=off
(cd "$src" && go run tests/fixtures/quote/gen.go -root "$tmp") || { echo "FAIL: gen.go did not run"; exit 1; }

unicode_of() { grep -o -m1 'Unicode [0-9.]*' "$1"; }
have=$(unicode_of "$src/tests/fixtures/quote/go-runes.txt")
fresh=$(unicode_of "$tmp/tests/fixtures/quote/go-runes.txt")
if [ "$have" != "$fresh" ]; then
  echo "the committed tables are from $have, the installed $(go version | cut -d' ' -f3) has $fresh: skipped"
  echo "(regenerate with: go run tests/fixtures/quote/gen.go -root .)"
  exit 77
fi

fails=0 passes=0
for f in validators/decision/printable.c tests/fixtures/quote/go-quote.tsv tests/fixtures/quote/go-runes.txt; do
  if diff -u -I 'go[0-9][0-9.a-z]*, Unicode' "$src/$f" "$tmp/$f" >"$tmp/diff"; then
    passes=$((passes + 1))
  else
    echo "FAIL: $f differs from what gen.go writes:"
    head -40 "$tmp/diff"
    fails=$((fails + 1))
  fi
done
echo "quote tables from Go: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
