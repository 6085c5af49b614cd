"""Candidate models of the host's atan(r), checked against probe output of atan5_direct.py
(direct path: result = atan(r); "p" path: result pi66/2 - a with a on the 68-bit grid).

A candidate returns the host's atan before its final rounding as an exact rational (num, den).
The direct path rounds it down / up to 64 bits; the p path rounds it to nearest-even at 68
bits first, then v = pi66/2 - a is rounded down / up.

Run: python3 tools/x87-transc/atan5_model.py MODEL d|p IN OUT   (MODEL: see MODELS)
     python3 tools/x87-transc/atan5_model.py MODEL lines IN OUT [RMAX]  (any one-line cases)
"""
import sys
import collections
from fractions import Fraction as F
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_lib import PI66, f80  # noqa: E402

mp.mp.prec = 300


def rnd(q, bits, mode="n"):
    """Fraction q > 0 rounded to `bits` significant bits (n nearest-even, d down, u up)."""
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if F(2) ** e > q:
        e -= 1
    sc = F(2) ** (bits - 1 - e)
    m = q * sc
    fl = m.numerator // m.denominator
    fr = m - fl
    if mode == "d":
        r = fl
    elif mode == "u":
        r = fl + (fr != 0)
    else:
        r = fl + (fr > F(1, 2) or (fr == F(1, 2) and fl & 1))
    return F(r) / sc


def atan_q(z, bits=200):
    """atan(z) as a Fraction with 2^-bits absolute precision (truncated)."""
    v = mp.atan(mp.mpf(z.numerator) / z.denominator)
    return F(int(mp.floor(mp.ldexp(v, bits))), 1 << bits)


def R68(q):
    return rnd(q, 68)


PI4 = F(PI66, 1 << 66)


def m_exact(r):
    return atan_q(r)


def m_pi4(r, zround=True):
    """pi66/4 - R68(atan(z)), z = (1 - r)/(1 + r) (rounded to 68 bits if zround)."""
    if r < F(2, 5):
        return atan_q(r)
    z = (1 - r) / (1 + r)
    if zround:
        z = R68(z)
    d = R68(atan_q(z))
    return PI4 - d if z > 0 else PI4 + R68(atan_q(-z))


def m_rd(r):
    """r + R68(atan(r) - r): the final step adds a 68-bit correction to the exact r."""
    return r + R68(atan_q(r) - r)


def S_of(r):
    """(atan(r) - r) / r^3 with 2^-200 precision."""
    return (atan_q(r, 260) - r) / (r * r * r)


def m_rg(r):
    g = R68(r * r)
    return r + R68(R68(r * g) * R68(S_of(r)))


def m_rg2(r):
    g = R68(r * r)
    return r + R68(r * R68(g * R68(S_of(r))))


def m_rg3(r):
    g = R68(r * r)
    return r + R68(R68(r * g) * S_of(r))


def m_rg4(r):
    g = R68(r * r)
    return r + R68(r * R68(g * S_of(r)))


def m_rg5(r):
    """S as a function of the rounded g: S(sqrt(g)) evaluated exactly at g."""
    g = R68(r * r)
    sg = mp.sqrt(mp.mpf(g.numerator) / g.denominator)
    S = (mp.atan(sg) - sg) / (sg * sg * sg)
    S = F(int(mp.floor(mp.ldexp(S, 250))), 1 << 250)
    return r + R68(r * R68(g * R68(S)))


COEF = {}


def load_coef(fn):
    p, q = [[F(v) for v in l.split()] for l in open(fn)]
    return p, q


def m_rat(r, fn="/tmp/a5_r77.txt", dround=True):
    """r + R68(r^3 P(g) / Q(g)) with minimax coefficients from atan5_remez.py, exact arithmetic."""
    if fn not in COEF:
        COEF[fn] = load_coef(fn)
    p, q = COEF[fn]
    g = r * r
    ev = lambda c: sum(ci * g ** i for i, ci in enumerate(c))  # noqa: E731
    d = r * g * ev(p) / ev(q)
    return r + (R68(-d) * -1 if dround else d)


