"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the components' frequencies
(round 10, ylog10)"): does the pinned quantity a(g) (ylog10_phase.py) predict
the host's choices?

For each case of the windows the model's h P (REM_ONE) is corrected by the
rounding error of W = a(g) in cells: hp' = hp (1 + k 2^-68 (round(a + c) -
(a + c))), g = T^2 from the exact T = 2t / (2 + t), and R = R68(hp')
decides between R's two neighbours; the agreement with the host's choices is
printed against the model alone (k = 0).

  python3 tools/x87-transc/ylog10_apply.py scan A_COEF.txt SPEC [SPEC ...]
      scans c (the unknown offset of a's phase, cycles) and k (one cell of W
      relative to W, in units of 2^-68) for the best agreement
  python3 tools/x87-transc/ylog10_apply.py phases A_COEF.txt K SPEC [SPEC ...]
      per window, the offset c the host's choices prefer with k fixed: c
      minus the global c is the model's phase error there (in cycles)
  python3 tools/x87-transc/ylog10_apply.py eval A_COEF.txt C K SPEC [SPEC ...]
      the agreement with c and k fixed (for hold-outs), per SPEC and in all

SPEC: p:FILE@E (FYL2XP1 window of t > 0, ylog9_period.py genp1 or
ylog10_gen.py), n:FILE@E (FYL2XP1, t < 0, ylog10_gen.py), x:FILE (FYL2X of x
= 1 + t, k = 0, ylog9_period.py gen). E: t's binary exponent.
"""
import sys

import numpy as np
from mpmath import mp, mpf

import ylog10_gen as G
import ylog9_lib as L
import ylog9_period as YP

mp.dps = 60


def load_a(fn):
    v = open(fn).read().split()
    return mpf(v[0]), [mpf(x) for x in v[1:]]


def cases(spec, g0, coef, q):
    kind, rest = spec.split(":", 1)
    e = 0
    if "@" in rest:
        rest, e = rest.rsplit("@", 1)
        e = int(e)
    out = []
    for m, f, h, _ in YP.read(rest):
        if kind == "x":
            c = L.chain(m, q, 0)
            t = (mpf(m) - mpf(2) ** 63) / mpf(2) ** 63
        else:
            c = G.chain_signed(m, e, kind == "n", q)
            t = mpf(m) * mpf(2) ** (e - 63) * (-1 if kind == "n" else 1)
        T = 2 * t / (2 + t)
        d = T * T - g0
        a = sum(cc * d**k for k, cc in enumerate(coef))
        out.append((float(a - mp.floor(a)), (c["hp"] - c["rl"]) / (1 << c["sh"]), c["hp"] / (1 << c["sh"]), h))
    return np.array(out)


def agree(arr, c, k):
    fr, pos, mag, host = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
    err = np.round(fr + c) - (fr + c)
    x = pos + mag * k * 2.0**-68 * err
    return np.sum((x > 0.5) == (host == 1))


def main():
    cmd = sys.argv[1]
    g0, coef = load_a(sys.argv[2])
    q = L.load_q()
    if cmd == "scan":
        arr = np.concatenate([cases(s, g0, coef, q) for s in sys.argv[3:]])
        n = len(arr)
        print("%d cases; model alone agrees with %d (%.4f)" % (n, agree(arr, 0, 0), agree(arr, 0, 0) / n))
        best = sorted(((agree(arr, c, k), c, k) for c in np.arange(0, 1, 0.01) for k in np.arange(-3, 3.01, 0.1)),
                      reverse=True)
        for a, c, k in best[:6]:
            print("  c %.2f  k %+.1f: agreement %d (%.4f)" % (c, k, a, a / n))
    elif cmd == "phases":
        # per window: the offset c that the decisions prefer (k fixed), i.e. the model's phase error
        k = float(sys.argv[3])
        for s in sys.argv[4:]:
            arr = cases(s, g0, coef, q)
            sc = [(agree(arr, c, k), c) for c in np.arange(0, 1, 0.01)]
            a, c = max(sc)
            print("%s: %d cases, best c %.2f, agreement %.4f (alone %.4f)" % (s, len(arr), c, a / len(arr),
                                                                              agree(arr, 0, 0) / len(arr)))
    elif cmd == "eval":
        c, k = float(sys.argv[3]), float(sys.argv[4])
        tot = [0, 0, 0]
        for s in sys.argv[5:]:
            arr = cases(s, g0, coef, q)
            a0, a1 = agree(arr, 0, 0), agree(arr, c, k)
            tot = [tot[0] + len(arr), tot[1] + a0, tot[2] + a1]
            print("%s: %d cases, model alone %d (%.4f), with a(g) %d (%.4f)" % (s, len(arr), a0, a0 / len(arr), a1,
                                                                            a1 / len(arr)))
        print("all: %d cases, model alone %d (%.4f), with a(g) %d (%.4f)" % (tot[0], tot[1], tot[1] / tot[0], tot[2],
                                                                          tot[2] / tot[0]))


if __name__ == "__main__":
    main()
