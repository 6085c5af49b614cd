"""One remainder polynomial for FYL2X / FYL2XP1 (README, section "FYL2X /
FYL2XP1: one remainder (round 5)").

Exact integer re-implementation of the kernel of cpu/fpu/transc_amd_ylog.ts
on pinned logarithms (ylog_scan.ts output `X e d w`), to fit and check ONE
remainder polynomial Q over the whole reduced range:

    t = x (FYL2XP1) or x = 2^k (1 + t), 1 + t in [sqrt(1/2), sqrt(2)) (FYL2X)
    T = R68(2t / R68(2 + t)), L1 = R68(T C), S = L1 (k = 0) or R68(k + L1)
    R = |T| g Q(g), g = T^2 (sign of t), optionally R68(R) (--rsig 68)
    L = R68(S + R)

Every value is an integer in fixed point 2^-F (F = 320); pinned cases are
parsed once (mpmath) and cached in /tmp/ylog6/cache_*.pkl.

  fit LIM DEG RSIG FILES...       summed-violation LP (HiGHS) for Q over
                                  |t| >= LIM; writes /tmp/ylog6/q.txt
  check QSPEC RSIG FILES...       misses per (kind, band of |t|); QSPEC a
                                  file of 0x... lines (times 2^140) or
                                  "today" (the engine's four per-band sets
                                  before this round, commit 0ec7e71)
  fitk0 ...                       as fit, but on k = 0 / FYL2XP1 cases only

FILES are OP:PATH with OP fyl2x or fyl2xp1. RSIG 0 = R not rounded.
Environment:
  YLOG6_STRUCT  how R is formed (default r; see STRUCTS and remainder_l
                below): x, r, p, q, pq, tq, qx (multiplier T), l, lx, lp,
                lq, lqx, lpq, lpx (multiplier L1), c (C times a product),
                s (split p0 term, YLOG6_P0 = p0 in hex times 2^140); a
                leading G rounds g = T^2 to 68 bits. Glp is the engine's
                REM_ONE form: R68(R68(L1 R68(T^2)) P).
  YLOG6_PQ      t form (Gt): P = p0 + R_PQ(g A(g)), p0 = YLOG6_P0
  YLOG6_P       "PG,PH,PR": precisions of g, h and R in the lp form
  YLOG6_PP      lp form: P rounded to that many bits first
  YLOG6_MODE    lp form: g, h, R rounded nearest (n) or toward zero (z), e.g. nnz
  YLOG6_TREM    the remainder's T: exact, D (2t / R68(2 + t)) or bits
  YLOG6_TMAX    only |t| below it;  YLOG6_Q  output file of fit
  YLOG6_LIST    check: print that many missed cases
Needs mpmath, numpy, scipy. The committed REM_ONE came from

  YLOG6_STRUCT=Glp python3 tools/x87-transc/ylog6_one.py fit 0.015625 9 68 FILES...

over the pinned sets listed in the README section.

  python3 tools/x87-transc/ylog6_one.py fit 0.015625 10 68 fyl2xp1:/tmp/ylog4/p1.out fyl2x:/tmp/ylog4/k0.out ...
"""
import os
import pickle
import re
import sys

F = 320
C66 = 0x2E2A8ECA5705FC2EF  # log2(e) * 2^65, 66 bits
ONE = 1 << F
TMAX = float(os.environ.get("YLOG6_TMAX", "1"))


def r68(v, p=68):
    """v (int, fixed point 2^-F) rounded to p significant bits, nearest-even."""
    if v == 0:
        return 0
    a = -v if v < 0 else v
    sh = a.bit_length() - p
    if sh <= 0:
        return v
    q, rem = a >> sh, a & ((1 << sh) - 1)
    h = 1 << (sh - 1)
    if rem > h or (rem == h and q & 1):
        q += 1
    a = q << sh
    return -a if v < 0 else a


def rtz(v, p=68):
    """v rounded to p significant bits toward zero."""
    a = -v if v < 0 else v
    sh = a.bit_length() - p
    if sh > 0:
        a = a >> sh << sh
    return -a if v < 0 else a


