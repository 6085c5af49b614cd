"""Cell-boundary FPTAN cases like tan_target.py, found by aiming rather than by
rejection: for a random t the unrounded last Horner step S of D (or P) moves
almost linearly with t's last bits, so the ulp offset k that puts S at a
68-bit rounding midpoint is solved for, and t + k ulps is kept when a
rounding control makes that one cell decide the 64-bit result.

Run: python3 tools/x87-transc/tan_target_fast.py COEF.txt N SEED LO HI [W] > in.txt
"""
import sys, json, random
from fractions import Fraction

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import last_step, cellpos
from tan_target import rounded


def val(s):
    return Fraction(s[0]) * Fraction(2) ** s[1]


if __name__ == "__main__":
    L = open(sys.argv[1]).read().split("\n")
    P = [tuple(c) for c in json.loads(L[0])]
    Q = [tuple(c) for c in json.loads(L[1])]
    n, seed, lo, hi = int(sys.argv[2]), int(sys.argv[3], 0), float(sys.argv[4]), float(sys.argv[5])
    W = float(sys.argv[6]) if len(sys.argv) > 6 else 1e-4
    rng = random.Random(seed)
    got = 0
    FCW = {0: 0x37F, 1: 0x77F, 2: 0xB7F}
    while got < n:
        lt = rng.uniform(lo, hi)
        e = int(lt // 1)
        m = rng.getrandbits(63) | (1 << 63)
        which = rng.getrandbits(1)  # 0: aim at D, 1: at P
        cs = P if which else Q
        S0 = last_step(cs, mul((m, e - 63), (m, e - 63)))
        S1 = last_step(cs, mul((m + 4096, e - 63), (m + 4096, e - 63)))
        _, r0, ce = cellpos(S0)
        slope = (val(S1) - val(S0)) / 4096 / Fraction(2) ** ce  # cells per ulp
        if slope == 0:
            continue
        tgt = Fraction(1, 2) if r0 >= 0 else Fraction(-1, 2)
        k = round((tgt - Fraction(r0)) / slope)
        m2 = m + k
        if not (1 << 63) <= m2 < (1 << 64):
            continue
        ta = (m2, e - 63)
        g = mul(ta, ta)
        sp, sd = last_step(P, g), last_step(Q, g)
        p, rp, cp = cellpos(sp)
        d, rd, cd = cellpos(sd)
        alt = None
        if 0.5 - abs(rp) < W:
            alt = (add(p, (1 if rp > 0 else -1, cp)), d)
        elif 0.5 - abs(rd) < W:
            alt = (p, add(d, (1 if rd > 0 else -1, cd)))
        if alt is None:
            continue
        n0 = round_sig(*mul(ta, p))
        n1 = round_sig(*mul(ta, alt[0]))
        for rc in (0, 1, 2):
            if rounded(n0, d, rc) != rounded(n1, alt[1], rc):
                s = rng.getrandbits(1)
                f = FCW[rc] if not s or rc == 0 else FCW[3 - rc]
                print(f"fptan {f:x} {(e + 16383) | (s << 15):04x}{m2:016x}")
                got += 1
                break
