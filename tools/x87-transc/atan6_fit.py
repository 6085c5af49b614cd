"""FPATAN round 6: fit the (7,7) rational's coefficients under a chosen 68-bit evaluation order
to the host's d, read off direct-path cases (x = 1, y = r; atan5_dmap.py gen / genb).

Each case (round down and up, two probe lines) says whether the host's d (a 68-bit value, the
sum r + d exact) is below, equal to or above m = g - r, g the 64-bit grid point next to atan(r).
With d = R68(X), X the last unrounded value, that bounds x = (X - m) / ud (ud: d's unit at m):
lt x < -1/2, eq |x| <= 1/2, gt x > 1/2.

A variant (VARIANTS) evaluates X from r and the coefficients (P, Q: Fractions, constant first).
The fit is Gauss-Newton on the cells: the variant's rounding errors are held, X moves linearly
with the coefficient changes (dX = (t dP(g) - X dQ(g)) / Q), a soft linear program (L1 hinge)
finds the move, the coefficients are rounded to CBITS bits (at the common scale SCALE: P and Q
times SCALE, i.e. q0 = SCALE) and the exact misses recounted; the best round is kept.

Run: python3 tools/x87-transc/atan6_fit.py fit VARIANT ROUNDS START in,out [in,out ...] > coef.txt
     python3 tools/x87-transc/atan6_fit.py count VARIANT COEF in,out [in,out ...]
  START / COEF: an atan5_remez.py coefficient file (two lines of decimals, P then Q).
  env SCALE (default 1), CBITS (default 68; 0 = coefficients not rounded), FREE (indices of the
  moved coefficients, 0..7 P, 8..15 Q; default P's), BOUND (largest move, units of 2^-68),
  RMIN / RMAX (ratio range used, default 0 .. 1), DAMP (default 1).
"""
import os
import sys
from fractions import Fraction as F
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_lib import atan_exact, f80, grid_side  # noqa: E402
from atan5_dmap import dpos  # noqa: E402
from atan5_model import rmode  # noqa: E402

SCALE = F(os.environ.get("SCALE", "1"))
CBITS = int(os.environ.get("CBITS", "68"))
RMIN = float(os.environ.get("RMIN", "0"))
RMAX = float(os.environ.get("RMAX", "1"))
# Free coefficients: indices 0..7 are P's p0..p7, 8..15 Q's q0..q7.
FREE = [int(v) for v in os.environ.get("FREE", "0,1,2,3,4,5,6,7").split(",")]
BOUND = float(os.environ.get("BOUND", "1e6"))  # largest move per round, units of 2^-68


def R(v, bits=68):
    """v rounded to nearest-even at `bits` significant bits (either sign)."""
    return rmode(v, "n") if bits == 68 else (v if v == 0 else
                                            (1 if v > 0 else -1) * _rb(abs(v), bits))


def _rb(v, bits):
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v:
        e -= 1
    sc = F(2) ** (bits - 1 - e)
    m = v * sc
    fl = m.numerator // m.denominator
    fr = m - fl
    return F(fl + (fr > F(1, 2) or (fr == F(1, 2) and fl & 1))) / sc


def load(pairs):
    """Cases (r, m, ud, kind) from in,out file pairs (direct path, two lines per case)."""
    out = []
    for pr in pairs:
        fi, fo = pr.split(",")
        lines = list(zip(open(fi), open(fo)))
        for i in range(0, len(lines), 2):
            (ld, od), (lu, ou) = lines[i], lines[i + 1]
            _, ye, Y = f80(ld.split()[3])
            s = -ye - 64
            r = F(Y) * F(2) ** ye
            if not RMIN <= r < RMAX:
                continue
            t = atan_exact(Y, s)
            g, ge, pd, ude = dpos(Y, s, t)
            kind = grid_side(od, ou, g, ge)
            m = F(g) * F(2) ** ge - r
            mu = m / F(2) ** ude
            if kind == "?" or mu.denominator != 1 or not (1 << 67) + 8 < -mu < (1 << 68) - 8:
                continue
            out.append((r, m, ude, kind))
    return out


def horner_u(c, g):
    """Unfused 68-bit Horner: acc = R(R(acc g) + c_i)."""
    acc = c[-1]
    for ci in reversed(c[:-1]):
        acc = R(R(acc * g) + ci)
    return acc


def horner_f(c, g):
    """Fused 68-bit Horner: acc = R(acc g + c_i)."""
    acc = c[-1]
    for ci in reversed(c[:-1]):
        acc = R(acc * g + ci)
    return acc


def horner_x(c, g):
    acc = c[-1]
    for ci in reversed(c[:-1]):
        acc = acc * g + ci
    return acc


def v_exact(r, P, Q):
    g = r * r
    t = r * g
    return t, g, horner_x(P, g), horner_x(Q, g), t * horner_x(P, g) / horner_x(Q, g)


def _mk(hp, hq, gr, tr, form):
    """Variant: hp / hq Horner functions, gr / tr whether g = R(r r) and t = R(r g), form of X:
    'nq' X = R(t P) / Q; 'xq' X = t P / Q; 'qt' X = t R(P / Q); 'rgq' X = r R(g R(P / Q))."""
    def ev(r, P, Q):
        g = R(r * r) if gr else r * r
        t = R(r * g) if tr else r * g
        p, q = hp(P, g), hq(Q, g)
        if form == "nq":
            X = R(t * p) / q
        elif form == "xq":
            X = t * p / q
        elif form == "qt":
            X = t * R(p / q)
        else:
            X = r * R(g * R(p / q))
        return t, g, p, q, X
    return ev


