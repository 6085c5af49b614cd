"""FPATAN round 8: how far can q1 (or any one coefficient) of a (M,N) rational move while the
rational stays within TOL 2^-68 (relative error of atan) of the given one on 0 <= r <= 1, all
other coefficients free (q0 fixed)? A linear program on the linearized change
d(P/Q) = (dP - (P/Q) dQ) / Q at 2,000 points; moves in units of 2^-68 times the coefficient's own
68-bit cell (i.e. in cells). Bounds the range of q1 cells a search (atan8_cells.py) must cover.

Run: python3 tools/x87-transc/atan8_null.py COEF TOL [INDEX ...]
  COEF: two lines (P, Q; constant first), e.g. atan6_gt.txt; INDEX: 0.. P's, 100.. Q's
  (default 101 = q1, 1 = p1, 102 = q2). env METRIC=d: bound the relative error of d instead of
  atan's (what cases aimed at d's own cells measure; r from 0.001 to 1).
"""
import os
import sys
import math
from fractions import Fraction as F
import numpy as np
from scipy.optimize import linprog


def main():
    P, Q = [[F(v) for v in ln.split()] for ln in open(sys.argv[1]) if ln.strip()]
    tol = float(sys.argv[2])
    idx = [int(v) for v in sys.argv[3:]] or [101, 1, 102]
    P = [float(c) for c in P]
    Q = [float(c) for c in Q]
    r = np.linspace(1e-3, 1.0, 2000)
    g = r * r
    pv = np.polyval(P[::-1], g)
    qv = np.polyval(Q[::-1], g)
    f = pv / qv
    at = np.arctan(r)
    if os.environ.get("METRIC") == "d":
        # relative error of d = r^3 P / Q itself (what cases aimed at d's cells measure)
        at = r ** 3 * np.abs(f)
    # variables: cells of p0..pM, q1..qN; a cell of c is 2^(floor(log2|c|) - 67).
    cols, names = [], []
    for i, c in enumerate(P):
        cell = 2.0 ** (math.floor(math.log2(abs(c))) - 67)
        cols.append(r ** 3 * g ** i * cell / qv / at * 2.0 ** 68)
        names.append(i)
    for i, c in enumerate(Q[1:], 1):
        cell = 2.0 ** (math.floor(math.log2(abs(c))) - 67)
        cols.append(-r ** 3 * f * g ** i * cell / qv / at * 2.0 ** 68)
        names.append(100 + i)
    Am = np.array(cols).T
    A_ub = np.vstack([Am, -Am])
    b_ub = np.full(2 * len(r), tol)
    for k in idx:
        j = names.index(k)
        c = np.zeros(len(names))
        c[j] = -1.0
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * len(names),
                      method="highs")
        nm = f"p{k}" if k < 100 else f"q{k - 100}"
        if res.status == 0:
            print(f"{nm}: at most {-res.fun:.4g} cells (tolerance {tol} 2^-68 relative)")
        else:
            print(f"{nm}: {res.message}")


if __name__ == "__main__":
    main()
