"""Best-fit refit of FPTAN's coefficients where no exact set is known (|t| up
to pi/4), from near-boundary probe data (tan_near.c), under the model of
cpu/fpu/transc_amd.ts (g = R68(t^2), unfused steps R68(R68(acc g) + c)).
It did NOT converge (README, "FPTAN: best fit up to pi/4", step 2; the
committed sets come from tan_search.py); kept for a later attempt and for
its helpers (apply, ok_case, count), which tan_search.py uses.

Every case tells on which side of a rounding boundary the host's quotient
lies; the options (P and D in their model cells or one cell up / down)
that reproduce it are enumerated. The discrete level is the A1 step: for
the wanted cell of P or D, the range of A1 indices (on A1's 68-bit grid)
whose last step C + R68(g A1) rounds into that cell is found by bisection,
and the unrounded A1 = c1 + R68(g A2) must lie in that range; it moves by
sum_k g^(k-1) dc_k (inner roundings held). The program is soft: each case
may violate its range by a slack s >= 0 and the linear program minimizes
the weighted sum of slacks (an L1 hinge loss). Cases below 2^PROTECT get
weight WP. The linearization is redone each round and the set with the
fewest failures on the fit data (counted exactly) is kept.

Run: python3 tools/x87-transc/tan_bestfit.py COEF.txt ROUNDS in.txt,out.txt ... > new.txt
  environment: PROTECT (log2 |t|, default -3), WP (default 100), FREE
  (default 1,2,3,5,6: p2 p3 p4 q2 q3; 0 = p1, 4 = q1), TMAX (default 0),
  RATIO (also keep |t P / Q / tan t - 1| <= RATIO 2^-64 on all of [0, pi/4]),
  MARGIN (in units of A1's grid, default 0)
"""
import sys, os, math, json
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import load, cellpos
from tan_target import rounded

VARIANT["g"] = (68, "near")
VARIANT["prod"] = (68, "near")
PROTECT = float(os.environ.get("PROTECT", "-3"))
WP = float(os.environ.get("WP", "100"))
FREE = [int(v) for v in os.environ.get("FREE", "1,2,3,5,6").split(",")]
TMAX = float(os.environ.get("TMAX", "0"))
GREF = 0.5


def ok_case(fcw, t, r, P, Q):
    ta = (abs(t[0]), t[1])
    n, d = model_nd(ta, P, Q)
    rc = (fcw >> 10) & 3
    if t[0] < 0 and rc in (1, 2):
        rc = 3 - rc
    m, e = rounded(n, d, rc)
    if t[0] < 0:
        m = -m
    return m * 2 ** max(0, e - r[1]) == r[0] * 2 ** max(0, r[1] - e)


def count(cases, P, Q):
    return sum(not ok_case(*c[:3], P, Q) for c in cases)


def a1_level(cs, g):
    """The A1 step of P or D: A1u = c1 + R68(g A2) (unrounded, exact), its
    68-bit grid exponent ae, and a function k -> the last step's rounded
    value R68(C + R68(g k 2^ae)) for A1 = k 2^ae."""
    acc = cs[-1]
    for c in reversed(cs[2:-1]):
        acc = round_sig(*add(round_sig(*mul(acc, g)), c))
    a1u = add(round_sig(*mul(acc, g)), cs[1])
    a1 = round_sig(*a1u)
    ae = a1[1]

    def last(k):
        return round_sig(*add(round_sig(*mul((k, ae), g)), cs[0]))

    sh = a1u[1] - ae
    f = a1u[0] * 2.0**sh if sh > -1000 else 0.0  # A1u / 2^ae (about k0 + f)
    return a1[0], f - a1[0], ae, last


def krange(last, k0, w_val, ce, g, ae):
    """The A1 indices k near k0 whose last step rounds to the cell value w_val
    (m on the 2^ce grid): [klo, khi], or None."""
    def cell(k):
        m, e = last(k)
        return m << (e - ce) if e >= ce else m >> (ce - e)

    step = math.ldexp(g[0], g[1] + ae - ce)  # cells per A1 unit
    if step <= 0:
        return None
    span = max(2, int(1.0 / step) + 2)

    def first_at_least(v):
        # smallest k with cell(k) >= v (cell is monotone in k)
        est = k0 + int(round((v - cell(k0)) / step))
        lo, hi = est - span, est + span
        while cell(lo) >= v:
            lo -= span
        while cell(hi) < v:
            hi += span
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cell(mid) >= v:
                hi = mid
            else:
                lo = mid
        return hi

    klo = first_at_least(w_val)
    khi = first_at_least(w_val + 1) - 1
    return (klo, khi) if khi >= klo else None


