"""FPATAN round 9: search the low bits of the host's p0' through the rounding of N = t P.

Round 9 found (atan9_nsig.py) that at tiny ratios the host rounds a product t * P with P of
significand about 1.965 (P at the scale s of Q: s p0 = -0.49126), and that P itself is not
rounded at 68 bits or fewer. N = R68(t P) has the phase frac(T (P0 + G1) / 2^(b - 68)): T is t's
68-bit significand, P0 the host's p0' in units of 2^-69 (an unknown integer of 68 bits), G1 = s g
A1 2^69 (known from the function), b the bit length of T P0. s is known to about 5e-12, so P0 is
known to about +-2^31 cells: P0 = P0_est + L. Each case's outcome depends on its phase
beta_i + f_i L (f_i = frac(T / 2^(b - 68)), exact), so the log-likelihood's first harmonic,
S(L) = sum_i a_i exp(2 pi i (beta_i + f_i L)), is a non-uniform Fourier sum over L: evaluated for
L = L0 + l, l in [-M/2, M/2), per chunk by Gaussian gridding on 2M points and one FFT (error
about 1e-6). a_i: the first Fourier coefficient over the phase of case i's log-probability of its
outcome, with Q's last sum rounded at s (as the committed model), N rounded at that phase, a
constant offset C (default -0.15) and Gaussian noise SIG (default 0.3) for everything else.

Run: python3 tools/x87-transc/atan9_p0scan.py LOG2M CHUNKS in,out [in,out ...]
  chunks L0 = 0, +M, -M, +2M, ... (CHUNKS of them); prints per chunk the largest Re S and its L,
  with z = Re S / its standard deviation under random phases.
  env SP: P's scale (default s); UNIT: P0's unit 2^-UNIT (default 69, a 68-bit p0' in
  [1/4, 1/2)); P0: P0_est given (e.g. SP=1.5 UNIT=68 P0=0x80000000000000000: p0' = -1/2).
  PW=w: P's last sum rounded at w bits (default: P exact). SYNTH=L: outcomes replaced by the design's own at L (N rounded with P0_est + L, noise SIG):
  the scan must find it.
"""
import os
import sys
import math
from fractions import Fraction as F
import numpy as np
from scipy.stats import norm

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402
import atan9_forms as G  # noqa: E402

S = F("1.473783082012")
PW = int(os.environ.get("PW", "0"))
SP = F(os.environ.get("SP", "1.473783082012"))  # P's scale (default s, that of Q)
UNIT = int(os.environ.get("UNIT", "69"))  # p0' = P0 2^-UNIT (P0 of 68 bits: its cell)


def prep(pairs):
    """Per case: x0 with Q's rounding, K, T's dyadic factor tau = T / 2^(b - 68) (exact), the
    known part of the phase, N's significand."""
    P0e = -round(SP * T.PF[0] * F(2) ** UNIT)
    if os.environ.get("P0"):
        P0e = int(os.environ["P0"], 0)
    out = []
    for pr in pairs:
        d = G.prep1(pr)
        cases = T.load([pr])
        assert len(cases) == len(d["x0"])
        eq = G.e_q(d, float(S))
        for i, c in enumerate(cases):
            x, t, g, q, X = A.position(A.VARIANTS["x_xqg"], c, T.PF, T.QF)
            num, den = t.numerator, t.denominator  # t = num / den, den a power of two
            e = num.bit_length() - 68
            Ti = num >> e if e >= 0 else num << -e
            assert F(Ti) * F(2) ** e / den == t
            b = (Ti * P0e).bit_length()
            tau = F(Ti, 2 ** (b - 68))
            g1 = -SP * g * A.horner_x(T.PF[1:], g) * F(2) ** UNIT  # |P| grows with g: P < 0
            if PW:  # P's last sum rounded at PW bits (P0 on that sum's grid)
                u = F(2) ** (PW - 68 - (69 - UNIT))
                g1 = F(round(g1 * u)) / u
            beta = (tau * (P0e + g1)) % 1
            fi = tau % 1
            mN = float(F(Ti * P0e, 2 ** (b - 1)))
            out.append((d["x0"][i] - d["K"][i] * eq[i], d["K"][i], d["kind"][i], beta, fi, mN))
    return P0e, out


