"""Variants of the FYL2X / FYL2XP1 remainder chain checked against pinned
logarithms without refitting P (README, section "FYL2X / FYL2XP1: one
structure (round 7)").

The model (REM_ONE, ylog6_one.py's Glp) is

    g = R68(T^2),  h = R68(|L1| g),  R = R68(h P(g)),  L = R68(S + R)

Each variant changes one detail (a rounding mode or width, the order of the
products, the T or C used, the grid R is rounded onto, P's argument) and
keeps P's coefficients (QFILE). The variants do not move P's mean, so a
refit would not change the picture; a right variant would cut the misses
of the aimed sets, whose L depends on R to its last unit.

  python3 tools/x87-transc/ylog7_vars.py vars QFILE FILES...
      misses of every variant (YLOG7_VARS: a space-separated subset)
  python3 tools/x87-transc/ylog7_vars.py eps QFILE FILES...
      the distribution of eps = |h P| of the host minus the model's, in
      units of R's last bit: for the cases where R one unit up (or down)
      changes L, how often the host's L is that one, per distance th of
      the model's h P from the rounding point (P(eps > th), P(eps < -th))
  python3 tools/x87-transc/ylog7_vars.py slack QFILE FILES...
      misses by how many units R must move to change L

  python3 tools/x87-transc/ylog7_vars.py pairs SCAN_OUT... > pairs.txt
      for FYL2X x = 1 + t (k = 0) of ylog_scan.ts output files: "x t" with
      t = x - 1 as the FYL2XP1 operand (exact); pin the second column with
      ylog_scan.ts fyl2xp1, then
  python3 tools/x87-transc/ylog7_vars.py same pairs.txt FYL2X_OUT FYL2XP1_OUT
      counts the pairs whose two pinned L are equal

FILES as for ylog6_one.py (OP:PATH); QFILE P's coefficients times 2^140
(REM_ONE: /tmp/ylog6/qall_Glp_d9.txt).
"""
import importlib.util
import os
import sys
from fractions import Fraction

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pe", os.path.join(here, "ylog7_peval.py"))
pe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pe)
y1, F, ONE, r68 = pe.y1, pe.F, pe.ONE, pe.r68
C = y1.C66 << (F - 65)
rz = y1.rtz


def rodd(v, p=68):
    """v rounded to p bits by round-to-odd (truncate, set the last bit if inexact)."""
    a = abs(v)
    sh = a.bit_length() - p
    if sh <= 0:
        return v
    q = a >> sh
    if a & ((1 << sh) - 1):
        q |= 1
    return -(q << sh) if v < 0 else q << sh


def grid(v, sh, mode):
    """|v| onto the grid 2^sh (in 2^-F units), nearest-even (n) or truncated (t)."""
    a = abs(v)
    if sh <= 0:
        return v
    q, rem = a >> sh, a & ((1 << sh) - 1)
    if mode == "n" and (rem > (1 << (sh - 1)) or (rem == (1 << (sh - 1)) and q & 1)):
        q += 1
    return -(q << sh) if v < 0 else q << sh


def tvar(r, v):
    """T for g: 68 (the model), n bits, D (2t / R68(2 + t) exact), x (2t / (2 + t) exact)."""
    t = r["t"]
    if v == "68":
        return r["T"]
    D = r68(2 * ONE + t)
    if v == "D":
        return (2 * t << F) // D
    if v == "x":
        return (2 * t << F) // (2 * ONE + t)
    return y1.r68_div(2 * t << F, D, int(v))


MODES = {"n": r68, "o": rodd, "z": rz}


