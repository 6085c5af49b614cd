"""FSIN / FCOS round 7: can ONE smooth inner polynomial put A_K on the host's side of every
recorded midpoint? Reads `sincos7_eval bounds` output (per operand: bounds lo <= D(g) <= hi on
the host's unrounded Horner sum s_K minus the model's, in cells of A_K) and fits
D(g) = sum_j a_j g^j (j < DEG) by a linear program that maximizes the smallest margin
(feasible iff margin >= 0). With --cells the coefficients are also shown as moves of the
model's coefficients in their own 68-bit cells (FCOS, K = 2: c2, c3, c4, c5; FSIN, K = 2: s2 ..).

`--scan W` instead: nonparametric check, the largest lower bound and smallest upper bound in
each window of g of width W (a conflict there needs D to jump within W).
`--viol` prints the operands that a fit with margin 0 cannot satisfy (minimum number of
violations by a greedy drop of the worst operand).

`--l1`: minimize the sum of violations instead (one LP) and count the violated operands
(with --viol: list them).
`--fix3` also drops the g term (c3 fixed too).
`--nocon` drops the constant term (c2 fixed: it moves only by whole cells, so fix it first).
`--inv` adds a g^-1 term (the coefficient at A_{K-1}'s level moved).

A FILE written as s3:FILE holds bounds of the next sum, A3 (cases aimed at A2), fitted jointly;
s4:FILE bounds of A4's sum (FCOS, round 8; with `--fix4`, c3 and c4 fixed: c5 .. fitted);
s5:FILE bounds of A5's sum (round 10; with `--fix5`, c5 fixed too: c6 .. fitted; `--s5scale`
A2's cell over A5's, 2^19 for C (default), 2^20 for S).

Run: python3 tools/x87-transc/sincos7_lp.py DEG FILE ... [--cells sin|cos] [--scan W] [--viol] [--inv]
"""
import sys

import numpy as np
from scipy.optimize import linprog


NONE = [0]  # operands no shift reproduces (not in the fit; reported)


def load(files):
    rows = []
    for fn in files:
        lev = 2
        if fn.startswith("s3:"):  # bounds of the NEXT sum (A3): see vec()
            lev, fn = 3, fn[3:]
        elif fn.startswith("s4:"):  # bounds of A4's sum (round 8; FCOS)
            lev, fn = 4, fn[3:]
        elif fn.startswith("s5:"):  # bounds of A5's sum (round 10)
            lev, fn = 5, fn[3:]
        for line in open(fn):
            p = line.split()
            if len(p) < 7:
                continue
            if p[4] == "none":
                NONE[0] += 1
                continue
            lo = -np.inf if p[4] == "-inf" else float(p[4])
            hi = np.inf if p[5] == "inf" else float(p[5])
            if lo == -np.inf and hi == np.inf:
                continue
            rows.append((float(p[2]), lo, hi, p[0], float(p[1]), int(p[3]), lev))
    return rows


L1 = False
S4SCALE = 4096.0  # A2's cell over A4's (C; S: --s4scale 8192)
S5SCALE = 524288.0  # A2's cell over A5's (C 2^19; S: --s5scale 1048576) (round 10)
MARGIN = 0.0  # --margin M: the L1 fit asks lo + M <= D <= hi - M
JMIN = 0  # --inv: also a g^-1 term (a move of the coefficient at A_{K-1}'s level)


def vec(r, deg):
    """The row of D's coefficients for one bound: A2 rows g^j; A3 rows ("s3:FILE", bounds of
    `sincos7_eval bounds ... s3` in cells of A3, 1/64 of A2's cell for both polynomials): A3 moves
    by 64 sum_{j>=1} a_j g^(j-1) (c2 and c1 do not enter A3)."""
    g = r[0]
    if len(r) > 6 and r[6] == 5:  # A5 rows (round 10): c_{2+j} for j >= 3 moves A5 by g^(j-3)
        return [S5SCALE * g ** (j - 3) if j >= 3 else 0.0 for j in range(JMIN, JMIN + deg)]
    if len(r) > 6 and r[6] == 4:  # A4 rows (round 8): A4's cell is 2^-12 of A2's for C (--s4scale
        # 8192 for S: 2^-13)
        return [S4SCALE * g ** (j - 2) if j >= 2 else 0.0 for j in range(JMIN, JMIN + deg)]
    if len(r) > 6 and r[6] == 3:
        return [64.0 * g ** (j - 1) if j >= 1 else 0.0 for j in range(JMIN, JMIN + deg)]
    return [g**j for j in range(JMIN, JMIN + deg)]


def fit(rows, deg):
    """max m s.t. lo + m <= D(g) <= hi - m; returns (m, a) (a[0] is the g^JMIN term)."""
    A, b = [], []
    deg = deg - JMIN
    for r in rows:
        g, lo, hi = r[:3]
        v = vec(r, deg)
        if lo > -np.inf:  # -D + m <= -lo
            A.append([-x for x in v] + [1.0])
            b.append(-lo)
        if hi < np.inf:  # D + m <= hi
            A.append(v + [1.0])
            b.append(hi)
    c = [0.0] * deg + [-1.0]
    bnd = [(None, None)] * deg + [(None, 10.0)]
    r = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bnd, method="highs")
    if r.status != 0:
        return None, None
    return r.x[-1], r.x[:deg]


