"""Candidate models of the host's atan(r), checked against probe output of atan5_direct.py
(direct path: result = atan(r); "p" path: result pi66/2 - a with a on the 68-bit grid).

A candidate returns the host's atan before its final rounding as an exact rational (num, den).
The direct path rounds it down / up to 64 bits; the p path rounds it to nearest-even at 68
bits first, then v = pi66/2 - a is rounded down / up.

Run: python3 tools/x87-transc/atan5_model.py MODEL d|p IN OUT   (MODEL: see MODELS)
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


MODELS = {"rd": m_rd, "rg": m_rg, "rg2": m_rg2, "rg3": m_rg3, "rg4": m_rg4, "rg5": m_rg5, "exact": m_exact, "pi4": m_pi4, "pi4z": lambda r: m_pi4(r, False)}


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


if __name__ == "__main__":
    b = check(MODELS[sys.argv[1]], sys.argv[2], sys.argv[3], sys.argv[4])
    print(sorted(b)[:10])
