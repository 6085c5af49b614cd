#!/bin/sh
# Build the fp64 guest's workload for the host (same C, gcc -O2 -fno-math-errno, SSE2)
# and write its output to tests/data/fp_host_output.txt (or $1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/tests/data/fp_host_output.txt}
bin=$(mktemp /tmp/fp-host.XXXXXX)
trap 'rm -f "$bin"' EXIT
gcc -O2 -std=gnu11 -fno-math-errno -o "$bin" "$root/guests/src/fp/fpwork.c" "$root/guests/src/fp/fp_host.c"
"$bin" > "$out"
