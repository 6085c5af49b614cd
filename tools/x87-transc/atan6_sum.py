"""FPATAN round 6: is the final sum r + d exact (round 5) or rounded to N bits before the last
rounding? Small-ratio cases (atan5_tiny.py), d = R68(X + c ud) with X = R68(r R68(r r)) P / Q
(COEF, exact P / Q) and c the window's best offset; the host's value is then R_N(r + d) (N = 0:
exact), compared with the grid point g = r + m: lt / eq / gt.

Run: python3 tools/x87-transc/atan6_sum.py COEF N1,N2,... in,out [in,out ...]   (env DBITS: d's width)
"""
import sys
import collections
from fractions import Fraction as F
import os
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
from atan6_rsteps import rnd  # noqa: E402

DBITS = int(os.environ.get("DBITS", "68"))  # d's own rounding

def main():
    P, Q = A.read_coef(sys.argv[1])
    per = collections.OrderedDict()
    for c in A.load(sys.argv[3:]):
        per.setdefault(round(float(c[0]), 3), []).append(c)
    pre = []
    for win in per.values():
        rows = []
        for r, m, ude, k in win:
            g = A.R(r * r)
            X = A.R(r * g) * A.horner_x(P, g) / A.horner_x(Q, g)
            rows.append((r, X, m, F(2) ** ude, k))
        pre.append(rows)
    for nb in (int(v) for v in sys.argv[2].split(",")):
        tot = n = 0
        for rows in pre:
            best = len(rows)
            for c in np.arange(-2.5, 1.0, 0.1):
                cf = F(round(c * 10), 10)
                bad = 0
                for r, X, m, ud, k in rows:
                    d = rnd(X + cf * ud, DBITS, "n")
                    v = r + d
                    if nb:
                        v = rnd(v, nb, "n")
                    g = r + m
                    kind = "lt" if v < g else ("gt" if v > g else "eq")
                    bad += kind != k
                best = min(best, bad)
            tot += best
            n += len(rows)
        print(f"sum at {nb or 'exact'} bits: {tot} of {n}", flush=True)


if __name__ == "__main__":
    main()