def r68_div(n, d, p=68):
    """n / d (d > 0) rounded to p bits, as fixed point 2^-F (n already scaled)."""
    neg = n < 0
    n = -n if neg else n
    q0 = n // d
    extra = max(0, p + 2 - q0.bit_length())
    q = (n << extra) // d
    sticky = (n << extra) != q * d
    sh = q.bit_length() - p
    m, rem = q >> sh, q & ((1 << sh) - 1)
    h = 1 << (sh - 1)
    if rem > h or (rem == h and (sticky or m & 1)):
        m += 1
    s = sh - extra
    a = m << s if s >= 0 else None
    assert a is not None, "grid finer than 2^-F"
    return -a if neg else a


def parse_file(op, fn):
    from mpmath import mp, mpf, log, log1p, nint

    mp.prec = 360
    ln2 = log(2)
    out = []
    for line in open(fn):
        xh, le, d, _ = line.split()
        if d in ("none", "many"):
            continue
        se, m = int(xh[:4], 16), int(xh[4:], 16)
        neg = se >> 15
        ex = (se & 0x7FFF) - 16383 - 63
        x = (-1 if neg else 1) * mpf(m) * mpf(2) ** ex
        exact = log1p(x) / ln2 if op == "fyl2xp1" else log(x) / ln2
        ue = int(le) - 67
        gi = int(nint(abs(exact) / mpf(2) ** ue + mpf(d)))
        G = (1 if exact > 0 else -1) * (gi << (F + ue))
        # x as fixed point: m 2^ex
        if op == "fyl2xp1":
            k, t = 0, (-1 if neg else 1) * (m << (F + ex))
        else:
            # significand s in [1, 2): m 2^-63; split at sqrt(2) (s^2 < 2^127 in ints)
            e = ex + 63
            if m * m < 1 << 127:
                k, t = e, (m - (1 << 63)) << (F - 63)
            else:
                k, t = e + 1, (m - (1 << 64)) << (F - 64)
        out.append((op, xh, k, t, G, ue))
    return out


def load(specs):
    os.makedirs("/tmp/ylog6", exist_ok=True)
    rows = []
    for spec in specs:
        op, fn = spec.split(":", 1)
        cf = "/tmp/ylog6/cache_" + re.sub(r"[^A-Za-z0-9]", "_", spec) + ".pkl"
        if os.path.exists(cf) and os.path.getmtime(cf) > os.path.getmtime(fn):
            rows += pickle.load(open(cf, "rb"))
            continue
        r = parse_file(op, fn)
        pickle.dump(r, open(cf, "wb"))
        rows += r
    return rows


TREM = os.environ.get("YLOG6_TREM", "")  # the remainder's T: "" (T), "exact", "D", or P (bits)


def kernel(k, t):
    D = r68(2 * ONE + t)
    T = r68_div(2 * t << F, D)
    L1 = r68_div(T * C66, 1 << 65)
    S = L1 if k == 0 else r68(k * ONE + L1)
    if TREM == "exact":
        Tr = (2 * t << F) // (2 * ONE + t)
    elif TREM == "D":
        Tr = (2 * t << F) // D
    elif TREM:
        Tr = r68_div(2 * t << F, D, int(TREM))
    else:
        Tr = T
    return Tr, S, L1


def prep(rows, lim=0.0):
    out = []
    for op, xh, k, t, G, ue in rows:
        if t == 0:
            continue
        at = abs(t) / ONE
        if at < lim or at >= TMAX:
            continue
        T, S, L1 = kernel(k, t)
        h = 1 << (F + ue - 1)
        out.append(dict(op=op, xh=xh, k=k, t=t, at=at, T=T, S=S, L1=L1, G=G, lo=G - h - S, hi=G + h - S, u=2 * h))
    return out


def kind(r):
    return "p1" if r["op"] == "fyl2xp1" else "k0" if r["k"] == 0 else "k"


def band(r):
    import math

    return math.floor(math.log2(r["at"]))


STRUCT = os.environ.get("YLOG6_STRUCT", "r")  # see STRUCTS


