"""FPATAN round 6: direct-path cases with short ratios (at most BITS significant bits, so that
r^2 and r^3 are exact in 68 bits for BITS <= 22) aimed at the (7,7) rational's d (not the exact
d: below r = 0.3 the two differ by more than the aim), r uniform in [R0, R1).

Run: python3 tools/x87-transc/atan6_gen22.py R0 R1 N BITS DD SEED > c.in
     /tmp/x87probe < c.in > c.out    (then atan6_width.py / atan6_rsteps.py on c.in,c.out)
"""
import sys
import random
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_direct import yhex  # noqa: E402

mp.mp.prec = int(__import__("os").environ.get("PREC", "220"))  # 120 is enough below r = 0.1
HERE = __file__.rsplit("/", 1)[0]
P, Q = [[mp.mpf(v) for v in ln.split()] for ln in open(f"{HERE}/atan5_r77.txt")]


def main():
    r0, r1, n, bits, dd, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                                 int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6], 0))
    rng = random.Random(seed)
    got = 0
    while got < n:
        r = rng.uniform(r0, r1)
        e = mp.floor(mp.log(r, 2))  # r in [2^e, 2^(e+1))
        Yb = int(mp.floor(mp.ldexp(r, bits - 1 - int(e))))
        rv = mp.ldexp(Yb, int(e) - bits + 1)
        g = rv * rv
        d = rv * g * mp.polyval(P[::-1], g) / mp.polyval(Q[::-1], g)
        a = rv + d
        ge = int(mp.floor(mp.log(a, 2))) - 63  # the 64-bit grid of the result
        gp = mp.nint(mp.ldexp(a, -ge))
        m = mp.ldexp(gp, ge) - rv
        ude = int(mp.floor(mp.log(-d, 2))) - 67
        pd = float((m - d) / mp.ldexp(1, ude))
        if abs(pd) > dd:
            continue
        Y = Yb << (64 - bits)
        s = -int(e) - 1
        for fcw in ("77f", "b7f"):
            print(f"fpatan {fcw} 3fff8000000000000000 {yhex(Y, s)}")
        got += 1


if __name__ == "__main__":
    main()
