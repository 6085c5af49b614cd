"""FPTAN: how far the host's internal quotient sits from a model's, per bin of
|t| (round 5 of the FPTAN study, README "FPTAN: structure above 2^-1").

For each near-boundary case (tan_near.c) the model's unrounded quotient
N / D lies m units of the result's last place from the rounding boundary B
(a representable value for rounding down, a midpoint for nearest); the
host's result tells on which side of B its own internal value lies. In each
bin the shift s that best explains the host's sides (host ~ model + s) and
the misses left with that shift are printed: a smooth s(t) with few misses
left means a systematic, smooth difference; many misses left with s ~ 0
means cell-level noise.

Run: [TV=...] python3 tools/x87-transc/tan5_shift.py COEF.txt|exact|bands NBINS in.txt,out.txt ...
  COEF.txt: one set (tan_coef*.txt format); "exact": mpmath tan (no model);
  "bands": the per-band sets of cpu/fpu/transc_amd.ts (tan5_lib.BANDS).
"""
import sys, os, math, json
from fractions import Fraction

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5


def main():
    spec, nb = sys.argv[1], int(sys.argv[2])
    cases = L5.load(sys.argv[3:])
    lo, hi = 0.125, math.pi / 4
    bins = [[] for _ in range(nb)]
    for fcw, t, r in cases:
        tv = abs(t[0]) * 2.0 ** t[1]
        if tv < lo:
            continue
        m = L5.model_offset(spec, fcw, t)
        side = L5.hw_side_of(fcw, t, r, spec)
        k = min(nb - 1, int((tv - lo) / (hi - lo) * nb))
        bins[k].append((m, side))
    tot = 0
    for k, b in enumerate(bins):
        if not b:
            continue
        base = sum(1 for m, s in b if (m > 0) != (s > 0))
        # best shift: scan candidate thresholds at the data points
        cand = sorted(set([0.0] + [-m for m, _ in b]))
        best = (base, 0.0)
        pts = sorted(b)
        # misses(s) = #(m + s > 0 and side < 0) + #(m + s <= 0 and side > 0)
        npos = sum(1 for _, s in b if s > 0)
        # sweep s from -inf: all m+s <= 0 -> misses = npos
        cur = npos
        sw = sorted(((-m, sd) for m, sd in b))
        for v, sd in sw:
            cur += -1 if sd > 0 else 1
            if cur < best[0]:
                best = (cur, v + 1e-12)
        tot += base
        print(f"t {lo + (hi - lo) * k / nb:.4f} n {len(b):6d} miss {base:5d} best_shift {best[1]:+.5f} left {best[0]:5d}")
    print("total", tot)


if __name__ == "__main__":
    main()
