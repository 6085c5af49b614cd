"""Per-bin bounds on the host's offset of the last Horner step of P and D from
the model, from cell-boundary cases (tan_target.py): for each case where one
cell of P or D decides the result, the host's choice bounds S_host - S_model
from one side; a consistent interval per narrow bin of log2|t| means a smooth
offset, an inconsistent one an unmodelled rounding.

Run: python3 tools/x87-transc/tan_bins.py COEF.txt NBINS LO HI in.txt,out.txt ...
"""
import sys, math, json
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import load, last_step, cellpos
L = open(sys.argv[1]).read().split("\n")
P = [tuple(c) for c in json.loads(L[0])]; Q = [tuple(c) for c in json.loads(L[1])]
NB = int(sys.argv[2]); lo, hi = float(sys.argv[3]), float(sys.argv[4])
bins = {}
for fcw, t, r, fsw in load(sys.argv[5:]):
    ta = (abs(t[0]), t[1]); lt = math.log2(ta[0]) + ta[1]
    if not (lo <= lt < hi): continue
    g = mul(ta, ta)
    sp, sd = last_step(P, g), last_step(Q, g)
    p, rp, cp = cellpos(sp); d, rd, cd = cellpos(sd)
    tv = exact_tan(t); bd, _ = boundary(fcw, tv); hs = hw_side(fcw, r, bd)
    for which, rr in (("P", rp), ("D", rd)):
        if 0.5 - abs(rr) > 2e-4: continue
        # model's S is at distance dist = 0.5 - |rr| from the midpoint, on the side of sign(rr)... 
        # try both cells: which one reproduces the host?
        alt = 1 if rr > 0 else -1
        def side(dp, dd):
            n = round_sig(*mul(ta, add(p, (dp, cp))))
            if t[0] < 0: n = (-n[0], n[1])
            return cmp_frac(n, add(d, (dd, cd)), bd)
        s0 = side(0, 0); s1 = side(alt, 0) if which == "P" else side(0, alt)
        if s0 == s1: continue
        # S_model - M in cells: positive if the model rounded up. rr = pos relative to nearest cell:
        # rr > 0 (just below midpoint above), rr < 0 (just above midpoint below)
        sm = -(0.5 - abs(rr)) if rr > 0 else (0.5 - abs(rr))  # S_model - midpoint
        host_up = (s1 == hs) if rr > 0 else (s0 == hs)  # host rounded across to the upper cell
        b = min(NB - 1, int((lt - lo) / (hi - lo) * NB))
        key = (which, b)
        l_, h_, n = bins.get(key, (-1, 1, 0))
        # e = S_host - S_model: host up => S_host > M => e > -sm
        if host_up: l_ = max(l_, -sm)
        else: h_ = min(h_, -sm)
        bins[key] = (l_, h_, n + 1)
for k in sorted(bins):
    l_, h_, n = bins[k]
    print(k[0], f"lt in [{lo + k[1] * (hi - lo) / NB:.3f}, ...): n={n:3d} host - model in ({l_ * 1e6:+.2f}, {h_ * 1e6:+.2f}) 1e-6 cells{'  INCONSISTENT' if l_ > h_ else ''}")
