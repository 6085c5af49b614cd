#!/bin/sh
# Regenerate cpu/sse/rcp_table.ts from this host's RCPSS/RSQRTSS (takes a minute).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(mktemp /tmp/rcp-table.XXXXXX)
trap 'rm -f "$bin"' EXIT
gcc -O2 -msse2 -Wall -Wextra -o "$bin" "$here/rcp_table.c"
"$bin" > "$root/cpu/sse/rcp_table.ts"
