"""FPATAN round 8: tiny ratios (r ~ 2^-20), where the phases of P's and Q's last 68-bit sums
are predictable from the function alone.

Why: at r ~ 2^-6 the phase of P's last sum, frac(g A1 / cell(P)), moves by g cells per cell of
p1, and p1, q1 can move by up to 8 * 10^8 cells without changing the rational by one unit of
2^-68 (atan8_null.py): the phases there cannot be predicted from the measured function, so scans
near the minimax coefficients (atan7_pow2.py, atan8_cells.py) do not test a design. At g ~ 2^-40
the same moves shift the phases by at most 2^-10 of a cell, and g^2 terms are below 2^-10 cell:
the phases depend only on the scale s and the rounding design. d's 68-bit cell is still visible
in the result when r + d is aimed at a 64-bit grid point G: r is a 68-bit ratio (x != 1), G = r +
d rounded to 64 bits, and r is solved from d(r) = -n u68 (u68: r's 68-bit unit), so that
r + d - G lies within DD cells of d; every such r with R68(y / x) = r for some x, y is printed.

Run: python3 tools/x87-transc/atan8_tiny.py gen E N DD SEED > t.in      (r in [2^E, 2^(E+1)))
     (env X1=1: x = 1 and y = r, r of 64 bits, G = r - n u64 instead). Each ratio is printed
     once; there are only about d / u targets n per binade (x = 1: 2^(2E + 61.4), e.g. 44 at
     E = -28; 68-bit r: 2^(2E + 65.4)), so small E gives fewer than N cases.
     /tmp/x87probe < t.in > t.out
     python3 tools/x87-transc/atan8_tiny.py check SCALES FORMS K J t.in,t.out [...]
  SCALES / FORMS as atan8_cells.py (FORMS comma-separated); K, J: p0's and q0's cells moved by
  -K..K, -J..J; env COEF: another coefficient file (its p0 / q0 is pinned to atan6_gt.txt's,
  which the tiny-r data measure); SYNTH=scale,form,K,J: outcomes replaced by that design's
  (a planted truth, to see that the check singles it out); prints misses of the committed model (exact P / Q) and of each design.
"""
import os
import sys
import random
from fractions import Fraction as F
import mpmath as mp
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_cells as C  # noqa: E402
from atan5_lib import f80, grid_side  # noqa: E402

mp.mp.prec = 320
HERE = __file__.rsplit("/", 1)[0]
COEF = os.environ.get("COEF", f"{HERE}/atan6_gt.txt")
PF, QF = A.read_coef(COEF)
if COEF != f"{HERE}/atan6_gt.txt":
    # p0 / q0 pinned to the committed model's (which the tiny-r data measure: d ~ t p0 / q0)
    _pg, _qg = A.read_coef(f"{HERE}/atan6_gt.txt")
    PF[0] = QF[0] * _pg[0] / _qg[0]
PM = [mp.mpf(c.numerator) / c.denominator for c in PF]
QM = [mp.mpf(c.numerator) / c.denominator for c in QF]


def dmod(r):
    """The model's d(r) = r^3 P(g) / Q(g) (exact g, t; mpmath), and its derivative."""
    g = r * r
    f = mp.polyval(PM[::-1], g) / mp.polyval(QM[::-1], g)
    h = mp.mpf(2) ** -60 * r
    fp = (mp.polyval(PM[::-1], (r + h) ** 2) / mp.polyval(QM[::-1], (r + h) ** 2) - f) / h
    return r * g * f, 3 * g * f + r * g * fp


def hexf(sig, e):
    """80-bit hex of sig * 2^e (sig in [2^63, 2^64))."""
    return f"{0x3fff + e + 63:04x}{sig:016x}"