# Remainder evaluations (R from T, g and Q's value; "G" prefix: g = R68(T^2)):
#   x   R = T g Q                     (exact)
#   r   R = R68(T g Q)                (rsig bits)
#   p   R = R68(R68(T g) Q)
#   q   R = R68(T R68(g Q))
#   pq  R = R68(R68(T g) R68(Q))
#   tq  R = R68(T R68(g R68(Q)))
STRUCTS = ("x", "r", "p", "q", "pq", "tq")


# YLOG6_P = "PG,PH,PR": precisions of g, h = L1 g and R in the "Glp" form
PG, PH, PR = (int(v) for v in os.environ.get("YLOG6_P", "68,68,68").split(","))
PP = int(os.environ.get("YLOG6_PP", "0"))
MODE = os.environ.get("YLOG6_MODE", "nnn")  # lp form: g, h, R rounded nearest (n) or toward zero (z)


def rg(v, p, m):
    return r68(v, p) if m == "n" else rtz(v, p)  # lp form: P rounded to PP bits first (0: exact)


def gval(T, st, L1=None):
    """g = T^2 (G prefix: rounded to PG bits); L prefix: g = R68(L1^2) instead."""
    if st.startswith("L"):
        return r68(L1 * L1 >> F, PG)
    g = T * T >> F
    return rg(g, PG, MODE[0]) if st.startswith("G") else g


def qpoly(g, q):
    acc = 0
    for c in reversed(q):
        acc = (acc * g >> F) + (c << (F - 140))
    return acc


def remainder(r, q, rsig=0, st=None):
    """R in fixed point 2^-F (q: ints times 2^-140), structure st."""
    st = (STRUCT if st is None else st)
    if rsig == 0:
        st = st.replace("r", "x")
    T = r["T"]
    g = gval(T, st, r["L1"])
    if st.lstrip("G") == "s":
        return remainder_s(r, g, q)
    if st.lstrip("G") == "t":
        return remainder_t(r, g, q)
    Q = qpoly(g, q)
    if "l" in st or "c" in st:
        return remainder_l(r, g, Q, st.lstrip("GL"))
    s = st.lstrip("G")
    if s == "x":
        return (T * g >> F) * Q >> F
    if s == "r":
        return r68((T * g >> F) * Q >> F, rsig)
    if s == "p":
        return r68(r68(T * g >> F) * Q >> F)
    if s == "q":
        return r68(T * r68(g * Q >> F) >> F)
    if s == "qx":
        return T * r68(g * Q >> F) >> F
    if s == "pq":
        return r68(r68(T * g >> F) * r68(Q) >> F)
    if s == "tq":
        return r68(T * r68(g * r68(Q) >> F) >> F)
    raise ValueError(st)


# Forms with Q = P C split (P near the atanh series 1/12, 1/80, ...):
#   l   R = R68(L1 g P)      (the kernel's own L1 = R68(T C) as multiplier)
#   lx  R = L1 g P           lp  R = R68(R68(L1 g) P)     lq  R = R68(L1 R68(g P))
#   lpq R = R68(R68(L1 g) R68(P))      lm  R = R68(R68(R68(L1 T) T) P)
#   lqx R = L1 R68(g P)      (qx: T R68(g Q), the product fused into the final add)
#   c   R = R68(C R68(T g P))
def remainder_l(r, g, P, s):
    L1, T = r["L1"], r["T"]
    if s == "l":
        return r68((L1 * g >> F) * P >> F)
    if s == "lx":
        return (L1 * g >> F) * P >> F
    if s == "lp":
        return rg(rg(L1 * g >> F, PH, MODE[1]) * (r68(P, PP) if PP else P) >> F, PR, MODE[2])
    if s == "lq":
        return r68(L1 * r68(g * P >> F) >> F)
    if s == "lqx":
        return L1 * r68(g * P >> F) >> F
    if s == "lpq":
        return r68(r68(L1 * g >> F) * r68(P) >> F)
    if s == "lpx":
        return r68(L1 * g >> F) * P >> F
    if s == "lm":  # h = R68(R68(L1 T) T) instead of R68(L1 g)
        return r68(r68(r68(L1 * T >> F) * T >> F) * P >> F)
    if s == "c":
        return r68(r68((T * g >> F) * P >> F) * C66 >> 65)
    raise ValueError(s)


