"""Fits and checks the FYL2X / FYL2XP1 remainder polynomial over the whole
reduced range, for every k (README, section "FYL2X / FYL2XP1: whole reduced
range (fourth helper)").

Reads ylog_scan.ts output (`X e d w`: d the offset of the pinned 68-bit |L|
from the exact |log| in units of its last bit). Per case, with the reduction
x = 2^k (1 + t) (FYL2X; t = x for FYL2XP1), T = R68(2t / R68(2 + t)),
L1 = R68(T C) and the pinned L:

    k = 0:   L = R68(L1 + R)            R bounded to [L - u/2 - L1, L + u/2 - L1]
    k != 0:  L = R68(S + R), S = R68(k + L1)

and the model is R = T g Q(g), g = T^2, Q of degree DEG (exact evaluation).

  fit LIM DEG FILES...     linear program for Q over cases with |t| >= LIM
                           (LIM 0: all), minimising the largest violation in
                           units of L; prints violation, misses and Q's
                           coefficients times 2^140 (REM_FULL in
                           cpu/fpu/transc_amd_ylog.ts); writes /tmp/ylog4_q.txt
  check QFILE FILES...     how many cases the Q in QFILE (one 0x... per line,
                           times 2^140) reproduces exactly, per band and per k
  split FILES...           for FYL2X x whose significand is near sqrt(2):
                           which reduction (k, t) reproduces L (with Q from
                           /tmp/ylog4_q.txt)

Reduction (FYL2X): SPLIT selects the rule; by default the significand s of x in
[1, 2) goes to k = e + 1, t = s/2 - 1 when s >= sqrt(2), but x in
[XLO, XHI) (near 1) always takes k = 0, t = x - 1 (bounds measured, README).
  fitl1 LIM DEG FILES...   as fit, minimising the summed violation (fewer
                           cases missed; REM_FULL came from this)

Environment: YLOG_TMAX (only |t| below it), YLOG_SIGN (+1 / -1: one sign of
t), and variants of the remainder's evaluation tried in the README: YLOG_TREM
(T rounded to P bits), YLOG_GREM (g = T^2 rounded), YLOG_TQ (T from a P-bit
reciprocal), YLOG_RGRID (R rounded onto ulp(L1) / 2^j before the add),
YLOG_RSIG (R rounded to P significant bits, nearest, before the add: fit
and check; fifth helper's section).

FILES are OP:PATH with OP fyl2xp1 or fyl2x. Needs mpmath, numpy, scipy.

  python3 tools/x87-transc/ylog4_fit.py fitl1 0.03125 10 fyl2xp1:/tmp/p1.out fyl2x:/tmp/k0.out fyl2x:/tmp/kr.out
"""
import os
import sys
from mpmath import mp, mpf, log, log1p, nint, floor, ceil, atanh, sqrt, chebyfit, polyval
import numpy as np

mp.prec = 320
C0 = mpf(0x2E2A8ECA5705FC2EF) / 2**65
LN2 = log(2)
GMAX = mpf("0.1225")
SQ2 = sqrt(2)
# x in [XLO, XHI) uses k = 0 (measured; see README). Overridable for "split".
XLO, XHI = mpf(0), mpf(0)
SIGN = int(os.environ.get("YLOG_SIGN", "0"))
TREM = os.environ.get("YLOG_TREM", "")
GREM = os.environ.get("YLOG_GREM", "")
TQ = os.environ.get("YLOG_TQ", "")
RGRID = os.environ.get("YLOG_RGRID", "")
RSIG = int(os.environ.get("YLOG_RSIG", "0"))
TMAX = float(os.environ.get("YLOG_TMAX", "1"))  # only cases with |t| below this  # +1 / -1: only t > 0 / t < 0
L1NORM = False  # fitl1: minimise the sum of violations instead of the largest


def ulp(v, bits=68):
    return mpf(2) ** (int(floor(log(abs(v), 2))) - bits + 1)


def r68(v):
    if v == 0:
        return v
    u = ulp(v)
    return nint(v / u) * u


def reduce(x):
    """FYL2X reduction: (k, t)."""
    if XLO <= x < XHI:
        return 0, x - 1
    e = int(floor(log(x, 2)))
    s = x / mpf(2) ** e
    while s >= 2:
        s, e = s / 2, e + 1
    while s < 1:
        s, e = s * 2, e - 1
    if s >= SQ2:
        return e + 1, s / 2 - 1
    return e, s - 1


def parse(op, line):
    xh, le, d, _ = line.split()
    if d in ("none", "many"):
        return None
    se, m = int(xh[:4], 16), int(xh[4:], 16)
    x = (-1 if se >> 15 else 1) * mpf(m) * mpf(2) ** ((se & 0x7FFF) - 16383 - 63)
    exact = log1p(x) / LN2 if op == "fyl2xp1" else log(x) / LN2
    u = mpf(2) ** (int(le) - 67)
    G = (1 if exact > 0 else -1) * nint(abs(exact) / u + mpf(d)) * u
    return dict(op=op, xh=xh, x=x, G=G)


