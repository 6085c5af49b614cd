"""FPTAN round 6: a tan_coef_*.txt file (two JSON lines, P and Q as [m, e]
pairs) as a tan6_eval.c model line, with optional switches and coefficient
moves.

Run: python3 tools/x87-transc/tan6_coef.py COEF.txt [switch=value ...] [Qk+=F ...] > model.txt
  Qk+=F / Pk+=F adds F cells (68-bit cells of that coefficient, F a decimal
  fraction, e.g. Q2+=-0.25) to coefficient k, keeping the extra bits.
"""
import sys, json
from fractions import Fraction

L = open(sys.argv[1]).read().split("\n")
P, Q = [list(map(tuple, json.loads(L[i]))) for i in (0, 1)]
sw, moves = [], []
for a in sys.argv[2:]:
    if "+=" in a:
        k, f = a.split("+=")
        moves.append((k[0], int(k[1:]), Fraction(f)))
    else:
        sw.append(a)
cs = {"P": [list(c) for c in P], "Q": [list(c) for c in Q]}
for poly, k, f in moves:
    m, e = cs[poly][k]
    # cells are 2^e of the 68-bit m; add f cells with 32 extra bits
    m2 = m * 2**32 + int(f * 2**32)
    cs[poly][k] = [m2, e - 32]
print(" ".join(sw + [f"{m} {e}" for m, e in cs["P"] + cs["Q"]]))
