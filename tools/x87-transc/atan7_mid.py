"""FPATAN round 7: does the host's error gather where an intermediate of the committed model
(P, Q, P / Q, 1 / Q at scale 1, 68 bits) lies near a rounding midpoint (g = R68(r r), t = R68(r g) as committed)? If the host rounded that
value and the model's value were within a small part of a unit of the host's, cases whose value
lies on the grid would miss less than those at a midpoint. Miss share per fifth of the distance
|frac - 1/2| (0: at a midpoint). Use exact-g, exact-t cases.

Run: python3 tools/x87-transc/atan7_mid.py COEF in,out [in,out ...]
"""
import sys
import math
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402


def frac68(v):
    v = abs(v)
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v:
        e -= 1
    m = v / F(2) ** (e - 67)
    return float(m - math.floor(m))


def main():
    P, Q = A.read_coef(sys.argv[1])
    bins = {k: [[0, 0] for _ in range(5)] for k in ("P", "Q", "quo", "1/Q")}
    for (r, m, ude, kind) in A.load(sys.argv[2:]):
        g = A.R(r * r)  # exact for ratios of <= 34 bits
        t = A.R(r * g)  # exact for ratios of <= 22 bits
        pv, qv = A.horner_x(P, g), A.horner_x(Q, g)
        miss = not A.ok(float((t * pv / qv - m) / F(2) ** ude), kind)
        for k, v in (("P", pv), ("Q", qv), ("quo", pv / qv), ("1/Q", 1 / qv)):
            b = min(4, int(abs(frac68(v) - 0.5) * 10))
            bins[k][b][0] += 1
            bins[k][b][1] += miss
    for k, bs in bins.items():
        print(f"{k:4s} " + " ".join(f"{m / n:.3f}({n})" for n, m in bs))


if __name__ == "__main__":
    main()
