"""FPATAN round 6: fully specified step hypotheses on small-ratio windows (atan5_tiny.py cases).

Base: g = R(r r), t = R(r g), d = t P(g) / Q(g) rounded once (the round-5 finding; g and t
each lower the misses here, see README). Each hypothesis adds 68-bit roundings with the
coefficients of a given design (COEF files: atan5_r77.txt = (7,7), a (6,8) file from
atan5_remez.py 6 8) at scale s (q0 = s, p0 rounded to its 68-bit cell), and is counted per
window with the window's best offset (units of d; the drift of the host's curve is thus free).

Steps: P = R(s p0 + R(g A1)) (last Horner sum, inner part exact), Q = R(s + R(g B1)),
N = R(t P), quo = R(P / Q), full = unfused 68-bit Horner for P and Q.

Run: python3 tools/x87-transc/atan6_steps.py COEF S STEPSETS in,out [in,out ...]
  STEPSETS e.g. '/P/Q/P+Q/P+Q+N/quo/full+N' ('' = the base)
"""
import sys
import collections
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402


def value(r, P, Q, steps):
    R = A.R
    g = R(r * r)
    t = R(r * g)
    if "full" in steps:
        p, q = A.horner_u(P, g), A.horner_u(Q, g)
    else:
        a1, b1 = A.horner_x(P[1:], g), A.horner_x(Q[1:], g)
        p = R(P[0] + R(g * a1)) if "P" in steps else P[0] + g * a1
        q = R(Q[0] + R(g * b1)) if "Q" in steps else Q[0] + g * b1
    n = R(t * p) if "N" in steps else t * p
    return n * R(p / q) / p if "quo" in steps else n / q


def main():
    P, Q = A.read_coef(sys.argv[1])
    s = F(sys.argv[2])
    P = [A.R(c * s) for c in P]
    Q = [A.R(c * s) for c in Q]
    per = collections.OrderedDict()
    for c in A.load(sys.argv[4:]):
        per.setdefault(round(float(c[0]), 3), []).append(c)
    offs = np.arange(-2.5, 1.0, 0.05)
    for st in sys.argv[3].split("/"):
        steps = set(x for x in st.split("+") if x)
        tot = n = 0
        for win in per.values():
            xs = np.array([float((value(r, P, Q, steps) - m) / F(2) ** ude) for r, m, ude, _ in win])
            kinds = [k for *_, k in win]
            tot += min(sum(not A.ok(x + c, k) for x, k in zip(xs, kinds)) for c in offs)
            n += len(win)
        print(f"{sys.argv[1].rsplit('/', 1)[-1]} s {s} {st or '(base)':12s} {tot} of {n}", flush=True)


if __name__ == "__main__":
    main()
