#!/usr/bin/env bash
# The soak (`make soak`): bench/soak.py's bounded mixed load against
# `BINARY serve`, then its memory samples (OUTDIR/soak.csv) plotted to
# OUTDIR/soak.png with gnuplot. Exit status: soak.py's (1 when the server died,
# a valid review was answered wrongly, or peak RSS passed the limit), or 1 when
# the plot could not be made.
# Usage: bench/soak.sh BINARY [OUTDIR]   (OUTDIR defaults to bench/)
# Environment: SOAK_SECONDS [180], SOAK_LIMIT_MIB [128], SOAK_SLOWLORIS [20],
# SOAK_IDLE [300], SOAK_SAMPLE_MS [250], SOAK_SETTLE [5], SOAK_SERVER_ARGS [""],
# SOAK_SKIP [""] (classes to leave out, e.g. amplify,huge), SOAK_PLOT [1] (0: no
# PNG, no gnuplot needed).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: bench/soak.sh BINARY [OUTDIR]" >&2; exit 2; }
bin=$1
out=${2:-$here}
mkdir -p "$out"

python3 "$here/soak.py" "$bin" "$out"
rc=$?

if [ "${SOAK_PLOT:-1}" = 1 ]; then
    command -v gnuplot >/dev/null || { echo "soak: gnuplot missing (scripts/install-deps.sh soak)" >&2; exit 1; }
    limit=${SOAK_LIMIT_MIB:-128}
    gnuplot <<GP || { echo "soak: gnuplot failed" >&2; exit 1; }
set terminal png size 1200,600
set output "$out/soak.png"
set datafile separator ","
set key outside bottom center horizontal
set title "kopia-webhook soak: resident memory under a mixed load (limit ${limit} MiB)"
set xlabel "seconds"
set ylabel "MiB"
set y2label "open connections"
set ytics nomirror
set y2tics
set grid
set yrange [0:*]
set y2range [0:*]
plot "$out/soak.csv" using 1:(\$2/1024) with lines lw 2 title "VmRSS", \
     "" using 1:(\$3/1024) with lines dt 2 title "VmHWM (peak)", \
     ${limit} with lines lc rgb "red" title "memory limit", \
     "" using 1:4 axes x1y2 with lines lc rgb "gray" title "open connections"
GP
    echo "plot: $out/soak.png"
fi
exit $rc