def kernel(k, t):
    T = r68(2 * t / r68(2 + t))
    L1 = r68(T * C0)
    S = L1 if k == 0 else r68(k + L1)
    return T, S


def rows(files, lim=0):
    for spec in files:
        op, fn = spec.split(":", 1)
        for line in open(fn):
            r = parse(op, line)
            if r is None:
                continue
            k, t = (0, r["x"]) if op == "fyl2xp1" else reduce(r["x"])
            if t == 0 or abs(t) < lim or abs(t) >= TMAX or (SIGN and (t > 0) != (SIGN > 0)):
                continue
            T, S = kernel(k, t)
            uG = ulp(r["G"])
            r.update(k=k, t=t, T=T, Tb=rem_t(T, t), S=S, lo=r["G"] - uG / 2 - S, hi=r["G"] + uG / 2 - S, u=uG)
            yield r


def rnd(v, p, mode):
    """v rounded to p significant bits: mode n (nearest), z (toward 0), u (away)."""
    u = ulp(v, p)
    a = abs(v) / u
    a = nint(a) if mode == "n" else floor(a) if mode == "z" else ceil(a)
    return a * u * (1 if v > 0 else -1)


def rem_t(T, t):
    """T as the remainder polynomial sees it: YLOG_TREM=P (P bits, nearest)
    or Pz (truncated); YLOG_TQ=P[m][k] instead takes the quotient 2t r from a
    reciprocal r = 1/R68(2 + t) rounded to P bits (mode m of n, z, u), the
    product rounded to P bits too unless k is x (kept exact); unset: T itself."""
    if TQ:
        p = int(TQ.rstrip("nzux"))
        mode = ([c for c in TQ if c in "nzu"] or ["n"])[0]
        r = rnd(1 / r68(2 + t), p, mode)
        q = 2 * t * r
        return q if TQ.endswith("x") else rnd(q, p, mode)
    if not TREM:
        return T
    p = int(TREM.rstrip("z"))
    u = ulp(T, p)
    return (floor(abs(T) / u) * u * (1 if T > 0 else -1)) if TREM.endswith("z") else nint(T / u) * u


def rem_g(g):
    """g = T^2 as the polynomial sees it: YLOG_GREM=P rounds it to P bits
    (nearest) or Pz (truncated); unset: exact."""
    if not GREM:
        return g
    p = int(GREM.rstrip("z"))
    u = ulp(g, p)
    return floor(g / u) * u if GREM.endswith("z") else nint(g / u) * u


def grid_bounds(r):
    """Bounds on the unrounded R when R is first rounded onto the grid
    ulp(S) / 2^j (YLOG_RGRID=j with n: nearest, z: magnitude truncated,
    f: floor of the signed value)."""
    j, mode = int(RGRID[:-1]), RGRID[-1]
    h = ulp(r["S"]) / mpf(2) ** j
    neg = r["T"] < 0 and mode != "f"  # f: signed floor (two's complement truncation)
    a, b = sorted((abs(r["lo"]), abs(r["hi"]))) if neg else (r["lo"], r["hi"])
    if neg:
        a, b = -r["hi"], -r["lo"]
    k0, k1 = ceil(a / h), floor(b / h)
    if k0 > k1:  # no grid point: leave the case infeasible by a little
        k0, k1 = k1 + mpf(0.5), k1 + mpf(0.5)
    A, B = ((k0 - mpf(0.5)) * h, (k1 + mpf(0.5)) * h) if mode == "n" else (k0 * h, (k1 + 1) * h)
    return (-B, -A) if neg else (A, B)


def sig_bounds(r):
    """Bounds on the unrounded R when R is rounded to RSIG significant bits
    (nearest) before the add: the RSIG-bit values inside [lo, hi], widened
    by half a unit each side (cell of the binade of the interval's middle)."""
    h = ulp((r["lo"] + r["hi"]) / 2, RSIG)
    k0, k1 = ceil(r["lo"] / h), floor(r["hi"] / h)
    if k0 > k1:  # no grid point: leave the case infeasible by a little
        k0, k1 = k1 + mpf(0.5), k1 + mpf(0.5)
    return (k0 - mpf(0.5)) * h, (k1 + mpf(0.5)) * h


def exact_q(g):
    if g == 0:
        return C0 / 12
    T = sqrt(g)
    return C0 * (2 * atanh(T / 2) - T) / (T * g)


