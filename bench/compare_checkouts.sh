#!/usr/bin/env bash
# Whole-process W1/W2 MIPS (boot subtracted: 3M minus 0.3M iterations) and
# nested round trips of two checkouts of nestvm, run alternately so both see
# the same host load (e.g. a commit before a redesign and after it).
# Usage: bench/compare_checkouts.sh BASE_DIR NEW_DIR [rounds]
# NEW_DIR runs with --engine $ENGINE (default interp); BASE_DIR with --engine $BASE_ENGINE
# if that is set, else with its default (the block compiler since it became the default:
# set BASE_ENGINE=interp to compare interpreters).
# Needs `deno` on PATH. Take the median of each column yourself.
export NO_COLOR=1
base=$1; new=$2; rounds=${3:-5}
wall() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for r in $(seq 1 $rounds); do
  for tree in "$base" "$new"; do
    extra=(); [ -n "${BASE_ENGINE:-}" ] && extra=(--engine "$BASE_ENGINE")
    [ "$tree" = "$new" ] && extra=(--engine "${ENGINE:-interp}")
    for bits in 64 32; do
      t1=$(cd "$tree" && wall deno run -A cli.ts -kernel guests/build/bench$bits.elf -append iterations=300000 "${extra[@]}")
      t2=$(cd "$tree" && wall deno run -A cli.ts -kernel guests/build/bench$bits.elf -append iterations=3000000 "${extra[@]}")
      echo "$(basename $tree) W$([ $bits = 64 ] && echo 1 || echo 2) mips $(( 34 * 2700000 / ( (t2 - t1) * 1000 ) ))"
    done
    rt=$(cd "$tree" && NESTVM_ENGINE=${ENGINE:-interp} deno run -A bench/vmx_roundtrip_bench.ts 200000 2>&1 | grep -oE "[0-9,]+/s wall" | head -1)
    echo "$(basename $tree) roundtrip $rt"
  done
done
