"""FPATAN round 7: scan a common scale s of P and Q (q0 = s) for 68-bit roundings of the LAST
steps of P / Q, on direct-path cases whose g = r^2 and t = r^3 are exact (ratios of <= 22 bits,
atan7_gen.py ... 22 ... all), so that nothing but the P / Q evaluation can scatter d.

Designs (X = the host's d before its 68-bit rounding; P, Q from COEF, exact inner sums):
  P   X = t R(s p0 + g s A1) / (s Q)        (P's last sum rounded)
  Q   X = t s P / R(s q0 + g s B1)          (Q's last sum rounded)
  PQ  both;  PQN  both and N = R(t Ps), X = N / Qs;  quo  X = t R(Ps / Qs) (both sums rounded)
Prints, per s, the misses of each design (the exact evaluation is s-independent: printed first).

Run: python3 tools/x87-transc/atan7_scale.py COEF NSTEPS in,out [in,out ...]
"""
import sys
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

R = A.R


def main():
    P, Q = A.read_coef(sys.argv[1])
    nst = int(sys.argv[2])
    cases = A.load(sys.argv[3:])
    pre = []
    for (r, m, ude, kind) in cases:
        g = r * r
        t = r * g
        pv, qv = A.horner_x(P, g), A.horner_x(Q, g)
        pre.append((t, g, pv, qv, m, F(2) ** ude, kind))
    ex = sum(not A.ok(float((t * pv / qv - m) / ud), kind) for t, g, pv, qv, m, ud, kind in pre)
    print(f"exact: {ex} of {len(pre)}", flush=True)
    for i in range(nst):
        s = 1 + F(i, nst)
        cnt = dict.fromkeys(("P", "Q", "PQ", "PQN", "quo"), 0)
        p0, q0 = R(s * P[0]), R(s * Q[0])
        for t, g, pv, qv, m, ud, kind in pre:
            ps = R(p0 + s * (pv - P[0]))
            qs = R(q0 + s * (qv - Q[0]))
            xs = {"P": t * ps / (s * qv), "Q": t * s * pv / qs, "PQ": t * ps / qs,
                  "PQN": R(t * ps) / qs, "quo": t * R(ps / qs)}
            for k, X in xs.items():
                cnt[k] += not A.ok(float((X - m) / ud), kind)
        print(f"s={float(s):.6f} " + " ".join(f"{k}:{v}" for k, v in cnt.items()), flush=True)


if __name__ == "__main__":
    main()
