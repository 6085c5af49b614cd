#!/bin/sh
# F2XM1 study: the refit of the second coefficient set (2^-7 <= |x| < 2^-5; fitted out to 1) and the
# search for the third (2^-5 <= |x| < 1, unfused steps)
# (tools/x87-transc/README.md, section "F2XM1 over the whole domain"). The same data, seeds,
# bands and order as the committed fit; the LP round counts differed a little in places (the
# README lists them), so the last digits of the result may differ from f2xm1_wide_coefs.txt.
# Needs /tmp/f2xm1_tiny (gcc -O2 -mno-red-zone -o /tmp/f2xm1_tiny tools/x87-transc/f2xm1_tiny.c),
# /tmp/x87probe (probe.c), python3 with numpy and scipy. Takes about 20 minutes; run it niced.
# Usage: tools/x87-transc/f2xm1_wide.sh WORKDIR
set -eu
t=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" && cd "$1"
J="python3 $t/f2xm1_joint.py"
S="python3 $t/f2xm1_slice.py"
# fit data: 10,000 random x per sign and exponent -7 ... -1 (seeds 200E0/200E1, E = -exponent)
for E in 7 6 5 4 3 2 1; do for s in 0 1; do
  /tmp/f2xm1_tiny raw $((20000 + E * 10 + s)) 10000 1 2 -$E $s > f_-${E}_$s.txt
done; done
$S 0 0.0234 f_-6_* > l6.txt
# stepping out: each band fitted with all the earlier ones, started from the previous result
set -- "0.0234 0.0255 f_-6" "0.0255 0.03125 f_-6" "0.03125 0.045 f_-5" "0.045 0.0625 f_-5" \
  "0.0625 0.08 f_-4" "0.08 0.125 f_-4" "0.125 0.17 f_-3" "0.17 0.25 f_-3" "0.25 0.32 f_-2" \
  "0.32 0.4 f_-2" "0.4 0.5 f_-2" "0.5 0.6 f_-1" "0.6 0.75 f_-1" "0.75 1 f_-1"
# G0LOG (the LP's g scale) per step, as run
g0="14 14 14 14 14 14 6 4 3 2 2 1 1 0"
prev=$t/f2xm1_coefs.txt
# the first step: |x| < 0.0234 (f_-7 and the lower part of f_-6), from the first set
ITERS=8 $J "$prev" e0.txt f_-7_* l6.txt
prev=e0.txt
data="f_-7_0.txt f_-7_1.txt l6.txt"
i=1
for step in "$@"; do
  set -- $step
  $S "$1" "$2" "$3"_0.txt "$3"_1.txt > s$i.txt
  data="$data s$i.txt"
  G=$(echo $g0 | cut -d' ' -f$i)
  G0LOG=$G RAND_AT=99 ITERS=4 $J "$prev" e$i.txt $data
  prev=e$i.txt
  i=$((i + 1))
done
# more data at exponents -3 ... -1 and near-midpoint cases, then Q3 = 2^-20 held fixed
for E in 3 2 1; do for s in 0 1; do
  /tmp/f2xm1_tiny raw $((30000 + E * 10 + s)) 10000 1 2 -$E $s > g_-${E}_$s.txt
done; done
sed 's/^Q \(\S*\) \(\S*\) .*/Q \1 \2 0.00000095367431640625/' "$prev" > q.txt
for E in 1 2 3; do
  python3 $t/f2xm1_target.py "$prev" $((0x9a0 + E)) 2000 -$E 0.003 > t_-$E.in
  /tmp/x87probe < t_-$E.in > t_-$E.out
  paste -d' ' t_-$E.in t_-$E.out | python3 $t/f2xm1_target.py --raw > t_-$E.txt
done
G0LOG=0 FIXQ3=1 RAND_AT=99 ITERS=5 $J q.txt e15.txt f_-*.txt g_-*.txt
for E in 4 5 6; do
  python3 $t/f2xm1_target.py e15.txt $((0x9b0 + E)) 1500 -$E 0.003 > t_-$E.in
  /tmp/x87probe < t_-$E.in > t_-$E.out
  paste -d' ' t_-$E.in t_-$E.out | python3 $t/f2xm1_target.py --raw > t_-$E.txt
done
G0LOG=0 FIXQ3=1 RAND_AT=99 ITERS=5 $J e15.txt joint.txt f_-*.txt g_-*.txt t_-*.txt
# last: coordinate search on the exact miss count (prints the 68-bit hex coefficients)
gcc -O2 -o f2xm1_eval "$t/f2xm1_eval.c" -lgmp -lm
STEP=0.05 python3 "$t/f2xm1_search.py" joint.txt final.txt f_-*.txt g_-*.txt t_-*.txt
cat final.txt
# the third set (2^-5 ... 1): the same search with unfused Horner steps, from the second set (its
# decimal form, f2xm1_wide_coefs.txt), with near-midpoint cases at 2^-1 and 2^-2 chosen against it
for E in 1 2; do
  python3 $t/f2xm1_target.py $t/f2xm1_wide_coefs.txt $((0xd00 + E)) 4000 -$E 0.003 > n_-$E.in
  /tmp/x87probe < n_-$E.in > n_-$E.out
  paste -d' ' n_-$E.in n_-$E.out | python3 $t/f2xm1_target.py --raw > n_-$E.txt
done
VARIANT=2 STEP=0.05 python3 "$t/f2xm1_search.py" $t/f2xm1_wide_coefs.txt top.txt f_-*.txt g_-*.txt \
  t_-*.txt n_-1.txt n_-2.txt
cat top.txt