def fit_l1(rows, deg):
    """min sum of violations s_i: lo_i - s_i <= D(g_i) <= hi_i + s_i; returns (a, violations)."""
    from scipy.sparse import lil_matrix
    deg = deg - JMIN
    n = len(rows)
    A = lil_matrix((2 * n, deg + n))
    b = []
    r = 0
    for i, row in enumerate(rows):
        g, lo, hi = row[:3]
        v = vec(row, deg)
        for j, x in enumerate(v):
            A[r, j] = -x
            A[r + 1, j] = x
        A[r, deg + i] = -1.0
        A[r + 1, deg + i] = -1.0
        b += [-(lo + MARGIN) if lo > -np.inf else 1e9, hi - MARGIN if hi < np.inf else 1e9]
        r += 2
    c = [0.0] * deg + [1.0] * n
    res = linprog(c, A_ub=A.tocsr(), b_ub=np.array(b), bounds=[(None, None)] * deg + [(0, None)] * n,
                  method="highs")
    return res.x[:deg], res.x[deg:]


def main():
    global JMIN, L1, MARGIN, S4SCALE, S5SCALE
    args = sys.argv[1:]
    deg = int(args.pop(0))
    cells = scan = None
    viol = False
    files = []
    while args:
        a = args.pop(0)
        if a == "--cells":
            cells = args.pop(0)
        elif a == "--scan":
            scan = float(args.pop(0))
        elif a == "--nocon":
            JMIN = 1
        elif a == "--fix3":
            JMIN = 2
        elif a == "--fix4":  # round 8: c4 fixed too (fit c5 ..)
            JMIN = 3
        elif a == "--fix5":  # round 10: c5 fixed too (fit c6 ..)
            JMIN = 4
        elif a == "--s5scale":
            S5SCALE = float(args.pop(0))
        elif a == "--inv":
            JMIN = -1
        elif a == "--s4scale":
            S4SCALE = float(args.pop(0))
        elif a == "--margin":
            MARGIN = float(args.pop(0))
        elif a == "--l1":
            L1 = True
        elif a == "--viol":
            viol = True
        else:
            files.append(a)
    rows = load(files)
    print("operands with a finite bound:", len(rows), " with none:", NONE[0], " model misses among them:",
          sum(1 for r in rows if not r[5]))
    if scan:
        rows.sort()
        g0 = rows[0][0]
        while g0 < rows[-1][0]:
            w = [r for r in rows if g0 <= r[0] < g0 + scan]
            if w:
                L = max(r[1] for r in w)
                H = min(r[2] for r in w)
                print("g %.4f .. %.4f  n %5d  max lo %+8.4f  min hi %+8.4f  %s" %
                      (g0, g0 + scan, len(w), L, H, "CONFLICT" if L > H else ""))
            g0 += scan
        return
    if L1:
        a, sl = fit_l1(rows, deg)
        print("degree", deg, "L1 fit:", " ".join("%+.12g g^%d" % (v, j + JMIN) for j, v in enumerate(a)))
        bad = [(r, s) for r, s in zip(rows, sl) if s > 1e-6]
        print("violated operands %d of %d, sum %.3f; by size: >0.05 %d, >0.2 %d, >0.5 %d, >1 %d" % (
            len(bad), len(rows), sum(sl), sum(1 for _, s in bad if s > 0.05), sum(1 for _, s in bad if s > 0.2),
            sum(1 for _, s in bad if s > 0.5), sum(1 for _, s in bad if s > 1)))
        if viol:
            for r, s in sorted(bad, key=lambda z: z[0][0]):
                print("  x %s t %.6f g %.6f lo %+.4f hi %+.4f viol %.4f model_ok %d" % (r[3], r[4], r[0], r[1], r[2], s, r[5]))
        return
    m, a = fit(rows, deg)
    if m is None:
        print("LP failed")
        return
    print("degree", deg, "margin %.5f" % m, "D(g) =", " ".join("%+.12g g^%d" % (v, j + JMIN) for j, v in enumerate(a)))
    if cells and JMIN == 0:
        # FCOS A2: c2 cell = A2 cell; c3: g/64; c4: g^2/4096; c5: g^3/2^19 (FSIN A2 analogous:
        # S's cells are printed with the scales of the committed exponents)
        scale = [1.0, 1 / 64, 1 / 4096, 1 / 2**19, 1 / 2**26][:deg] if cells == "cos" else \
            [1.0, 1 / 64, 1 / 8192, 1 / 2**20, 1 / 2**27][:deg]
        print("as coefficient moves (cells):", " ".join("%+.3f" % (v / s) for v, s in zip(a, scale)))
    if viol and m < 0:
        keep = list(rows)
        dropped = []
        while True:
            m, a = fit(keep, deg)
            if m is None or m >= 0:
                break
            # drop the operand with the largest violation
            def v(r):
                d = sum(v * r[0] ** (j + JMIN) for j, v in enumerate(a))
                return max(r[1] - d, d - r[2])
            w = max(keep, key=v)
            keep.remove(w)
            dropped.append(w)
        print("dropped", len(dropped), "operands to reach margin >= 0:")
        for r in dropped:
            print("  x %s t %.6f g %.6f lo %+.4f hi %+.4f model_ok %d" % (r[3], r[4], r[0], r[1], r[2], r[5]))
        print("fit after dropping: margin %.5f" % m, " ".join("%+.6g" % v for v in a))


if __name__ == "__main__":
    main()