def m_ratv(r, fn="/tmp/a5_r77.txt", v="floor"):
    """Variants of the evaluation: how d = r^3 P(g)/Q(g) is rounded."""
    if fn not in COEF:
        COEF[fn] = load_coef(fn)
    p, q = COEF[fn]
    if v in ("g", "gq", "gqt", "gqtr"):
        g = R68(r * r)
    else:
        g = r * r
    ev = lambda c: sum(ci * g ** i for i, ci in enumerate(c))  # noqa: E731
    if v == "floor":
        return r - rnd(-(r * g * ev(p) / ev(q)), 68, "u")
    if v == "ceil":
        return r - rnd(-(r * g * ev(p) / ev(q)), 68, "d")
    if v == "g":
        return r - R68(-(r * g * ev(p) / ev(q)))
    quo = -R68(-ev(p) / ev(q))
    if v == "gq":
        return r - R68(-(r * g * quo))
    if v == "gqt":
        return r - R68(-(R68(r * g) * quo))
    if v == "gqtr":
        return r - R68(-(r * R68(g * quo)))
    raise ValueError(v)


def rmode(q, mode):
    """Round a Fraction to 68 bits: n nearest, z toward zero, a away from zero, x exact."""
    if mode == "x" or q == 0:
        return q
    s = -1 if q < 0 else 1
    m = {"n": "n", "z": "d", "a": "u"}[mode]
    return s * rnd(abs(q), 68, m)


def m_eval(r, modes, fn="/tmp/a5_r77.txt"):
    """d from 68-bit steps with rounding modes per step (string of 6 letters n/z/a/x): g = r r,
    t = r g, Horner P, Horner Q (each step: c + g acc), quo = P / Q, d = t quo."""
    if fn not in COEF:
        COEF[fn] = load_coef(fn)
    p, q = COEF[fn]
    mg, mt, mp_, mq, mquo, md = modes
    g = rmode(r * r, mg)
    tt = rmode(r * g, mt)

    def horner(c, mo):
        acc = rmode(c[-1], mo)
        for ci in reversed(c[:-1]):
            acc = rmode(rmode(ci, mo) + g * acc, mo)
        return acc
    quo = rmode(horner(p, mp_) / horner(q, mq), mquo)
    return r + rmode(tt * quo, md)


MODELS = {"rat": m_rat, "ratx": lambda r: m_rat(r, dround=False), "rd": m_rd, "rg": m_rg, "rg2": m_rg2, "rg3": m_rg3, "rg4": m_rg4, "rg5": m_rg5, "exact": m_exact, "pi4": m_pi4, "pi4z": lambda r: m_pi4(r, False)}
for _v in ("floor", "ceil", "g", "gq", "gqt", "gqtr"):
    MODELS["rat_" + _v] = lambda r, v=_v: m_ratv(r, v=v)


def check(model, path, inf, outf):
    lines = list(zip(open(inf), open(outf)))
    stats = collections.Counter()
    bad = []
    for i in range(0, len(lines), 2):
        rows = []
        for li, lo in lines[i:i + 2]:
            _, fcw, a, b = li.split()
            fsw, st0, _ = lo.split()
            rows.append((fcw, fsw, st0))
            rh = b if path == "d" else a
        _, re, rm = f80(rh)
        r = F(rm) * F(2) ** re
        a = model(r)
        if path == "p":
            a = R68(a)
            val = F(PI66, 1 << 65) - a
        else:
            val = a
        ok = True
        for fcw, fsw, st0 in rows:
            _, he, hm = f80(st0)
            host = F(hm) * F(2) ** he
            mode = {"77f": "d", "b7f": "u"}[fcw]
            want = rnd(val, 64, mode)
            c1 = (int(fsw, 16) >> 9) & 1
            if host != want or c1 != int(want > val):
                ok = False
        stats["ok" if ok else "bad"] += 1
        if not ok:
            bad.append(float(r))
    print(dict(stats))
    return bad


