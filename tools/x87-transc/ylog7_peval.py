"""P's own evaluation in the FYL2X / FYL2XP1 remainder (README, section
"FYL2X / FYL2XP1: one structure (round 7)").

The round-5 structure (REM_ONE, ylog6_one.py's Glp) is

    g = R68(T^2),  h = R68(|L1| g),  R = R68(h P(g)),  L = R68(S + R)

with P of degree 9 evaluated exactly. This script tries evaluations of P
that a microcode could use, each on the pinned logarithms of ylog6_one.py
(same files, same cache):

  grid FILES...          LP refit (summed violation) with P's value rounded
                         onto an absolute grid 2^-K at the end (K from
                         YLOG7_K, mode YLOG7_MODE f(loor), n(earest), c(eil));
                         writes /tmp/ylog7/q_grid_K_MODE.txt; then
  check QFILE FILES...   counts the misses of QFILE under that evaluation
                         (YLOG7_K = 0: exact P)
  search QFILE SPEC FILES...
                         P evaluated by Horner with its coefficients (from
                         QFILE, rounded onto the evaluation's grid) and each
                         step rounded as SPEC says, with p0 moved over
                         -N ... N cells and p1 over -M ... M cells
                         (YLOG7_N, YLOG7_M); prints the misses per offset.
                         SPEC: fixK (fixed point 2^-K, products truncated;
                         fixnK products rounded to nearest), f68 (68-bit
                         floating steps, fused: R68(acc g + p_j)), u68
                         (unfused: R68(R68(acc g) + p_j)); any width
                         instead of 68.
  apply QFILE SPEC DP0 DP1 FILES...
                         misses per kind and band with one offset

YLOG7_H (grid, check): the multiplier h of R = R68(h P) instead of
R68(|L1| g): TC R68(T C g) with the product T C exact, TgC R68(R68(T g) C),
TCg R68(T R68(C g)), Cn R68(R68(T C') g) with C' = log2(e) rounded to n bits,
Ln R68(Rn(T C) g) (L1 itself at n bits), L1z R68(RZ68(T C) g) (L1 toward
zero), TC2 R68(R68(T C) g) computed from a 2^-F floor of T C (control: L1).

FILES as for ylog6_one.py (OP:PATH). Needs mpmath, numpy, scipy. Example:

  python3 tools/x87-transc/ylog7_peval.py search /tmp/ylog7/q_fa9.txt fix72 $FIT $AIM
"""
import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location("y1", os.path.join(os.path.dirname(__file__), "ylog6_one.py"))
y1 = importlib.util.module_from_spec(spec)
os.environ.setdefault("YLOG6_STRUCT", "Glp")
spec.loader.exec_module(y1)
F, ONE, r68 = y1.F, y1.ONE, y1.r68

K = int(os.environ.get("YLOG7_K", "0"))
MODE = os.environ.get("YLOG7_MODE", "f")


def grid_round(v, k, mode):
    """v (2^-F) rounded onto the grid 2^-k: floor, nearest-even or ceil."""
    sh = F - k
    q, rem = v >> sh, v & ((1 << sh) - 1)
    if mode == "c" and rem:
        q += 1
    elif mode == "n":
        h = 1 << (sh - 1)
        if rem > h or (rem == h and q & 1):
            q += 1
    return q << sh


