"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the components' frequencies
(round 10, ylog10)"): follow the PHASE of the dominant component over
geometrically spaced windows, to pin its hidden quantity W(g) to the cell.

The dominant component is the rounding error of W = a(g), a smooth function
of g = T^2 alone (ylog10_phi.py gfit: a'(g) = A1 (1 + c1 g + c2 g^2),
A1 = K 2^65 cycles per unit of g). Its phase at t is Phi(t) = a(g(t)) in
cycles (cells of W); each window of consecutive FYL2XP1 operands measures
Phi mod 1 at its centre (the first harmonic of the residual choices against
the model's local phase). Windows at offsets 2^21, 2^22, ..., 2^58 from a
reference window are unwrapped one after the other, each time refitting the
polynomial a(g) = a0 + a1 (g - g0) + ... (more terms as the span grows), so
that the next window's predicted phase is good to a fraction of a cycle; a
beam search keeps the 8 best sets of integer wraps (by the weighted residual).

  python3 tools/x87-transc/ylog10_phase.py fit K c1,c2 REF.txt WIN.txt ...
      REF: the reference window (t in [1/4, 1/2), e = -2); WIN: the other
      windows (FILE, FILE@E, or FILE@E@n for t < 0), added nearest in g first. Prints, per step,
      the window, its measured phase residual (cycles), the integer chosen,
      the fitted terms and the rms phase residual of all windows so far;
      writes g0 and the terms to $YLOG10_A (default /tmp/ylog10/a_coef.txt).
      YLOG10_START=FILE starts from a pinned a(g) instead of the frequency
      fit; YLOG10_THRESH, YLOG10_SIGMA: the spans that activate a2, a3, ...
      and the prior spreads of the corrections (comma lists); YLOG10_CAP:
      robust weighting of windows that miss by more than CAP cycles.

Needs numpy, mpmath.
"""
import os
import sys

import numpy as np
from mpmath import mp, mpf

import ylog9_period as YP

mp.dps = 60
U = mpf(2) ** -65  # t's grid for e = -2


def g_of_m(m, unit=U, sign=1):
    t = sign * mpf(m) * unit
    T = 2 * t / (2 + t)
    return T * T


def load(spec):
    """FILE, FILE@E or FILE@E@n (t < 0; ylog10_gen.py windows)."""
    parts = spec.split("@")
    fn = parts[0]
    e = int(parts[1]) if len(parts) > 1 else -2
    sign = -1 if len(parts) > 2 and parts[2] == "n" else 1
    unit = mpf(2) ** (e - 63)
    rows = YP.read(fn)
    m = np.array([r[0] for r in rows], dtype=object)
    e, _ = YP.residual(rows)
    mc = int(min(m) + (max(m) - min(m)) // 2)
    x = np.array([float(int(v) - mc) for v in m])
    return dict(fn=fn, mc=mc, x=x, e=e, g=g_of_m(mc, unit, sign), n=len(rows), unit=unit, sign=sign)


def deriv_g(w):
    """dg/dm at the window's centre (per unit of m), as mpf."""
    t = w["sign"] * mpf(w["mc"]) * w["unit"]
    return 16 * t / (2 + t) ** 3 * w["unit"] * w["sign"]


def measure(w, coef, g0):
    """Phase of the residual against exp(2 pi i Phi) with the model's local
    linear phase around the window centre; returns (psi, |z|/n)."""
    dg = w["g"] - g0
    phi_c = sum(c * dg**k for k, c in enumerate(coef))
    dphi = sum(k * c * dg ** (k - 1) for k, c in enumerate(coef) if k > 0)
    Fc = float(dphi * deriv_g(w))
    frac_c = float(phi_c - mp.floor(phi_c))
    ang = 2 * np.pi * ((frac_c + Fc * w["x"]) % 1.0)
    z = np.sum(w["e"] * np.exp(1j * ang))
    return float(np.angle(z) / (2 * np.pi)), abs(z) / w["n"], phi_c


def prior(K, cs, g0):
    """a(g0 + d) - a(g0) from the frequency fit a'(g) = A1 (1 + c1 g + c2 g^2)."""
    A1 = mpf(K) * 2**65
    c1, c2 = (mpf(v) for v in cs)
    return [mpf(0), A1 * (1 + c1 * g0 + c2 * g0**2), A1 * (c1 + 2 * c2 * g0) / 2, A1 * c2 / 3] + [mpf(0)] * 5


THRESH = tuple(float(v) for v in os.environ.get("YLOG10_THRESH", "7e-9,2.5e-6,4.7e-5,1e-3,3e-3,1.0").split(","))  # spans from which a2, a3, a4 (a5) are fitted


SIGMA = tuple(float(v) for v in os.environ.get("YLOG10_SIGMA", "0.5,3e13,1e15,3e15,1e16,1e18,1e19,1e10").split(","))  # prior spread of the corrections to a0 .. a5 (cycles / g^k)
NOISE = 0.01  # a window's phase error in cycles at weight 1
CAP = float(os.environ.get("YLOG10_CAP", "0"))  # robust weighting above this miss (cycles), 0 = off


def lsq(obs):
    """Fit of the phase corrections by a polynomial in dg, the observations
    weighted by NOISE / weight and the terms held near 0 by SIGMA (ridge);
    returns (terms, chi2 of the observations and the prior, order)."""
    span = max(abs(o[0]) for o in obs) or 1.0
    order = 1 + sum(span > v for v in THRESH)
    X = [[(o[0] / span) ** k * o[2] / NOISE for k in range(order + 1)] for o in obs]
    y = [o[1] * o[2] / NOISE for o in obs]
    for k in range(order + 1):
        X.append([(1.0 / (SIGMA[k] * span**k)) if i == k else 0.0 for i in range(order + 1)])
        y.append(0.0)
    X, y = np.array(X), np.array(y)
    sol, *_ = np.linalg.lstsq(X, y, rcond=None)
    if CAP:
        # Huber-like reweighting: a window whose phase misses by more than CAP cycles counts less
        for _ in range(3):
            r = (y - X @ sol)[: len(obs)] * np.array([NOISE / o[2] for o in obs])
            w = np.concatenate([np.minimum(1.0, CAP / np.maximum(np.abs(r), 1e-12)), np.ones(len(y) - len(obs))])
            sol, *_ = np.linalg.lstsq(X * w[:, None], y * w, rcond=None)
    res = y - X @ sol
    return [sol[k] / span**k for k in range(order + 1)], float(np.sum(res**2)), order


def fit(K, cs, ref, wins, beam=8):
    wr = load(ref)
    g0 = wr["g"]
    coef = prior(K, cs, g0)
    start = os.environ.get("YLOG10_START")
    if start:
        # start from a pinned a(g) (ylog10_a_local.txt format; same g0 = the reference window's)
        v = open(start).read().split()
        coef = [mpf(x) for x in v[1:]] + [mpf(0)] * 9
        coef = coef[:9]
    psi0, amp0, _ = measure(wr, coef, g0)
    print("ref %s: %d cases, psi %.3f, amplitude %.4f" % (ref, wr["n"], psi0, amp0))
    meas = []
    for fn in wins:
        w = load(fn)
        psi, amp, _ = measure(w, coef, g0)
        d = (psi - psi0 + 0.5) % 1.0 - 0.5
        meas.append((fn, float(w["g"] - g0), -d, amp / amp0 * np.sqrt(w["n"] / wr["n"]), w["n"]))
    meas.sort(key=lambda v: abs(v[1]))
    # beam search over the integer unwrapping of each window's phase miss
    hyps = [([(0.0, 0.0, 1.0)], 0.0, [])]
    for fn, dg, dm, wgt, n in meas:
        nxt = []
        for obs, _, path in hyps:
            sol, _, _ = lsq(obs)
            pred = sum(c * dg**k for k, c in enumerate(sol))
            base = round(pred - dm)
            for j in (base - 1, base, base + 1):
                o2 = obs + [(dg, dm + j, wgt)]
                sol, rss, order = lsq(o2)
                nxt.append((o2, rss, path + [j]))
        nxt.sort(key=lambda h: h[1])
        hyps = nxt[:beam]
        b = hyps[0]
        print("%s: %d cases, dg %+.3e, miss %+.3f, best wraps ...%s chi2 %.1f (next %.1f)" % (
            fn, n, dg, -dm, b[2][-4:], b[1], hyps[1][1] if len(hyps) > 1 else float("nan")))
    obs, rss, path = hyps[0]
    sol, rss, order = lsq(obs)
    for k, c in enumerate(sol):
        coef[k] += mpf(c)
    names = ["ref"] + [m[0] for m in meas]
    res = [o[1] - sum(c * o[0]**k for k, c in enumerate(sol)) for o in obs]
    print("order %d; residuals (cycles) above 0.03: %s" % (order, " ".join("%s %+.3f" % (nm, r) for nm, r in zip(names, res) if abs(r) > 0.03)))
    print("a(g0 + d) = " + " + ".join("%s d^%d" % (mp.nstr(c, 25), k) for k, c in enumerate(coef)))
    print("g0 = %s" % mp.nstr(g0, 30))
    out = os.environ.get("YLOG10_A", "/tmp/ylog10/a_coef.txt")
    with open(out, "w") as f:
        f.write("%s\n" % mp.nstr(g0, 50))
        for c in coef:
            f.write("%s\n" % mp.nstr(c, 50))
    print("written to %s (g0, then the coefficients of d^0, d^1, ...)" % out)


def main():
    if sys.argv[1] == "fit":
        fit(sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5:])


if __name__ == "__main__":
    main()
