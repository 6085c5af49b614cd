"""FPTAN round 7: which (p3, p4) moves of P keep every case consistent at P's
A3 step, from `tan6_eval cells MODEL p0 J ...` lines (t, g, u0, mask, X,
FCW: the model's unrounded A3 = p3 + R68(g p4) lies u0 cells above its
rounded value; mask says which A3 cells, rounded + j for j = -J .. J,
reproduce the host). Moving p3 by d3 cells (2^-82) and p4 by d4 cells
(2^-92) moves the unrounded A3 by d3 + g d4 / 1024 cells (up to the
1/2048-cell rounding of g p4), so each line is a strip in the (d3, d4)
plane: jlo - 1/2 < u0 + d3 + g d4 / 1024 < jhi + 1/2.

Prints, for each d3 in the range, the d4 interval that satisfies every
line (or, when empty, the d4 that violates the fewest and how many), and
the lines that bound it.

The same holds for Q's A3 = q3 + R68(g q4) with SCALE=256 (q3's cell is
2^-78, q4's 2^-86).

Run: SCALE=1024 python3 tools/x87-transc/tan7_a3fit.py CELLS.txt [D3LO D3HI]
  (the bounds are those of the linear strips, exact up to the 1/2048-cell
  rounding of g c4: verify the chosen point with tan6_eval check.)
"""
import os, sys

import numpy as np

SC = float(os.environ.get("SCALE", "1024"))

rows = []
for ln in open(sys.argv[1]):
    f = ln.split()
    t, g, u0, mask = float(f[0]), float(f[1]), float(f[2]), f[3]
    J = (len(mask) - 1) // 2
    ok = [i - J for i, c in enumerate(mask) if c == "1"]
    if not ok or ok != list(range(ok[0], ok[-1] + 1)):
        print("non-contiguous or empty mask:", ln.strip())
        continue
    lo, hi = ok[0] - 0.5 if ok[0] > -J else -1e9, ok[-1] + 0.5 if ok[-1] < J else 1e9
    rows.append((t, g, u0, lo, hi, f[4], f[5]))
d3lo, d3hi = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (-6, 6)
print(f"{len(rows)} lines")
for d3 in range(d3lo, d3hi + 1):
    # lo < u0 + d3 + g d4/SC < hi  <=>  (lo - u0 - d3) SC/g < d4 < (hi - u0 - d3) SC/g
    L = [((lo - u0 - d3) * SC / g, r) for r in rows for (t, g, u0, lo, hi, _, _) in [r] if lo > -1e8]
    U = [((hi - u0 - d3) * SC / g, r) for r in rows for (t, g, u0, lo, hi, _, _) in [r] if hi < 1e8]
    a = max(L, key=lambda v: v[0]) if L else (-1e18, None)
    b = min(U, key=lambda v: v[0]) if U else (1e18, None)
    if a[0] < b[0]:
        print(f"d3 {d3:+d}: d4 in ({a[0]:.1f}, {b[0]:.1f})  bounds at t {a[1][0] if a[1] else '-'} / {b[1][0] if b[1] else '-'}")
    else:
        # fewest violations: a line is violated when d4 <= its lower or >= its upper bound
        Ls, Us = np.sort([v for v, _ in L]), np.sort([v for v, _ in U])
        cand = np.concatenate([Ls - 0.5, Ls + 0.5, Us - 0.5, Us + 0.5])
        nv = (len(Ls) - np.searchsorted(Ls, cand, "left")) + np.searchsorted(Us, cand, "right")
        best = (int(nv.min()), float(cand[nv.argmin()]))
        print(f"d3 {d3:+d}: infeasible (lower {a[0]:.1f} > upper {b[0]:.1f}); fewest violations {best[0]} at d4 {best[1]:.1f}")
