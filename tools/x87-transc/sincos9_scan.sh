#!/bin/sh
# FSIN / FCOS round 9 (README "FSIN, FCOS: round 9"): judge candidate sets at one Horner level.
# For each candidate, `sincos7_eval bounds` (WIDE=1) of every probe set at level LEVEL (s3, s4),
# then sincos7_lp.py: least total violation (--l1) and the max-margin fit; also the operands the
# unrefitted candidate misses. Two kinds of candidates:
#   move: coefficient J of BASE moved by F cells (fractional allowed, sincos9_move.py)
#   var:  BASE with an evaluation switch line "V SWITCH" (sincos7_eval's sp/ss/cp/cs/gib/...;
#         "base" for none)
# Run in a work directory holding SET_in.txt / SET_out.txt probe files:
#   sincos9_scan.sh move sin|cos LEVEL DEG FIXOPT BASE J SET... -- F1 F2 ...
#   sincos9_scan.sh var  sin|cos LEVEL DEG FIXOPT BASE SET... -- SWITCH1 SWITCH2 ...
# DEG and FIXOPT as for sincos7_lp.py (FSIN at A3: 5 --fix3; FCOS at A4: 6 --fix4; at A5, round 10:
# FCOS 6 --fix5, FSIN 5 --fix5 with XO="--s5scale 1048576"); env XO adds
# options (FSIN at A4: XO="--s4scale 8192"); env EV = the evaluator (/tmp/sincos7_eval).
# Example (FSIN, s3 moved by -1 .. 2 cells, A3 level, fit sets S2 SH6):
#   sincos9_scan.sh move sin s3 5 --fix3 tools/x87-transc/sincos8_coef.txt 3 S2 SH6 -- -1 0 1 2
set -eu
T=$(cd "$(dirname "$0")" && pwd)
E=${EV:-/tmp/sincos7_eval}
what=$1 kind=$2 lev=$3 deg=$4 fix=$5 base=$6
shift 6
j=
if [ "$what" = move ]; then j=$1; shift; fi
sets=""
while [ "$1" != "--" ]; do sets="$sets $1"; shift; done
shift
for v in "$@"; do
  if [ "$what" = move ]; then
    cf=cand_${kind}_${j}_$v.txt
    python3 "$T/sincos9_move.py" "$base" "$kind" "$j:$v" > "$cf"
  else
    cf=cand_${kind}_V_$(echo "$v" | tr ' =' '_-').txt
    { grep -v '^V ' "$base"; [ "$v" = base ] || echo "V $v"; } > "$cf"
  fi
  F="" B=""
  for s in $sets; do
    WIDE=1 nice -n 19 "$E" bounds "$cf" "${s}_in.txt" "${s}_out.txt" "$kind" "$lev" 80 > "b${lev}_${s}_$cf"
    F="$F $lev:b${lev}_${s}_$cf"
    B="$B b${lev}_${s}_$cf"
  done
  # shellcheck disable=SC2086
  l1=$(python3 "$T/sincos7_lp.py" "$deg" $F $fix ${XO:-} --l1 | tail -1 | cut -c1-40)
  # shellcheck disable=SC2086
  mm=$(python3 "$T/sincos7_lp.py" "$deg" $F $fix ${XO:-} | tail -1 | cut -c1-22)
  # shellcheck disable=SC2086
  echo "$v | $l1 | $mm | missed operands $(awk '$4 == 0' $B | wc -l)"
done
