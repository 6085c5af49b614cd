#!/bin/sh
# Build record.c with gcc and regenerate tests/data/alu_vectors.txt on this CPU.
# Usage: tools/alu-vectors/record.sh [output]   (run from anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/tests/data/alu_vectors.txt}
bin=$(mktemp /tmp/alu-record.XXXXXX)
trap 'rm -f "$bin"' EXIT
# -no-pie: the 32-bit (compatibility mode) thunk for DAA/AAA/... needs the
# code and its stack below 4 GiB. -mno-red-zone: the asm pushes RFLAGS.
gcc -O1 -no-pie -mno-red-zone -Wall -Wextra -o "$bin" "$here/record.c"
mkdir -p "$(dirname "$out")"
"$bin" "$out"
