"""FPATAN round 8: which ratio feeds g and t? r = R68(y / x) is what r + d adds (round 7), but with
68-bit ratios (x != 1) tiny-r cases scatter about twice as often as with 64-bit ones (x = 1;
atan8_tiny.py). Here g = R68(r'^2), t = R68(r' g) and d = R68(t P(g) / Q(g)) (exact P / Q,
committed coefficients) are formed from variants r' of the ratio, the sum still r + d; misses
per variant, at the best relative offset c of d (units of 2^-68) and at c = 0.

Variants: r68 (the committed model), exact (y / x itself), t68 (truncated), r64 / r66 / r70 /
r72 / r76 (nearest at that width), t64 / t70 (truncated), rx (the exact ratio for t only), and products
with one factor at r's top 64 bits (r64t truncated, r64n nearest); tmC: both products from a
68 x 68 multiplier that drops the partial-product bits below column C, then R68.
env VARS: comma list of the variants to run (default all).

Run: python3 tools/x87-transc/atan8_rvar.py in,out [in,out ...]      (atan8_tiny.py sets)
"""
import os
import sys
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402
from atan5_lib import f80  # noqa: E402


def trunc(v, bits):
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v:
        e -= 1
    sc = F(2) ** (bits - 1 - e)
    w = v * sc
    return F(w.numerator // w.denominator) / sc


def sig68(v):
    """(significand in [2^67, 2^68), exponent) of a positive 68-bit Fraction."""
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v:
        e -= 1
    m = v / F(2) ** (e - 67)
    assert m.denominator == 1
    return m.numerator, e - 67


def tmul(a, b, col):
    """a b (68-bit Fractions) from a multiplier that drops every partial-product bit below
    column col of the 136-bit product of the significands, then rounded to 68 bits."""
    (A_, ea), (B_, eb) = sig68(a), sig68(b)
    acc = 0
    for i in range(68):
        if (A_ >> i) & 1:
            k = max(0, col - i)
            acc += ((B_ >> k) << k) << i
    return A.R(F(acc) * F(2) ** (ea + eb))


def ratios(pairs):
    qs = []
    for pr in pairs:
        fi, _ = pr.split(",")
        lines = open(fi).read().split("\n")
        for i in range(0, len(lines) - 1, 2):
            _, xe, XS = f80(lines[i].split()[2])
            _, ye, YS = f80(lines[i].split()[3])
            qs.append(F(YS) * F(2) ** ye / (F(XS) * F(2) ** xe))
    return qs


VAR = {
    "r68": lambda q, r: (r, r),
    "exact": lambda q, r: (q, q),
    "t68": lambda q, r: (trunc(q, 68),) * 2,
    "r64": lambda q, r: (A.R(q, 64),) * 2, "r66": lambda q, r: (A.R(q, 66),) * 2,
    "r70": lambda q, r: (A.R(q, 70),) * 2, "r72": lambda q, r: (A.R(q, 72),) * 2,
    "r76": lambda q, r: (A.R(q, 76),) * 2,
    "t64": lambda q, r: (trunc(q, 64),) * 2, "t70": lambda q, r: (trunc(q, 70),) * 2,
    "rx": lambda q, r: (r, q),
    # one factor of a product taken at 64 bits (r's top 64 bits, truncated / rounded)
    "g=r*r,t=r64t*g": lambda q, r: (r, r, trunc(r, 64)),
    "g=r64t*r64t,t=r*g": lambda q, r: (trunc(r, 64), trunc(r, 64), r),
    "g=r*r64t,t=r*g": lambda q, r: (r, trunc(r, 64), r),
    "g=r*r64t,t=r64t*g": lambda q, r: (r, trunc(r, 64), trunc(r, 64)),
    "g=r64t*r64t,t=r64t*g": lambda q, r: (trunc(r, 64), trunc(r, 64), trunc(r, 64)),
    "g=r*r,t=r64n*g": lambda q, r: (r, r, A.R(r, 64)),
    "g=r*r64n,t=r*g": lambda q, r: (r, A.R(r, 64), r),
    "g=r64n*r64n,t=r*g": lambda q, r: (A.R(r, 64), A.R(r, 64), r),
}
for _c in (48, 56, 60, 62, 63, 64, 65, 66, 67):
    VAR[f"tm{_c}"] = (lambda c: lambda q, r: ("tm", c))(_c)


def main():
    pairs = sys.argv[1:]
    cases = T.load(pairs)
    qs = ratios(pairs)
    assert len(qs) == len(cases), "a case was dropped by the loader"
    P, Q = T.PF, T.QF
    cs = np.arange(-3, 3.001, 0.02)
    want = os.environ.get("VARS")
    for nm, fn in VAR.items():
        if want and nm not in want.split(","):
            continue
        x0, K, kind = [], [], []
        for (r, m, ude, k), q in zip(cases, qs):
            v = fn(q, r)
            if v[0] == "tm":  # truncated multiplier for both products
                g = tmul(r, r, v[1])
                t = tmul(r, g, v[1])
            elif len(v) == 2:
                rg, rt = v
                g = A.R(rg * rg)
                t = A.R(rt * g)
            else:  # (g1, g2, tr): g = R68(g1 g2), t = R68(tr g)
                g = A.R(v[0] * v[1])
                t = A.R(v[2] * g)
            X = t * A.horner_x(P, g) / A.horner_x(Q, g)
            ud = F(2) ** ude
            x0.append(float((X - m) / ud))
            K.append(float(X / ud) * 2.0 ** -68)
            kind.append({"lt": -1, "eq": 0, "gt": 1}[k])
        x0, K, kind = (np.array(v) for v in (x0, K, kind))
        x = x0[None, :] + cs[:, None] * K[None, :]
        bad = np.where(kind < 0, x >= -0.5, np.where(kind > 0, x <= 0.5, np.abs(x) > 0.5))
        mc = bad.sum(axis=1)
        i0 = int(np.argmin(np.abs(cs)))
        ib = int(np.argmin(mc))
        print(f"{nm}: c = 0 {mc[i0]}, best c = {cs[ib]:+.2f} {mc[ib]} of {len(cases)}", flush=True)


if __name__ == "__main__":
    main()
