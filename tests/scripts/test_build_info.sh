#!/usr/bin/env bash
# What `kopia-webhook version` prints and where it comes from
# (cmake/build-info.cmake): the commit of HEAD with -dirty for a changed tree,
# the build date from SOURCE_DATE_EPOCH or else the commit date (never the
# clock), "unknown" outside a git checkout; the header is rewritten only when
# its text changes.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
script=$src/cmake/build-info.cmake
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }
info() { # root, header -> runs the script
  cmake -DROOT="$1" -DOUT="$2" -P "$script" >/dev/null
}
has() { # name, file, text
  grep -qF -- "$3" "$2" && pass || { fail "$1: no '$3' in:"; cat "$2"; }
}

# The binary: the three facts, as text and as JSON.
"$bin" version >"$tmp/out"; [ $? -eq 0 ] && pass || fail "version: not exit 0"
grep -qE '^kopia-webhook [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,}(-dirty)?|unknown), built ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z|unknown)\)$' "$tmp/out" &&
  pass || { fail "version: unexpected line:"; cat "$tmp/out"; }
"$bin" version --output json >"$tmp/json"; [ $? -eq 0 ] && pass || fail "version --output json: not exit 0"
if command -v python3 >/dev/null; then
  python3 - "$tmp/json" "$tmp/out" <<'PY' && pass || fail "version --output json does not match the text"
import json, sys
doc = json.load(open(sys.argv[1]))
line = open(sys.argv[2]).read().strip()
assert list(doc) == ["version", "commit", "buildDate"], doc
assert line == f"kopia-webhook {doc['version']} (commit {doc['commit']}, built {doc['buildDate']})", line
PY
fi
"$bin" version --output yaml >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && pass || fail "version --output yaml: not exit 2"
if command -v git >/dev/null && git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1; then
  head=$(git -C "$src" rev-parse --short HEAD)
  has version-commit "$tmp/out" "(commit $head"
fi

command -v git >/dev/null || { echo "git missing: the script's own checks skipped"; echo "build info: $passes passed, $fails failed"; [ "$fails" -eq 0 ]; exit; }

# A repository with a known commit date.
repo=$tmp/repo
mkdir -p "$repo/sub"
git -C "$repo" init -q
echo a >"$repo/file"
git -C "$repo" add file
GIT_COMMITTER_DATE='2001-02-03T04:05:06Z' GIT_AUTHOR_DATE='2001-02-03T04:05:06Z' \
  git -C "$repo" -c user.name=t -c user.email=t@t commit -qm one
hash=$(git -C "$repo" rev-parse --short HEAD)

unset SOURCE_DATE_EPOCH
info "$repo" "$tmp/h1"
has clean-commit "$tmp/h1" "#define KW_GIT_COMMIT \"$hash\""
has commit-date "$tmp/h1" '#define KW_BUILD_DATE "2001-02-03T04:05:06Z"'

# SOURCE_DATE_EPOCH wins over the commit date.
SOURCE_DATE_EPOCH=86400 info "$repo" "$tmp/h2"
has source-date-epoch "$tmp/h2" '#define KW_BUILD_DATE "1970-01-02T00:00:00Z"'

# A changed tracked file makes the commit -dirty; an untracked one does not.
echo new >"$repo/untracked"
info "$repo" "$tmp/h3"
has untracked-not-dirty "$tmp/h3" "#define KW_GIT_COMMIT \"$hash\""
echo b >"$repo/file"
info "$repo" "$tmp/h4"
has dirty "$tmp/h4" "#define KW_GIT_COMMIT \"$hash-dirty\""

# Not a checkout (a tarball), also when unpacked inside another checkout.
mkdir "$tmp/tarball"
info "$tmp/tarball" "$tmp/h5"
has tarball-commit "$tmp/h5" '#define KW_GIT_COMMIT "unknown"'
has tarball-date "$tmp/h5" '#define KW_BUILD_DATE "unknown"'
info "$repo/sub" "$tmp/h6"
has nested-tarball "$tmp/h6" '#define KW_GIT_COMMIT "unknown"'
SOURCE_DATE_EPOCH=0 info "$tmp/tarball" "$tmp/h7"
has tarball-source-date-epoch "$tmp/h7" '#define KW_BUILD_DATE "1970-01-01T00:00:00Z"'

# An unchanged header is not rewritten (nothing recompiles).
touch -d '2000-01-01' "$tmp/h5"
info "$tmp/tarball" "$tmp/h5"
[ "$(stat -c %Y "$tmp/h5")" = "$(date -d 2000-01-01 +%s)" ] && pass || fail "an unchanged header was rewritten"

echo "build info: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
