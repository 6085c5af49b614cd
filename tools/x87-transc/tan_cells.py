"""Cell-exact refit of FPTAN's coefficients for small reduced arguments.

For |t| <= 2^-6 the microcode's Horner steps reduce to
    P = R68(C + g A1),  A1 = p1 + R(g X2) on p1's 2^-70 grid,  X2 = p2 + g p3 + ...
(and the same for Q with q1's 2^-68 grid): the rounding of A2 and deeper
steps is below 2^-17 of A1's grid there. So p1 and q1 are discrete
unknowns, and for fixed (p1, q1) each recorded near-boundary case asks
that R(g X2) (an integer k on A1's grid) lies on one side of a threshold,
which is a linear constraint on (p2, p3, p4) or (q2, q3). For every (p1,
q1) offset in a window around a start coefficient set this solves the
linear program (maximum margin in grid units) and prints the best offsets;
`--apply I J` prints the coefficient set for one offset pair.

Run: python3 tools/x87-transc/tan_cells.py COEF.txt LOG2_TMAX W in.txt,out.txt ... [--apply I J]
"""
import sys, math, json
from fractions import Fraction as F
import numpy as np
from scipy.optimize import linprog

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import load

GREF = 2.0**-12
# Grid exponents of A1 for P and Q (68 significant bits: -70 and -68).
# GV=W:MODE (environment): g = t^2 rounded to W bits (tan_lib.VARIANT["g"]).
if "GV" in __import__("os").environ:
    _w, _m = __import__("os").environ["GV"].split(":")
    VARIANT["g"] = (int(_w), _m)
# Only cases with log2|t| >= TMIN (environment) are used.
TMIN = float(__import__("os").environ.get("TMIN", "-1e9"))
C0OFF = "C0OFF" in __import__("os").environ
GRID = tuple(int(v) for v in __import__("os").environ.get("GRID", "-70,-68").split(","))


def fr(v):
    return F(v[0]) * F(2) ** v[1]


def prepare(P, Q, cases, tmax):
    """Per sensitive case: (gl, side info for P, side info for D)."""
    out = []
    Cv = fr(P[0])
    for fcw, t, r, fsw in cases:
        ta = (abs(t[0]), t[1])
        lt = math.log2(ta[0]) + ta[1]
        if lt >= tmax or lt < TMIN:
            continue
        g = square(ta)
        gf = fr(g)
        info = []
        for cs, gridE in ((P, GRID[0]), (Q, GRID[1])):
            # X2 with the model's inner roundings, then v = g X2 / grid
            acc = cs[-1]
            for c in reversed(cs[2:-1]):
                acc = round_sig(*add(mul(acc, g), c))
            v = gf * fr(acc) / F(2) ** gridE
            kc = round(v)
            a1 = fr(cs[1]) + kc * F(2) ** gridE
            s = Cv + gf * a1
            # nearest rounding midpoint M of S on the 2^-67 grid (S in [1, 2))
            u = s / F(2) ** -67
            mid = math.floor(u) + F(1, 2)
            dist = float(u - mid)  # S - M in cells
            # k* where S(k) = M, relative to kc: (M - S) / (g grid / cell)
            slope = gf * F(2) ** gridE / F(2) ** -67
            kstar = float((mid - u) / slope)  # k* - kc
            lo = (math.floor(u) if u - math.floor(u) < F(1, 2) else math.floor(u))  # cell index below M
            info.append((float(v - kc), kstar, dist, slope))
        out.append((ta, t[0] < 0, fcw, r, info, float(gf / F(GREF))))
    return out


def eval_grid(cs, g, gridE):
    """Horner with 68-bit steps, except A1 = c1 + g X2 rounded on the 2^gridE grid."""
    acc = cs[-1]
    for c in reversed(cs[2:-1]):
        acc = round_sig(*add(mul(acc, g), c))
    m, e = mul(g, acc)
    sh = gridE - e
    k = (2 * m + (1 << sh)) >> (sh + 1) if sh > 0 else m << -sh  # round(g X2 / 2^gridE), ties up
    a1 = add(cs[1], (k, gridE))
    return round_sig(*add(mul(a1, g), cs[0]))


def cells_side(ta, neg, fcw, r, P, Q, dp, dd):
    """Quotient side with P and D moved by dp, dd cells from the model's values."""
    tv = exact_tan((-ta[0] if neg else ta[0], ta[1]))
    bd, _ = boundary(fcw, tv)
    g = square(ta)
    p = eval_grid(P, g, GRID[0])
    d = eval_grid(Q, g, GRID[1])
    p = add(p, (dp, -67)) if dp else p
    d = add(d, (dd, -67)) if dd else d
    n = round_sig(*mul(ta, p))
    if neg:
        n = (-n[0], n[1])
    return cmp_frac(n, d, bd), hw_side(fcw, r, bd)


def requirements(P, Q, prep, margin_cells=0.02):
    """For each case near a P or D midpoint: which side (+1 up / -1 down) of
    it the host needs, from the quotient's side with each neighbour cell."""
    reqs = []
    unexpl = 0
    for ta, neg, fcw, r, info, gl in prep:
        nearP = abs(info[0][2]) < margin_cells
        nearD = abs(info[1][2]) < margin_cells
        if not (nearP or nearD):
            continue
        # the model's current cells: P rounds up iff dist > 0
        cp = 1 if info[0][2] > 0 else -1
        cd = 1 if info[1][2] > 0 else -1
        optsP = [cp, -cp] if nearP else [cp]
        optsD = [cd, -cd] if nearD else [cd]
        valid = []
        for sp in optsP:
            for sd in optsD:
                dp = 0 if sp == cp else (-1 if cp > 0 else 1)
                dd = 0 if sd == cd else (-1 if cd > 0 else 1)
                m, h = cells_side(ta, neg, fcw, r, P, Q, dp, dd)
                if m == h:
                    valid.append((sp, sd))
        if not valid:
            unexpl += 1
            continue
        sps = {v[0] for v in valid}
        sds = {v[1] for v in valid}
        req = [None, None]
        if nearP and len(sps) == 1:
            req[0] = sps.pop()
        if nearD and len(sds) == 1:
            req[1] = sds.pop()
        if req[0] is None and req[1] is None:
            continue
        reqs.append((gl, info, req))
    return reqs, unexpl


