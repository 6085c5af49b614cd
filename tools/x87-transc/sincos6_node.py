"""FSIN / FCOS round 6: pattern search over S's or C's coefficients in node
coordinates, counting exact result mismatches (RN/RD/RU lines, C1
included) of the recorded cases whose result comes from that polynomial.

The free coefficients (FREE, indices into S or C: c1 is the g coefficient)
are parametrized by how much the polynomial moves at the nodes g_i (units of
2^-70, about one cell of S(g) and half a cell of C(g)); each trial point is
rounded back to 68-bit coefficients. Same idea as tan5_node.py (FPTAN).

Run: python3 tools/x87-transc/sincos6_node.py sin|cos START EVALS 1,2,3 0.1,0.35,0.6 FILE ... > new.txt
  START: `base` (cpu/fpu/transc_amd_sincos.ts) or a sincos6 coefficient file.
  FILEs: probe data (in.txt,out.txt pairs or joined lines); env TMIN (0.25), STEP (0.05),
  VAR (a sincos6_var.py variant to refit under), NS (max cases, random sample, default all)
Prints the new coefficient file (S and C lines) on stdout, progress on stderr.
"""
import os, random, sys
from fractions import Fraction as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L
from node_search import pattern_search
import numpy as np


def main():
    kind, start, evals = sys.argv[1], sys.argv[2], int(sys.argv[3])
    free = [int(v) for v in sys.argv[4].split(",")]
    nodes = [float(v) for v in sys.argv[5].split(",")]
    s0, c0 = (L.SIN, L.COS) if start == "base" else L.read_coef(start)
    var = None
    if os.environ.get("VAR"):
        import sincos6_var as V
        var = V.VARIANTS[os.environ["VAR"]]
    cases = [k for k in L.load(sys.argv[6:], float(os.environ.get("TMIN", "0.25")))
             if L.kind_of(k[2], k[0]) == kind]
    if os.environ.get("NS"):
        random.seed(6)
        cases = random.sample(cases, min(len(cases), int(os.environ["NS"])))
    base = s0 if kind == "sin" else c0
    minv = np.linalg.inv(np.array([[g**k for k in free] for g in nodes]))

    def mk(x):
        cs = list(base)
        for k, u in zip(free, minv @ np.array(x)):
            m, e = cs[k]
            v = F(m) * F(2) ** e + F(float(u)) * F(2) ** -70
            sh = 40 - e
            cs[k] = L.rnd(int(v * F(2) ** sh), -sh, 68)
        return cs

    def cost(x):
        cs = mk(x)
        return L.misses(cases, cs, c0, var) if kind == "sin" else L.misses(cases, s0, cs, var)

    best = cost([0.0] * len(free))
    print("start", best, "of", len(cases), file=sys.stderr, flush=True)
    step0 = float(os.environ.get("STEP", "0.05"))
    x, best = pattern_search(cost, len(free), step0, evals, 1e-4, digits=5, best=best)
    cs = mk(x)
    print("# node search", kind, "from", start, "free", free, "nodes", nodes, "x", x, "misses", best)
    print(L.write_coef(cs, c0) if kind == "sin" else L.write_coef(s0, cs), end="")


if __name__ == "__main__":
    main()
