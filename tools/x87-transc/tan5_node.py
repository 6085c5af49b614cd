"""FPTAN round 5: pattern search over one polynomial (P or Q) in node
coordinates, counting exact misses of the host's 68-bit cells (targets as
in tan5_cellfit.py). The free coefficients (c2 .. c5; c5 adds a g^5 term)
are parametrized by how much the polynomial moves at the nodes g_i (units
of 2^-67), which keeps the search well conditioned; cases are a random
sample (NS) of those with |t| >= TLO. Found the g^5 residual of README
"FPTAN: structure above 2^-1 (round 5)", item 5 (not adopted).

Run: python3 tools/x87-transc/tan5_node.py P|Q START.txt EVALS 2,3,4,5 0.1,0.25,0.4,0.6 in.txt,out.txt ... > new.txt
  env REF (reference set for the targets, default START), TLO (0.125), NS (80000), STEP (0.125),
  SPEC (a tan5_stepvar.py rounding spec for the fitted polynomial, e.g. ee,ee,te,ee: refit under
  that variant)
"""
import sys, os, json, random
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_cellfit as C
import tan5_lib as L5
from node_search import pattern_search


def main():
    which, start, evals = sys.argv[1], sys.argv[2], int(sys.argv[3])
    free = [int(v) for v in sys.argv[4].split(",")]
    nodes = [float(v) for v in sys.argv[5].split(",")]
    P, Q = L5.read_coef(start)
    ref = L5.read_coef(os.environ.get("REF", start))
    tg = C.targets(which, L5.load(sys.argv[6:]), ref)
    random.seed(2)
    tg = [x for x in tg if x[0] >= float(os.environ.get("TLO", "0.125"))]
    tg = random.sample(tg, min(len(tg), int(os.environ.get("NS", "80000"))))
    cs0 = P if which == "P" else Q
    if os.environ.get("SPEC"):
        import tan5_stepvar as SV

        spec = SV.parse(os.environ["SPEC"])
        C.misses = lambda cs, tg: sum(1 for _, g, want in tg if SV.ev(cs, g, spec) != want)
    minv = np.linalg.inv(np.array([[g**k for k in free] for g in nodes]))

    def mk(x):
        cs = list(cs0)
        for k, u in zip(free, minv @ np.array(x)):
            m, e = cs[k] if k < len(cs) else (0, -130)
            v = L5.rsig_s(int(F(m) * 2**24 + F(float(u)) * F(2) ** (-67 - e + 24)), e - 24, 68)
            while len(cs) <= k:
                cs.append((0, -130))
            cs[k] = v
        return cs

    best = C.misses(mk([0.0] * len(free)), tg)
    print("start", best, len(tg), file=sys.stderr, flush=True)
    step0 = float(os.environ.get("STEP", "0.125"))
    x, best = pattern_search(lambda y: C.misses(mk(y), tg), len(free), step0, evals, 1e-3, best=best)
    cs = mk(x)
    out = (cs, Q) if which == "P" else (P, cs)
    print(json.dumps(out[0]))
    print(json.dumps(out[1]))


if __name__ == "__main__":
    main()
