"""FPATAN round 6: periodogram of the host's d residual against a rounded step of unknown slope.

If a 68-bit step V (say P's last Horner sum) rounds inside the evaluation, the host's d carries
its rounding error, a sawtooth of u = (V - V_ref) / h (h: V's grid). In a narrow window of r
(atan5_tiny.py gen with W = 24: r within 2^-40 relative) V moves linearly in g, u = F (g - g_0)
/ 2^-69 with F = V'(g_0) h / 2^-69, so the residual w (the shift each case asks for from the
best-offset rational: gt +, lt -, satisfied eq 0) shows a peak of |sum_i w_i exp(2 pi i u_i)| at
the step's F, whatever V's phase. Scans F over +-SPAN (relative) around each prior and prints
the peak against the median (noise) level; the same step must peak at a consistent F in every
window (F follows V'(g) ~ p1 + 2 p2 g).

Priors (units 2^-69 per unit g): P1 = 0.966 (P = P(g), q0 = 1; P in [1/4, 1/2)), P15 = 2.9
(scale 3/2), Q1 = 0.875 (Q in [1, 2), h = 2^-67), Q15 = 1.3125 (scale 3/2), quo = 0.2. Check of
the method: g512 / g1024 (g = R(r r) itself, r in [0.0221, 0.03) / [0.0156, 0.0221); the base d
then uses the exact r r).

Run: python3 tools/x87-transc/atan6_pgram.py PRIORS SPAN in,out [in,out ...]   (PRIORS e.g. P1,Q1)
"""
import sys
import collections
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

HERE = __file__.rsplit("/", 1)[0]
EXACTG = len(sys.argv) > 1 and sys.argv[1].startswith("g")  # check of the method: g's rounding
PRIOR = {"g1024": 1024.0, "g512": 512.0, "P1": 0.966, "P15": 2.898, "Q1": 0.875, "Q15": 1.3125, "quo": 0.2, "P2": 1.932, "Q2": 1.75}


def residuals(win, P, Q):
    """D_i = (g_i - g_0) / 2^-69 and the residual w_i of each case."""
    rows = []
    for r, m, ude, kind in win:
        g = r * r if EXACTG else A.R(r * r)
        d = A.R(r * g) * A.horner_x(P, g) / A.horner_x(Q, g)
        rows.append((g, float((d - m) / F(2) ** ude), kind))
    g0 = rows[0][0]
    D = np.array([float((g - g0) * F(2) ** 69) for g, _, _ in rows])
    x0 = np.array([x for _, x, _ in rows])
    kind = [k for _, _, k in rows]
    best = min((sum(not A.ok(x + c, k) for x, k in zip(x0, kind)), c)
               for c in np.arange(-2.5, 1.0, 0.05))[1]
    x = x0 + best
    w = np.array([(max(0.0, 1.0 - xi) if k == "gt" else (min(0.0, -1.0 - xi) if k == "lt"
                   else -xi)) for xi, k in zip(x, kind)])
    return D, w - w.mean()


def main():
    priors = sys.argv[1].split(",")
    span = float(sys.argv[2])
    P, Q = A.read_coef(f"{HERE}/atan5_r77.txt")
    per = collections.OrderedDict()
    for c in A.load(sys.argv[3:]):
        per.setdefault(round(float(c[0]), 3), []).append(c)
    for key, win in per.items():
        D, w = residuals(win, P, Q)
        step = 0.03 / np.abs(D).max()
        for pr in priors:
            f0 = PRIOR[pr]
            fs = np.arange(f0 * (1 - span), f0 * (1 + span), step)
            pk = np.empty(len(fs))
            for i in range(0, len(fs), 4096):
                ph = np.exp(2j * np.pi * np.outer(fs[i:i + 4096], D))
                pk[i:i + 4096] = np.abs(ph @ w)
            j = int(pk.argmax())
            print(f"r {key} n {len(w)} {pr}: peak {pk[j]:.1f} at F {fs[j]:.7f}, median "
                  f"{np.median(pk):.1f}, 99.99% {np.quantile(pk, 0.9999):.1f} ({len(fs)} F)",
                  flush=True)


if __name__ == "__main__":
    main()
