"""FPATAN round 10: atan9_p0scan.py's search of p0' through N = R68(t P), made fast enough for
+-2^33 cells.

Same model and statistic as atan9_p0scan.py (it imports that tool's `prep` and `coefs`, so the
environment variables SP, UNIT, P0, PW, C, SIG mean the same): per case the outcome depends on
N's phase beta_i + f_i L, L = P0 - P0_est, and S(L) = sum_i a_i exp(2 pi i (beta_i + f_i L)) is
evaluated for every integer L of the range. What changed (round 9 spent 50 minutes on +-2^31,
of which most was memory traffic and Fraction arithmetic, not the FFT):
  - chunks of M = 2^LOG2M values of L (default 2^20: a 2^21-point FFT stays in cache);
  - the per-chunk phase shift f_i L0 is exact integer arithmetic on f_i's dyadic numerator;
  - gridding by np.bincount, the Gaussian's inverse transform precomputed once;
  - only chunks outside an already-scanned range are evaluated (SKIP=a: skip |L| < a);
  - the best TOP values of L over the whole run are re-scored exactly (direct sum with exact
    phases) at the end, so an artefact of the gridding cannot pass as a peak.
Progress: one line every PROG chunks (default 256) with the running maximum.

Run: python3 tools/x87-transc/atan10_p0scan.py LO HI in,out [in,out ...]
  scans L in [LO, HI) (integers; e.g. -8589934592 8589934592 for +-2^33), chunk-aligned.
  env LOG2M (default 20), SKIP (default 0), TOP (default 12), PROG (default 256),
  SYNTH=L: outcomes replaced by the design's own at L (as atan9_p0scan.py: the scan must find it),
  NCASE=n: only the first n cases (a coarse pass);
  H2="sigma,kappa,lambda": the base model is round 10's common factor (prep_h2: P's and Q's
  last sums rounded, P68 rounded before N) instead of atan9_p0scan.py's.
"""
import os
import sys
import math
import time
import heapq
from fractions import Fraction as F
import numpy as np
import scipy.fft as sfft

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan9_p0scan as P9  # noqa: E402

D = 72  # f_i = Fi / 2^D exactly (f_i's denominators are 2^(b - 68) <= 2^68)


def prep_h2(pairs):
    """Round 10's common-factor model (env H2="sigma,kappa,lambda"): the host's P and Q are
    sigma F(g) P(g) and sigma F(g) Q(g), F = 1 + kappa g + lambda g^2, with their last sums
    rounded at 68 bits (cells 2^-69 and 2^-67); N = R68(t P68) with P68 = p0' + J 2^-69 (J the
    rounded sum beyond p0'). Per case as atan9_p0scan.prep: x0 with P's and Q's roundings, K,
    kind, beta (N's phase at P0_est), f = frac(T / 2^(b - 68)), N's significand. P0_est =
    sigma |p0| 2^69 rounded."""
    import atan6_fit as A
    import atan8_tiny as T
    sg, kp, lm = (F(v) for v in os.environ["H2"].split(","))
    PF, QF = T.PF, T.QF
    P0e = round(sg * -PF[0] * F(2) ** 69)
    out = []
    for pr in pairs:
        for c in T.load([pr]):
            x, t, g, q, X = A.position(A.VARIANTS["x_xqg"], c, PF, QF)
            K = float(X / F(2) ** c[2]) * 2.0 ** -68
            kind = {"lt": -1, "eq": 0, "gt": 1}[c[3]]
            Pg = A.horner_x(PF, g)
            Qg = A.horner_x(QF, g)
            fac = kp * g + lm * g * g
            VQ = sg * (Qg - QF[0] + fac * Qg) * F(2) ** 67
            VP = sg * (Pg - PF[0] + fac * Pg) * F(2) ** 69  # negative
            JQ, JP = round(VQ), round(VP)
            eq = float(2 * (JQ - VQ) / (sg * Qg))
            ep = float((JP - VP) / (2 * sg * Pg))
            num, den = t.numerator, t.denominator
            e = num.bit_length() - 68
            Ti = num >> e if e >= 0 else num << -e
            assert F(Ti) * F(2) ** e / den == t
            Mi = P0e - JP  # |P68| 2^69 at P0_est
            b = (Ti * Mi).bit_length()
            tau = F(Ti, 2 ** (b - 68))
            beta = (tau * Mi) % 1
            mN = float(F(Ti * Mi, 2 ** (b - 1)))
            out.append((x + K * (ep - eq), K, kind, beta, tau % 1, mN))
    return P0e, out


