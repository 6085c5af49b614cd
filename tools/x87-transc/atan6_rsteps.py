"""FPATAN round 6: the r-dependent products at small ratios. With r of at most 22 bits (g = r r
and r^3 exact) the host's d at r <= 0.25 is the smooth rational up to a constant per window
(atan6_width.py: no scatter at all), while full 64-bit ratios scatter by about one unit of d:
the scatter there comes from how r^2 and r^3 (or r quo, g quo) are rounded. Forms (quo = P / Q
exact, from COEF):
  rg   d = R(R(r g) quo), g = R(r r)     (the round-5 model)
  gq   d = R(r R(g quo))
  rq   d = R(g R(r quo))
  r3   d = R(R(r^3) quo)                 (the cube formed exactly, then rounded)
  sp   g = R68(rh^2 + 2 rh rl), r = rh + rl split at BITS bits (rl^2 dropped), t = R68(r g);
       spt the same with t = R68(rh g + rl gh), gh = g truncated to BITS bits
  tgh  t = R68(r gh), gh = g truncated to BITS bits; tdr t = R68(R68(r gh) + r (g - gh))
  tm   g and t from a truncated multiplier (68-bit significands, partial-product columns below
       BITS dropped, then 68-bit nearest)
  fx   g and t in fixed point on r's significand scale (BITS / GBITS fraction bits, nearest)
each product rounded with MODE (n nearest-even, z toward zero, a away) at BITS; g at GBITS.
Counts the misses per window with the window's best offset (units of d).

Run: python3 tools/x87-transc/atan6_rsteps.py COEF SPECS in,out [in,out ...]
  SPECS: comma-separated FORM:BITS:MODE:GBITS:GMODE, e.g. rg:68:n:68:n,rg:68:z:68:z
  env GROUP: decimals of r that identify a window (default 3)
"""
import sys
import collections
from fractions import Fraction as F
import os
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402


GROUP = int(os.environ.get("GROUP", "3"))  # decimals of r that identify a window


def rnd(v, bits, mode):
    if bits == 0 or v == 0:
        return v
    a = abs(v)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if F(2) ** e > a:
        e -= 1
    sc = F(2) ** (bits - 1 - e)
    m = a * sc
    fl = m.numerator // m.denominator
    fr = m - fl
    if mode == "z":
        q = fl
    elif mode == "a":
        q = fl + (fr != 0)
    else:
        q = fl + (fr > F(1, 2) or (fr == F(1, 2) and fl & 1))
    return (1 if v > 0 else -1) * F(q) / sc


def fix(v, unit):
    """v rounded to nearest-even on the absolute grid `unit` (a power of two)."""
    m = v / unit
    fl = m.numerator // m.denominator
    fr = m - fl
    return (fl + (fr > F(1, 2) or (fr == F(1, 2) and fl & 1))) * unit


def rexp(r):
    e = r.numerator.bit_length() - r.denominator.bit_length()
    return e - 1 if F(2) ** e > r else e


def tmul(a, b, cut):
    """Product of Fractions a, b > 0 from a truncated multiplier: both as 68-bit significands
    A, B, only the partial-product bits of columns >= cut summed, then rounded to 68 bits."""
    def sig(v):
        e = rexp(v)
        return (v / F(2) ** (e - 67)).numerator, e - 67  # exact for values of <= 68 bits
    (ma, ea), (mb, eb) = sig(a), sig(b)
    acc = 0
    i = 0
    x = ma
    while x:
        if x & 1:
            sh = cut - i
            acc += (mb >> sh << sh if sh > 0 else mb) << i
        x >>= 1
        i += 1
    return A.R(F(acc) * F(2) ** (ea + eb))


def dval(r, quo, spec):
    form, bits, mode, gbits, gmode = spec
    if form in ("tgh", "tdr"):  # g split at BITS bits: gh = g truncated, gl the rest
        g = A.R(r * r)
        gh = rnd(g, bits, "z")
        if form == "tgh":  # t = R68(r gh), gl dropped
            return A.R(r * gh) * quo
        return A.R(A.R(r * gh) + r * (g - gh)) * quo  # two roundings
    if form == "tm":  # truncated multiplier for g and t, columns >= BITS kept
        g = tmul(r, r, bits)
        return tmul(r, g, bits) * quo
    if form == "fx":  # fixed point on r's significand scale: g_m = r_m^2 to GBITS fraction bits,
        e = rexp(r)   # t_m = r_m g_m to BITS fraction bits (r = r_m 2^e, r_m in [1, 2))
        g = fix(r * r, F(2) ** (2 * e - gbits))
        return fix(r * g, F(2) ** (3 * e - bits)) * quo
    if form.startswith("sp"):  # r = rh + rl, rh r truncated to BITS bits; rl^2 dropped
        k = bits
        e = rexp(r)
        u = F(2) ** (e - k + 1)
        rh = (r / u).numerator // (r / u).denominator * u
        rl = r - rh
        g = A.R(rh * rh + 2 * rh * rl)
        if form == "sp":  # t = R68(r g) exact product
            return A.R(r * g) * quo
        # spt: t from the split as well: rh g + rl g_hi ... approximated by dropping rl (g - gh)
        gh = rnd(g, k, "z")
        return A.R(rh * g + rl * gh) * quo
    g = rnd(r * r, gbits, gmode)
    if form == "rg":
        return rnd(r * g, bits, mode) * quo
    if form == "gq":
        return r * rnd(g * quo, bits, mode)
    if form == "rq":
        return g * rnd(r * quo, bits, mode)
    return rnd(r * r * r, bits, mode) * quo


def main():
    P, Q = A.read_coef(sys.argv[1])
    specs = []
    for s in sys.argv[2].split(","):
        f, b, m, gb, gm = s.split(":")
        specs.append((f, int(b), m, int(gb), gm))
    per = collections.OrderedDict()
    for c in A.load(sys.argv[3:]):
        per.setdefault(round(float(c[0]), GROUP), []).append(c)
    pre = []
    for win in per.values():
        rows = []
        for r, m, ude, k in win:
            g = r * r
            rows.append((r, A.horner_x(P, g) / A.horner_x(Q, g), m, ude, k))
        pre.append(rows)
    offs = np.arange(-3.0, 2.0, 0.05)
    for spec in specs:
        tot = n = 0
        for rows in pre:
            xs = np.array([float((dval(r, quo, spec) - m) / F(2) ** ude) for r, quo, m, ude, _ in rows])
            ks = np.array([{"lt": 0, "eq": 1, "gt": 2}[k] for *_, k in rows])
            best = len(rows)
            for c in offs:
                x = xs + c
                bad = np.where(ks == 0, x >= -0.5, np.where(ks == 2, x <= 0.5, np.abs(x) > 0.5)).sum()
                best = min(best, bad)
            tot += best
            n += len(rows)
        print(f"{':'.join(map(str, spec)):18s} {tot} of {n}", flush=True)


if __name__ == "__main__":
    main()