def grid_cells(a, b, k, mode):
    """Hull of the values w whose grid rounding lies in the open (a, b)."""
    u = 1 << (F - k)
    v1 = (a // u + 1) * u
    v2 = ((b - 1) // u) * u
    if v1 > v2:
        m = (a + b) // 2
        return m, m
    if mode == "f":
        return v1, v2 + u - 1
    if mode == "c":
        return v1 - u + 1, v2
    return v1 - u // 2, v2 + u // 2


_qbounds = y1.qbounds
_remainder_l = y1.remainder_l
HV = os.environ.get("YLOG7_H", "")


def log2e(bits):
    """log2(e) rounded to nearest at `bits` significant bits, in 2^-F."""
    from mpmath import mp, e, log, mpf, nint

    mp.prec = 400
    v = 1 / log(2)
    return int(nint(v * mpf(2) ** (bits - 1))) << (F - bits + 1)


CN = {}


def hval(r, g):
    """The multiplier h of R = R68(h P) under YLOG7_H."""
    T, L1 = r["T"], r["L1"]
    C = y1.C66 << (F - 65)
    if HV == "TC":
        return r68((T * C >> F) * g >> F)
    if HV == "TgC":
        return r68(r68(T * g >> F) * C >> F)
    if HV == "TCg":
        return r68(T * r68(C * g >> F) >> F)
    if HV.startswith("C"):
        n = int(HV[1:])
        if n not in CN:
            CN[n] = log2e(n)
        return r68(r68(T * CN[n] >> F) * g >> F)
    if HV.startswith("L1z"):
        return r68(y1.rtz(T * C >> F) * g >> F)
    if HV.startswith("L"):
        return r68(r68(T * C >> F, int(HV[1:])) * g >> F)
    return r68(L1 * g >> F)


def qbounds(r, rsig, st):
    if HV:
        g = y1.gval(r["T"], "Glp")
        h = hval(r, g)
        a, b = y1.cells(r["lo"], r["hi"])
        x, y = a * ONE // h, b * ONE // h
        a, b = (x, y) if x <= y else (y, x)
    else:
        a, b = _qbounds(r, rsig, st)
    return grid_cells(a, b, K, MODE) if K else (a, b)


def remainder_l(r, g, P, s):
    P = grid_round(P, K, MODE) if K else P
    if HV:
        return r68(hval(r, g) * P >> F)
    return _remainder_l(r, g, P, s)


y1.qbounds = qbounds
y1.remainder_l = remainder_l


def prep_all(specs):
    rows = y1.prep(y1.load(specs), 0.015625)
    for r in rows:
        r["g"] = y1.gval(r["T"], "Glp", r["L1"])
        r["h"] = r68(r["L1"] * r["g"] >> F)
    return rows


def parse_spec(s):
    if s.startswith("fixn"):
        return "fixn", int(s[4:])
    if s.startswith("fix"):
        return "fix", int(s[3:])
    return s[0], int(s[1:])


def tails(rows, q, spec, dp1=0):
    """Per case: what Horner adds to p0 (the p0-free part), under spec."""
    kind, w = parse_spec(spec)
    out = []
    if kind in ("fix", "fixn"):
        sh = F - w
        cs = [(c << (F - 140)) >> sh for c in q]  # coefficients truncated onto 2^-w
        cs[1] += dp1
        for r in rows:
            g = r["g"] >> sh
            acc = cs[-1]
            for c in reversed(cs[1:-1]):
                p = acc * g
                acc = ((p + (1 << (w - 1)) >> w) if kind == "fixn" else (p >> w)) + c
            p = acc * g
            out.append((((p + (1 << (w - 1))) >> w) if kind == "fixn" else (p >> w)) << sh)
        return out
    cs = [r68(c << (F - 140), w) for c in q]
    if dp1:
        u = 1 << (cs[1].bit_length() - w)
        cs[1] += dp1 * u
    for r in rows:
        g = r["g"]
        acc = cs[-1]
        for c in reversed(cs[1:-1]):
            acc = r68((acc * g >> F) + c, w) if kind == "f" else r68(r68(acc * g >> F, w) + c, w)
        out.append(acc * g >> F if kind == "f" else r68(acc * g >> F, w))
    return out


def p0cells(q, spec):
    kind, w = parse_spec(spec)
    if kind in ("fix", "fixn"):
        return ((q[0] << (F - 140)) >> (F - w)) << (F - w), 1 << (F - w)
    p0 = r68(q[0] << (F - 140), w)
    return p0, 1 << (p0.bit_length() - w)


def misses(rows, tl, p0, spec):
    kind, w = parse_spec(spec)
    bad = []
    for r, t in zip(rows, tl):
        P = p0 + t
        if kind in ("f", "u"):
            P = r68(P, w)
        R = r68(r["h"] * P >> F)
        if r68(r["S"] + R) != r["G"]:
            bad.append(r)
    return bad


def main():
    mode = sys.argv[1]
    if mode == "grid":
        rows = y1.prep(y1.load(sys.argv[2:]), 0.015625)
        q, viol = y1.fit(rows, 9, 68)
        out = os.environ.get("YLOG6_Q", "/tmp/ylog7/q_grid_%d_%s.txt" % (K, MODE))
        with open(out, "w") as f:
            for c in q:
                f.write(("-" if c < 0 else "") + "0x%xn,\n" % abs(c))
        print("grid 2^-%d %s: %d cases, summed violation %.4f; P in %s" % (K, MODE, len(rows), viol, out))
        y1.check(rows, out, 68)
    elif mode == "check":
        rows = y1.prep(y1.load(sys.argv[3:]), 0.015625)
        y1.check(rows, sys.argv[2], 68)
    elif mode == "search":
        q = y1.load_q(sys.argv[2])
        spec = sys.argv[3]
        rows = prep_all(sys.argv[4:])
        N, M = int(os.environ.get("YLOG7_N", "8")), int(os.environ.get("YLOG7_M", "0"))
        p0, u = p0cells(q, spec)
        best = None
        for d1 in range(-M, M + 1):
            tl = tails(rows, q, spec, d1)
            line = []
            for d0 in range(-N, N + 1):
                n = len(misses(rows, tl, p0 + d0 * u, spec))
                line.append("%d:%d" % (d0, n))
                if best is None or n < best[0]:
                    best = (n, d0, d1)
            print("%s p1 %+d: %s" % (spec, d1, " ".join(line)), flush=True)
        print("%s: %d cases, best %d misses at p0 %+d, p1 %+d cells" % (spec, len(rows), *best))
    elif mode == "apply":
        q = y1.load_q(sys.argv[2])
        spec, d0, d1 = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        rows = prep_all(sys.argv[6:])
        p0, u = p0cells(q, spec)
        bad = misses(rows, tails(rows, q, spec, d1), p0 + d0 * u, spec)
        tot = {}
        for r in rows:
            key = (y1.kind(r), y1.band(r))
            tot[key] = tot.get(key, 0) + 1
        for key in sorted(tot):
            nb = sum(1 for b in bad if (y1.kind(b), y1.band(b)) == key)
            print("  %-3s band 2^%d: %d cases, %d differ" % (key[0], key[1], tot[key], nb))
        print("  %s p0 %+d p1 %+d: %d cases, %d differ" % (spec, d0, d1, len(rows), len(bad)))


if __name__ == "__main__":
    main()
