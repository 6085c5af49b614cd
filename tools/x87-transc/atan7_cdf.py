"""FPATAN round 7: the distribution of the host's error against the committed model, read off
aimed direct-path cases. For the model's position x0 of d (units of d's cell) each case says
whether the host's d before its rounding, x0 + err, lies below -1/2 (lt), within (eq) or above
1/2 (gt): two Bernoulli observations of the error's CDF, F(-1/2 - x0) and F(1/2 - x0). With err
converted to a relative error of d (2^-68 units, z = err 2 / m_d), the binned averages estimate
F(z) (no shape assumed). Use exact-g, exact-t cases to see the P / Q evaluation alone.

Run: python3 tools/x87-transc/atan7_cdf.py COEF in,out [in,out ...]
"""
import sys
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402


def main():
    P, Q = A.read_coef(sys.argv[1])
    obs = []
    for (r, m, ude, kind) in A.load(sys.argv[2:]):
        g = r * r
        X = r * g * A.horner_x(P, g) / A.horner_x(Q, g)
        x0 = float((X - m) / F(2) ** ude)
        md = float(-m / F(2) ** (ude + 67))
        obs.append(((-0.5 - x0) * 2 / md, kind == "lt"))
        obs.append(((0.5 - x0) * 2 / md, kind != "gt"))
    z = np.array([o[0] for o in obs])
    b = np.array([o[1] for o in obs], dtype=float)
    print(f"{len(obs) // 2} cases; F(z) = share of host errors below z (2^-68 relative)")
    for lo in np.arange(-3.0, 3.0, 0.25):
        sel = (z >= lo) & (z < lo + 0.25)
        if sel.sum():
            print(f"z in [{lo:+.2f},{lo + 0.25:+.2f}): F = {b[sel].mean():.3f}  ({sel.sum()})")


if __name__ == "__main__":
    main()