def grid_setup(M):
    Ng = 2 * M
    sigma = math.sqrt(7.0 / (2 * math.pi ** 2)) / M
    ls = np.arange(-M // 2, M // 2).astype(np.float64)
    inv = np.exp(2 * math.pi ** 2 * sigma ** 2 * ls ** 2)
    return Ng, sigma, inv


def chunk(c, f, M, Ng, sigma, inv):
    """Re sum_j c_j exp(2 pi i f_j l) for l in [-M/2, M/2)."""
    k0 = np.rint(f * Ng).astype(np.int64)
    idx = []
    wr = []
    wi = []
    norm = 1.0 / (sigma * math.sqrt(2 * math.pi))
    for dk in range(-7, 8):
        k = k0 + dk
        nu = k / Ng - f
        w = np.exp(-nu * nu / (2 * sigma * sigma)) * norm
        idx.append(k % Ng)
        wr.append(c.real * w)
        wi.append(c.imag * w)
    idx = np.concatenate(idx)
    grid = np.bincount(idx, np.concatenate(wr), Ng) + 1j * np.bincount(idx, np.concatenate(wi), Ng)
    y = sfft.ifft(grid, overwrite_x=True)
    h = M // 2
    re = np.empty(M)
    re[:h] = y[Ng - h:].real
    re[h:] = y[:h].real
    return re * inv


def exact_s(a, cases, Ls):
    """Re S(L) by the direct sum with exact phases."""
    out = []
    for L in Ls:
        ph = np.array([float((v[3] + v[4] * L) % 1) for v in cases])
        out.append(float((a * np.exp(2j * np.pi * ph)).real.sum()))
    return out


def main():
    lo, hi = int(sys.argv[1]), int(sys.argv[2])
    lm = int(os.environ.get("LOG2M", "20"))
    M = 1 << lm
    skip = int(os.environ.get("SKIP", "0"))
    top = int(os.environ.get("TOP", "12"))
    prog = int(os.environ.get("PROG", "256"))
    c0 = float(os.environ.get("C", "-0.15"))
    sig = float(os.environ.get("SIG", "0.3"))
    t0 = time.time()
    P0e, cases = prep_h2(sys.argv[3:]) if os.environ.get("H2") else P9.prep(sys.argv[3:])
    if os.environ.get("NCASE"):
        cases = cases[: int(os.environ["NCASE"])]
    print(f"{len(cases)} cases; P0_est = {P0e:#x}; prep {time.time() - t0:.0f} s", flush=True)
    kinds = None
    if os.environ.get("SYNTH"):
        Ls = int(os.environ["SYNTH"])
        kinds = P9.planted_kinds(cases, Ls, c0, sig)
        print(f"planted L = {Ls}", flush=True)
    a = P9.coefs(cases, c0, sig, kinds)
    sd = math.sqrt((np.abs(a) ** 2).sum() / 2)
    Fi = []
    for v in cases:
        fr = v[4]
        assert (fr * 2 ** D).denominator == 1
        Fi.append(int(fr * 2 ** D))
    beta = np.array([float(v[3]) for v in cases])
    f = np.array([fi / 2.0 ** D for fi in Fi])
    Ng, sigma, inv = grid_setup(M)
    mask = (1 << D) - 1
    first = lo + M // 2  # chunk centres L0: l in [-M/2, M/2) around each
    centres = [L0 for L0 in range(first, hi - M // 2 + 1, M)
               if not (-skip <= L0 - M // 2 and L0 + M // 2 <= skip)]
    print(f"{len(centres)} chunks of 2^{lm} in [{lo}, {hi}) (skipping |L| < {skip})", flush=True)
    best = []  # heap of (z, L)
    runmax = (-1e9, 0)
    t1 = time.time()
    for j, L0 in enumerate(centres):
        ph0 = np.array([((fi * L0) & mask) / 2.0 ** D for fi in Fi]) + beta
        c = a * np.exp(2j * np.pi * ph0)
        re = chunk(c, f, M, Ng, sigma, inv) / sd
        for i in np.argpartition(re, -3)[-3:]:
            item = (float(re[i]), L0 - M // 2 + int(i))
            if len(best) < 4 * top:
                heapq.heappush(best, item)
            elif item[0] > best[0][0]:
                heapq.heapreplace(best, item)
        if best and max(best)[0] > runmax[0]:
            runmax = max(best)
        if (j + 1) % prog == 0 or j + 1 == len(centres):
            el = time.time() - t1
            print(f"{j + 1}/{len(centres)} chunks, L0 = {L0}, {el:.0f} s "
                  f"({el / (j + 1):.3f} s/chunk); max z so far {runmax[0]:.2f} at L = {runmax[1]}",
                  flush=True)
    best = sorted(best, reverse=True)[:top]
    ex = exact_s(a, cases, [L for _, L in best])
    print("best (z by FFT, z exact):")
    for (z, L), e in zip(best, ex):
        print(f"  L = {L}: z {z:.2f}, exact {e / sd:.2f}")


if __name__ == "__main__":
    main()