P0 = os.environ.get("YLOG6_P0", "")  # "s": p0 (times 2^140) fixed for the fit


PQ = int(os.environ.get("YLOG6_PQ", "68"))  # t form: precision of g A(g)


def remainder_t(r, g, q):
    """t: h = R68(L1 g), P = p0 + R_PQ(g A(g)), R = R68(h P), q = [p0] + A."""
    h = r68(r["L1"] * g >> F)
    P = (q[0] << (F - 140)) + r68(g * qpoly(g, q[1:]) >> F, PQ)
    return r68(h * P >> F)


def remainder_s(r, g, q):
    """s: h = R68(L1 g), R = R68(R68(h p0) + R68(R68(h g) A(g))), q = [p0] + A."""
    h = r68(r["L1"] * g >> F)
    p0 = r68(q[0] << (F - 140))
    a = qpoly(g, q[1:])
    return r68(r68(h * p0 >> F) + r68(r68(h * g >> F) * a >> F))


def cells(lo, hi, p=68):
    """Values w with R_p(w) in the open (lo, hi): the hull of those cells."""
    if lo >= 0:
        return _cells_pos(lo, hi, p)
    if hi <= 0:
        a, b = _cells_pos(-hi, -lo, p)
        return -b, -a
    return lo, hi  # straddles 0: no narrowing needed (does not happen)


def cells_z(lo, hi, p=68):
    """Values w with R_p toward zero (w) in the open (lo, hi): their hull."""
    if lo >= 0:
        return _cells_pos_z(lo, hi, p)
    a, b = _cells_pos_z(-hi, -lo, p)
    return -b, -a


