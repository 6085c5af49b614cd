"""FPATAN round 7: the shift of the host's d (before its 68-bit rounding) from the committed
model's t P / Q that each case needs (0 when the model reproduces it), in units of d's cell and
as a relative error of d in 2^-68; quantiles over all cases. Use exact-g, exact-t cases.

Run: python3 tools/x87-transc/atan7_eps.py COEF in,out [in,out ...]
"""
import sys, math
sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A
from fractions import Fraction as F
import numpy as np
P, Q = A.read_coef(sys.argv[1])
cases = A.load(sys.argv[2:])
eps = []
for (r, m, ude, kind) in cases:
    g = r * r; t = r * g
    X = t * A.horner_x(P, g) / A.horner_x(Q, g)
    x = float((X - m) / F(2) ** ude)
    md = float(-m / F(2) ** (ude + 67))
    lo, hi = {"lt": (-1e9, -0.5), "eq": (-0.5, 0.5), "gt": (0.5, 1e9)}[kind]
    need = (lo - x) if x < lo else ((hi - x) if x > hi else 0.0)
    eps.append((need * 2 / md, need, float(r)))
e = np.array(eps)
print("n", len(e), "need!=0", np.sum(e[:,0] != 0))
for qq in (0.001, 0.01, 0.05, 0.95, 0.99, 0.999): print(qq, "eps(2^-68 rel)", round(np.quantile(e[:,0], qq), 3), "shift(units)", round(np.quantile(e[:,1], qq), 3))
print("min/max eps", e[:,0].min().round(3), e[:,0].max().round(3))
