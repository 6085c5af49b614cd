"""FPTAN inputs that decide single 68-bit cells of P or D.

Draws random t (|t| in [2^LO, 2^HI), both signs, no reduction), keeps
those where a coefficient set puts the unrounded last Horner step of P or
D within W cells of a rounding midpoint, and picks a rounding control
under which moving that P or D by one cell changes the 64-bit result
(a P or D cell moves the quotient by about 0.09 of a unit, so about a
quarter of such t have one). The host's result then tells which cell it
used, the constraint tan_cells.py needs at the scale of A1's grid.

Run: python3 tools/x87-transc/tan_target.py COEF.txt N SEED LO HI [W] > in.txt
"""
import sys, json, random

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import last_step, cellpos


def rounded(n, d, rc):
    """N/D (both > 0) rounded to 64 bits with rc 0 nearest / 1 down / 2 up: (m, e)."""
    a, b = n[0], d[0]
    e = n[1] - d[1]
    sh = 140 - (a.bit_length() - b.bit_length())
    q, r = divmod(a << sh, b)
    e -= sh
    drop = q.bit_length() - 64
    m = q >> drop
    rem = q - (m << drop)
    sticky = rem != 0 or r != 0
    half = 1 << (drop - 1)
    if rc == 0:
        up = rem > half or (rem == half and (r != 0 or m & 1))
    elif rc == 2:
        up = sticky
    else:
        up = False
    return (m + up, e + drop)


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
        ta = (m, e - 63)
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
                # a negative t flips down and up
                f = FCW[rc] if not s or rc == 0 else FCW[3 - rc]
                print(f"fptan {f:x} {(e + 16383) | (s << 15):04x}{m:016x}")
                got += 1
                break