def _cells_pos_z(lo, hi, p):
    u = _ulp(lo + 1, p)
    v1 = (lo // u + 1) * u
    if v1 % _ulp(v1, p):
        v1 = (v1 // _ulp(v1, p) + 1) * _ulp(v1, p)
    u2 = _ulp(hi - 1, p)
    v2 = ((hi - 1) // u2) * u2
    if v1 > v2:
        m = (lo + hi) // 2
        return m, m
    return v1, v2 + _ulp(v2, p)


def _ulp(a, p):
    return 1 << max(0, a.bit_length() - p)


def _cells_pos(lo, hi, p):
    # smallest p-bit value > lo, largest < hi
    u = _ulp(lo + 1, p)
    v1 = (lo // u + 1) * u
    if _ulp(v1, p) != u and v1 % _ulp(v1, p):
        v1 = (v1 // _ulp(v1, p) + 1) * _ulp(v1, p)
    u2 = _ulp(hi - 1, p)
    v2 = ((hi - 1) // u2) * u2
    if v1 > v2:  # no value inside: nearest cell, infeasible by a little
        m = (lo + hi) // 2
        return m, m
    pu = _ulp(v1 - 1, p)  # cell below v1 may be half as wide
    return v1 - pu // 2, v2 + _ulp(v2, p) // 2


def qbounds(r, rsig, st):
    """Bounds (ints, 2^-F) on Q(g) such that the structure gives R in (lo, hi)."""
    T, lo, hi = r["T"], r["lo"], r["hi"]
    st = st if rsig else st.replace("r", "x")
    g = gval(T, st, r["L1"])
    s = st.lstrip("GL")
    sg = 1 if T > 0 else -1

    def div(a, b, d):  # [a, b] / d (d != 0), as sorted ints
        x, y = a * ONE // d, b * ONE // d
        return (x, y) if x <= y else (y, x)

    L1 = r["L1"]
    if s == "t":  # bounds on A(g); p0 from YLOG6_P0
        h = r68(L1 * g >> F)
        p0 = int(P0, 16) << (F - 140)
        a, b = div(*cells(lo, hi), h)
        return div(*cells(a - p0, b - p0, PQ), g)
    if s == "s":  # bounds on A(g); p0 from YLOG6_P0
        h = r68(L1 * g >> F)
        p0 = r68(int(P0, 16) << (F - 140))
        a, b = cells(lo, hi)
        hp = r68(h * p0 >> F)
        return div(*cells(a - hp, b - hp), r68(h * g >> F))
    if s == "l":
        return div(*cells(lo, hi), L1 * g >> F)
    if s == "lx":
        return div(lo, hi, L1 * g >> F)
    if s == "lp":
        a, b = div(*(cells(lo, hi, PR) if MODE[2] == "n" else cells_z(lo, hi, PR)), rg(L1 * g >> F, PH, MODE[1]))
        return cells(a, b, PP) if PP else (a, b)
    if s == "lq":
        a, b = div(*cells(lo, hi), L1)
        return div(*cells(a, b), g)
    if s == "lpq":
        a, b = div(*cells(lo, hi), r68(L1 * g >> F))
        return cells(a, b)
    if s == "lpx":
        return div(lo, hi, r68(L1 * g >> F))
    if s == "lm":
        return div(*cells(lo, hi), r68(r68(L1 * T >> F) * T >> F))
    if s == "lqx":
        a, b = div(lo, hi, L1)
        return div(*cells(a, b), g)
    if s == "qx":
        a, b = div(lo, hi, T)
        return div(*cells(a, b), g)
    if s == "c":
        a, b = div(*cells(lo, hi), C66 >> (F - 65) if False else (C66 << (F - 65)))
        return div(*cells(a, b), T * g >> F)
    if s == "x":
        return div(lo, hi, T * g >> F)
    if s == "r":
        a, b = cells(lo, hi, rsig)
        return div(a, b, T * g >> F)
    if s == "p":
        a, b = cells(lo, hi)
        return div(a, b, r68(T * g >> F))
    if s == "q":
        a, b = div(*cells(lo, hi), T)
        return div(*cells(a, b), g)
    if s == "pq":
        a, b = div(*cells(lo, hi), r68(T * g >> F))
        return cells(a, b)
    if s == "tq":
        a, b = div(*cells(lo, hi), T)
        a, b = div(*cells(a, b), g)
        return cells(a, b)
    raise ValueError(st)


# today's engine: (set, rounded) per kind and band, |t| >= 2^-6 (k = 0 / p1), 2^-4 (k != 0)
def load_engine_sets():
    """The four per-band sets of the engine before this round (commit 0ec7e71)."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    src = subprocess.run(
        ["git", "show", "0ec7e71:cpu/fpu/transc_amd_ylog.ts"], cwd=here, capture_output=True, text=True, check=True
    ).stdout
    sets = {}
    for name in ("REM_POLY", "REM_FULL", "REM_MID", "REM_HI"):
        body = src.split("const %s = [" % name)[1].split("];")[0]
        sets[name] = [int(v.replace("n", "").replace("-0x", "-0x"), 16) for v in re.findall(r"-?0x[0-9a-f]+n", body)]
    return sets


def today(r, sets):
    b = band(r)
    if r["k"] == 0:
        if b >= -3:
            return sets["REM_HI"], 68
        if b >= -5:
            return sets["REM_MID"], 68
        if b >= -6:
            return sets["REM_POLY"], 0
        return None, 0
    if b >= -3:
        return sets["REM_HI"], 68
    if b >= -4:
        return sets["REM_FULL"], 0
    return None, 0


def model_ok(r, q, rsig):
    R = remainder(r, q, rsig)
    return r68(r["S"] + R) == r["G"]


def check(rows, qspec, rsig):
    sets = load_engine_sets() if qspec == "today" else None
    q = None if sets else load_q(qspec)
    tot = {}
    bad = []
    for r in rows:
        if sets:
            qq, rs = today(r, sets)
            if qq is None:
                continue
        else:
            qq, rs = q, rsig
        key = (kind(r), band(r))
        ok = model_ok(r, qq, rs)
        n, b = tot.get(key, (0, 0))
        tot[key] = (n + 1, b + (0 if ok else 1))
        if not ok:
            bad.append(r)
    for key in sorted(tot):
        print("  %-3s band 2^%d: %d cases, %d differ" % (key[0], key[1], *tot[key]))
    print("  total: %d cases, %d differ" % (sum(n for n, _ in tot.values()), len(bad)))
    return bad


def load_q(fn):
    return [int(l.strip().rstrip("n,").replace("0x-", "-0x"), 16) for l in open(fn) if l.strip()]


def fit(rows, deg, rsig):
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, identity, vstack

    GMAX = 0.1225
    # baseline: Taylor q_j = C / ((2j + 3) 4^(j + 1)) times 2^140
    base = [(C66 << 75) // ((2 * j + 3) * 4 ** (j + 1)) for j in range(deg + 1)]
    if "l" in STRUCT or "c" in STRUCT:  # P: the series without C
        base = [(1 << 140) // ((2 * j + 3) * 4 ** (j + 1)) for j in range(deg + 1)]
    if STRUCT.startswith("L"):  # P'(y) = P(y / C^2) / C^2 for g = L1^2
        base = [b * (1 << (65 * (2 * j + 2))) // C66 ** (2 * j + 2) for j, b in enumerate(base)]
    if STRUCT.lstrip("G") in ("s", "t"):  # A: the series from p1 on
        base = [(1 << 140) // ((2 * j + 5) * 4 ** (j + 2)) for j in range(deg + 1)]
    V, LO, HI = [], [], []
    for r in rows:
        T = r["T"]
        qa, qb = qbounds(r, rsig, STRUCT)
        gi = gval(T, STRUCT if rsig else STRUCT.replace("r", "x"), r["L1"])
        Q0 = qpoly(gi, base)
        u = r["u"]
        g = gi / ONE
        mul = abs(r["L1"] / ONE) if "l" in STRUCT else abs(T / ONE) * (C66 / 2**65 if "c" in STRUCT else 1)
        if STRUCT.lstrip("G") in ("s", "t"):
            mul = abs(r["L1"] / ONE) * gi / ONE
        Tg = mul * g  # bounds on Q scaled by |T| g (units of L)
        V.append([Tg * (g / GMAX) ** j / (u / ONE) * 2.0**-60 for j in range(deg + 1)])
        LO.append((qa - Q0) / ONE * Tg / (u / ONE))
        HI.append((qb - Q0) / ONE * Tg / (u / ONE))
    n = len(V)
    Vm = csr_matrix(np.array(V))
    I = identity(n, format="csr")
    A = vstack([hstack([Vm, -I]), hstack([-Vm, -I])])
    b = np.array(HI + [-x for x in LO])
    c = np.concatenate([np.zeros(deg + 1), np.ones(n)])
    res = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * (deg + 1) + [(0, None)] * n, method="highs")
    d = res.x[: deg + 1]
    # corrections: d_j 2^-60 (g/GMAX)^j per unit -> coefficient of g^j times 2^140
    q = [base[j] + int(round(d[j] * 2.0**80 / GMAX**j)) for j in range(deg + 1)]
    return q, res.fun


def main():
    mode = sys.argv[1]
    if mode in ("fit", "fitk0"):
        lim, deg, rsig = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        rows = prep(load(sys.argv[5:]), lim)
        if mode == "fitk0":
            rows = [r for r in rows if r["k"] == 0]
        q, viol = fit(rows, deg, rsig)
        if STRUCT.lstrip("G") in ("s", "t"):
            q = [int(P0, 16)] + q
        out = os.environ.get("YLOG6_Q", "/tmp/ylog6/q.txt")
        with open(out, "w") as f:
            for c in q:
                f.write(("-" if c < 0 else "") + "0x%xn,\n" % abs(c))
        print("%d cases, degree %d, rsig %d: summed violation %.4f; Q in %s" % (len(rows), deg, rsig, viol, out))
        check(rows, out, rsig)
    elif mode == "check":
        rows = prep(load(sys.argv[4:]))
        bad = check(rows, sys.argv[2], int(sys.argv[3]))
        for r in bad[: int(os.environ.get("YLOG6_LIST", "0"))]:
            print("   ", r["op"], r["xh"], "k", r["k"], "t %.6f" % (r["t"] / ONE))


if __name__ == "__main__":
    main()
