"""FSIN / FCOS round 6: evaluation variants of the top Horner steps and of
sin's correction product, as hooks for sincos6_lib.poly (used by
sincos6_count.py `MODEL:VARIANT` and sincos6_node.py VAR=...).

  f0, f1, f01   last step (A0 = c0 + g A1), A1's step, or both fused (product exact)
  p0w, p1w      that step's product rounded to 72 bits instead of 68
  a1away        A1's sum rounded to 68 bits with ties away from zero
  a1up          A1's sum: ties and the 1/64 cell below a midpoint go up in magnitude
  tS            sin's correction R68(t R68(g S)) instead of R68(R68(t g) S)
  tSg           sin's correction R68(R68(t S) g)
  fin, fin3     inner steps (A2 .. , or A3 ..) fused
  tinp, tins    inner steps (A2 ..) with the product, or the sum, truncated
  w64, w70, w72 inner steps (A2 ..) rounded to 64 / 70 / 72 bits
Not run by itself.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L
from sim import rnd, add, mul


def _rnd_away(v, bits=68, slack=0.0):
    m, e = v
    a = abs(m)
    d = a.bit_length() - bits
    if d <= 0:
        return v
    q = a >> d
    r = a - (q << d)
    if r >= (1 << (d - 1)) * (1 - slack):
        q += 1
    return (-q if m < 0 else q, e + d)


def _horner(fused=(), wide=(), away=None):
    def h(cs, g):
        acc = cs[-1]
        for i in range(len(cs) - 2, -1, -1):
            p = mul(acc, g)
            if i not in fused:
                p = rnd(*p, 72 if i in wide else 68)
            s = add(p, cs[i])
            acc = away(s) if (away and i == 1) else rnd(*s, 68)
        return acc
    return h


def _trunc(v, bits=68):
    m, e = v
    a = abs(m)
    d = a.bit_length() - bits
    if d <= 0:
        return v
    return (-(a >> d) if m < 0 else a >> d, e + d)


def _inner(prod, summ, lo=2):
    def h(cs, g):
        acc = cs[-1]
        for i in range(len(cs) - 2, -1, -1):
            if i >= lo:
                acc = summ(add(prod(mul(acc, g)), cs[i]))
            else:
                acc = rnd(*add(rnd(*mul(acc, g), 68), cs[i]), 68)
        return acc
    return h


VARIANTS = {
    "f0": {"horner": _horner(fused=(0,))},
    "f1": {"horner": _horner(fused=(1,))},
    "f01": {"horner": _horner(fused=(0, 1))},
    "p0w": {"horner": _horner(wide=(0,))},
    "p1w": {"horner": _horner(wide=(1,))},
    "a1away": {"horner": _horner(away=lambda s: _rnd_away(s))},
    "a1up": {"horner": _horner(away=lambda s: _rnd_away(s, slack=1 / 32))},
    "fin": {"horner": _inner(lambda p: p, lambda v: rnd(*v, 68))},
    "fin3": {"horner": _inner(lambda p: p, lambda v: rnd(*v, 68), 3)},
    "tinp": {"horner": _inner(_trunc, lambda v: rnd(*v, 68))},
    "tins": {"horner": _inner(lambda p: rnd(*p, 68), _trunc)},
    "w64": {"horner": _inner(lambda p: rnd(*p, 64), lambda v: rnd(*v, 64))},
    "w70": {"horner": _inner(lambda p: rnd(*p, 70), lambda v: rnd(*v, 70))},
    "w72": {"horner": _inner(lambda p: rnd(*p, 72), lambda v: rnd(*v, 72))},
    "tS": {"sincorr": lambda t, g, h: L.r68(mul(t, L.r68(mul(g, h))))},
    "tSg": {"sincorr": lambda t, g, h: L.r68(mul(L.r68(mul(t, h)), g))},
}