def planted_kinds(cases, Ls, c0, sig):
    """Synthetic host choices for validation: N's rounding at L = Ls plus Gaussian noise `sig`."""
    rng = np.random.default_rng(7)
    ph = np.array([float((v[3] + v[4] * Ls) % 1) for v in cases])
    sw = np.rint(ph) - ph
    x0 = np.array([v[0] for v in cases])
    K = np.array([v[1] for v in cases])
    mN = np.array([v[5] for v in cases])
    x = x0 + K * (c0 + 2 * sw / mN + rng.normal(0, sig, len(x0)))
    return np.where(x < -0.5, -1, np.where(x > 0.5, 1, 0))


def coefs(cases, c0, sig, kinds=None):
    """First Fourier coefficient (over N's phase) of each case's log-probability."""
    ph = np.arange(64) / 64
    sw = np.rint(ph) - ph
    x0 = np.array([v[0] for v in cases])
    K = np.array([v[1] for v in cases])
    kind = np.array([v[2] for v in cases]) if kinds is None else kinds
    mN = np.array([v[5] for v in cases])
    x = x0[:, None] + K[:, None] * (c0 + 2 * sw[None, :] / mN[:, None])
    s = sig * np.abs(K)[:, None]
    lo = norm.cdf((-0.5 - x) / s)
    hi = norm.sf((0.5 - x) / s)
    k = kind[:, None]
    p = np.where(k < 0, lo, np.where(k > 0, hi, 1 - lo - hi))
    lp = np.log(np.maximum(p, 1e-12))
    return (lp * np.exp(-2j * np.pi * ph)[None, :]).mean(axis=1)


def nufft(c, f, M):
    """sum_j c_j exp(2 pi i f_j l) for l in [-M/2, M/2) (f_j in [0, 1))."""
    Ng = 2 * M
    a = 7.0
    sigma = math.sqrt(a / (2 * math.pi ** 2)) / M
    grid = np.zeros(Ng, dtype=np.complex128)
    k0 = np.rint(f * Ng).astype(np.int64)
    for dk in range(-7, 8):
        k = k0 + dk
        nu = k / Ng - f
        w = np.exp(-nu * nu / (2 * sigma * sigma)) / (sigma * math.sqrt(2 * math.pi))
        np.add.at(grid, k % Ng, c * w)
    y = np.fft.ifft(grid)  # (1 / Ng) sum_k grid_k exp(2 pi i k l / Ng)
    ls = np.arange(-M // 2, M // 2)
    ghat = np.exp(-2 * math.pi ** 2 * sigma ** 2 * ls.astype(np.float64) ** 2)
    return ls, y[ls % Ng] / ghat


def main():
    lm, nch = int(sys.argv[1]), int(sys.argv[2])
    M = 1 << lm
    c0 = float(os.environ.get("C", "-0.15"))
    sig = float(os.environ.get("SIG", "0.3"))
    P0e, cases = prep(sys.argv[3:])
    print(f"{len(cases)} cases; P0_est = {P0e:#x} (|s p0| 2^69)", flush=True)
    kinds = None
    if os.environ.get("SYNTH"):
        Ls = int(os.environ["SYNTH"])
        kinds = planted_kinds(cases, Ls, c0, sig)
        print(f"planted L = {Ls}")
    a = coefs(cases, c0, sig, kinds)
    sd = math.sqrt((np.abs(a) ** 2).sum() / 2)
    f = np.array([float(v[4]) for v in cases])
    fnum = [v[4] for v in cases]
    best = []
    for j in range(nch):
        L0 = ((j + 1) // 2) * M * (1 if j % 2 else -1) if j else 0
        c = a * np.exp(2j * np.pi * np.array([float((v[3] + fn * L0) % 1)
                                              for v, fn in zip(cases, fnum)]))
        ls, s = nufft(c, f, M)
        re = s.real
        i = int(re.argmax())
        best.append((re[i] / sd, L0 + int(ls[i])))
        print(f"chunk L0 = {L0}: max z {re[i] / sd:.2f} at L = {L0 + int(ls[i])}; "
              f"second {np.sort(re)[-2] / sd:.2f}", flush=True)
    best.sort(reverse=True)
    print("best: " + "; ".join(f"z {z:.2f} L {L}" for z, L in best[:5]))


if __name__ == "__main__":
    main()
