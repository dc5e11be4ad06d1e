#!/usr/bin/env bash
# The include rule between layers (cmake/check-layers.cmake): the real tree
# passes, and copies of it with one forbidden include each fail with a
# message naming the file: a lower layer reaching up, the core reaching into
# the server, a header outside any layer, a layer folder without its README.
set -uo pipefail
src=${KW_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
check() { cmake -DROOT="$1" -P "$src/cmake/check-layers.cmake" >"$tmp/out" 2>&1; }
pass() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; cat "$tmp/out"; fails=$((fails + 1)); }

if check "$src"; then pass; else fail "the repository's tree breaks the rule"; fi

# A copy of the layered part of the tree, changed one way per case.
fresh() {
  rm -rf "$tmp/tree"; mkdir -p "$tmp/tree"
  cp -r "$src/validators" "$src/server" "$tmp/tree/"
  mkdir -p "$tmp/tree/include"; cp -r "$src/include/kw" "$tmp/tree/include/"
}
expect_violation() { # case name, text the report must contain
  if check "$tmp/tree"; then fail "$1: accepted"
  elif grep -qF -- "$2" "$tmp/out"; then pass
  else fail "$1: report does not name '$2'"; fi
}

fresh; sed -i '0,/#include "kw\//s||#include "kw/admission/core.h"\n#include "kw/|' "$tmp/tree/validators/json/patch.c"
expect_violation "json reaches up to admission" 'validators/json/patch.c: includes "kw/admission/core.h"'

fresh; echo '#include "kw/server/log.h"' >>"$tmp/tree/include/kw/kopia/config.h"
expect_violation "core header includes a server header" 'include/kw/kopia/config.h: includes "kw/server/log.h"'

fresh; echo '#include "kw/decision/result.h"' >>"$tmp/tree/validators/formats/cron.c"
expect_violation "formats includes decision" "layer 'formats' may include only"

fresh; echo '#include "../kopia/validate.c"' >>"$tmp/tree/validators/base/kinds.c"
expect_violation "relative include across folders" 'includes "../kopia/validate.c", which is neither'

fresh; echo '/* x */' >"$tmp/tree/validators/stray.c"
expect_violation "source outside a layer" "validators/stray.c: not inside a layer folder"

fresh; mkdir "$tmp/tree/validators/extra"; echo '/* x */' >"$tmp/tree/validators/extra/x.c"
expect_violation "layer folder without README" "folder 'extra' is not a layer"

# Allowed: the server includes every core layer.
fresh; echo '#include "kw/base/kinds.h"' >>"$tmp/tree/server/log.c"
if check "$tmp/tree"; then pass; else fail "server including base was refused"; fi

echo "layers: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
