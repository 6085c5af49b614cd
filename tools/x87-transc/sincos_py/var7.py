import sys, pickle, itertools
import mpmath as mp
from fitcos import coscoef
from fitsin import sincoef
from sim import *
RC = {"37f": 0, "77f": 1, "b7f": 2, "f7f": 3}
which = sys.argv[1]
cases = pickle.load(open("inf_%s.pkl" % which, "rb"))
if which == "cos":
    sB, E = coscoef(6, form="B"); S = [coef68(c) for c in [mp.mpf(1) / 2] + [-c for c in sB]]
else:
    S = [coef68(c) for c in sincoef(6, (mp.pi / 4) ** 2)]
def rz(m, e, bits):
    neg = m < 0; a = -m if neg else m
    d = a.bit_length() - bits
    if d <= 0: return (m, e)
    q = a >> d; return (-q if neg else q, e + d)
def ev(t, v):
    pb, mode, where = v
    g = rnd(*mul(t, t), 68)
    acc = S[-1]
    for i, c in enumerate(reversed(S[:-1])):
        last = i == len(S) - 2
        p = mul(acc, g)
        if where == "all" or last: p = rz(*p, pb) if mode == "z" else rnd(*p, pb)
        acc = rnd(*add(p, c), 68)
    if which == "cos":
        corr = rnd(*mul(g, acc), 68); return add((1, 0), (-corr[0], corr[1]))
    corr = rnd(*mul(rnd(*mul(t, g), 68), acc), 68); return add(t, (-corr[0], corr[1]))
res = []
for v in itertools.product([62, 63, 64, 65, 66, 67, 68, 70], "nz", ["last", "all"]):
    bad = 0
    for fcw, fsw, st0, t in cases:
        h, up = final(ev(t, v), RC[fcw])
        if h != st0 or up != (int(fsw, 16) >> 9) & 1: bad += 1
    print(v, bad, flush=True)
