#!/usr/bin/env bash
# Every C source and header follows the repository's .clang-format
# (`make format` fixes it). Skipped where clang-format is not installed.
set -uo pipefail
src=${KW_SOURCE_DIR:?}
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
cd "$src" || exit 1
bad=0 good=0
for f in include/kw/*/*.h server/*.c validators/*/*.c validators/*/*.h tests/*/*.c tests/support/*.h fuzz/*.c; do
  if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    good=$((good + 1))
  else
    echo "not formatted: $f (run make format)"
    bad=$((bad + 1))
  fi
done
echo "format: $good passed, $bad failed"
[ "$bad" -eq 0 ]
