import sys, math
import mpmath as mp
from fitcos import coscoef
from sim import *
RC = {"37f": 0, "77f": 1, "b7f": 2, "f7f": 3}
sB, E = coscoef(6, form="B"); S = [coef68(c) for c in [mp.mpf(1) / 2] + [-c for c in sB]]
def value(t, corr): return add((1, 0), (-corr[0], corr[1]))
out = []
for fn in sys.argv[1].split(","):
    for l in open(fn):
        p = l.split(); n, t = reduce(parse(p[2]))
        if n % 4 or abs(t[0]).bit_length() + t[1] <= -7: continue
        g = rnd(*mul(t, t), 68); acc = S[-1]
        for c in reversed(S[1:-1]):
            acc = rnd(*add(rnd(*mul(acc, g), 68), c), 68)
        P = rnd(*mul(acc, g), 68)
        x = add(P, S[0])
        a = abs(x[0]); d = a.bit_length() - 68
        q = a >> d; fr = (a - (q << d)) / 2.0 ** d
        res = []
        for qq in (q, q + 1):
            Sv = (qq, x[1] + d)
            h, up = final(value(t, rnd(*mul(g, Sv), 68)), RC[p[1]])
            res.append(h == p[4] and up == (int(p[3], 16) >> 9) & 1)
        if res[0] != res[1]:
            out.append((t[0] * 2.0 ** t[1], fr, "up" if res[1] else "down", d))
        elif not res[0] and not res[1]:
            out.append((t[0] * 2.0 ** t[1], fr, "NEITHER", d))
out.sort()
for o in out:
    if (o[2] == "up" and o[1] < 0.5) or (o[2] == "down" and o[1] > 0.5) or o[2] == "NEITHER": print("%.5f %.4f %s %d" % o)
