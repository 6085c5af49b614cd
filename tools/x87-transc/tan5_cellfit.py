"""FPTAN round 5: fit ONE polynomial of the pair (P or Q) to the host's cells.

Step 1 (targets): for every near-boundary case, the host's 68-bit cell of
the wanted polynomial is read off its result with the other polynomial, N's
rounding and the quotient taken from a reference model (REF: "bands", the
per-band sets of transc_amd.ts, or a coefficient file): the cell is the
reference's own or one up or down, whichever reproduces the recorded side
of the rounding boundary (a one-cell change always moves the quotient by
more than the 2^-8 unit window of tan_near.c). Cases where none does are
dropped (the other polynomial or N is off there).

Step 2 (fit): the A1 level is discrete. For each case the range of A1
indices (A1's 68-bit grid) whose last step R68(c0 + R68(g A1)) gives the
target cell is found; the unrounded A1 = c1 + R68(g A2) must lie in it. A1
moves linearly with dc2 + g dc3 + g^2 dc4 (inner roundings held, re-linearized
each round). A soft linear program (L1 hinge on the violations) over the
free coefficients; the candidate with the fewest exact cell misses is kept.

Run: python3 tools/x87-transc/tan5_cellfit.py P|Q START.txt ROUNDS in.txt,out.txt ... > new.txt
  env MARGIN (A1 units, default 0), CBITS (coefficient bits, default 68), REF (default bands), FREE (default 2,3,4: c2 c3 c4; 1 = c1), TMIN (default 0.125),
  TMAX (default 0.7854), VARIANT (tan5_var name for the polynomial evaluation)
"""
import sys, os, math, json
from fractions import Fraction
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5
from tan5_lib import rsig, rsig_s, add, mul

FREE = [int(v) for v in os.environ.get("FREE", "2,3,4").split(",")]
# Significant bits kept for the coefficients (68: the committed model; more
# tests the hypothesis that the microcode's constants are wider than its
# 68-bit intermediates).
CBITS = int(os.environ.get("CBITS", "68"))
TMIN = float(os.environ.get("TMIN", "0.125"))
TMAX = float(os.environ.get("TMAX", "0.7854"))


def poly_steps(cs, g):
    """A1 unrounded, its rounded value, and the final value."""
    acc = cs[-1]
    for c in reversed(cs[2:-1]):
        acc = rsig_s(*add(rsig_s(*mul(acc, g)), c))
    a1u = add(rsig_s(*mul(acc, g)), cs[1])
    a1 = rsig_s(*a1u)
    fin = rsig_s(*add(rsig_s(*mul(a1, g)), cs[0]))
    return a1u, a1, fin


def targets(which, cases, ref):
    out = []
    drop = 0
    for fcw, t, r in cases:
        ta = (abs(t[0]), t[1])
        tv = ta[0] * 2.0 ** ta[1]
        if not (TMIN <= tv < TMAX):
            continue
        P, Q = L5.band_set(ta) if ref == "bands" else ref
        g = rsig(*mul(ta, ta))
        p = poly_steps(P, g)[2]
        d = poly_steps(Q, g)[2]
        want = L5.round64
        rv = Fraction(abs(r[0])) * Fraction(2) ** r[1]
        found = None
        for dv in (0, 1, -1):
            pp = (p[0] + dv, p[1]) if which == "P" else p
            dd = (d[0] + dv, d[1]) if which == "Q" else d
            n = rsig(*mul(ta, pp))
            q = Fraction(n[0], dd[0]) * Fraction(2) ** (n[1] - dd[1])
            if want(q, fcw, t) == rv:
                found = pp if which == "P" else dd
                break
        if found is None:
            drop += 1
            continue
        out.append((tv, g, found))
    print(f"targets {len(out)}, dropped {drop}", file=sys.stderr)
    return out


def cell_of(v, like):
    """v (m, e) expressed on like's exponent (v is a rounded 68-bit value)."""
    m, e = v
    if e >= like[1]:
        return m << (e - like[1])
    return None if m % (1 << (like[1] - e)) else m >> (like[1] - e)