def solve(reqs, i, j):
    rows, ub = [], []
    for gl, info, req in reqs:
        for side, (f, kstar, dist, slope), off in ((0, info[0], i), (1, info[1], j)):
            if req[side] is None:
                continue
            a = kstar - off
            lin = [gl, gl * gl, gl**3] if side == 0 else [gl, gl * gl]
            row = (lin + [0.0, 0.0]) if side == 0 else ([0.0, 0.0, 0.0] + lin)
            if req[side] > 0:  # need k >= floor(a)+1:  f + lin >= floor(a) + 0.5 + m
                rows.append([-x for x in row] + [1.0]); ub.append(f - (math.floor(a) + 0.5))
            else:  # k <= ceil(a)-1: f + lin <= ceil(a) - 0.5 - m
                rows.append(row + [1.0]); ub.append(math.ceil(a) - 0.5 - f)
    if not rows:
        return None, 0
    res = linprog([0.0] * 5 + [-1.0], A_ub=np.array(rows), b_ub=np.array(ub),
                  bounds=[(-1e7, 1e7)] * 5 + [(None, 0.25)], method="highs")
    return (res.x if res.status == 0 else None), len(rows)


def solve_relaxed(reqs):
    """The same program with the p1 and q1 offsets as real variables (x[5], x[6])."""
    rows, ub = [], []
    for gl, info, req in reqs:
        for side, (f, kstar, dist, slope) in ((0, info[0]), (1, info[1])):
            if req[side] is None:
                continue
            lin = [gl, gl * gl, gl**3] if side == 0 else [gl, gl * gl]
            row = (lin + [0.0, 0.0]) if side == 0 else ([0.0, 0.0, 0.0] + lin)
            row = row + ([1.0, 0.0] if side == 0 else [0.0, 1.0])
            # a constant offset of the last step (C below its cell), in 1e-6 cells
            row = row + [1e-6 / slope if C0OFF else 0.0]
            if req[side] > 0:
                rows.append([-x for x in row] + [1.0]); ub.append(f - (math.floor(kstar) + 0.5))
            else:
                rows.append(row + [1.0]); ub.append(math.ceil(kstar) - 0.5 - f)
    res = linprog([0.0] * 8 + [-1.0], A_ub=np.array(rows), b_ub=np.array(ub),
                  bounds=[(-1e7, 1e7)] * 8 + [(None, 0.25)], method="highs")
    if res.status == 0:
        res.x = np.concatenate([res.x[:7], res.x[8:], res.x[7:8]])  # margin at 7, offset last
    return res.x if res.status == 0 else None


def apply(P, Q, i, j, x):
    P2, Q2 = list(P), list(Q)
    P2[1] = (P[1][0] + i, P[1][1])
    Q2[1] = (Q[1][0] + j, Q[1][1])
    # dp_k: y * 2^-70 / GREF^(k-1) ; dq_k: y * 2^-68 / GREF^(k-1)
    gr = int(round(-math.log2(GREF)))
    for k, y in ((2, x[0]), (3, x[1]), (4, x[2])):
        P2[k] = round_sig(*add(P[k], (round(y * 2**40), -70 - 40 + gr * (k - 1))))
    for k, y in ((2, x[3]), (3, x[4])):
        Q2[k] = round_sig(*add(Q[k], (round(y * 2**40), -68 - 40 + gr * (k - 1))))
    return P2, Q2


if __name__ == "__main__":
    args = sys.argv[1:]
    ap = None
    if "--apply" in args:
        k = args.index("--apply")
        ap = (int(args[k + 1]), int(args[k + 2]))
        args = args[:k] + args[k + 3:]
    L = open(args[0]).read().split("\n")
    P = [tuple(c) for c in json.loads(L[0])]
    Q = [tuple(c) for c in json.loads(L[1])]
    tmax, W = float(args[1]), int(args[2])
    prep = prepare(P, Q, load(args[3:]), tmax)
    reqs, unexpl = requirements(P, Q, prep)
    print("cases", len(prep), "constrained", len(reqs), "unexplained", unexpl, file=sys.stderr)
    if "RELAX" in __import__("os").environ:
        x = solve_relaxed(reqs)
        print("relaxed margin", x[7], "p1 offset", x[5], "q1 offset", x[6], "C offset (1e-6 cell)", x[8], "y", list(x[:5]))
        sys.exit(0)
    if ap:
        x, n = solve(reqs, *ap)
        print("margin", x[5], file=sys.stderr)
        P2, Q2 = apply(P, Q, ap[0], ap[1], x)
        print(json.dumps(P2)); print(json.dumps(Q2))
        sys.exit(0)
    res = []
    JW = int(__import__("os").environ.get("JW", W))
    for i in range(-W, W + 1):
        for j in range(-JW, JW + 1):
            x, n = solve(reqs, i, j)
            if x is not None:
                res.append((x[5], i, j))
    res.sort(reverse=True)
    print(res[:15])