def rows_for(cases, P, Q):
    """Hinge rows (coefficient row, lower, upper, weight) on the unrounded A1
    step (in units of its 68-bit grid): A1 within the index range whose last
    step rounds to the wanted cell of P or D (inner roundings held)."""
    out = []
    for (fcw, t, r, fsw), tv in cases:
        ta = (abs(t[0]), t[1])
        lt = math.log2(ta[0]) + ta[1]
        g = square(ta)
        gv = math.ldexp(g[0], g[1])
        lv = []
        for cs in (P, Q):
            k0, f, ae, last = a1_level(cs, g)
            pv = last(k0)
            lv.append((k0, f, ae, last, pv))
        p, d = lv[0][4], lv[1][4]
        bd, _ = boundary(fcw, tv)
        hs = hw_side(fcw, r, bd)
        opts = []
        for dp in (0, -1, 1):
            for dd in (0, -1, 1):
                n = round_sig(*mul(ta, add(p, (dp, p[1]))))
                if t[0] < 0:
                    n = (-n[0], n[1])
                if cmp_frac(n, add(d, (dd, d[1])), bd) == hs:
                    opts.append((dp, dd))
        if not opts:
            continue
        want = min(opts, key=lambda o: abs(o[0]) + abs(o[1]))
        wt = WP if lt < PROTECT else 1.0
        for i, w in enumerate(want):
            k0, f, ae, last, pv = lv[i]
            ce = pv[1]
            kr = krange(last, k0, pv[0] + w, ce, g, ae)
            if kr is None:
                continue
            klo, khi = kr
            if w == 0:
                nb = (1, 0) if i == 0 else (0, 1)
                nb2 = (-1, 0) if i == 0 else (0, -1)
                if nb in opts:
                    r2 = krange(last, k0, pv[0] + 1, ce, g, ae)
                    khi = r2[1] if r2 else khi
                if nb2 in opts:
                    r2 = krange(last, k0, pv[0] - 1, ce, g, ae)
                    klo = r2[0] if r2 else klo
            # dA1u = sum_k g^(k-1) dc_k (k >= 2) + dc_1, in A1 units; dc_k = x 2^-67 / GREF^k
            row = []
            for k in range(1, 5):
                row.append(gv ** (k - 1) * 2.0 ** (-67 - ae) / GREF**k)
            row = row + [0.0] * 4 if i == 0 else [0.0] * 4 + row
            out.append((row, klo - 0.5 - (k0 + f), khi + 0.5 - (k0 + f), wt))
    return out


RATIO = float(os.environ["RATIO"]) if "RATIO" in os.environ else None
CUR = {}


def ratio_rows():
    """(row, error) per grid point of g in (0, (pi/4)^2]: the relative error
    of t P / Q (2^-64 units) and its derivative in the variables."""
    import mpmath as mp
    Pv = [mp.ldexp(m, e) for m, e in CUR["P"]]
    Qv = [mp.ldexp(m, e) for m, e in CUR["Q"]]
    out = []
    for i in range(1, 201):
        t = mp.pi / 4 * i / 200
        g = t * t
        pv = sum(c * g**k for k, c in enumerate(Pv))
        qv = sum(c * g**k for k, c in enumerate(Qv))
        e = float((t * pv / qv / mp.tan(t) - 1) * mp.mpf(2) ** 64)
        gl = float(g) / GREF
        # dc_k = x 2^-67 / GREF^k moves the ratio by x gl^k 2^-67 (1/P or -1/Q): 2^-3 in 2^-64 units
        row = [gl**k / 8 / float(pv) for k in range(1, 5)] + [-(gl**k) / 8 / float(qv) for k in range(1, 5)]
        out.append((row, e))
    return out


def solve(rows, margin=float(os.environ.get("MARGIN", "0"))):
    nv = len(FREE)
    nr = len(rows)
    data, ri, ci, ub = [], [], [], []
    k = 0
    for i, (row, lo, hi, wt) in enumerate(rows):
        r = [row[j] for j in FREE]
        # row.x - s_i <= hi - m ;  -row.x - s_i <= -(lo + m)
        for sign, b in ((1, hi - margin), (-1, -(lo + margin))):
            for j, v in enumerate(r):
                if v:
                    data.append(sign * v); ri.append(k); ci.append(j)
            data.append(-1.0); ri.append(k); ci.append(nv + i)
            ub.append(b)
            k += 1
    if RATIO is not None:
        # |relative error of t P / Q against tan t| <= RATIO (2^-64 units) on [0, pi/4]
        for row, e0 in ratio_rows():
            r = [row[j] for j in FREE]
            for sign, b in ((1, RATIO - e0), (-1, RATIO + e0)):
                for j, v in enumerate(r):
                    data.append(sign * v); ri.append(k); ci.append(j)
                ub.append(b)
                k += 1
    A = csr_matrix((data, (ri, ci)), shape=(k, nv + nr))
    c = np.concatenate([np.zeros(nv), np.array([w for _, _, _, w in rows])])
    bounds = [(-1e9, 1e9)] * nv + [(0, None)] * nr
    res = linprog(c, A_ub=A, b_ub=np.array(ub), bounds=bounds, method="highs")
    return res.x[:nv], res.fun


def apply(P, Q, x):
    P2, Q2 = list(P), list(Q)
    for j, v in zip(FREE, x):
        cs, k = (P2, j + 1) if j < 4 else (Q2, j - 3)
        # dc_k = v 2^-67 / GREF^k
        cs[k] = round_sig(*add(cs[k], (round(v * 2**40 / GREF**k), -67 - 40)))
    return P2, Q2


if __name__ == "__main__":
    L = open(sys.argv[1]).read().split("\n")
    P = [tuple(c) for c in json.loads(L[0])]
    Q = [tuple(c) for c in json.loads(L[1])]
    rounds = int(sys.argv[2])
    cases = [c for c in load(sys.argv[3:]) if math.log2(abs(c[1][0])) + c[1][1] < TMAX]
    cases = [(c, exact_tan(c[1])) for c in cases]
    plain = [c for c, _ in cases]
    best = (count(plain, P, Q), P, Q)
    print("start failures", best[0], "of", len(plain), file=sys.stderr)
    for it in range(rounds):
        rows = rows_for(cases, P, Q)
        CUR["P"], CUR["Q"] = P, Q
        x, f = solve(rows)
        P, Q = apply(P, Q, x)
        nf = count(plain, P, Q)
        print("round", it, "rows", len(rows), "hinge", round(f, 3), "x", [float(v) for v in x],
              "failures", nf, file=sys.stderr)
        if nf < best[0]:
            best = (nf, P, Q)
    print(json.dumps(best[1]))
    print(json.dumps(best[2]))
