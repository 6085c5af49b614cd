"""FSIN / FCOS round 6: probe lines AIMED at the model's near-ties.

Draws random t in [2^LO, TMAX) (64-bit significand, random sign) and keeps
those where one of the model's 68-bit roundings named in STEPS has its
unrounded value within W cells of a rounding midpoint AND rounding it the
other way changes the final result in RD, RU or RN: exactly the cases that
tell which way the host's intermediate went. Prints three probe lines (RN,
RD, RU) per kept t: FSIN for "sin", FCOS for "cos" (x = t, so n = 0).
With `--info` prints instead `x kind step frac` per kept t.

Run: python3 tools/x87-transc/sincos6_aim.py sin|cos N SEED [--info] > in.txt
  env LO (-2), TMAX (0.7854), W (0.05), STEPS (s0,corr; any of g, p0.., s0.., tg, corr),
  COEF (a sincos6 coefficient file to aim at instead of the committed set)
Then: /tmp/x87probe_trig6 < in.txt > out.txt
"""
import os, random, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L
from sim import final

kind, N, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0)
info = "--info" in sys.argv
LO = int(os.environ.get("LO", "-2"))
TMAX = float(os.environ.get("TMAX", "0.7854"))
W = float(os.environ.get("W", "0.05"))
STEPS = os.environ.get("STEPS", "s0,corr").split(",")
S, C = L.read_coef(os.environ["COEF"]) if os.environ.get("COEF") else (L.SIN, L.COS)
op = "fsin" if kind == "sin" else "fcos"
R = random.Random(seed)
found = tries = 0
while found < N:
    tries += 1
    e = R.randint(LO, -1)
    m = R.getrandbits(63) | (1 << 63)
    t = (m, e - 63)
    if t[0] * 2.0 ** t[1] >= TMAX:
        continue
    hit = None
    for name, u in L.steps(t, kind, S, C):
        if name not in STEPS:
            continue
        f = L.frac_mid(u)
        if f is None or abs(f) > W:
            continue
        d = 1 if f < 0 else -1
        base = L.poly(t, kind, S, C)
        alt = L.flipped(t, kind, name, d, S, C)
        if any(final(base, rc) != final(alt, rc) for rc in (0, 1, 2)):
            hit = (name, f)
            break
    if not hit:
        continue
    found += 1
    s = R.getrandbits(1)
    x = L.enc(s, e, m) if hasattr(L, "enc") else "%04x%016x" % ((s << 15) | (e + 16383), m)
    if info:
        print(x, kind, hit[0], "%.4f" % hit[1])
    else:
        for fcw in ("37f", "77f", "b7f"):
            print(op, fcw, x)
print("aimed", found, "of", tries, file=sys.stderr)
