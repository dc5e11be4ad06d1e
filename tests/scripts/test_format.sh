#!/usr/bin/env bash
# Every C source and header follows the repository's .clang-format
# (`make format` fixes it). Skipped where clang-format is not installed.
# One clang-format run checks every file; the files it reports are listed.
set -uo pipefail
src=${KW_SOURCE_DIR:?}
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
cd "$src" || exit 1
files=(include/kw/*/*.h server/*.c validators/*/*.c validators/*/*.h tests/*/*.c tests/support/*.h fuzz/*.c)
# --dry-run -Werror reports each violation as "FILE:LINE:COL: error: ...".
report=$(clang-format --dry-run -Werror "${files[@]}" 2>&1 >/dev/null)
rc=$?
declare -A bad_files=()
while IFS= read -r f; do
  bad_files[$f]=1
done < <(sed -n 's/^\(.*\):[0-9][0-9]*:[0-9][0-9]*: error: .*/\1/p' <<<"$report")
bad=0 good=0
for f in "${files[@]}"; do
  if [ -n "${bad_files[$f]:-}" ]; then
    echo "not formatted: $f (run make format)"
    bad=$((bad + 1))
  else
    good=$((good + 1))
  fi
done
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
  echo "clang-format failed (exit $rc):"
  echo "$report" | head -n 20
  bad=1
fi
echo "format: $good passed, $bad failed"
[ "$bad" -eq 0 ]
