"""Fits the error of the FYL2X / FYL2XP1 microcode's atanh remainder (README,
section "FYL2X / FYL2XP1", model for 2^-10 <= |t| < 2^-4).

Reads ylog_scan.ts output files (`X e d w`: d is the offset of the pinned
68-bit |L| from the exact |log|, in units of its last bit), evaluates for each
x the kernel T = R68(2t / R68(2 + t)), L1 = R68(T C) and the exact W =
ln(1 + t) - 2z, and bounds the microcode's C W' - C W by the interval its
pinned L stands for (k = 0 only: FYL2XP1, or FYL2X of x in [sqrt(1/2),
sqrt(2))). Then:
  bins  prints, per z-bin, the intersection of (W' - W)/W over the cases
        whose T is far from a rounding tie (the error curve);
  fit   solves a linear program for Chebyshev coefficients (in
        x = 2 z^2 / 0.0295 - 1, units 10^-18) of e(z^2) = C (W' - W) / z^3,
        minimising the largest violation, for degrees 4 ... 8.
Needs mpmath, numpy, scipy.

  python3 tools/x87-transc/ylog_remfit.py bins|fit fyl2xp1:FILE [fyl2x:FILE ...]
"""
import sys
from mpmath import mp, mpf, log, log1p, nint, floor
import numpy as np
from numpy.polynomial import chebyshev as Ch
from scipy.optimize import linprog

mp.prec = 320
C0 = mpf(0x2E2A8ECA5705FC2EF) / 2**65
LN2 = log(2)
SMAX = 0.0295


def ulp(v, bits=68):
    return mpf(2) ** (int(floor(log(abs(v), 2))) - bits + 1)


def r68(v):
    return nint(v / ulp(v)) * ulp(v)


def rows(op, fn):
    for line in open(fn):
        xh, le, d, _ = line.split()
        if d in ("none", "many"):
            continue
        se, m = int(xh[:4], 16), int(xh[4:], 16)
        x = (-1 if se >> 15 else 1) * mpf(m) * mpf(2) ** ((se & 0x7FFF) - 16383 - 63)
        t = x if op == "fyl2xp1" else x - 1
        if op == "fyl2x" and not (mpf(0.5) ** 0.5 <= x < mpf(2) ** 0.5):
            continue
        exact = log1p(t) / LN2
        u = mpf(2) ** (int(le) - 67)
        G = (1 if exact > 0 else -1) * nint(abs(exact) / u + mpf(d)) * u  # magnitudes
        z = t / (2 + t)
        W = log1p(t) - 2 * z
        Q = 2 * t / r68(2 + t)
        T = r68(Q)
        L1 = r68(T * C0)
        uG = ulp(G)
        lo, hi = G - uG / 2 - L1 - C0 * W, G + uG / 2 - L1 - C0 * W  # bounds on C (W' - W)
        yield dict(t=t, z=z, W=W, lo=lo, hi=hi, tie=abs(float((Q - T) / ulp(T))))


def main():
    mode, files = sys.argv[1], sys.argv[2:]
    data = [r for spec in files for r in rows(*spec.split(":", 1))]
    if mode == "bins":
        bins = {}
        for r in data:
            if r["tie"] > 0.3:
                continue
            a, b = sorted((float(r["lo"] / (C0 * r["W"])), float(r["hi"] / (C0 * r["W"]))))
            bins.setdefault(round(float(r["z"]) * 100) / 100, []).append((a, b))
        for k in sorted(bins):
            lo = max(a for a, _ in bins[k])
            hi = min(b for _, b in bins[k])
            print("z~%+.2f n=%4d (W'-W)/W in [%.3g, %.3g]" % (k, len(bins[k]), lo, hi))
        return
    pts = []
    for r in data:
        a, b = sorted((float(r["lo"] / r["z"] ** 3 * 10**18), float(r["hi"] / r["z"] ** 3 * 10**18)))
        pts.append((float(r["z"] ** 2), a, b))
    for deg in range(4, 9):
        B = Ch.chebvander(np.array([2 * s / SMAX - 1 for s, _, _ in pts]), deg)
        A, ub = [], []
        for i, (_, a, b) in enumerate(pts):
            A.append(np.append(B[i], -1.0))
            ub.append(b)
            A.append(np.append(-B[i], -1.0))
            ub.append(-a)
        c = np.zeros(deg + 2)
        c[-1] = 1
        res = linprog(c, A_ub=np.array(A), b_ub=np.array(ub), bounds=[(None, None)] * (deg + 2), method="highs")
        viol = sum(1 for i, (s, a, b) in enumerate(pts) if not a <= B[i] @ res.x[:-1] <= b)
        print("degree %d: largest violation %.3g, %d of %d cases violated" % (deg, res.x[-1], viol, len(pts)))
        print("  coefficients", [float(v) for v in res.x[:-1]])


main()
