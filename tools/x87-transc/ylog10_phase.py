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
that the next window's predicted phase is good to a fraction of a cycle.

  python3 tools/x87-transc/ylog10_phase.py fit K c1,c2 REF.txt WIN.txt ...
      REF: the reference window (t in [1/4, 1/2), e = -2); WIN: the other
      windows in the order to add them (nearest first). Prints, per step,
      the window, its measured phase residual (cycles), the integer chosen,
      the fitted terms and the rms phase residual of all windows so far.

Needs numpy, mpmath.
"""
import sys

import numpy as np
from mpmath import mp, mpf

import ylog9_period as YP

mp.dps = 60
U = mpf(2) ** -65  # t's grid for e = -2


def g_of_m(m):
    t = mpf(m) * U
    T = 2 * t / (2 + t)
    return T * T


def load(fn):
    rows = YP.read(fn)
    m = np.array([r[0] for r in rows], dtype=object)
    e, _ = YP.residual(rows)
    mc = int(min(m) + (max(m) - min(m)) // 2)
    x = np.array([float(int(v) - mc) for v in m])
    return dict(fn=fn, mc=mc, x=x, e=e, g=g_of_m(mc), n=len(rows))


def deriv_g(mc):
    """dg/dm at mc (per unit of m), as mpf."""
    t = mpf(mc) * U
    return 16 * t / (2 + t) ** 3 * U


def measure(w, coef, g0):
    """Phase of the residual against exp(2 pi i Phi) with the model's local
    linear phase around the window centre; returns (psi, |z|/n)."""
    dg = w["g"] - g0
    phi_c = sum(c * dg**k for k, c in enumerate(coef))
    dphi = sum(k * c * dg ** (k - 1) for k, c in enumerate(coef) if k > 0)
    Fc = float(dphi * deriv_g(w["mc"]))
    frac_c = float(phi_c - mp.floor(phi_c))
    ang = 2 * np.pi * ((frac_c + Fc * w["x"]) % 1.0)
    z = np.sum(w["e"] * np.exp(1j * ang))
    return float(np.angle(z) / (2 * np.pi)), abs(z) / w["n"], phi_c


def fit(K, cs, ref, wins):
    A1 = mpf(K) * 2**65
    wr = load(ref)
    g0 = wr["g"]
    # model a(g) - a(g0) from the frequency fit, expanded about g0: a'(g) = A1 (1 + c1 g + c2 g^2)
    c1, c2 = (mpf(v) for v in cs)

    def aprime_poly():
        # a(g0 + d) = sum_k coef_k d^k with coef_0 = 0
        a1 = A1 * (1 + c1 * g0 + c2 * g0**2)
        a2 = A1 * (c1 + 2 * c2 * g0) / 2
        a3 = A1 * c2 / 3
        return [mpf(0), a1, a2, a3, mpf(0)]

    coef = aprime_poly()
    used = [(wr, 0.0)]
    psi0, amp0, _ = measure(wr, coef, g0)
    print("ref %s: %d cases, psi %.3f, amplitude %.4f" % (ref, wr["n"], psi0, amp0))
    obs = [(wr["g"] - g0, mpf(0), amp0)]  # (dg, observed Phi correction, weight)
    for fn in wins:
        w = load(fn)
        psi, amp, phi_model = measure(w, coef, g0)
        d = psi - psi0  # the model's phase is off by -d (mod 1)
        d = (d + 0.5) % 1.0 - 0.5
        obs.append((w["g"] - g0, mpf(-d), amp))
        # refit corrections to coef: terms up to the order the span needs
        span = max(abs(float(o[0])) for o in obs)
        order = 1 + sum(span > v for v in (3e-9, 1e-6, 6e-6))
        order = min(order, len(obs) - 1)
        X = np.array([[float(o[0]) ** k / span**k for k in range(order + 1)] for o in obs])
        y = np.array([float(o[1]) for o in obs])
        wt = np.array([o[2] for o in obs])
        sol, *_ = np.linalg.lstsq(X * wt[:, None], y * wt, rcond=None)
        for k in range(order + 1):
            coef[k] += mpf(sol[k]) / mpf(span) ** k
        res = y - X @ sol
        # the observations are now relative to the corrected model
        obs = [(o[0], mpf(r), o[2]) for o, r in zip(obs, res)]
        print("%s: %d cases, dg %.3e, phase miss %+.3f (amp %.4f), order %d, rms %.3f" % (
            fn, w["n"], float(w["g"] - g0), d, amp, order, float(np.sqrt(np.mean(res**2)))))
    print("a(g0 + d) = " + " + ".join("%s d^%d" % (mp.nstr(c, 25), k) for k, c in enumerate(coef)))
    print("g0 = %s" % mp.nstr(g0, 30))


def main():
    if sys.argv[1] == "fit":
        fit(sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5:])


if __name__ == "__main__":
    main()
