"""FPATAN round 8: the width of the host's scatter, independent of how the cases were aimed.
Model: the host's d before its rounding is the committed model's times 1 + (c + sigma z) 2^-68,
z standard normal; c and sigma fitted by maximum likelihood to the lt / eq / gt outcomes. (Miss
rates alone depend on how close the aimed cases lie to the decision boundaries.)

Run: python3 tools/x87-transc/atan8_sigma.py in,out [in,out ...]   (any x: atan8_tiny.load)
  env SPLIT=1: also fitted per quarter of d's significand.
"""
import os
import sys
from fractions import Fraction as F
import numpy as np
from scipy.stats import norm

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402


def main():
    cases = T.load(sys.argv[1:])
    ev = A.VARIANTS["x_xqg"]
    x0, K, kind = [], [], []
    for c in cases:
        x, t, g, q, X = A.position(ev, c, T.PF, T.QF)
        x0.append(x)
        K.append(float(X / F(2) ** c[2]) * 2.0 ** -68)
        kind.append({"lt": -1, "eq": 0, "gt": 1}[c[3]])
    x0, K, kind = (np.array(v) for v in (x0, K, kind))
    fit(x0, K, kind, f"{len(cases)} cases")
    if os.environ.get("SPLIT"):
        # by d's significand (K = X / ud 2^-68 is half of it), in four bins of equal counts
        q = np.quantile(K, [0.25, 0.5, 0.75])
        b = np.digitize(K, q)
        for k in range(4):
            s = b == k
            lo, hi = 2 * np.abs(K[s]).min(), 2 * np.abs(K[s]).max()
            fit(x0[s], K[s], kind[s], f"  d's significand {lo:.3f} .. {hi:.3f} ({s.sum()})")


def fit(x0, K, kind, label, cmax=1.5, smax=2.5):
    """Maximum-likelihood offset c (|c| <= cmax) and width sigma (<= smax), in steps of 0.05."""
    best = None
    for c in np.arange(-cmax, cmax + 0.01, 0.05):
        for s in np.arange(0.05, smax + 0.01, 0.05):
            mu = x0 + c * K
            sd = s * np.abs(K)
            lo = norm.cdf((-0.5 - mu) / sd)
            hi = norm.sf((0.5 - mu) / sd)
            p = np.where(kind < 0, lo, np.where(kind > 0, hi, 1 - lo - hi))
            ll = np.log(np.maximum(p, 1e-300)).sum()
            if best is None or ll > best[0]:
                best = (ll, c, s)
    print(f"{label}: c = {best[1]:+.2f}, sigma = {best[2]:.2f} (2^-68 relative), "
          f"log-likelihood {best[0]:.1f}; mean |x| {np.abs(x0).mean():.2f}")


if __name__ == "__main__":
    main()
