"""F2XM1 study: Horner steps whose product acc * g is truncated (toward -inf) on a
fixed grid of 2^-K below the step result's 68-bit unit before the sum is rounded.

Usage: python3 f2xm1_trunc.py COEFS K[,K...] raw-files...   (K = 0: the fused model)
Prints, per K, the cases that differ (fused vs truncated-product steps).
Needs Python 3 only.
"""
import sys
from f2xm1_model import r, mul, add, loadraw, same, div_round64, model_from


def step(acc, g, c, k):
    p = mul(acc, g)
    if k:
        # c's unit at 68 bits, then k bits below it
        cm, ce = c
        grid = ce + cm.bit_length() - 68 - k
        if p[1] < grid:
            sh = grid - p[1]
            p = (p[0] >> sh, grid)  # floor
    return r(*add(p, c))


def wrong(m, x, res, k):
    g = mul(x, x)
    def horner(C):
        acc = C[-1]
        for c in reversed(C[:-1]):
            acc = step(acc, g, c, k)
        return acc
    P = horner(m.P); Q = horner(m.Q)
    N = r(*mul(x, P)); D = r(*add(Q, (-N[0], N[1] - 1)))
    return any(not same(div_round64(N, D, mo), rv) for mo, rv in zip("dun", res))


if __name__ == "__main__":
    m = model_from(sys.argv[1])
    ks = [int(v) for v in sys.argv[2].split(",")]
    data = [c for fn in sys.argv[3:] for c in loadraw(fn)]
    for k in ks:
        print(f"K={k}: {sum(wrong(m, x, res, k) for x, res in data)} of {len(data)} differ", flush=True)