def fit(data, deg):
    from scipy.optimize import linprog
    P0 = chebyfit(exact_q, [0, GMAX], deg + 1)
    A, ub, pts = [], [], []
    for r in data:
        T = r["Tb"]
        g = rem_g(T * T)
        u = r["u"]
        base = T * g * polyval(P0, g)
        lo, hi = grid_bounds(r) if RGRID else sig_bounds(r) if RSIG else (r["lo"], r["hi"])
        lo, hi = float((lo - base) / u), float((hi - base) / u)
        v = [float(T * g * (g / GMAX) ** j / u / mpf(2) ** 60) for j in range(deg + 1)]
        pts.append((v, lo, hi))
        A.append(v + [-1.0])
        ub.append(hi)
        A.append([-x for x in v] + [-1.0])
        ub.append(-lo)
    if L1NORM:
        # Minimise the sum of violations (one slack per case): fewer misses.
        from scipy.sparse import csr_matrix, hstack, identity, vstack
        n = len(pts)
        V = csr_matrix(np.array([v for v, _, _ in pts]))
        I = identity(n, format="csr")
        Aub = vstack([hstack([V, -I]), hstack([-V, -I])])
        bub = np.array([hi for _, _, hi in pts] + [-lo for _, lo, _ in pts])
        c = np.concatenate([np.zeros(deg + 1), np.ones(n)])
        res = linprog(c, A_ub=Aub, b_ub=bub, bounds=[(None, None)] * (deg + 1) + [(0, None)] * n, method="highs")
        d = res.x[: deg + 1]
        res.x = np.concatenate([d, [max(res.x[deg + 1 :])]])
    else:
        c = np.zeros(deg + 2)
        c[-1] = 1
        res = linprog(c, A_ub=np.array(A), b_ub=np.array(ub), bounds=[(None, None)] * (deg + 2), method="highs")
        d = res.x[:-1]
    missed = [data[i] for i, (v, lo, hi) in enumerate(pts) if not lo < np.dot(v, d) < hi]
    p0 = list(reversed(P0))
    q = [p0[j] + mpf(d[j]) / GMAX**j / mpf(2) ** 60 for j in range(deg + 1)]
    return res.x[-1], missed, q


def model_L(r, q):
    T = r.get("Tb", r["T"])
    g = rem_g(T * T)
    acc = mpf(0)
    for c in reversed(q):
        acc = acc * g + c
    R = T * g * acc
    if RSIG:
        u = ulp(R, RSIG)
        R = nint(R / u) * u
    return r68(r["S"] + R)


def band(t):
    return int(floor(log(abs(t), 2)))


def check(data, q):
    tot = {}
    bad = []
    for r in data:
        key = ("p1" if r["op"] == "fyl2xp1" else "k0" if r["k"] == 0 else "k"), band(r["t"])
        n, b = tot.get(key, (0, 0))
        ok = model_L(r, q) == r["G"]
        tot[key] = (n + 1, b + (0 if ok else 1))
        if not ok:
            bad.append(r)
    for key in sorted(tot):
        print("  %-3s t band 2^%d: %d cases, %d differ" % (key[0], key[1], *tot[key]))
    print("  total: %d cases, %d differ" % (len(data), len(bad)))
    for r in bad[:30]:
        print("   ", r["op"], r["xh"], "k", r["k"], "t %.6f" % float(r["t"]))


def load_q(fn):
    return [mpf(int(l.strip().rstrip("n,").replace("0x-", "-0x"), 16)) / mpf(2) ** 140 for l in open(fn) if l.strip()]


def main():
    global XLO, XHI
    mode = sys.argv[1]
    if mode == "fitl1":
        global L1NORM
        L1NORM, mode = True, "fit"
    if mode == "fit":
        lim, deg = mpf(sys.argv[2]), int(sys.argv[3])
        data = list(rows(sys.argv[4:], lim))
        viol, missed, q = fit(data, deg)
        print("%d cases, degree %d: largest violation %.6f units of L, %d missed" % (len(data), deg, viol, len(missed)))
        print("  missed t:", sorted(round(float(r["t"]), 4) for r in missed)[:40])
        with open("/tmp/ylog4_q.txt", "w") as f:
            for c in q:
                v = int(nint(c * mpf(2) ** 140))
                s = ("-" if v < 0 else "") + "0x%xn," % abs(v)
                print("  " + s)
                f.write(s + "\n")
    elif mode == "check":
        check(list(rows(sys.argv[3:])), load_q(sys.argv[2]))
    elif mode == "split":
        q = load_q("/tmp/ylog4_q.txt")
        for spec in sys.argv[2:]:
            op, fn = spec.split(":", 1)
            for line in open(fn):
                r = parse(op, line)
                if r is None:
                    continue
                x = r["x"]
                e = int(floor(log(x, 2)))
                s = x / mpf(2) ** e
                if not (1.39 < s < 1.45):
                    continue
                res = []
                for k, t in ((e, s - 1), (e + 1, s / 2 - 1)):
                    T, S = kernel(k, t)
                    rr = dict(T=T, S=S)
                    res.append(model_L(rr, q) == r["G"])
                print("%s e %d s %.6f  low-path %s  high-path %s" % (r["xh"], e, float(s), res[0], res[1]))


main()
