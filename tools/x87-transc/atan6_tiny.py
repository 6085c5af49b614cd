"""FPATAN round 6: the constant terms p0, q0 from small ratios (atan5_tiny.py cases, r < 2^-5).

Below 2^-5 g = r^2 is so small that only the last Horner steps of P and Q round visibly:
P = R(p0 + R(g A1)), Q = R(q0 + R(g B1)), with A1 = (P(g) - p0) / g and B1 from the minimax
coefficients (their own rounding is scaled down by g). P and Q are taken at a common scale s
(q0 = s), p0 on its 68-bit grid, k cells from R68(s p0_minimax) (or from R68(-s/3) with BASE
third). Prints the misses per k for each form of the last steps (atan6_fit.py's loader and
forms): nq X = R(t P) / Q, xq X = t P / Q, qt X = t R(P / Q), with g = R(r r), t = R(r g).

Run: python3 tools/x87-transc/atan6_tiny.py S KLO KHI FORMS in,out [in,out ...]
  env BASE (minimax | third), Q0K (q0 cells moved, default 0), UNF (1: R(R(g A1) + p0), default)
"""
import os
import sys
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

HERE = __file__.rsplit("/", 1)[0]


def ulp(v):
    e = abs(v).numerator.bit_length() - abs(v).denominator.bit_length()
    if F(2) ** e > abs(v):
        e -= 1
    return F(2) ** (e - 67)


def main():
    s = F(sys.argv[1])
    klo, khi = int(sys.argv[2]), int(sys.argv[3])
    forms = sys.argv[4].split(",")
    cases = A.load(sys.argv[5:])
    P, Q = A.read_coef(f"{HERE}/atan5_r77.txt")
    P, Q = [c * s for c in P], [c * s for c in Q]
    base = A.R(-s / 3) if os.environ.get("BASE", "minimax") == "third" else A.R(P[0])
    q0 = A.R(Q[0]) + int(os.environ.get("Q0K", "0")) * ulp(Q[0])
    pre = []
    for c in cases:
        r = c[0]
        g = A.R(r * r)
        t = A.R(r * g)
        a1 = A.horner_x(P[1:], g)
        b1 = A.horner_x(Q[1:], g)
        qq = A.R(q0 + A.R(g * b1))
        pre.append((c, g, t, A.R(g * a1), qq))
    for form in forms:
        res = []
        for k in range(klo, khi + 1):
            p0 = base + k * ulp(base)
            bad = 0
            for c, g, t, ga, qq in pre:
                p = A.R(p0 + ga)
                if form == "nq":
                    X = A.R(t * p) / qq
                elif form == "xq":
                    X = t * p / qq
                else:
                    X = t * A.R(p / qq)
                bad += not A.ok(float((X - c[1]) / F(2) ** c[2]), c[3])
            res.append((bad, k))
            print(f"s {s} {form} k {k:+d}: {bad} of {len(pre)}", flush=True)
        print(f"best {form}: {sorted(res)[:3]}", flush=True)


if __name__ == "__main__":
    main()
