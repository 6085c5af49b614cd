import sys
from model import *
def chain(t, S, kind, flips):
    g = rnd(*mul(t, t), 68); g = (g[0] + flips.get("g", 0), g[1])
    acc = S[-1]; i = len(S) - 2
    for c in reversed(S[:-1]):
        p = rnd(*mul(acc, g), 68); p = (p[0] + flips.get("p%d" % i, 0), p[1])
        acc = rnd(*add(p, c), 68); acc = (acc[0] + flips.get("s%d" % i, 0), acc[1]); i -= 1
    if kind == "sin":
        m = rnd(*mul(t, g), 68); m = (m[0] + flips.get("tg", 0), m[1])
    else: m = g
    corr = rnd(*mul(m, acc), 68); corr = (corr[0] + flips.get("corr", 0), corr[1])
    return add((1, 0) if kind == "cos" else t, (-corr[0], corr[1]))
def fr(x):
    a = abs(x[0]); d = a.bit_length() - 68
    if d <= 0: return 0.0
    q = a >> d; return round((a - (q << d)) / 2.0 ** d, 3)
for fn in sys.argv[2].split(","):
    for l in open(fn):
        p = l.split(); op = p[0]; xh = p[2]
        n, t = reduce(parse(xh)); q = n % 4
        if t[0] == 0 or abs(t[0]).bit_length() + t[1] <= -3: continue
        w = sinx(n, t) if op == "fsin" else cosx(n, t)
        h, up = final(w, RC[p[1]])
        if h == p[4] and up == (int(p[3], 16) >> 9) & 1: continue
        kind = "sin" if (op == "fsin") == (q % 2 == 0) else "cos"
        sgn = -1 if (op == "fsin" and q >= 2) or (op == "fcos" and q in (1, 2)) else 1
        S = SIN if kind == "sin" else COS
        fixes = []
        keys = ["g", "tg", "corr"] + ["p%d" % i for i in range(len(S) - 1)] + ["s%d" % i for i in range(len(S) - 1)]
        for k in keys:
            for d in (-1, 1):
                w = chain(t, S, kind, {k: d})
                if sgn < 0: w = (-w[0], w[1])
                h, up = final(w, RC[p[1]])
                if h == p[4] and up == (int(p[3], 16) >> 9) & 1: fixes.append("%s%+d" % (k, d))
        # fractions of the last steps
        g = rnd(*mul(t, t), 68); acc = S[-1]; frs = []
        for c in reversed(S[:-1]):
            pp = mul(acc, g); pr = rnd(*pp, 68); s_ = add(pr, c); frs.append((fr(pp), fr(s_))); acc = rnd(*s_, 68)
        print(op, p[1], xh, kind, "t=%.4f" % (t[0] * 2.0 ** t[1]), "fixes:", fixes, "last fr", frs[-2:])
