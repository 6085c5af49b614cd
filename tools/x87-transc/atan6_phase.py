"""FPATAN round 6: phase scan of one rounded step, per window of small-ratio cases
(atan5_tiny.py gen; each window spans 2^-28 of r, atan6_fit.py's loader).

Inside a window the value V of a candidate step (P = s P(g), Q = s Q(g), or quo = P / Q at scale
s) moves smoothly and its variation is known from the minimax coefficients, but its position on
the 68-bit grid (the phase c, i.e. the low bits of the host's coefficients) is not. For each s
(NS values in [1, 2)) and c (NC values in [0, 1)) the step's rounding error is added to the
rational's d (x = x0 + c0 - (|d| / ud) e, e the relative rounding error) and the violations of
the best offset c0 are counted per window. A real step shows as a deep minimum at one (s, c) in
every window; otherwise the minima stay at the level of the no-step fit.

N = R68(t P) (t = R68(r g)) works the same way: within a window t P / h moves by a known amount
up to a common phase, whatever the low bits of P.

Run: python3 tools/x87-transc/atan6_phase.py STEP NS NC in,out [in,out ...]   (STEP P, Q, quo, N)
"""
import sys
import collections
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

HERE = __file__.rsplit("/", 1)[0]


def windows(cases):
    per = collections.OrderedDict()
    for c in cases:
        per.setdefault(round(float(c[0]), 3), []).append(c)
    return list(per.values())


def prep(win, step, P, Q):
    """Per case: x0, sc, kind code, V - V_ref (float) and V_ref (Fraction)."""
    rows = []
    vref = None
    for r, m, ude, kind in win:
        g = A.R(r * r)
        t = A.R(r * g)
        p, q = A.horner_x(P, g), A.horner_x(Q, g)
        d = t * p / q
        v = {"P": p, "Q": q, "quo": p / q, "N": t * p}[step]
        if vref is None:
            vref = v
        rows.append((float((d - m) / F(2) ** ude), float(abs(d) / F(2) ** ude),
                     {"lt": 0, "eq": 1, "gt": 2}[kind], v - vref))
    return rows, vref


def viol(x, kind):
    bad = np.where(kind == 0, x >= -0.5, np.where(kind == 2, x <= 0.5, np.abs(x) > 0.5))
    return bad.sum()


def main():
    step, ns, nc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    P, Q = A.read_coef(f"{HERE}/atan5_r77.txt")
    wins = windows(A.load(sys.argv[4:]))
    c0s = np.arange(-3, 1.5, 0.05)
    for win in wins:
        rows, vref = prep(win, step, P, Q)
        x0 = np.array([w[0] for w in rows])
        sc = np.array([w[1] for w in rows])
        kind = np.array([w[2] for w in rows])
        base = min(viol(x0 + c, kind) for c in c0s)
        res = []
        sgn = 1 if step == "Q" else -1  # d ~ P / Q: P's relative error adds, Q's subtracts
        for i in range(ns):
            s = 1 + F(i, ns)
            sv = abs(s * vref)
            e = sv.numerator.bit_length() - sv.denominator.bit_length()
            if F(2) ** e > sv:
                e -= 1
            h = F(2) ** (e - 67)
            # position of s V on the grid h, relative to s V_ref: u = s (V - V_ref) / h
            u = np.array([float(s * w[3] / h) for w in rows])
            relh = float(h / sv)
            for j in range(nc):
                ph = u + j / nc
                err = (np.round(ph) - ph) * relh * (1 if vref > 0 else -1)
                x = x0 + sgn * sc * err
                b = min(viol(x + c, kind) for c in c0s)
                res.append((b, float(s), j / nc))
        res.sort()
        print(f"r {float(win[0][0]):.4f} n {len(rows)} no-step {base} best {res[:3]}", flush=True)


if __name__ == "__main__":
    main()
