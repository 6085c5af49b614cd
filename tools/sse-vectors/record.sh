#!/bin/sh
# Build record.c with gcc and regenerate tests/data/sse_vectors.txt on this CPU.
# Usage: tools/sse-vectors/record.sh [output] [vectors per op and mode]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/tests/data/sse_vectors.txt}
per=${2:-8}
bin=$(mktemp /tmp/sse-record.XXXXXX)
trap 'rm -f "$bin"' EXIT
# -masm=intel: ops.h is Intel syntax. -mno-red-zone: the asm pushes RFLAGS.
gcc -O1 -masm=intel -mno-red-zone -msse4.2 -Wall -Wextra -o "$bin" "$here/record.c"
mkdir -p "$(dirname "$out")"
"$bin" "$out" "$per"
