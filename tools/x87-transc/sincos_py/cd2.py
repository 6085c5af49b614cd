import sys, pickle, json, math
import mpmath as mp
from fitcos import coscoef
from fitsin import sincoef
from sim import *
RC = {"37f": 0, "77f": 1, "b7f": 2, "f7f": 3}
which = sys.argv[1]
cases = pickle.load(open("inf_%s.pkl" % which, "rb"))
if which == "cos":
    import remez
    mp.mp.dps = 60
    _f = lambda g: (1 - mp.cos(mp.sqrt(g))) / g if g > 0 else mp.mpf(1) / 2
    _s, _E = remez.remez(7, (mp.pi / 4) ** 2, _f, lambda g: 1)
    S = [coef68(c) for c in _s]
else:
    S = [coef68(c) for c in sincoef(6, (mp.pi / 4) ** 2)]
def ev(t, S):
    g = rnd(*mul(t, t), 68); acc = S[-1]
    for c in reversed(S[:-1]): acc = rnd(*add(rnd(*mul(acc, g), 68), c), 68)
    if which == "cos":
        corr = rnd(*mul(g, acc), 68); return add((1, 0), (-corr[0], corr[1]))
    corr = rnd(*mul(rnd(*mul(t, g), 68), acc), 68); return add(t, (-corr[0], corr[1]))
def count(S, cs):
    bad = 0
    for fcw, fsw, st0, t in cs:
        h, up = final(ev(t, S), RC[fcw])
        if h != st0 or up != (int(fsw, 16) >> 9) & 1: bad += 1
    return bad
print("base", count(S, cases), flush=True)
ks = [int(x) for x in sys.argv[2].split(",")]
rng = int(sys.argv[3])
for k in ks:
    res = []
    for j in range(-rng, rng + 1):
        S2 = list(S); S2[k] = (S[k][0] + j, S[k][1])
        res.append((count(S2, cases), j))
    res.sort(); print("coef", k, res[:6], flush=True)
