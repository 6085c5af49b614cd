"""FPATAN round 7: quotient forms of d on exact-g, exact-t cases (ratios of <= 22 bits from
atan7_gen.py), P and Q from COEF evaluated exactly, misses (no offsets, no windows) per form:
  exact   X = t P / Q                          (the committed model)
  y       X = t P R(1/Q)                       (reciprocal rounded to nearest at 68 bits)
  yt      X = t P T(1/Q)                       (reciprocal truncated: a faithful one from below)
  Py      X = t R(P R(1/Q))                    (quotient as P times the rounded reciprocal)
  Ny      X = R(t P) R(1/Q)
  nr      X = t (q0 + R(P - Q q0) y), q0 = R(P y), y = R(1/Q) (one Newton-Raphson correction,
          residual formed exactly, correction product rounded)
  Pq / Qq X = t R(P) / Q,  t P / R(Q)          (P or Q itself rounded; no scale)
Run: python3 tools/x87-transc/atan7_forms.py COEF in,out [in,out ...]
"""
import sys
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

R = A.R


def T(v):
    """v > 0 truncated to 68 significant bits."""
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v:
        e -= 1
    sc = F(2) ** (67 - e)
    m = v * sc
    return F(m.numerator // m.denominator) / sc


def forms(t, pv, qv):
    y = R(1 / qv)
    q0 = R(pv * y)
    return {"exact": t * pv / qv, "y": t * pv * y, "yt": t * pv * T(1 / qv),
            "Py": t * q0, "Ny": R(t * pv) * y,
            "nr": t * (q0 + R((pv - qv * q0) * y)), "Pq": t * R(pv) / qv, "Qq": t * pv / R(qv)}


def main():
    P, Q = A.read_coef(sys.argv[1])
    cases = A.load(sys.argv[2:])
    cnt = {}
    for (r, m, ude, kind) in cases:
        g = r * r
        for k, X in forms(r * g, A.horner_x(P, g), A.horner_x(Q, g)).items():
            cnt[k] = cnt.get(k, 0) + (not A.ok(float((X - m) / F(2) ** ude), kind))
    print(f"{len(cases)} cases: " + " ".join(f"{k}:{v}" for k, v in cnt.items()))


if __name__ == "__main__":
    main()
