#!/usr/bin/env bash
# The core (library kwcore, validators/) is pure: no object in it keeps
# mutable global or thread-local state, and none calls I/O, clocks, the
# environment, randomness, threads or process exit. Read from the symbols of
# the built library, so a new fopen() or a `static int counter` fails here.
set -uo pipefail
lib=${KW_CORE_LIB:?}
command -v objdump >/dev/null && command -v nm >/dev/null || { echo "binutils not installed: skipped"; exit 77; }
fails=0 passes=0

# Objects (O) in writable sections; .data.rel.ro is read-only after start.
# AddressSanitizer adds a one-byte ODR-violation indicator (__odr_asan.NAME)
# for every global: the sanitizer's, not the program's.
state=$(objdump -t "$lib" | awk '$0 ~ / O / && $0 ~ /[ \t]\.(data|bss|tdata|tbss)([. \t]|$)/ && $0 !~ /\.data\.rel\.ro/ && $NF !~ /^__odr_asan[.]/')
if [ -n "$state" ]; then echo "FAIL: mutable state in the core:"; echo "$state"; fails=$((fails + 1)); else passes=$((passes + 1)); fi

forbidden='^(f?open|open64|openat|creat|f?read|f?write|fwrite|fread|fgets|fputs|puts|printf|fprintf|vfprintf|dprintf|perror|close|fclose|stat|fstat|lstat|mmap|socket|connect|accept|send|recv|time|clock|clock_gettime|gettimeofday|getenv|secure_getenv|setenv|rand|random|srand|srandom|getrandom|arc4random|exit|_exit|abort|atexit|pthread_.*|signal|sigaction|sleep|usleep|nanosleep|fork|system|popen|json_dumpf|json_dump_file|json_load_file|json_loadf|syslog)$'
calls=$(nm -u "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u | grep -E "$forbidden")
if [ -n "$calls" ]; then echo "FAIL: the core calls:"; echo "$calls"; fails=$((fails + 1)); else passes=$((passes + 1)); fi

# The check itself can fail: the server library does both.
srv=${KW_SERVER_LIB:-}
if [ -n "$srv" ]; then
  srv_calls=$(nm -u "$srv" | awk '{print $NF}' | sed 's/@.*//' | sort -u | grep -E "$forbidden")
  if [ -n "$srv_calls" ]; then passes=$((passes + 1)); else echo "FAIL: the symbol check finds nothing even in the server"; fails=$((fails + 1)); fi
fi

echo "core purity: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
