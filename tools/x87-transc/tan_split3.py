"""Split a pair of FPTAN probe transcripts of one half-binade of |t| (e.g.
tan_split.py's PREFIX_lo files, [2^-1, 2^-0.5)) at |t| = T, given as a
decimal fraction in [0.5, 1) (0.6: significand 0x9999999999999800,
TAN_SPLIT_M1 of cpu/fpu/transc_amd.ts). tan_split2.py is the 0.745 case.

Run: python3 tools/x87-transc/tan_split3.py in.txt out.txt PREFIX T
  writes PREFIX_a_in/out.txt (|t| < T) and PREFIX_b_in/out.txt.
"""
import sys
i, o, pre, tv = sys.argv[1:5]
TH = int(float(tv) * 2**64)  # significand of |t| in [0.5, 1): m / 2^64
print(f"split at {TH:#x}", file=sys.stderr)
fs = {a: open(f"{pre}_{a}.txt", "w") for a in ("a_in", "a_out", "b_in", "b_out")}
for a, b in zip(open(i), open(o)):
    x = a.split()[2]
    assert int(x[:4], 16) & 0x7fff == 0x3ffe, "only |t| in [0.5, 1)"
    m = int(x[4:], 16)
    k = "b" if m >= TH else "a"
    fs[k + "_in"].write(a); fs[k + "_out"].write(b)
