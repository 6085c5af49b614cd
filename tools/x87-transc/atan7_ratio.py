"""FPATAN round 7: is the ratio r = y / x rounded to nearest at 68 bits? Direct path (0 < y < x),
a tiny ratio (2^EXP .. 2^(EXP+1); d lies far below r's last bit, so the result is r - tiny),
with the exact quotient q within 1.5 68-bit units u of a 64-bit grid point G. Rounding down, the
result is G iff the host's r lies above G: R68 nearest puts the threshold at q - G = u / 2.
Prints the host's outcome per eighth of u and the cases that contradict R68 nearest.

Run: python3 tools/x87-transc/atan7_ratio.py gen N SEED EXP > t.in     (e.g. 4000 0x7A10 -45)
     /tmp/x87probe < t.in > t.out
     python3 tools/x87-transc/atan7_ratio.py check t.in t.out
"""
import sys, random
from fractions import Fraction as F
def h80(m, e):  # value m * 2^e, m 64-bit with top bit
    return f"{0x3fff + e + 63:04x}{m:016x}"
def f80(h):
    se = int(h[:4], 16); m = int(h[4:], 16)
    return F(m) * F(2) ** ((se & 0x7fff) - 0x3fff - 63)
def g64(q):
    e = 0
    while q >= 1: q /= 2; e += 1
    while q < F(1, 2): q *= 2; e -= 1
    return e  # q in [2^(e-1), 2^e)
if sys.argv[1] == "gen":
    n, rng, ex = int(sys.argv[2]), random.Random(int(sys.argv[3], 0)), int(sys.argv[4])
    got = 0
    while got < n:
        X = rng.randrange(1 << 63, 1 << 64); Y = rng.randrange(1 << 63, 1 << 64)
        q = F(Y, X) * F(2) ** ex
        e = g64(q)
        ulp = F(2) ** (e - 64); u = ulp / 16
        G = round(q / ulp) * ulp
        dl = (q - G) / u
        if abs(dl) > 1.5: continue
        print(f"fpatan 77f {h80(X, -63)} {h80(Y, ex - 63)}")
        got += 1
else:
    import collections
    rows = []
    for li, lo in zip(open(sys.argv[2]), open(sys.argv[3])):
        _, fcw, a, b = li.split()
        x, y = f80(a), f80(b); q = y / x
        e = g64(q); ulp = F(2) ** (e - 64); u = ulp / 16
        G = round(q / ulp) * ulp
        dl = float((q - G) / u)
        res = f80(lo.split()[1])
        above = res == G  # RD of r - eps: G iff r_host > G
        assert res == G or res == G - ulp or (G.numerator & (G.denominator - 1)) , (res, G)
        rows.append((dl, above))
    rows.sort()
    bins = collections.defaultdict(lambda: [0, 0])
    for dl, ab in rows:
        b = round(dl * 8) / 8
        bins[b][ab] += 1
    for b in sorted(bins): print(f"{b:+.3f} below/eq {bins[b][0]:4d} above {bins[b][1]:4d}")
    bad = [(dl, ab) for dl, ab in rows if (dl > 0.5) != ab]
    print("R68-nearest misses:", len(bad), "of", len(rows), bad[:10])
    lo = max([dl for dl, ab in rows if not ab]); hi = min([dl for dl, ab in rows if ab])
    print("largest below", lo, "smallest above", hi)