def gen(E, N, DD, seed):
    rng = random.Random(seed)
    x1 = os.environ.get("X1") == "1"  # x = 1, y = r: r of 64 bits (on the result's grid)
    u68 = mp.mpf(2) ** (E - (63 if x1 else 67))
    got = tries = 0
    seen = set()
    while got < N and tries < 200 * N:
        tries += 1
        r = mp.mpf(2) ** E * (1 + mp.mpf(rng.random()) * 0.98 + 0.01)
        d, _ = dmod(r)
        n = int(mp.nint(-d / u68))
        for _ in range(4):
            d, dp = dmod(r)
            r = r - (d + n * u68) / dp
        R = int(mp.nint(r / u68))
        if R in seen:  # each ratio once (few exist where d spans few units u: see README)
            continue
        seen.add(R)
        if not x1 and (R - n) % 16:
            continue
        rc = mp.mpf(R) * u68
        d, _ = dmod(rc)
        celld = mp.mpf(2) ** (int(mp.floor(mp.log(-d, 2))) - 67)
        if abs((d + n * u68) / celld) > DD:
            continue
        if x1:
            for fcw in ("77f", "b7f"):
                print(f"fpatan {fcw} {hexf(1 << 63, -63)} {hexf(R, E - 63)}", flush=True)
            got += 1
            continue
        rf = F(R) * F(2) ** (E - 67)
        for _ in range(200):
            X = rng.randrange(1 << 63, 1 << 64)
            ye = E - 63
            Y = int((rf * X / F(2) ** 63 / F(2) ** ye).__round__())
            if not (1 << 63) <= Y < (1 << 64):
                continue
            if A.R(F(Y) * F(2) ** ye / (F(X) / F(2) ** 63)) == rf:
                break
        else:
            continue
        for fcw in ("77f", "b7f"):
            print(f"fpatan {fcw} {hexf(X, -63)} {hexf(Y, ye)}", flush=True)
        got += 1


def load(pairs):
    """Cases (r, m, ude, kind) as atan6_fit.load, for any x: r = R68(y / x)."""
    out = []
    for pr in pairs:
        fi, fo = pr.split(",")
        lines = list(zip(open(fi), open(fo)))
        for i in range(0, len(lines), 2):
            (ld, od), (lu, ou) = lines[i], lines[i + 1]
            _, xe, XS = f80(ld.split()[2])
            _, ye, YS = f80(ld.split()[3])
            r = A.R(F(YS) * F(2) ** ye / (F(XS) * F(2) ** xe))
            rm = mp.mpf(r.numerator) / r.denominator
            d, _ = dmod(rm)
            a = rm + d
            ge = int(mp.floor(mp.log(a, 2))) - 63
            g = int(mp.nint(mp.ldexp(a, -ge)))
            kind = grid_side(od, ou, g, ge)
            m = F(g) * F(2) ** ge - r
            ude = int(mp.floor(mp.log(-mp.mpf(m.numerator) / m.denominator, 2))) - 67
            if kind == "?" or (m / F(2) ** ude).denominator != 1:
                continue
            out.append((r, m, ude, kind))
    return out


def check(names, forms, K, J, pairs):
    cases = load(pairs)
    print(f"{len(cases)} cases; committed model (exact P / Q): "
          f"{A.count(A.VARIANTS['x_xqg'], cases, PF, QF)} misses", flush=True)
    zero = np.zeros(1)
    if os.environ.get("SYNTH"):
        # planted truth: outcomes replaced by those of design SYNTH = scale,form,K,J
        sn, sf, sk, sj = os.environ["SYNTH"].split(",")
        s = C.scales(sn, PF, QF)[sn]
        d = C.prep(cases, [A.R(s * c) for c in PF], [A.R(s * c) for c in QF])
        os.environ["XVALS"] = "1"
        xs = C.misses1(d, sf, zero, zero, int(sk), int(sj))[0]
        del os.environ["XVALS"]
        cases = [(r, m, u, "lt" if x < -0.5 else ("gt" if x > 0.5 else "eq"))
                 for (r, m, u, _), x in zip(cases, xs)]
        print(f"planted {os.environ['SYNTH']}")
    for nm, s in C.scales(names, PF, QF).items():
        P = [A.R(s * c) for c in PF]
        Q = [A.R(s * c) for c in QF]
        d = C.prep(cases, P, Q)
        for form in forms.split(","):
            res = sorted((int(C.misses1(d, form, zero, zero, k, j)[0]), k, j)
                         for k in range(-K, K + 1) for j in range(-J, J + 1))
            at0 = [v[0] for v in res if v[1] == 0 and v[2] == 0][0]
            print(f"{nm} s={float(s):.12f} {form}: K=J=0 {at0}; best "
                  + ", ".join(f"{v[0]} (K={v[1]}, J={v[2]})" for v in res[:3]), flush=True)


def main():
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5], 0))
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:])


if __name__ == "__main__":
    main()
