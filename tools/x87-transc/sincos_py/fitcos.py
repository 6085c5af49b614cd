import sys, mpmath as mp
from sim import *
import remez
mp.mp.dps = 60
G0 = (mp.pi / 4) ** 2
def coscoef(deg, G=G0, form="S"):
    if form == "S":  # cos = 1 - g S(g)
        f = lambda g: (1 - mp.cos(mp.sqrt(g))) / g if g > 0 else mp.mpf(1) / 2
        wt = lambda g: g / mp.cos(mp.sqrt(g))
    else:  # cos = 1 - g/2 + g^2 C(g)
        f = lambda g: (mp.cos(mp.sqrt(g)) - 1 + g / 2) / g ** 2 if g > 0 else mp.mpf(1) / 24
        wt = lambda g: g * g / mp.cos(mp.sqrt(g))
    s, E = remez.remez(deg, G, f, wt)
    return s, E
RC = {"37f": 0, "77f": 1, "b7f": 2, "f7f": 3}
def model_cos(t, S, form, hb=68, pb=68, cb=68):
    g = mul(t, t)
    acc = S[-1]
    for c in reversed(S[:-1]):
        acc = rnd(*add(mul(acc, g), c), hb)
    if form == "S":
        corr = rnd(*mul(g, acc), cb)
        return add((1, 0), (-corr[0], corr[1]))
    else:
        g2 = rnd(*mul(g, g), pb); corr = rnd(*mul(g2, acc), cb)
        return add(add((1, 0), (-g[0], g[1] - 1)), corr)
if __name__ == "__main__":
    lines = [l.split() for l in open(sys.argv[1])]
    cases = []
    for p in lines:
        n, t = reduce(parse(p[2]))
        if n % 4 == 0: cases.append((p, t))
    for form, deg in [("S", 6), ("S", 7), ("B", 5), ("B", 6)]:
        s, E = coscoef(deg, form=form)
        S = [coef68(c) for c in s]
        print(form, deg, "E*2^64=", mp.nstr(E * 2 ** 64, 6), "c0dev", mp.nstr((s[0] - (mp.mpf(1)/2 if form == "S" else mp.mpf(1)/24)) * 2 ** 64, 6))
        bad = b1 = 0
        for p, t in cases:
            w = model_cos(t, S, form)
            h, up = final(w, RC[p[1]])
            if h != p[4]: bad += 1
            elif up != (int(p[3], 16) >> 9) & 1: b1 += 1
        print("  ", len(cases), bad, b1, flush=True)
