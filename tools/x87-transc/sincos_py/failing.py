import sys
from model import *
which = sys.argv[1]
tot = bad = 0
for fn in sys.argv[2].split(","):
    for l in open(fn):
        p = l.split(); n, t = reduce(parse(p[2]))
        if t[0] == 0: continue
        w = sinx(n, t) if which == "sin" else cosx(n, t)
        h, up = final(w, RC[p[1]])
        tot += 1
        if h != p[4] or up != (int(p[3], 16) >> 9) & 1:
            bad += 1; print(p[1], p[2], "n=%d t=%.5f" % (n, t[0] * 2.0 ** t[1]), "res" if h != p[4] else "c1", p[4][-4:], h[-4:])
print(which, "total", tot, "bad", bad)
