#!/usr/bin/env bash
# Whole-process wall time of the Debian L1 boot (the kernel and initramfs that
# `deno task linux --pvh` built in guests/linux/cache/build) under two or more
# checkouts of nestvm, run alternately so that each sees the same host load.
# Prints one line per run: tree, wall ms, user CPU s, instructions per region
# call. Take the medians yourself. Needs `deno` on PATH and GNU time.
# Usage: bench/linux_boot_ab.sh TREE_A TREE_B [...]   (ROUNDS=5 by default)
set -uo pipefail
export NO_COLOR=1
kernel=guests/linux/cache/build/vmlinux-6.1.0-50
initrd=guests/linux/cache/build/initramfs-6.1.0-50.cpio
for r in $(seq 1 "${ROUNDS:-5}"); do
  for tree in "$@"; do
    cd "$tree" || exit 1
    s=$(date +%s%N)
    out=$({ /usr/bin/time -f "user %U" deno run -A cli.ts -kernel "$kernel" -initrd "$initrd" \
      -append "console=ttyS0 panic=-1" -m 512 -cpu max -serial stdio -no-reboot \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 --stats; } 2>&1)
    e=$(date +%s%N)
    echo "$(basename "$tree") round $r wall $(((e - s) / 1000000)) ms" \
      "$(echo "$out" | grep -oE 'user [0-9.]+') s" \
      "$(echo "$out" | grep -oE '[0-9.]+ per call') load $(cut -d' ' -f1 /proc/loadavg)"
    cd - >/dev/null || exit 1
  done
done
