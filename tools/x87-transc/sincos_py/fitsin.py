import sys, mpmath as mp
from sim import *
import remez
mp.mp.dps = 60
def sincoef(deg, G):
    def f(g):
        t = mp.sqrt(g); return (t - mp.sin(t)) / t ** 3 if g > 0 else mp.mpf(1) / 6
    wt = lambda g: mp.sqrt(g) ** 3 / mp.sin(mp.sqrt(g))
    s, E = remez.remez(deg, G, f, wt)
    return s
def model_sin(t, S, var):
    g = mul(t, t)
    acc = S[-1]
    for c in reversed(S[:-1]):
        acc = rnd(*add(mul(acc, g), c), 68) if var.get("h", 68) else add(mul(acc, g), c)
    if var.get("form") == "tg":
        tg = rnd(*mul(t, g), 68); corr = rnd(*mul(tg, acc), 68)
    elif var.get("form") == "exact":
        corr = mul(mul(t, g), acc)
    else:
        gs = rnd(*mul(g, acc), 68); corr = rnd(*mul(t, gs), 68)
    return add(t, (-corr[0], corr[1]))
RC = {"37f": 0, "77f": 1, "b7f": 2, "f7f": 3}
def check(fn, S, var, show=0):
    bad = badc1 = tot = 0
    for l in open(fn):
        p = l.split()
        op, fcw, xh, fsw, st0 = p[0], p[1], p[2], p[3], p[4]
        x = parse(xh)
        n, t = reduce(x)
        if n != 0: continue
        w = model_sin(t, S, var)
        h, up = final(w, RC[fcw[-3:]] if fcw[-3:] in RC else 0)
        c1 = (int(fsw, 16) >> 9) & 1
        tot += 1
        if h != st0:
            bad += 1
            if show and bad <= show: print("BAD", l.strip(), h)
        elif c1 != up: badc1 += 1
    return tot, bad, badc1
if __name__ == "__main__":
    fn = sys.argv[1]; deg = 6
    for G in [(mp.pi / 4) ** 2, mp.mpf("0.61685")]:
        s = sincoef(deg, G)
        S = [coef68(c) for c in s]
        for var in [{"form": "gs"}, {"form": "tg"}, {"form": "exact"}]:
            print(mp.nstr(G, 8), var, check(fn, S, var))
