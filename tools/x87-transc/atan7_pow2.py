"""FPATAN round 7: the designs of atan7_scale.py at the scales s that make one coefficient of P
or Q a power of two (as FPTAN's q4 = 2^-19), with p0's and q0's 68-bit cells moved by k, j
units (the host's constant terms are known only to about a unit), on exact-g, exact-t cases.

Run: python3 tools/x87-transc/atan7_pow2.py COEF K J in,out [in,out ...]
"""
import sys
import math
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

R = A.R


def ulp68(v):
    e = abs(v).numerator.bit_length() - abs(v).denominator.bit_length()
    if F(2) ** e > abs(v):
        e -= 1
    return F(2) ** (e - 67)


def main():
    P, Q = A.read_coef(sys.argv[1])
    K, J = int(sys.argv[2]), int(sys.argv[3])
    cases = A.load(sys.argv[4:])
    pre = []
    for (r, m, ude, kind) in cases:
        g = r * r
        pv, qv = A.horner_x(P, g), A.horner_x(Q, g)
        pre.append((r * g, pv, qv, m, F(2) ** ude, kind))
    print(f"exact: {sum(not A.ok(float((t * pv / qv - m) / ud), kind) for t, pv, qv, m, ud, kind in pre)} of {len(pre)}")
    scales = {}
    for name, cs in (("p", P), ("q", Q)):
        for i, c in enumerate(cs):
            if c == 0:
                continue
            e = math.floor(math.log2(abs(float(c))))
            s = F(2) ** (e + 1) / abs(c)  # in (1, 2]
            if s == 2:
                s = F(1)
            scales[f"{name}{i}"] = s
    best = []
    for nm, s in scales.items():
        for k in range(-K, K + 1):
            for j in range(-J, J + 1):
                p0 = R(s * P[0]) + k * ulp68(s * P[0])
                q0 = R(s * Q[0]) + j * ulp68(s * Q[0])
                cnt = dict.fromkeys(("P", "Q", "PQ", "PQN", "quo"), 0)
                for t, pv, qv, m, ud, kind in pre:
                    ps = R(p0 + s * (pv - P[0]))
                    qs = R(q0 + s * (qv - Q[0]))
                    pe = p0 + s * (pv - P[0])
                    qe = q0 + s * (qv - Q[0])
                    xs = {"P": t * ps / qe, "Q": t * pe / qs, "PQ": t * ps / qs,
                          "PQN": R(t * ps) / qs, "quo": t * R(ps / qs)}
                    for key, X in xs.items():
                        cnt[key] += not A.ok(float((X - m) / ud), kind)
                line = f"{nm} s={float(s):.9f} k={k:+d} j={j:+d} " + " ".join(
                    f"{a}:{b}" for a, b in cnt.items())
                print(line, flush=True)
                best.append((min(cnt.values()), line))
    best.sort()
    print("best:", *[b[1] for b in best[:5]], sep="\n")


if __name__ == "__main__":
    main()
