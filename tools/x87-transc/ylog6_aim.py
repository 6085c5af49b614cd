"""Aimed operands for FYL2X / FYL2XP1: x whose modelled S + R lies within
DIST units of L of a rounding midpoint (README, section "FYL2X / FYL2XP1:
one remainder (round 5)"). Such cases constrain the remainder R at the level
of its own 68-bit unit; random x almost never do.

  python3 tools/x87-transc/ylog6_aim.py KIND N SEED LO HI DIST QFILE > xs.txt

KIND p1 (FYL2XP1, x = t), k0 (FYL2X, x = 1 + t), k (FYL2X, x = 2^k (1 + t),
k random in -12 ... 12 without 0); t uniform in +-[LO, HI) (both signs,
cut to 1 + t in [sqrt(1/2), sqrt(2))); N candidates; the model is
ylog6_one.py's structure YLOG6_STRUCT (default r, R rounded to 68 bits) with
the Q of QFILE. Prints one 20-hex-digit x per line (ylog_scan.ts input).
"""
import importlib.util
import os
import random
import sys

spec = importlib.util.spec_from_file_location("y1", os.path.join(os.path.dirname(__file__), "ylog6_one.py"))
y1 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(y1)
F, ONE = y1.F, y1.ONE


def enc(neg, e, m):
    """x = m 2^(e - 63), m with its top bit set."""
    return "%04x%016x" % ((neg << 15) | (e + 16383), m)


def main():
    kind, n, seed, lo, hi, dist, qfile = sys.argv[1:8]
    n, lo, hi, dist = int(n), float(lo), float(hi), float(dist)
    rnd = random.Random(int(seed, 0))
    q = y1.load_q(qfile)
    rsig = 68
    for _ in range(n):
        a = rnd.uniform(lo, hi) * (1 if rnd.random() < 0.5 else -1)
        if not (0.5 ** 0.5 <= 1 + a < 2 ** 0.5):
            continue
        if kind == "p1":
            # t = x with a 64-bit significand
            ex = int(abs(a).hex().split("p")[1])  # |a| in [2^ex, 2^(ex + 1))
            m = (int(abs(a) * 2 ** (63 - ex)) & ~0x7FF) | rnd.getrandbits(11)
            t = (-1 if a < 0 else 1) * (m << (F + ex - 63))
            xh = enc(1 if a < 0 else 0, ex, m)
            k = 0
        else:
            kk = 0 if kind == "k0" else rnd.choice([i for i in range(-12, 13) if i])
            if a >= 0:
                m = int((1 + a) * 2**63) | rnd.getrandbits(11)
                t = (m - (1 << 63)) << (F - 63)
                xh = enc(0, kk, m)
            else:
                m = int((1 + a) * 2**64) | rnd.getrandbits(11)
                t = (m - (1 << 64)) << (F - 64)
                xh = enc(0, kk - 1, m)
            k = kk
        if t == 0:
            continue
        T, S, L1 = y1.kernel(k, t)
        r = dict(T=T, S=S, L1=L1)
        v = S + y1.remainder(r, q, rsig)
        a_ = abs(v)
        sh = a_.bit_length() - 68
        frac = (a_ & ((1 << sh) - 1)) / (1 << sh)
        if abs(frac - 0.5) < dist:
            print(xh)


if __name__ == "__main__":
    main()
