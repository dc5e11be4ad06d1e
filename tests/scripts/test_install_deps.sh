#!/usr/bin/env bash
# scripts/install-deps.sh against fake apt-get/dpkg-query/sudo on PATH: it
# waits for another apt process's lock (bounded by APT_LOCK_WAIT), fails at
# once with apt's message on any other error, and does nothing when every
# package is installed.
set -uo pipefail
src=${KW_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
expect() { # name, wanted status, actual status
  if [ "$2" -eq "$3" ]; then passes=$((passes + 1)); else echo "FAIL: $1: exit $3, want $2"; cat "$tmp/err"; fails=$((fails + 1)); fi
}
contains() { # name, file, text
  if grep -qF -- "$3" "$2"; then passes=$((passes + 1)); else echo "FAIL: $1: no '$3' in:"; cat "$2"; fails=$((fails + 1)); fi
}

mkdir "$tmp/bin"
# dpkg-query: every package missing unless FAKE_INSTALLED=1.
cat >"$tmp/bin/dpkg-query" <<'SH'
#!/bin/sh
[ "${FAKE_INSTALLED:-0}" = 1 ] && printf 'install ok installed'
exit 0
SH
# apt-get: records each call; fails with the lock message while the count of
# calls is below FAKE_LOCKED_CALLS, or with another error when FAKE_BROKEN=1.
cat >"$tmp/bin/apt-get" <<'SH'
#!/bin/sh
echo "$*" >>"$FAKE_LOG"
n=$(wc -l <"$FAKE_LOG")
if [ "${FAKE_BROKEN:-0}" = 1 ]; then echo "E: Unable to locate package frob" >&2; exit 100; fi
if [ "$n" -le "${FAKE_LOCKED_CALLS:-0}" ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)" >&2
  exit 100
fi
exit 0
SH
printf '#!/bin/sh\nexec "$@"\n' >"$tmp/bin/sudo"
chmod +x "$tmp/bin"/*
run() { PATH="$tmp/bin:$PATH" FAKE_LOG="$tmp/log" APT_LOCK_POLL=0.1 "$src/scripts/install-deps.sh" build 2>"$tmp/err"; }

# Held for the first three calls: waits, then installs.
: >"$tmp/log"; FAKE_LOCKED_CALLS=3 APT_LOCK_WAIT=30 run; expect lock-released 0 $?
contains lock-released "$tmp/err" "waiting for another apt/dpkg process to finish"
contains lock-released-installs "$tmp/log" "install -y"
[ "$(grep -c . "$tmp/log")" -eq 5 ] && passes=$((passes + 1)) || { echo "FAIL: lock-released: calls:"; cat "$tmp/log"; fails=$((fails + 1)); }

# Held for ever: gives up after APT_LOCK_WAIT, says why.
: >"$tmp/log"; start=$(date +%s)
FAKE_LOCKED_CALLS=100000 APT_LOCK_WAIT=1 run; expect lock-held 1 $?
contains lock-held "$tmp/err" "still holds its lock after 1s"
contains lock-held-apt-message "$tmp/err" "Could not get lock"
[ $(($(date +%s) - start)) -le 4 ] && passes=$((passes + 1)) || { echo "FAIL: lock-held: not bounded"; fails=$((fails + 1)); }

# Any other failure: at once, apt's own message, no retry.
: >"$tmp/log"; FAKE_BROKEN=1 APT_LOCK_WAIT=30 run; expect broken 1 $?
contains broken "$tmp/err" "Unable to locate package frob"
[ "$(grep -c . "$tmp/log")" -eq 1 ] && passes=$((passes + 1)) || { echo "FAIL: broken: retried"; fails=$((fails + 1)); }

# Nothing missing: apt-get is not run at all.
: >"$tmp/log"; FAKE_INSTALLED=1 run; expect nothing-missing 0 $?
[ ! -s "$tmp/log" ] && passes=$((passes + 1)) || { echo "FAIL: nothing-missing: apt-get ran"; fails=$((fails + 1)); }

echo "test_install_deps: $passes passed, $fails failed"
[ $fails = 0 ]
