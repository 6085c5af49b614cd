"""How the final rounding of FYL2X / FYL2XP1 responds to the remainder R
being rounded before the add (README, section "FYL2X / FYL2XP1: remainder
rounded to 68 bits above 2^-3 (fifth helper)").

For every pinned case (ylog_scan.ts output) with |t| >= LIM, evaluates
R = T g Q(g) with the Q in QFILE (one 0x... per line, times 2^140, as
ylog4_fit.py writes them) and counts the cases whose L = R68(S + R') differs
from the pinned L, for R' = R exact, R rounded to P significant bits
(nearest n, truncated z), and two two-step forms. Also prints, per missed
case with exact R, the direction (pinned - model, in units of L) and where
S + R lies between two 68-bit values.

  python3 tools/x87-transc/ylog5_rvar.py QFILE LIM OP:PATH...
  python3 tools/x87-transc/ylog5_rvar.py /tmp/remfull.txt 0.125 fyl2x:/tmp/ylog5/hk.out fyl2xp1:/tmp/ylog5/hp.out
"""
import importlib.util
import os
import sys

from mpmath import floor, mpf, nint

qfile, lim, files = sys.argv[1], mpf(sys.argv[2]), sys.argv[3:]
sys.argv = [sys.argv[0], "none"]  # ylog4_fit.py runs main() on import
spec = importlib.util.spec_from_file_location("yf", os.path.join(os.path.dirname(__file__), "ylog4_fit.py"))
yf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(yf)

q = yf.load_q(qfile)
rs = []
for r in yf.rows(files, lim):
    T = r["T"]
    g = T * T
    acc = mpf(0)
    for c in reversed(q):
        acc = acc * g + c
    rs.append((r, T, g, acc))


def rb(v, p, mode="n"):
    u = yf.ulp(v, p)
    a = abs(v) / u
    a = nint(a) if mode == "n" else floor(a)
    return a * u * (1 if v > 0 else -1)


forms = [("exact", lambda T, g, a: T * g * a)]
for p in (64, 66, 67, 68, 69, 70):
    for m in "nz":
        forms.append(("R%d%s" % (p, m), (lambda p, m: lambda T, g, a: rb(T * g * a, p, m))(p, m)))
forms.append(("R68(R68(T g) R68(Q))", lambda T, g, a: rb(rb(T * g, 68) * rb(a, 68), 68)))
forms.append(("R68(T R68(g Q))", lambda T, g, a: rb(T * rb(g * a, 68), 68)))
print("%d cases with |t| >= %s" % (len(rs), lim))
for name, f in forms:
    miss = sum(1 for r, T, g, a in rs if yf.r68(r["S"] + f(T, g, a)) != r["G"])
    print("  %-22s %d missed" % (name, miss))
for r, T, g, a in rs:
    v = r["S"] + T * g * a
    L = yf.r68(v)
    if L != r["G"]:
        u = yf.ulp(v)
        fr = abs(v) / u - floor(abs(v) / u)
        print("  miss %s %s t %+.4f: pinned - model %+d, fraction %.4f" % (r["op"], r["xh"], float(r["t"]), int((abs(r["G"]) - abs(L)) / u), float(fr)))
