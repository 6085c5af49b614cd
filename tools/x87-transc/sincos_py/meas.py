import sys, random, mpmath
from lib import *
# usage: meas.py op lo_exp hi_exp N seed  -> prints t, Elo, Ehi (units of result ulp), flags
op, lo, hi, N, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rnd = random.Random(seed)
xs = []
for i in range(N):
    e = rnd.randint(lo, hi - 1); m = rnd.getrandbits(63) | (1 << 63)
    xs.append((0, e, m))
lines = []
for (s, e, m) in xs:
    for fcw in ("77f", "b7f", "37f"):
        lines.append("%s %s %s" % (op, fcw, enc(s, e, m)))
res = run(lines)
for i, (s, e, m) in enumerate(xs):
    x = F(m) * F(2) ** (e - 63)
    n, t = reduce(x)
    rd, ru, rn = res[3 * i:3 * i + 3]
    idx = 1 if op != "fsincos" else 2  # fsincos: ST1 = sin, ST0 = cos
    for which in ([1] if op != "fsincos" else [2, 1]):
        a = dec(rd[which]); b = dec(ru[which]); c = dec(rn[which])
        q = n % 4
        tt = mpf(t)
        if op == "fcos" or (op == "fsincos" and which == 1):
            v = [mpmath.cos(tt), -mpmath.sin(tt), -mpmath.cos(tt), mpmath.sin(tt)][q]
        else:
            v = [mpmath.sin(tt), mpmath.cos(tt), -mpmath.sin(tt), -mpmath.cos(tt)][q]
        u = ulp(a if a != 0 else b)
        ua = mpf(u)
        if a == b:
            lo_ = hi_ = (mpf(a) - v) / ua
        else:
            mid = (mpf(a) + mpf(b)) / 2
            if c == a: lo_, hi_ = (mpf(a) - v) / ua, (mid - v) / ua
            else: lo_, hi_ = (mid - v) / ua, (mpf(b) - v) / ua
        print("%s %d %.12e %.6f %.6f %s %s" % ("sc"[which - 1] if op == "fsincos" else op[1], n, float(tt), float(lo_), float(hi_), rd[0], rn[0]))
