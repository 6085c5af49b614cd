"""Count, per half-binade of |t|, the FPTAN probe cases (|x| < pi/4, from
tan_near.c) where the correctly rounded tangent differs from the recorded
result: the baseline that the best-fit sets are measured against.

Run: python3 tools/x87-transc/tan_cr.py in.txt,out.txt ...
Output: bin:differ/cases (bin = floor(2 log2 |t|) / 2).
"""
import sys, math, mpmath

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_fit import load
mpmath.mp.prec = 200
bins = {}
for fcw, t, r, fsw in load(sys.argv[1:]):
    lt = math.log2(abs(t[0])) + t[1]
    k = max(-12, math.floor(lt * 2) / 2)
    x = mpmath.tan(mpmath.ldexp(t[0], t[1]))
    a = abs(x); _, ex = mpmath.frexp(a); ue = ex - 64
    u = mpmath.ldexp(a, -ue)
    rc = (fcw >> 10) & 3
    if x < 0 and rc in (1, 2): rc = 3 - rc
    m = int(mpmath.nint(u)) if rc == 0 else int(mpmath.floor(u)) if rc in (1, 3) else int(mpmath.ceil(u))
    if x < 0: m = -m
    ok = m * 2 ** max(0, ue - r[1]) == r[0] * 2 ** max(0, r[1] - ue)
    s = bins.setdefault(k, [0, 0]); s[0] += 1; s[1] += not ok
print(" ".join(f"{k}:{s[1]}/{s[0]}" for k, s in sorted(bins.items())))
