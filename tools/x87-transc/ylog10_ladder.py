"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the dominant component is
a rounding of a function of g (round 10, ylog10)"): extend the pinned a(g)
window by window, with each window's phase read from the host's DECISIONS.

For each window the offset c that makes the corrected model (ylog10_apply.py:
hp' = hp (1 + k 2^-68 (round(a + c) - (a + c)))) agree best with the host is
found by a scan (the first-harmonic phase of ylog10_phase.py is biased in
windows where the decided cases sample the component's phase unevenly);
c - C0 is the model's phase error there. Windows are then taken in order of
|g - g0|, and the integer number of cycles of each is chosen by a beam search
(30 hypotheses, each scored by the chi2 of a degree-4 polynomial correction
through all its windows, phase error 0.02 cycles); the corrected a(g) is
written out.

  python3 tools/x87-transc/ylog10_ladder.py A_START.txt C0 K OUT.txt SPEC [SPEC ...]

SPEC as in ylog10_apply.py (p:FILE@E, n:FILE@E, x:FILE).
"""
import sys

import numpy as np
from mpmath import mp, mpf

import ylog10_apply as A
import ylog10_gen as G
import ylog9_lib as L
import ylog9_period as YP

mp.dps = 60
FINAL = 4  # degree of the correction polynomial (a quartic D needs 4)
SIG = 0.02  # a window's phase error (cycles) for the chi2
BEAM = 30  # hypotheses kept


def window(spec, g0, coef, q):
    """Per case: frac(a + ...) from the window centre's a and local slope, the
    model's position, h P's size, the host's choice; and the centre's g - g0."""
    kind, rest = spec.split(":", 1)
    e = 0
    if "@" in rest:
        rest, e = rest.rsplit("@", 1)
        e = int(e)
    rows = YP.read(rest)
    ms = [r[0] for r in rows]
    mc = (min(ms) + max(ms)) // 2

    def tof(m):
        if kind == "x":
            return (mpf(m) - mpf(2) ** 63) / mpf(2) ** 63
        return mpf(m) * mpf(2) ** (e - 63) * (-1 if kind == "n" else 1)

    def gof(m):
        t = tof(m)
        T = 2 * t / (2 + t)
        return T * T

    dgc = gof(mc) - g0
    ac = sum(c * dgc**k for k, c in enumerate(coef))
    ap = sum(k * c * dgc ** (k - 1) for k, c in enumerate(coef) if k > 0)
    slope = float(ap * (gof(mc + 1024) - gof(mc - 1024)) / 2048)  # cycles per unit of m
    fc = float(ac - mp.floor(ac))
    out = []
    for m, f, h, _ in rows:
        if kind == "x":
            c = L.chain(m, q, 0)
        else:
            c = G.chain_signed(m, e, kind == "n", q)
        out.append(((fc + slope * (m - mc)) % 1.0, (c["hp"] - c["rl"]) / (1 << c["sh"]), c["hp"] / (1 << c["sh"]), h))
    return np.array(out), float(dgc)


def best_c(arr, k):
    cs = np.arange(0, 1, 0.01)
    sc = np.array([A.agree(arr, c, k) for c in cs])
    # smooth over neighbours (circular) and refine
    sm = (np.roll(sc, 1) + 2 * sc + np.roll(sc, -1)) / 4
    i = int(np.argmax(sm))
    fine = np.arange(cs[i] - 0.015, cs[i] + 0.0151, 0.0025)
    sf = np.array([A.agree(arr, c % 1.0, k) for c in fine])
    j = int(np.argmax(sf))
    return float(fine[j] % 1.0), sf[j] / len(arr), A.agree(arr, 0, 0) / len(arr)


def main():
    g0, coef = A.load_a(sys.argv[1])
    c0, k = float(sys.argv[2]), float(sys.argv[3])
    out = sys.argv[4]
    q = L.load_q()
    meas = []
    for spec in sys.argv[5:]:
        arr, dg = window(spec, g0, coef, q)
        c, acc, alone = best_c(arr, k)
        err = (c - c0 + 0.5) % 1.0 - 0.5
        meas.append((dg, err, len(arr), spec, acc, alone))
        print("%s: dg %+.4e, best c %.4f (error %+.3f), agreement %.4f (alone %.4f)" % (spec, dg, c, err, acc, alone),
              flush=True)
    meas.sort(key=lambda v: abs(v[0]))
    # beam search over each window's integer number of cycles: a hypothesis is scored by the
    # weighted residual of a polynomial correction (degree up to FINAL) through all its windows
    def chi2(xs, ys):
        xs, ys = np.array(xs), np.array(ys)
        sp = abs(xs).max() or 1.0
        cf = np.polyfit(xs / sp, ys, min(FINAL, len(xs) - 1))
        r = ys - np.polyval(cf, xs / sp)
        return cf, sp, float(np.sum((r / SIG) ** 2))

    hyps = [([0.0], [0.0], 0.0)]  # the start model is exact at g0
    for dg, err, n, spec, acc, alone in meas:
        nxt = []
        for xs, ys, _ in hyps:
            if len(xs) >= 2:
                cf, sp, _ = chi2(xs, ys)
                pred = np.polyval(cf, dg / sp)
            else:
                pred = 0.0
            base = round(pred - err)
            for j in (base - 1, base, base + 1):
                nxt.append((xs + [dg], ys + [err + j], chi2(xs + [dg], ys + [err + j])[2]))
        nxt.sort(key=lambda h: h[2])
        hyps = nxt[:BEAM]
        print("  take %s: dg %+.4e, measured %+.3f -> %+.3f, chi2 %.1f (next %.1f)" % (
            spec, dg, err, hyps[0][1][-1], hyps[0][2], hyps[1][2] if len(hyps) > 1 else float("nan")))
    xs, ys, _ = hyps[0]
    cf, span, c2 = chi2(xs, ys)
    res = np.array(ys) - np.polyval(cf, np.array(xs) / span)
    print("final degree-%d correction: rms residual %.3f cycles, max %.3f (chi2 %.1f; next hypothesis %.1f)" % (
        FINAL, np.sqrt(np.mean(res[1:] ** 2)), abs(res[1:]).max(), c2, hyps[1][2]))
    # a_new(g0 + d) = a(g0 + d) + sum cf_j (d / span)^j  (cf from highest power)
    new = list(coef) + [mpf(0)] * 8
    for p, c in enumerate(cf[::-1]):
        new[p] += mpf(c) / mpf(span) ** p
    with open(out, "w") as f:
        f.write("%s\n" % mp.nstr(g0, 50))
        for c in new:
            f.write("%s\n" % mp.nstr(c, 50))
    print("written to %s" % out)


if __name__ == "__main__":
    main()
