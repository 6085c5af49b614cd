#!/bin/sh
# Build record.c with gcc and regenerate tests/data/x87_vectors.txt.gz on this CPU.
# Usage: tools/x87-vectors/record.sh [output.gz]   (run from anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/tests/data/x87_vectors.txt.gz}
bin=$(mktemp /tmp/x87-record.XXXXXX)
trap 'rm -f "$bin"' EXIT
# -mno-red-zone: the asm pushes RFLAGS below the stack pointer.
gcc -O1 -mno-red-zone -Wall -Wextra -o "$bin" "$here/record.c"
mkdir -p "$(dirname "$out")"
"$bin" | gzip -9n > "$out"
