"""FPATAN round 7: does the scatter of d scale like a relative error of d, or of one of the
intermediates (P, Q, P / Q, 1 / Q, t, N = t P)? A rounding of a value V adds a relative error of
d up to 2^-68 / m_V (m_V: V's significand in [1, 2)), i.e. m_d / m_V / 2 units of d's cell;
the share of aimed cases that miss grows in proportion. Prints, per quartile of m_d / m_V, the
share of cases the committed model (exact P / Q from COEF) misses. Use exact-g, exact-t cases.

Run: python3 tools/x87-transc/atan7_mant.py COEF in,out [in,out ...]
"""
import sys, math
sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A
from fractions import Fraction as F
import numpy as np
P, Q = A.read_coef(sys.argv[1])
cases = A.load(sys.argv[2:])
def mant(v):
    v = abs(float(v)); return v / 2.0 ** math.floor(math.log2(v))
rows = []
for (r, m, ude, kind) in cases:
    g = r * r; t = r * g
    pv, qv = A.horner_x(P, g), A.horner_x(Q, g)
    X = t * pv / qv
    miss = not A.ok(float((X - m) / F(2) ** ude), kind)
    md = float(-m / F(2) ** (ude + 67))
    rows.append((miss, md, mant(pv), mant(qv), mant(pv / qv), mant(1 / qv), mant(t), mant(t * pv), float(r)))
a = np.array(rows)
print("cases", len(a), "misses", int(a[:, 0].sum()))
names = ["m_d", "P", "Q", "quo", "1/Q", "t", "N=tP"]
for i, nm in enumerate(names):
    col = a[:, 1] if i == 0 else a[:, 1] / a[:, 1 + i]
    # rate per quartile of the predicted width factor
    qs = np.quantile(col, [0, .25, .5, .75, 1])
    rates = []
    for lo, hi in zip(qs[:-1], qs[1:]):
        sel = (col >= lo) & (col <= hi)
        rates.append(f"{a[sel,0].mean():.3f}@{col[sel].mean():.2f}")
    c = np.corrcoef(col, a[:, 0])[0, 1]
    print(f"factor m_d/{nm:5s} corr {c:+.3f}  quartile rates {' '.join(rates)}")
