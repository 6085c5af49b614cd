"""FPTAN round 5: does a g^5 term help P or Q? Adds c5 g^5 (c5 = v 2^-67)
to one polynomial of a set, minus its least-squares projection on g^2, g^3,
g^4 over g in [1/16, 0.617] (so the curve keeps its lower-order shape), and
counts the exact misses of the whole model on probe transcripts.

Run: python3 tools/x87-transc/tan5_c5scan.py P|Q COEF.txt -8,-3,0,3,8 in.txt,out.txt ...
"""
import sys
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5


def with_c5(cs, v):
    gs = np.linspace(0.0625, 0.617, 200)
    proj = np.linalg.lstsq(np.vstack([gs**2, gs**3, gs**4]).T, gs**5, rcond=None)[0]
    c5 = F(v) * F(2) ** -67
    cs = list(cs)
    for k, a in zip((2, 3, 4), proj):
        m, e = cs[k]
        cs[k] = L5.rsig_s(int(F(m) * 2**20 - c5 * F(float(a)) * F(2) ** (-e + 20)), e - 20, 68)
    if v:
        cs.append(L5.rsig_s(int(c5 * F(2) ** 120), -120, 68))
    return cs


if __name__ == "__main__":
    which = sys.argv[1]
    P, Q = L5.read_coef(sys.argv[2])
    cases = L5.load(sys.argv[4:])
    for v in (float(x) for x in sys.argv[3].split(",")):
        PP, QQ = (with_c5(P, v), Q) if which == "P" else (P, with_c5(Q, v))
        n = sum(1 for fcw, t, r in cases if not L5.matches((PP, QQ), fcw, t, r))
        print(which, v, n, len(cases), flush=True)
