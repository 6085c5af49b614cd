"""FPTAN round 5: the coefficient set whose ratio t P / Q follows tan t best
(relative minimax error over t in [0, pi/4]) when only some coefficients
move from a start set (the others, e.g. p0, p1, q0, q1, q4 pinned by small
arguments, stay). A linear program on the linearized relative error,
iterated; prints the new set (tan_coef*.txt format) and, on stderr, the
error before / after in units of 2^-64.

Run: FREE=2,3,4,6,7 [TMAXR=0.7853981] python3 tools/x87-transc/tan5_ratio.py COEF.txt > new.txt
  FREE indices: 1..4 = p1..p4, 5..8 = q0..q4 offset by 4 (5 = q1, 6 = q2, 7 = q3, 8 = q4)
"""
import sys, os, json
import mpmath as mp
import numpy as np
from scipy.optimize import linprog

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5

mp.mp.prec = 200
FREE = [int(v) for v in os.environ.get("FREE", "2,3,4,6,7").split(",")]
TMAXR = mp.mpf(os.environ.get("TMAXR", str(mp.pi / 4)))
NPT = 300


def err_rows(P, Q):
    Pv = [mp.ldexp(m, e) for m, e in P]
    Qv = [mp.ldexp(m, e) for m, e in Q]
    rows, es = [], []
    for i in range(1, NPT + 1):
        t = TMAXR * i / NPT
        g = t * t
        pv = sum(c * g**k for k, c in enumerate(Pv))
        qv = sum(c * g**k for k, c in enumerate(Qv))
        e = (t * pv / qv / mp.tan(t) - 1) * mp.mpf(2) ** 64
        row = []
        for j in FREE:
            k = j if j <= 4 else j - 4
            # a change of 2^-67 in coefficient k (absolute)
            d = mp.mpf(2) ** -67 * g**k * mp.mpf(2) ** 64
            row.append(float(d / pv if j <= 4 else -d / qv))
        rows.append(row)
        es.append(float(e))
    return np.array(rows), np.array(es)


def apply(P, Q, x):
    P2, Q2 = list(P), list(Q)
    for j, v in zip(FREE, x):
        cs, k = (P2, j) if j <= 4 else (Q2, j - 4)
        cs[k] = L5.rsig_s(*L5.add(cs[k], (int(round(v * 2**30)), -67 - 30)), 68)
    return P2, Q2


EPS = float(os.environ.get("EPS", "0"))


def solve(P, Q):
    """EPS = 0: minimize the max error. EPS > 0: the smallest moves (L1,
    each weighted by its effect at t = pi/4, g^k) keeping |error| <= EPS."""
    A, e = err_rows(P, Q)
    n = len(FREE)
    if EPS <= 0:
        # minimize z: -z <= e + A x <= z
        c = np.zeros(n + 1)
        c[-1] = 1
        Aub = np.vstack([np.hstack([A, -np.ones((len(e), 1))]), np.hstack([-A, -np.ones((len(e), 1))])])
        bub = np.concatenate([-e, e])
        res = linprog(c, A_ub=Aub, b_ub=bub, bounds=[(None, None)] * n + [(0, None)], method="highs")
        return res.x[:n], res.fun, np.max(np.abs(e))
    gm = float(mp.pi / 4) ** 2
    w = np.array([gm ** (j if j <= 4 else j - 4) for j in FREE])
    # x = xp - xm, minimize w.(xp + xm)
    c = np.concatenate([w, w])
    Aub = np.vstack([np.hstack([A, -A]), np.hstack([-A, A])])
    bub = np.concatenate([EPS - e, EPS + e])
    res = linprog(c, A_ub=Aub, b_ub=bub, bounds=[(0, None)] * (2 * n), method="highs")
    x = res.x[:n] - res.x[n:]
    return x, float(np.max(np.abs(e + A @ x))), np.max(np.abs(e))


if __name__ == "__main__":
    P, Q = L5.read_coef(sys.argv[1])
    for it in range(3):
        x, z, e0 = solve(P, Q)
        print(f"iter {it}: max error {e0:.6f} -> {z:.6f} (2^-64 units); moves (2^-67 units) {np.round(x, 3).tolist()}", file=sys.stderr)
        P, Q = apply(P, Q, x)
    _, _, e = solve(P, Q)
    print(f"final max error {e:.6f}", file=sys.stderr)
    print(json.dumps(P))
    print(json.dumps(Q))
