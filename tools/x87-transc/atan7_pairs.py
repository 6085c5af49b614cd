"""FPATAN round 7: the same exact ratio from other operands. Rewrites direct-path cases (x = 1,
y = r; atan6_gen22.py / atan7_gen.py output) as (y' = r x', x') with x' a random XB-bit
significand in [1, 2) such that y' = r x' is exact in 64 bits (XB <= 64 - bits of r). If the
host forms r exactly when it is representable, both files give the same probe output.

Run: python3 tools/x87-transc/atan7_pairs.py XB SEED < c.in > cx.in
     /tmp/x87probe < c.in > c.out; /tmp/x87probe < cx.in > cx.out; cmp c.out cx.out
"""
import sys, random
from fractions import Fraction as F
def f80(h):
    se = int(h[:4], 16); m = int(h[4:], 16)
    return Fraction(m, 1) * Fraction(2) ** ((se & 0x7fff) - 0x3fff - 63)
Fraction = F
def h80(v):
    # v positive Fraction exactly representable in 64 bits
    e = 0
    while v >= 2: v /= 2; e += 1
    while v < 1: v *= 2; e -= 1
    m = v * 2**63
    assert m.denominator == 1, "inexact"
    return f"{0x3fff + e:04x}{int(m):016x}"
xb = int(sys.argv[1]); rng = random.Random(int(sys.argv[2], 0))
cache = {}
for ln in sys.stdin:
    op, fcw, a, b = ln.split()
    r = f80(b)
    assert f80(a) == 1
    if b not in cache:
        while True:
            k = rng.randrange(1 << (xb - 1), 1 << xb) | 1
            xp = F(k, 1 << (xb - 1))
            try:
                cache[b] = (h80(xp), h80(r * xp)); break
            except AssertionError:
                continue
    xa, yb = cache[b]
    print(op, fcw, xa, yb)
