"""tan_cells.py under the FSIN/FCOS conventions (transc_amd_sincos.ts):
g = R68(t^2) and unfused Horner steps R68(R68(acc g) + c).

For |t| <= 2^-6 the steps are then
    A1 = R68(p1 + R68(g X2))   (p1's 2^-70 grid, as in tan_cells.py)
    P  = R68(C + R68(g A1))
The product R68(g A1) lies on a grid about g times A1's grid fine, so the
last step can land exactly on a rounding midpoint M of P's cell (a tie,
rounded to even) whenever |g A1 - (M - C)| <= h, h half a unit of the
product's last place: the threshold in k (A1's grid index) moves by h / (g
grid) towards the even side. Everything else (discrete p1 / q1 offsets,
linear program per offset pair) is tan_cells.py.

Run: python3 tools/x87-transc/tan_cells_unf.py COEF.txt LOG2_TMAX W in.txt,out.txt ... [--apply I J]
(environment as tan_cells.py; GV defaults to 68:near here)
"""
import sys, os, math
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
os.environ.setdefault("GV", "68:near")
import tan_cells as tc
from tan_lib import *

VARIANT["prod"] = (68, "near")
VARIANT["g"] = tuple([int(os.environ["GV"].split(":")[0]), os.environ["GV"].split(":")[1]])


def inner(cs, g):
    acc = cs[-1]
    for c in reversed(cs[2:-1]):
        acc = round_sig(*add(quant(mul(acc, g), VARIANT["prod"]), c))
    return acc


def prepare(P, Q, cases, tmax):
    out = []
    Cv = tc.fr(P[0])
    for fcw, t, r, fsw in cases:
        ta = (abs(t[0]), t[1])
        lt = math.log2(ta[0]) + ta[1]
        if lt >= tmax or lt < tc.TMIN:
            continue
        g = square(ta)
        gf = tc.fr(g)
        info = []
        for cs, gridE in ((P, tc.GRID[0]), (Q, tc.GRID[1])):
            gx2 = tc.fr(round_sig(*mul(inner(cs, g), g)))
            v = gx2 / F(2) ** gridE
            kc = round(v)
            a1 = tc.fr(cs[1]) + kc * F(2) ** gridE
            s = Cv + gf * a1
            u = s / F(2) ** -67
            mid = math.floor(u) + F(1, 2)
            slope = gf * F(2) ** gridE / F(2) ** -67
            kstar = (mid - u) / slope
            # tie band of the rounded product around M - C
            mc = (mid - Cv / F(2) ** -67) * F(2) ** -67
            ex = math.floor(math.log2(abs(float(mc))))
            h = F(2) ** (ex - 68)
            hk = h / (gf * F(2) ** gridE)
            j = math.floor(u)  # M = (j + 1/2) cells: a tie goes to cell j + 1 when j is odd
            kstar = kstar - hk if j % 2 == 1 else kstar + hk
            dist = float(u - mid)
            # the side of M the rounded model's cell is on (a tie can flip it)
            up = tc.fr(eval_grid(cs, g, gridE)) / F(2) ** -67 > mid
            dist = abs(dist) if up else -abs(dist)
            if dist == 0:
                dist = 1e-12 if up else -1e-12
            info.append((float(v - kc), float(kstar), dist, slope))
        out.append((ta, t[0] < 0, fcw, r, info, float(gf / F(tc.GREF))))
    return out


def eval_grid(cs, g, gridE):
    gx2 = round_sig(*mul(inner(cs, g), g))
    m, e = gx2
    sh = gridE - e
    k = (2 * m + (1 << sh)) >> (sh + 1) if sh > 0 else m << -sh
    a1 = add(cs[1], (k, gridE))
    return round_sig(*add(round_sig(*mul(a1, g)), cs[0]))


tc.prepare = prepare
tc.eval_grid = eval_grid

if __name__ == "__main__":
    exec(open(tc.__file__).read().split('if __name__ == "__main__":', 1)[1].replace("\n    ", "\n"), tc.__dict__)
