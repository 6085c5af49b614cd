"""FPTAN: which single 68-bit rounding the host decided otherwise than the
model (round 5). For every case the model gets wrong, try flipping the
rounding of one intermediate (P's last sum, N = R68(t P), D's last sum, and
the last products R68(g A1) of P and D) to the other neighbouring cell; a
flip that makes the result match is printed with the signed distance of the
model's unrounded value from that rounding's midpoint, in cells (negative:
the model rounded down). A smooth offset of the host's unrounded value
shows up as distances of one sign bounded by the offset.

Run: python3 tools/x87-transc/tan5_flip.py COEF.txt|bands NBINS in.txt,out.txt ...
"""
import sys, math
from fractions import Fraction

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5
from tan5_lib import rsig, rsig_s, add, mul


def steps(cs, g):
    """Horner with every intermediate: list of (product_unrounded, product,
    sum_unrounded, sum)."""
    acc = cs[-1]
    out = []
    for c in reversed(cs[:-1]):
        pu = mul(acc, g)
        p = rsig_s(*pu, 68)
        su = add(p, c)
        acc = rsig_s(*su, 68)
        out.append((pu, p, su, acc))
    return out


def pos(u, r):
    """Signed distance (cells) of unrounded u from the rounding midpoint
    between r and its neighbour on u's side."""
    uf = Fraction(u[0]) * Fraction(2) ** u[1]
    rf = Fraction(r[0]) * Fraction(2) ** r[1]
    cell = Fraction(2) ** r[1]
    # u - r in cells, in [-1/2, 1/2]; distance from midpoint = |d| - 1/2, signed by d
    d = (uf - rf) / cell
    return float(d)


def flipped(r, u):
    """r moved one cell toward u."""
    uf = Fraction(u[0]) * Fraction(2) ** u[1]
    rf = Fraction(r[0]) * Fraction(2) ** r[1]
    s = 1 if uf > rf else -1
    if r[0] < 0:
        pass
    return (r[0] + s, r[1])


def result_ok(fcw, t, r, n, d):
    q = Fraction(n[0], d[0]) * Fraction(2) ** (n[1] - d[1])
    _, b, u = L5.case_boundary(fcw, t)
    return (1 if q > b else -1) == L5.hw_side(fcw, t, r, b)


def analyse(fcw, t, r, P, Q):
    ta = (abs(t[0]), t[1])
    g = rsig(*mul(ta, ta))
    sp, sq = steps(P, g), steps(Q, g)
    p = sp[-1][3]
    n = rsig(*mul(ta, p))
    d = sq[-1][3]
    if result_ok(fcw, t, r, n, d):
        return None
    fixes = []
    # flip P's last sum
    p2 = flipped(p, sp[-1][2])
    if result_ok(fcw, t, r, rsig(*mul(ta, p2)), d):
        fixes.append(("P", pos(sp[-1][2], p)))
    n2 = flipped(n, mul(ta, p))
    if result_ok(fcw, t, r, n2, d):
        fixes.append(("N", pos(mul(ta, p), n)))
    d2 = flipped(d, sq[-1][2])
    if result_ok(fcw, t, r, n, d2):
        fixes.append(("D", pos(sq[-1][2], d)))
    # A1 (and A2) of P / D flipped: redo the later steps
    for nm, s, cs in (("aP", sp, P), ("aD", sq, Q), ("bP", sp, P), ("bD", sq, Q)):
        lvl = -2 if nm[0] == "a" else -3
        su, a = s[lvl][2], s[lvl][3]
        acc = flipped(a, su)
        # step i = len(s) + lvl used coefficient len(cs) - 2 - i; redo the rest
        k0 = len(cs) - 3 - (len(s) + lvl)
        for c in reversed(cs[: k0 + 1]):
            acc = rsig_s(*add(rsig_s(*mul(acc, g), 68), c), 68)
        if nm[1] == "P":
            ok = result_ok(fcw, t, r, rsig(*mul(ta, acc)), d)
        else:
            ok = result_ok(fcw, t, r, n, acc)
        if ok:
            fixes.append((nm, pos(su, a)))
    # product of the last step of P / D flipped: P = R(C + R(g A1))
    for nm, s, cs in (("pP", sp, P), ("pD", sq, Q)):
        pu, pr = s[-1][0], s[-1][1]
        pr2 = flipped(pr, pu)
        acc = rsig_s(*add(pr2, cs[0]), 68)
        if nm == "pP":
            ok = result_ok(fcw, t, r, rsig(*mul(ta, acc)), d)
        else:
            ok = result_ok(fcw, t, r, n, acc)
        if ok:
            fixes.append((nm, pos(pu, pr)))
    return fixes


def main():
    spec, nb = sys.argv[1], int(sys.argv[2])
    cases = L5.load(sys.argv[3:])
    lo, hi = 0.125, math.pi / 4
    for fcw, t, r in cases:
        tv = abs(t[0]) * 2.0 ** t[1]
        if tv < lo:
            continue
        P, Q = L5.band_set((abs(t[0]), t[1])) if spec == "bands" else L5.read_coef(spec)
        f = analyse(fcw, t, r, P, Q)
        if f is None:
            continue
        print(f"{tv:.5f}", " ".join(f"{k}:{v:+.4f}" for k, v in f) or "none")


if __name__ == "__main__":
    main()
