import sys, pickle
import mpmath as mp
import remez
from sim import *
mp.mp.dps = 60
sys.argv = ["x", "cos", "0", "0"]
exec(open("cd2.py").read().split('print("base"')[0])
G0 = (mp.pi / 4) ** 2
f = lambda g: (1 - mp.cos(mp.sqrt(g))) / g if g > 0 else mp.mpf(1) / 2
ws = {"S": lambda g: 1, "Srel": lambda g: 1 / f(g)}
for wn, wt in ws.items():
    for G in [G0, mp.mpf("0.61685"), G0 * 0.995, G0*0.99, G0*1.002]:
        s, E = remez.remez(7, G, f, wt)
        S68 = [coef68(c) for c in s]
        print(wn, mp.nstr(G, 8), "E", mp.nstr(E * 2 ** 64, 4), "c0dev*2^80", mp.nstr((s[0] - 0.5) * 2 ** 80, 6), count(S68, cases), flush=True)
