"""FPATAN round 7: fast generator of direct-path cases (x = 1, y = r) with r of BITS significant
bits, aimed at the (7,7) rational's d (as atan6_gen22.py, which samples r at random and rejects:
for BITS = 22 it returns the same few dozen ratios over and over, see README round 7).

Windows of 2^WK consecutive BITS-bit ratios (random starts in [R0, R1), or every window when
R0..R1 holds at most MAXWIN of them, "all"): d(r0 + k s) is expanded in k to order 6 (mpmath),
its position on the 64-bit grid of the result reduced mod 1 per power of k, scanned with numpy,
and each hit checked exactly; each distinct ratio is printed once (two probe lines, RD and RU).

Run: python3 tools/x87-transc/atan7_gen.py R0 R1 N BITS DD SEED [all] > c.in
     /tmp/x87probe < c.in > c.out          (then atan7_resid.py on c.in,c.out)
"""
import sys
import random
import numpy as np
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_direct import yhex  # noqa: E402

mp.mp.prec = 200
HERE = __file__.rsplit("/", 1)[0]
P, Q = [[mp.mpf(v) for v in ln.split()] for ln in open(f"{HERE}/atan5_r77.txt")]
WK = 12
ORDER = 6


def dfun(r):
    g = r * r
    return r * g * mp.polyval(P[::-1], g) / mp.polyval(Q[::-1], g)


def pd_exact(rv):
    """(m - d) / ud for the ratio rv (exact rational d), as atan6_gen22.py."""
    d = dfun(rv)
    a = rv + d
    ge = int(mp.floor(mp.log(a, 2))) - 63
    gp = mp.nint(mp.ldexp(a, -ge))
    m = mp.ldexp(gp, ge) - rv
    ude = int(mp.floor(mp.log(-d, 2))) - 67
    return float((m - d) / mp.ldexp(1, ude))


def window(k0, e, bits, dd):
    """Hits among r = (k0 + k) 2^(e - bits + 1), 0 <= k < 2^WK (all in [2^e, 2^(e+1)))."""
    s = mp.ldexp(1, e - bits + 1)
    r0 = k0 * s
    a0 = r0 + dfun(r0)
    ge = int(mp.floor(mp.log(a0, 2))) - 63
    u64 = mp.ldexp(1, ge)
    ud = mp.ldexp(1, int(mp.floor(mp.log(-dfun(r0), 2))) - 67)
    tay = mp.taylor(dfun, r0, ORDER)
    k = np.arange(1 << WK, dtype=np.float64)
    pos = np.zeros_like(k)
    for j, c in enumerate(tay):
        cj = c * s ** j / u64
        # k^j is exact in a double for j <= 3 (k < 2^12): reduce c_j mod 1 there; higher
        # terms are small enough to be summed as they are.
        fr = float(cj - mp.floor(cj)) if j <= 3 else float(cj)
        pos = np.mod(pos + np.mod(fr * k ** j, 1.0), 1.0)
    dist = np.minimum(pos, 1 - pos) * float(u64 / ud)
    out = []
    for kk in np.nonzero(dist <= dd + 0.5)[0]:
        rv = (k0 + int(kk)) * s
        if abs(pd_exact(rv)) <= dd:
            out.append(k0 + int(kk))
    return out


def main():
    r0, r1, n, bits, dd, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                                 int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6], 0))
    every = len(sys.argv) > 7 and sys.argv[7] == "all"
    rng = random.Random(seed)
    e = int(mp.floor(mp.log(r0, 2)))
    assert r1 <= 2.0 ** (e + 1), "R0 .. R1 must lie in one binade"
    sc = 2 ** (bits - 1 - e)
    klo, khi = int(r0 * sc), int(r1 * sc)
    starts = (list(range(klo, khi, 1 << WK)) if every else None)
    seen = set()
    while len(seen) < n and (starts is None or starts):
        k0 = starts.pop(0) if every else rng.randrange(klo, khi - (1 << WK))
        for kk in window(k0, e, bits, dd):
            if kk in seen or not klo <= kk < khi:
                continue
            seen.add(kk)
            Y = kk << (64 - bits)
            for fcw in ("77f", "b7f"):
                print(f"fpatan {fcw} 3fff8000000000000000 {yhex(Y, -e - 1)}", flush=True)
            if len(seen) >= n:
                break


if __name__ == "__main__":
    main()