def variant(name, r, q):
    """R of the variant `name` for the case r."""
    T, L1 = r["T"], r["L1"]
    g = r68(T * T >> F)

    def P(x):
        return y1.qpoly(x, q)

    if name == "model":
        return r68(r68(L1 * g >> F) * P(g) >> F)
    if name.startswith("mode_"):  # g, h, R rounded n(earest), o(dd), z(toward zero)
        fg, fh, fr = (MODES[c] for c in name[5:])
        gg = fg(T * T >> F)
        return fr(fh(L1 * gg >> F) * P(gg) >> F)
    if name.startswith("T_"):  # T for g (L1 from the 68-bit T)
        Tv = tvar(r, name[2:])
        gg = r68(Tv * Tv >> F)
        return r68(r68(L1 * gg >> F) * P(gg) >> F)
    if name.startswith("Parg"):  # P at g rounded to n bits (h from the 68-bit g)
        return r68(r68(L1 * g >> F) * P(r68(g, int(name[4:]))) >> F)
    if name.startswith("Pscale"):  # P * s rounded to 68 bits, s = num/den
        s = Fraction(name[6:]) if name[6:] != "C" else Fraction(y1.C66, 1 << 65)
        return r68(r68(L1 * g >> F) * (r68(P(g) * s.numerator // s.denominator) * s.denominator // s.numerator) >> F)
    if name == "LP.g":
        return r68(r68(L1 * P(g) >> F) * g >> F)
    if name == "L.gP":
        return r68(L1 * r68(g * P(g) >> F) >> F)
    if name == "LT.TP":
        return r68(r68(L1 * T >> F) * r68(T * P(g) >> F) >> F)
    if name == "Tg.CP":
        return r68(r68(T * g >> F) * r68(C * P(g) >> F) >> F)
    if name == "TCg":
        return r68(r68(T * r68(C * g >> F) >> F) * P(g) >> F)
    if name == "TC.g":  # h from the exact T C
        return r68(r68((T * C >> F) * g >> F) * P(g) >> F)
    if name.startswith("Sgrid"):  # h P rounded onto S's grid with j more bits, no R68
        mode, j = name[5], int(name[6:])
        return grid(r68(L1 * g >> F) * P(g) >> F, abs(r["S"]).bit_length() - 68 - j, mode)
    raise ValueError(name)


DEFAULT = (
    "model mode_nno mode_non mode_onn mode_ooo mode_nnz mode_zzz T_70 T_76 T_D T_x Parg60 Parg64 Parg66 "
    "Pscale1 Pscale3/2 PscaleC Pscale89/64 LP.g L.gP LT.TP Tg.CP TCg TC.g Sgridn8 Sgridn12 Sgridt10 Sgridn40"
)


def pairs(files):
    """FYL2X x (k = 0) and the FYL2XP1 operand t = x - 1, when t fits 64 bits."""
    for fn in files:
        for line in open(fn):
            xh = line.split()[0]
            se, m = int(xh[:4], 16), int(xh[4:], 16)
            e = se - 16383 - 63
            num = m - (1 << -e)  # t 2^-e
            a = abs(num)
            if a == 0 or a.bit_length() > 64:
                continue
            bl = a.bit_length()
            print("%s %04x%016x" % (xh, ((1 if num < 0 else 0) << 15) | (bl - 1 + e + 16383), a << (64 - bl)))


def same(pfile, fa, fb):
    """Pairs (x, t) whose pinned L (ylog_scan.ts lines) agree."""
    la = {l.split()[0]: l.split() for l in open(fa)}
    lb = {l.split()[0]: l.split() for l in open(fb)}
    n = eq = 0
    for line in open(pfile):
        a, b = line.split()
        A, B = la[a], lb[b]
        if "none" in (A[2], B[2]) or "many" in (A[2], B[2]):
            continue
        n += 1
        if A[1] == B[1] and abs(float(A[2]) - float(B[2])) < 0.5:
            eq += 1
        else:
            print("differ:", a, b, A[1:3], B[1:3])
    print("%d pinned pairs, %d with the same L" % (n, eq))


def main():
    mode = sys.argv[1]
    if mode == "pairs":
        return pairs(sys.argv[2:])
    if mode == "same":
        return same(*sys.argv[2:5])
    q = y1.load_q(sys.argv[2])
    rows = y1.prep(y1.load(sys.argv[3:]), 0.015625)
    if mode == "vars":
        for name in os.environ.get("YLOG7_VARS", DEFAULT).split():
            bad = sum(r68(r["S"] + variant(name, r, q)) != r["G"] for r in rows)
            print("%-12s %d of %d missed" % (name, bad, len(rows)), flush=True)
        return
    up, dn, steps = {}, {}, {}
    for r in rows:
        T, L1, S = r["T"], r["L1"], r["S"]
        g = r68(T * T >> F)
        hp = r68(L1 * g >> F) * y1.qpoly(g, q) >> F
        R = r68(hp)
        s = 1 if R > 0 else -1
        u = 1 << (abs(R).bit_length() - 68)
        d = (abs(hp) - abs(R)) / u
        L0 = r68(S + R)
        miss = L0 != r["G"]
        k = next((k for k in range(1, 8) if r68(S + R + k * u * s) != L0 or r68(S + R - k * u * s) != L0), 8)
        n, m = steps.get(k, (0, 0))
        steps[k] = (n + 1, m + miss)
        for j, tab, th in ((1, up, 0.5 - d), (-1, dn, 0.5 + d)):
            if r68(S + R + j * u * s) != L0:
                b = round(th * 10) / 10
                n, m = tab.get(b, (0, 0))
                tab[b] = (n + 1, m + miss)
    if mode == "slack":
        for k in sorted(steps):
            n, m = steps[k]
            print("R moved %s unit(s) changes L: %6d cases, %5d missed" % (k if k < 8 else ">7", n, m))
        return
    print("one unit up changes L: host misses iff eps > th")
    for b in sorted(up):
        print("  th %.1f: %5d cases, P(eps > th) = %.3f" % (b, up[b][0], up[b][1] / up[b][0]))
    print("one unit down changes L: host misses iff eps < -th")
    for b in sorted(dn):
        print("  th %.1f: %5d cases, P(eps < -th) = %.3f" % (b, dn[b][0], dn[b][1] / dn[b][0]))


if __name__ == "__main__":
    main()
