"""FSIN / FCOS round 6: operands where two models disagree (head-to-head test).

Draws random t in [2^LO, 2^HI) (capped at TMAX), both signs, and keeps those
where models A and B (`base` or sincos6 coefficient files) give a different
result in RN, RD or RU for FSIN (kind sin) or FCOS (kind cos), x = t. Prints
three probe lines per kept t; run them on the probe and count with
sincos6_count.py A B -- in,out: whichever model the host follows.

Run: python3 tools/x87-transc/sincos6_disagree.py A B sin|cos N SEED LO HI [MAXTRIES] > in.txt
  env TMAX (0.7854). Reports kept / tried on stderr.
"""
import os, random, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L
from sim import final


def coefs(spec):
    return (L.SIN, L.COS) if spec == "base" else L.read_coef(spec)


a, b, kind = coefs(sys.argv[1]), coefs(sys.argv[2]), sys.argv[3]
N, seed, lo, hi = int(sys.argv[4]), int(sys.argv[5], 0), int(sys.argv[6]), int(sys.argv[7])
maxtries = int(sys.argv[8]) if len(sys.argv) > 8 else 10**9
TMAX = float(os.environ.get("TMAX", "0.7854"))
R = random.Random(seed)
op = "fsin" if kind == "sin" else "fcos"
found = tries = 0
while found < N and tries < maxtries:
    tries += 1
    e = R.randint(lo, hi - 1)
    m = R.getrandbits(63) | (1 << 63)
    t = (m, e - 63)
    if t[0] * 2.0 ** t[1] >= TMAX:
        continue
    va, vb = L.poly(t, kind, *a), L.poly(t, kind, *b)
    if va == vb or all(final(va, rc) == final(vb, rc) for rc in (0, 1, 2)):
        continue
    found += 1
    x = "%04x%016x" % ((R.getrandbits(1) << 15) | (e + 16383), m)
    for fcw in ("37f", "77f", "b7f"):
        print(op, fcw, x)
print("disagree", found, "of", tries, file=sys.stderr)
