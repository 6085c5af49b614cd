"""Writes operands for ylog_scan.ts: N values uniform in [LO, HI) (a random
double plus 20 random low bits), one 20-hex-digit x per line (README,
section "FYL2X / FYL2XP1: whole reduced range (fourth helper)").

  python3 tools/x87-transc/ylog4_xs.py u N SEED LO HI > xs.txt
  python3 tools/x87-transc/ylog4_xs.py u 12000 0x11 0.70 1.42   # FYL2X, k = 0 and the split
  python3 tools/x87-transc/ylog4_xs.py u 8000 0x12 -0.30 0.42   # FYL2XP1
"""
import sys, random
from fractions import Fraction
kind, n, seed, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3],0), float(sys.argv[4]), float(sys.argv[5])
R = random.Random(seed)
for _ in range(n):
    v = Fraction(R.uniform(lo, hi)) + Fraction(R.getrandbits(20), 1<<80)
    s = 1 if v < 0 else 0
    a = abs(v)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2)**e > a: e -= 1
    while Fraction(2)**(e+1) <= a: e += 1
    m = int(a / Fraction(2)**(e-63))
    print("%04x%016x" % ((s<<15) | (e+16383), m))
