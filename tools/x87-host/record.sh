#!/bin/sh
# Build the x87 guest's workload for the host (same C, gcc -O2, x87 long double)
# and write its output to tests/data/x87_host_output.txt (or $1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/tests/data/x87_host_output.txt}
bin=$(mktemp /tmp/x87-host.XXXXXX)
trap 'rm -f "$bin"' EXIT
gcc -O2 -std=gnu11 -o "$bin" "$root/guests/src/x87/x87work.c" "$root/guests/src/x87/x87_host.c"
"$bin" > "$out"
