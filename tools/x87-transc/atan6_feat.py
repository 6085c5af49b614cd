"""FPATAN round 6: which rounding steps make the host's d scatter (direct-path cases; atan6_fit.py
loader). The host's X (d before its rounding) is modelled as the minimax rational's d times
1 + c0 2^-68 + sum_j w_j e_j, e_j the relative rounding error of candidate step j at 68 bits
(or BITS); a soft linear program (L1 hinge) finds c0 and the weights w_j for each feature set,
and the misses of that fit are counted. A real step shows as w ~ 1 and a drop in misses.

Features: g = R(r r); t = R(r g); r3 = R(r^3) (exact cube); P = R(s P(g)) and Q = R(s Q(g)) at
scale s (SCALE, q0 = s); N = R(t P); quo = R(P / Q); Pk / Qk = the last Horner sum only
(p0 + R(g A1)); gq = R(g P / Q), rq = R(r P / Q). The base d uses g = R(r r), t = R(r g),
or exact g and t with EXACT=1.

Run: python3 tools/x87-transc/atan6_feat.py SETS in,out [in,out ...]
  SETS: feature sets separated by '/', features by '+', e.g. 'g+t/g+t+P+Q'; env SCALE, BITS, EXACT
"""
import os
import sys
from fractions import Fraction as F
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

HERE = __file__.rsplit("/", 1)[0]
SCALE = F(os.environ.get("SCALE", "1"))
BITS = int(os.environ.get("BITS", "68"))
EXACT = os.environ.get("EXACT", "0") == "1"  # base d with exact g and t (else both rounded)


def rel(v):
    return 0.0 if v == 0 else float((A.R(v, BITS) - v) / v)


def features(cases):
    P, Q = A.read_coef(f"{HERE}/atan5_r77.txt")
    P, Q = [c * SCALE for c in P], [c * SCALE for c in Q]
    out = []
    for r, m, ude, kind in cases:
        g = r * r if EXACT else A.R(r * r)
        t = r * g if EXACT else A.R(r * g)
        p, q = A.horner_x(P, g), A.horner_x(Q, g)
        d = t * p / q
        f = {"g": rel(r * r), "t": rel(r * g), "r3": rel(r * r * r), "P": rel(p), "Q": -rel(q),
             "N": rel(t * p), "quo": rel(p / q)}
        ga = A.R(g * A.horner_x(P[1:], g))
        gb = A.R(g * A.horner_x(Q[1:], g))
        f["gq"] = rel(g * p / q)
        f["rq"] = rel(r * p / q)
        f["Pk"] = float((A.R(P[0] + ga) - p) / p)
        f["Qk"] = -float((A.R(Q[0] + gb) - q) / q)
        sc = float(abs(d) / F(2) ** ude)  # relative -> units of d
        x0 = float((d - m) / F(2) ** ude)
        out.append((x0, sc, kind, f))
    return out


def fit(rows, names):
    """Hinge LP over c0 (units of 2^-68 relative) and the weights; returns (misses, c0, w)."""
    nv = 1 + len(names)
    data, ri, ci, ub = [], [], [], []
    k = 0
    for i, (x0, sc, kind, f) in enumerate(rows):
        coef = [sc * 2.0 ** -68] + [sc * f[n] for n in names]
        cons = []
        if kind in ("gt", "eq"):  # x >= 0.5 (gt: + margin)
            cons.append((-1, -(0.5 - x0 + (0.02 if kind == "gt" else 0))))
        if kind in ("lt", "eq"):
            cons.append((1, -0.5 - x0 - 0.02 if kind == "lt" else 0.5 - x0))
        for sign, b in cons:
            for j, v in enumerate(coef):
                data.append(sign * v)
                ri.append(k)
                ci.append(j)
            data.append(-1.0)
            ri.append(k)
            ci.append(nv + i)
            ub.append(b)
            k += 1
    Am = csr_matrix((data, (ri, ci)), shape=(k, nv + len(rows)))
    cost = np.concatenate([np.zeros(nv), np.ones(len(rows))])
    res = linprog(cost, A_ub=Am, b_ub=np.array(ub),
                  bounds=[(-50, 50)] + [(-5, 5)] * (nv - 1) + [(0, None)] * len(rows),
                  method="highs")
    v = res.x[:nv]
    bad = 0
    for x0, sc, kind, f in rows:
        x = x0 + sc * (v[0] * 2.0 ** -68 + sum(w * f[n] for w, n in zip(v[1:], names)))
        bad += not A.ok(x, kind)
    return bad, v[0], list(v[1:])


def main():
    rows = features(A.load(sys.argv[2:]))
    for st in sys.argv[1].split("/"):
        names = [n for n in st.split("+") if n]
        bad, c0, w = fit(rows, names)
        ws = " ".join(f"{n}={x:+.2f}" for n, x in zip(names, w))
        print(f"{st or '(none)':24s} misses {bad:5d} of {len(rows)}  c0 {c0:+.2f}  {ws}", flush=True)


if __name__ == "__main__":
    main()
