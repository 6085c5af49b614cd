"""Split a pair of FPTAN probe transcripts of the top band (|t| in [2^-0.5,
pi/4], e.g. tan_split.py's PREFIX_hi files) at |t| = 0.745 (significand
0xbeb851eb851eb800, TAN_SPLIT_T of cpu/fpu/transc_amd.ts).

Run: python3 tools/x87-transc/tan_split2.py in.txt out.txt PREFIX
  writes PREFIX_a_in/out.txt (|t| < 0.745) and PREFIX_b_in/out.txt.
"""
import sys
i, o, pre = sys.argv[1:4]
TH = int(0.745 * 2**64)  # significand of |t| in [0.5, 1): m / 2^64
fs = {a: open(f"{pre}_{a}.txt", "w") for a in ("a_in", "a_out", "b_in", "b_out")}
for a, b in zip(open(i), open(o)):
    x = a.split()[2]
    m = int(x[4:], 16)
    k = "b" if m >= TH else "a"
    fs[k + "_in"].write(a); fs[k + "_out"].write(b)
