"""Helpers of the round-5 FPTAN scripts (tools/x87-transc/tan5_*.py): load
probe transcripts of tan_near.c cases (|x| < pi/4, t = x), the model of
cpu/fpu/transc_amd.ts with one set or the per-band sets, and the offset of
an internal quotient from the case's rounding boundary in units of the
result's last place. Values are (m, e) = m * 2^e; magnitudes only (the sign
of t only flips the rounding direction). Needs python3 with mpmath.
"""
import json, math, os
from fractions import Fraction
import mpmath

from tan_lib import add, mul, round_sig  # noqa: E402

mpmath.mp.prec = 200
HERE = __file__.rsplit("/", 1)[0]


# Rounding and exact (m, e) arithmetic are tan_lib's (the round-4 scripts').
rsig = rsig_s = round_sig


def read_coef(fn):
    L = open(fn).read().split("\n")
    return [tuple(c) for c in json.loads(L[0])], [tuple(c) for c in json.loads(L[1])]


def _band_sets():
    f = lambda n: read_coef(f"{HERE}/{n}")
    return {
        "next": f("tan_coef_next.txt"),
        "m2": f("tan_coef_band_m2.txt"),
        "m1_lo": f("tan_coef_band_m1_lo.txt"),
        "m1_hi": f("tan_coef_band_m1_hi.txt"),
        "m05_lo": f("tan_coef_band_m05_lo.txt"),
        "m05_hi": f("tan_coef_band_m05_hi.txt"),
    }


BANDS = None


def band_set(t):
    """The coefficient set transc_amd.ts uses for |t| = t (m, e)."""
    global BANDS
    if BANDS is None:
        BANDS = _band_sets()
    m, e = t
    g = m * m
    def ge2(k):  # t^2 >= 2^k
        return g >= (1 << (k - 2 * e)) if k - 2 * e >= 0 else True
    def get(fr):  # t >= fr 2^-64
        return (m << (e + 64) if e + 64 >= 0 else m >> -(e + 64)) >= fr
    if ge2(-1):
        return BANDS["m05_hi"] if get(0xBEB851EB851EB800) else BANDS["m05_lo"]
    if ge2(-2):
        return BANDS["m1_hi"] if get(0x9999999999999800) else BANDS["m1_lo"]
    if ge2(-4):
        return BANDS["m2"]
    return BANDS["next"]


def horner(cs, g, prod_bits=68, sum_bits=68):
    acc = cs[-1]
    for c in reversed(cs[:-1]):
        p = mul(acc, g)
        if prod_bits:
            p = rsig_s(*p, prod_bits)
        acc = rsig_s(*add(p, c), sum_bits)
    return acc


def model_nd(t, P, Q):
    """The committed model: g = R68(t^2), unfused Horner steps, N = R68(t P)."""
    g = rsig(*mul(t, t))
    p = horner(P, g)
    n = rsig(*mul(t, p))
    d = horner(Q, g)
    return n, d


def load(files):
    """(fcw, t, r) per case, t and r as signed (m, e)."""
    out = []
    for fn in files:
        a, b = fn.split(",")
        for x, y in zip(open(a), open(b)):
            f = x.split() + y.split()
            fcw = int(f[1], 16)
            def val(s):
                se = int(s[:4], 16)
                m = int(s[4:], 16)
                return ((-m if se & 0x8000 else m), (se & 0x7FFF) - 16383 - 63)
            out.append((fcw, val(f[2]), val(f[5])))
    return out


def mag_rc(fcw, t):
    """0 nearest, 1 magnitude down (truncate), 2 magnitude up."""
    rc = (fcw >> 10) & 3
    if rc == 3:
        return 1
    if t[0] < 0 and rc in (1, 2):
        rc = 3 - rc
    return rc


def ulp_exp(v):
    """Exponent of the last place of a 64-bit result near the positive real v."""
    _, ex = math.frexp(v)
    return ex - 64


def boundary(fcw, t, q):
    """B (Fraction) nearest the positive quotient q (Fraction) and the ulp."""
    ue = ulp_exp(float(q))
    u = Fraction(2) ** ue
    k = q / u
    if mag_rc(fcw, t) == 0:
        b = (math.floor(k) + Fraction(1, 2)) * u
    else:
        b = round(k) * u
    return b, u


def hw_side(fcw, t, r, b):
    """+1 if the host's internal |tan| is above B, else -1."""
    rv = Fraction(abs(r[0])) * Fraction(2) ** r[1]
    if mag_rc(fcw, t) == 1:
        return 1 if rv >= b else -1
    return 1 if rv > b else -1


def exact_tan(t):
    v = mpmath.tan(mpmath.ldexp(abs(t[0]), t[1]))
    m, e = mpmath.frexp(v)
    return Fraction(int(mpmath.ldexp(m, 150))) * Fraction(2) ** (e - 150)


_cache = {}


def case_boundary(fcw, t):
    key = (fcw, t)
    if key not in _cache:
        q = exact_tan(t)
        b, u = boundary(fcw, t, q)
        _cache[key] = (q, b, u)
    return _cache[key]


def quotient(spec, t):
    """The unrounded internal quotient |tan| of a model spec (Fraction)."""
    ta = (abs(t[0]), t[1])
    if spec == "exact":
        return exact_tan(t)
    if spec == "bands":
        P, Q = band_set(ta)
    else:
        P, Q = spec
    n, d = model_nd(ta, P, Q)
    return Fraction(n[0], d[0]) * Fraction(2) ** (n[1] - d[1])


def model_offset(spec, fcw, t):
    if isinstance(spec, str) and spec not in ("exact", "bands"):
        spec = read_coef(spec)
    q, b, u = case_boundary(fcw, t)
    qm = quotient(spec, t)
    return float((qm - b) / u)


def hw_side_of(fcw, t, r, spec=None):
    q, b, u = case_boundary(fcw, t)
    return hw_side(fcw, t, r, b)


def round64(q, fcw, t):
    """The positive quotient q (Fraction) rounded to the 64-bit result with
    the case's rounding control (magnitudes): a Fraction."""
    ue = ulp_exp(float(q))
    u = Fraction(2) ** ue
    k = q / u
    fl = math.floor(k)
    rc = mag_rc(fcw, t)
    if rc == 1:
        m = fl
    elif rc == 2:
        m = fl if k == fl else fl + 1
    else:
        fr = k - fl
        m = fl + 1 if fr > Fraction(1, 2) or (fr == Fraction(1, 2) and fl % 2) else fl
    return m * u


# Structural variants of the evaluation: name -> function (t, P, Q) -> (n, d)
# or ("q", Fraction) for a quotient formed otherwise. Registered by tan5_var.py.
VARIANTS = {}


def matches(spec, fcw, t, r, var=None):
    """Does the model (spec: a (P, Q) pair, "bands" or "cr") reproduce r?"""
    ta = (abs(t[0]), t[1])
    if spec == "cr":
        q = exact_tan(t)
    else:
        P, Q = band_set(ta) if spec == "bands" else spec
        if var:
            out = VARIANTS[var](ta, P, Q)
        else:
            out = model_nd(ta, P, Q)
        if out[0] == "q":
            q = out[1]
        else:
            n, d = out
            q = Fraction(n[0], d[0]) * Fraction(2) ** (n[1] - d[1])
    res = round64(q, fcw, t)
    return res == Fraction(abs(r[0])) * Fraction(2) ** r[1]
