"""Fits the FYL2X / FYL2XP1 remainder as a polynomial in the microcode's
quotient T (README, section "FYL2X / FYL2XP1: remainder polynomial").

Reads ylog_scan.ts output (`X e d w`: d the offset of the pinned 68-bit |L|
from the exact |log| in units of its last bit; k = 0 only: FYL2XP1, or FYL2X
of x in [sqrt(1/2), sqrt(2))). Per case, with T = R68(2t / R68(2 + t)) and
L1 = R68(T C), the pinned L bounds the remainder R (L = R68(L1 + R)) to
[L - u/2 - L1, L + u/2 - L1]. Model: R = T g Q(g), g = T^2, Q of degree DEG.

  fit LIM DEG FILES...   linear program for Q (as a correction to a
                         Chebyshev interpolant of the exact remainder)
                         over the cases with |t| < LIM, minimising the
                         largest violation (in units of L); prints the
                         violation, the cases missed, and Q's coefficients
                         times 2^140 (REM_POLY in cpu/fpu/transc_amd_ylog.ts)
  grid LIM DEG P FILES...  the same with R first rounded to nearest at P
                         significant bits (ties of L1 + R to even): tests
                         "C W' rounded before the last add"

FILES are OP:PATH with OP fyl2xp1 or fyl2x. Needs mpmath, numpy, scipy.

  python3 tools/x87-transc/ylog3_fit.py fit 0.03125 6 fyl2xp1:/tmp/p1.txt fyl2x:/tmp/x.txt
"""
import sys
from mpmath import mp, mpf, log, log1p, nint, floor, ceil, atanh, sqrt, chebyfit, polyval
import numpy as np
from scipy.optimize import linprog

mp.prec = 320
C0 = mpf(0x2E2A8ECA5705FC2EF) / 2**65
LN2 = log(2)
GMAX = mpf("0.1225")  # T^2 below this for every reduced t


def ulp(v, bits=68):
    return mpf(2) ** (int(floor(log(abs(v), 2))) - bits + 1)


def r68(v):
    return nint(v / ulp(v)) * ulp(v)


def rows(op, fn, lim):
    for line in open(fn):
        xh, le, d, _ = line.split()
        if d in ("none", "many"):
            continue
        se, m = int(xh[:4], 16), int(xh[4:], 16)
        x = (-1 if se >> 15 else 1) * mpf(m) * mpf(2) ** ((se & 0x7FFF) - 16383 - 63)
        t = x if op == "fyl2xp1" else x - 1
        if op == "fyl2x" and not (mpf(0.5) ** 0.5 <= x < mpf(2) ** 0.5):
            continue
        if abs(t) >= lim:
            continue
        exact = log1p(t) / LN2
        u = mpf(2) ** (int(le) - 67)
        G = (1 if exact > 0 else -1) * nint(abs(exact) / u + mpf(d)) * u
        T = r68(2 * t / r68(2 + t))
        L1 = r68(T * C0)
        uG = ulp(G)
        yield dict(t=t, T=T, G=G, lo=G - uG / 2 - L1, hi=G + uG / 2 - L1)


def exact_q(g):
    """The exact Q: C (2 atanh(T/2) - T) / T^3."""
    if g == 0:
        return C0 / 12
    T = sqrt(g)
    return C0 * (2 * atanh(T / 2) - T) / (T * g)


def snap(r, p):
    """Bounds on the unrounded R when R is rounded to p bits before the add."""
    lo, hi, u = r["lo"], r["hi"], ulp(r["G"])
    h = ulp(r["T"] ** 3 * C0 / 12, p)
    neg = r["T"] < 0
    a, b = (-hi, -lo) if neg else (lo, hi)
    ca, fb = ceil(a / h) * h, floor(b / h) * h
    if int(nint(abs(r["G"]) / u)) % 2:  # odd L: its midpoints round away
        ca += h if ca == a else 0
        fb -= h if fb == b else 0
    a, b = ca - h / 2, fb + h / 2
    return (-b, -a) if neg else (a, b)


def fit(data, deg, p=None):
    P0 = chebyfit(exact_q, [0, GMAX], deg + 1)
    A, ub, pts = [], [], []
    for r in data:
        T = r["T"]
        g = T * T
        u = ulp(r["G"])
        lo, hi = snap(r, p) if p else (r["lo"], r["hi"])
        base = T * g * polyval(P0, g)
        lo, hi = float((lo - base) / u), float((hi - base) / u)
        v = [float(T * g * (g / GMAX) ** j / u / mpf(2) ** 60) for j in range(deg + 1)]
        pts.append((v, lo, hi))
        A.append(v + [-1.0])
        ub.append(hi)
        A.append([-x for x in v] + [-1.0])
        ub.append(-lo)
    c = np.zeros(deg + 2)
    c[-1] = 1
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(ub), bounds=[(None, None)] * (deg + 2), method="highs")
    d = res.x[:-1]
    missed = [float(data[i]["t"]) for i, (v, lo, hi) in enumerate(pts) if not lo < np.dot(v, d) < hi]
    p0 = list(reversed(P0))
    q = [p0[j] + mpf(d[j]) / GMAX**j / mpf(2) ** 60 for j in range(deg + 1)]
    return res.x[-1], missed, q


def main():
    mode, lim, deg = sys.argv[1], mpf(sys.argv[2]), int(sys.argv[3])
    p = int(sys.argv[4]) if mode == "grid" else None
    files = sys.argv[5:] if mode == "grid" else sys.argv[4:]
    data = [r for spec in files for r in rows(*spec.split(":", 1), lim)]
    viol, missed, q = fit(data, deg, p)
    print("%d cases, degree %d: largest violation %.6f units of L, %d missed" % (len(data), deg, viol, len(missed)))
    print("  missed t:", sorted(round(t, 4) for t in missed)[:40])
    for c in q:
        print("  0x%xn," % int(nint(c * mpf(2) ** 140)))


main()
