"""FSIN / FCOS round 6: where the model misses, and the last sum's near-ties.

`flip`: for every mismatching operand (|t| >= 2^-2), which single 68-bit
rounding of the model moved by one cell (g, products p_i, sums s_i = A_i,
tg, corr) reproduces the host, listed with that rounding's distance from its
midpoint (cells; sincos6_lib.frac_mid), then a histogram of the patterns.
`ties`: for the operands whose result flips with the last Horner sum s0,
per distance of s0 from its midpoint (and, on an exact tie, whether the
model rounded up or down): operands and how many of them miss.

Run: python3 tools/x87-transc/sincos6_flip.py flip|ties sin|cos COEF FILE ...
  COEF: base (cpu/fpu/transc_amd_sincos.ts) or a sincos6 coefficient file
"""
import collections, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L
from sim import final

mode, kind, coef = sys.argv[1], sys.argv[2], sys.argv[3]
if coef != "base":
    L.SIN[:], L.COS[:] = L.read_coef(coef)
cases = [k for k in L.load(sys.argv[4:], 0.25, 1) if L.kind_of(k[2], k[0]) == kind]
by = collections.defaultdict(list)
for k in cases:
    by[(k[6], k[0])].append(k)


def sgn_fix(k, w):
    op, n = k[0], k[2]
    q = n % 4
    return (-w[0], w[1]) if (op == "fsin" and q >= 2) or (op != "fsin" and q in (1, 2)) else w


if mode == "flip":
    hist = collections.Counter()
    for ks in by.values():
        bad = [k for k in ks if not L.ok(k)]
        if not bad:
            continue
        k = bad[0]
        t = k[3]
        fr = {nm: L.frac_mid(u) for nm, u in L.steps((abs(t[0]), t[1]), kind)}
        fixes = []
        for nm in fr:
            for d in (-1, 1):
                w = sgn_fix(k, L.flipped(t, kind, nm, d))
                if all(final(sgn_fix(b, L.flipped(b[3], kind, nm, d)), L.RC[b[1]]) == (b[4], final(sgn_fix(b, L.flipped(b[3], kind, nm, d)), L.RC[b[1]])[1]) for b in bad):
                    if fr[nm] is not None and abs(fr[nm]) <= 0.1:
                        fixes.append("%s%+d(%.3f)" % (nm, d, fr[nm]))
        tv = abs(t[0]) * 2.0 ** t[1]
        print(k[0], k[6], "t=%.4f" % tv, " ".join(fixes))
        hist[" ".join(f.split("(")[0] for f in fixes)] += 1
    for p, n in hist.most_common():
        print("%5d  %s" % (n, p))
else:
    tab = collections.defaultdict(lambda: [0, 0])
    for ks in by.values():
        t = ks[0][3]
        ta = (abs(t[0]), t[1])
        u = dict(L.steps(ta, kind))["s0"]
        f = L.frac_mid(u)
        if f is None or abs(f) > 0.1:
            continue
        d = 1 if f < 0 else -1
        base, alt = L.poly(ta, kind), L.flipped(ta, kind, "s0", d)
        if all(final(base, rc) == final(alt, rc) for rc in (0, 1, 2)):
            continue
        r = L.r68(u)
        side = ""
        if f == 0:
            sh = abs(u[0]).bit_length() - 68
            side = "up" if abs(r[0]) << sh > abs(u[0]) else "down"
        key = (round(f, 3), side)
        tab[key][0] += 1
        tab[key][1] += any(not L.ok(k) for k in ks)
    for key in sorted(tab):
        print("s0 %+.3f %-4s operands %5d  missed %4d" % (key[0], key[1], *tab[key]))
