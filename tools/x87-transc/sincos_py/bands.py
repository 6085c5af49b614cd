import sys, math
from model import *
which = sys.argv[1]
bins = {}
for fn in sys.argv[2].split(","):
    for l in open(fn):
        p = l.split(); n, t = reduce(parse(p[2]))
        if t[0] == 0: continue
        b = min(abs(t[0]).bit_length() + t[1] - 1, 0)
        b = max(b, -8)
        kind = "sinpoly" if (which == "sin") == (n % 2 == 0) else "cospoly"
        w = sinx(n, t) if which == "sin" else cosx(n, t)
        h, up = final(w, RC[p[1]])
        k = (kind, b); e = bins.setdefault(k, [0, 0])
        e[0] += 1
        if h != p[4] or up != (int(p[3], 16) >> 9) & 1: e[1] += 1
for k in sorted(bins): print(which, k, bins[k])
