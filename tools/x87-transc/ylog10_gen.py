"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the components' frequencies
(round 10, ylog10)"): windows of consecutive FYL2XP1 operands of either sign.

As `ylog9_period.py genp1` (every t of 2^LOG2W consecutive 64-bit values from
LO on whose L is decided by R's last unit, the host's choice between R's two
68-bit neighbours from 3 probe lines), but LO may be negative: then t runs
from LO towards -infinity (the significand grows), x = t is negative, L and R
are negative, and "R_hi" is the neighbour of larger value (smaller
magnitude), so the output keeps the meaning of `ylog9_period.py` (host 1 =
R_hi, f = the model's position of h P between R_lo and R_hi, both taken as
signed values).

  python3 tools/x87-transc/ylog10_gen.py LO LOG2W SEED [M0] > cases.txt

M0 (hex): the first significand, instead of the one of LO (LO then only gives
the sign and the exponent); for windows at exact offsets from another one.

Output lines "m f host 0" (m: t's 64-bit significand in hex), readable by
ylog9_period.py fft / ylog10_track.py with @E, E = floor(log2 |LO|).
"""
import sys

import numpy as np

import ylog9_lib as L
import ylog9_period

F, r68 = L.F, L.r68
y1 = L.y1


def chain_signed(m, e, neg, q):
    """FYL2XP1 of x = -+m 2^(e - 63): the REM_ONE chain (k = 0) and the
    decision data, as ylog9_lib.chain_p1."""
    t = m << (F + e - 63)
    if neg:
        t = -t
    T, S, L1 = y1.kernel(0, t)
    g = r68(T * T >> F)
    h = r68(L1 * g >> F)
    Pg = y1.qpoly(g, q)
    hp = h * Pg >> F
    sh = abs(hp).bit_length() - 68
    lo = hp >> sh << sh  # floor: the neighbour of smaller value
    rl, rh = lo, lo + (1 << sh)
    ex = (0x8000 if neg else 0) | (16383 + e)
    return dict(m=m, k=0, op="fyl2xp1", xh=L.xhex(m, ex), t=t, S=S, T=T, L1=L1, g=g, h=h, Pg=Pg, hp=hp,
                sh=sh, rl=rl, rh=rh, f=(hp - lo) / (1 << sh), Llo=r68(S + rl), Lhi=r68(S + rh), L=r68(S + r68(hp)))


def main():
    lo = float(sys.argv[1])
    log2w = int(sys.argv[2])
    seed = int(sys.argv[3], 0)
    q = L.load_q()
    neg = lo < 0
    e = int(np.floor(np.log2(abs(lo))))
    m0 = int(sys.argv[4], 16) if len(sys.argv) > 4 else int(abs(lo) * 2.0 ** (63 - e))
    cs = []
    for n in range(1 << log2w):
        c = chain_signed(m0 + n, e, neg, q)
        if c["Llo"] != c["Lhi"]:
            cs.append(c)
        if len(cs) >= 4000:
            flush(cs, seed + n)
            cs = []
    flush(cs, seed + 7)


def flush(cs, seed):
    ylog9_period.flush(cs, seed)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
