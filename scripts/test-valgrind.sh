#!/usr/bin/env bash
# Runs the unit tier (ctest label `unit`) and the fuzz seed-corpus replays
# (label `fuzz-corpus`) under valgrind's memcheck: any invalid access or leak
# fails. Integration tests run the server under valgrind instead when
# KW_SERVER_WRAPPER is set (see tests/support). Usage: scripts/test-valgrind.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
root=$(cd "$(dirname "$0")/.." && pwd)
export KW_SOURCE_DIR=$root KW_BINARY=$build/kopia-webhook CRITERION_NO_EARLY_EXIT=1
status=0

# The names of the tests with ctest label $1.
tests_labelled() {
  (cd "$build" && ctest -N -L "^$1\$") | sed -n 's/^ *Test *#[0-9]*: *\([^ ]*\).*$/\1/p'
}

# memcheck NAME COMMAND...: runs COMMAND under valgrind, reports NAME.
memcheck() {
  local name=$1 log
  shift
  log=$(mktemp)
  # criterion runs each test in a child process whose exit status valgrind
  # cannot pass back, so any valgrind report (quiet mode prints only
  # problems, prefixed ==PID==) counts as a failure.
  if valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
       --errors-for-leak-kinds=definite,indirect --trace-children=yes \
       --trace-children-skip='*/kopia-webhook,/usr/bin/*,/bin/*' \
       "$@" >"$log" 2>&1 && ! grep -qE '^==[0-9]+== ' "$log"; then
    echo "valgrind: $name ok"
  else
    echo "valgrind: $name FAILED"; tail -n 80 "$log"; status=1
  fi
  rm -f "$log"
}

for name in $(tests_labelled unit); do
  memcheck "$name" "$build/tests/$name" --jobs 1
done
for name in $(tests_labelled fuzz-corpus); do
  memcheck "$name" "$build/fuzz/$name" "$root/fuzz/corpus/${name#replay_}"
done

# The integration tests start the real server; run it under valgrind (the
# tests stretch their time bounds and require exit status 0, which valgrind
# turns into 99 on any error or leak).
echo "valgrind: integration tests with the server under valgrind"
if ! (cd "$build" && KW_SERVER_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect" \
      ctest -L '^integration$' --output-on-failure); then
  status=1
fi
exit $status
