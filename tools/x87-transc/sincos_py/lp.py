import sys, math, numpy as np
from scipy.optimize import linprog
# fit D(g) = sum d_k g^k (units 2^-64, D = (w - v)/t^p) to per-case bounds; minimize noise eps (ulp units)
fn, K, tmin = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
p = 3; sel = sys.argv[4] if len(sys.argv) > 4 else "0"
rows = [l.split() for l in open(fn)]
A = []; b = []
for r in rows:
    if r[1] != sel: continue
    t = abs(float(r[2])); lo = float(r[3]); hi = float(r[4])
    if t < tmin: continue
    vv = abs(math.sin(t)) if sel == "0" else abs(math.cos(t))
    u = 2.0 ** (math.floor(math.log2(vv)) - 63)
    sc = u / t ** p * 2 ** 64
    g = t * t / 0.6168502750680849  # normalized
    row = [g ** k for k in range(K + 1)]
    # sum <= hi*sc + eps*sc ; -sum <= -lo*sc + eps*sc
    A.append(row + [-1]); b.append(hi * sc)
    A.append([-x for x in row] + [-1]); b.append(-lo * sc)
c = [0] * (K + 1) + [1]
bounds = [(None, None)] * (K + 1) + [(0, None)]
res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
print(res.status, "eps=%.5f" % res.x[-1], " ".join("%.6f" % v for v in res.x[:-1]), len(A) // 2)
