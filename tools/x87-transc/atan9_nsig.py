"""FPATAN round 9: which product with t is rounded? The scatter's width against the significand
of V = t * mu.

A 68-bit rounding of a value with significand m in [1, 2) has a relative error uniform in
+-1/m (units of 2^-68; standard deviation 0.577 / m). If the host rounds a product V = t * mu
(mu a constant: e.g. N = t P with P ~ s p0), the scatter of its d, with everything else modelled,
grows as V's significand falls. The fit: per case sigma_i^2 = sigma0^2 + (w / m_V)^2, the host's
d before its rounding the model's times 1 + (c + sigma_i z) 2^-68 (z standard normal), c, sigma0
(and w: fixed 0.577 or fitted) by maximum likelihood, for every mu of a grid over [1, 2); the
log-likelihood against mu shows which significand the rounded product's multiplier has. The base
model: the committed one with Q's last sum rounded at SQ (env, default 1.473783082012; SQ=0:
no Q rounding).

Run: python3 tools/x87-transc/atan9_nsig.py STEPS in,out [in,out ...]   (mu = 1 + k / STEPS)
  env TOP (default 8); WFIT=1: w fitted (0 .. 1) per mu instead of fixed at 0.577.
  VAR=g: the product's other factor is g (significand of R68(r^2)) instead of t; NMU=mu: a
  rounding of t * mu is part of the base model (then the scan looks for a second product).
"""
import os
import sys
import numpy as np
from scipy.stats import norm

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan9_forms as G  # noqa: E402


def loglik(x0, K, kind, c, sd):
    mu = x0 + c * K
    s = sd * np.abs(K)
    lo = norm.cdf((-0.5 - mu) / s)
    hi = norm.sf((0.5 - mu) / s)
    p = np.where(kind < 0, lo, np.where(kind > 0, hi, 1 - lo - hi))
    return np.log(np.maximum(p, 1e-300)).sum()


def sig(v):
    return v / 2.0 ** np.floor(np.log2(v))


def best_fit(x0, K, kind, mv, ws, extra=None):
    best = None
    for c in np.arange(-0.5, 0.21, 0.05):
        for s0 in np.arange(0.0, 0.71, 0.05):
            for w in ws:
                var = s0 * s0 + ((w / mv) ** 2 if mv is not None else 0)
                sd = np.sqrt(var + (extra if extra is not None else 0)) + 0 * x0
                sd = np.maximum(sd, 0.02)
                ll = loglik(x0, K, kind, c, sd)
                if best is None or ll > best[0]:
                    best = (ll, c, s0, w)
    return best


def main():
    steps = int(sys.argv[1])
    d = G.prep(sys.argv[2:])
    sq = float(os.environ.get("SQ", str(G.S3)))
    x0 = d["x0"] - (d["K"] * G.e_q(d, sq) if sq else 0)
    K, kind, mt = d["K"], d["kind"], d["mt"]
    extra = None
    if os.environ.get("NMU"):
        extra = (0.577 / sig(mt * float(os.environ["NMU"]))) ** 2
    if os.environ.get("VAR") == "g":
        rs = sig(d["r"])
        mt = sig(rs * rs)
    ws = np.arange(0.0, 1.01, 0.1) if os.environ.get("WFIT") else [0.577]
    b0 = best_fit(x0, K, kind, None, [0], extra)
    print(f"{len(x0)} cases; no product term: log-likelihood {b0[0]:.1f} (c {b0[1]:+.2f}, "
          f"sigma {b0[2]:.2f})", flush=True)
    res = []
    for k in range(steps):
        mu = 1 + k / steps
        mv = sig(mt * mu)
        b = best_fit(x0, K, kind, mv, ws, extra)
        res.append((b[0], mu, b[1], b[2], b[3]))
        print(f"  mu {mu:.5f}: log-likelihood {b[0]:.1f} (c {b[1]:+.2f}, sigma0 {b[2]:.2f}, "
              f"w {b[3]:.2f})", flush=True)
    res.sort(reverse=True)
    print("best: " + "; ".join(f"mu {m:.5f} ll {ll:.1f}" for ll, m, *_ in
                               res[:int(os.environ.get("TOP", "8"))]))


if __name__ == "__main__":
    main()