VARIANTS = {"exact": v_exact}
for _h, (_hp, _hq) in {"u": (horner_u, horner_u), "f": (horner_f, horner_f),
                       "x": (horner_x, horner_x), "pu": (horner_u, horner_x),
                       "qu": (horner_x, horner_u)}.items():
    for _form in ("nq", "xq", "qt", "rgq"):
        for _g in ("", "g"):
            VARIANTS[f"{_h}_{_form}{_g}"] = _mk(_hp, _hq, bool(_g), bool(_g), _form)


def position(ev, case, P, Q):
    """(x, t, g, q, X): x = (X - m) / ud for the case."""
    r, m, ude, kind = case
    t, g, p, q, X = ev(r, P, Q)
    return float((X - m) / F(2) ** ude), t, g, q, X


def ok(x, kind):
    return x < -0.5 if kind == "lt" else (x > 0.5 if kind == "gt" else abs(x) <= 0.5)


def count(ev, cases, P, Q):
    return sum(not ok(position(ev, c, P, Q)[0], c[3]) for c in cases)


def read_coef(fn):
    p, q = [[F(v) for v in ln.split()] for ln in open(fn) if ln.strip()]
    return p, q


def start(fn):
    p, q = read_coef(fn)
    if abs(q[0] - 1) < F(1, 10**9):
        p, q = [c * SCALE for c in p], [c * SCALE for c in q]
    return [rc(c) for c in p], [rc(c) for c in q]


def rc(c):
    return c if CBITS == 0 or c == 0 else R(c, CBITS)


def lp_round(ev, cases, P, Q):
    """One Gauss-Newton step: the move (units 2^-68 per coefficient) by a hinge LP."""
    rows, lo, hi = [], [], []
    for c in cases:
        x, t, g, q, X = position(ev, c, P, Q)
        ud = F(2) ** c[2]
        gf = float(g)
        a = float(t / q / ud) * 2.0 ** -68
        b = float(X / q / ud) * 2.0 ** -68
        row = [a * gf ** i for i in range(len(P))] + [-b * gf ** i for i in range(len(Q))]
        rows.append([row[j] for j in FREE])
        kind = c[3]
        lo.append(-0.5 - x + 0.02 if kind == "gt" else (-0.5 - x if kind == "eq" else None))
        hi.append(-0.5 - x - 0.02 if kind == "lt" else (0.5 - x if kind == "eq" else None))
    nv, nr = len(rows[0]), len(rows)
    data, ri, ci, ub = [], [], [], []
    k = 0
    for i, row in enumerate(rows):
        for sign, bnd in ((1, hi[i]), (-1, None if lo[i] is None else -lo[i])):
            if bnd is None:
                continue
            for j, v in enumerate(row):
                data.append(sign * v)
                ri.append(k)
                ci.append(j)
            data.append(-1.0)
            ri.append(k)
            ci.append(nv + i)
            ub.append(bnd)
            k += 1
    A = csr_matrix((data, (ri, ci)), shape=(k, nv + nr))
    cost = np.concatenate([np.zeros(nv), np.ones(nr)])
    res = linprog(cost, A_ub=A, b_ub=np.array(ub), bounds=[(-BOUND, BOUND)] * nv + [(0, None)] * nr,
                  method="highs")
    x = [0.0] * (len(P) + len(Q))
    for j, v in zip(FREE, res.x[:nv]):
        x[j] = v
    return x, res.fun


def apply(P, Q, x, damp=1.0):
    n = len(P)
    P2 = [rc(c + F(round(v * damp * 2**30)) / F(2) ** 98) for c, v in zip(P, x[:n])]
    Q2 = [rc(c + F(round(v * damp * 2**30)) / F(2) ** 98) for c, v in zip(Q, x[n:])]
    return P2, Q2


def fmt(P, Q):
    return "\n".join(" ".join(repr(float(c)) if False else str(c) for c in cs) for cs in (P, Q))


def main():
    cmd, var = sys.argv[1], sys.argv[2]
    ev = VARIANTS[var]
    if cmd == "count":
        P, Q = read_coef(sys.argv[3])
        cases = load(sys.argv[4:])
        print(f"{var} {sys.argv[3]}: {count(ev, cases, P, Q)} of {len(cases)}")
        return
    rounds = int(sys.argv[3])
    P, Q = start(sys.argv[4])
    cases = load(sys.argv[5:])
    damp = float(os.environ.get("DAMP", "1"))
    best = (count(ev, cases, P, Q), P, Q)
    print(f"{var}: start misses {best[0]} of {len(cases)}", file=sys.stderr, flush=True)
    for it in range(rounds):
        x, hinge = lp_round(ev, cases, P, Q)
        P, Q = apply(P, Q, x, damp)
        m = count(ev, cases, P, Q)
        print(f"round {it}: hinge {hinge:.2f} misses {m} move {np.round(x, 2).tolist()}",
              file=sys.stderr, flush=True)
        if m < best[0]:
            best = (m, P, Q)
    print(fmt(best[1], best[2]))


if __name__ == "__main__":
    main()
