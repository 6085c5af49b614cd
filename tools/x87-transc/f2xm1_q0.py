"""F2XM1 study: Q(0) from tiny arguments, given P(0) (README, "F2XM1 model").

With the tiny-argument model result = R68(x P0) * B (B = 1/Q0), every recorded case
(`f2xm1_tiny rand` output: RD, RU, RN results against the exact x ln2) bounds B: the
exact value N B must lie in the cell that reproduces the three results. The bounds
of all cases are intersected; the interval holds a single 68-bit Q0.

Usage: /tmp/f2xm1_tiny rand 3 2000000 1 2 > /tmp/tiny.txt
       python3 f2xm1_q0.py /tmp/tiny.txt [N]     (N informative cases, default 100000)
Needs Python 3 only.
"""
import sys
from fractions import Fraction as Fr

P0 = Fr(272006448751145499096, 2**67)
SH = 256
# ln2 * 2^256, truncated
LN2 = 0xb17217f7d1cf79abc9e3b39803f2f6af40f343267298b62d8a0d175b8baafa2b


def r68(v):
    d = v.bit_length() - 68
    if d <= 0:
        return v
    q, rem = v >> d, v & ((1 << d) - 1)
    h = 1 << (d - 1)
    if rem > h or (rem == h and q & 1):
        q += 1
    return q << d


def main():
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    lo = hi = None
    used = 0
    for line in open(sys.argv[1]):
        a = line.split()
        m, g, f = int(a[0], 16), int(a[1], 16), float(a[2])
        if min(f, 1 - f, abs(f - 0.5)) > 0.07:
            continue  # far from every rounding boundary: no information
        rd, ru, rn = (g + int(v) for v in a[3:6])
        mK = m * P0.numerator  # m P0 * 2^67
        N = r68(mK)
        E = m * LN2  # m ln2 * 2^SH
        if (E >> SH) < (1 << 63):
            E *= 2  # result one binade lower: the grid is 2 m ln2
        # beta = P0 B / ln2; hardware value (in result units) = E 2^-SH * (N / mK) * beta
        base = Fr(E, 1 << SH) * Fr(N, mK)
        a_, b_ = Fr(rd) / base, Fr(ru) / base
        if rd != ru:
            mid = (Fr(rd) + Fr(1, 2)) / base
            if rn == rd:
                b_ = min(b_, mid)
            else:
                a_ = max(a_, mid)
        lo = a_ if lo is None else max(lo, a_)
        hi = b_ if hi is None else min(hi, b_)
        used += 1
        if used >= n:
            break
    print(f"{used} cases: P0 B / ln2 - 1 in [{float((lo - 1) * 2**64):.7f}, "
          f"{float((hi - 1) * 2**64):.7f}] * 2^-64" + ("" if lo <= hi else "  EMPTY"))
    # Q0 = P0 / (beta ln2) in units of 2^-66
    ln2 = Fr(LN2, 1 << SH)
    q_hi, q_lo = P0 / (lo * ln2) * 2**66, P0 / (hi * ln2) * 2**66
    print(f"Q0 * 2^66 in {int(q_lo)} + {float(q_lo - int(q_lo)):.5f} .. "
          f"{int(q_hi)} + {float(q_hi - int(q_hi)):.5f}")


if __name__ == "__main__":
    main()