def misses(cs, tg):
    n = 0
    for tv, g, want in tg:
        if poly_steps(cs, g)[2] != want:
            n += 1
    return n


def krange(cs, g, a1, want):
    """Range [lo, hi] of A1 indices k (A1 = k 2^a1e) whose last step gives `want`."""
    ae = a1[1]
    k0 = a1[0]

    def last(k):
        return rsig_s(*add(rsig_s(*mul((k, ae), g)), cs[0]))

    def cmpv(k):  # compare last(k) with want: -1, 0, 1 (last is monotone in k: g > 0)
        a = last(k)
        x = add(a, (-want[0], want[1]))[0]
        return (x > 0) - (x < 0)

    c0 = cmpv(k0)
    if c0 != 0:
        # walk toward want
        step = -1 if c0 > 0 else 1
        k = k0
        for _ in range(64):
            k += step
            c = cmpv(k)
            if c == 0:
                break
            if c != c0:
                return None
        else:
            return None
        k0 = k
    lo = k0
    while cmpv(lo - 1) == 0:
        lo -= 1
    hi = k0
    while cmpv(hi + 1) == 0:
        hi += 1
    return lo, hi


def rows(cs, tg):
    out = []
    for tv, g, want in tg:
        a1u, a1, fin = poly_steps(cs, g)
        kr = krange(cs, g, a1, want)
        if kr is None:
            continue
        ae = a1[1]
        k0 = a1[0]
        pos = float(Fraction(a1u[0]) * Fraction(2) ** (a1u[1] - ae) - k0)
        gv = g[0] * 2.0 ** g[1]
        # dA1u = sum_k dc_k g^(k-1), dc_k in units of 2^-67 * (1/2)^k  -> in A1 units
        row = [gv ** (k - 1) * 2.0 ** (-67 - ae) / 0.5**k for k in FREE]
        out.append((row, kr[0] - k0 - 0.5 - pos, kr[1] - k0 + 0.5 - pos))
    return out


def solve(rws, margin=0.0):
    nv, nr = len(FREE), len(rws)
    data, ri, ci, ub = [], [], [], []
    k = 0
    for i, (row, lo, hi) in enumerate(rws):
        for sign, b in ((1, hi - margin), (-1, -(lo + margin))):
            for j, v in enumerate(row):
                data.append(sign * v); ri.append(k); ci.append(j)
            data.append(-1.0); ri.append(k); ci.append(nv + i)
            ub.append(b)
            k += 1
    A = csr_matrix((data, (ri, ci)), shape=(k, nv + nr))
    c = np.concatenate([np.zeros(nv), np.ones(nr)])
    res = linprog(c, A_ub=A, b_ub=np.array(ub), bounds=[(-1e7, 1e7)] * nv + [(0, None)] * nr, method="highs")
    return res.x[:nv], res.fun


def apply(cs, x):
    cs = list(cs)
    for j, v in zip(FREE, x):
        cs[j] = rsig_s(*add(cs[j], (int(round(v * 2**40 / 0.5**j)), -67 - 40)), CBITS)
    return cs


if __name__ == "__main__":
    which = sys.argv[1]
    P0, Q0 = L5.read_coef(sys.argv[2])
    cs = P0 if which == "P" else Q0
    rounds = int(sys.argv[3])
    ref = os.environ.get("REF", "bands")
    ref = ref if ref == "bands" else L5.read_coef(ref)
    tg = targets(which, L5.load(sys.argv[4:]), ref)
    best = (misses(cs, tg), cs)
    print("start misses", best[0], file=sys.stderr)
    for it in range(rounds):
        rw = rows(cs, tg)
        x, f = solve(rw, float(os.environ.get("MARGIN", "0")))
        cs = apply(cs, x)
        m = misses(cs, tg)
        print(f"round {it}: hinge {f:.3f} moves {np.round(x, 4).tolist()} misses {m}", file=sys.stderr, flush=True)
        if m < best[0]:
            best = (m, cs)
    P, Q = (best[1], Q0) if which == "P" else (P0, best[1])
    print(json.dumps(P))
    print(json.dumps(Q))