def check_lines(model, inf, outf, rmax=None):
    """Per probe line (any x > 0, y > 0 FPATAN case, FCW 37f / 77f / b7f): the model's result
    and C1 against the host's. Returns {"ok": n, "bad": n} and the ratios of the bad ones."""
    stats = collections.Counter()
    bad = []
    for li, lo in zip(open(inf), open(outf)):
        _, fcw, xh, yh = li.split()
        fsw, st0, _ = lo.split()
        _, xe, xm = f80(xh)
        _, ye, ym = f80(yh)
        x, y = F(xm) * F(2) ** xe, F(ym) * F(2) ** ye
        r = min(x, y) / max(x, y)
        if rmax is not None and r > rmax:
            continue
        r68 = R68(r)
        a = model(r68)
        val = a if y <= x else F(PI66, 1 << 65) - R68(a)
        mode = {"37f": "n", "77f": "d", "b7f": "u"}[fcw]
        want = rnd(val, 64, mode)
        _, he, hm = f80(st0)
        host = F(hm) * F(2) ** he
        c1 = (int(fsw, 16) >> 9) & 1
        ok = host == want and c1 == int(want > val)
        stats["ok" if ok else "bad"] += 1
        if not ok:
            bad.append(float(r))
    return dict(stats), bad


def m_eval2(r, s, opts, fn="/tmp/a5_r77.txt"):
    """68-bit evaluation with coefficients scaled by s and rounded to 68 bits. opts letters:
    g: g = R68(r^2); u: unfused Horner (else fused); t: N = R68(R68(r g) P) (else
    R68(r R68(g P)))."""
    key = (fn, s)
    if key not in COEF:
        p, q = load_coef(fn)
        COEF[key] = ([R68(c * s) if c > 0 else -R68(-c * s) for c in p],
                     [R68(c * s) for c in q])
    p, q = COEF[key]
    g = R68(r * r) if "g" in opts else r * r

    def rr(v):
        return R68(v) if v > 0 else -R68(-v)

    def horner(c):
        acc = c[-1]
        for ci in reversed(c[:-1]):
            acc = rr(rr(acc * g) + ci) if "u" in opts else rr(acc * g + ci)
        return acc
    P, Q = horner(p), horner(q)
    N = rr(rr(r * g) * P) if "t" in opts else rr(r * rr(g * P))
    return r + rr(N / Q)


for _s in ("1", "0.5", "2", "1.474", "0.737"):
    for _o in ("", "g", "u", "gu", "t", "gt", "ut", "gut"):
        MODELS[f"e2_{_s}_{_o}"] = lambda r, s=_s, o=_o: m_eval2(r, q7scale(s), o)


def q7scale(s):
    """s as a Fraction; "1.474" / "0.737": the scale making Q's g^7 coefficient 2^-10 / 2^-11."""
    if s in ("1.474", "0.737"):
        q7 = load_coef("/tmp/a5_r77.txt")[1][-1]
        return F(1, 1 << (10 if s == "1.474" else 11)) / q7
    return F(s)


def m_drift(r, c0, c1, fn=None):
    """The rational's d times 1 + (c0 + c1 g) 2^-68 (a smooth relative drift of the host's d)."""
    fn = fn or __file__.rsplit("/", 1)[0] + "/atan5_r77.txt"
    d = m_rat(r, fn, dround=False) - r
    return r + -R68(-d * (1 + (F(c0) + F(c1) * r * r) / (1 << 68)))


if __name__ == "__main__":
    if sys.argv[1].startswith("sc_"):  # d scaled by 1 + delta 2^-68 (delta in tenths)
        MODELS[sys.argv[1]] = lambda r: r + R68((m_rat(r, dround=False) - r) *
                                                (1 + F(int(sys.argv[1][3:]), 10 << 68)))
    if sys.argv[1].startswith("dr_"):  # dr_C0_C1 (tenths)
        _c0, _c1 = sys.argv[1][3:].split("_")
        MODELS[sys.argv[1]] = lambda r: m_drift(r, F(int(_c0), 10), F(int(_c1), 10))
    if sys.argv[1].startswith("ev_"):
        MODELS[sys.argv[1]] = lambda r: m_eval(r, sys.argv[1][3:])
    if sys.argv[2] == "lines":
        st, b = check_lines(MODELS[sys.argv[1]], sys.argv[3], sys.argv[4],
                            float(sys.argv[5]) if len(sys.argv) > 5 else None)
        print(st)
    else:
        b = check(MODELS[sys.argv[1]], sys.argv[2], sys.argv[3], sys.argv[4])
    print(" ".join(f"{v:.4f}" for v in sorted(b)))
