"""Counts, per half-binade of |t|, the near-boundary FPTAN cases a
coefficient set fails (the model of cpu/fpu/transc_amd.ts with those
coefficients, applied at every |t| < pi/4).

Run: python3 tools/x87-transc/tan_check.py COEF.txt in1.txt,out1.txt ...
  COEF.txt: two lines, P then Q, each a JSON list of [significand, exponent]
  (as printed by tan_fit.py). Output: `bin:failed/cases`, bin = floor(2 log2|t|)/2.
"""
import sys, math, json
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import load
# TV="prod:68:near,g:68:near" (environment): structural variants of tan_lib.VARIANT.
for _v in filter(None, __import__("os").environ.get("TV", "").split(",")):
    _k, _w, _m = _v.split(":")
    VARIANT[_k] = (int(_w), _m)
P = [tuple(c) for c in json.loads(open(sys.argv[1]).readline())]
Q = [tuple(c) for c in json.loads(open(sys.argv[1]).readlines()[1])]
bins = {}
for fcw, t, r, fsw in load(sys.argv[2:]):
    tv = exact_tan(t); bd, ue = boundary(fcw, tv)
    n, d = model_nd((abs(t[0]), t[1]), P, Q)
    if t[0] < 0: n = (-n[0], n[1])
    lt = math.log2(abs(t[0])) + t[1]
    k = max(-12, math.floor(lt * 2) / 2)
    s = bins.setdefault(k, [0, 0]); s[0] += 1
    if cmp_frac(n, d, bd) != hw_side(fcw, r, bd): s[1] += 1
print(" ".join(f"{k}:{s[1]}/{s[0]}" for k, s in sorted(bins.items())))
