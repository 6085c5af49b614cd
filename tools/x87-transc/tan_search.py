"""Best-fit search for FPTAN's coefficients where the linear programs do not
converge (|t| above 2^-2): a pattern search over the moves of p2 .. p4, q2,
q3 (the variables and units of tan_bestfit.py: x moves the last Horner step
by x (g / 2^-1)^k cells of 2^-67), minimizing the number of near-boundary
cases the model of cpu/fpu/transc_amd.ts gets wrong, counted exactly.
Cases below 2^PROTECT count WP times.

Run: python3 tools/x87-transc/tan_search.py COEF.txt EVALS in.txt,out.txt ... > new.txt
  environment: PROTECT (default -2), WP (default 20), FREE as tan_bestfit.py,
  STEP (initial step, default 1), TMIN (skip cases below 2^TMIN, default -3)
"""
import sys, os, math, json

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan_bestfit as b
from tan_fit import load

PROTECT = float(os.environ.get("PROTECT", "-2"))
WP = int(os.environ.get("WP", "20"))
TMIN = float(os.environ.get("TMIN", "-3"))

if __name__ == "__main__":
    L = open(sys.argv[1]).read().split("\n")
    P0 = [tuple(c) for c in json.loads(L[0])]
    Q0 = [tuple(c) for c in json.loads(L[1])]
    evals = int(sys.argv[2])
    cases = []
    for c in load(sys.argv[3:]):
        lt = math.log2(abs(c[1][0])) + c[1][1]
        if lt >= TMIN:
            cases.append((c, WP if lt < PROTECT else 1))

    def cost(x):
        P, Q = b.apply(P0, Q0, x)
        return sum(w for c, w in cases if not b.ok_case(*c[:3], P, Q))

    nv = len(b.FREE)
    x = [0.0] * nv
    best = cost(x)
    print("start", best, "cases", len(cases), file=sys.stderr)
    step = [float(os.environ.get("STEP", "1"))] * nv
    n = 0
    while n < evals and max(step) > 1e-3:
        improved = False
        for j in range(nv):
            for sgn in (1, -1):
                y = list(x)
                y[j] += sgn * step[j]
                c = cost(y)
                n += 1
                if c < best:
                    best, x, improved = c, y, True
                    step[j] *= 2
                    break
            else:
                step[j] /= 2
        print("evals", n, "cost", best, "x", [round(v, 4) for v in x], file=sys.stderr, flush=True)
        if not improved and max(step) < 1e-3:
            break
    P, Q = b.apply(P0, Q0, x)
    print(json.dumps(P))
    print(json.dumps(Q))
