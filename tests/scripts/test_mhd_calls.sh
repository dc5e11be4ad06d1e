#!/usr/bin/env bash
# libmicrohttpd functions the server must not call, read from the symbols of
# the built server library:
# - MHD_quiesce_daemon: in libmicrohttpd 0.9.75 (and later releases), with a
#   thread pool under epoll, it races with the worker threads over the
#   listen socket's epoll registration and aborts the process ("Failed to
#   remove listen FD from epoll set") now and then when stopped under load;
#   the server refuses new connections through the accept policy instead
#   (server/http.c, kw_http_quiesce).
set -uo pipefail
lib=${KW_SERVER_LIB:?}
command -v nm >/dev/null || { echo "binutils not installed: skipped"; exit 77; }
calls=$(nm -u "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
fails=0
if grep -qx 'MHD_start_daemon' <<<"$calls"; then :; else
  echo "FAIL: the check finds no libmicrohttpd call at all (MHD_start_daemon)"; fails=$((fails + 1))
fi
for f in MHD_quiesce_daemon; do
  if grep -qx "$f" <<<"$calls"; then echo "FAIL: the server calls $f"; fails=$((fails + 1)); fi
done
echo "libmicrohttpd calls: $fails failed"
[ "$fails" -eq 0 ]
